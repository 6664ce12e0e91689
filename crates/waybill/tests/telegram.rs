//! Telegram for Android end to end through the CLI: `cache4.db` and the
//! `file_to_path.db` beside it built here from the app's DDL
//! (`MessagesStorage.createTables`, `FilePathDatabase` version 7 in
//! `DrKLO/Telegram`), `mainconfig.xml` on the app's default presets, the
//! phone's storage tree and a reference hash set; then case new → ingest →
//! match → analyze → verify.

use std::path::Path;
use std::process::Command;

use sha2::Digest as _;

fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_waybill")).args(args).current_dir(dir).env_clear().output().expect("run");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn waybill(dir: &Path, args: &[&str]) -> String {
    let (ok, out, err) = run(dir, args);
    assert!(ok, "waybill {args:?}\n{out}\n{err}");
    out
}

fn write(path: &Path, bytes: &[u8], mtime_unix_ms: u64) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
    let f = std::fs::File::options().write(true).open(path).expect("open");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_millis(mtime_unix_ms)).expect("mtime");
}

fn hex(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

fn sqlite(root: &Path, db: &Path, sql: &str) {
    let script = root.join("script.sql");
    std::fs::write(&script, sql).expect("sql");
    std::fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    waybill_testkit::build_sqlite(&script, db);
}

const CACHE4: &str = "
CREATE TABLE messages_v2(mid INTEGER, uid INTEGER, read_state INTEGER, send_state INTEGER, date INTEGER, data BLOB, out INTEGER, ttl INTEGER, media INTEGER, replydata BLOB, imp INTEGER, mention INTEGER, forwards INTEGER, replies_data BLOB, thread_reply_id INTEGER, is_channel INTEGER, reply_to_message_id INTEGER, custom_params BLOB, group_id INTEGER, reply_to_story_id INTEGER, PRIMARY KEY(mid, uid));
CREATE TABLE download_queue(uid INTEGER, type INTEGER, date INTEGER, data BLOB, parent TEXT, PRIMARY KEY (uid, type));
CREATE TABLE downloading_documents(data BLOB, hash INTEGER, id INTEGER, state INTEGER, date INTEGER, PRIMARY KEY(hash, id));
";

const FILE_TO_PATH: &str = "
CREATE TABLE paths(document_id INTEGER, dc_id INTEGER, type INTEGER, path TEXT, flags INTEGER, PRIMARY KEY(document_id, dc_id, type));
CREATE TABLE paths_by_dialog_id(path TEXT PRIMARY KEY, dialog_id INTEGER, message_id INTEGER, message_type INTEGER);
";

const DIR: &str = "Android/data/org.telegram.messenger/files/Telegram";

/// A document a contact sent at 02:00:00Z, over every default preset's
/// document limit (3 MiB on Wi-Fi), tapped and complete at 04:00:02.5Z: listed
/// in `downloading_documents`, written two hours after the message: the list
/// supports Hp (+2.0), but the late write is not a second fact, since
/// Telegram keeps only the message's server time and a phone offline when it
/// was sent fetches late by itself too: one group, indeterminate. A photo
/// posted in a basic group at 02:05:00Z, written 3 s later, with photos on in
/// groups on every network by the app's defaults: decisive for Hd. Then
/// `verify` checks `file_to_path.db` as the database's companion.
#[test]
fn telegram_tapped_document_leans_hp_and_group_photo_auto_download_is_hd() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let doc = b"synthetic benign document: quarterly minutes, nothing else\n".repeat(60_000);
    assert!(doc.len() > 3_145_728);
    let photo = b"synthetic benign image bytes: a team lunch placeholder\n".repeat(30);
    let doc_path = format!("/storage/emulated/0/{DIR}/Telegram Documents/minutes.txt");
    let photo_path = format!("/storage/emulated/0/{DIR}/Telegram Images/5188_204800.jpg");
    let files = root.join("evidence/files");
    sqlite(
        root,
        &files.join("cache4.db"),
        &format!(
            "{CACHE4}
INSERT INTO messages_v2 (mid, uid, read_state, send_state, date, data, out, ttl, media, is_channel) VALUES (101, 777000123, 3, 0, 1767405600, x'00', 0, 0, 1, 0);
INSERT INTO messages_v2 (mid, uid, read_state, send_state, date, data, out, ttl, media, is_channel) VALUES (55, -4000123, 1, 0, 1767405900, x'00', 0, 0, 1, 0);
INSERT INTO messages_v2 (mid, uid, read_state, send_state, date, data, out, ttl, media, is_channel) VALUES (56, -4000123, 1, 0, NULL, x'00', 0, 0, 0, 0);
INSERT INTO downloading_documents VALUES (x'00', 2, 5300000000000000001, 1, 1767412802500);
"
        ),
    );
    sqlite(
        root,
        &files.join("file_to_path.db"),
        &format!(
            "{FILE_TO_PATH}
INSERT INTO paths VALUES (5300000000000000001, 2, 3, '{doc_path}', 0);
INSERT INTO paths_by_dialog_id VALUES ('{doc_path}', 777000123, 101, 9);
INSERT INTO paths_by_dialog_id VALUES ('{photo_path}', -4000123, 55, 1);
"
        ),
    );
    // The app's defaults: no preset key (written 2026-01-01, before both).
    let prefs = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    <boolean name=\"newConfig\" value=\"true\" />\n</map>\n";
    write(&root.join("evidence/shared_prefs/mainconfig.xml"), prefs.as_bytes(), 1_767_225_600_000);
    write(&root.join(format!("tree/{DIR}/Telegram Documents/minutes.txt")), &doc, 1_767_412_802_600);
    write(&root.join(format!("tree/{DIR}/Telegram Images/5188_204800.jpg")), &photo, 1_767_405_903_000);
    std::fs::write(root.join("set.txt"), format!("{}\n{}\n", hex(&doc), hex(&photo))).expect("set");

    waybill(root, &["case", "new", "case", "--subject", "device=PIXEL-1"]);
    let out = waybill(root, &["ingest", "case", "evidence/files/cache4.db", "--device", "PIXEL-1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let input = &v["inputs"][0];
    assert_eq!(input["format"], "telegram.cache4", "{v:#}");
    // 3 messages (one without a date) + 1 download row; 2 received + 2 media + 1 tap.
    assert_eq!((&input["records"], &input["events"], &input["rejects"]), (&4.into(), &5.into(), &1.into()), "{v:#}");
    let manifest = std::fs::read_to_string(root.join("case/manifest.jsonl")).expect("manifest");
    let line: serde_json::Value = serde_json::from_str(manifest.lines().next().expect("line")).expect("json");
    let companion = &line["companions"][0];
    assert_eq!(companion["role"], "sibling");
    assert!(companion["path"].as_str().expect("path").ends_with("evidence/files/file_to_path.db"), "{line:#}");
    let prefs_in = waybill(
        root,
        &[
            "ingest",
            "case",
            "evidence/shared_prefs/mainconfig.xml",
            "--device",
            "PIXEL-1",
            "--format",
            "telegram.mainconfig",
        ],
    );
    assert!(prefs_in.contains("telegram.mainconfig"), "{prefs_in}");
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "PIXEL-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let out = waybill(root, &["analyze", "case", "--json"]);
    let found: std::collections::BTreeMap<String, serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|v| {
            let f: serde_json::Value = serde_json::from_slice(
                &std::fs::read(root.join(v["finding"].as_str().expect("finding"))).expect("read"),
            )
            .expect("json");
            (v["sha256"].as_str().expect("sha").to_owned(), f)
        })
        .collect();
    assert_eq!(found.len(), 2);
    let rules = |f: &serde_json::Value| -> Vec<String> {
        f["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .filter(|e| e["counted"] == true)
            .map(|e| e["rule"].as_str().expect("rule").to_owned())
            .collect()
    };

    let d = &found[&hex(&doc)];
    assert_eq!(d["arrival"]["kind"], "msg.media_fetched", "{d:#}");
    assert_eq!(d["arrival"]["ts"], "2026-01-03T02:00:00.000000Z");
    assert_eq!(d["arrival"]["record"], "messages_v2 rowid 1");
    assert_eq!(rules(d), ["messaging.app_listed_tapped"], "{d:#}");
    assert_eq!(d["verdict"], "indeterminate", "one group never decides: {d:#}");
    assert_eq!(d["log10_lr"], 2.0);
    let tap = d["chain"].as_array().expect("chain").iter().find(|c| c["kind"] == "msg.media_download").expect("tap");
    assert_eq!(tap["ts"], "2026-01-03T04:00:02.500000Z");
    assert_eq!(tap["record"], "downloading_documents rowid 1");

    let p = &found[&hex(&photo)];
    assert_eq!(p["arrival"]["record"], "messages_v2 rowid 2", "{p:#}");
    assert_eq!(rules(p), ["messaging.auto_download", "timing.media_fetched_at_receipt"], "{p:#}");
    assert_eq!(p["verdict"], "automatic", "{p:#}");
    assert_eq!(p["log10_lr"], -2.5);
    let why = p["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|e| e["rule"] == "messaging.auto_download")
        .and_then(|e| e["explanation"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(why.contains("Telegram's documented default is assumed"), "{p:#}");

    // verify re-hashes the database beside cache4.db.
    let (ok, out, err) = run(root, &["verify", "case"]);
    assert!(ok, "{out}\n{err}");
    let mut bytes = std::fs::read(files.join("file_to_path.db")).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(files.join("file_to_path.db"), bytes).expect("write");
    let (ok, out, err) = run(root, &["verify", "case"]);
    assert!(!ok, "a changed companion must fail verify");
    assert!(format!("{out}{err}").contains("file_to_path.db"), "{out}\n{err}");
}

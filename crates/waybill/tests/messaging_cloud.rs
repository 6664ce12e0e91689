//! Messaging and cloud deliveries end to end through the CLI: evidence built
//! here in the formats the apps write (WhatsApp msgstore.db with the current
//! schema and its preferences XML, a Microsoft 365 audit log in JSON Lines),
//! a file tree and a reference hash set; then case new → ingest → match →
//! analyze, and the verdicts and the evidence that decided them.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use sha2::Digest as _;

fn waybill(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_waybill")).args(args).current_dir(dir).env_clear().output().expect("run");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "waybill {args:?}\n{out}\n{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn write(path: &Path, bytes: &[u8], mtime_unix: u64) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
    let f = std::fs::File::options().write(true).open(path).expect("open");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime_unix)).expect("mtime");
}

fn sha256(b: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(b).to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The current msgstore schema, as in the ingest fixture built from WhatsApp's DDL.
fn msgstore_ddl() -> String {
    let script = waybill_testkit::fixture("whatsapp.msgstore", "current_group_autofetch_document_sent_video.sql");
    std::fs::read_to_string(script)
        .expect("fixture")
        .lines()
        .filter(|l| l.starts_with("CREATE "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn findings(dir: &Path, case: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    let out = waybill(dir, &["analyze", case, "--json"]);
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|v| {
            let f: serde_json::Value = serde_json::from_slice(
                &std::fs::read(dir.join(v["finding"].as_str().expect("finding path"))).expect("finding"),
            )
            .expect("json");
            (v["sha256"].as_str().expect("sha").to_owned(), f)
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
            let m = std::fs::metadata(&p).and_then(|m| m.modified()).expect("mtime");
            std::fs::File::options()
                .write(true)
                .open(to.join(e.file_name()))
                .and_then(|f| f.set_modified(m))
                .expect("mtime");
        }
    }
}

fn rules(f: &serde_json::Value) -> Vec<&str> {
    f["evidence"].as_array().expect("evidence").iter().map(|e| e["rule"].as_str().expect("rule")).collect()
}

/// A phone case: `msgstore.db` built from `sql`, the preferences file with the
/// auto-download masks (Wi-Fi, cellular, roaming), the media files (path under
/// `WhatsApp/Media`, bytes, mtime) as the phone's tree, every file in the
/// reference set; ingested for PHONE-1, matched and analyzed.
fn phone_case(
    root: &Path,
    sql: &str,
    masks: [u32; 3],
    media: &[(&str, &[u8], u64)],
) -> std::collections::BTreeMap<String, serde_json::Value> {
    phone_case_with(root, sql, masks, media, &[])
}

/// [`phone_case`] with `case new` options added (`--context roaming=no`).
fn phone_case_with(
    root: &Path,
    sql: &str,
    masks: [u32; 3],
    media: &[(&str, &[u8], u64)],
    case_options: &[&str],
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let ev = root.join("evidence");
    std::fs::create_dir_all(ev.join("db")).expect("mkdir");
    std::fs::write(root.join("msgstore.sql"), sql).expect("sql");
    waybill_testkit::build_sqlite(&root.join("msgstore.sql"), &ev.join("db/msgstore.db"));
    let [wifi, cell, roam] = masks;
    let prefs = format!(
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    <int name=\"autodownload_wifi_mask\" value=\"{wifi}\" />\n    <int name=\"autodownload_cellular_mask\" value=\"{cell}\" />\n    <int name=\"autodownload_roaming_mask\" value=\"{roam}\" />\n</map>\n"
    );
    write(&ev.join("prefs/com.whatsapp_preferences_light.xml"), prefs.as_bytes(), 1_767_300_000);
    let mut set = String::new();
    for (path, bytes, mtime) in media {
        write(&root.join("tree/WhatsApp/Media").join(path), bytes, *mtime);
        set.push_str(&format!("{}\n", hex(&sha256(bytes))));
    }
    std::fs::write(root.join("set.txt"), set).expect("set");
    let mut new = vec!["case", "new", "case", "--subject", "device=PHONE-1"];
    new.extend_from_slice(case_options);
    waybill(root, &new);
    let mut ingest = vec!["ingest", "case", "evidence/db/msgstore.db", "evidence/prefs"];
    // WhatsApp's own log, when the test wrote one.
    if ev.join("logs").exists() {
        ingest.push("evidence/logs");
    }
    ingest.extend(["--device", "PHONE-1"]);
    waybill(root, &ingest);
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "PHONE-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    findings(root, "case")
}

/// A group image fetched while image auto-download was on for every network is
/// automatic; a one-to-one document fetched while document auto-download was off
/// for every network was tapped (moderate support, not decisive on its own).
#[test]
fn whatsapp_auto_download_settings_decide_how_media_arrived() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let image = b"synthetic benign image bytes: a lunch photo placeholder\n".repeat(40);
    let doc = b"synthetic benign document: meeting notes, nothing else\n".repeat(25);
    // 2026-01-03T02:00:00Z received, 02:00:03Z fetched.
    let (sent_ms, recv_ms) = (1_767_405_600_000_i64, 1_767_405_603_000_i64);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha256(b));
    let sql = format!(
        "{ddl}
INSERT INTO jid VALUES (1, '15550001111', 's.whatsapp.net', 0, 0, 0, '15550001111@s.whatsapp.net');
INSERT INTO jid VALUES (2, '120363000000000000', 'g.us', 0, 0, 1, '120363000000000000@g.us');
INSERT INTO jid VALUES (3, '15550002222', 's.whatsapp.net', 0, 0, 0, '15550002222@s.whatsapp.net');
INSERT INTO chat (_id, jid_row_id, hidden, subject) VALUES (1, 1, 0, NULL), (2, 2, 0, 'Lunch club');
INSERT INTO message VALUES (1, -1, 0, '-1', NULL, -1, 0, 0, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0);
INSERT INTO message VALUES (2, 2, 0, '3A7F00C1D2E3F4A5B601', 3, 0, 0, 0, NULL, 0, 0, {sent_ms}, {recv_ms}, 0, 1, NULL, 0, 0, 0, 2);
INSERT INTO message VALUES (3, 1, 0, '3A7F00C1D2E3F4A5B602', NULL, 0, 0, 0, NULL, 0, 0, {sent2}, {recv2}, 0, 9, NULL, 0, 0, 0, 3);
INSERT INTO message_media (message_row_id, chat_row_id, transferred, file_path, file_size, mime_type, file_hash, media_name)
  VALUES (2, 2, 1, 'Media/WhatsApp Images/IMG-20260103-WA0001.jpg', {isize}, 'image/jpeg', '{ihash}', NULL),
         (3, 1, 1, 'Media/WhatsApp Documents/notes.pdf', {dsize}, 'application/pdf', '{dhash}', 'notes.pdf');
",
        ddl = msgstore_ddl(),
        sent2 = sent_ms + 3_600_000,
        recv2 = recv_ms + 3_600_000,
        isize = image.len(),
        dsize = doc.len(),
        ihash = b64(&image),
        dhash = b64(&doc),
    );
    // Images, audio and video on for every network (bits 1, 2, 4); documents (8) off.
    let f = phone_case(
        root,
        &sql,
        [7, 7, 7],
        &[
            ("WhatsApp Images/IMG-20260103-WA0001.jpg", &image, 1_767_405_604),
            ("WhatsApp Documents/notes.pdf", &doc, 1_767_409_204),
        ],
    );
    assert_eq!(f.len(), 2);

    let img = &f[&hex(&sha256(&image))];
    assert_eq!(img["arrival"]["kind"], "msg.media_fetched", "{img:#}");
    assert_eq!(img["arrival"]["ts"], "2026-01-03T02:00:03.000000Z");
    assert_eq!(img["arrival"]["record"], "message rowid 2");
    assert!(rules(img).contains(&"messaging.auto_download"), "{img:#}");
    assert_eq!(img["verdict"], "automatic", "{img:#}");
    let ev = img["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|e| e["rule"] == "messaging.auto_download")
        .expect("rule");
    assert_eq!(ev["log10_lr"], -1.5);

    let d = &f[&hex(&sha256(&doc))];
    assert_eq!(d["arrival"]["kind"], "msg.media_fetched");
    assert!(rules(d).contains(&"messaging.manual_download"), "{d:#}");
    assert!(!rules(d).contains(&"messaging.auto_download"), "{d:#}");
    assert_eq!(d["verdict"], "indeterminate", "one moderate rule never decides alone: {d:#}");
    assert!(d["log10_lr"].as_f64().expect("lr") > 0.0);
}

/// WhatsApp's own log (`files/Logs/whatsapp.log`, local times with the
/// header's `tz=+0100`) says how each download started: a group image queued
/// as `auto download` on Wi-Fi is automatic, with the write at receipt (the
/// settings, images on Wi-Fi, are the same fact as the log line: one group);
/// a document started as `manual
/// download` an hour after its message, with documents off everywhere, was
/// tapped. Both decisive. The line is joined by the message's key id (the
/// person's JID is redacted in the log).
#[test]
fn whatsapps_own_log_of_auto_and_manual_downloads_decides_with_a_second_fact() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let image = b"synthetic benign image bytes: a garden photo placeholder\n".repeat(40);
    let doc = b"synthetic benign document: a shopping list, nothing else\n".repeat(25);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha256(b));
    // Image: sent 02:00:00Z, received 02:00:03Z, written 02:00:04Z.
    // Document: received 03:00:03Z, tapped 04:00:00Z, written 04:00:04Z.
    let sql = format!(
        "{ddl}
INSERT INTO jid VALUES (1, '15550001111', 's.whatsapp.net', 0, 0, 0, '15550001111@s.whatsapp.net');
INSERT INTO jid VALUES (2, '120363000000000010', 'g.us', 0, 0, 1, '120363000000000010@g.us');
INSERT INTO jid VALUES (3, '15550002222', 's.whatsapp.net', 0, 0, 0, '15550002222@s.whatsapp.net');
INSERT INTO chat (_id, jid_row_id, hidden, subject) VALUES (1, 1, 0, NULL), (2, 2, 0, 'Garden club');
INSERT INTO message VALUES (1, -1, 0, '-1', NULL, -1, 0, 0, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0);
INSERT INTO message VALUES (2, 2, 0, '3A7F00C1D2E3F4A5B611', 3, 0, 0, 0, NULL, 0, 0, 1767405600000, 1767405603000, 0, 1, NULL, 0, 0, 0, 2);
INSERT INTO message VALUES (3, 1, 0, '3EB0C4D5E6F708192A12', NULL, 0, 0, 0, NULL, 0, 0, 1767409200000, 1767409203000, 0, 9, NULL, 0, 0, 0, 3);
INSERT INTO message_media (message_row_id, chat_row_id, transferred, file_path, file_size, mime_type, file_hash, media_name)
  VALUES (2, 2, 1, 'Media/WhatsApp Images/IMG-20260103-WA0011.jpg', {isize}, 'image/jpeg', '{ihash}', NULL),
         (3, 1, 1, 'Media/WhatsApp Documents/list.pdf', {dsize}, 'application/pdf', '{dhash}', 'list.pdf');
",
        ddl = msgstore_ddl(),
        isize = image.len(),
        dsize = doc.len(),
        ihash = b64(&image),
        dhash = b64(&doc),
    );
    let log = format!(
        "==== logfile level=3 tz=+0100 ====
2026-01-03 03:00:03.200 LL_I W [4711:MediaDownload] MediaDownloadManager/queueDownload auto download Key[id=3A7F00C1D2E3F4A5B611, from_me=false, remote_jid=120363000000000010@g.us], message.mediaHash={ihash}
2026-01-03 04:30:00.000 LL_I W [12:main] app/foreground
2026-01-03 05:00:00.000 LL_I M [4720:main] MediaDownloadManager/start manual download Key[id=3EB0C4D5E6F708192A12, from_me=false, remote_jid=1111@s.whatsapp.net], message.mediaHash={dhash}
",
        ihash = b64(&image),
        dhash = b64(&doc),
    );
    write(&root.join("evidence/logs/whatsapp.log"), log.as_bytes(), 1_767_420_000);
    // Images on Wi-Fi and mobile data, off roaming; documents off everywhere.
    let f = phone_case(
        root,
        &sql,
        [1, 1, 0],
        &[
            ("WhatsApp Images/IMG-20260103-WA0011.jpg", &image, 1_767_405_604),
            ("WhatsApp Documents/list.pdf", &doc, 1_767_412_804),
        ],
    );
    assert_eq!(f.len(), 2);

    let img = &f[&hex(&sha256(&image))];
    // The line says Wi-Fi, where images download by themselves: roaming is
    // not asked.
    assert_eq!(
        rules(img),
        ["messaging.app_logged_auto", "messaging.auto_download", "timing.media_fetched_at_receipt"],
        "{img:#}"
    );
    // The log and the settings are one fact (group messaging): the stronger counts.
    assert_eq!(img["log10_lr"], -3.0);
    assert_eq!(img["log10_lr_range"], serde_json::json!([-4.4, -1.8]));
    assert_eq!(img["verdict"], "automatic");
    assert_eq!(img["open_questions"], serde_json::json!([]), "{img:#}");

    let d = &f[&hex(&sha256(&doc))];
    assert_eq!(
        rules(d),
        ["messaging.app_logged_manual", "messaging.manual_download", "timing.media_fetched_late"],
        "{d:#}"
    );
    assert_eq!(d["log10_lr"], 2.7);
    assert_eq!(d["log10_lr_range"], serde_json::json!([1.6, 4.0]));
    assert_eq!(d["verdict"], "user_initiated");
    // The log's line is in the chain as part of the delivery, though after
    // the message's receipt (the arrival's time is only a lower bound).
    let line = d["chain"]
        .as_array()
        .expect("chain")
        .iter()
        .find(|l| l["kind"] == "msg.media_download")
        .expect("the log line in the chain");
    assert_eq!(line["record"], "offset 336 line 4");
    assert_eq!(line["ts"], "2026-01-03T04:00:00.000000Z");
    assert_eq!(line["role"], "transit");
    assert_eq!(line["summary"], "decision=manual key_id=3EB0C4D5E6F708192A12 network=mobile");
}

/// A phone restored from its cloud backup: the messages keep their receipt
/// times and the restore writes every media file again, together, days later.
/// A document written three days after its message among 12 other media files
/// within two minutes is not read as a late tap: `timing.media_fetched_late`
/// stays out and a gap names the burst; the settings (documents off
/// everywhere) remain, one group, so the band stays indeterminate.
#[test]
fn a_media_file_written_in_a_restore_burst_is_not_a_late_tap() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let doc = b"synthetic benign document: a club newsletter, nothing else\n".repeat(25);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha256(b));
    // Received 2026-01-03T03:00:03Z; restored 2026-01-06T09:00:00Z.
    let sql = format!(
        "{ddl}
INSERT INTO jid VALUES (1, '15550001111', 's.whatsapp.net', 0, 0, 0, '15550001111@s.whatsapp.net');
INSERT INTO chat (_id, jid_row_id, hidden, subject) VALUES (1, 1, 0, NULL);
INSERT INTO message VALUES (1, -1, 0, '-1', NULL, -1, 0, 0, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0);
INSERT INTO message VALUES (2, 1, 0, '3EB0C4D5E6F708192A77', NULL, 0, 0, 0, NULL, 0, 0, 1767409200000, 1767409203000, 0, 9, NULL, 0, 0, 0, 2);
INSERT INTO message_media (message_row_id, chat_row_id, transferred, file_path, file_size, mime_type, file_hash, media_name)
  VALUES (2, 1, 1, 'Media/WhatsApp Documents/news.pdf', {dsize}, 'application/pdf', '{dhash}', 'news.pdf');
",
        ddl = msgstore_ddl(),
        dsize = doc.len(),
        dhash = b64(&doc),
    );
    let restore = 1_767_690_000_u64;
    for i in 0..12_u64 {
        let other = format!("synthetic benign restored image {i}\n").repeat(20);
        write(
            &root.join(format!("tree/WhatsApp/Media/WhatsApp Images/IMG-20251220-WA{i:04}.jpg")),
            other.as_bytes(),
            restore + i * 10,
        );
    }
    let f = phone_case(root, &sql, [1, 1, 0], &[("WhatsApp Documents/news.pdf", &doc, restore + 65)]);
    let d = &f[&hex(&sha256(&doc))];
    assert_eq!(rules(d), ["messaging.manual_download"], "{d:#}");
    assert_eq!(d["log10_lr"], 1.5);
    assert_eq!(d["verdict"], "indeterminate", "{d:#}");
    let gap = d["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .find(|g| g["rule"] == "timing.media_fetched_late")
        .expect("burst gap");
    assert_eq!(
        gap["needs"],
        "the download's own time: the file was written at 2026-01-06T09:01:05.000000Z among 12 other files of the app's media folder within 5 minutes, as a restore from a backup writes them, so its write time is not read as the download's",
        "{d:#}"
    );
}

/// WhatsApp's default settings (images on Wi-Fi and cellular, nothing while
/// roaming) and a group image written a second after its receipt: automatic
/// by two facts (the settings, the timing), with whether the phone was roaming
/// named as the open question; `--context roaming=no` answers it, and the
/// settings rule is then the plain auto-download one.
#[test]
fn whatsapp_default_settings_and_a_fetch_at_receipt_are_automatic_naming_roaming() {
    let image = b"synthetic benign image bytes: a picnic photo placeholder\n".repeat(40);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha256(b));
    // 2026-01-03T02:00:00Z sent, 02:00:03Z received, the file written at 02:00:04Z.
    let sql = format!(
        "{ddl}
INSERT INTO jid VALUES (1, '120363000000000009', 'g.us', 0, 0, 1, '120363000000000009@g.us');
INSERT INTO jid VALUES (2, '15550003333', 's.whatsapp.net', 0, 0, 0, '15550003333@s.whatsapp.net');
INSERT INTO chat (_id, jid_row_id, hidden, subject) VALUES (1, 1, 0, 'Picnic');
INSERT INTO message VALUES (1, -1, 0, '-1', NULL, -1, 0, 0, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0);
INSERT INTO message VALUES (2, 1, 0, '3A7F00C1D2E3F4A5B609', 2, 0, 0, 0, NULL, 0, 0, 1767405600000, 1767405603000, 0, 1, NULL, 0, 0, 0, 2);
INSERT INTO message_media (message_row_id, chat_row_id, transferred, file_path, file_size, mime_type, file_hash, media_name)
  VALUES (2, 1, 1, 'Media/WhatsApp Images/IMG-20260103-WA0009.jpg', {size}, 'image/jpeg', '{hash}', NULL);
",
        ddl = msgstore_ddl(),
        size = image.len(),
        hash = b64(&image),
    );
    let media: &[(&str, &[u8], u64)] = &[("WhatsApp Images/IMG-20260103-WA0009.jpg", &image, 1_767_405_604)];
    let sha = hex(&sha256(&image));

    let t = tempfile::tempdir().expect("temp");
    let f = phone_case(t.path(), &sql, [15, 1, 0], media);
    let img = &f[&sha];
    assert_eq!(rules(img), ["messaging.auto_download_unless_roaming", "timing.media_fetched_at_receipt"], "{img:#}");
    assert_eq!(img["verdict"], "automatic", "{img:#}");
    assert_eq!((img["log10_lr"].as_f64(), &img["log10_lr_range"]), (Some(-2.3), &serde_json::json!([-3.2, -1.2])));
    let questions = img["open_questions"].as_array().expect("open questions");
    assert_eq!(questions.len(), 1, "{img:#}");
    assert!(
        questions[0].as_str().is_some_and(|q| q.contains("roaming") && q.contains("--context roaming=")),
        "{img:#}"
    );

    let t = tempfile::tempdir().expect("temp");
    let f = phone_case_with(t.path(), &sql, [15, 1, 0], media, &["--context", "roaming=no"]);
    let img = &f[&sha];
    assert_eq!(rules(img), ["messaging.auto_download", "timing.media_fetched_at_receipt"], "{img:#}");
    assert_eq!(img["verdict"], "automatic", "{img:#}");
    assert_eq!(img["open_questions"], serde_json::json!([]), "{img:#}");
}

/// Two group images fetched while image auto-download was on everywhere: the
/// one whose message is after the chat's last-read mark (nobody opened the
/// group since) has the read state added to the settings; the one the subject
/// has since seen in its chat has the settings only.
#[test]
fn whatsapp_media_still_unread_in_its_chat_adds_to_the_settings() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let seen = b"synthetic benign image bytes: a garden photo placeholder\n".repeat(40);
    let unread = b"synthetic benign image bytes: a bicycle photo placeholder\n".repeat(40);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha256(b));
    // Chat 1 ("Garden club") was read up to its image (message 3); chat 2
    // ("Cycling team") only up to the text before its image (message 4 read,
    // message 5 not).
    let sql = format!(
        "{ddl}
INSERT INTO jid VALUES (1, '120363000000000001', 'g.us', 0, 0, 1, '120363000000000001@g.us');
INSERT INTO jid VALUES (2, '120363000000000002', 'g.us', 0, 0, 1, '120363000000000002@g.us');
INSERT INTO jid VALUES (3, '15550002222', 's.whatsapp.net', 0, 0, 0, '15550002222@s.whatsapp.net');
INSERT INTO chat (_id, jid_row_id, hidden, subject, last_read_message_row_id) VALUES (1, 1, 0, 'Garden club', 3), (2, 2, 0, 'Cycling team', 4);
INSERT INTO message VALUES (1, -1, 0, '-1', NULL, -1, 0, 0, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0);
INSERT INTO message VALUES (2, 1, 0, '3A7F00C1D2E3F4A5B610', 3, 0, 0, 0, NULL, 0, 0, 1767405500000, 1767405500400, 0, 0, 'look', 0, 0, 0, 2);
INSERT INTO message VALUES (3, 1, 0, '3A7F00C1D2E3F4A5B611', 3, 0, 0, 0, NULL, 0, 0, 1767405600000, 1767405603000, 0, 1, NULL, 0, 0, 0, 3);
INSERT INTO message VALUES (4, 2, 0, '3A7F00C1D2E3F4A5B612', 3, 0, 0, 0, NULL, 0, 0, 1767409100000, 1767409100400, 0, 0, 'ride on sunday', 0, 0, 0, 4);
INSERT INTO message VALUES (5, 2, 0, '3A7F00C1D2E3F4A5B613', 3, 0, 0, 0, NULL, 0, 0, 1767409200000, 1767409202000, 0, 1, NULL, 0, 0, 0, 5);
INSERT INTO message_media (message_row_id, chat_row_id, transferred, file_path, file_size, mime_type, file_hash)
  VALUES (3, 1, 1, 'Media/WhatsApp Images/IMG-20260103-WA0021.jpg', {ssize}, 'image/jpeg', '{shash}'),
         (5, 2, 1, 'Media/WhatsApp Images/IMG-20260103-WA0022.jpg', {usize}, 'image/jpeg', '{uhash}');
",
        ddl = msgstore_ddl(),
        ssize = seen.len(),
        usize = unread.len(),
        shash = b64(&seen),
        uhash = b64(&unread),
    );
    // Images on for every network (bit 1).
    let f = phone_case(
        root,
        &sql,
        [15, 1, 1],
        &[
            ("WhatsApp Images/IMG-20260103-WA0021.jpg", &seen, 1_767_405_604),
            ("WhatsApp Images/IMG-20260103-WA0022.jpg", &unread, 1_767_409_203),
        ],
    );
    assert_eq!(f.len(), 2);

    let u = &f[&hex(&sha256(&unread))];
    assert_eq!(u["arrival"]["record"], "message rowid 5", "{u:#}");
    assert_eq!(u["arrival"]["ts"], "2026-01-03T03:00:02.000000Z");
    // The settings (written days before), the unread chat and the file
    // written a second after the message arrived: three facts.
    assert_eq!(
        rules(u),
        ["messaging.auto_download", "read_state.message_unread", "timing.media_fetched_at_receipt"],
        "{u:#}"
    );
    assert_eq!(u["log10_lr"], -4.0);
    assert_eq!(u["log10_lr_range"], serde_json::json!([-5.4, -2.5]));
    assert_eq!(u["verdict"], "automatic");
    assert_eq!(u["verbal"], "very strong support for Hd over Hp");

    let s = &f[&hex(&sha256(&seen))];
    assert_eq!(s["arrival"]["record"], "message rowid 3", "{s:#}");
    assert_eq!(rules(s), ["messaging.auto_download", "timing.media_fetched_at_receipt"], "{s:#}");
    assert_eq!(s["log10_lr"], -2.5);
}

/// A file the OneDrive sync client downloaded from a shared library is linked
/// to the audit record by its library path and size, and the sync download
/// leans weakly to delivery without a per-file act (a placeholder the person
/// opens is downloaded the same way).
#[test]
fn m365_sync_download_links_by_library_path_and_weighs_toward_automatic() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let body = b"synthetic benign spreadsheet export: quarter,amount\n".repeat(30);
    let line = serde_json::json!({
        "CreationTime": "2026-01-05T07:45:10", "Id": "7b3c0c01-0000-4000-8000-0000000000aa",
        "Operation": "FileSyncDownloadedFull", "RecordType": 6, "UserType": 0, "Version": 1,
        "Workload": "SharePoint", "ClientIP": "203.0.113.7", "UserId": "alice@example.com",
        "ObjectId": "https://contoso.example.com/sites/team/Shared Documents/budget.xlsx",
        "SiteUrl": "https://contoso.example.com/sites/team/", "SourceRelativeUrl": "Shared Documents",
        "SourceFileName": "budget.xlsx", "SourceFileExtension": "xlsx", "ItemType": "File",
        "FileSizeBytes": body.len(),
        "UserAgent": "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)"
    });
    std::fs::create_dir_all(root.join("evidence")).expect("mkdir");
    std::fs::write(root.join("evidence/audit.jsonl"), format!("{line}\n")).expect("audit");
    write(&root.join("tree/Users/alice/Contoso/Shared Documents/budget.xlsx"), &body, 1_767_599_111);
    std::fs::write(root.join("set.txt"), format!("{}\n", hex(&sha256(&body)))).expect("set");
    waybill(root, &["case", "new", "case", "--subject", "account=alice@example.com"]);
    waybill(root, &["ingest", "case", "evidence/audit.jsonl"]);
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "LAPTOP-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(root, "case");
    let b = &f[&hex(&sha256(&body))];
    assert_eq!(b["attribution"][0]["why"], "the subject's account alice@example.com, from any address", "{b:#}");
    assert_eq!(b["arrival"]["kind"], "cloud.sync_download", "{b:#}");
    assert_eq!(b["arrival"]["ts"], "2026-01-05T07:45:10.000000Z");
    // A sync download alone points neither way (with Files On-Demand it is
    // also what opening a placeholder leaves): no rule weighs it.
    assert!(rules(b).is_empty(), "{b:#}");
    assert_eq!(b["verdict"], "indeterminate", "{b:#}");
    assert_eq!(b["log10_lr"].as_f64(), Some(0.0), "{b:#}");
    // Without the subject's account, the record is no one's known act: not
    // the copy's arrival, and no evidence.
    let t2 = tempfile::tempdir().expect("temp");
    for d in ["evidence", "tree"] {
        copy_dir(&root.join(d), &t2.path().join(d));
    }
    std::fs::copy(root.join("set.txt"), t2.path().join("set.txt")).expect("copy");
    let r2 = t2.path();
    waybill(r2, &["case", "new", "case"]);
    waybill(r2, &["ingest", "case", "evidence/audit.jsonl"]);
    waybill(r2, &["ingest", "case", "--files", "tree", "--device", "LAPTOP-1"]);
    waybill(r2, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(r2, "case");
    let b = &f[&hex(&sha256(&body))];
    assert_eq!(b["attribution"][0]["who"], "unknown", "{b:#}");
    assert!(rules(b).is_empty(), "{b:#}");
}

/// The two SharePoint/OneDrive cases in the unified audit log's own
/// JSON Lines: a colleague's upload 38 s before the subject's sync client
/// fetched the file is the delivery's origin (someone else chose to put it
/// there), and the subject's own upload from a phone, then the laptop's sync,
/// is a copy of the subject's own file. Neither decides alone.
#[test]
fn a_colleagues_upload_before_the_sync_is_its_origin_and_an_own_upload_is_the_subjects_file() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let record = |at: &str, op: &str, user: &str, ip: &str, ua: &str, name: &str, size: usize, n: u32| {
        serde_json::json!({
            "CreationTime": at, "Id": format!("7b3c0c01-0000-4000-8000-{n:012}"),
            "Operation": op, "RecordType": 6, "UserType": 0, "Version": 1,
            "Workload": "SharePoint", "ClientIP": ip, "UserId": user,
            "ObjectId": format!("https://contoso.example.com/sites/team/Shared Documents/{name}"),
            "SiteUrl": "https://contoso.example.com/sites/team/", "SourceRelativeUrl": "Shared Documents",
            "SourceFileName": name, "ItemType": "File", "FileSizeBytes": size, "UserAgent": ua
        })
    };
    let sync_ua = "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)";
    let budget = b"synthetic benign spreadsheet placeholder, quarterly figures\n".repeat(30);
    let photo = b"synthetic benign photo placeholder bytes from a phone\n".repeat(30);
    let lines = [
        record(
            "2026-01-03T12:49:22",
            "FileUploaded",
            "bob@example.com",
            "198.51.100.20",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "budget.xlsx",
            budget.len(),
            1,
        ),
        record(
            "2026-01-03T12:50:00",
            "FileSyncDownloadedFull",
            "alice@example.com",
            "203.0.113.7",
            sync_ua,
            "budget.xlsx",
            budget.len(),
            2,
        ),
        record(
            "2026-01-03T11:00:00",
            "FileUploaded",
            "Alice@Example.com",
            "198.51.100.9",
            "OneDrive-iOS/16.4 (iPhone; iOS 17.4)",
            "photo.jpg",
            photo.len(),
            3,
        ),
        record(
            "2026-01-03T11:02:00",
            "FileSyncDownloadedFull",
            "alice@example.com",
            "203.0.113.7",
            sync_ua,
            "photo.jpg",
            photo.len(),
            4,
        ),
    ];
    std::fs::create_dir_all(root.join("evidence")).expect("mkdir");
    std::fs::write(root.join("evidence/audit.jsonl"), lines.iter().map(|l| format!("{l}\n")).collect::<String>())
        .expect("audit");
    // The synced copies keep the files' times in the cloud (weeks before).
    write(&root.join("tree/Users/alice/Contoso/Shared Documents/budget.xlsx"), &budget, 1_765_000_000);
    write(&root.join("tree/Users/alice/Contoso/Shared Documents/photo.jpg"), &photo, 1_765_100_000);
    std::fs::write(root.join("set.txt"), format!("{}\n{}\n", hex(&sha256(&budget)), hex(&sha256(&photo))))
        .expect("set");
    waybill(root, &["case", "new", "case", "--subject", "account=alice@example.com", "--subject", "ip=203.0.113.7"]);
    waybill(root, &["ingest", "case", "evidence/audit.jsonl"]);
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "LAPTOP-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(root, "case");

    let b = &f[&hex(&sha256(&budget))];
    assert_eq!(b["arrival"]["kind"], "cloud.sync_download", "{b:#}");
    assert_eq!(rules(b), ["cloud.other_party_upload"], "{b:#}");
    assert_eq!((b["log10_lr"].as_f64(), b["verdict"].as_str()), (Some(-0.5), Some("indeterminate")), "{b:#}");
    let upload = b["chain"].as_array().expect("chain").iter().find(|c| c["kind"] == "cloud.upload").expect("upload");
    assert_eq!(upload["role"], "origin", "{b:#}");
    let who: Vec<(&str, &str)> = b["attribution"]
        .as_array()
        .expect("attribution")
        .iter()
        .map(|a| (a["kind"].as_str().unwrap_or(""), a["who"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(who, [("cloud.upload", "other"), ("cloud.sync_download", "subject")], "{b:#}");

    let p = &f[&hex(&sha256(&photo))];
    assert_eq!(rules(p), ["cloud.own_upload"], "{p:#}");
    assert_eq!((p["log10_lr"].as_f64(), p["verdict"].as_str()), (Some(0.8), Some("indeterminate")), "{p:#}");
    let upload = p["attribution"].as_array().expect("attribution").iter().find(|a| a["kind"] == "cloud.upload");
    assert_eq!(
        upload.map(|a| a["why"].clone()),
        Some(serde_json::json!("the subject's account Alice@Example.com, from any address")),
        "{p:#}"
    );
}

/// A colleague's file that reached the laptop as a Files On-Demand
/// placeholder and was downloaded when the person opened it: the Recent Items
/// shortcut Explorer wrote at the open (`windows.lnk`) is one second before
/// the sync download. A shortcut that weighs alone is weak support, never a
/// band; an open twenty minutes after another file's sync is an open of a file
/// already there, listed after its arrival.
#[test]
fn an_open_through_the_shell_at_the_sync_download_is_weak_support_for_a_person() {
    use waybill_sim::world::{Browser, Device, Os, Shortcut};
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let sync_ua = "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)";
    let mut lines = String::new();
    let mut shas = Vec::new();
    let mut shortcuts = Vec::new();
    // (name, uploaded, synced, opened): 2026-01-03T12:00:00Z = 1_767_441_600.
    for (n, (name, up, sync, open)) in
        [("budget.xlsx", 600, 1_500, 1_499), ("notes.docx", 620, 700, 1_900)].into_iter().enumerate()
    {
        let body = format!("synthetic benign document {name}\n").repeat(40).into_bytes();
        for (at, op, user, ip, ua) in [
            (
                1_767_441_600 + up,
                "FileUploaded",
                "bob@example.com",
                "198.51.100.20",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            ),
            (1_767_441_600 + sync, "FileSyncDownloadedFull", "alice@example.com", "203.0.113.7", sync_ua),
        ] {
            let when = waybill_model::Timestamp::from_unix_micros(at * 1_000_000).expect("time").to_string();
            let line = serde_json::json!({
                "CreationTime": &when[..19], "Id": format!("7b3c0c01-0000-4000-8000-{n:06}{at:06}"),
                "Operation": op, "RecordType": 6, "UserType": 0, "Version": 1,
                "Workload": "SharePoint", "ClientIP": ip, "UserId": user,
                "ObjectId": format!("https://contoso.example.com/sites/team/Shared Documents/{name}"),
                "SiteUrl": "https://contoso.example.com/sites/team/", "SourceRelativeUrl": "Shared Documents",
                "SourceFileName": name, "ItemType": "File", "FileSizeBytes": body.len(), "UserAgent": ua
            });
            lines.push_str(&format!("{line}\n"));
        }
        let target = format!("Users/alice/Contoso/Shared Documents/{name}");
        write(&root.join("tree").join(&target), &body, 1_767_000_000);
        shortcuts.push(Shortcut {
            opened: (1_767_441_600 + open) * 1_000_000,
            target,
            size: body.len() as u64,
            created: (1_767_441_600 + up + 10) * 1_000_000,
            modified: 1_767_000_000_000_000,
            serial: 0x1234_abcd,
        });
        shas.push(hex(&sha256(&body)));
    }
    let laptop = Device {
        name: "LAPTOP-1".into(),
        os: Os::Windows,
        user: "alice".into(),
        browser: Browser::Chrome(131),
        clock_offset: 0,
        drift_per_hour: 0,
        epoch: 1_767_441_600_000_000,
    };
    waybill_sim::write::lnk::write(&root.join("recent"), &laptop, &shortcuts).expect("shortcuts");
    std::fs::create_dir_all(root.join("evidence")).expect("mkdir");
    std::fs::write(root.join("evidence/audit.jsonl"), lines).expect("audit");
    std::fs::write(root.join("set.txt"), format!("{}\n", shas.join("\n"))).expect("set");
    waybill(root, &["case", "new", "case", "--subject", "account=alice@example.com"]);
    waybill(root, &["ingest", "case", "evidence/audit.jsonl"]);
    let out = waybill(root, &["ingest", "case", "recent", "--device", "LAPTOP-1", "--json"]);
    assert!(out.contains("windows.lnk"), "{out}");
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "LAPTOP-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(root, "case");
    // Uploaded 12:10:00, opened 12:24:59, synced 12:25:00.
    let opened = &f[&shas[0]];
    assert_eq!(opened["arrival"]["ts"], "2026-01-03T12:25:00.000000Z", "{opened:#}");
    assert_eq!(rules(opened), ["open.at_sync_download"], "{opened:#}");
    assert_eq!(
        (opened["log10_lr"].as_f64(), opened["verdict"].as_str()),
        (Some(0.6), Some("indeterminate")),
        "{opened:#}"
    );
    let open = opened["chain"].as_array().expect("chain").iter().find(|c| c["kind"] == "fs.opened").expect("the open");
    assert_eq!(open["ts"], "2026-01-03T12:24:59.000000Z", "{opened:#}");
    // Synced 12:11:40, opened 12:31:40: pushed, then opened.
    let pushed = &f[&shas[1]];
    assert_eq!(rules(pushed), ["cloud.other_party_upload"], "{pushed:#}");
    assert!(pushed["after_arrival"].as_array().expect("after").iter().any(|c| c["kind"] == "fs.opened"), "{pushed:#}");
}

/// The same sync while the laptop's Security log shows the session locked
/// (the windows.evtx fixture: locked 12:30, screen saver 12:40–13:05, unlocked
/// 13:05:09, on the laptop's clock, which nothing aligns with the service's):
/// a sync at 12:50 came while nobody could click: moderately strong support
/// for delivery without the subject's act, but one source (the Security log)
/// never decides alone, so the band stays open until a second fact (who
/// uploaded it, a burst) joins; a sync at 13:02 is within the clock's
/// plausible error of the unlock, so the state is not shown.
#[test]
fn a_sync_while_the_session_was_locked_leans_automatic_but_one_source_does_not_decide() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let mut lines = String::new();
    let mut shas = Vec::new();
    for (name, at) in [("budget.xlsx", "2026-01-03T12:50:00"), ("notes.docx", "2026-01-03T13:02:00")] {
        let body = format!("synthetic benign document {name}\n").repeat(40).into_bytes();
        let line = serde_json::json!({
            "CreationTime": at, "Id": format!("7b3c0c01-0000-4000-8000-{name:0>12}"),
            "Operation": "FileSyncDownloadedFull", "RecordType": 6, "UserType": 0, "Version": 1,
            "Workload": "SharePoint", "ClientIP": "203.0.113.7", "UserId": "alice@example.com",
            "ObjectId": format!("https://contoso.example.com/sites/team/Shared Documents/{name}"),
            "SiteUrl": "https://contoso.example.com/sites/team/", "SourceRelativeUrl": "Shared Documents",
            "SourceFileName": name, "ItemType": "File", "FileSizeBytes": body.len(),
            "UserAgent": "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)"
        });
        lines.push_str(&format!("{line}\n"));
        write(&root.join(format!("tree/Users/alice/Contoso/Shared Documents/{name}")), &body, 1_767_445_000);
        shas.push(hex(&sha256(&body)));
    }
    std::fs::create_dir_all(root.join("evidence")).expect("mkdir");
    std::fs::write(root.join("evidence/audit.jsonl"), lines).expect("audit");
    std::fs::write(root.join("set.txt"), format!("{}\n", shas.join("\n"))).expect("set");
    let evtx = waybill_testkit::fixture("windows_evtx", "lock_unlock_screensaver_sleep.evtx");
    waybill(root, &["case", "new", "case", "--subject", "account=alice@example.com"]);
    waybill(root, &["ingest", "case", "evidence/audit.jsonl"]);
    waybill(root, &["ingest", "case", evtx.to_str().expect("path"), "--device", "LAPTOP-1"]);
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "LAPTOP-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(root, "case");
    let locked = &f[&shas[0]];
    assert_eq!(locked["arrival"]["ts"], "2026-01-03T12:50:00.000000Z");
    assert_eq!(rules(locked), ["state.locked_or_asleep"], "{locked:#}");
    assert_eq!(locked["verdict"], "indeterminate", "{locked:#}");
    assert_eq!(locked["verbal"], "moderately strong support for Hd over Hp", "{locked:#}");
    assert_eq!(locked["log10_lr"].as_f64(), Some(-2.0), "{locked:#}");
    assert_eq!(locked["log10_lr_range"], serde_json::json!([-3.0, -1.5]), "{locked:#}");
    let state = locked["evidence"].as_array().expect("evidence").iter().find(|e| e["rule"] == "state.locked_or_asleep");
    // The screen saver's start at 12:40 (4802) is the last lock before the arrival.
    assert_eq!(
        state.map(|e| e["events"][0]["record"].clone()),
        Some(serde_json::json!("EventRecordID 5")),
        "{locked:#}"
    );
    let near_unlock = &f[&shas[1]];
    assert!(rules(near_unlock).is_empty(), "{near_unlock:#}");
    assert_eq!(near_unlock["verdict"], "indeterminate", "{near_unlock:#}");
}

/// Android's download manager: the `android_downloads` fixture (a browser's
/// visible download of `report-2025.pdf`, a messaging app's hidden fetch of
/// `7f3c9e.jpg`) and the phone's tree holding both files, linked by path (the
/// rows carry no hash). The hidden fetch leans automatic, the visible download
/// weakly towards a person; neither is decisive alone.
#[test]
fn android_download_manager_visibility_weighs_each_download() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    std::fs::create_dir_all(root.join("evidence")).expect("mkdir");
    let script = waybill_testkit::fixture("android_downloads", "browser_messenger_hidden_and_app_completed.sql");
    waybill_testkit::build_sqlite(&script, &root.join("evidence/downloads.db"));
    let report = b"synthetic benign report: quarterly figures placeholder\n".repeat(30);
    let image = b"synthetic benign image bytes: a chat picture placeholder\n".repeat(30);
    // Written a second before each row's lastmod (02:10:07.123Z and 02:11:00.500Z).
    write(&root.join("tree/Download/report-2025.pdf"), &report, 1_767_406_206);
    write(&root.join("tree/Android/data/com.example.messenger/files/media/7f3c9e.jpg"), &image, 1_767_406_259);
    std::fs::write(root.join("set.txt"), format!("{}\n{}\n", hex(&sha256(&report)), hex(&sha256(&image))))
        .expect("set");
    waybill(root, &["case", "new", "case"]);
    waybill(root, &["ingest", "case", "evidence/downloads.db", "--device", "PHONE-1"]);
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "PHONE-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(root, "case");
    let visible = &f[&hex(&sha256(&report))];
    assert_eq!(rules(visible), ["download.visible_request"], "{visible:#}");
    // A complete row is the arrival: its last state change is the completion.
    assert_eq!(visible["arrival"]["kind"], "browser.download", "{visible:#}");
    assert_eq!(visible["arrival"]["ts"], "2026-01-03T02:10:07.123000Z", "{visible:#}");
    assert_eq!(visible["log10_lr"].as_f64(), Some(0.5), "{visible:#}");
    assert_eq!(visible["verdict"], "indeterminate", "{visible:#}");
    let hidden = &f[&hex(&sha256(&image))];
    assert_eq!(rules(hidden), ["download.background_request"], "{hidden:#}");
    assert_eq!(hidden["log10_lr"].as_f64(), Some(-1.0), "{hidden:#}");
    assert_eq!(hidden["verdict"], "indeterminate", "{hidden:#}");
    let events = hidden["evidence"][0]["events"].as_array().expect("events");
    assert_eq!(events[0]["record"], "downloads rowid 102", "{hidden:#}");
}

/// WhatsApp for iOS: a group image in `ChatStorage.sqlite` tied to the phone's
/// file by the media hash IPED reads from `ZVCARDNAME`, written 3 s after the
/// message. What an iOS media file's modification time records is not
/// documented, so the write is not read as the download's: no rule, LR 1, and
/// a gap naming the timing rules.
#[test]
fn whatsapp_ios_media_is_tied_by_hash_and_its_undocumented_file_time_is_a_gap() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let image = b"synthetic benign image bytes: an iOS group photo placeholder\n".repeat(30);
    let hash = base64::engine::general_purpose::STANDARD.encode(sha256(&image));
    // 789098400 Core Data seconds = 2026-01-03T02:00:00Z.
    let sql = format!(
        "CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZSESSIONTYPE INTEGER, ZCONTACTJID VARCHAR, ZPARTNERNAME VARCHAR);
CREATE TABLE ZWAGROUPMEMBER (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZMEMBERJID VARCHAR);
CREATE TABLE ZWAMEDIAITEM (Z_PK INTEGER PRIMARY KEY, ZFILESIZE INTEGER, ZMESSAGE INTEGER, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZVCARDNAME VARCHAR);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZISFROMME INTEGER, ZMESSAGETYPE INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEDATE TIMESTAMP, ZFROMJID VARCHAR, ZSTANZAID VARCHAR);
INSERT INTO ZWACHATSESSION VALUES (1, 1, '120363000000000001@g.us', 'Lunch club');
INSERT INTO ZWAGROUPMEMBER VALUES (1, 1, '15550002222@s.whatsapp.net');
INSERT INTO ZWAMEDIAITEM VALUES (1, {size}, 1, 'Media/120363000000000001@g.us/5/f/5f2c.jpg', NULL, '{hash}');
INSERT INTO ZWAMESSAGE VALUES (1, 0, 1, 1, 1, 1, 789098400.0, '120363000000000001@g.us', '3A7F00C1D2E3F4A5B601');
",
        size = image.len()
    );
    std::fs::write(root.join("chat.sql"), sql).expect("sql");
    std::fs::create_dir_all(root.join("evidence")).expect("mkdir");
    waybill_testkit::build_sqlite(&root.join("chat.sql"), &root.join("evidence/ChatStorage.sqlite"));
    // The copy in the phone's export keeps the file's own name elsewhere.
    write(&root.join("tree/Message/Media/120363000000000001@g.us/5/f/5f2c.jpg"), &image, 1_767_405_603);
    std::fs::write(root.join("set.txt"), format!("{}\n", hex(&sha256(&image)))).expect("set");
    waybill(root, &["case", "new", "case", "--subject", "device=IPHONE-1"]);
    let out = waybill(root, &["ingest", "case", "evidence/ChatStorage.sqlite", "--device", "IPHONE-1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"][0]["format"], "whatsapp.ios_chatstorage", "{v:#}");
    assert_eq!((&v["inputs"][0]["records"], &v["inputs"][0]["events"]), (&1.into(), &2.into()));
    waybill(root, &["ingest", "case", "--files", "tree", "--device", "IPHONE-1"]);
    waybill(root, &["match", "case", "--hashset", "set.txt"]);
    let f = findings(root, "case");
    let img = &f[&hex(&sha256(&image))];
    assert_eq!(img["arrival"]["kind"], "msg.media_fetched", "{img:#}");
    assert_eq!(img["arrival"]["ts"], "2026-01-03T02:00:00.000000Z");
    assert_eq!(img["arrival"]["record"], "ZWAMESSAGE rowid 1");
    assert!(rules(img).is_empty(), "{img:#}");
    assert_eq!(img["log10_lr"], 0.0);
    assert_eq!(img["verdict"], "indeterminate", "{img:#}");
    let gap = img["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .find(|g| {
            g["rule"] == "timing.media_fetched_at_receipt, timing.media_fetched_late"
                && g["needs"].as_str().is_some_and(|n| n.starts_with("what the media file's"))
        })
        .expect("timing gap");
    assert_eq!(
        gap["needs"],
        "what the media file's modification time records for whatsapp on ios: not documented, so the file written at 2026-01-03T02:00:03.000000Z is not read as the download's time",
        "{img:#}"
    );
}

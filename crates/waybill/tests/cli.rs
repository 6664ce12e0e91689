//! Tests of the `waybill` binary: each runs the real executable in its own temp
//! folder with a cleared environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use waybill_testkit::{file_state, fixture, fixture_dir, listing, materialize, real};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn waybill(dir: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_waybill"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("run waybill");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let r = waybill(dir, args);
    assert_eq!(r.code, 0, "waybill {args:?}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The one finding written for content `sha` (findings are per copy, named
/// `<sha256>-<copy key>.json`).
fn only_finding(dir: &Path, sha: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("findings folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{sha}-"))))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

/// A small evidence folder from the fixtures: two web logs, a Chrome History and a
/// bodyfile.
fn evidence(dir: &Path) -> PathBuf {
    let ev = dir.join("evidence");
    std::fs::create_dir_all(ev.join("web")).expect("mkdir");
    std::fs::create_dir_all(ev.join("laptop")).expect("mkdir");
    std::fs::copy(fixture("apache.access", "mixed_common_combined_vhost.log"), ev.join("web/access.log"))
        .expect("copy");
    std::fs::copy(fixture("caddy.access", "sec_fetch_prefetch.log"), ev.join("web/caddy.json")).expect("copy");
    std::fs::copy(
        materialize(&fixture("chrome.history", "v70_typed_search_click_download.sql")),
        ev.join("laptop/History"),
    )
    .expect("copy");
    std::fs::copy(fixture("tsk.bodyfile", "ntfs_names_and_bad_lines.body"), ev.join("laptop/fs.body")).expect("copy");
    std::fs::write(ev.join("laptop/notes.txt"), "not evidence of any known format\n").expect("write");
    ev
}

#[test]
fn case_new_ingest_sql_timeline() {
    let t = tempfile::tempdir().expect("temp");
    let ev = evidence(t.path());
    let out = ok(
        t.path(),
        &[
            "case",
            "new",
            "case",
            "--subject",
            "ip=203.0.113.7",
            "--subject",
            "account=alice@example.com",
            "--examiner",
            "E. Xaminer",
        ],
    );
    assert_eq!(out, "created case case (2 subjects, zone UTC)\n");
    let toml = std::fs::read_to_string(t.path().join("case/case.toml")).expect("case.toml");
    assert!(toml.contains("examiner = \"E. Xaminer\""), "{toml}");
    assert!(toml.contains("kind = \"ip\"") && toml.contains("value = \"203.0.113.7\""), "{toml}");

    let out = ok(t.path(), &["ingest", "case", s(&ev), "--device", "LAPTOP-1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with("I0001  chrome.history")
            && lines[0].contains("records         7  events         7  rejects       1"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("I0002  tsk.bodyfile")
            && lines[1].contains("records         9  events        21  rejects       2"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("skipped")
            && lines[2].contains("notes.txt")
            && lines[2].contains("text matching no known format"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("I0003  apache.access")
            && lines[3].contains("records         9  events         7  rejects       2"),
        "{out}"
    );
    assert!(lines[4].starts_with("I0004  caddy.access"), "{out}");

    let out = ok(
        t.path(),
        &["sql", "case", "SELECT format, count(*) AS n FROM events GROUP BY format ORDER BY format", "--format", "csv"],
    );
    assert_eq!(out, "format,n\napache.access,7\ncaddy.access,3\nchrome.history,7\ntsk.bodyfile,21\n");
    let out = ok(
        t.path(),
        &["sql", "case", "SELECT source, records, events, rejects FROM inputs ORDER BY source", "--format", "json"],
    );
    assert_eq!(out.lines().next(), Some(r#"{"source":"I0001","records":7,"events":7,"rejects":1}"#));
    let out = ok(
        t.path(),
        &["sql", "case", "SELECT source, record, code FROM rejects ORDER BY source, record", "--format", "csv"],
    );
    assert_eq!(
        out,
        "source,record,code\nI0001,visits rowid 6,value\nI0002,offset 813 line 9,malformed\nI0002,offset 852 line 10,value\nI0003,offset 874 line 8,malformed\nI0003,offset 917 line 9,malformed\nI0004,offset 2055 line 5,malformed\n"
    );
    let out = ok(
        t.path(),
        &["sql", "case", "SELECT ts, device, clock FROM events WHERE kind = 'browser.download' ORDER BY ts LIMIT 1"],
    );
    assert!(out.contains("2026-01-03T02:10:06.100000Z") && out.contains("LAPTOP-1"), "{out}");

    // The timeline around the download, in UTC, with file and record of each event.
    let out = ok(t.path(), &["timeline", "case", "--around", "2026-01-03T02:10:06Z", "--window", "3s"]);
    let expected = [
        "2026-01-03T02:10:04.000000Z  fs.created          C:/Users/alice/Downloads/report-2025.pdf  48213 B  [fs.body offset 30 line 2]",
        "2026-01-03T02:10:04.000000Z  browser.visit       https://files.example.com/reports/  transition LINK|CHAIN_START|CHAIN_END  referrer https://www.example.com/search?q=annual+report  [History visits rowid 2]",
    ];
    for e in expected {
        assert!(out.contains(e), "missing {e:?} in\n{out}");
    }
    let first_ts: Vec<&str> = out.lines().map(|l| &l[..27]).collect();
    let mut sorted = first_ts.clone();
    sorted.sort();
    assert_eq!(first_ts, sorted, "timeline is in time order");
    let n = out.lines().count();
    // 5 History events (2 visits, 2 download phases, 1 interrupted download) and 11
    // bodyfile times between 02:10:03 and 02:10:09.
    assert_eq!(n, 16, "{out}");
    let out = ok(t.path(), &["timeline", "case", "--where", "kind = 'http.request' AND purpose IS NOT NULL", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().expect("one line")).expect("json");
    assert_eq!(v["url"], "https://photos.example.com/album/43");
    assert_eq!(v["purpose"], "prefetch");
    assert_eq!(v["record"], "offset 828 line 2");
    assert!(v["input"].as_str().is_some_and(|i| i.ends_with("caddy.json")));

    // Re-ingesting the same evidence adds nothing.
    let out = ok(t.path(), &["ingest", "case", s(&ev), "--device", "LAPTOP-1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["ingested"], 0);
    assert_eq!(v["duplicates"], 4);
    let manifest = std::fs::read_to_string(t.path().join("case/manifest.jsonl")).expect("manifest");
    assert_eq!(manifest.lines().count(), 4);
    let custody = std::fs::read_to_string(t.path().join("case/custody.jsonl")).expect("custody");
    assert_eq!(custody.lines().count(), 3, "case new + two ingests");
}

/// A duplicate is the same content read with the same options: the same log
/// ingested again with the same `--tz` is reported as a duplicate (found
/// before parsing), with another `--tz` it is a new input whose local times
/// read differently.
#[test]
fn the_same_log_with_another_zone_is_a_new_input_not_a_duplicate() {
    let t = tempfile::tempdir().expect("temp");
    // WhatsApp's log without a header line: its local times need a zone.
    let log = "2026-01-03 10:00:01.250 LL_I W [4711:MediaDownload] MediaDownloadManager/queueDownload auto download Key[id=3EB0AA, from_me=false, remote_jid=120363000000000001@g.us], message.mediaHash=mcXlSTdp6/8NG9wtydDAtR++ko3/hEuyqyfkOIofRxc=\n";
    std::fs::write(t.path().join("whatsapp.log"), log).expect("log");
    ok(t.path(), &["case", "new", "case"]);
    let ingest = |tz: &str| {
        let out = ok(t.path(), &["ingest", "case", "whatsapp.log", "--device", "PHONE-1", "--tz", tz, "--json"]);
        serde_json::from_str::<serde_json::Value>(&out).expect("json")
    };
    let v = ingest("UTC");
    assert_eq!((v["ingested"].as_u64(), v["duplicates"].as_u64()), (Some(1), Some(0)), "{v}");
    let v = ingest("UTC");
    assert_eq!((v["ingested"].as_u64(), v["duplicates"].as_u64()), (Some(0), Some(1)), "{v}");
    assert_eq!(v["inputs"][0]["message"], "already ingested as I0001 with the same options");
    let v = ingest("+02:00");
    assert_eq!((v["ingested"].as_u64(), v["duplicates"].as_u64()), (Some(1), Some(0)), "{v}");
    assert_eq!(v["inputs"][0]["id"], "I0002");
    let manifest = std::fs::read_to_string(t.path().join("case/manifest.jsonl")).expect("manifest");
    let tz: Vec<String> = manifest
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("line")["tz"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(tz, ["UTC", "+02:00"]);
    let out = ok(t.path(), &["timeline", "case", "--json"]);
    let ts: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["ts"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ts, ["2026-01-03T08:00:01.250000Z", "2026-01-03T10:00:01.250000Z"]);
}

/// A database without a table its source reads when present is read all the
/// same, and the input says what is therefore not known, in the output and in
/// its manifest line.
#[test]
fn an_absent_optional_table_is_noted_on_the_input() {
    let t = tempfile::tempdir().expect("temp");
    let db = materialize(&fixture("chrome.history", "v16_linux_unix_epoch_legacy_downloads.sql"));
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", s(&db), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let want = serde_json::json!([
        "no table downloads_url_chains: downloads' redirect chains are not known",
        "no table keyword_search_terms: visits' search terms are not known",
        "no table visit_source: whether a visit was synced from another device, imported or made by an extension is not known"
    ]);
    assert_eq!(v["inputs"][0]["notes"], want, "{out}");
    let manifest = std::fs::read_to_string(t.path().join("case/manifest.jsonl")).expect("manifest");
    let line: serde_json::Value = serde_json::from_str(manifest.lines().next().expect("line")).expect("json");
    assert_eq!(line["notes"], want);
    // A current database has every table: no notes.
    let current = materialize(&fixture("chrome.history", "v70_typed_search_click_download.sql"));
    let out = ok(t.path(), &["ingest", "case", s(&current), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["inputs"][0].get("notes").is_none(), "{out}");
}

/// A memory budget that does not parse is an error naming it, never a
/// silent default.
#[test]
fn an_unparsable_memory_limit_is_an_error() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["case", "new", "case"]);
    let out = Command::new(env!("CARGO_BIN_EXE_waybill"))
        .args(["sql", "case", "SELECT count(*) FROM events"])
        .current_dir(t.path())
        .env_clear()
        .env("WAYBILL_MEMORY_LIMIT", "2GB")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("WAYBILL_MEMORY_LIMIT=\"2GB\": give a positive number of bytes"), "{err}");
}

#[test]
fn a_bad_input_is_one_line_naming_it_and_the_others_go_on() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["case", "new", "case"]);
    let db =
        std::fs::read(materialize(&fixture("chrome.history", "v70_typed_search_click_download.sql"))).expect("read");
    let cut = t.path().join("History-truncated");
    std::fs::write(&cut, &db[..db.len() / 3]).expect("write");
    let binary = t.path().join("blob.bin");
    std::fs::write(&binary, (0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>())
        .expect("write");
    let good = fixture("apache.access", "truncated_last_line.log");
    let r = waybill(t.path(), &["ingest", "case", s(&cut), s(&binary), s(&good)]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{}", r.stderr);
    assert!(errors[0].starts_with(&format!("error: {}: ", cut.display())), "{}", errors[0]);
    assert!(
        errors[1].starts_with(&format!("error: {}: format not recognised (binary content)", binary.display())),
        "{}",
        errors[1]
    );
    assert!(r.stdout.contains("I0001  apache.access"), "{}", r.stdout);

    // A forced wrong format on the same binary file.
    let r = waybill(t.path(), &["ingest", "case", s(&binary), "--format", "tsk.bodyfile"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no record could be read as tsk.bodyfile") && r.stderr.contains("wrong format?"),
        "{}",
        r.stderr
    );
    let r = waybill(t.path(), &["ingest", "case", s(&good), "--format", "no.such"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "error: unknown format \"no.such\"; see `waybill formats`\n");
}

#[test]
fn same_inputs_give_byte_identical_stores() {
    let t = tempfile::tempdir().expect("temp");
    let ev = evidence(t.path());
    let mut stores = Vec::new();
    for name in ["a", "b"] {
        ok(t.path(), &["case", "new", name]);
        ok(t.path(), &["ingest", name, s(&ev)]);
        let mut files = Vec::new();
        for sub in ["events", "rejects"] {
            let mut stack = vec![t.path().join(name).join(sub)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("list") {
                    let p = e.expect("entry").path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        let rel = p.strip_prefix(t.path().join(name)).expect("rel").to_owned();
                        files.push((rel, std::fs::read(&p).expect("read")));
                    }
                }
            }
        }
        files.sort();
        stores.push(files);
    }
    assert!(stores[0].len() >= 8, "{} files", stores[0].len());
    assert_eq!(stores[0], stores[1]);
    let q = "SELECT * FROM events ORDER BY ts, source, seq";
    assert_eq!(ok(t.path(), &["sql", "a", q, "--format", "csv"]), ok(t.path(), &["sql", "b", q, "--format", "csv"]));
}

#[test]
fn sqlite_with_wal_is_read_without_writing_beside_it() {
    let Some(p) = real("firefox/ff54_profile/places.sqlite") else { return };
    let t = tempfile::tempdir().expect("temp");
    let prof = t.path().join("profile");
    std::fs::create_dir(&prof).expect("mkdir");
    for f in ["places.sqlite", "places.sqlite-wal"] {
        std::fs::copy(p.with_file_name(f), prof.join(f)).expect("copy");
    }
    let before = (listing(&prof), file_state(&prof.join("places.sqlite")), file_state(&prof.join("places.sqlite-wal")));
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", s(&prof)]);
    assert!(out.contains("I0001  firefox.places") && out.contains("records        22"), "{out}");
    let after = (listing(&prof), file_state(&prof.join("places.sqlite")), file_state(&prof.join("places.sqlite-wal")));
    assert_eq!(before, after, "nothing written beside the evidence");
    let manifest = std::fs::read_to_string(t.path().join("case/manifest.jsonl")).expect("manifest");
    assert!(
        manifest.contains("\"role\":\"wal\"")
            && manifest.contains("ce8c826605df6d447eb685c576f0573879266686a10481e8b4514315e2b125a2"),
        "{manifest}"
    );
}

#[test]
fn formats_lists_every_source() {
    let t = tempfile::tempdir().expect("temp");
    let out = ok(t.path(), &["formats"]);
    for id in [
        "apache.access",
        "nginx.access",
        "w3c.extended",
        "aws.elb",
        "caddy.access",
        "chrome.history",
        "firefox.places",
        "firefox.downloads",
        "firefox.downloads_json",
        "safari.history",
        "tsk.bodyfile",
        "windows.zone_identifier",
        "macos.quarantine",
    ] {
        assert!(out.lines().any(|l| l.starts_with(id)), "{id} missing from\n{out}");
    }
    let json = ok(t.path(), &["formats", "--json"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().expect("line")).expect("json");
    assert_eq!(first["id"], "nginx.access");
    assert_eq!(first["input"], "text");
}

#[test]
fn log_format_and_tz_options() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["case", "new", "case", "--tz", "Europe/Berlin"]);
    let f = fixture("apache.access", "strftime_local_time.log");
    let out =
        ok(t.path(), &["ingest", "case", s(&f), "--log-format", r#"apache:%h [%{%Y-%m-%d %H:%M:%S}t] "%r" %>s %b"#]);
    assert!(out.contains("records         4  events         3  rejects       1"), "{out}");
    let out =
        ok(t.path(), &["sql", "case", "SELECT ts, tz_assumed FROM events ORDER BY ts LIMIT 1", "--format", "csv"]);
    assert_eq!(out, "ts,tz_assumed\n2026-03-29T00:59:59.000000Z,Europe/Berlin\n");
    let r = waybill(t.path(), &["ingest", "case", s(&f), "--log-format", "lighttpd:%h"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("log format must start with apache: or nginx:"), "{}", r.stderr);
    let r = waybill(t.path(), &["case", "new", "other", "--tz", "Mars/Base"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown time zone \"Mars/Base\""), "{}", r.stderr);
    assert!(fixture_dir("apache.access").is_dir());
}

#[test]
fn files_hash_and_match() {
    let t = tempfile::tempdir().expect("temp");
    let tree = t.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).expect("mkdir");
    std::fs::write(tree.join("sub/a.txt"), "hello world\n").expect("write");
    std::fs::write(tree.join("b.txt"), "hello world").expect("write");
    std::fs::write(tree.join("copy-of-b.txt"), "hello world").expect("write");
    let have_image = real("images/pdq/bridge-1-original.jpg")
        .map(|p| std::fs::copy(p, tree.join("bridge.jpg")).expect("copy"))
        .is_some();
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", "--files", s(&tree), "--device", "PHONE-1"]);
    let n = 3 + u64::from(have_image);
    assert!(out.starts_with("I0001  files.tree") && out.contains(&format!("records {n:>9}")), "{out}");

    let out = ok(t.path(), &["hash", "--json", s(&tree.join("b.txt"))]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    for (k, want) in [
        ("size", serde_json::json!(11)),
        ("md5", "5eb63bbbe01eeed093cb22bb8f5acdc3".into()),
        ("sha1", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed".into()),
        ("sha256", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9".into()),
        ("dropbox_content_hash", "bc62d4b80d9e36da29c16c5d4d9f11731f36052c72401a76c23c0fb5a9b74423".into()),
        ("quickxorhash", "aCgDG9jwBhDc4Q1yawMZAAAAAAA=".into()),
        ("s3_etag", "5eb63bbbe01eeed093cb22bb8f5acdc3".into()),
        ("whatsapp_hash", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=".into()),
    ] {
        assert_eq!(v[k], want, "{k}");
    }
    assert!(v.get("pdq").is_none(), "no PDQ for text");
    let r = waybill(t.path(), &["hash", s(&tree.join("missing.bin")), s(&tree.join("b.txt"))]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: ") && r.stderr.contains("missing.bin"), "{}", r.stderr);

    // A plain set (an MD5 in upper case, a line that is not a hash) and a PDQ list.
    std::fs::write(
        t.path().join("known.txt"),
        "# reference hash set\n5EB63BBBE01EEED093CB22BB8F5ACDC3  b.txt\nnot-a-hash\n",
    )
    .expect("write");
    std::fs::write(
        t.path().join("images.pdq"),
        "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b2d,100\n",
    )
    .expect("write");
    let out = ok(t.path(), &["match", "case", "--hashset", "known.txt", "--hashset", "images.pdq"]);
    assert!(out.contains("known.txt  (plain)  records 2  entries 1  rejects 1  files matched 1"), "{out}");
    assert!(out.contains("reject line 3: \"not-a-hash\" is not a hexadecimal hash"), "{out}");
    let fois = 1 + u64::from(have_image);
    assert!(out.contains(&format!("files of interest: {fois} ({fois} rows in table interest, {fois} new)")), "{out}");
    let out = ok(
        t.path(),
        &[
            "sql",
            "case",
            "SELECT i.set, i.by, i.distance, f.paths FROM interest i JOIN files f ON f.sha256 = i.sha256 ORDER BY i.set",
            "--format",
            "json",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    if have_image {
        assert_eq!(lines[0], r#"{"set":"images.pdq","by":"pdq","distance":4,"paths":["bridge.jpg"]}"#);
    }
    assert_eq!(
        lines.last().copied(),
        Some(r#"{"set":"known.txt","by":"md5","distance":0,"paths":["b.txt","copy-of-b.txt"]}"#)
    );
    // Re-running adds no duplicates.
    let out = ok(t.path(), &["match", "case", "--hashset", "known.txt", "--hashset", "images.pdq", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["interest_rows_added"], 0);
    assert_eq!(v["interest_rows"], fois);
}

/// End to end: a file tree, its Mark of the Web and the web server's log with
/// Fetch Metadata; `match` makes the file a file of interest and `analyze`
/// writes its finding.
#[test]
fn analyze_click_download_with_mark_of_the_web() {
    let t = tempfile::tempdir().expect("temp");
    let ev = t.path().join("evidence");
    for d in ["tree/Downloads", "markers/Downloads", "web"] {
        std::fs::create_dir_all(ev.join(d)).expect("mkdir");
    }
    let body = "annual report, synthetic benign text\n";
    std::fs::write(ev.join("tree/Downloads/annual.pdf"), body).expect("write");
    // The download finished at 02:10:07 (its modification time); the creation
    // time is when the tree was exported, later.
    let done = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_406_207);
    std::fs::File::options()
        .write(true)
        .open(ev.join("tree/Downloads/annual.pdf"))
        .and_then(|f| f.set_modified(done))
        .expect("set mtime");
    std::fs::write(ev.join("tree/Downloads/other.txt"), "unrelated\n").expect("write");
    std::fs::write(
        ev.join("markers/Downloads/annual.pdf:Zone.Identifier"),
        "[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://files.example.com/reports/\r\nHostUrl=https://files.example.com/reports/annual.pdf\r\n",
    )
    .expect("write");
    std::fs::write(
        ev.join("web/access.log"),
        concat!(
            "203.0.113.7 - - [03/Jan/2026:02:09:58 +0000] \"GET /reports/ HTTP/1.1\" 200 2048 \"https://www.example.com/search?q=annual+report\" \"Mozilla/5.0 Chrome/120.0\" \"?1\" \"navigate\" \"cross-site\" \"document\" \"-\"\n",
            "203.0.113.7 - - [03/Jan/2026:02:10:05 +0000] \"GET /reports/annual.pdf HTTP/1.1\" 200 37 \"https://files.example.com/reports/\" \"Mozilla/5.0 Chrome/120.0\" \"?1\" \"navigate\" \"same-origin\" \"document\" \"-\"\n",
            "198.51.100.9 - - [03/Jan/2026:02:11:00 +0000] \"GET /reports/logo.png HTTP/1.1\" 200 512 \"https://files.example.com/reports/\" \"Mozilla/5.0 Firefox/128.0\" \"-\" \"no-cors\" \"same-origin\" \"image\" \"-\"\n",
        ),
    )
    .expect("write");
    let sha = "2c5f0ba9b6b4b3a2bd5ec6edd1de7eba8e0a3e0bf63ad3d0b2cf4e3c1bb34dd9";
    let hash_out = ok(t.path(), &["hash", "--json", s(&ev.join("tree/Downloads/annual.pdf"))]);
    let actual: serde_json::Value = serde_json::from_str(hash_out.trim()).expect("json");
    let sha = actual["sha256"].as_str().map_or_else(|| sha.to_owned(), str::to_owned);
    std::fs::write(t.path().join("set.txt"), format!("# reference hash set\n{sha}\n")).expect("write");

    ok(t.path(), &["case", "new", "case", "--subject", "ip=203.0.113.7"]);
    let spec = "apache:%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{Sec-Fetch-User}i\" \"%{Sec-Fetch-Mode}i\" \"%{Sec-Fetch-Site}i\" \"%{Sec-Fetch-Dest}i\" \"%{Sec-Purpose}i\"";
    ok(t.path(), &["ingest", "case", s(&ev.join("web")), "--log-format", spec]);
    ok(t.path(), &["ingest", "case", s(&ev.join("markers")), "--device", "laptop"]);
    ok(t.path(), &["ingest", "case", "--files", s(&ev.join("tree")), "--device", "laptop"]);
    ok(t.path(), &["match", "case", "--hashset", "set.txt"]);

    let out = ok(t.path(), &["analyze", "case"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    // The request came from the subject's address, but nothing ties its
    // User-Agent to the laptop: another device behind the address cannot be
    // excluded, so the request's rule counts widened and cannot decide.
    assert_eq!(
        out.trim(),
        "Downloads/annual.pdf  laptop  2026-01-03T02:10:07.000000Z  indeterminate   log10 LR +2.00 [+0.55, +2.80]  moderately strong support for Hp over Hd"
    );
    let path = only_finding(&t.path().join("case/findings"), &sha);
    let first = std::fs::read(&path).expect("finding written");
    let f: serde_json::Value = serde_json::from_slice(&first).expect("finding json");
    assert_eq!(f["schema"], "waybill.finding/2");
    assert_eq!(f["copy"]["device"], "laptop");
    assert_eq!(f["copy"]["path"], "Downloads/annual.pdf");
    assert_eq!(f["attribution"][0]["who"], "subject");
    assert_eq!(f["attribution"][0]["weak"], true);
    assert!(f["propositions"]["hd"].as_str().is_some_and(|h| h.contains("another person using the same address")));
    assert_eq!(f["file"]["paths"], serde_json::json!(["Downloads/annual.pdf"]));
    assert_eq!(f["file"]["matched"], serde_json::json!([{"set": "set.txt", "by": "sha256", "distance": 0}]));
    let rules: Vec<&str> =
        f["evidence"].as_array().expect("evidence").iter().filter_map(|e| e["rule"].as_str()).collect();
    assert_eq!(rules, ["fetch.user_activation", "origin.zone_identifier_referrer"]);
    let fetch = &f["evidence"][0];
    assert_eq!(fetch["events"], serde_json::json!([{"source": "I0001", "record": "offset 199 line 2"}]));
    let needs: Vec<&str> = f["gaps"].as_array().expect("gaps").iter().filter_map(|g| g["needs"].as_str()).collect();
    assert!(needs.contains(&"browser history of the subject's device covering the arrival"), "{needs:?}");
    assert!(!needs.iter().any(|n| n.starts_with("web server log")), "the server log is present: {needs:?}");
    assert_eq!(f["rulebook"].as_str().map(str::len), Some(64));
    let first_rulebook = f["rulebook"].clone();

    // Same inputs, same finding, byte for byte; --json gives one object per file.
    let out = ok(t.path(), &["analyze", "case", "--json", "--file", &sha]);
    assert_eq!(std::fs::read(&path).expect("finding"), first);
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("json line");
    assert_eq!((line["verdict"].as_str(), line["log10_lr"].as_f64()), (Some("indeterminate"), Some(2.0)));
    assert_eq!(line["id"].as_str(), path.file_stem().and_then(|s| s.to_str()));
    let custody = std::fs::read_to_string(t.path().join("case/custody.jsonl")).expect("custody");
    assert_eq!(custody.lines().filter(|l| l.contains("\"action\":\"analyze\"")).count(), 2);

    // --rulebook replaces the built-in rules: here one rule, with another value.
    let book = t.path().join("book/fetch");
    std::fs::create_dir_all(&book).expect("mkdir");
    let rule = std::fs::read_to_string(
        waybill_testkit::workspace_root().join("crates/waybill-reason/rulebook/fetch/fetch.user_activation.toml"),
    )
    .expect("rule")
    .replace("log10_lr = 1.3\nrange = [0.5, 1.8]", "log10_lr = 2.0\nrange = [1.5, 2.5]");
    assert!(rule.contains("log10_lr = 2.0"));
    std::fs::write(book.join("fetch.user_activation.toml"), rule).expect("write");
    let out = ok(t.path(), &["analyze", "case", "--json", "--rulebook", "book"]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("json line");
    // The book holds this one rule: its new value counts alone, its range
    // widened at the end nearest zero (the request is the subject's by
    // address only).
    assert_eq!(line["log10_lr"].as_f64(), Some(2.0));
    assert_eq!(line["log10_lr_range"], serde_json::json!([0.75, 2.5]));
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("finding")).expect("json");
    assert_eq!(f["evidence"].as_array().map(Vec::len), Some(1));
    assert_ne!(f["rulebook"], first_rulebook);
    std::fs::write(book.join("fetch.user_activation.toml"), "id = 1\n").expect("write");
    let r = waybill(t.path(), &["analyze", "case", "--rulebook", "book"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("rule file fetch/fetch.user_activation.toml"), "{}", r.stderr);
}

/// A Chrome History (built with the real v70 schema) whose download row carries
/// the SHA-256 of a file in the tree: a typed search, a click to the file
/// host's page, a download 2.1 s after that page loaded that the host sent on
/// to its CDN, opened afterwards; no server log and no origin marker. A start
/// that quick is what a page's own script also leaves, so neither the download
/// record with its tab nor the search before (which led to the page, not to
/// the file) counts; the CDN hop is not a third site, so nothing points to a
/// page either. The finding weighs nothing and says which sources would
/// decide it.
#[test]
fn analyze_chrome_search_then_download_without_server_log() {
    let t = tempfile::tempdir().expect("temp");
    let tree = t.path().join("tree/home/alice/Downloads");
    std::fs::create_dir_all(&tree).expect("mkdir");
    std::fs::write(tree.join("report-2025.pdf"), "synthetic benign report text\n").expect("write");
    let hash_out = ok(t.path(), &["hash", "--json", s(&tree.join("report-2025.pdf"))]);
    let v: serde_json::Value = serde_json::from_str(hash_out.trim()).expect("json");
    let sha = v["sha256"].as_str().expect("sha256").to_owned();
    let script = std::fs::read_to_string(fixture("chrome.history", "v70_typed_search_click_download.sql"))
        .expect("fixture")
        .replace(&format!("X'{}'", "0a".repeat(32)), &format!("X'{sha}'"));
    assert!(script.contains(&sha));
    std::fs::create_dir_all(t.path().join("laptop")).expect("mkdir");
    std::fs::write(t.path().join("History.sql"), script).expect("write");
    waybill_testkit::build_sqlite(&t.path().join("History.sql"), &t.path().join("laptop/History"));
    std::fs::write(t.path().join("set.txt"), format!("{sha}\n")).expect("write");

    ok(t.path(), &["case", "new", "case"]);
    ok(t.path(), &["ingest", "case", "laptop", "--device", "laptop"]);
    ok(t.path(), &["ingest", "case", "--files", "tree", "--device", "laptop"]);
    ok(t.path(), &["match", "case", "--hashset", "set.txt"]);
    let out = ok(t.path(), &["analyze", "case"]);
    assert_eq!(
        out.trim(),
        "home/alice/Downloads/report-2025.pdf  laptop  2026-01-03T02:10:07.900000Z  indeterminate   log10 LR +0.00 [+0.00, +0.00]  no meaningful support for either proposition"
    );
    let f: serde_json::Value =
        serde_json::from_slice(&std::fs::read(only_finding(&t.path().join("case/findings"), &sha)).expect("finding"))
            .expect("json");
    assert_eq!(f["arrival"]["what"], "download complete");
    assert_eq!(f["arrival"]["record"], "downloads rowid 1");
    assert_eq!(f["evidence"], serde_json::json!([]));
    assert_eq!(f["after_arrival"][0]["ts"], "2026-01-03T02:11:01.000000Z");
    assert_eq!(f["after_arrival"][0]["summary"], "opened from the browser's download list");
    let needs: Vec<&str> = f["gaps"].as_array().expect("gaps").iter().filter_map(|g| g["needs"].as_str()).collect();
    assert!(
        needs.contains(
            &"web server or CDN log of the file's host, from the subject's address, with Sec-Fetch-* and Sec-Purpose fields"
        ),
        "{needs:?}"
    );
    assert!(needs.contains(&"Zone.Identifier streams exported with the file tree"), "{needs:?}");
    // The history is present and covers the arrival: the transition rules were
    // evaluated (nothing linked by URL), not reported as gaps.
    assert!(!needs.contains(&"browser history of the subject's device covering the arrival"), "{needs:?}");
}

/// Visit provenance through the CLI, on the real v70 History schema: a typed
/// visit to the download's own URL is this device's act and counts; the same
/// visit written by Chrome sync from another device (`visit_source` 0,
/// `originator_cache_guid`) is not, and the chain says why.
#[test]
fn a_synced_typed_visit_to_the_file_is_not_the_devices_act() {
    let run = |synced: bool| -> serde_json::Value {
        let t = tempfile::tempdir().expect("temp");
        let tree = t.path().join("tree/home/alice/Downloads");
        std::fs::create_dir_all(&tree).expect("mkdir");
        std::fs::write(tree.join("report-2025.pdf"), "synthetic benign report text\n").expect("write");
        let hash_out = ok(t.path(), &["hash", "--json", s(&tree.join("report-2025.pdf"))]);
        let v: serde_json::Value = serde_json::from_str(hash_out.trim()).expect("json");
        let sha = v["sha256"].as_str().expect("sha256").to_owned();
        // A typed visit to the download's first URL 0.6 s before it started.
        let guid = if synced { "AbCdEf==" } else { "" };
        let mut extra = format!(
            "INSERT INTO urls VALUES(20,'https://files.example.com/get?id=7','',1,1,13411879805500000,0);\n\
             INSERT INTO visits VALUES(20,20,13411879805500000,0,'',805306369,NULL,0,0,0,'{guid}',0,0,0,0,0,0,'');\n"
        );
        if synced {
            extra.push_str("INSERT INTO visit_source VALUES(20,0);\n");
        }
        let script = std::fs::read_to_string(fixture("chrome.history", "v70_typed_search_click_download.sql"))
            .expect("fixture")
            .replace(&format!("X'{}'", "0a".repeat(32)), &format!("X'{sha}'"))
            + &extra;
        std::fs::create_dir_all(t.path().join("laptop")).expect("mkdir");
        std::fs::write(t.path().join("History.sql"), script).expect("write");
        waybill_testkit::build_sqlite(&t.path().join("History.sql"), &t.path().join("laptop/History"));
        std::fs::write(t.path().join("set.txt"), format!("{sha}\n")).expect("write");
        ok(t.path(), &["case", "new", "case"]);
        ok(t.path(), &["ingest", "case", "laptop", "--device", "laptop"]);
        ok(t.path(), &["ingest", "case", "--files", "tree", "--device", "laptop"]);
        ok(t.path(), &["match", "case", "--hashset", "set.txt"]);
        ok(t.path(), &["analyze", "case"]);
        serde_json::from_slice(&std::fs::read(only_finding(&t.path().join("case/findings"), &sha)).expect("finding"))
            .expect("json")
    };
    let rules = |f: &serde_json::Value| -> Vec<String> {
        f["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .filter_map(|e| e["rule"].as_str().map(str::to_owned))
            .collect()
    };
    let own = run(false);
    assert!(rules(&own).contains(&"transition.typed".to_owned()), "{own:#}");
    let synced = run(true);
    assert!(!rules(&synced).contains(&"transition.typed".to_owned()), "{synced:#}");
    let visit = synced["chain"]
        .as_array()
        .expect("chain")
        .iter()
        .find(|c| c["kind"] == "browser.visit" && c["summary"].as_str().is_some_and(|s| s.contains("get?id=7")))
        .expect("the synced visit in the chain");
    assert!(visit["summary"].as_str().is_some_and(|s| s.contains("synced from another device")), "{visit}");
}

/// The same History with the file host's log: the page and the download's
/// first hop from the subject's address by the laptop's Chrome (the pairs
/// teach its User-Agent), and the same link from the same address by an
/// iPhone 21 minutes later. The first is the subject's act, the second another
/// device's; bounded to a later month, the address makes neither the subject's.
#[test]
fn attribution_learns_the_devices_browser_and_bounds_the_address_in_time() {
    let t = tempfile::tempdir().expect("temp");
    let tree = t.path().join("tree/home/alice/Downloads");
    std::fs::create_dir_all(&tree).expect("mkdir");
    std::fs::write(tree.join("report-2025.pdf"), "synthetic benign report text\n").expect("write");
    let hash_out = ok(t.path(), &["hash", "--json", s(&tree.join("report-2025.pdf"))]);
    let v: serde_json::Value = serde_json::from_str(hash_out.trim()).expect("json");
    let sha = v["sha256"].as_str().expect("sha256").to_owned();
    let script = std::fs::read_to_string(fixture("chrome.history", "v70_typed_search_click_download.sql"))
        .expect("fixture")
        .replace(&format!("X'{}'", "0a".repeat(32)), &format!("X'{sha}'"));
    std::fs::create_dir_all(t.path().join("laptop")).expect("mkdir");
    std::fs::write(t.path().join("History.sql"), script).expect("write");
    waybill_testkit::build_sqlite(&t.path().join("History.sql"), &t.path().join("laptop/History"));
    std::fs::write(t.path().join("set.txt"), format!("{sha}\n")).expect("write");
    std::fs::create_dir_all(t.path().join("web")).expect("mkdir");
    let chrome =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    std::fs::write(
        t.path().join("web/access.log"),
        format!(
            "203.0.113.7 - - [03/Jan/2026:02:10:04 +0000] \"GET /reports/ HTTP/1.1\" 200 2048 \"https://www.example.com/search?q=annual+report\" \"{chrome}\" \"?1\" \"navigate\" \"cross-site\" \"document\" \"-\"\n\
             203.0.113.7 - - [03/Jan/2026:02:10:06 +0000] \"GET /get?id=7 HTTP/1.1\" 302 0 \"https://files.example.com/reports/\" \"{chrome}\" \"?1\" \"navigate\" \"same-origin\" \"document\" \"-\"\n\
             203.0.113.7 - - [03/Jan/2026:02:31:00 +0000] \"GET /get?id=7 HTTP/1.1\" 302 0 \"-\" \"{iphone}\" \"-\" \"-\" \"-\" \"-\" \"-\"\n"
        ),
    )
    .expect("write");
    let spec = "apache:%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{Sec-Fetch-User}i\" \"%{Sec-Fetch-Mode}i\" \"%{Sec-Fetch-Site}i\" \"%{Sec-Fetch-Dest}i\" \"%{Sec-Purpose}i\"";
    let run = |case: &str, subject: &str| -> serde_json::Value {
        ok(t.path(), &["case", "new", case, "--subject", subject]);
        ok(t.path(), &["ingest", case, "laptop", "--device", "laptop"]);
        ok(t.path(), &["ingest", case, "web", "--log-format", spec]);
        ok(t.path(), &["ingest", case, "--files", "tree", "--device", "laptop"]);
        ok(t.path(), &["match", case, "--hashset", "set.txt"]);
        ok(t.path(), &["analyze", case]);
        let path = only_finding(&t.path().join(case).join("findings"), &sha);
        serde_json::from_slice(&std::fs::read(path).expect("finding")).expect("json")
    };
    let roles = |f: &serde_json::Value| -> Vec<(String, String)> {
        f["chain"]
            .as_array()
            .expect("chain")
            .iter()
            .filter(|c| c["kind"] == "http.request")
            .map(|c| (c["ts"].as_str().unwrap_or("").to_owned(), c["role"].as_str().unwrap_or("").to_owned()))
            .collect()
    };

    let f = run("always", "ip=203.0.113.7");
    let who: Vec<(&str, bool)> = f["attribution"]
        .as_array()
        .expect("attribution")
        .iter()
        .map(|a| (a["who"].as_str().unwrap_or(""), a["weak"] == true))
        .collect();
    assert_eq!(who, [("subject", false), ("other", false)]);
    assert!(
        f["attribution"][0]["why"]
            .as_str()
            .is_some_and(|w| w.contains("fits laptop's browser (chrome 120 on linux (2 pairs))")),
        "{f:#}"
    );
    assert!(f["attribution"][1]["why"].as_str().is_some_and(|w| w.contains("safari 17 on ios does not fit")), "{f:#}");
    assert_eq!(f["clocks"][0]["pairs"], 2);
    assert_eq!(
        roles(&f),
        [
            ("2026-01-03T02:10:06.000000Z".to_owned(), "origin".to_owned()),
            ("2026-01-03T02:31:00.000000Z".to_owned(), "after".to_owned())
        ]
    );

    let f = run("later", "ip=203.0.113.7@2026-01-04T00:00:00Z..");
    let who: Vec<&str> =
        f["attribution"].as_array().expect("attribution").iter().map(|a| a["who"].as_str().unwrap_or("")).collect();
    assert_eq!(who, ["other", "other"]);
    assert!(
        f["attribution"][0]["why"].as_str().is_some_and(|w| w.contains("is not the subject's at that time")),
        "{f:#}"
    );
    assert_eq!(f["clocks"], serde_json::json!([]));
    assert_eq!(
        roles(&f),
        [
            ("2026-01-03T02:10:06.000000Z".to_owned(), "context".to_owned()),
            ("2026-01-03T02:31:00.000000Z".to_owned(), "after".to_owned())
        ]
    );
}

fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    walk(root)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).expect("under root").display().to_string();
            let bytes = std::fs::read(&p).expect("read");
            (rel, bytes)
        })
        .collect()
}

/// The sync scenario on a Windows laptop writes the laptop's Security log
/// (seed 1: 4624 ×3, 4634 ×2, 4800 ×4, 4801 ×4: a session for the day and,
/// since the scenario now locks the session before some syncs, more of them)
/// and every record becomes a session event.
#[test]
fn simulated_sync_writes_a_security_log_that_ingests_whole() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["simulate", "s", "--scenario", "shared-folder-sync", "--seed", "1", "--files", "4"]);
    let log = t.path().join("s/evidence/LAPTOP-408/winevt/Security.evtx");
    assert!(std::fs::read(&log).expect("Security.evtx").starts_with(b"ElfFile\0"));
    ok(t.path(), &["case", "new", "c"]);
    let out = ok(t.path(), &["ingest", "c", "s/evidence/LAPTOP-408/winevt", "--device", "LAPTOP-408", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let input = &v["inputs"][0];
    assert_eq!(
        (input["format"].as_str(), input["records"].as_u64(), input["events"].as_u64(), input["rejects"].as_u64()),
        (Some("windows.evtx"), Some(13), Some(13), Some(0))
    );
    let kinds = ok(
        t.path(),
        &["sql", "c", "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind", "--format", "csv"],
    );
    assert_eq!(kinds, "kind,n\nsession.lock,4\nsession.logoff,2\nsession.logon,3\nsession.unlock,4\n");
}

#[test]
fn simulate_lists_scenarios_and_is_deterministic() {
    let t = tempfile::tempdir().expect("temp");
    let list = ok(t.path(), &["simulate", "--list"]);
    let names: Vec<&str> = list.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(
        names,
        [
            "search-download",
            "typed-download",
            "repeated-download",
            "link-prefetch",
            "embedded-image",
            "redirect-landing",
            "messaging-group-auto",
            "messaging-tap",
            "shared-folder-sync",
            "housemate-same-address",
            "synced-visit",
            "own-upload-sync",
            "popunder-download",
            "lightbox-click",
            "pinned-folder-sync",
            "placeholder-opened",
            "settings-after-fetch",
            "whatsapp-default",
            "whatsapp-restore",
            "telegram-tap",
            "telegram-auto",
            "auto-then-opened",
            "auto-then-downloaded",
            "no-server-log",
            "history-cleared",
            "mixed"
        ]
    );
    let out = ok(t.path(), &["simulate", "a", "--seed", "42", "--noise", "500"]);
    assert!(out.starts_with("wrote a ("), "{out}");
    assert!(out.contains("24 copies of 22 files of interest)"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("  ")).count(), 24, "{out}");
    ok(t.path(), &["simulate", "b", "--seed", "42", "--noise", "500"]);
    let (a, b) = (files_under(&t.path().join("a")), files_under(&t.path().join("b")));
    assert_eq!(a.iter().map(|(p, _)| p).collect::<Vec<_>>(), b.iter().map(|(p, _)| p).collect::<Vec<_>>());
    assert!(a == b, "same seed, same bytes");
    let names: Vec<&str> = a.iter().map(|(p, _)| p.as_str()).collect();
    for expected in ["bundle.json", "case.toml", "reference-hashes.txt", "truth.json"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert!(names.iter().any(|p| p.ends_with("/chrome/History")), "{names:?}");
    assert!(names.iter().any(|p| p.contains("/chrome/Cache/Cache_Data/") && p.ends_with("_0")), "{names:?}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("a/truth.json")).expect("truth")).expect("json");
    assert_eq!(truth["schema"], "waybill.truth/2");
    assert_eq!(truth["files"].as_array().map(Vec::len), Some(24));
    // Another seed, other bytes; a bundle folder is never written over.
    ok(t.path(), &["simulate", "c", "--seed", "43", "--noise", "500"]);
    assert!(files_under(&t.path().join("c")) != a);
    let r = waybill(t.path(), &["simulate", "a", "--seed", "1"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("exists and is not empty"), "{}", r.stderr);
    let r = waybill(t.path(), &["simulate", "d", "--scenario", "nope"]);
    assert!(r.stderr.contains("unknown scenario \"nope\""), "{}", r.stderr);
}

#[test]
fn demo_runs_the_whole_job_and_reruns_in_place() {
    let t = tempfile::tempdir().expect("temp");
    let out = ok(t.path(), &["demo", "d", "--noise", "2000"]);
    assert!(out.starts_with("simulated d/bundle ("), "{out}");
    assert!(out.contains("waybill case new … created case d/case (5 subjects, zone UTC)"), "{out}");
    assert!(out.contains("24 copies of 22 files of interest"), "{out}");
    assert!(out.contains("waybill match … files of interest: 22"), "{out}");
    // One table: each copy's finding beside its ground truth, and whether they agree.
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("findings and ground truth, one row per copy (waybill analyze"))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(table.len(), 24, "{out}");
    assert!(table.iter().all(|l| l.contains("log10 LR")), "{out}");
    assert!(table.iter().all(|l| l.ends_with("agrees") || l.ends_with("no decision")), "{out}");
    assert!(table.iter().any(|l| l.ends_with("agrees")), "{out}");
    assert!(!out.contains("CONTRADICTS"), "{out}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("d/bundle/truth.json")).expect("truth")).expect("json");
    let copies = truth["files"].as_array().expect("files");
    assert_eq!(copies.len(), 24);
    // Every copy has its finding, and no decisive verdict contradicts the truth.
    let mut matched = 0;
    for entry in std::fs::read_dir(t.path().join("d/case/findings")).expect("findings") {
        let finding: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.expect("entry").path()).expect("finding")).expect("json");
        let copy = &finding["copy"];
        // A file copy is located by its path, a cache entry by its URL.
        let at = if copy["kind"] == "cache_entry" { copy["url"].as_str() } else { copy["path"].as_str() };
        let truth = copies
            .iter()
            .find(|c| {
                c["sha256"] == finding["file"]["sha256"]
                    && c["device"] == copy["device"]
                    && c["location"].as_str() == at
            })
            .unwrap_or_else(|| panic!("no truth for {copy}"));
        let verdict = finding["verdict"].as_str().expect("verdict");
        assert!(verdict == "indeterminate" || verdict == truth["truth"], "{copy}: {verdict} vs {}", truth["truth"]);
        matched += 1;
    }
    assert_eq!(matched, 24);
    // A rerun replaces the earlier demo; a folder holding anything else is refused.
    ok(t.path(), &["demo", "d", "--noise", "2000"]);
    std::fs::write(t.path().join("d/notes.txt"), "mine\n").expect("write");
    let r = waybill(t.path(), &["demo", "d"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("holds more than an earlier demo"), "{}", r.stderr);
    assert!(t.path().join("d/notes.txt").exists());
}

/// An outside tool: `$ENV`, else on `PATH`, else `fallback`. Under `CI=true`
/// a missing tool fails the test; otherwise the check is skipped with a notice.
fn outside_tool(env: &str, names: &[&str], fallback: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).map(PathBuf::from).filter(|p| p.exists()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            if dir.join(n).is_file() {
                return Some(dir.join(n));
            }
        }
    }
    if let Some(f) = fallback.filter(|p| p.exists()) {
        return Some(f);
    }
    assert!(!waybill_testkit::in_ci(), "{} is required under CI=true (set {env})", names[0]);
    eprintln!("notice: {} not found (set {env}); skipping that check", names[0]);
    None
}

#[test]
fn report_writes_html_json_case_and_timesketch() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["demo", "d", "--noise", "3000"]);
    let rep = t.path().join("d/case/report");
    for f in ["report.html", "report.json", "case.jsonld", "timeline.jsonl"] {
        assert!(rep.join(f).is_file(), "{f} written by the demo");
    }
    let out = ok(t.path(), &["report", "d/case", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["findings"], 24);
    assert_eq!(doc["outputs"].as_array().map(Vec::len), Some(4));
    assert_eq!(doc["integrity_root"].as_str().map(str::len), Some(64));

    // report.json: the case, the propositions and every finding (one per copy)
    // in waybill.finding/2.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rep.join("report.json")).expect("read")).expect("json");
    assert_eq!(json["schema"], "waybill.report/2");
    assert!(json["propositions"]["hp"].as_str().is_some_and(|h| h.starts_with("the subject, by their own act")));
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 24);
    assert!(findings.iter().all(|f| f["schema"] == "waybill.finding/2"));
    assert_eq!(json["case"]["subjects"].as_array().map(Vec::len), Some(5));
    let one = std::fs::read_to_string(
        t.path().join(format!("d/case/findings/{}.json", findings[0]["id"].as_str().expect("id"))),
    )
    .expect("finding file");
    let parsed: serde_json::Value = serde_json::from_str(&one).expect("finding json");
    assert_eq!(parsed, findings[0], "report.json carries the findings as written");

    // HTML: self-contained, and nothing of any file of interest's content.
    let html = std::fs::read_to_string(rep.join("report.html")).expect("html");
    for banned in ["data:", "<img", "<link", "<iframe", "src=\"http", "src='http", "@import", "url("] {
        assert!(!html.contains(banned), "report.html contains {banned:?}");
    }
    assert!(html.contains("Content-Security-Policy"));
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("d/bundle/truth.json")).expect("truth")).expect("json");
    let tree = t.path().join("d/bundle/evidence");
    let mut checked = 0;
    for f in truth["files"].as_array().expect("files") {
        let sha = f["sha256"].as_str().expect("sha");
        assert!(html.contains(sha), "the report names {sha}");
        // The content of every file of interest (from the tree or the cache) never appears.
        for e in walk(&tree) {
            let bytes = std::fs::read(&e).expect("read");
            if waybill_testkit::sha256_hex(&bytes) == sha && bytes.len() >= 48 {
                let probe = String::from_utf8_lossy(&bytes[bytes.len() / 2..bytes.len() / 2 + 24]).into_owned();
                assert!(!html.contains(&probe), "content of {sha} in report.html");
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "content probes of files in the tree: {checked}");

    // Timesketch: every event, linked ones tagged; --only-linked keeps those.
    let lines = std::fs::read_to_string(rep.join("timeline.jsonl")).expect("timeline");
    let total = ok(t.path(), &["sql", "d/case", "SELECT count(*) AS n FROM events", "--format", "csv"]);
    let n: usize = total.lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("count");
    assert_eq!(lines.lines().count(), n);
    let mut tagged = 0;
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("jsonl");
        assert!(v["message"].is_string() && v["datetime"].is_string() && v["timestamp_desc"].is_string(), "{l}");
        if v["tag"].as_array().is_some_and(|t| t.iter().any(|x| x == "waybill:linked")) {
            tagged += 1;
        }
    }
    assert!(tagged > 10, "{tagged} linked events");
    ok(t.path(), &["report", "d/case", "--format", "timesketch", "--only-linked", "--out", "linked"]);
    let linked = std::fs::read_to_string(t.path().join("linked/timeline.jsonl")).expect("linked");
    assert_eq!(linked.lines().count(), tagged);

    // CASE/UCO: the graph, and case_validate when present.
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rep.join("case.jsonld")).expect("read")).expect("json");
    let graph = case["@graph"].as_array().expect("graph");
    let typed = |ty: &str| {
        graph
            .iter()
            .filter(|n| n["@type"] == ty || n["@type"].as_array().is_some_and(|a| a.iter().any(|x| x == ty)))
            .count()
    };
    assert_eq!(typed("case-investigation:Investigation"), 1);
    assert_eq!(typed("uco-analysis:AnalyticResult"), 24);
    assert!(typed("uco-observable:ObservableAction") >= 10);
    let venv =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/waybill-peers/case-venv/bin/case_validate"));
    if let Some(validate) = outside_tool("WAYBILL_CASE_VALIDATE", &["case_validate"], venv) {
        let o = Command::new(validate).arg(rep.join("case.jsonld")).output().expect("run case_validate");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains("Conforms: True"),
            "{text}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    // Headless Chromium: the page runs without console errors and shows the verdicts.
    if let Some(chromium) = outside_tool("WAYBILL_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"], None) {
        let url = format!("file://{}", rep.join("report.html").display());
        let o = Command::new(chromium)
            .args([
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
                &url,
            ])
            .output()
            .expect("run chromium");
        let dom = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(dom.contains("24 of 24 findings (copies)"), "the overview was drawn:\n{}", &dom[..dom.len().min(2000)]);
        for f in findings {
            let v = f["verdict"].as_str().expect("verdict");
            assert!(dom.contains(&format!("class=\"v-{v}\">{v}</td>")), "verdict {v} shown");
        }
        assert!(dom.contains("Sensitivity range on the verbal scale"), "details drawn");
        // Far outliers (a modification time kept from the cloud weeks before,
        // file times of the export months after) are stubs at the edges with
        // their dates, not points that squeeze the chain.
        assert!(dom.contains("earlier event(s) as stubs at the left edge, from 2026-"), "left stubs drawn");
        assert!(dom.contains("later event(s) as stubs at the right edge, up to 2026-"), "right stubs drawn");
        let console: Vec<&str> = err.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
        assert!(console.is_empty(), "console messages: {console:?}");
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn verify_rederives_the_case_and_names_each_change() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["demo", "d", "--noise", "2000"]);
    let out = ok(t.path(), &["verify", "d/case"]);
    let last = out.lines().last().unwrap_or("");
    assert!(last.starts_with("verified: ") && last.ends_with(" inputs, chains intact, 0 difference(s)"), "{out}");
    assert!(!out.contains("DIFFERS"), "{out}");
    let inputs: usize =
        out.rsplit("verified: ").next().and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).expect("n");
    assert!(inputs > 10, "{out}");

    // The evidence moved: not reachable, then found below --evidence-root.
    // Nothing re-derived is not "verified": a status and exit code of its own.
    std::fs::rename(t.path().join("d/bundle"), t.path().join("moved")).expect("move");
    let r = waybill(t.path(), &["verify", "d/case"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("not reachable"), "{}", r.stdout);
    assert!(
        r.stdout.contains("partial  some evidence is not reachable: nothing was re-derived from it"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.lines().last().unwrap_or("").starts_with("PARTIAL (nothing differs"), "{}", r.stdout);
    let root = t.path().join("moved");
    let r = waybill(t.path(), &["verify", "d/case", "--evidence-root", s(&root), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        (r.code, &v["ok"], &v["status"]),
        (0, &serde_json::json!(true), &serde_json::json!("verified")),
        "{}",
        r.stdout
    );
    assert_eq!(v["notes"], serde_json::json!(["the evidence moved: findings compared without their `inputs` field"]));

    // A finding edited by hand.
    let findings = t.path().join("d/case/findings");
    let first =
        std::fs::read_dir(&findings).expect("findings").filter_map(Result::ok).map(|e| e.path()).min().expect("one");
    let text = std::fs::read_to_string(&first).expect("read");
    std::fs::write(
        &first,
        text.replacen("\"indeterminate\"", "\"user_initiated\"", 1).replacen("\"automatic\"", "\"user_initiated\"", 1),
    )
    .expect("write");
    let r = waybill(t.path(), &["verify", "d/case", "--evidence-root", s(&root)]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let name = first.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(r.stdout.contains(&format!("DIFFERS  findings/{name}: differs from its re-derivation")), "{}", r.stdout);
    std::fs::write(&first, text).expect("restore");

    // A server log changed after ingest: its hash and its events.
    let log = walk(&root).into_iter().find(|p| p.ends_with("access.log")).expect("a log");
    let mut bytes = std::fs::read(&log).expect("read");
    bytes.extend_from_slice(
        b"198.51.100.9 - - [05/Jan/2026:08:00:00 +0000] \"GET /x HTTP/1.1\" 200 1 \"-\" \"curl/8.5.0\"\n",
    );
    std::fs::write(&log, &bytes).expect("write");
    let r = waybill(t.path(), &["verify", "d/case", "--evidence-root", s(&root)]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("SHA-256 is"), "{}", r.stdout);
    assert!(r.stdout.contains("re-ingest gave"), "{}", r.stdout);

    // The custody log edited: the chain breaks.
    let custody = t.path().join("d/case/custody.jsonl");
    let c = std::fs::read_to_string(&custody).expect("read");
    std::fs::write(&custody, c.replacen("\"action\":\"match\"", "\"action\":\"match \"", 1)).expect("write");
    let r = waybill(t.path(), &["verify", "d/case", "--evidence-root", s(&root)]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("DIFFERS  custody.jsonl line"), "{}", r.stdout);
}

/// `verify` replays the custody log in order with each command's options: a
/// case built by ingest, match, more ingest (a file tree), analyze (the match
/// ran before the files were there), and one
/// built by match then `analyze --file` of one file, both verify; a byte
/// changed in a finding of either is named.
#[test]
fn verify_replays_cases_built_in_any_order() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let history = materialize(&fixture("chrome.history", "v70_typed_search_click_download.sql"));
    let body = b"synthetic benign report body for the verify workflow test\n".repeat(20);
    std::fs::create_dir_all(root.join("tree/Downloads")).expect("mkdir");
    std::fs::write(root.join("tree/Downloads/report.pdf"), &body).expect("file");
    let other = b"another synthetic benign file\n".repeat(10);
    std::fs::write(root.join("tree/Downloads/other.txt"), &other).expect("file");
    use sha2::Digest as _;
    let hex = |b: &[u8]| sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect::<String>();
    std::fs::write(root.join("set.txt"), format!("{}\n{}\n", hex(&body), hex(&other))).expect("set");

    // ingest, match, ingest --files, analyze.
    ok(root, &["case", "new", "a"]);
    ok(root, &["ingest", "a", s(&history), "--device", "LAPTOP-1"]);
    ok(root, &["match", "a", "--hashset", "set.txt"]);
    ok(root, &["ingest", "a", "--files", "tree", "--device", "LAPTOP-1"]);
    ok(root, &["analyze", "a"]);
    let r = waybill(root, &["verify", "a"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.lines().last().unwrap_or("").starts_with("verified: 2 inputs"), "{}", r.stdout);

    // match, then analyze --file of one file.
    ok(root, &["case", "new", "b"]);
    ok(root, &["ingest", "b", "--files", "tree", "--device", "LAPTOP-1"]);
    ok(root, &["match", "b", "--hashset", "set.txt"]);
    ok(root, &["analyze", "b", "--file", &hex(&body)]);
    let findings: Vec<_> = std::fs::read_dir(root.join("b/findings")).expect("findings").collect();
    assert_eq!(findings.len(), 1);
    let r = waybill(root, &["verify", "b"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // One byte of the finding changed.
    let f = findings.into_iter().next().expect("one").expect("entry").path();
    let mut bytes = std::fs::read(&f).expect("read");
    let i = bytes.iter().position(|&b| b == b'{').expect("json") + 1;
    bytes.insert(i, b' ');
    std::fs::write(&f, &bytes).expect("write");
    let r = waybill(root, &["verify", "b"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let name = f.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(r.stdout.contains(&format!("DIFFERS  findings/{name}")), "{}", r.stdout);
}

/// Evidence untouched, proven: every fixture of every format (databases
/// built from their scripts, one with a WAL beside it) ingested as files and as
/// a tree, then verified; each evidence file keeps its bytes, its mtime and
/// its access time. The access times are set far in the past first, so a file
/// system that updates them (relatime) would move them on any plain read.
/// A Chrome cache folder is one input with one record per entry file (not
/// one input per entry), as are a folder's exported Zone.Identifier streams;
/// other files beside them stay inputs of their own; `verify` reads the
/// folder again and sees a byte changed in one entry.
#[test]
fn a_cache_folder_is_one_input_with_a_record_per_entry() {
    let t = tempfile::tempdir().expect("temp");
    let cache = t.path().join("ev/Default/Cache/Cache_Data");
    let downloads = t.path().join("ev/Downloads");
    std::fs::create_dir_all(&cache).expect("mkdir");
    std::fs::create_dir_all(&downloads).expect("mkdir");
    for name in ["600a24a7de3d970d_0", "a93d890c06361912_0", "unclosed_entry_0"] {
        std::fs::copy(fixture("chrome.cache", name), cache.join(name)).expect("copy");
    }
    std::fs::write(cache.join("index"), b"not a cache entry").expect("index");
    for name in ["notes.txt.Zone.Identifier", "report-2025.pdf:Zone.Identifier", "script.ps1.Zone.Identifier"] {
        std::fs::copy(fixture("windows.zone_identifier", name), downloads.join(name)).expect("copy");
    }
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", "ev", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let ingested: Vec<(&str, &str, u64, u64, u64)> = doc["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| i["status"] == "ingested")
        .map(|i| {
            (
                i["path"].as_str().unwrap_or(""),
                i["format"].as_str().unwrap_or(""),
                i["records"].as_u64().unwrap_or(0),
                i["events"].as_u64().unwrap_or(0),
                i["rejects"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        ingested,
        [
            ("ev/Default/Cache/Cache_Data", "chrome.cache", 3, 2, 1),
            ("ev/Downloads", "windows.zone_identifier", 3, 3, 0)
        ],
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(t.path().join("case/manifest.jsonl")).expect("manifest").lines().count(), 2);
    let rows = ok(
        t.path(),
        &[
            "sql",
            "case",
            "SELECT record, url, attrs FROM events WHERE source = 'I0001' ORDER BY record",
            "--format",
            "csv",
        ],
    );
    let rows: Vec<&str> = rows.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].starts_with("entry[0],https://cdn.example.net/img/photo-1.png,")
            && rows[0].contains(r#""entry"":""600a24a7de3d970d_0""#),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("entry[1],https://files.example.net/notes.txt,")
            && rows[1].contains(r#""entry"":""a93d890c06361912_0""#),
        "{}",
        rows[1]
    );
    let rejects = ok(t.path(), &["sql", "case", "SELECT record, reason FROM rejects", "--format", "csv"]);
    assert_eq!(
        rejects,
        "record,reason\nentry[2],malformed: unclosed_entry_0: no EOF record at the end (entry not closed)\n"
    );
    // Named again as a folder of entries: the same input.
    let again = ok(t.path(), &["ingest", "case", "--entries", s(&cache)]);
    assert!(again.starts_with("duplicate") && again.contains("already ingested as I0001"), "{again}");
    let r = waybill(t.path(), &["verify", "case"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // One byte of one entry's body changed.
    let entry = cache.join("a93d890c06361912_0");
    let mut bytes = std::fs::read(&entry).expect("entry");
    bytes[40] ^= 1;
    std::fs::write(&entry, bytes).expect("write");
    let r = waybill(t.path(), &["verify", "case"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("DIFFERS  I0001 ") && r.stdout.contains("Cache_Data: read again, its SHA-256 is"),
        "{}",
        r.stdout
    );
}

/// A file of interest held only in a Firefox cache2 entry (its body stored
/// gzip-encoded, as received) is matched by the decoded body's hash and
/// linked to the entry's URL; the profile's `cache2/entries` folder is one
/// input, and an entry cut short is skipped, not read as something else.
#[test]
fn a_file_only_in_a_firefox_cache_is_matched_and_linked_to_its_url() {
    let t = tempfile::tempdir().expect("temp");
    let entries = t.path().join("profile/cache2/entries");
    std::fs::create_dir_all(&entries).expect("mkdir");
    for f in std::fs::read_dir(fixture_dir("firefox.cache2")).expect("fixtures") {
        let f = f.expect("entry").path();
        if f.extension().is_none() {
            std::fs::copy(&f, entries.join(f.file_name().expect("name"))).expect("copy");
        }
    }
    // The decoded body of the partitioned gzip entry (see the fixture README).
    let sha = "aca4b2e5600f94f10b7e7efc79e86ba8e0c5b4e27a2320cc34ebb6152377d135";
    std::fs::write(t.path().join("set.txt"), format!("# reference hash set\n{sha}\n")).expect("write");
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", "profile", "--device", "laptop"]);
    assert!(
        out.starts_with(
            "I0001  firefox.cache2         records         5  events         4  rejects       1  profile/cache2/entries"
        ),
        "{out}"
    );
    assert!(out.contains("skipped  profile/cache2/entries/CUT_AF9506CB204921A0"), "{out}");
    ok(t.path(), &["match", "case", "--hashset", "set.txt"]);
    ok(t.path(), &["analyze", "case"]);
    let path = only_finding(&t.path().join("case/findings"), sha);
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("finding")).expect("json");
    let text = f.to_string();
    assert!(text.contains("https://cdn.example.net/img/photo-2.png"), "the entry's URL is in the finding: {text}");
    assert_eq!(f["copy"]["device"], "laptop");
    let r = waybill(t.path(), &["verify", "case"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// A Chrome blockfile cache folder (`index`, `data_0`..`data_3`, `f_000001`)
/// is one input: the index, with the block and stream files read through it
/// and recorded as its companions. A file of interest held only in the cache
/// (a body in `f_000001`) is matched and linked to its URL; `verify` sees a
/// byte changed in a block file.
#[test]
fn a_blockfile_cache_is_one_input_whose_block_files_verify_checks() {
    let t = tempfile::tempdir().expect("temp");
    let cache = t.path().join("ev/Default/Cache");
    std::fs::create_dir_all(&cache).expect("mkdir");
    let src = fixture_dir("chrome.blockfile").join("chained_long_key_external_and_damaged");
    for e in std::fs::read_dir(&src).expect("fixture folder") {
        let f = e.expect("entry").path();
        std::fs::copy(&f, cache.join(f.file_name().expect("name"))).expect("copy");
    }
    // The decoded body of the gzip entry in f_000001 (see the fixture README).
    let sha = "c1a673dc000940f9fde9b2e2ca8d493ba44a6f1511c370240a5f0c730accce29";
    std::fs::write(t.path().join("set.txt"), format!("# reference hash set\n{sha}\n")).expect("write");
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", "ev", "--device", "laptop"]);
    assert_eq!(
        out.lines().next(),
        Some(
            "I0001  chrome.blockfile       records         7  events         4  rejects       3  ev/Default/Cache/index"
        ),
        "{out}"
    );
    assert_eq!(out.lines().filter(|l| l.starts_with('I')).count(), 1, "the block files are not inputs: {out}");
    let manifest = std::fs::read_to_string(t.path().join("case/manifest.jsonl")).expect("manifest");
    let entry: serde_json::Value = serde_json::from_str(manifest.lines().next().expect("a line")).expect("json");
    let companions: Vec<String> = entry["companions"]
        .as_array()
        .expect("companions")
        .iter()
        .map(|c| {
            let p = c["path"].as_str().unwrap_or("");
            format!("{} {}", c["role"].as_str().unwrap_or(""), p.rsplit('/').next().unwrap_or(p))
        })
        .collect();
    assert_eq!(
        companions,
        ["cache_file data_0", "cache_file data_1", "cache_file data_2", "cache_file data_3", "cache_file f_000001"]
    );
    ok(t.path(), &["match", "case", "--hashset", "set.txt"]);
    ok(t.path(), &["analyze", "case"]);
    let path = only_finding(&t.path().join("case/findings"), sha);
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("finding")).expect("json");
    assert!(f.to_string().contains("https://files.example.net/notes.txt"), "the entry's URL is in the finding: {f}");
    assert_eq!(f["arrival"]["what"], "cache write");
    assert_eq!(f["arrival"]["record"], "cache address 0xa0010001");
    let r = waybill(t.path(), &["verify", "case"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A byte of a block file changed: its companion hash no longer matches.
    let data2 = cache.join("data_2");
    let mut bytes = std::fs::read(&data2).expect("read");
    bytes[8192] ^= 1;
    std::fs::write(&data2, bytes).expect("write");
    let r = waybill(t.path(), &["verify", "case"]);
    assert_ne!(r.code, 0);
    assert!(r.stdout.contains("I0001 companion") && r.stdout.contains("data_2"), "{}{}", r.stdout, r.stderr);
}

/// An app's CFNetwork `Cache.db` whose image body is a file in
/// `fsCachedData/` beside it: the body is hashed from there, the file of
/// interest is matched and linked to the response's URL, and verify
/// re-derives it.
#[test]
fn a_body_in_fs_cached_data_is_matched_and_linked_to_its_url() {
    let t = tempfile::tempdir().expect("temp");
    let app = t.path().join("ev/Library/Caches/com.example.chat");
    std::fs::create_dir_all(app.join("fsCachedData")).expect("mkdir");
    std::fs::copy(materialize(&fixture("apple.cfurl_cache", "app_cache_inline_fs_damaged.sql")), app.join("Cache.db"))
        .expect("copy");
    let body = fixture_dir("apple.cfurl_cache").join("fsCachedData/C0FFEE00-1111-2222-3333-444455556666");
    std::fs::copy(&body, app.join("fsCachedData/C0FFEE00-1111-2222-3333-444455556666")).expect("copy");
    let hashed: serde_json::Value =
        serde_json::from_str(ok(t.path(), &["hash", "--json", s(&body)]).trim()).expect("json");
    let sha = hashed["sha256"].as_str().expect("sha256").to_owned();
    std::fs::write(t.path().join("set.txt"), format!("# reference hash set\n{sha}\n")).expect("write");
    ok(t.path(), &["case", "new", "case"]);
    let out = ok(t.path(), &["ingest", "case", "ev", "--device", "phone"]);
    assert!(
        out.starts_with("I0001  apple.cfurl_cache      records         4  events         3  rejects       1  ev/Library/Caches/com.example.chat/Cache.db"),
        "{out}"
    );
    let rows = ok(
        t.path(),
        &["sql", "case", "SELECT url, size FROM events WHERE sha256 IS NOT NULL ORDER BY url", "--format", "csv"],
    );
    assert_eq!(
        rows,
        "url,size\nhttps://api.example.net/v1/messages?since=100,49\nhttps://media.example.net/att/photo-0007.jpg,5000\n"
    );
    ok(t.path(), &["match", "case", "--hashset", "set.txt"]);
    ok(t.path(), &["analyze", "case"]);
    let path = only_finding(&t.path().join("case/findings"), &sha);
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("finding")).expect("json");
    assert_eq!(f["copy"]["url"], "https://media.example.net/att/photo-0007.jpg");
    assert_eq!(f["copy"]["device"], "phone");
    let r = waybill(t.path(), &["verify", "case"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// `export` writes every table as Hive-partitioned Parquet: the row counts
/// match the case's tables, the folders are `day=`/`source=`, the same case
/// gives byte-identical files, and a folder already holding files is refused.
#[test]
fn export_writes_hive_partitioned_parquet_of_every_table() {
    let t = tempfile::tempdir().expect("temp");
    let ev = evidence(t.path());
    ok(t.path(), &["case", "new", "case"]);
    let _ = waybill(t.path(), &["ingest", "case", s(&ev), "--device", "laptop"]);
    let out = ok(t.path(), &["export", "case", "--parquet", "out", "--partition-by", "day,source", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let rows = |table: &str| {
        doc["tables"].as_array().expect("tables").iter().find(|x| x["table"] == table).expect("table")["rows"].clone()
    };
    let count = |sql: &str| -> u64 {
        let csv = ok(t.path(), &["sql", "case", sql, "--format", "csv"]);
        csv.lines().nth(1).and_then(|l| l.parse().ok()).expect("count")
    };
    assert_eq!(rows("events"), count("SELECT count(*) FROM events"));
    assert_eq!(rows("rejects"), count("SELECT count(*) FROM rejects"));
    assert_eq!(rows("inputs"), count("SELECT count(*) FROM inputs"));
    assert_eq!(doc["tables"][0]["partitioned_by"], serde_json::json!(["day", "source"]));
    assert_eq!(doc["tables"][2]["partitioned_by"], serde_json::json!(["source"]));
    assert_eq!(doc["tables"][4]["partitioned_by"], serde_json::json!([]));
    let files = files_under(&t.path().join("out"));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"events/day=2026-01-03/source=I0001/part-00000.parquet"), "{names:?}");
    assert!(names.iter().all(|k| k.ends_with("/part-00000.parquet")), "{names:?}");
    // An empty table is one file of its schema at the table's root.
    assert_eq!((rows("interest"), doc["tables"][4]["files"].clone()), (serde_json::json!(0), serde_json::json!(1)));
    assert!(names.contains(&"interest/part-00000.parquet"), "{names:?}");
    ok(t.path(), &["export", "case", "--parquet", "again", "--partition-by", "day,source"]);
    assert!(files_under(&t.path().join("again")) == files, "byte-identical on a second export");
    let r = waybill(t.path(), &["export", "case", "--parquet", "out"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
}

/// Two copies of one download carry byte-identical Zone.Identifier streams;
/// each says where the file beside it came from, so the second is not a
/// duplicate of the first (named one by one or walked as a folder), while the
/// same stream at the same path read again is.
#[test]
fn identical_zone_identifier_streams_beside_two_files_are_both_read() {
    let t = tempfile::tempdir().expect("temp");
    let dl = t.path().join("ev/Downloads");
    std::fs::create_dir_all(&dl).expect("mkdir");
    let stream = std::fs::read(fixture("windows.zone_identifier", "report-2025.pdf:Zone.Identifier")).expect("fixture");
    for name in ["report-2025.pdf:Zone.Identifier", "report-2025 (1).pdf:Zone.Identifier"] {
        std::fs::write(dl.join(name), &stream).expect("write");
    }
    let a = dl.join("report-2025.pdf:Zone.Identifier");
    let b = dl.join("report-2025 (1).pdf:Zone.Identifier");
    ok(t.path(), &["case", "new", "named"]);
    let out = ok(t.path(), &["ingest", "named", s(&a), s(&b), "--device", "laptop"]);
    assert!(
        out.starts_with("I0001  windows.zone_identifier") && out.contains("\nI0002  windows.zone_identifier"),
        "{out}"
    );
    let again = ok(t.path(), &["ingest", "named", s(&b), "--device", "laptop"]);
    assert!(again.starts_with("duplicate") && again.contains("already ingested as I0002"), "{again}");
    let paths = ok(t.path(), &["sql", "named", "SELECT path FROM events ORDER BY path", "--format", "csv"]);
    assert_eq!(paths.lines().count(), 3, "{paths}");
    assert!(
        paths.contains("/ev/Downloads/report-2025 (1).pdf\n") && paths.contains("/ev/Downloads/report-2025.pdf\n"),
        "{paths}"
    );
    ok(t.path(), &["case", "new", "walked"]);
    let out = ok(t.path(), &["ingest", "walked", "ev", "--device", "laptop"]);
    assert!(out.starts_with("I0001  windows.zone_identifier records         2  events         2"), "{out}");
}

#[test]
fn ingest_and_verify_leave_every_evidence_file_as_it_was() {
    use std::os::unix::fs::MetadataExt;
    let t = tempfile::tempdir().expect("temp");
    let ev = t.path().join("evidence");
    std::fs::create_dir_all(&ev).expect("mkdir");
    let mut n = 0;
    for dir in std::fs::read_dir(waybill_testkit::workspace_root().join("crates/waybill-ingest/tests/fixtures"))
        .expect("fixtures")
    {
        let dir = dir.expect("entry").path();
        let mut files: Vec<_> =
            std::fs::read_dir(&dir).expect("dir").filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files.into_iter().filter(|f| f.is_file() && f.file_name().is_some_and(|n| n != "README.md")) {
            let built = materialize(&f);
            let name = format!("{}-{}", n, built.file_name().and_then(|x| x.to_str()).expect("name"));
            std::fs::copy(&built, ev.join(name)).expect("copy");
            n += 1;
        }
    }
    // A database with a WAL beside it: the copy SQLite opens is ours.
    let wal_db = ev.join("places-with-wal.sqlite");
    {
        let c = rusqlite::Connection::open(&wal_db).expect("db");
        c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);").expect("wal");
        std::mem::forget(c); // keep the -wal (no checkpoint on close)
    }
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800);
    let mut all: Vec<PathBuf> = walk(&ev);
    all.sort();
    for p in &all {
        let f = std::fs::File::options().write(true).open(p).expect("open");
        f.set_times(std::fs::FileTimes::new().set_accessed(old)).expect("atime");
    }
    // The test's own reads must not move the access times either (O_NOATIME).
    let read_noatime = |p: &Path| {
        use std::io::Read as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::File::options().read(true).custom_flags(0o1_000_000).open(p).expect("open");
        let mut v = Vec::new();
        f.read_to_end(&mut v).expect("bytes");
        v
    };
    let state = |p: &Path| {
        let m = std::fs::metadata(p).expect("meta");
        (read_noatime(p), m.mtime(), m.mtime_nsec(), m.atime(), m.atime_nsec())
    };
    // Whether this file system moves access times at all (a `noatime` mount does not).
    let probe = t.path().join("probe");
    std::fs::write(&probe, b"x").expect("probe");
    std::fs::File::options()
        .write(true)
        .open(&probe)
        .expect("open")
        .set_times(std::fs::FileTimes::new().set_accessed(old))
        .expect("atime");
    let _ = std::fs::read(&probe).expect("read");
    let moves = std::fs::metadata(&probe).expect("meta").atime() != 1_577_836_800;
    let before: Vec<_> = all.iter().map(|p| state(p)).collect();
    ok(t.path(), &["case", "new", "case"]);
    let _ = waybill(t.path(), &["ingest", "case", s(&ev), "--device", "D1"]);
    ok(t.path(), &["ingest", "case", "--files", s(&ev), "--device", "D1"]);
    let r = waybill(t.path(), &["verify", "case"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for (p, b) in all.iter().zip(before) {
        let a = state(p);
        assert!(a.0 == b.0, "{}: bytes changed", p.display());
        assert_eq!((a.1, a.2), (b.1, b.2), "{}: mtime changed", p.display());
        assert_eq!((a.3, a.4), (b.3, b.4), "{}: access time changed", p.display());
    }
    assert!(all.len() > 60, "{} evidence files", all.len());
    if !moves {
        eprintln!(
            "SKIPPED (in part): this file system does not update access times, so unchanged ones prove nothing here"
        );
    }
}

#[test]
fn seal_signs_the_chain_heads_and_verify_checks_it() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["demo", "d", "--noise", "500"]);
    let out = ok(t.path(), &["case", "keygen", "examiner.pem"]);
    assert!(out.contains("examiner.pem.pub"), "{out}");
    let pem = std::fs::read_to_string(t.path().join("examiner.pem")).expect("key");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(t.path().join("examiner.pem")).expect("meta").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // keygen never overwrites.
    assert_ne!(waybill(t.path(), &["case", "keygen", "examiner.pem"]).code, 0);

    let custody_lines =
        std::fs::read_to_string(t.path().join("d/case/custody.jsonl")).expect("custody").lines().count();
    let out = ok(t.path(), &["case", "seal", "d/case", "--key", "examiner.pem"]);
    assert!(out.contains(&format!("custody {custody_lines} lines")), "{out}");
    let seals = std::fs::read_to_string(t.path().join("d/case/seals.jsonl")).expect("seals");
    let seal: serde_json::Value = serde_json::from_str(seals.trim()).expect("json");
    assert_eq!(seal["custody_lines"], custody_lines);
    assert_eq!(seal["algorithm"], "Ed25519");
    let custody = std::fs::read_to_string(t.path().join("d/case/custody.jsonl")).expect("custody");
    assert!(custody.lines().last().expect("line").contains("\"action\":\"case.seal\""));

    let r = waybill(t.path(), &["verify", "d/case", "--trusted-key", "examiner.pem.pub"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains(&format!("seal 1 (key {})", seal["public_key"].as_str().expect("key"))), "{}", r.stdout);

    // Another examiner's key is not the trusted one.
    ok(t.path(), &["case", "keygen", "other.pem"]);
    let r = waybill(t.path(), &["verify", "d/case", "--trusted-key", "other.pem.pub"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("DIFFERS  seals.jsonl line 1: signed by key"), "{}", r.stdout);

    // A sealed line rewritten together with every later `prev` (a chain that
    // verifies on its own) no longer matches the seal.
    let path = t.path().join("d/case/custody.jsonl");
    let mut lines: Vec<serde_json::Value> = custody.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    lines[0]["tool"] = "waybill 0.0.0".into();
    let mut prev = "0".repeat(64);
    let mut text = String::new();
    for l in &mut lines {
        l["prev"] = prev.clone().into();
        let line = serde_json::to_string(l).expect("json");
        prev = waybill_testkit::sha256_hex(line.as_bytes());
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write");
    let r = waybill(t.path(), &["verify", "d/case"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(!r.stdout.contains("DIFFERS  custody.jsonl line"), "the rewritten chain links: {}", r.stdout);
    assert!(
        r.stdout.contains("DIFFERS  seals.jsonl line 1: custody.jsonl changed since it was sealed"),
        "{}",
        r.stdout
    );
}

#[test]
fn verify_checks_every_output_against_the_hash_the_trail_recorded() {
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["demo", "d", "--noise", "500"]);
    let custody = std::fs::read_to_string(t.path().join("d/case/custody.jsonl")).expect("custody");
    let analyze: serde_json::Value = custody
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["action"] == "analyze")
        .expect("an analyze line");
    assert_eq!(analyze["replaces"], "findings");
    let outputs = analyze["outputs"].as_array().expect("outputs");
    let findings = std::fs::read_dir(t.path().join("d/case/findings")).expect("findings").count();
    assert_eq!(outputs.len(), findings, "one recorded output per finding");
    let first = &outputs[0];
    let path = t.path().join("d/case").join(first["path"].as_str().expect("path"));
    assert_eq!(
        first["sha256"].as_str(),
        Some(waybill_testkit::sha256_hex(&std::fs::read(&path).expect("read")).as_str())
    );
    // Every input records its tables.
    let manifest = std::fs::read_to_string(t.path().join("d/case/manifest.jsonl")).expect("manifest");
    for l in manifest.lines() {
        let m: serde_json::Value = serde_json::from_str(l).expect("json");
        if m["events"].as_u64() > Some(0) {
            assert!(m["outputs"].as_array().is_some_and(|o| !o.is_empty()), "{l}");
        }
    }
    // A finding nobody wrote.
    std::fs::write(t.path().join("d/case/findings/extra.json"), "{}\n").expect("write");
    let r = waybill(t.path(), &["verify", "d/case"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("DIFFERS  findings/extra.json: not recorded by the trail"), "{}", r.stdout);
    std::fs::remove_file(t.path().join("d/case/findings/extra.json")).expect("rm");
    // A stored event part replaced by another valid one: the manifest's hash catches it.
    let part = walk(&t.path().join("d/case/events"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a part");
    let other = walk(&t.path().join("d/case/events"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .find(|p| p != &part)
        .expect("another part");
    std::fs::copy(&other, &part).expect("copy");
    let r = waybill(t.path(), &["verify", "d/case"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let rel = part.strip_prefix(t.path().join("d/case")).expect("rel").display().to_string();
    assert!(r.stdout.contains(&format!("DIFFERS  {rel}: SHA-256 is")), "{}", r.stdout);
}

/// `waybill rules`: the built-in rulebook by group, its SHA-256 (the one every
/// finding cites), and the facts rules can read; a broken `--rulebook` is
/// refused naming the file.
#[test]
fn rules_lists_the_rulebook_by_group_with_its_sha256() {
    let t = tempfile::tempdir().expect("temp");
    let text = ok(t.path(), &["rules"]);
    let first = text.lines().next().expect("first line");
    assert!(first.starts_with("rulebook ") && first.ends_with(" (49 rules)"), "{first}");
    assert!(text.contains("\nnavigation: how the navigation to the file started"), "{text}");
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("fetch.user_activation") && l.contains("+1.3 [+0.5, +1.8]")),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&ok(t.path(), &["rules", "--json"])).expect("json");
    assert_eq!(v["sha256"].as_str(), first.split_whitespace().nth(1));
    assert_eq!(v["rules"].as_array().map(Vec::len), Some(49));
    assert_eq!(v["groups"].as_array().map(Vec::len), Some(13));
    assert!(
        v["rules"].as_array().expect("rules").iter().all(|r| r["alternatives"].as_str().is_some_and(|a| !a.is_empty()))
    );
    assert!(v["ctx"].as_array().expect("ctx").iter().any(|c| c["fact"] == "page_triggered"));
    let book = t.path().join("book/fetch");
    std::fs::create_dir_all(&book).expect("mkdir");
    let rule = std::fs::read_to_string(
        waybill_testkit::workspace_root().join("crates/waybill-reason/rulebook/fetch/fetch.user_activation.toml"),
    )
    .expect("rule");
    let without: String = rule.lines().filter(|l| !l.starts_with("alternatives")).map(|l| format!("{l}\n")).collect();
    std::fs::write(book.join("fetch.user_activation.toml"), without).expect("write");
    let r = waybill(t.path(), &["rules", "--rulebook", "book"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("rule file fetch/fetch.user_activation.toml"), "{}", r.stderr);
}

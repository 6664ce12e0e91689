//! Numeric fields that do not parse (a status `2x0`, a size `12x4`) are never
//! turned silently into missing values: the event keeps the request and names
//! the raw value in `attrs.malformed_status` / `attrs.malformed_size`. One
//! test per source with such fields.

use waybill_testkit::{Opts, ingest_path};

fn one_event(file: &str, text: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("temp");
    let p = dir.path().join(file);
    std::fs::write(&p, text).expect("write");
    let got = ingest_path(&p, &Opts::default()).expect("ingest");
    let c = got.summary.counts;
    assert_eq!((c.records, c.events, c.rejects), (1, 1, 0), "{}", got.canonical());
    got.events.into_iter().next().expect("event")
}

#[test]
fn w3c_status_and_bytes_that_are_not_numbers_are_named() {
    let e = one_event(
        "u_ex260206.log",
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-02-06 00:00:00\n\
         #Fields: date time s-ip cs-method cs-uri-stem s-port c-ip sc-status sc-bytes\n\
         2026-02-06 01:00:05 192.0.2.10 GET /img/logo.png 8o 203.0.113.62 2x0 12x4\n",
    );
    assert_eq!(e["status"], serde_json::Value::Null);
    assert_eq!(e["size"], serde_json::Value::Null);
    assert_eq!(e["attrs"]["malformed_status"], "2x0");
    assert_eq!(e["attrs"]["malformed_size"], "12x4");
    assert_eq!(e["attrs"]["malformed_port"], "8o");
    assert_eq!(e["client_ip"], "203.0.113.62");
}

#[test]
fn elb_status_and_sent_bytes_that_are_not_numbers_are_named() {
    let line = "https 2026-02-08T11:00:00.123456Z app/web-prod/50dc6c495c0c9188 203.0.113.80:51234 10.0.1.5:8080 0.001 0.045 0.000 2x0 200 512 12x4 \"GET https://files.example.com:443/share/doc-7.pdf HTTP/2.0\" \"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067 \"Root=1-67a7b2c0-0123456789abcdef01234567\" \"files.example.com\" \"-\" 0 2026-02-08T11:00:00.077000Z \"forward\" \"-\" \"-\" \"10.0.1.5:8080\" \"200\" \"-\" \"-\"\n";
    let e = one_event("alb.log", line);
    assert_eq!(e["status"], serde_json::Value::Null);
    assert_eq!(e["size"], serde_json::Value::Null);
    assert_eq!(e["attrs"]["malformed_status"], "2x0");
    assert_eq!(e["attrs"]["malformed_size"], "12x4");
    assert_eq!(e["url"], "https://files.example.com:443/share/doc-7.pdf");
}

#[test]
fn cloudflare_status_and_bytes_that_are_not_numbers_are_named() {
    let e = one_event(
        "http_requests.jsonl",
        "{\"EdgeStartTimestamp\":\"2026-01-03T02:30:00Z\",\"ClientIP\":\"203.0.113.7\",\"ClientRequestHost\":\"www.example.com\",\"ClientRequestURI\":\"/about\",\"ClientRequestMethod\":\"GET\",\"EdgeResponseStatus\":\"2x0\",\"EdgeResponseBytes\":\"12x4\",\"RayID\":\"8a1b2c3d4e5f6080\",\"ClientRequestSource\":\"eyeball\"}\n",
    );
    assert_eq!(e["status"], serde_json::Value::Null);
    assert_eq!(e["size"], serde_json::Value::Null);
    assert_eq!(e["attrs"]["malformed_status"], "\"2x0\"");
    assert_eq!(e["attrs"]["malformed_size"], "\"12x4\"");
}

/// A fixture's SQL script with `extra` appended, built into a database.
fn sqlite_with(source: &str, script: &str, extra: &str, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp");
    let sql = std::fs::read_to_string(waybill_testkit::fixture(source, script)).expect("fixture") + extra;
    let script_path = dir.path().join("db.sql");
    std::fs::write(&script_path, sql).expect("script");
    let db = dir.path().join(name);
    waybill_testkit::build_sqlite(&script_path, &db);
    (dir, db)
}

/// A row of a lookup table (one the parse joins in memory) that cannot be
/// read is a reject naming the table and row, not a silent end of the table.
#[test]
fn an_unreadable_lookup_row_is_a_reject_naming_its_table_and_row() {
    let clean =
        waybill_testkit::ingest_fixture("chrome.history", "v70_typed_search_click_download.sql", &Opts::default());
    let (_keep, db) = sqlite_with(
        "chrome.history",
        "v70_typed_search_click_download.sql",
        "\nINSERT INTO downloads_url_chains (id, chain_index, url) VALUES (X'00ff', 0, 'https://x.example/a');\n",
        "History",
    );
    let got = ingest_path(&db, &Opts::default()).expect("ingest");
    let c = got.summary.counts;
    assert_eq!(c.records, c.accepted() + c.rejects);
    assert_eq!(c.events, clean.summary.counts.events, "the other rows are all read");
    assert_eq!(c.rejects, clean.summary.counts.rejects + 1);
    let r = got.rejects.iter().find(|r| r.record.starts_with("downloads_url_chains rowid ")).expect("a reject");
    assert!(r.reason.to_string().contains("lookup row not readable"), "{}", r.reason);

    let (_keep, db) = sqlite_with(
        "imessage.chat",
        "ns_and_second_dates_group_attachments.sql",
        "\nINSERT INTO handle (ROWID, id, service) VALUES (999, X'00ff', 'iMessage');\n",
        "chat.db",
    );
    let got = ingest_path(&db, &Opts::default()).expect("ingest");
    let r = got.rejects.iter().find(|r| r.record == "handle rowid 999").expect("a reject");
    assert!(r.reason.to_string().contains("lookup row not readable"), "{}", r.reason);
}

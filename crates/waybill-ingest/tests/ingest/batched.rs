//! Sources that parse their records on several threads — JSON Lines through
//! the driver's parallel line parser, CSV rows and documents in background
//! batches (`waybill_ingest::par`) — give the same events, in the same order,
//! as when each record is read on its own: an input made of a fixture's
//! records repeated many times (far above a chunk or a batch) yields the
//! fixture's events repeated, and its rejects at the repeated places.

use std::path::Path;

use serde_json::Value;
use waybill_testkit::{Collected, Opts, fixture, ingest_path};

/// The events without where they were read (`record`, `seq`), which differ
/// between the copies.
fn content(c: &Collected) -> Vec<Value> {
    c.events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(o) = e.as_object_mut() {
                o.remove("record");
                o.remove("seq");
            }
            e
        })
        .collect()
}

fn ingest(path: &Path, format: &str) -> Collected {
    let opts = Opts { format: Some(format.into()), ..Opts::default() };
    ingest_path(path, &opts).expect("ingest")
}

/// Writes `head` then `body` `copies` times, and checks the events and
/// rejects against those of `one` (an input of `head` + `body` once).
fn check_repeated(format: &str, one: &Path, head: &str, body: &str, copies: usize) {
    let single = ingest(one, format);
    let dir = tempfile::tempdir().expect("tempdir");
    let many = dir.path().join("many");
    let mut text = String::from(head);
    for _ in 0..copies {
        text.push_str(body);
    }
    std::fs::write(&many, text).expect("write");
    let got = ingest(&many, format);
    let n = copies as u64;
    assert_eq!(got.summary.counts.records, single.summary.counts.records * n, "{format}: records");
    assert_eq!(got.summary.counts.events, single.summary.counts.events * n, "{format}: events");
    assert_eq!(got.summary.counts.rejects, single.summary.counts.rejects * n, "{format}: rejects");
    let want: Vec<Value> = content(&single).into_iter().cycle().take(single.events.len() * copies).collect();
    assert!(content(&got) == want, "{format}: the events differ from the fixture's, repeated in order");
    // Rejects keep the order of the input: their lines ascend.
    let lines: Vec<u64> =
        got.rejects.iter().filter_map(|r| r.record.rsplit("line ").next().and_then(|l| l.parse().ok())).collect();
    assert_eq!(lines.len(), got.rejects.len(), "{format}: every reject names a line");
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{format}: rejects out of order: {lines:?}");
}

/// The whole lines of a fixture (a cut last line is left out: in the middle
/// of a file it is another kind of reject).
fn whole_lines(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("fixture");
    match text.rfind('\n') {
        Some(i) => text[..=i].to_owned(),
        None => String::new(),
    }
}

#[test]
fn m365_json_lines_in_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one.jsonl");
    let body = whole_lines(&fixture("m365_audit", "management_api_jsonl_ipv6_sync.jsonl"));
    std::fs::write(&one, &body).expect("write");
    check_repeated("m365.audit", &one, "", &body, 400);
}

#[test]
fn m365_csv_rows_in_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one.csv");
    let text = whole_lines(&fixture("m365_audit", "powershell_export_bom_multiline_auditdata.csv"));
    let (head, body) = text.split_at(text.find('\n').expect("a header") + 1);
    std::fs::write(&one, &text).expect("write");
    check_repeated("m365.audit", &one, head, body, 400);
}

#[test]
fn drive_and_dropbox_json_lines_in_batches() {
    for (source, file) in [
        ("gdrive_audit", "activities_jsonl_reconciled_revoked_cut.jsonl"),
        ("dropbox_events", "team_events_jsonl_anonymous_automation_cut.jsonl"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let one = dir.path().join("one.jsonl");
        let body = whole_lines(&fixture(source, file));
        std::fs::write(&one, &body).expect("write");
        check_repeated(&source.replace('_', "."), &one, "", &body, 300);
    }
}

#[test]
fn cloudtrail_lines_and_delivered_records_in_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one.jsonl");
    let body = whole_lines(&fixture("aws_cloudtrail", "jsonl_lookup_events_and_data_events.jsonl"));
    std::fs::write(&one, &body).expect("write");
    check_repeated("aws.cloudtrail", &one, "", &body, 300);

    // One delivered file (one line) with the records of the fixture's
    // document repeated: its records are parsed in parallel.
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("aws_cloudtrail", "records_array_service_replication.json")).expect("read"),
    )
    .expect("json");
    let records = doc["Records"].as_array().expect("Records").clone();
    let single = dir.path().join("single.json");
    std::fs::write(&single, serde_json::to_string(&serde_json::json!({ "Records": records })).expect("json"))
        .expect("write");
    let copies = 200;
    let repeated: Vec<Value> = records.iter().cycle().take(records.len() * copies).cloned().collect();
    let many = dir.path().join("many.json");
    std::fs::write(&many, serde_json::to_string(&serde_json::json!({ "Records": repeated })).expect("json"))
        .expect("write");
    let one = ingest(&single, "aws.cloudtrail");
    let got = ingest(&many, "aws.cloudtrail");
    assert_eq!(got.summary.counts.records, one.summary.counts.records * copies as u64);
    assert_eq!(got.summary.counts.events, one.summary.counts.events * copies as u64);
    let want: Vec<Value> = content(&one).into_iter().cycle().take(one.events.len() * copies).collect();
    assert!(content(&got) == want, "the records of a delivered file differ from the fixture's, repeated in order");
    // Records are numbered across the document, in order: Records[0] … Records[n-1].
    let index: Vec<usize> = got
        .events
        .iter()
        .filter_map(|e| e["record"].as_str()?.strip_prefix("Records[")?.strip_suffix(']')?.parse().ok())
        .collect();
    assert_eq!(index.len(), got.events.len(), "every event names its element");
    assert!(index.windows(2).all(|w| w[0] < w[1]), "events out of order");
    assert!(index.last().is_some_and(|&i| i < records.len() * copies && i >= records.len() * (copies - 1)));
}

/// JSON Lines of CloudTrail where a later line is a whole delivered file
/// longer than other formats' line limit (4 MiB), as `zcat *.json.gz` writes
/// them: read whole, its records numbered within the line.
#[test]
fn a_delivered_file_as_a_long_json_line_is_read_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = r#"{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","requestParameters":{"bucketName":"example-bucket","key":"reports/q1.pdf"},"eventID":"0","readOnly":true,"eventType":"AwsApiCall"}"#;
    let n = 20_000;
    let doc = format!(r#"{{"Records":[{}]}}"#, vec![rec; n].join(","));
    assert!(doc.len() > 4 << 20, "{} bytes", doc.len());
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(&path, format!("{rec}\n{doc}\n{rec}\n")).expect("write");
    let c = ingest(&path, "aws.cloudtrail");
    assert_eq!(
        (c.summary.counts.records, c.summary.counts.events, c.summary.counts.rejects),
        (n as u64 + 2, n as u64 + 2, 0)
    );
    assert_eq!(c.events[0]["record"], "offset 0 line 1");
    let second = format!("offset {} line 2 Records[0]", rec.len() + 1);
    assert_eq!(c.events[1]["record"], second.as_str());
    assert_eq!(c.events[n]["record"], format!("offset {} line 2 Records[{}]", rec.len() + 1, n - 1).as_str());
    assert_eq!(c.events[n + 1]["record"], format!("offset {} line 3", rec.len() + doc.len() + 2).as_str());
}

/// JSON Lines read in parallel: a later line holding a response page gives its
/// elements numbered within the line.
#[test]
fn a_page_on_a_json_line_numbers_its_elements_within_the_line() {
    let text = std::fs::read_to_string(fixture("gdrive_audit", "activities_jsonl_reconciled_revoked_cut.jsonl"))
        .expect("fixture");
    let first = text.lines().next().expect("a line");
    let page = format!(r#"{{"kind":"admin#reports#activities","items":[{first},{first}]}}"#);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("page.jsonl");
    std::fs::write(&path, format!("{first}\n{page}\n")).expect("write");
    let got = ingest(&path, "gdrive.audit");
    assert_eq!((got.summary.counts.records, got.summary.counts.rejects), (3, 0));
    let at = first.len() + 1;
    let records: Vec<&str> = got.events.iter().filter_map(|e| e["record"].as_str()).collect();
    assert_eq!(
        records,
        ["offset 0 line 1".to_owned(), format!("offset {at} line 2 items[0]"), format!("offset {at} line 2 items[1]")]
    );
}

//! Inputs a source reads in one call (an SQLite database, an EVTX file, a
//! JSON document) record how far the parse has got as it goes, so the bar
//! moves while they are read instead of jumping from 0 to done.

use std::path::Path;

use waybill_ingest::input::{Content, open_sqlite};
use waybill_ingest::{Input, ParseContext, find};
use waybill_model::schema::{EventBatchBuilder, InputContext};
use waybill_testkit::{fixture, materialize};

fn sink() -> EventBatchBuilder {
    EventBatchBuilder::new(
        InputContext { format: String::new(), source: "I0001".into(), clock: "c".into(), device: None, tz_name: None },
        0,
    )
}

fn rows(db: &Path, table: &str) -> u64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).expect("count");
    u64::try_from(n).expect("count")
}

#[test]
fn an_sqlite_parse_counts_the_rows_of_each_table_it_reads() {
    let db = materialize(&fixture("chrome_history", "v70_typed_search_click_download.sql"));
    let want = rows(&db, "visits") + rows(&db, "downloads");
    assert_eq!(want, 7, "the fixture's visits and downloads");
    let opened = open_sqlite(&db, None).expect("open");
    let ctx = ParseContext::default();
    let mut input = Input::sqlite_input(&db, &ctx, &opened);
    assert_eq!(input.progress().fraction(), None, "nothing counted before the parse");
    let mut out = sink();
    find("chrome.history").expect("source").parse(&mut input, &mut out).expect("parse");
    assert_eq!(input.progress().get(), (want, want));
}

fn text_progress(format: &str, path: &Path) -> (u64, u64) {
    let ctx = ParseContext::default();
    let mut input = Input::text(path, &ctx, Content::open(path).expect("open"));
    let mut out = sink();
    find(format).expect("source").parse(&mut input, &mut out).expect("parse");
    input.progress().get()
}

#[test]
fn an_evtx_parse_counts_the_bytes_of_its_chunks() {
    let path = fixture("windows_evtx", "lock_unlock_screensaver_sleep.evtx");
    let size = std::fs::metadata(&path).expect("size").len();
    assert_eq!(text_progress("windows.evtx", &path), (size, size));
}

#[test]
fn a_json_document_counts_the_bytes_read() {
    let path = fixture("firefox_downloads_json", "in_progress_partial_and_untimed.json");
    let size = std::fs::metadata(&path).expect("size").len();
    assert_eq!(text_progress("firefox.downloads_json", &path), (size, size));
}

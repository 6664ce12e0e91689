//! Chrome / Chromium `History` databases.
//!
//! # What it reads
//! The SQLite `History` file of Chrome, Chromium, Edge, Brave and other
//! Chromium browsers: every row of `visits` (with its `urls` row, its
//! `visit_source` row and any `keyword_search_terms` for the URL) and every row
//! of `downloads` (with its `downloads_url_chains`). Columns are read by name, so
//! every schema from Chrome 8 (meta version 20) to current (meta version 70)
//! reads with one query each.
//!
//! # Versions seen
//! meta.version 20 (Chrome 8–25 layout: `downloads.full_path`, `url`, Unix-second
//! `start_time`), 32 (Chrome 57), 33 (58), 36 (59), 37 (63), and 70 (current,
//! built from Chromium's DDL in the test fixture). Before version 17, Mac and
//! Linux builds stored visit times as Unix µs; before version 24 download times
//! were Unix seconds. Both are handled.
//!
//! # Events emitted
//! - `browser.visit` at `visits.visit_time`: `url`, `transition` (core type and
//!   qualifiers decoded, e.g. `LINK|CHAIN_START|CHAIN_END`), `referrer` (URL of the
//!   `from_visit`), `auto` = true for `AUTO_SUBFRAME`/`AUTO_TOPLEVEL`, false for
//!   `TYPED`, `AUTO_BOOKMARK`, `MANUAL_SUBFRAME`, `KEYWORD`. `attrs`: `title`,
//!   `visit_count`, `typed_count`, `hidden`, `from_visit`, `visit_source`
//!   (`synced`, `extension`, `*_imported`; absent = browsed here), `transition_raw`,
//!   `visit_duration_us`, `originator_cache_guid`, `opener_visit`,
//!   `external_referrer_url`, `app_id`, `search_term`.
//! - `browser.download` at `start_time` (`attrs.phase` = `start`) and, when set, at
//!   `end_time` (`phase` = `end`): `url` (the last URL of the redirect chain: where
//!   the bytes came from), `path` (target path), `size` (total bytes), `status`
//!   (state code), `referrer`, `sha256` (the stored hash, when the download is
//!   complete). `attrs`: `url_chain`, `state`, `danger_type`, `interrupt_reason`,
//!   `received_bytes`, `opened`, `last_access_time`, `transient`, `tab_url`,
//!   `tab_referrer_url`, `site_url`, `by_ext_id`, `by_ext_name`, `by_web_app_id`,
//!   `mime_type`, `original_mime_type`, `http_method`, `etag`, `last_modified`, `guid`.
//!
//! # What it cannot tell us
//! History records navigations, not subresources: an embedded image never gets
//! a visit (only a cache entry). Cleared history leaves no rows, and `visits.id`
//! gaps are the only trace of deletion. `opened` only says the file was opened
//! *from the browser UI*. Visits synced from another device carry
//! `visit_source = synced` and are not browsing on this device.
//!
//! # References
//! Chromium `components/history/core/browser/{history_database,visit_database,
//! download_database}.cc`, `ui/base/page_transition_types.h`,
//! `download_constants.h`; plaso `chrome_history.py` and its tests.

use std::borrow::Cow;
use std::collections::HashMap;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp, time::WEBKIT_EPOCH_OFFSET_US};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{blob, each_row, int, select_list, text};

/// Chrome/Chromium History.
pub struct ChromeHistory;

/// Core transition type names, by value (`transition & 0xFF`).
const CORE: &[&str] = &[
    "LINK",
    "TYPED",
    "AUTO_BOOKMARK",
    "AUTO_SUBFRAME",
    "MANUAL_SUBFRAME",
    "GENERATED",
    "AUTO_TOPLEVEL",
    "FORM_SUBMIT",
    "RELOAD",
    "KEYWORD",
    "KEYWORD_GENERATED",
];

/// Qualifier bits and names.
const QUALIFIERS: &[(u32, &str)] = &[
    (0x0020_0000, "FROM_API_2"),
    (0x0040_0000, "FROM_API_3"),
    (0x0080_0000, "BLOCKED"),
    (0x0100_0000, "FORWARD_BACK"),
    (0x0200_0000, "FROM_ADDRESS_BAR"),
    (0x0400_0000, "HOME_PAGE"),
    (0x0800_0000, "FROM_API"),
    (0x1000_0000, "CHAIN_START"),
    (0x2000_0000, "CHAIN_END"),
    (0x4000_0000, "CLIENT_REDIRECT"),
    (0x8000_0000, "SERVER_REDIRECT"),
];

/// Decodes a Chrome page transition (stored as signed or unsigned) into
/// `CORE|QUALIFIER|…`, and whether the core type says automatic/user.
pub fn decode_transition(raw: i64) -> (String, Option<bool>) {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "the value is a 32-bit bit field")]
    let v = (raw & 0xFFFF_FFFF) as u32;
    let core = v & 0xFF;
    let mut s = CORE.get(core as usize).map_or_else(|| format!("CORE_{core}"), |c| (*c).to_owned());
    for (bit, name) in QUALIFIERS {
        if v & bit != 0 {
            s.push('|');
            s.push_str(name);
        }
    }
    let auto = match core {
        3 | 6 => Some(true),
        1 | 2 | 4 | 9 => Some(false),
        _ => None,
    };
    (s, auto)
}

fn visit_source_name(v: i64) -> &'static str {
    match v {
        0 => "synced",
        1 => "browsed",
        2 => "extension",
        3 => "firefox_imported",
        4 => "ie_imported",
        5 => "safari_imported",
        _ => "unknown",
    }
}

fn state_name(v: i64) -> &'static str {
    match v {
        -1 => "invalid",
        0 => "in_progress",
        1 => "complete",
        2 => "cancelled",
        3 => "bug_140687",
        4 => "interrupted",
        _ => "unknown",
    }
}

fn danger_name(v: i64) -> &'static str {
    const NAMES: &[&str] = &[
        "not_dangerous",
        "dangerous_file",
        "dangerous_url",
        "dangerous_content",
        "maybe_dangerous_content",
        "uncommon_content",
        "user_validated",
        "dangerous_host",
        "potentially_unwanted",
        "allowlisted_by_policy",
        "async_scanning",
        "blocked_password_protected",
        "blocked_too_large",
        "sensitive_content_warning",
        "sensitive_content_block",
        "deep_scanned_safe",
        "deep_scanned_opened_dangerous",
        "prompt_for_scanning",
        "blocked_unsupported_filetype",
        "dangerous_account_compromise",
        "deep_scanned_failed",
    ];
    usize::try_from(v).ok().and_then(|i| NAMES.get(i)).copied().unwrap_or("unknown")
}

fn meta_version(conn: &crate::input::Db, schema: &SqliteSchema) -> i64 {
    if !schema.has_table("meta") {
        return 0;
    }
    conn.query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| r.get::<_, rusqlite::types::Value>(0))
        .ok()
        .and_then(|v| match v {
            rusqlite::types::Value::Integer(i) => Some(i),
            rusqlite::types::Value::Text(t) => t.parse().ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// A visit time: WebKit µs, or Unix µs in pre-v17 Mac/Linux files.
fn visit_ts(v: i64, version: i64) -> Result<Timestamp, RejectReason> {
    if version < 17 && v > 0 && v < WEBKIT_EPOCH_OFFSET_US {
        Ok(Timestamp::from_unix_micros(v)?)
    } else {
        Ok(Timestamp::from_webkit_micros(v)?)
    }
}

impl Source for ChromeHistory {
    fn id(&self) -> &'static str {
        "chrome.history"
    }

    fn description(&self) -> &'static str {
        "Chrome/Chromium History (SQLite): visits with transitions, downloads with URL chains (Chrome 8 to current)"
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("downloads", "no downloads are read"),
            ("downloads_url_chains", "downloads' redirect chains are not known"),
            ("keyword_search_terms", "visits' search terms are not known"),
            (
                "visit_source",
                "whether a visit was synced from another device, imported or made by an extension is not known",
            ),
        ]
    }

    fn version(&self) -> u32 {
        2
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(s) = probe.sqlite else {
            return Sniff::No;
        };
        let urls = s.has_columns("urls", &["url", "title", "visit_count", "typed_count", "last_visit_time", "hidden"]);
        let visits = s.has_columns("visits", &["url", "visit_time", "transition", "from_visit"]);
        if urls && visits { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_tables(&["urls", "visits"]) {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no urls/visits tables".into() });
        }
        let version = meta_version(conn, schema);
        parse_visits(conn, schema, version, out)?;
        if schema.has_table("downloads") {
            parse_downloads(conn, schema, out)?;
        }
        Ok(())
    }
}

fn parse_visits(
    conn: &crate::input::Db,
    schema: &SqliteSchema,
    version: i64,
    out: &mut dyn EventSink,
) -> Result<(), SourceError> {
    // visit id → URL, to resolve `from_visit` into a referrer.
    let mut visit_urls: HashMap<i64, String> = HashMap::new();
    crate::sqlite::lookup_rows(
        conn,
        "visits",
        "SELECT v.id, v.id, u.url FROM visits v JOIN urls u ON u.id = v.url",
        out,
        |r| {
            if let (Some(id), Some(url)) = (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?) {
                visit_urls.insert(id, url);
            }
            Ok(())
        },
    );
    let mut terms: HashMap<i64, String> = HashMap::new();
    if schema.has_table("keyword_search_terms") {
        let col = if schema.has_column("keyword_search_terms", "term") { "term" } else { "lower_term" };
        let sql = format!("SELECT rowid, url_id, {col} FROM keyword_search_terms");
        crate::sqlite::lookup_rows(conn, "keyword_search_terms", &sql, out, |r| {
            if let (Some(id), Some(t)) = (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?) {
                terms.insert(id, t);
            }
            Ok(())
        });
    }
    let vcols = select_list(
        schema,
        "visits",
        "v",
        &[
            "visit_time",
            "from_visit",
            "transition",
            "visit_duration",
            "originator_cache_guid",
            "opener_visit",
            "external_referrer_url",
            "app_id",
        ],
    );
    let ucols = select_list(schema, "urls", "u", &["url", "title", "visit_count", "typed_count", "hidden"]);
    let vs = if schema.has_table("visit_source") {
        ("vs.source AS vsource", "LEFT JOIN visit_source vs ON vs.id = v.id")
    } else {
        ("NULL AS vsource", "")
    };
    let sql = format!(
        "SELECT v.rowid AS _rowid, v.url AS url_id, {vcols}, {ucols}, {} FROM visits v LEFT JOIN urls u ON u.id = v.url {} ORDER BY v.rowid",
        vs.0, vs.1
    );
    each_row(conn, "visits", &sql, out, |row, record| {
        let raw_time = int(row, "visit_time")?.ok_or_else(|| RejectReason::Timestamp("visit_time is NULL".into()))?;
        let ts = visit_ts(raw_time, version)?;
        let mut e = Event::new(EventKind::BrowserVisit, ts, Precision::Microsecond, record);
        e.url = text(row, "url").map(Cow::Owned);
        if let Some(t) = int(row, "transition")? {
            let (name, auto) = decode_transition(t);
            e.transition = Some(Cow::Owned(name));
            e.auto = auto;
            e.attrs.push("transition_raw", t & 0xFFFF_FFFF);
        }
        let from = int(row, "from_visit")?.filter(|v| *v > 0);
        if let Some(f) = from {
            e.referrer = visit_urls.get(&f).cloned().map(Cow::Owned);
            e.attrs.push("from_visit", f);
        }
        e.attrs.push_opt("title", text(row, "title"));
        e.attrs.push_opt("visit_count", int(row, "visit_count")?);
        e.attrs.push_opt("typed_count", int(row, "typed_count")?);
        if let Some(h) = int(row, "hidden")? {
            e.attrs.push("hidden", h != 0);
        }
        if let Some(s) = int(row, "vsource")? {
            e.attrs.push("visit_source", visit_source_name(s));
        }
        e.attrs.push_opt("visit_duration_us", int(row, "visit_duration")?.filter(|d| *d > 0));
        e.attrs.push_opt("originator_cache_guid", text(row, "originator_cache_guid"));
        e.attrs.push_opt("opener_visit", int(row, "opener_visit")?.filter(|v| *v > 0));
        e.attrs.push_opt("external_referrer_url", text(row, "external_referrer_url"));
        e.attrs.push_opt("app_id", text(row, "app_id"));
        if let Some(url_id) = int(row, "url_id")?
            && let Some(t) = terms.get(&url_id)
        {
            e.attrs.push("search_term", t.clone());
        }
        Ok(vec![e])
    })
}

fn parse_downloads(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let legacy = schema.has_column("downloads", "full_path") && !schema.has_column("downloads", "target_path");
    let mut chains: HashMap<i64, Vec<String>> = HashMap::new();
    if schema.has_table("downloads_url_chains") {
        let sql = "SELECT rowid, id, url FROM downloads_url_chains ORDER BY id, chain_index";
        crate::sqlite::lookup_rows(conn, "downloads_url_chains", sql, out, |r| {
            if let (Some(id), Some(url)) = (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?) {
                chains.entry(id).or_default().push(url);
            }
            Ok(())
        });
    }
    let cols = select_list(
        schema,
        "downloads",
        "d",
        &[
            "id",
            "guid",
            "current_path",
            "target_path",
            "full_path",
            "url",
            "start_time",
            "end_time",
            "received_bytes",
            "total_bytes",
            "state",
            "danger_type",
            "interrupt_reason",
            "hash",
            "opened",
            "last_access_time",
            "transient",
            "referrer",
            "site_url",
            "tab_url",
            "tab_referrer_url",
            "http_method",
            "by_ext_id",
            "by_ext_name",
            "by_web_app_id",
            "etag",
            "last_modified",
            "mime_type",
            "original_mime_type",
        ],
    );
    let sql = format!("SELECT d.rowid AS _rowid, {cols} FROM downloads d ORDER BY d.rowid");
    each_row(conn, "downloads", &sql, out, |row, record| {
        // Before schema 24 times are Unix seconds; from 24 WebKit µs.
        let conv = |v: i64| -> Result<(Timestamp, Precision), RejectReason> {
            if legacy {
                Ok((Timestamp::from_unix_seconds(v)?, Precision::Second))
            } else {
                Ok((Timestamp::from_webkit_micros(v)?, Precision::Microsecond))
            }
        };
        let start = int(row, "start_time")?.ok_or_else(|| RejectReason::Timestamp("start_time is NULL".into()))?;
        let end = int(row, "end_time")?.filter(|v| *v > 0);
        let id = int(row, "id")?;
        let chain: Vec<String> = match id.and_then(|i| chains.get(&i)) {
            Some(c) => c.clone(),
            None => text(row, "url").into_iter().collect(),
        };
        let path = text(row, "target_path").or_else(|| text(row, "current_path")).or_else(|| text(row, "full_path"));
        let state = int(row, "state")?;
        let received = int(row, "received_bytes")?;
        let total = int(row, "total_bytes")?;
        let hash = blob(row, "hash");
        let base = |ts: Timestamp, precision: Precision, phase: &'static str| -> Result<Event<'static>, RejectReason> {
            let mut e = Event::new(EventKind::BrowserDownload, ts, precision, record);
            e.url = chain.last().cloned().map(Cow::Owned);
            e.path = path.clone().map(Cow::Owned);
            e.size = total.filter(|t| *t >= 0).or(received);
            #[allow(clippy::cast_possible_truncation, reason = "state codes are small")]
            {
                e.status = state.map(|s| s as i32);
            }
            e.referrer = text(row, "referrer").map(Cow::Owned);
            e.attrs.push("phase", phase);
            if chain.len() > 1 {
                e.attrs.push("url_chain", waybill_model::Value::List(chain.iter().cloned().map(Cow::Owned).collect()));
            }
            if let Some(s) = state {
                e.attrs.push("state", state_name(s));
            }
            if let Some(d) = int(row, "danger_type")? {
                e.attrs.push("danger_type", danger_name(d));
            }
            e.attrs.push_opt("interrupt_reason", int(row, "interrupt_reason")?.filter(|v| *v != 0));
            e.attrs.push_opt("received_bytes", received);
            if let Some(o) = int(row, "opened")? {
                e.attrs.push("opened", o != 0);
            }
            if let Some(t) = int(row, "last_access_time")?.filter(|v| *v > 0) {
                e.attrs.push("last_access_time", Timestamp::from_webkit_micros(t)?);
            }
            if let Some(t) = int(row, "transient")? {
                e.attrs.push("transient", t != 0);
            }
            for key in [
                "tab_url",
                "tab_referrer_url",
                "site_url",
                "by_ext_id",
                "by_ext_name",
                "by_web_app_id",
                "mime_type",
                "original_mime_type",
                "http_method",
                "etag",
                "last_modified",
                "guid",
            ] {
                e.attrs.push_opt(key, text(row, key));
            }
            if let Some(h) = &hash {
                let hex = crate::input::hex(h);
                let complete = state == Some(1) && received.is_some() && received == total;
                if h.len() == 32 && complete {
                    e.sha256 = Some(Cow::Owned(hex));
                } else {
                    e.attrs.push("partial_hash", hex);
                }
            }
            Ok(e)
        };
        let (start_ts, p) = conv(start)?;
        let mut events = vec![base(start_ts, p, "start")?];
        if let Some(end) = end {
            let (end_ts, p) = conv(end)?;
            events.push(base(end_ts, p, "end")?);
        }
        Ok(events)
    })
}

#[cfg(test)]
mod tests {
    use super::decode_transition;

    #[test]
    fn transitions() {
        assert_eq!(decode_transition(805_306_374), ("AUTO_TOPLEVEL|CHAIN_START|CHAIN_END".into(), Some(true)));
        assert_eq!(decode_transition(805_306_368), ("LINK|CHAIN_START|CHAIN_END".into(), None));
        // SERVER_REDIRECT read back as a negative 32-bit value, and as a positive 64-bit one.
        assert_eq!(decode_transition(-1_610_612_735).0, "TYPED|CHAIN_END|SERVER_REDIRECT");
        assert_eq!(decode_transition(2_684_354_561).0, "TYPED|CHAIN_END|SERVER_REDIRECT");
        assert_eq!(decode_transition(1).1, Some(false));
    }
}

//! Shared by the timeline-import sources (`plaso.json_line`, `timesketch.jsonl`):
//! reading one JSON object per line, keeping its fields as `attrs`, and mapping
//! plaso `data_type`s to waybill kinds. Not a source itself.
//!
//! # The mapping (by plaso `data_type`, then `timestamp_desc`)
//! | `data_type` | kind | columns |
//! |---|---|---|
//! | `*:page_visited` (`chrome:history:`, `firefox:places:`), `safari:history:visit*` | `browser.visit` | `url`; `referrer` = `from_visit` when it is a URL; Chrome `page_transition_type` decoded into `transition` and `auto` as `chrome.history` does; Firefox `visit_type` as `firefox.places` does |
//! | `chrome:history:file_downloaded`, `firefox:downloads:download` | `browser.download` | `url`, `path` (`full_path`, `file://` decoded), `size` (`total_bytes`, else `received_bytes`), `status` (Chrome `state`); `attrs.phase` = `start` / `end` from `Start Time` / `End Time` |
//! | `macos:lsquarantine:entry` | `fs.origin_marker` | `url` = `data` (the file's URL), `referrer` = plaso's `url` (the origin page) — the same columns as `macos.quarantine` |
//! | `apache:access_log:entry` | `http.request` | `client_ip` (`ip_address`), `actor` (`user_name`/`username`), `url` (request target, with `server_name`/`port_number` when logged), `status`, `size`, `referrer`, `user_agent`; `attrs.method`, `attrs.protocol` |
//! | `iis:log:line` | `http.request` | `client_ip` (`source_ip`), `actor` (`cs_username`), `url` (`requested_uri_stem` + `cs_uri_query`), `status` (`http_status`), `referrer` (`cs_referrer`), `user_agent` (`+` read as space) |
//! | `fs:stat*`, `fs:bodyfile:entry`, `fs:mactime:line` | `fs.created` / `fs.modified` / `fs.accessed` / `fs.changed` by `timestamp_desc` (`Creation Time`, `Content Modification Time`, `Last Access Time`, `Metadata Modification Time`, or the older `crtime`/`mtime`/`atime`/`ctime`) | `path` (`filename`, a ` (deleted)` suffix removed and `attrs.deleted` set), `size` (`file_size`/`size`), `md5` (bodyfile); `sha256` = `sha256_hash` only when the `parser` is `filestat` (only then is the hashed stream the file itself) |
//! | `windows:evtx:record`, `Creation Time` event only | Security-Auditing 4624 → `session.logon`, 4634/4647 → `session.logoff`, 4800 → `session.lock`, 4801 → `session.unlock`; Kernel-Power 42 → `power.sleep`; Power-Troubleshooter 1 → `power.wake` | `device` (`hostname`), `actor` (`TargetUserName`), `client_ip` (`IpAddress`) read by name from `xml_string`; `attrs.logon_type`, `attrs.target_logon_id`; `auto` = true for logon types 0/4/5 (system, batch, service), false for 2/7/10/11/12/13 (interactive, unlock, remote interactive, cached) and for 4647 (user-initiated logoff) |
//!
//! Everything else — other data types, other `timestamp_desc`s of the types
//! above (plaso writes every EVTX record twice: `Creation Time` and the record's
//! written time as `Content Modification Time`), unknown event ids — is
//! `imported.other`, with `url` filled from a `url` field when there is one.
//!
//! # Attributes
//! Every field of the line is kept in `attrs` under its own name, without a
//! prefix (the `format` column already says which tool wrote it): strings,
//! numbers and booleans as they are, lists of strings as lists, objects and
//! mixed lists (plaso's `date_time`, `pathspec`, `tag`) as JSON text, `null`s
//! dropped. Only the fields that *are* the time (`timestamp`; for Timesketch also
//! `datetime`) and plaso's constant container markers (`__container_type__`,
//! `__type__`) are left out. Derived keys (`phase`, `method`, `protocol`,
//! `deleted`, `logon_type`, `target_logon_id`) are added only when the line has no
//! field of that name.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, Precision, RejectReason, Timestamp, Value as AttrValue};

use crate::http::{build_url, parse_request_line};
use crate::json::{Json, Object};
use crate::lines::LinePos;
use crate::sources::chrome_history::decode_transition;
use crate::sources::firefox_places::visit_type_name;
use crate::sqlite::file_uri_to_path;

/// One line's JSON object.
pub type Obj<'a> = Object<'a>;

/// Parses a line as one JSON object. A cut-off last line is `truncated`.
pub fn parse_object(pos: LinePos, line: &[u8]) -> Result<Obj<'_>, RejectReason> {
    match Json::parse(line) {
        Ok(Json::Object(o)) => Ok(o),
        Ok(other) => Err(RejectReason::Malformed(format!("not a JSON object but {}", json_type(&other)))),
        Err(e) => {
            let d = format!("not JSON: {e}");
            Err(if pos.terminated { RejectReason::Malformed(d) } else { RejectReason::Truncated(d) })
        }
    }
}

fn json_type(v: &Json<'_>) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A non-empty string field (`-` counts as empty).
pub fn text<'v>(o: &'v Obj<'_>, key: &str) -> Option<&'v str> {
    o.text_of(key).filter(|s| *s != "-")
}

/// A microsecond Unix timestamp field (plaso's and Timesketch's `timestamp`).
/// 0 is plaso's "Not a time" and is treated as no time at all.
pub fn micros(v: &Json<'_>) -> Result<Timestamp, RejectReason> {
    let us = match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| RejectReason::Timestamp(format!("timestamp {v} is not an integer of microseconds")))?;
    if us == 0 {
        return Err(RejectReason::Timestamp("timestamp 0 (plaso: not a time)".into()));
    }
    Ok(Timestamp::from_unix_micros(us)?)
}

/// The precision of the original value, from plaso's serialized `date_time`
/// (a dfdatetime object); `None` when there is none or the class is unknown.
/// plaso's `timestamp` is always in µs; finer originals were rounded to it.
pub fn plaso_precision(o: &Obj<'_>) -> Option<Precision> {
    let class = o.get("date_time")?.get("__class_name__")?.as_str()?;
    Some(match class {
        "PosixTime" | "TimeElements" | "HFSTime" | "FATDateTime" | "CocoaTimeInSeconds" => Precision::Second,
        "PosixTimeInMilliseconds" | "JavaTime" | "TimeElementsInMilliseconds" | "Systemtime" | "SystemTime" => {
            Precision::Millisecond
        }
        "PosixTimeInMicroseconds" | "WebKitTime" | "TimeElementsInMicroseconds" | "CocoaTime" => Precision::Microsecond,
        "Filetime" | "UUIDTime" | "DotNetDateTime" => Precision::HundredNanos,
        "PosixTimeInNanoseconds" | "TimeElementsInNanoseconds" | "APFSTime" | "GolangTime" => Precision::Nanosecond,
        _ => return None,
    })
}

/// A JSON value as an attribute value (`None` for `null`).
pub fn attr_value<'v>(v: &'v Json<'_>) -> Option<AttrValue<'v>> {
    Some(match v {
        Json::Null => return None,
        Json::Bool(b) => AttrValue::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => AttrValue::Int(i),
            (None, Some(f)) if n.is_f64() => AttrValue::Float(f),
            _ => AttrValue::Str(Cow::Owned(n.to_string())),
        },
        Json::String(s) => AttrValue::Str(Cow::Borrowed(s.as_ref())),
        Json::Array(a) if a.iter().all(Json::is_string) => {
            AttrValue::List(a.iter().filter_map(Json::as_str).map(Cow::Borrowed).collect())
        }
        Json::Array(_) | Json::Object(_) => AttrValue::Str(Cow::Owned(v.to_string())),
    })
}

/// Adds `key` unless the event already has it (the first writer of a key wins).
pub fn push_unique<'v>(e: &mut Event<'v>, key: &'v str, value: impl Into<AttrValue<'v>>) {
    if !e.attrs.0.iter().any(|(k, _)| *k == key) {
        e.attrs.push(key, value);
    }
}

/// Adds every field of `o` to `attrs`, except the `skip`ped ones and `null`s.
pub fn push_fields<'v>(e: &mut Event<'v>, o: &'v Obj<'_>, skip: &[&str]) {
    for (k, v) in o {
        if skip.contains(&k) {
            continue;
        }
        if let Some(a) = attr_value(v) {
            push_unique(e, k, a);
        }
    }
}

/// Sets the kind and columns of `e` from a record with plaso attribute names.
/// `e` comes in as `imported.other`; it stays so when the meaning is not clear.
pub fn map_plaso<'v>(o: &'v Obj<'_>, e: &mut Event<'v>) {
    let data_type = text(o, "data_type").unwrap_or("");
    let desc = text(o, "timestamp_desc").unwrap_or("");
    match data_type {
        "chrome:history:page_visited"
        | "firefox:places:page_visited"
        | "safari:history:visit"
        | "safari:history:visit_sqlite" => visit(o, e, data_type),
        t if t.ends_with(":page_visited") => visit(o, e, data_type),
        "chrome:history:file_downloaded" | "firefox:downloads:download" => download(o, e, desc),
        "macos:lsquarantine:entry" => {
            e.kind = EventKind::FsOriginMarker;
            e.url = text(o, "data").map(Cow::Borrowed);
            e.referrer = text(o, "url").map(Cow::Borrowed);
        }
        "apache:access_log:entry" => apache(o, e),
        "iis:log:line" => iis(o, e),
        "fs:stat" | "fs:bodyfile:entry" | "fs:mactime:line" => file(o, e, desc),
        t if t.starts_with("fs:stat:") => file(o, e, desc),
        "windows:evtx:record" if desc == "Creation Time" => evtx(o, e),
        _ => {}
    }
    if e.url.is_none() {
        e.url = text(o, "url").map(Cow::Borrowed);
    }
}

fn is_url(s: &str) -> bool {
    s.contains("://")
}

fn visit<'v>(o: &'v Obj<'_>, e: &mut Event<'v>, data_type: &str) {
    e.kind = EventKind::BrowserVisit;
    e.url = text(o, "url").map(Cow::Borrowed);
    e.referrer = text(o, "from_visit").filter(|s| is_url(s)).map(Cow::Borrowed);
    if let Some(t) = o.int_of("page_transition_type") {
        let (name, auto) = decode_transition(t);
        e.transition = Some(Cow::Owned(name));
        e.auto = auto;
    } else if data_type.starts_with("firefox:")
        && let Some(t) = o.int_of("visit_type")
    {
        e.transition = visit_type_name(t).map(Cow::Borrowed).or_else(|| Some(Cow::Owned(format!("TYPE_{t}"))));
        e.auto = match t {
            4 => Some(true),
            2 | 3 => Some(false),
            _ => None,
        };
    }
}

fn download<'v>(o: &'v Obj<'_>, e: &mut Event<'v>, desc: &str) {
    e.kind = EventKind::BrowserDownload;
    e.url = text(o, "url").map(Cow::Borrowed);
    e.path = text(o, "full_path")
        .map(|p| if p.starts_with("file://") { Cow::Owned(file_uri_to_path(p)) } else { Cow::Borrowed(p) });
    e.size = o.int_of("total_bytes").filter(|t| *t >= 0).or_else(|| o.int_of("received_bytes"));
    if o.get("state").is_some_and(Json::is_number) {
        e.status = o.int_of("state").and_then(|s| i32::try_from(s).ok());
    }
    match desc {
        "Start Time" => push_unique(e, "phase", "start"),
        "End Time" => push_unique(e, "phase", "end"),
        _ => {}
    }
}

fn apache<'v>(o: &'v Obj<'_>, e: &mut Event<'v>) {
    e.kind = EventKind::HttpRequest;
    e.client_ip = text(o, "ip_address").map(Cow::Borrowed);
    e.actor = text(o, "user_name").or_else(|| text(o, "username")).map(Cow::Borrowed);
    e.status = o.int_of("http_response_code").and_then(|s| i32::try_from(s).ok());
    e.size = o.int_of("http_response_bytes");
    e.referrer = text(o, "http_request_referer").map(Cow::Borrowed);
    e.user_agent = text(o, "http_request_user_agent").map(Cow::Borrowed);
    if let Some(r) = text(o, "http_request").and_then(parse_request_line) {
        let port = o.int_of("port_number").and_then(|p| u16::try_from(p).ok());
        e.url = Some(build_url(None, text(o, "server_name"), port, Cow::Borrowed(r.target)));
        push_unique(e, "method", r.method);
        if let Some(p) = r.protocol {
            push_unique(e, "protocol", p);
        }
    }
}

fn iis<'v>(o: &'v Obj<'_>, e: &mut Event<'v>) {
    e.kind = EventKind::HttpRequest;
    e.client_ip = text(o, "source_ip").map(Cow::Borrowed);
    e.actor = text(o, "cs_username").map(Cow::Borrowed);
    e.status = o.int_of("http_status").and_then(|s| i32::try_from(s).ok());
    e.referrer = text(o, "cs_referrer").map(Cow::Borrowed);
    e.user_agent =
        text(o, "user_agent").map(|u| if u.contains('+') { Cow::Owned(u.replace('+', " ")) } else { Cow::Borrowed(u) });
    if let Some(stem) = text(o, "requested_uri_stem") {
        let target = match text(o, "cs_uri_query") {
            Some(q) => Cow::Owned(format!("{stem}?{q}")),
            None => Cow::Borrowed(stem),
        };
        let port = o.int_of("dest_port").and_then(|p| u16::try_from(p).ok());
        e.url = Some(build_url(None, text(o, "cs_host"), port, target));
    }
}

fn file<'v>(o: &'v Obj<'_>, e: &mut Event<'v>, desc: &str) {
    e.kind = match desc {
        "Creation Time" | "crtime" => EventKind::FsCreated,
        "Content Modification Time" | "mtime" => EventKind::FsModified,
        "Last Access Time" | "atime" => EventKind::FsAccessed,
        "Metadata Modification Time" | "ctime" => EventKind::FsChanged,
        _ => return,
    };
    if let Some(name) = text(o, "filename") {
        match name.strip_suffix(" (deleted)") {
            Some(n) => {
                e.path = Some(Cow::Borrowed(n));
                push_unique(e, "deleted", true);
            }
            None => e.path = Some(Cow::Borrowed(name)),
        }
    }
    e.size = o.int_of("file_size").or_else(|| o.int_of("size"));
    e.md5 = text(o, "md5")
        .filter(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()) && h.bytes().any(|b| b != b'0'))
        .map(|h| Cow::Owned(h.to_ascii_lowercase()));
    if text(o, "parser") == Some("filestat") {
        e.sha256 = text(o, "sha256_hash")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|h| Cow::Owned(h.to_ascii_lowercase()));
    }
}

fn evtx<'v>(o: &'v Obj<'_>, e: &mut Event<'v>) {
    let provider = text(o, "source_name").unwrap_or("");
    let Some(id) = o.int_of("event_identifier") else { return };
    let security = provider == "Microsoft-Windows-Security-Auditing";
    e.kind = match (provider, id) {
        (_, 4624) if security => EventKind::SessionLogon,
        (_, 4634 | 4647) if security => EventKind::SessionLogoff,
        (_, 4800) if security => EventKind::SessionLock,
        (_, 4801) if security => EventKind::SessionUnlock,
        ("Microsoft-Windows-Kernel-Power", 42) => EventKind::PowerSleep,
        ("Microsoft-Windows-Power-Troubleshooter", 1) => EventKind::PowerWake,
        _ => return,
    };
    e.device = text(o, "hostname").map(Cow::Borrowed);
    if !security {
        return;
    }
    let xml = text(o, "xml_string").unwrap_or("");
    e.actor = xml_data(xml, "TargetUserName").filter(|s| !s.is_empty() && s != "-");
    e.client_ip = xml_data(xml, "IpAddress").filter(|s| !s.is_empty() && s != "-");
    if let Some(l) = xml_data(xml, "TargetLogonId") {
        push_unique(e, "target_logon_id", l);
    }
    let logon_type = xml_data(xml, "LogonType").and_then(|t| t.trim().parse::<i64>().ok());
    if let Some(t) = logon_type {
        push_unique(e, "logon_type", t);
    }
    e.auto = match (id, logon_type) {
        (4624, Some(0 | 4 | 5)) => Some(true),
        (4624, Some(2 | 7 | 10 | 11 | 12 | 13)) | (4647, _) => Some(false),
        _ => None,
    };
}

/// The text of `<Data Name="name">…</Data>` in an EVTX record's XML, with the
/// five predefined entities decoded.
pub fn xml_data<'v>(xml: &'v str, name: &str) -> Option<Cow<'v, str>> {
    let open = format!("<Data Name=\"{name}\"");
    let start = xml.find(&open)? + open.len();
    let rest = xml.get(start..)?;
    if rest.starts_with("/>") {
        return Some(Cow::Borrowed(""));
    }
    let rest = rest.strip_prefix('>')?;
    let value = &rest[..rest.find("</Data>")?];
    if !value.contains('&') {
        return Some(Cow::Borrowed(value));
    }
    Some(Cow::Owned(
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_data_by_name() {
        let x = r#"<EventData><Data Name="TargetUserName">a&amp;b</Data><Data Name="IpAddress">-</Data><Data Name="Empty"/><Data Name="LogonType">2</Data></EventData>"#;
        assert_eq!(xml_data(x, "TargetUserName").as_deref(), Some("a&b"));
        assert_eq!(xml_data(x, "IpAddress").as_deref(), Some("-"));
        assert_eq!(xml_data(x, "Empty").as_deref(), Some(""));
        assert_eq!(xml_data(x, "LogonType").as_deref(), Some("2"));
        assert_eq!(xml_data(x, "Missing"), None);
        assert_eq!(xml_data("<Data Name=\"X\">unclosed", "X"), None);
    }

    #[test]
    fn zero_and_non_integer_timestamps_are_rejected() {
        assert!(micros(&Json::parse_str("0").unwrap()).is_err());
        assert!(micros(&Json::parse_str("1.5").unwrap()).is_err());
        assert!(micros(&Json::parse_str("9223372036854775807").unwrap()).is_err());
        assert_eq!(
            micros(&Json::parse_str("1516555594486347").unwrap()).map(Timestamp::unix_micros),
            Ok(1_516_555_594_486_347)
        );
    }

    #[test]
    fn attr_values() {
        let v = Json::parse_str(r#"{"a": [1, "x"], "b": ["x", "y"], "c": {"k": 1}, "d": 18446744073709551615}"#)
            .unwrap()
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(attr_value(v.get("a").unwrap()), Some(AttrValue::Str(Cow::Owned(r#"[1,"x"]"#.into()))));
        assert_eq!(
            attr_value(v.get("b").unwrap()),
            Some(AttrValue::List(vec![Cow::Borrowed("x"), Cow::Borrowed("y")]))
        );
        assert_eq!(attr_value(v.get("c").unwrap()), Some(AttrValue::Str(Cow::Owned(r#"{"k":1}"#.into()))));
        assert_eq!(attr_value(v.get("d").unwrap()), Some(AttrValue::Str(Cow::Owned("18446744073709551615".into()))));
        assert_eq!(attr_value(&Json::Null), None);
    }
}

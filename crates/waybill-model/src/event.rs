//! One observed action, as a parser reports it.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::{EventKind, Precision, RecordRef, Reject, Timestamp};

/// An event borrowed from the record it was parsed from.
///
/// Parsers fill only what their record says; everything else stays `None`. The
/// ingest context (input id, format, clock, device, assumed zone) is added by the
/// sink, not by the parser. Field meanings are the event-table columns documented
/// in the crate docs.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// When it happened, in UTC.
    pub ts: Timestamp,
    /// How finely the source recorded `ts`.
    pub precision: Precision,
    /// `ts` was written in local time without an offset and converted with an
    /// assumed zone (`--tz` or the case zone); the sink records which.
    pub local_time: bool,
    /// What happened.
    pub kind: EventKind,
    /// Where in the input the record is.
    pub record: RecordRef,
    /// Who acted (account, user name, e-mail, JID), as the source names them.
    pub actor: Option<Cow<'a, str>>,
    /// The device, when the record itself names one (otherwise the input's `--device`).
    pub device: Option<Cow<'a, str>>,
    /// Client IP address.
    pub client_ip: Option<Cow<'a, str>>,
    /// User-Agent string.
    pub user_agent: Option<Cow<'a, str>>,
    /// URL (absolute where the source allows, else as logged).
    pub url: Option<Cow<'a, str>>,
    /// Referring URL.
    pub referrer: Option<Cow<'a, str>>,
    /// File system path or object key.
    pub path: Option<Cow<'a, str>>,
    /// Size in bytes (response body, file size, object size).
    pub size: Option<i64>,
    /// Status code (HTTP status, download state), as the source writes it.
    pub status: Option<i32>,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: Option<Cow<'a, str>>,
    /// MD5 of the content, lower-case hex.
    pub md5: Option<Cow<'a, str>>,
    /// SHA-1 of the content, lower-case hex.
    pub sha1: Option<Cow<'a, str>>,
    /// A provider-specific content hash (ETag, QuickXorHash, Dropbox content_hash, …).
    pub provider_hash: Option<Cow<'a, str>>,
    /// Which provider hash `provider_hash` is (`s3_etag`, `quickxorhash`, …).
    pub provider_hash_kind: Option<&'static str>,
    /// `Sec-Fetch-Site` request header.
    pub fetch_site: Option<Cow<'a, str>>,
    /// `Sec-Fetch-Mode` request header.
    pub fetch_mode: Option<Cow<'a, str>>,
    /// `Sec-Fetch-Dest` request header.
    pub fetch_dest: Option<Cow<'a, str>>,
    /// `Sec-Fetch-User` request header (`?1` when present).
    pub fetch_user: Option<Cow<'a, str>>,
    /// Speculative-load purpose (`Sec-Purpose`, `Purpose`, `X-Moz`, `X-Purpose`).
    pub purpose: Option<Cow<'a, str>>,
    /// Decoded navigation transition (browser history), e.g. `LINK|CHAIN_START|CHAIN_END`.
    pub transition: Option<Cow<'a, str>>,
    /// The source itself says this was automatic (`true`) or user-driven (`false`).
    pub auto: Option<bool>,
    /// Format-specific extras, in insertion order.
    pub attrs: Attrs<'a>,
}

impl<'a> Event<'a> {
    /// An event with only its required fields set.
    pub fn new(kind: EventKind, ts: Timestamp, precision: Precision, record: RecordRef) -> Self {
        Self {
            ts,
            precision,
            local_time: false,
            kind,
            record,
            actor: None,
            device: None,
            client_ip: None,
            user_agent: None,
            url: None,
            referrer: None,
            path: None,
            size: None,
            status: None,
            sha256: None,
            md5: None,
            sha1: None,
            provider_hash: None,
            provider_hash_kind: None,
            fetch_site: None,
            fetch_mode: None,
            fetch_dest: None,
            fetch_user: None,
            purpose: None,
            transition: None,
            auto: None,
            attrs: Attrs::default(),
        }
    }
}

/// A value in an event's `attrs`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A floating-point number (non-finite values are written as `null`).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An instant, written as RFC 3339 UTC.
    Time(Timestamp),
    /// A list of strings (a redirect chain), written as a JSON array.
    List(Vec<Cow<'a, str>>),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Self::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Self::Str(Cow::Owned(s))
    }
}
impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Self::Str(s)
    }
}
impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<Timestamp> for Value<'_> {
    fn from(v: Timestamp) -> Self {
        Self::Time(v)
    }
}

/// Format-specific extras of an event: ordered `(key, value)` pairs, stored as one
/// JSON object in the `attrs` column. Keys are a fixed, documented vocabulary per
/// source (or, for user-defined log formats, the names the format gives).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs<'a>(pub Vec<(&'a str, Value<'a>)>);

impl<'a> Attrs<'a> {
    /// Adds a pair.
    pub fn push(&mut self, key: &'a str, value: impl Into<Value<'a>>) {
        self.0.push((key, value.into()));
    }

    /// Adds a pair when `value` is `Some`.
    pub fn push_opt<V: Into<Value<'a>>>(&mut self, key: &'a str, value: Option<V>) {
        if let Some(v) = value {
            self.0.push((key, v.into()));
        }
    }

    /// No pairs?
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends the pairs as a JSON object to `out`. Later duplicates of a key win
    /// when the JSON is read back, so sources must not repeat keys.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_str(out, k);
            out.push(':');
            match v {
                Value::Str(s) => write_json_str(out, s),
                Value::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                Value::Float(f) if f.is_finite() => {
                    let _ = write!(
                        out,
                        "{}",
                        serde_json::Number::from_f64(*f).map_or_else(|| "null".to_owned(), |n| n.to_string())
                    );
                }
                Value::Float(_) => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Time(t) => {
                    out.push('"');
                    let _ = write!(out, "{t}");
                    out.push('"');
                }
                Value::List(items) => {
                    out.push('[');
                    for (j, item) in items.iter().enumerate() {
                        if j > 0 {
                            out.push(',');
                        }
                        write_json_str(out, item);
                    }
                    out.push(']');
                }
            }
        }
        out.push('}');
    }
}

/// Appends `s` as a JSON string literal.
pub fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Where parsers put what they read. Implemented by the ingest driver's Arrow
/// batch builder and by test collectors.
///
/// Protocol: for each record, either call [`event`](Self::event) zero or more
/// times followed by [`accepted`](Self::accepted), or call
/// [`reject`](Self::reject) once (and no `event` for that record). This is what
/// lets the driver check *records read = accepted + rejected* for every input.
pub trait EventSink {
    /// One event of the current record.
    fn event(&mut self, event: Event<'_>);
    /// The current record is complete and accepted.
    fn accepted(&mut self);
    /// The current record is rejected.
    fn reject(&mut self, reject: Reject<'_>);
}

/// Closes one record on `out`: its events then `accepted`; or, when it did not
/// map, its reject with `raw()` (called only then) as the record's bytes.
pub fn close_record<R: AsRef<[u8]>>(
    out: &mut dyn EventSink,
    record: RecordRef,
    outcome: Result<Vec<Event<'_>>, crate::RejectReason>,
    raw: impl FnOnce() -> R,
) {
    match outcome {
        Ok(events) => {
            for e in events {
                out.event(e);
            }
            out.accepted();
        }
        Err(reason) => out.reject(Reject { record, reason, raw: raw().as_ref() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_json_escapes_and_keeps_order() {
        let mut a = Attrs::default();
        a.push("method", "GET");
        a.push("q", "a\"b\\c\u{1}");
        a.push("n", 5_i64);
        a.push("ok", true);
        a.push("t", Timestamp::from_unix_seconds(0).unwrap());
        a.push("f", 0.25_f64);
        let mut s = String::new();
        a.write_json(&mut s);
        assert_eq!(
            s,
            r#"{"method":"GET","q":"a\"b\\c\u0001","n":5,"ok":true,"t":"1970-01-01T00:00:00.000000Z","f":0.25}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["q"], "a\"b\\c\u{1}");
    }
}

//! An event as the case stores it, read back for reasoning: every column of
//! the event table with its type, and `attrs` as a parsed JSON object.
//!
//! Parsers produce borrowed [`crate::Event`]s; the store writes them with the
//! input's context (source, clock, device, zone) and reads them back as
//! [`StoredEvent`]s. Rules name columns by their event-table name (or
//! `attrs.<key>`), so [`StoredEvent::column`] gives any of them as text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::EventKind;

/// One row of the event table.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Microseconds since the Unix epoch, UTC, as the source's clock read it.
    pub ts: i64,
    /// `d`, `s`, `ms`, `us`, `100ns`, `ns`.
    pub ts_precision: String,
    /// Zone applied to a local time written without an offset.
    pub tz_assumed: Option<String>,
    /// The clock that produced `ts`.
    pub clock: String,
    /// Source format id.
    pub format: String,
    /// Manifest id of the input.
    pub source: String,
    /// Where in the input.
    pub record: String,
    /// Parse order within the input.
    pub seq: u64,
    /// What happened.
    pub kind: EventKind,
    /// Who acted, as the source names them.
    pub actor: Option<String>,
    /// The device the record names, or the input's `--device`.
    pub device: Option<String>,
    /// Client address.
    pub client_ip: Option<String>,
    /// User-Agent.
    pub user_agent: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Referring URL.
    pub referrer: Option<String>,
    /// File system path or object key.
    pub path: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    /// Status code.
    pub status: Option<i32>,
    /// SHA-256, hex.
    pub sha256: Option<String>,
    /// MD5, hex.
    pub md5: Option<String>,
    /// SHA-1, hex.
    pub sha1: Option<String>,
    /// Provider-specific hash.
    pub provider_hash: Option<String>,
    /// Which provider hash.
    pub provider_hash_kind: Option<String>,
    /// `Sec-Fetch-Site`.
    pub fetch_site: Option<String>,
    /// `Sec-Fetch-Mode`.
    pub fetch_mode: Option<String>,
    /// `Sec-Fetch-Dest`.
    pub fetch_dest: Option<String>,
    /// `Sec-Fetch-User`.
    pub fetch_user: Option<String>,
    /// Speculative-load purpose.
    pub purpose: Option<String>,
    /// Decoded navigation transition.
    pub transition: Option<String>,
    /// The source says automatic (`true`) or user-driven (`false`).
    pub auto: Option<bool>,
    /// Format-specific extras.
    pub attrs: BTreeMap<String, serde_json::Value>,
}

impl StoredEvent {
    /// An event with only the required columns set (tests and tools build
    /// others field by field).
    pub fn new(ts: i64, kind: EventKind, source: &str, record: &str) -> Self {
        Self {
            ts,
            ts_precision: "us".into(),
            tz_assumed: None,
            clock: String::new(),
            format: String::new(),
            source: source.into(),
            record: record.into(),
            seq: 0,
            kind,
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
            attrs: BTreeMap::new(),
        }
    }

    /// A column of the event table by name, or `attrs.<key>`, as text: `None`
    /// when absent or empty. Numbers and booleans print as JSON does; an
    /// `attrs` list prints as its JSON text.
    pub fn column(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(key) = name.strip_prefix("attrs.") {
            return self.attr(key);
        }
        fn s(v: &Option<String>) -> Option<Cow<'_, str>> {
            v.as_deref().filter(|s| !s.is_empty()).map(Cow::Borrowed)
        }
        match name {
            "ts" => Some(Cow::Owned(self.ts.to_string())),
            "ts_precision" => Some(Cow::Borrowed(self.ts_precision.as_str())),
            "tz_assumed" => s(&self.tz_assumed),
            "clock" => Some(Cow::Borrowed(self.clock.as_str())).filter(|c| !c.is_empty()),
            "format" => Some(Cow::Borrowed(self.format.as_str())).filter(|c| !c.is_empty()),
            "source" => Some(Cow::Borrowed(self.source.as_str())),
            "record" => Some(Cow::Borrowed(self.record.as_str())),
            "seq" => Some(Cow::Owned(self.seq.to_string())),
            "kind" => Some(Cow::Borrowed(self.kind.as_str())),
            "actor" => s(&self.actor),
            "device" => s(&self.device),
            "client_ip" => s(&self.client_ip),
            "user_agent" => s(&self.user_agent),
            "url" => s(&self.url),
            "referrer" => s(&self.referrer),
            "path" => s(&self.path),
            "size" => self.size.map(|v| Cow::Owned(v.to_string())),
            "status" => self.status.map(|v| Cow::Owned(v.to_string())),
            "sha256" => s(&self.sha256),
            "md5" => s(&self.md5),
            "sha1" => s(&self.sha1),
            "provider_hash" => s(&self.provider_hash),
            "provider_hash_kind" => s(&self.provider_hash_kind),
            "fetch_site" => s(&self.fetch_site),
            "fetch_mode" => s(&self.fetch_mode),
            "fetch_dest" => s(&self.fetch_dest),
            "fetch_user" => s(&self.fetch_user),
            "purpose" => s(&self.purpose),
            "transition" => s(&self.transition),
            "auto" => self.auto.map(|b| Cow::Borrowed(if b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// An `attrs` value as text (see [`Self::column`]).
    pub fn attr(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.attrs.get(key)? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(Cow::Borrowed(s.as_str())).filter(|s| !s.is_empty()),
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    /// An `attrs` string.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
    }

    /// An `attrs` boolean (`true`/`false`, or the strings `"true"`/`"false"`).
    pub fn attr_bool(&self, key: &str) -> Option<bool> {
        match self.attrs.get(key)? {
            serde_json::Value::Bool(b) => Some(*b),
            serde_json::Value::String(s) if s == "true" => Some(true),
            serde_json::Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// An `attrs` integer (a JSON number or a decimal string).
    pub fn attr_i64(&self, key: &str) -> Option<i64> {
        match self.attrs.get(key)? {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// An `attrs` list of strings (a redirect chain).
    pub fn attr_list(&self, key: &str) -> Vec<&str> {
        match self.attrs.get(key) {
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(serde_json::Value::as_str).collect(),
            Some(serde_json::Value::String(s)) if !s.is_empty() => vec![s.as_str()],
            _ => Vec::new(),
        }
    }

    /// `(source, record)`: the record the event points back to.
    pub fn record_key(&self) -> (&str, &str) {
        (&self.source, &self.record)
    }

    /// The order events are kept in: time, then input and parse order (unique).
    pub fn order_key(&self) -> (i64, &str, u64) {
        (self.ts, &self.source, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_attrs_read_as_text() {
        let mut e = StoredEvent::new(5, EventKind::BrowserDownload, "I0002", "downloads rowid 1");
        e.size = Some(42);
        e.auto = Some(false);
        e.url = Some(String::new());
        e.attrs.insert("phase".into(), "end".into());
        e.attrs.insert("opened".into(), true.into());
        e.attrs.insert("url_chain".into(), serde_json::json!(["https://a.example/x", "https://b.example/y"]));
        assert_eq!(e.column("kind").as_deref(), Some("browser.download"));
        assert_eq!(e.column("size").as_deref(), Some("42"));
        assert_eq!(e.column("auto").as_deref(), Some("false"));
        assert_eq!(e.column("url"), None);
        assert_eq!(e.column("attrs.phase").as_deref(), Some("end"));
        assert_eq!(e.column("attrs.opened").as_deref(), Some("true"));
        assert_eq!(e.attr_bool("opened"), Some(true));
        assert_eq!(e.attr_list("url_chain"), ["https://a.example/x", "https://b.example/y"]);
        assert_eq!(e.column("no_such_column"), None);
    }
}

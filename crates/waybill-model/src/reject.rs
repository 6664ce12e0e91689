//! Records that could not be turned into events: kept, counted and reported.

use base64::Engine as _;
use serde::Serialize;

use crate::RecordRef;

/// The longest excerpt of a rejected record that is kept, in bytes.
pub const EXCERPT_LIMIT: usize = 512;

/// Why a record was rejected. The `Display` form starts with a stable code
/// (`malformed:`, `timestamp:`, …) that scripts can match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// The record does not have the syntax of its format.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The record's timestamp is missing, invalid or out of range.
    #[error("timestamp: {0}")]
    Timestamp(String),
    /// A field holds a value its format does not allow.
    #[error("value: {field}: {detail}")]
    Value {
        /// The field's name in the format.
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The record ends before all its fields (a cut-off last line, a short row).
    #[error("truncated: {0}")]
    Truncated(String),
    /// The record is longer than the limit waybill reads for one record.
    #[error("too long: {len} bytes exceeds the {limit}-byte record limit")]
    TooLong {
        /// Length of the record in bytes (as far as it was read).
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// Local time that does not exist or is ambiguous in the zone assumed for it.
    #[error("zone: {0}")]
    Zone(String),
}

impl RejectReason {
    /// The stable code at the start of the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Timestamp(_) => "timestamp",
            Self::Value { .. } => "value",
            Self::Truncated(_) => "truncated",
            Self::TooLong { .. } => "too_long",
            Self::Zone(_) => "zone",
        }
    }
}

impl From<crate::TimeError> for RejectReason {
    fn from(e: crate::TimeError) -> Self {
        Self::Timestamp(e.to_string())
    }
}

/// A rejected record as parsers report it.
#[derive(Debug, Clone)]
pub struct Reject<'a> {
    /// Where the record is.
    pub record: RecordRef,
    /// Why it was rejected.
    pub reason: RejectReason,
    /// The raw bytes of the record (trimmed to [`EXCERPT_LIMIT`] when stored).
    pub raw: &'a [u8],
}

/// An excerpt of raw evidence bytes: text when it is valid UTF-8, base64 otherwise
/// (ripgrep's JSON convention of `text` vs `bytes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Excerpt {
    /// Valid UTF-8.
    Text(String),
    /// Base64 (standard alphabet, padded) of bytes that are not UTF-8.
    Bytes(String),
}

impl Excerpt {
    /// Builds an excerpt of at most [`EXCERPT_LIMIT`] bytes of `raw`, never splitting
    /// a UTF-8 character.
    pub fn of(raw: &[u8]) -> Self {
        let mut cut = raw.len().min(EXCERPT_LIMIT);
        if let Ok(text) = std::str::from_utf8(raw) {
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return Self::Text(text[..cut].to_owned());
        }
        match std::str::from_utf8(&raw[..cut]) {
            Ok(text) => Self::Text(text.to_owned()),
            Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => {
                // Only cut inside a character at the limit: keep the valid prefix.
                Self::Text(String::from_utf8_lossy(&raw[..e.valid_up_to()]).into_owned())
            }
            Err(_) => Self::Bytes(base64::engine::general_purpose::STANDARD.encode(&raw[..cut])),
        }
    }

    /// The excerpt's encoding: `text` or `base64`.
    pub fn encoding(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Bytes(_) => "base64",
        }
    }

    /// The excerpt's value (text, or base64).
    pub fn value(&self) -> &str {
        match self {
            Self::Text(s) | Self::Bytes(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_text_and_bytes() {
        assert_eq!(Excerpt::of(b"abc"), Excerpt::Text("abc".into()));
        assert_eq!(Excerpt::of(b"\xff\x00"), Excerpt::Bytes("/wA=".into()));
        let long = "é".repeat(400); // 800 bytes
        match Excerpt::of(long.as_bytes()) {
            Excerpt::Text(t) => assert_eq!(t.len(), 512),
            Excerpt::Bytes(_) => panic!("valid UTF-8 must stay text"),
        }
    }

    #[test]
    fn reason_codes_prefix_messages() {
        let r = RejectReason::TooLong { len: 10, limit: 5 };
        assert!(r.to_string().starts_with(r.code().replace('_', " ").as_str()));
        assert_eq!(RejectReason::Malformed("x".into()).to_string(), "malformed: x");
    }
}

//! The people and things a case is about.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of identifier a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// An account: e-mail, user name, UPN, JID.
    Account,
    /// A device name or identifier.
    Device,
    /// An IP address.
    Ip,
    /// A phone number.
    Phone,
}

impl SubjectKind {
    /// The lower-case name used on the command line and in `case.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Device => "device",
            Self::Ip => "ip",
            Self::Phone => "phone",
        }
    }
}

/// One identifier of the subject of a case, optionally valid only for a time
/// (an address the subject held under DHCP or CGNAT, or shared with a
/// household for a while: `ip=203.0.113.7@2026-01-01T00:00:00Z..2026-02-01T00:00:00Z`;
/// either bound may be left out).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// Kind of identifier.
    pub kind: SubjectKind,
    /// Its value, as given.
    pub value: String,
    /// Valid from (RFC 3339 UTC), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Valid until (RFC 3339 UTC), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Subject {
    /// A subject valid at all times.
    pub fn new(kind: SubjectKind, value: &str) -> Self {
        Self { kind, value: value.to_owned(), from: None, to: None }
    }

    /// Is the identifier the subject's at `ts` (µs UTC)? A bound that does not
    /// parse (a hand-edited `case.toml`) is treated as absent by
    /// [`Self::bounds`], whose caller reports it.
    pub fn valid_at(&self, ts: i64) -> bool {
        let (from, to) = self.bounds().unwrap_or((None, None));
        from.is_none_or(|f| ts >= f) && to.is_none_or(|t| ts <= t)
    }

    /// The validity bounds in µs UTC.
    pub fn bounds(&self) -> Result<(Option<i64>, Option<i64>), SubjectError> {
        let parse = |v: &Option<String>| -> Result<Option<i64>, SubjectError> {
            v.as_deref()
                .map(|t| {
                    crate::Timestamp::parse_rfc3339(t)
                        .map(crate::Timestamp::unix_micros)
                        .map_err(|_| SubjectError::Bound { value: self.value.clone(), bound: t.to_owned() })
                })
                .transpose()
        };
        Ok((parse(&self.from)?, parse(&self.to)?))
    }
}

/// A `KIND=VALUE` subject that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// No `=` in the text.
    #[error("subject {0:?} is not KIND=VALUE")]
    Syntax(String),
    /// Unknown kind.
    #[error("unknown subject kind {0:?} (expected account, device, ip or phone)")]
    Kind(String),
    /// Empty value, or an IP that does not parse.
    #[error("invalid {kind} value {value:?}")]
    Value {
        /// The kind.
        kind: &'static str,
        /// The value given.
        value: String,
    },
    /// A validity bound that is not an RFC 3339 time, or bounds out of order.
    #[error(
        "subject {value:?}: validity bound {bound:?} is not an RFC 3339 time (e.g. 2026-01-05T08:00:00Z) or the bounds are out of order"
    )]
    Bound {
        /// The value.
        value: String,
        /// The bound given.
        bound: String,
    },
}

impl FromStr for Subject {
    type Err = SubjectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, v) = s.split_once('=').ok_or_else(|| SubjectError::Syntax(s.to_owned()))?;
        let kind = match k.trim().to_ascii_lowercase().as_str() {
            "account" => SubjectKind::Account,
            "device" => SubjectKind::Device,
            "ip" => SubjectKind::Ip,
            "phone" => SubjectKind::Phone,
            other => return Err(SubjectError::Kind(other.to_owned())),
        };
        // `VALUE@FROM..TO`: an IPv6 address has no `@`, nor do the other
        // kinds' values before a validity range (an account's `@` is followed
        // by a domain, never by `..`).
        let (value, range) = match v.trim().rsplit_once('@') {
            Some((val, r)) if r.contains("..") => (val.trim(), Some(r.trim())),
            _ => (v.trim(), None),
        };
        let bad = || SubjectError::Value { kind: kind.as_str(), value: value.to_owned() };
        if value.is_empty() {
            return Err(bad());
        }
        if kind == SubjectKind::Ip && value.parse::<std::net::IpAddr>().is_err() {
            return Err(bad());
        }
        let mut subject = Self::new(kind, value);
        if let Some(range) = range {
            let (from, to) = range.split_once("..").unwrap_or((range, ""));
            let some = |t: &str| (!t.trim().is_empty()).then(|| t.trim().to_owned());
            subject.from = some(from);
            subject.to = some(to);
            let bound = || SubjectError::Bound { value: value.to_owned(), bound: range.to_owned() };
            match subject.bounds() {
                Ok((Some(a), Some(b))) if a > b => return Err(bound()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(subject)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.as_str(), self.value)?;
        if self.from.is_some() || self.to.is_some() {
            write!(f, "@{}..{}", self.from.as_deref().unwrap_or(""), self.to.as_deref().unwrap_or(""))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds() {
        let s: Subject = "ip=203.0.113.7".parse().unwrap();
        assert_eq!((s.kind, s.value.as_str()), (SubjectKind::Ip, "203.0.113.7"));
        assert_eq!("phone=+15550100".parse::<Subject>().unwrap().to_string(), "phone=+15550100");
        assert!(matches!("ip=300.1.1.1".parse::<Subject>(), Err(SubjectError::Value { .. })));
        assert!(matches!("user=x".parse::<Subject>(), Err(SubjectError::Kind(_))));
        assert!(matches!("account".parse::<Subject>(), Err(SubjectError::Syntax(_))));
        let a: Subject = "account=alice@example.com".parse().unwrap();
        assert_eq!((a.value.as_str(), a.from.as_deref()), ("alice@example.com", None));
        let v6: Subject = "ip=2001:db8::7".parse().unwrap();
        assert_eq!(v6.value, "2001:db8::7");
    }

    #[test]
    fn an_address_may_be_the_subjects_for_a_time() {
        let s: Subject = "ip=203.0.113.7@2026-01-01T00:00:00Z..2026-02-01T00:00:00Z".parse().unwrap();
        assert_eq!(s.value, "203.0.113.7");
        assert_eq!(s.to_string(), "ip=203.0.113.7@2026-01-01T00:00:00Z..2026-02-01T00:00:00Z");
        let jan15 = crate::Timestamp::parse_rfc3339("2026-01-15T00:00:00Z").unwrap().unix_micros();
        let feb15 = crate::Timestamp::parse_rfc3339("2026-02-15T00:00:00Z").unwrap().unix_micros();
        assert!(s.valid_at(jan15) && !s.valid_at(feb15));
        let open: Subject = "ip=203.0.113.7@2026-02-01T00:00:00Z..".parse().unwrap();
        assert!(!open.valid_at(jan15) && open.valid_at(feb15));
        assert_eq!(open.to_string(), "ip=203.0.113.7@2026-02-01T00:00:00Z..");
        assert!(matches!("ip=203.0.113.7@yesterday..".parse::<Subject>(), Err(SubjectError::Bound { .. })));
        assert!(matches!(
            "ip=203.0.113.7@2026-02-01T00:00:00Z..2026-01-01T00:00:00Z".parse::<Subject>(),
            Err(SubjectError::Bound { .. })
        ));
    }
}

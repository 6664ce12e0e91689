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

/// One identifier of the subject of a case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// Kind of identifier.
    pub kind: SubjectKind,
    /// Its value, as given.
    pub value: String,
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
        let value = v.trim();
        let bad = || SubjectError::Value { kind: kind.as_str(), value: value.to_owned() };
        if value.is_empty() {
            return Err(bad());
        }
        if kind == SubjectKind::Ip && value.parse::<std::net::IpAddr>().is_err() {
            return Err(bad());
        }
        Ok(Self { kind, value: value.to_owned() })
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.as_str(), self.value)
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
    }
}

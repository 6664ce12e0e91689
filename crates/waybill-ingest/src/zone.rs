//! The zone assumed for local times written without an offset.

use std::fmt;
use std::str::FromStr;

use chrono::{LocalResult, NaiveDate, Offset, TimeZone};
use waybill_model::{NaiveDateTime, RejectReason, Timestamp};

/// A time zone: UTC, a fixed offset, or an IANA zone (with its DST rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// UTC.
    #[default]
    Utc,
    /// A fixed offset, seconds east of UTC.
    Fixed(i32),
    /// An IANA zone such as `Europe/Berlin`.
    Named(chrono_tz::Tz),
}

/// A zone name that is neither `UTC`, an offset nor an IANA zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (use an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00)")]
pub struct ZoneError(pub String);

impl FromStr for Zone {
    type Err = ZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" || t.eq_ignore_ascii_case("gmt") {
            return Ok(Self::Utc);
        }
        if let Some(off) = waybill_model::time::parse_offset(t) {
            return Ok(if off == 0 { Self::Utc } else { Self::Fixed(off) });
        }
        t.parse::<chrono_tz::Tz>().map(Self::Named).map_err(|_| ZoneError(s.to_owned()))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Utc => f.write_str("UTC"),
            Self::Fixed(off) => {
                let sign = if *off < 0 { '-' } else { '+' };
                let a = off.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, (a / 60) % 60)
            }
            Self::Named(tz) => f.write_str(tz.name()),
        }
    }
}

/// A local time converted to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    /// The instant.
    pub ts: Timestamp,
    /// The local time occurred twice (end of daylight saving time); `ts` is the
    /// earlier of the two and the event says so.
    pub ambiguous: bool,
}

impl Zone {
    /// Converts a local time in this zone to UTC. A local time that does not exist
    /// (skipped by a daylight-saving change) is a reject, never a guess.
    pub fn to_utc(self, n: NaiveDateTime) -> Result<Converted, RejectReason> {
        match self {
            Self::Utc => Ok(Converted { ts: n.assume_utc()?, ambiguous: false }),
            Self::Fixed(off) => Ok(Converted { ts: n.to_utc_with_offset(off)?, ambiguous: false }),
            Self::Named(tz) => {
                let year = i32::try_from(n.year).map_err(|_| RejectReason::Timestamp(format!("year {}", n.year)))?;
                let date = NaiveDate::from_ymd_opt(year, n.month, n.day)
                    .and_then(|d| d.and_hms_micro_opt(n.hour, n.minute, n.second.min(59), n.micro))
                    .ok_or_else(|| RejectReason::Timestamp(format!("{n:?}")))?;
                let (offset, ambiguous) = match tz.offset_from_local_datetime(&date) {
                    LocalResult::Single(o) => (o.fix().local_minus_utc(), false),
                    LocalResult::Ambiguous(a, b) => {
                        let (a, b) = (a.fix().local_minus_utc(), b.fix().local_minus_utc());
                        // The earlier instant is the one with the larger offset.
                        (a.max(b), true)
                    }
                    LocalResult::None => {
                        return Err(RejectReason::Zone(format!(
                            "local time {date} does not exist in {} (skipped by a daylight-saving change)",
                            tz.name()
                        )));
                    }
                };
                Ok(Converted { ts: n.to_utc_with_offset(offset)?, ambiguous })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(s: &str) -> NaiveDateTime {
        waybill_model::time::parse_naive(s).unwrap()
    }

    #[test]
    fn named_zone_dst() {
        let z: Zone = "Europe/Berlin".parse().unwrap();
        let c = z.to_utc(naive("2026-07-01 12:00:00")).unwrap();
        assert_eq!(c.ts.to_string(), "2026-07-01T10:00:00.000000Z");
        // 2026-10-25 02:30 happens twice in Berlin.
        let c = z.to_utc(naive("2026-10-25 02:30:00")).unwrap();
        assert!(c.ambiguous);
        assert_eq!(c.ts.to_string(), "2026-10-25T00:30:00.000000Z");
        // 2026-03-29 02:30 does not exist in Berlin.
        assert!(matches!(z.to_utc(naive("2026-03-29 02:30:00")), Err(RejectReason::Zone(_))));
    }

    #[test]
    fn parse_forms() {
        assert_eq!("utc".parse::<Zone>().unwrap(), Zone::Utc);
        assert_eq!("+02:00".parse::<Zone>().unwrap(), Zone::Fixed(7200));
        assert_eq!(Zone::Fixed(-25200).to_string(), "-07:00");
        assert!("Mars/Olympus".parse::<Zone>().is_err());
    }
}

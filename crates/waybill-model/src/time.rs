//! Instants on the UTC time line, with the precision their source recorded.
//!
//! Every timestamp in the event table is a count of microseconds since
//! 1970-01-01T00:00:00Z. Sources use many epochs and units (WebKit µs since 1601,
//! Cocoa seconds since 2001, PRTime µs, Unix seconds or milliseconds); the
//! constructors here are the only place those conversions are written, so a
//! mistake in one can be found and fixed once.
//!
//! Calendar arithmetic uses Howard Hinnant's `days_from_civil` algorithm, which is
//! exact for the proleptic Gregorian calendar over the whole `i64` range we accept.

use std::fmt;

/// Microseconds between 1601-01-01 (WebKit/Windows epoch) and 1970-01-01.
pub const WEBKIT_EPOCH_OFFSET_US: i64 = 11_644_473_600_000_000;
/// Seconds between 1970-01-01 and 2001-01-01 (Cocoa/Core Data epoch).
pub const COCOA_EPOCH_OFFSET_S: i64 = 978_307_200;

/// Smallest instant we accept: 1601-01-01T00:00:00Z (the oldest epoch any source uses).
pub const MIN_US: i64 = -WEBKIT_EPOCH_OFFSET_US;
/// Largest instant we accept: 9999-12-31T23:59:59.999999Z.
pub const MAX_US: i64 = 253_402_300_799_999_999;

/// An instant in UTC, in microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a value could not be turned into a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The value lies outside 1601-01-01 … 9999-12-31.
    #[error("timestamp out of range (1601..9999): {0}")]
    OutOfRange(String),
    /// The text is not a time in the expected syntax.
    #[error("not a valid time: {0:?}")]
    Syntax(String),
}

impl Timestamp {
    /// From microseconds since 1970-01-01 UTC.
    pub fn from_unix_micros(us: i64) -> Result<Self, TimeError> {
        if (MIN_US..=MAX_US).contains(&us) {
            Ok(Self(us))
        } else {
            Err(TimeError::OutOfRange(format!("{us} µs since 1970")))
        }
    }

    /// From whole seconds since 1970-01-01 UTC.
    pub fn from_unix_seconds(s: i64) -> Result<Self, TimeError> {
        s.checked_mul(1_000_000)
            .ok_or_else(|| TimeError::OutOfRange(format!("{s} s since 1970")))
            .and_then(Self::from_unix_micros)
    }

    /// From milliseconds since 1970-01-01 UTC.
    pub fn from_unix_millis(ms: i64) -> Result<Self, TimeError> {
        ms.checked_mul(1_000)
            .ok_or_else(|| TimeError::OutOfRange(format!("{ms} ms since 1970")))
            .and_then(Self::from_unix_micros)
    }

    /// From nanoseconds since 1970-01-01 UTC (truncated towards the past to µs).
    pub fn from_unix_nanos(ns: i128) -> Result<Self, TimeError> {
        let us = ns.div_euclid(1_000);
        i64::try_from(us)
            .map_err(|_| TimeError::OutOfRange(format!("{ns} ns since 1970")))
            .and_then(Self::from_unix_micros)
    }

    /// From fractional seconds since 1970-01-01 UTC, rounded to the nearest µs.
    pub fn from_unix_seconds_f64(s: f64) -> Result<Self, TimeError> {
        if !s.is_finite() {
            return Err(TimeError::OutOfRange(format!("{s} s since 1970")));
        }
        let us = (s * 1_000_000.0).round();
        if us < MIN_US as f64 || us > MAX_US as f64 {
            return Err(TimeError::OutOfRange(format!("{s} s since 1970")));
        }
        #[allow(clippy::cast_possible_truncation, reason = "range checked above")]
        Self::from_unix_micros(us as i64)
    }

    /// From WebKit/Chrome time: microseconds since 1601-01-01 UTC.
    pub fn from_webkit_micros(us: i64) -> Result<Self, TimeError> {
        us.checked_sub(WEBKIT_EPOCH_OFFSET_US)
            .ok_or_else(|| TimeError::OutOfRange(format!("{us} µs since 1601")))
            .and_then(Self::from_unix_micros)
    }

    /// From a Windows FILETIME: 100-nanosecond intervals since 1601-01-01 UTC
    /// (truncated to µs).
    pub fn from_filetime(ticks: u64) -> Result<Self, TimeError> {
        let us = i64::try_from(ticks / 10).map_err(|_| TimeError::OutOfRange(format!("FILETIME {ticks}")))?;
        Self::from_webkit_micros(us)
    }

    /// From Cocoa/Core Data time: fractional seconds since 2001-01-01 UTC.
    pub fn from_cocoa_seconds(s: f64) -> Result<Self, TimeError> {
        #[allow(clippy::cast_precision_loss, reason = "constant is exactly representable")]
        Self::from_unix_seconds_f64(s + COCOA_EPOCH_OFFSET_S as f64)
    }

    /// Microseconds since 1970-01-01 UTC.
    pub fn unix_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since 1970 (floor).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// This instant moved by `us` microseconds (saturating at the accepted range).
    #[must_use]
    pub fn add_micros(self, us: i64) -> Self {
        Self(self.0.saturating_add(us).clamp(MIN_US, MAX_US))
    }

    /// From a civil UTC date and time. `micro` is the sub-second part.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micro: u32,
    ) -> Result<Self, TimeError> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || micro > 999_999
        {
            return Err(TimeError::Syntax(format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")));
        }
        // A leap second (:60) is folded onto the next second, as most parsers do.
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
        secs.checked_mul(1_000_000)
            .and_then(|v| v.checked_add(i64::from(micro)))
            .ok_or_else(|| TimeError::OutOfRange(format!("year {year}")))
            .and_then(Self::from_unix_micros)
    }

    /// The civil UTC fields: (year, month, day, hour, minute, second, microsecond).
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(1_000_000);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "rem_euclid is in 0..1e6")]
        let micro = self.0.rem_euclid(1_000_000) as u32;
        let days = secs.div_euclid(86_400);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "rem_euclid is in 0..86400")]
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, micro)
    }

    /// Parses RFC 3339 / ISO 8601 date-times: `2026-01-03T02:14:07Z`,
    /// `2026-01-03 02:14:07.123+02:00`, `2026-01-03T02:14:07.123456789-0700`.
    /// A time without any offset is rejected: callers that accept local times
    /// use [`parse_naive`] and apply a zone themselves.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let (naive, rest) = parse_naive_prefix(text)?;
        let offset = parse_offset(rest).ok_or_else(|| TimeError::Syntax(text.to_owned()))?;
        naive.to_utc_with_offset(offset)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with six fractional digits and `Z`:
    /// `2026-01-03T02:14:07.123456Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.to_civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }
}

/// A date and time read without a zone: what a local-time log line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NaiveDateTime {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–60.
    pub second: u32,
    /// Microseconds 0–999 999.
    pub micro: u32,
}

impl NaiveDateTime {
    /// Interprets the fields as UTC.
    pub fn assume_utc(self) -> Result<Timestamp, TimeError> {
        Timestamp::from_civil(self.year, self.month, self.day, self.hour, self.minute, self.second, self.micro)
    }

    /// Interprets the fields as local time at `offset_s` seconds east of UTC.
    pub fn to_utc_with_offset(self, offset_s: i32) -> Result<Timestamp, TimeError> {
        let local = self.assume_utc()?;
        Timestamp::from_unix_micros(local.unix_micros() - i64::from(offset_s) * 1_000_000)
    }
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.frac]]` and returns the fields and the rest.
pub fn parse_naive(text: &str) -> Result<NaiveDateTime, TimeError> {
    let (naive, rest) = parse_naive_prefix(text)?;
    if rest.is_empty() { Ok(naive) } else { Err(TimeError::Syntax(text.to_owned())) }
}

fn parse_naive_prefix(text: &str) -> Result<(NaiveDateTime, &str), TimeError> {
    let err = || TimeError::Syntax(text.to_owned());
    let b = text.as_bytes();
    if b.len() < 16
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b[13] != b':'
    {
        return Err(err());
    }
    let year = i64::from(digits(&b[0..4]).ok_or_else(err)?);
    let month = digits(&b[5..7]).ok_or_else(err)?;
    let day = digits(&b[8..10]).ok_or_else(err)?;
    let hour = digits(&b[11..13]).ok_or_else(err)?;
    let minute = digits(&b[14..16]).ok_or_else(err)?;
    let mut i = 16;
    let mut second = 0;
    let mut micro = 0;
    if b.get(i) == Some(&b':') {
        second = digits(b.get(i + 1..i + 3).ok_or_else(err)?).ok_or_else(err)?;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return Err(err());
            }
            micro = fraction_to_micros(&b[start..i]);
        }
    }
    let naive = NaiveDateTime { year, month, day, hour, minute, second, micro };
    // Validate the civil fields now so callers get a syntax error, not a zone error.
    naive.assume_utc()?;
    Ok((naive, &text[i..]))
}

/// Parses a UTC offset: `Z`, `z`, `+HH:MM`, `+HHMM`, `+HH`, ` UTC`, ` GMT`.
/// Returns seconds east of UTC.
pub fn parse_offset(text: &str) -> Option<i32> {
    let t = text.trim_start();
    match t {
        "Z" | "z" | "UTC" | "GMT" | "+00:00" | "-00:00" => return Some(0),
        _ => {}
    }
    let b = t.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = match b.len() {
        3 => (digits(&b[1..3])?, 0),
        5 => (digits(&b[1..3])?, digits(&b[3..5])?),
        6 if b[3] == b':' => (digits(&b[1..3])?, digits(&b[4..6])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    #[allow(clippy::cast_possible_wrap, reason = "h <= 23, m <= 59")]
    Some(sign * (h * 3600 + m * 60) as i32)
}

/// Parses ASCII decimal digits (no sign); `None` if any byte is not a digit.
pub fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Turns the digits after a decimal point into microseconds (truncating beyond 6).
pub fn fraction_to_micros(frac: &[u8]) -> u32 {
    let mut v: u32 = 0;
    for i in 0..6 {
        v = v * 10 + frac.get(i).map_or(0, |c| u32::from(c - b'0'));
    }
    v
}

/// Is `year` a Gregorian leap year?
pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "d in 1..=31, m in 1..=12")]
    (if m <= 2 { y + 1 } else { y }, m as u32, d as u32)
}

/// How finely a source recorded a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// Whole days (a date without a time).
    Day,
    /// Whole seconds.
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// 100-nanosecond ticks (Windows FILETIME), stored truncated to µs.
    HundredNanos,
    /// Nanoseconds, stored truncated to µs.
    Nanosecond,
}

impl Precision {
    /// The short name stored in the `ts_precision` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "d",
            Self::Second => "s",
            Self::Millisecond => "ms",
            Self::Microsecond => "us",
            Self::HundredNanos => "100ns",
            Self::Nanosecond => "ns",
        }
    }

    /// The width of the interval a timestamp of this precision stands for, in µs.
    pub fn resolution_micros(self) -> i64 {
        match self {
            Self::Day => 86_400_000_000,
            Self::Second => 1_000_000,
            Self::Millisecond => 1_000,
            Self::Microsecond | Self::HundredNanos | Self::Nanosecond => 1,
        }
    }

    /// Parses the short name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "d" => Self::Day,
            "s" => Self::Second,
            "ms" => Self::Millisecond,
            "us" => Self::Microsecond,
            "100ns" => Self::HundredNanos,
            "ns" => Self::Nanosecond,
            _ => return None,
        })
    }
}

/// Three-letter English month abbreviation (`Jan` … `Dec`, case-insensitive) to 1–12.
pub fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    if b.len() != 3 {
        return None;
    }
    let l = [b[0].to_ascii_lowercase(), b[1].to_ascii_lowercase(), b[2].to_ascii_lowercase()];
    Some(match &l {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webkit_conversion_matches_plaso_chrome57_visit() {
        // Chrome 57 fixture visit: 2018-01-21T14:09:53.885478Z (plaso test value).
        let ts = Timestamp::from_civil(2018, 1, 21, 14, 9, 53, 885_478).unwrap();
        let webkit = ts.unix_micros() + WEBKIT_EPOCH_OFFSET_US;
        assert_eq!(Timestamp::from_webkit_micros(webkit).unwrap(), ts);
        assert_eq!(ts.to_string(), "2018-01-21T14:09:53.885478Z");
    }

    #[test]
    fn cocoa_epoch_is_2001() {
        assert_eq!(Timestamp::from_cocoa_seconds(0.0).unwrap().to_string(), "2001-01-01T00:00:00.000000Z");
    }

    #[test]
    fn rfc3339_offsets() {
        let t = Timestamp::parse_rfc3339("2016-01-13T19:31:20+02:00").unwrap();
        assert_eq!(t.to_string(), "2016-01-13T17:31:20.000000Z");
        let t = Timestamp::parse_rfc3339("2020-01-11T16:55:20.356586Z").unwrap();
        assert_eq!(t.to_string(), "2020-01-11T16:55:20.356586Z");
        let t = Timestamp::parse_rfc3339("2019-11-16 09:27:58.189698048-0100").unwrap();
        assert_eq!(t.to_string(), "2019-11-16T10:27:58.189698Z");
        assert!(Timestamp::parse_rfc3339("2016-01-13T19:31:20").is_err());
        assert!(Timestamp::parse_rfc3339("2016-02-30T19:31:20Z").is_err());
    }

    #[test]
    fn range_limits() {
        assert!(Timestamp::from_unix_micros(MAX_US + 1).is_err());
        assert!(Timestamp::from_webkit_micros(-1).is_err());
        assert_eq!(Timestamp::from_webkit_micros(0).unwrap().to_string(), "1601-01-01T00:00:00.000000Z");
        assert_eq!(Timestamp::from_unix_micros(MAX_US).unwrap().to_string(), "9999-12-31T23:59:59.999999Z");
    }

    proptest::proptest! {
        #[test]
        fn civil_roundtrip(us in MIN_US..=MAX_US) {
            let t = Timestamp::from_unix_micros(us).unwrap();
            let (y, mo, d, h, mi, s, micro) = t.to_civil();
            proptest::prop_assert_eq!(Timestamp::from_civil(y, mo, d, h, mi, s, micro).unwrap(), t);
            proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
        }
    }
}

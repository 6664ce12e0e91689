//! Writers: one per evidence format, each writing the bytes the real software
//! writes. None of them calls waybill's parsers.

pub mod access;
pub mod cache;
pub mod chrome;
pub mod evtx;
pub mod firefox;
pub mod lnk;
pub mod m365;
pub mod telegram;
pub mod tree;
pub mod whatsapp;

use waybill_model::time::civil_from_days;

/// Microseconds between 1601-01-01 and 1970-01-01 (Chrome's WebKit epoch).
pub const WEBKIT_OFFSET_US: i64 = 11_644_473_600_000_000;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `05/Jan/2026:08:00:00 +0100`: the common log format's time, in the
/// server's zone (whole seconds, as Apache and nginx write it).
pub fn clf_time(us: i64, tz_minutes: i32) -> String {
    let local = us.div_euclid(1_000_000) + i64::from(tz_minutes) * 60;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let sod = local.rem_euclid(86_400);
    let sign = if tz_minutes < 0 { '-' } else { '+' };
    let off = tz_minutes.unsigned_abs();
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[(m as usize).saturating_sub(1) % 12],
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        off / 60,
        off % 60
    )
}

/// An HTTP `Date` header value (`Mon, 05 Jan 2026 08:00:00 GMT`).
pub fn http_date(us: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let secs = us.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sod = secs.rem_euclid(86_400);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m as usize).saturating_sub(1) % 12],
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// RFC 3339 UTC with microseconds (for truth.json).
pub fn rfc3339(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        us.rem_euclid(1_000_000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_and_rfc3339_times() {
        // 2026-01-05T08:00:00.25Z
        let t = 1_767_600_000_250_000;
        assert_eq!(clf_time(t, 0), "05/Jan/2026:08:00:00 +0000");
        assert_eq!(clf_time(t, -300), "05/Jan/2026:03:00:00 -0500");
        assert_eq!(clf_time(t, 330), "05/Jan/2026:13:30:00 +0530");
        assert_eq!(rfc3339(t), "2026-01-05T08:00:00.250000Z");
        assert_eq!(http_date(t), "Mon, 05 Jan 2026 08:00:00 GMT");
    }
}

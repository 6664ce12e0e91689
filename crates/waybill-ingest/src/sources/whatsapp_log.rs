//! WhatsApp for Android's own log: the app's record of each media download
//! decision, automatic or manual.
//!
//! # What it reads
//! `/data/data/com.whatsapp/files/Logs/whatsapp.log` and its rotations
//! (`whatsapp-YYYY-MM-DD….log.gz`; gzip is read transparently). WhatsApp's
//! `com.whatsapp.util.Log` writes one line per entry:
//!
//! ```text
//! 2024-03-05 14:22:01.123 LL_I D [1234:MediaDownload] MediaDownloadManager/queueDownload auto download Key[id=3EB0…, from_me=false, remote_jid=…@g.us], message.mediaHash=<Base64>
//! ```
//!
//! — the time in the **phone's local time** (`YYYY-MM-DD HH:MM:SS.mmm`), the
//! level (`LL_A`, `LL_E`, `LL_W`, `LL_I`, `LL_D`, `LL_V`), a connectivity token,
//! the thread in brackets, the message (at the most verbose level 5 the level
//! and token are left out). Each time the log file is opened WhatsApp writes
//! `==== logfile level=N tz=+HHMM ====` (zone plus daylight-saving offset at
//! that moment); that offset converts the local times of the lines after it.
//! A second header, `==== logfile version=… level=N====`, has no offset and
//! leaves it as it was. Lines before any header with an offset use the zone
//! given with `--tz` (else the case zone, else UTC) and say so. Rotation
//! renames the log to `whatsapp.tmp.N` and gzips it into
//! `whatsapp-YYYY-MM-DD.N.log.gz`.
//!
//! Every line that starts with a date is one record. Lines that do not (the
//! continuation of a multi-line entry, such as a stack trace) belong to the
//! entry before them and are not records. A dated line whose date or time is
//! impossible is a reject.
//!
//! # Events emitted
//! One `msg.media_download` per download decision, at the line's time
//! (precision ms, the phone's clock), with `auto` = true for
//! `MediaDownloadManager/queueDownload auto download Key[…], message.mediaHash=…`,
//! `FileDownloadManager/queueFileDownload auto download documentType N, …` and
//! `mediaautodownload/queue <message_url>`, and `auto` = false for
//! `MediaDownloadManager/start manual download Key[…], message.mediaHash=…`
//! (the app starts a manual download when the person taps the media).
//! `sha256` = the `message.mediaHash` in hex when it is Base64 of 32 bytes
//! (the message's `file_hash` as stored, WhatsApp's SHA-256 of the
//! plaintext), kept as `provider_hash` with `provider_hash_kind` =
//! `whatsapp`; `url` = the media URL of a `mediaautodownload/queue` line (the
//! message's `message_url`). `attrs`: `app` = `whatsapp`, `decision` (`auto`
//! or `manual`), `log_tag` (`MediaDownloadManager/queueDownload`, …),
//! `key_id`, `from_me`, `remote_jid` (as printed: WhatsApp prints a person's
//! JID as the last four digits and the server, a group's in full; the link
//! never needs it), `document_type`, `level`, `connectivity` (the raw token)
//! and `network` (`wifi` for `W`, `mobile` for `M`, `none_or_other` for `D`),
//! `thread`, `utc_offset` and `tz_from` (`log header` or `--tz`), and
//! `media_hash_valid` = false when the hash is not Base64 of 32 bytes. Other
//! dated lines (including `mediaautodownload/queue waiting to download
//! because call is active`, a wait, not a decision) are accepted records with
//! no event; headers too.
//!
//! **The connectivity token** (decompiled provider behind `Log.adorn`): `W`
//! when the phone was connected over Wi-Fi, `M` when connected over mobile
//! data (`ConnectivityManager` type 0), `D` when not connected, not yet known
//! or on another network type. It is the network at the moment of the line,
//! so it answers "Wi-Fi or mobile data" for the download; it does not tell
//! roaming from home mobile data.
//!
//! # What it cannot tell us
//! Whether the download finished (the decision is logged when it is queued or
//! started; the media file's mtime is its completion). Who tapped: a manual
//! download is a tap on this phone, by whoever held it. Roaming. The format
//! was read from decompiled code of one build (2.24.6.77); no public real log
//! was available to check it against. Old rotations may have been
//! deleted by the app (retention not verified): a log that does not cover the
//! message's arrival says nothing of it. A zone change (daylight saving) in
//! the middle of one log file is not seen until the next header.
//!
//! # References
//! Decompiled WhatsApp 2.24.6.77 (`Meghdut-Mandal/com.whatsapp_2.24.6.77`):
//! `sources/com/whatsapp/util/Log.java` (`doLogToFile`, `adorn`,
//! `initialize`, `rotate`, `compress`: line layout, header, local time), the
//! connectivity provider `sources/X/C19690wM.java` (`D`/`M`/`W`), the log
//! calls in `sources/X/AnonymousClass1ST.java` (queueDownload auto download,
//! start manual download), `sources/X/C29961Yr.java` (queueFileDownload),
//! `sources/X/C29841Ye.java` (mediaautodownload/queue), `Key.toString` in
//! `sources/X/C64933Qa.java`, JID obfuscation in
//! `sources/com/whatsapp/jid/UserJid.java`; shared/knowledge/artifacts.md §7.9.

use std::borrow::Cow;

use waybill_model::time::parse_offset;
use waybill_model::{Event, EventKind, EventSink, NaiveDateTime, Precision, RejectReason, close_record};

use crate::input::Input;
use crate::lines::LinePos;
use crate::source::{Probe, Sniff, Source, SourceError};
use crate::zone::Zone;

/// WhatsApp Android's `whatsapp.log`.
pub struct WhatsappLog;

/// Log tags (with the words after them) that record a download decision, and
/// whether it was automatic.
const DECISIONS: &[(&str, bool)] = &[
    ("MediaDownloadManager/queueDownload auto download", true),
    ("FileDownloadManager/queueFileDownload auto download", true),
    ("mediaautodownload/queue", true),
    ("MediaDownloadManager/start manual download", false),
];

/// `YYYY-MM-DD HH:MM:SS.mmm` at the start of a line, if it has that shape
/// (digits and separators); the values are checked separately.
fn dated(line: &[u8]) -> bool {
    const SHAPE: &[u8; 23] = b"dddd-dd-dd dd:dd:dd.ddd";
    line.len() >= SHAPE.len()
        && SHAPE.iter().zip(line).all(|(&s, &b)| if s == b'd' { b.is_ascii_digit() } else { s == b })
}

/// The date and time of a dated line (`Err` when impossible: month 13, …).
fn local_time(line: &[u8]) -> Result<NaiveDateTime, RejectReason> {
    let n = |a: usize, b: usize| -> u32 { line[a..b].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')) };
    let t = NaiveDateTime {
        year: i64::from(n(0, 4)),
        month: n(5, 7),
        day: n(8, 10),
        hour: n(11, 13),
        minute: n(14, 16),
        second: n(17, 19),
        micro: n(20, 23) * 1000,
    };
    t.assume_utc().map_err(|e| RejectReason::Timestamp(format!("{}: {e}", String::from_utf8_lossy(&line[..23]))))?;
    Ok(t)
}

/// The offset of a `==== logfile level=N tz=+HHMM ====` header.
fn header_offset(line: &str) -> Option<Option<i32>> {
    let body = line.trim().strip_prefix("====")?.trim_start();
    if !body.starts_with("logfile") {
        return None;
    }
    let tz = body.split_whitespace().find_map(|w| w.strip_prefix("tz="));
    Some(tz.and_then(parse_offset))
}

/// `name=value` inside `Key[…]`, up to `,` or `]`.
fn key_field<'a>(key: &'a str, name: &str) -> Option<&'a str> {
    key.split(',').find_map(|p| p.trim().strip_prefix(name)?.strip_prefix('=')).map(str::trim)
}

/// One parsed line: its level, connectivity token, thread and message.
struct Parts<'a> {
    level: Option<&'a str>,
    connectivity: Option<&'a str>,
    thread: Option<&'a str>,
    message: &'a str,
}

fn parts(rest: &str) -> Parts<'_> {
    let mut rest = rest.trim_start();
    let mut take = |pred: &dyn Fn(&str) -> bool| -> Option<&str> {
        let (w, r) = rest.split_once(' ').unwrap_or((rest, ""));
        if pred(w) {
            rest = r.trim_start();
            Some(w)
        } else {
            None
        }
    };
    let level = take(&|w| w.starts_with("LL_"));
    let connectivity = level.and_then(|_| take(&|w| !w.starts_with('[') && !w.contains('/')));
    let thread = if rest.starts_with('[') {
        rest.find(']').map(|i| {
            let t = &rest[1..i];
            rest = rest[i + 1..].trim_start();
            t
        })
    } else {
        None
    };
    Parts { level, connectivity, thread, message: rest }
}

/// The events of one dated line.
fn line_events(
    pos: LinePos,
    line: &[u8],
    offset: Option<i32>,
    zone: Zone,
) -> Result<Vec<Event<'static>>, RejectReason> {
    let local = local_time(line)?;
    let text = String::from_utf8_lossy(&line[23..]);
    let p = parts(&text);
    let Some(&(tag, auto)) = DECISIONS.iter().find(|(t, _)| p.message.contains(t)) else {
        return Ok(Vec::new());
    };
    if p.message.contains("waiting to download") {
        return Ok(Vec::new());
    }
    let (ts, offset_s, tz_from, ambiguous) = match offset {
        Some(off) => (local.to_utc_with_offset(off)?, off, "log header", false),
        None => {
            let c = zone.to_utc(local)?;
            let off = i32::try_from((local.assume_utc()?.unix_micros() - c.ts.unix_micros()) / 1_000_000).unwrap_or(0);
            (c.ts, off, "--tz", c.ambiguous)
        }
    };
    let mut e = Event::new(EventKind::MsgMediaDownload, ts, Precision::Millisecond, pos.record());
    e.auto = Some(auto);
    let key = p.message.split_once("Key[").map(|(_, k)| k.split_once(']').map_or(k, |(k, _)| k));
    let hash = p
        .message
        .split_once("mediaHash=")
        .map(|(_, h)| h.split([',', ' ', ']']).next().unwrap_or(h).trim())
        .filter(|h| !h.is_empty() && *h != "null");
    let sha = hash.and_then(crate::sources::whatsapp_msgstore::hash_hex);
    // `mediaautodownload/queue <message_url>`.
    let url = p
        .message
        .split_once("mediaautodownload/queue ")
        .and_then(|(_, u)| u.split_whitespace().next())
        .filter(|u| u.starts_with("http"));
    let document_type = p
        .message
        .split_once("documentType ")
        .and_then(|(_, d)| d.split([',', ' ']).next())
        .and_then(|d| d.parse::<i64>().ok());
    e.sha256 = sha.clone().map(Cow::Owned);
    e.url = url.map(|u| Cow::Owned(u.to_owned()));
    if let Some(h) = hash {
        e.provider_hash = Some(Cow::Owned(h.to_owned()));
        e.provider_hash_kind = Some("whatsapp");
    }
    let a = &mut e.attrs;
    a.push("app", "whatsapp");
    a.push("decision", if auto { "auto" } else { "manual" });
    a.push("log_tag", tag.split(' ').next().unwrap_or(tag).to_owned());
    if let Some(k) = key {
        a.push_opt("key_id", key_field(k, "id").map(str::to_owned));
        a.push_opt("from_me", key_field(k, "from_me").map(|v| v == "true"));
        a.push_opt("remote_jid", key_field(k, "remote_jid").map(str::to_owned));
    }
    a.push_opt("document_type", document_type);
    a.push_opt("level", p.level.map(str::to_owned));
    a.push_opt("connectivity", p.connectivity.map(str::to_owned));
    a.push_opt(
        "network",
        p.connectivity.and_then(|c| match c {
            "W" => Some("wifi"),
            "M" => Some("mobile"),
            "D" => Some("none_or_other"),
            _ => None,
        }),
    );
    a.push_opt("thread", p.thread.map(str::to_owned));
    a.push("utc_offset", Zone::Fixed(offset_s).to_string());
    a.push("tz_from", tz_from);
    if ambiguous {
        a.push("ambiguous_local_time", true);
    }
    if hash.is_some() && sha.is_none() {
        a.push("media_hash_valid", false);
    }
    Ok(vec![e])
}

impl Source for WhatsappLog {
    fn id(&self) -> &'static str {
        "whatsapp.log"
    }

    fn description(&self) -> &'static str {
        "WhatsApp Android whatsapp.log (and .gz rotations): media downloads logged as automatic or manual"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        // Yes when most of the first lines are headers or dated lines with a
        // level (`LL_I`): no other format writes that.
        probe.judge_lines(20, None, |l| {
            let s = String::from_utf8_lossy(l);
            header_offset(&s).is_some() || (dated(l) && parts(&s[23..]).level.is_some())
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let zone = input.ctx().tz;
        let mut offset: Option<i32> = None;
        input.for_each_line(out, |pos, line, out| {
            let header = if line.starts_with(b"====") { header_offset(&String::from_utf8_lossy(line)) } else { None };
            if let Some(h) = header {
                // A header is a record of its own; one without an offset
                // (`==== logfile version=… level=3====`) changes nothing.
                if h.is_some() {
                    offset = h;
                }
                out.accepted();
                return;
            }
            if !dated(line) {
                // The continuation of the entry above: not a record.
                return;
            }
            close_record(out, pos.record(), line_events(pos, line, offset, zone), || line);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_into_level_token_thread_and_message() {
        let p = parts(" LL_I D [1234:MediaDownload] MediaDownloadManager/queueDownload auto download Key[id=A]");
        assert_eq!(p.level, Some("LL_I"));
        assert_eq!(p.connectivity, Some("D"));
        assert_eq!(p.thread, Some("1234:MediaDownload"));
        assert!(p.message.starts_with("MediaDownloadManager/queueDownload"));
        // Without a token the thread follows the level.
        let p = parts(" LL_W [9:main] app/start");
        assert_eq!((p.level, p.connectivity, p.thread, p.message), (Some("LL_W"), None, Some("9:main"), "app/start"));
    }

    #[test]
    fn headers_give_the_offset() {
        assert_eq!(header_offset("==== logfile level=3 tz=+0530 ===="), Some(Some(19_800)));
        assert_eq!(header_offset("==== logfile level=3 tz=-0800 ===="), Some(Some(-28_800)));
        assert_eq!(header_offset("==== logfile level=3 ===="), Some(None));
        assert_eq!(header_offset("==== logfile version=2.24.6.77 level=3===="), Some(None));
        assert_eq!(header_offset("2024-01-01 00:00:00.000 LL_I D [1:m] x"), None);
    }

    #[test]
    fn key_fields_are_read_without_the_phone_number() {
        let k = "id=3EB0C1, from_me=false, remote_jid=120363@g.us";
        assert_eq!(key_field(k, "id"), Some("3EB0C1"));
        assert_eq!(key_field(k, "from_me"), Some("false"));
        assert_eq!(key_field(k, "remote_jid"), Some("120363@g.us"));
        assert_eq!(key_field("id=X, remote_jid=<redacted>", "from_me"), None);
    }
}

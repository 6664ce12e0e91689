//! The Sleuth Kit bodyfile 3.x (`fls -m`, `ils -m`, and tools that write it).
//!
//! # What it reads
//! One file-system entry per line, 11 pipe-separated fields:
//! `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`.
//! Lines starting with `#` are comments. A pipe inside a name is written `\|`
//! (and a backslash `\\`); a name with unescaped pipes is still read, since the
//! other ten fields are fixed and counted from both ends.
//!
//! # Versions seen
//! TSK 3.x and 4.x output, including NTFS `inode-type-id` triples
//! (`64-128-2`), 64-bit NTFS file references (`1688849860339456` = MFT entry
//! and sequence), `($FILE_NAME)` entries, `(deleted)` names, symbolic links
//! (`name -> target`) and fractional-second times (plaso's fixture).
//!
//! # Events emitted
//! One event per non-zero time: `fs.accessed` (atime), `fs.modified` (mtime),
//! `fs.changed` (ctime: metadata/MFT entry change), `fs.created` (crtime):
//! `path`, `size`, `md5` (when computed). `attrs`: `inode`, `mode`, `uid`, `gid`,
//! `deleted`, `file_name_attribute` (NTFS `$FILE_NAME` times), `link_target`,
//! `mft_entry`/`mft_sequence` (64-bit references), `control_characters` (the
//! name holds raw control characters, kept as is).
//!
//! # What it cannot tell us
//! Which program created or changed a file; times are as the file system kept
//! them (atime updates are often disabled; `$STANDARD_INFORMATION` times can be
//! set by any program). A time of 0 means "unknown" and gives no event.
//!
//! # References
//! wiki.sleuthkit.org Body_file; plaso `bodyfile.py` and its test (71 events
//! from 24 lines; the corrupt file: 10 events from 3 lines).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::lines::LinePos;
use crate::source::{LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// TSK bodyfile.
pub struct Bodyfile;

struct BodyfileLines;

/// Splits on `|` not escaped by a backslash; keeps escapes in the pieces.
fn split_fields(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut out = Vec::with_capacity(11);
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'|' => {
                out.push(&line[start..i]);
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push(&line[start.min(line.len())..]);
    out
}

fn unescape_name(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('|' | '\\')) {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Parses a bodyfile time: integer or decimal seconds; `Ok(None)` for 0/empty.
fn parse_time(field: &'static str, v: &str) -> Result<Option<(Timestamp, Precision)>, RejectReason> {
    let v = v.trim();
    if v.is_empty() || v == "0" {
        return Ok(None);
    }
    let bad = || RejectReason::Value { field: field.to_owned(), detail: format!("{v:?} is not a time in seconds") };
    let (int_part, frac) = v.split_once('.').unwrap_or((v, ""));
    let secs: i64 = int_part.parse().map_err(|_| bad())?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if secs == 0 && frac.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    let micro = i64::from(waybill_model::time::fraction_to_micros(frac.as_bytes()));
    let precision = match frac.len() {
        0 => Precision::Second,
        1..=3 => Precision::Millisecond,
        4..=6 => Precision::Microsecond,
        _ => Precision::Nanosecond,
    };
    let us = secs
        .checked_mul(1_000_000)
        .and_then(|s| if secs < 0 { s.checked_sub(micro) } else { s.checked_add(micro) })
        .ok_or_else(bad)?;
    Ok(Some((Timestamp::from_unix_micros(us)?, precision)))
}

fn parse(pos: LinePos, line: &str) -> Result<Vec<Event<'_>>, RejectReason> {
    let f = split_fields(line);
    if f.len() < 11 {
        let detail = format!("{} fields, a bodyfile line has 11", f.len());
        return Err(if pos.terminated { RejectReason::Malformed(detail) } else { RejectReason::Truncated(detail) });
    }
    // MD5 first, the nine fixed fields last; everything between is the name.
    let n = f.len();
    let md5 = f[0];
    let name_start = f[0].len() + 1;
    let tail_len: usize = f[n - 9..].iter().map(|s| s.len() + 1).sum();
    let name_raw = &line[name_start..line.len() - tail_len];
    let [inode, mode, uid, gid, size, atime, mtime, ctime, crtime] =
        [f[n - 9], f[n - 8], f[n - 7], f[n - 6], f[n - 5], f[n - 4], f[n - 3], f[n - 2], f[n - 1]];
    let size: Option<i64> = match size.trim() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|_| RejectReason::Value { field: "size".into(), detail: format!("{s:?} is not a number") })?,
        ),
    };
    let times = [
        (EventKind::FsAccessed, parse_time("atime", atime)?),
        (EventKind::FsModified, parse_time("mtime", mtime)?),
        (EventKind::FsChanged, parse_time("ctime", ctime)?),
        (EventKind::FsCreated, parse_time("crtime", crtime)?),
    ];
    let mut name = unescape_name(name_raw);
    let mut fn_attr = false;
    let mut deleted = false;
    let mut link_target = None;
    if let Some(s) = name.strip_suffix(" ($FILE_NAME)") {
        name = Cow::Owned(s.to_owned());
        fn_attr = true;
    }
    if let Some(s) = name.strip_suffix(" (deleted)") {
        name = Cow::Owned(s.to_owned());
        deleted = true;
    }
    if mode.starts_with('l')
        && let Some((n, t)) = name.split_once(" -> ")
    {
        link_target = Some(t.to_owned());
        name = Cow::Owned(n.to_owned());
    }
    let control = name.chars().any(char::is_control);
    let mut events = Vec::with_capacity(4);
    for (kind, t) in times {
        let Some((ts, precision)) = t else { continue };
        let mut e = Event::new(kind, ts, precision, pos.record());
        e.path = Some(name.clone());
        e.size = size;
        if md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit()) {
            e.md5 = Some(Cow::Owned(md5.to_ascii_lowercase()));
        }
        e.attrs.push("inode", inode);
        if let Ok(r) = inode.parse::<u64>()
            && r >> 48 != 0
        {
            e.attrs.push("mft_entry", i64::try_from(r & 0xFFFF_FFFF_FFFF).unwrap_or(0));
            e.attrs.push("mft_sequence", i64::try_from(r >> 48).unwrap_or(0));
        }
        e.attrs.push("mode", mode);
        if !uid.is_empty() {
            e.attrs.push("uid", uid);
        }
        if !gid.is_empty() {
            e.attrs.push("gid", gid);
        }
        if deleted {
            e.attrs.push("deleted", true);
        }
        if fn_attr {
            e.attrs.push("file_name_attribute", true);
        }
        if let Some(t) = &link_target {
            e.attrs.push("link_target", t.clone());
        }
        if control {
            e.attrs.push("control_characters", true);
        }
        events.push(e);
    }
    Ok(events)
}

impl LineParser for BodyfileLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let text = String::from_utf8_lossy(line);
        waybill_model::close_record(out, pos.record(), parse(pos, &text), || line);
    }

    fn skip_line(&self, line: &[u8]) -> bool {
        line.first() == Some(&b'#')
    }
}

impl Source for Bodyfile {
    fn id(&self) -> &'static str {
        "tsk.bodyfile"
    }

    fn description(&self) -> &'static str {
        "The Sleuth Kit bodyfile 3.x (fls -m / mactime input): file-system MACB times"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe.judge_lines(10, Some(b'#'), |l| {
            let t = String::from_utf8_lossy(l);
            let f = split_fields(&t);
            f.len() >= 11
                && (f[0] == "0" || (f[0].len() == 32 && f[0].bytes().all(|b| b.is_ascii_hexdigit())))
                && f[f.len() - 4..].iter().all(|v| {
                    v.trim().bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') && !v.trim().is_empty()
                })
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::source::parse_lines(&BodyfileLines, input, out)
    }

    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(BodyfileLines)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_fractions() {
        let pos = LinePos { offset: 0, line: 1, terminated: true };
        let ev = parse(pos, r"0|/file\|with\|pipes|64-128-2|r/rrwxrwxrwx|48|0|16|1596091265.352146149|1596091265.352146149|1596091265.354067564|1596091265.352070808").unwrap();
        assert_eq!(ev.len(), 4);
        assert_eq!(ev[0].path.as_deref(), Some("/file|with|pipes"));
        assert_eq!(ev[2].ts.to_string(), "2020-07-30T06:41:05.354067Z");
        assert_eq!(ev[2].precision, Precision::Nanosecond);
        // Unescaped pipes in a name still parse.
        let ev = parse(pos, "0|/a|b|5|r/r|0|0|1|10|0|0|0").unwrap();
        assert_eq!(ev[0].path.as_deref(), Some("/a|b"));
        assert!(parse(pos, "0|/x|1|r|0|0").is_err());
    }
}

//! Windows Shell Link files (`.lnk`): the shortcuts Windows writes in a
//! user's Recent Items folder when the person opens a file.
//!
//! # What it reads
//! A Shell Link as [MS-SHLLINK] defines it: the 76-byte header (link flags,
//! the target's attributes, its creation, access and write times and its
//! size as they were when the shortcut was written), the target ID list
//! (skipped), the LinkInfo structure (the volume's drive type, serial number
//! and label, the local base path, or the network share and the common path
//! suffix, in ANSI or Unicode), the string data (name, relative path,
//! working directory, arguments, icon location; UTF-16 or ANSI) and the
//! extra data blocks, of which the tracker block's machine NetBIOS name is
//! read. ANSI strings are read as Windows-1252 (the shortcut does not name
//! its code page).
//!
//! # Versions seen
//! Shortcuts of Windows 7 to 11 (`NeroInfoTool.lnk` and
//! `unpaired_surrogate.lnk` of plaso's test data) and the Recent Items
//! shortcuts the simulator writes by this specification.
//!
//! # Events emitted
//! One `fs.opened` per shortcut that lies in a `Recent` folder
//! (`…\AppData\Roaming\Microsoft\Windows\Recent\`): Explorer writes or
//! rewrites it each time the person opens its target through the shell (a
//! double-click, the Open dialog, a notification), so the shortcut file's
//! own modification time is the last such open: `ts` is that time
//! (`attrs.ts_from` = `shortcut modification time`: a time of the open
//! itself, placed in time like any file-system time, unlike a
//! Zone.Identifier stream's export-file time). `attrs.target` = the target's
//! full path (`C:\Users\…\report.docx`, or `\\server\share\…`); `path` =
//! the same without its drive letter, so that it ends like the file's path
//! in an image or a collection; `size` = the target's size when the shortcut
//! was written. `attrs`: `target_created`,
//! `target_modified`, `target_accessed` (RFC 3339, absent when zero),
//! `file_attributes` (hex), `drive_type`, `drive_serial` (hex),
//! `volume_label`, `relative_path`, `working_dir`, `arguments`,
//! `machine_id`, and `profile`: the Windows account whose Recent Items hold
//! the shortcut (the folder before `AppData` in the shortcut's own path),
//! since an open by another account of the same laptop is another person's.
//!
//! A shortcut elsewhere (the Desktop, the Start menu) records no open: its
//! time is when it was made. It is a reject (`value: location`), counted and
//! kept, not an event. A shortcut that does not parse is a reject naming the
//! byte offset.
//!
//! # What it cannot tell us
//! Opens before the last one (the shortcut is rewritten in place; its birth
//! time, where the file system keeps it, is the first), opens by a program
//! that does not add to Recent Items, or who sat at the keyboard. Windows
//! keeps one shortcut per target name, so a later open of another file of
//! the same name replaces it. An export that does not keep the shortcut
//! file's modification time loses the open's time (`ts_from`).
//!
//! # References
//! [MS-SHLLINK] Shell Link (.LNK) Binary File Format, sections 2.1–2.5;
//! Joachim Metz, *Windows Shortcut File (LNK) format* (libyal/liblnk
//! documentation); plaso `tests/parsers/winlnk.py` for the expected values
//! of its test files.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Windows Shell Link files.
pub struct WindowsLnk;

/// A shortcut is a few KiB; the format's sizes are 16-bit and 32-bit fields,
/// but anything beyond this is not a Recent Items shortcut.
const LIMIT: usize = 1 << 20;

const HEADER_SIZE: usize = 0x4C;
const LINK_CLSID: [u8; 16] =
    [0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46];

const HAS_ID_LIST: u32 = 0x1;
const HAS_LINK_INFO: u32 = 0x2;
const HAS_NAME: u32 = 0x4;
const HAS_RELATIVE_PATH: u32 = 0x8;
const HAS_WORKING_DIR: u32 = 0x10;
const HAS_ARGUMENTS: u32 = 0x20;
const HAS_ICON_LOCATION: u32 = 0x40;
const IS_UNICODE: u32 = 0x80;

const TRACKER_BLOCK: u32 = 0xA000_0003;

/// A shortcut that does not parse: what is wrong and at which byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {what}")]
pub struct LinkError {
    /// Byte offset in the shortcut.
    pub offset: usize,
    /// What is wrong.
    pub what: String,
}

/// What a shortcut says of its target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// Link flags.
    pub flags: u32,
    /// The target's file attributes.
    pub file_attributes: u32,
    /// The target's creation time (FILETIME ticks; 0 when not set).
    pub created: u64,
    /// The target's last access time.
    pub accessed: u64,
    /// The target's last write time.
    pub modified: u64,
    /// The target's size (low 32 bits).
    pub size: u32,
    /// The target's full path: local base path and common path suffix, or
    /// the network share and the suffix.
    pub target: Option<String>,
    /// Drive type (3 = fixed, 2 = removable, 4 = network, …).
    pub drive_type: Option<u32>,
    /// Volume serial number.
    pub drive_serial: Option<u32>,
    /// Volume label.
    pub volume_label: Option<String>,
    /// `NAME_STRING`.
    pub name: Option<String>,
    /// `RELATIVE_PATH`.
    pub relative_path: Option<String>,
    /// `WORKING_DIR`.
    pub working_dir: Option<String>,
    /// `COMMAND_LINE_ARGUMENTS`.
    pub arguments: Option<String>,
    /// `ICON_LOCATION`.
    pub icon_location: Option<String>,
    /// The tracker block's machine NetBIOS name.
    pub machine_id: Option<String>,
}

fn err(offset: usize, what: impl Into<String>) -> LinkError {
    LinkError { offset, what: what.into() }
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, LinkError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| err(at, "the shortcut ends inside a 16-bit field"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, LinkError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| err(at, "the shortcut ends inside a 32-bit field"))
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, LinkError> {
    Ok(u64::from(u32_at(b, at)?) | (u64::from(u32_at(b, at + 4)?) << 32))
}

/// A NUL-terminated ANSI string at `at` (Windows-1252).
fn ansi_z(b: &[u8], at: usize) -> Result<String, LinkError> {
    let rest = b.get(at..).ok_or_else(|| err(b.len(), format!("a string offset ({at}) points past the end")))?;
    let end = memchr::memchr(0, rest).ok_or_else(|| err(at, "a string has no terminating NUL"))?;
    Ok(ansi(&rest[..end]))
}

fn ansi(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
}

/// UTF-16LE text (an unpaired surrogate becomes U+FFFD).
fn utf16le(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// A NUL-terminated UTF-16LE string at `at`.
fn unicode_z(b: &[u8], at: usize) -> Result<String, LinkError> {
    let rest = b.get(at..).ok_or_else(|| err(b.len(), format!("a string offset ({at}) points past the end")))?;
    let end = rest
        .chunks_exact(2)
        .position(|c| c == [0, 0])
        .ok_or_else(|| err(at, "a UTF-16 string has no terminating NUL"))?;
    Ok(utf16le(&rest[..end * 2]))
}

/// Does this look like a Shell Link header?
pub fn is_link(head: &[u8]) -> bool {
    head.len() >= HEADER_SIZE && head[..4] == [0x4C, 0, 0, 0] && head[4..20] == LINK_CLSID
}

/// Parses a whole shortcut.
pub fn parse_link(b: &[u8]) -> Result<Link, LinkError> {
    if b.len() < HEADER_SIZE {
        return Err(err(
            b.len(),
            format!("a shortcut has a {HEADER_SIZE}-byte header; this file has {} bytes", b.len()),
        ));
    }
    if !is_link(b) {
        return Err(err(0, "no Shell Link header (size 0x4C and the link CLSID)"));
    }
    let mut l = Link {
        flags: u32_at(b, 0x14)?,
        file_attributes: u32_at(b, 0x18)?,
        created: u64_at(b, 0x1C)?,
        accessed: u64_at(b, 0x24)?,
        modified: u64_at(b, 0x2C)?,
        size: u32_at(b, 0x34)?,
        ..Link::default()
    };
    let mut pos = HEADER_SIZE;
    if l.flags & HAS_ID_LIST != 0 {
        let n = usize::from(u16_at(b, pos)?);
        pos += 2 + n;
        if pos > b.len() {
            return Err(err(HEADER_SIZE, format!("the target ID list of {n} bytes runs past the end")));
        }
    }
    if l.flags & HAS_LINK_INFO != 0 {
        let size = u32_at(b, pos)? as usize;
        let info = b
            .get(pos..pos.saturating_add(size))
            .filter(|_| size >= 0x1C)
            .ok_or_else(|| err(pos, format!("a LinkInfo of {size} bytes does not fit the shortcut")))?;
        link_info(info, pos, &mut l)?;
        pos += size;
    }
    let unicode = l.flags & IS_UNICODE != 0;
    for (flag, slot) in [
        (HAS_NAME, &mut l.name),
        (HAS_RELATIVE_PATH, &mut l.relative_path),
        (HAS_WORKING_DIR, &mut l.working_dir),
        (HAS_ARGUMENTS, &mut l.arguments),
        (HAS_ICON_LOCATION, &mut l.icon_location),
    ] {
        if l.flags & flag == 0 {
            continue;
        }
        let count = usize::from(u16_at(b, pos)?);
        let len = if unicode { count * 2 } else { count };
        let s = b
            .get(pos + 2..pos + 2 + len)
            .ok_or_else(|| err(pos, format!("a string of {count} characters runs past the end")))?;
        *slot = Some(if unicode { utf16le(s) } else { ansi(s) });
        pos += 2 + len;
    }
    // Extra data: blocks until a terminal block (size below 4). A shortcut cut
    // short here keeps what was read.
    while pos + 8 <= b.len() {
        let size = u32_at(b, pos)? as usize;
        if size < 4 {
            break;
        }
        let Some(block) = b.get(pos..pos.saturating_add(size)).filter(|_| size >= 8) else {
            return Err(err(pos, format!("an extra data block of {size} bytes does not fit the shortcut")));
        };
        if u32_at(block, 4)? == TRACKER_BLOCK && block.len() >= 0x60 {
            let id = &block[16..32];
            let end = memchr::memchr(0, id).unwrap_or(id.len());
            l.machine_id = Some(ansi(&id[..end])).filter(|s| !s.is_empty());
        }
        pos += size;
    }
    Ok(l)
}

/// The LinkInfo structure `info`, which starts at `base` in the shortcut.
fn link_info(info: &[u8], base: usize, l: &mut Link) -> Result<(), LinkError> {
    let at = |o: usize| base + o;
    let rel = |e: LinkError| LinkError { offset: base + e.offset, what: format!("LinkInfo: {}", e.what) };
    let header = u32_at(info, 4).map_err(rel)? as usize;
    let flags = u32_at(info, 8).map_err(rel)?;
    let volume_off = u32_at(info, 12).map_err(rel)? as usize;
    let local_off = u32_at(info, 16).map_err(rel)? as usize;
    let net_off = u32_at(info, 20).map_err(rel)? as usize;
    let suffix_off = u32_at(info, 24).map_err(rel)? as usize;
    let (local_u, suffix_u) = if header >= 0x24 {
        (u32_at(info, 28).map_err(rel)? as usize, u32_at(info, 32).map_err(rel)? as usize)
    } else {
        (0, 0)
    };
    let suffix = if suffix_u != 0 {
        unicode_z(info, suffix_u).map_err(rel)?
    } else if suffix_off != 0 {
        ansi_z(info, suffix_off).map_err(rel)?
    } else {
        String::new()
    };
    if flags & 0x1 != 0 {
        if volume_off != 0 {
            let v = info
                .get(volume_off..)
                .ok_or_else(|| err(at(12), format!("the VolumeID offset ({volume_off}) points past LinkInfo")))?;
            let relv = |e: LinkError| rel(LinkError { offset: volume_off + e.offset, ..e });
            l.drive_type = Some(u32_at(v, 4).map_err(relv)?);
            l.drive_serial = Some(u32_at(v, 8).map_err(relv)?);
            let label_off = u32_at(v, 12).map_err(relv)? as usize;
            let label = if label_off == 0x14 {
                unicode_z(v, u32_at(v, 16).map_err(relv)? as usize)
            } else {
                ansi_z(v, label_off)
            };
            l.volume_label = Some(label.map_err(relv)?);
        }
        let local = if local_u != 0 { unicode_z(info, local_u) } else { ansi_z(info, local_off) }.map_err(rel)?;
        l.target = Some(format!("{local}{suffix}"));
    } else if flags & 0x2 != 0 && net_off != 0 {
        let cnrl = info
            .get(net_off..)
            .ok_or_else(|| err(at(20), format!("the network link offset ({net_off}) points past LinkInfo")))?;
        let relc = |e: LinkError| rel(LinkError { offset: net_off + e.offset, ..e });
        let name_off = u32_at(cnrl, 8).map_err(relc)? as usize;
        let name = if name_off > 0x14 {
            let u = u32_at(cnrl, 20).map_err(relc)? as usize;
            unicode_z(cnrl, u)
        } else {
            ansi_z(cnrl, name_off)
        }
        .map_err(relc)?;
        l.target = Some(if suffix.is_empty() { name } else { format!("{}\\{suffix}", name.trim_end_matches('\\')) });
    }
    Ok(())
}

/// Is the shortcut at `path` in a Recent Items folder (a `Recent` path
/// component, not a jump list's `AutomaticDestinations`)?
pub fn in_recent(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    parts.len() >= 2 && parts[parts.len() - 2].eq_ignore_ascii_case("Recent")
}

/// The Windows account whose Recent Items hold the shortcut: the folder
/// before `AppData` (`…/Users/alice/AppData/Roaming/…/Recent/x.lnk`).
pub fn profile_of(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let i = parts.iter().rposition(|p| p.eq_ignore_ascii_case("AppData"))?;
    i.checked_sub(1).map(|j| parts[j])
}

/// `C:\Users\…` → `Users\…`; other paths unchanged.
pub fn without_drive(path: &str) -> &str {
    let b = path.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/') {
        &path[3..]
    } else {
        path
    }
}

fn filetime(ticks: u64) -> Option<String> {
    (ticks != 0).then(|| Timestamp::from_filetime(ticks).ok()).flatten().map(|t| t.to_string())
}

impl Source for WindowsLnk {
    fn id(&self) -> &'static str {
        "windows.lnk"
    }

    fn description(&self) -> &'static str {
        "Windows Shell Link (.lnk) in Recent Items: the person's last open of the target through the shell"
    }

    fn version(&self) -> u32 {
        1
    }

    fn per_entry(&self) -> bool {
        true
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        if is_link(probe.head) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let bytes = input.read_to_end(LIMIT)?;
        let record = RecordRef::Whole;
        let link = match parse_link(&bytes) {
            Ok(l) => l,
            Err(e) => {
                out.reject(Reject { record, reason: RejectReason::Malformed(e.to_string()), raw: &bytes });
                return Ok(());
            }
        };
        let shown = std::path::absolute(input.path()).unwrap_or_else(|_| input.path().to_owned());
        let shown = shown.to_string_lossy();
        if !in_recent(&shown) {
            out.reject(Reject {
                record,
                reason: RejectReason::Value {
                    field: "location".into(),
                    detail: "a shortcut outside a Recent Items folder records no open (its time is when it was made)"
                        .into(),
                },
                raw: &bytes,
            });
            return Ok(());
        }
        let Some(target) = link.target.clone() else {
            out.reject(Reject {
                record,
                reason: RejectReason::Value {
                    field: "LinkInfo".into(),
                    detail: "the shortcut names no target path (no LinkInfo)".into(),
                },
                raw: &bytes,
            });
            return Ok(());
        };
        let Some(Ok(ts)) = input.modified().map(Timestamp::from_unix_micros) else {
            out.reject(Reject {
                record,
                reason: RejectReason::Timestamp("the shortcut file has no modification time".into()),
                raw: &bytes,
            });
            return Ok(());
        };
        let mut e = Event::new(EventKind::FsOpened, ts, Precision::Microsecond, record);
        // Without its drive letter, the path ends like the file's path in an
        // image or a collection (`Users/…`, `p2/Users/…`, `C/Users/…`).
        e.path = Some(Cow::Owned(without_drive(&target).to_owned()));
        e.attrs.push("target", target.clone());
        e.size = Some(i64::from(link.size));
        for (k, t) in
            [("target_created", link.created), ("target_modified", link.modified), ("target_accessed", link.accessed)]
        {
            if let Some(s) = filetime(t) {
                e.attrs.push(k, s);
            }
        }
        e.attrs.push("file_attributes", format!("0x{:08x}", link.file_attributes));
        if let Some(p) = profile_of(&shown) {
            e.attrs.push("profile", p.to_owned());
        }
        if let Some(t) = link.drive_type {
            e.attrs.push("drive_type", i64::from(t));
        }
        if let Some(s) = link.drive_serial {
            e.attrs.push("drive_serial", format!("0x{s:08x}"));
        }
        for (k, v) in [
            ("volume_label", &link.volume_label),
            ("relative_path", &link.relative_path),
            ("working_dir", &link.working_dir),
            ("arguments", &link.arguments),
            ("machine_id", &link.machine_id),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                e.attrs.push(k, v.clone());
            }
        }
        e.attrs.push("ts_from", "shortcut modification time");
        out.event(e);
        out.accepted();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_folders() {
        assert!(in_recent(r"C:\Users\alice\AppData\Roaming\Microsoft\Windows\Recent\report.docx.lnk"));
        assert!(in_recent("/case/t/Users/alice/AppData/Roaming/Microsoft/Windows/Recent/a.lnk"));
        assert!(!in_recent("/case/t/Users/alice/Desktop/a.lnk"));
        assert!(!in_recent("Recent"));
    }

    #[test]
    fn the_profile_is_the_folder_before_appdata() {
        assert_eq!(profile_of("/case/t/Users/alice/AppData/Roaming/Microsoft/Windows/Recent/a.lnk"), Some("alice"));
        assert_eq!(profile_of(r"C:\Users\bob\AppData\Roaming\Microsoft\Windows\Recent\a.lnk"), Some("bob"));
        assert_eq!(profile_of("/evidence/Recent/a.lnk"), None);
    }

    /// Every cut and every byte set to 0x00, 0x7F or 0xFF of a real
    /// shortcut: parsed or an error naming a byte inside the file, never a
    /// panic.
    #[test]
    fn every_cut_and_damaged_byte_of_a_real_shortcut_is_parsed_or_named() {
        let real: &[u8] = include_bytes!("../../tests/fixtures/windows_lnk/NeroInfoTool.lnk");
        let whole = parse_link(real).map(|l| l.target);
        assert_eq!(
            whole.as_ref().ok().and_then(|t| t.as_deref()),
            Some(r"C:\Program Files (x86)\Nero\Nero 9\Nero InfoTool\InfoTool.exe")
        );
        let mut parsed = 0;
        for cut in 0..real.len() {
            match parse_link(&real[..cut]) {
                Ok(_) => parsed += 1,
                Err(e) => assert!(e.offset <= cut, "cut {cut}: {e}"),
            }
        }
        // Cut inside the extra data, what was read is kept.
        assert!(parsed > 0);
        for at in 0..real.len() {
            for v in [0x00, 0x7F, 0xFF] {
                let mut b = real.to_vec();
                b[at] = v;
                if let Err(e) = parse_link(&b) {
                    assert!(e.offset <= b.len(), "byte {at} = {v:#x}: {e}");
                }
            }
        }
    }

    #[test]
    fn drive_letters_are_dropped() {
        assert_eq!(without_drive(r"C:\Users\alice\a.txt"), r"Users\alice\a.txt");
        assert_eq!(without_drive(r"\\server\share\a.txt"), r"\\server\share\a.txt");
    }

    #[test]
    fn short_and_foreign_files_are_errors_with_offsets() {
        assert_eq!(parse_link(b"L\0\0\0").map_err(|e| e.offset), Err(4));
        let mut b = vec![0u8; HEADER_SIZE];
        b[0] = 0x4C;
        assert_eq!(parse_link(&b).map_err(|e| e.offset), Err(0));
        b[4..20].copy_from_slice(&LINK_CLSID);
        // An ID list that claims more bytes than there are.
        b[0x14] = 0x01;
        b.extend_from_slice(&[0xFF, 0x00]);
        assert_eq!(parse_link(&b).map_err(|e| e.offset), Err(HEADER_SIZE));
    }
}

//! Windows Recent Items shortcuts ([MS-SHLLINK]), as Explorer writes one when
//! the person opens a file through the shell: the header with the target's
//! times and size, a LinkInfo with the volume and the local base path, the
//! relative path and working directory (UTF-16), and a tracker block naming
//! the machine. The shortcut file's modification time is the open.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::world::{Device, Shortcut};

const CLSID: [u8; 16] = [0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];

fn filetime(us: i64) -> u64 {
    u64::try_from((us + super::WEBKIT_OFFSET_US).max(0)).unwrap_or(0) * 10
}

/// A StringData entry: its count of UTF-16 units, then the units.
fn utf16(s: &str) -> Vec<u8> {
    let text = super::evtx::utf16(s);
    let mut out = ((text.len() / 2) as u16).to_le_bytes().to_vec();
    out.extend(text);
    out
}

/// The shortcut's bytes; times on the device clock.
pub fn bytes(device: &Device, s: &Shortcut) -> Vec<u8> {
    let win_path = format!("C:\\{}", s.target.replace('/', "\\"));
    let folder = win_path.rsplit_once('\\').map_or("C:\\", |(d, _)| d).to_owned();
    let name = win_path.rsplit('\\').next().unwrap_or("").to_owned();
    // HasLinkInfo | HasRelativePath | HasWorkingDir | IsUnicode
    let flags: u32 = 0x2 | 0x8 | 0x10 | 0x80;
    let mut out = Vec::with_capacity(512);
    out.extend(0x4Cu32.to_le_bytes());
    out.extend(CLSID);
    out.extend(flags.to_le_bytes());
    out.extend(0x20u32.to_le_bytes()); // FILE_ATTRIBUTE_ARCHIVE
    for t in [s.created, s.opened, s.modified] {
        out.extend(filetime(device.clock(t)).to_le_bytes());
    }
    out.extend((s.size as u32).to_le_bytes());
    out.extend(0i32.to_le_bytes()); // icon index
    out.extend(1u32.to_le_bytes()); // SW_SHOWNORMAL
    out.extend([0u8; 12]); // hot key, reserved
    // LinkInfo: header, VolumeID (fixed disk, no label), ANSI base path.
    let volume = {
        let mut v = Vec::new();
        v.extend(0x11u32.to_le_bytes());
        v.extend(3u32.to_le_bytes());
        v.extend(s.serial.to_le_bytes());
        v.extend(0x10u32.to_le_bytes());
        v.push(0);
        v
    };
    let base: Vec<u8> = win_path.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).chain([0]).collect();
    let header = 0x1Cu32;
    let volume_off = header;
    let base_off = volume_off + volume.len() as u32;
    let suffix_off = base_off + base.len() as u32;
    let size = suffix_off + 1;
    for v in [size, header, 0x1, volume_off, base_off, 0, suffix_off] {
        out.extend(v.to_le_bytes());
    }
    out.extend(&volume);
    out.extend(&base);
    out.push(0); // empty common path suffix
    out.extend(utf16(&format!(".\\{name}")));
    out.extend(utf16(&folder));
    // TrackerDataBlock.
    out.extend(0x60u32.to_le_bytes());
    out.extend(0xA000_0003u32.to_le_bytes());
    out.extend(0x58u32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    let mut machine = device.name.to_ascii_lowercase().into_bytes();
    machine.resize(16, 0);
    out.extend(machine);
    out.extend([0u8; 64]);
    out.extend(0u32.to_le_bytes()); // terminal block
    out
}

/// Writes the shortcuts into `dir` as the user's Recent Items folder lays
/// them out (one per target name, the last open winning); returns how many.
pub fn write(dir: &Path, device: &Device, shortcuts: &[Shortcut]) -> std::io::Result<usize> {
    let recent = dir.join(format!("Users/{}/AppData/Roaming/Microsoft/Windows/Recent", device.user));
    std::fs::create_dir_all(&recent)?;
    let mut last: std::collections::BTreeMap<String, &Shortcut> = std::collections::BTreeMap::new();
    for s in shortcuts {
        let name = s.target.rsplit('/').next().unwrap_or("").to_owned();
        if last.get(&name).is_none_or(|p| p.opened <= s.opened) {
            last.insert(name, s);
        }
    }
    for (name, s) in &last {
        let p = recent.join(format!("{name}.lnk"));
        std::fs::write(&p, bytes(device, s))?;
        let us = device.clock(s.opened).max(0);
        std::fs::File::options().write(true).open(&p)?.set_modified(UNIX_EPOCH + Duration::from_micros(us as u64))?;
    }
    Ok(last.len())
}

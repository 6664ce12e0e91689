//! The device's exported file tree (files with their modification times on the
//! device clock) and the Zone.Identifier streams exported beside it, as
//! `name:Zone.Identifier` files (how forensic exports name alternate data streams).

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::world::{Device, Marker, TreeFile};

/// Writes the files below `root`; returns how many.
pub fn write_files(root: &Path, device: &Device, files: &[TreeFile]) -> std::io::Result<usize> {
    for f in files {
        let path = root.join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, f.body.as_slice())?;
        let us = device.clock(f.mtime).max(0);
        let t = UNIX_EPOCH + Duration::from_micros(us as u64);
        std::fs::File::options().write(true).open(&path)?.set_modified(t)?;
    }
    Ok(files.len())
}

/// The text of a Zone.Identifier stream as Chrome and Firefox write it on Windows 10/11.
pub fn zone_identifier(m: &Marker) -> String {
    let mut s = String::from("[ZoneTransfer]\r\nZoneId=3\r\n");
    if let Some(r) = &m.referrer {
        s.push_str(&format!("ReferrerUrl={r}\r\n"));
    }
    s.push_str(&format!("HostUrl={}\r\n", m.host_url));
    s
}

/// Writes the streams into `dir`, each in the folder of its file below the
/// tree root (as an export that keeps alternate data streams beside their
/// files lays them out); returns how many.
pub fn write_markers(dir: &Path, markers: &[Marker]) -> std::io::Result<usize> {
    for m in markers {
        let path = dir.join(format!("{}:Zone.Identifier", m.file_name));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, zone_identifier(m))?;
    }
    Ok(markers.len())
}

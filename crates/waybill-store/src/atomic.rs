//! Crash-safe file writes: a temp file in the same folder, fsync, rename, fsync
//! of the folder. A reader sees the old file or the new one, never a mix.

use std::io::Write;
use std::path::Path;

use crate::StoreError;

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().ok_or_else(|| StoreError::layout(path, "has no parent folder"))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = fs_err::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs_err::rename(&tmp, path)?;
    sync_dir(dir)
}

/// fsyncs a folder so that renames and new entries in it are durable.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let f = fs_err::File::open(dir)?;
    // Some file systems refuse fsync on a directory; durability is then theirs to give.
    let _ = f.sync_all();
    Ok(())
}

/// Renames atomically and makes the rename durable.
pub fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs_err::rename(from, to)?;
    if let Some(d) = to.parent() {
        sync_dir(d)?;
    }
    Ok(())
}

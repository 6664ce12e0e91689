//! The commit protocol of commands that derive files from the case (`match`,
//! `analyze`).
//!
//! A command writes its outputs into `.staging/step-<action>/` (each file
//! fsynced), then [`Case::commit_step`](crate::Case::commit_step):
//! 1. hashes every staged output and adds them to the custody entry as
//!    `outputs` (`path`, `sha256`, `size`), and the folder it replaces as
//!    `replaces`;
//! 2. writes the entry to `.staging/step-<action>.commit` atomically — **the
//!    commit point**;
//! 3. applies it: moves each staged file over its place, removes files of the
//!    replaced folder that are not outputs, appends the custody line, and
//!    deletes the marker and the staging folder.
//!
//! Step 3 is idempotent. A writer that opens the case finds a marker left by a
//! killed command and finishes step 3 (roll forward); a staging folder without a
//! marker is removed (roll back). So after a crash the step is either complete,
//! custody line included, or absent — the previous outputs untouched.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::chain::Chain;
use crate::{StoreError, atomic};

/// Outputs of one command, staged.
pub struct Step {
    dir: PathBuf,
    files: Vec<String>,
}

/// One output of a committed step, as the custody log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Path inside the case folder, `/`-separated.
    pub path: String,
    /// SHA-256 (hex) of the file.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
}

/// What the marker holds.
#[derive(Serialize, Deserialize)]
struct Marker {
    /// The custody entry, `outputs` included.
    entry: serde_json::Value,
    /// A folder (case-relative) whose files that are not outputs are removed.
    replace: Option<String>,
}

impl Step {
    pub(crate) fn create(staging_root: &Path, action: &str) -> Result<Self, StoreError> {
        let dir = staging_root.join(format!("step-{action}"));
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        fs_err::create_dir_all(&dir)?;
        Ok(Self { dir, files: Vec::new() })
    }

    /// Stages one output at `rel` (a case-relative, `/`-separated path without
    /// `..`), durably.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), StoreError> {
        if rel.is_empty() || rel.split('/').any(|c| c.is_empty() || c == "." || c == "..") || rel.contains('\\') {
            return Err(StoreError::layout(&self.dir, &format!("output path {rel:?} is not a plain relative path")));
        }
        let path = self.dir.join("files").join(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        let mut f = fs_err::File::create(&path)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if !self.files.iter().any(|f| f == rel) {
            self.files.push(rel.to_owned());
        }
        Ok(())
    }
}

fn marker_path(step_dir: &Path) -> PathBuf {
    let name = step_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    step_dir.with_file_name(format!("{name}.commit"))
}

/// Hashes the staged outputs, writes the marker (the commit point) and applies it.
pub(crate) fn commit(
    root: &Path,
    custody: &mut Chain,
    step: Step,
    mut entry: serde_json::Value,
    replace: Option<&str>,
) -> Result<Vec<Output>, StoreError> {
    let mut files = step.files.clone();
    files.sort();
    let mut outputs = Vec::with_capacity(files.len());
    for rel in &files {
        let bytes = fs_err::read(step.dir.join("files").join(rel))?;
        outputs.push(Output {
            path: rel.clone(),
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            size: bytes.len() as u64,
        });
    }
    let obj = entry.as_object_mut().ok_or_else(|| StoreError::layout(&step.dir, "custody entry is not an object"))?;
    obj.insert(
        "outputs".into(),
        serde_json::to_value(&outputs).map_err(|e| StoreError::layout(&step.dir, &e.to_string()))?,
    );
    if let Some(folder) = replace {
        obj.insert("replaces".into(), folder.into());
    }
    let marker = Marker { entry, replace: replace.map(str::to_owned) };
    let bytes = serde_json::to_vec(&marker).map_err(|e| StoreError::layout(&step.dir, &e.to_string()))?;
    atomic::sync_dir(&step.dir)?;
    atomic::write(&marker_path(&step.dir), &bytes)?;
    failpoint("step.committed");
    apply(root, custody, &step.dir)?;
    Ok(outputs)
}

/// Finishes (marker present) or discards (no marker) an interrupted step.
pub(crate) fn recover(root: &Path, custody: &mut Chain, step_dir: &Path) -> Result<(), StoreError> {
    if marker_path(step_dir).is_file() {
        apply(root, custody, step_dir)
    } else {
        if step_dir.exists() {
            fs_err::remove_dir_all(step_dir)?;
        }
        Ok(())
    }
}

/// Step 3: idempotent.
fn apply(root: &Path, custody: &mut Chain, step_dir: &Path) -> Result<(), StoreError> {
    let mpath = marker_path(step_dir);
    let marker: Marker =
        serde_json::from_slice(&fs_err::read(&mpath)?).map_err(|e| StoreError::layout(&mpath, &e.to_string()))?;
    let outputs: Vec<Output> = serde_json::from_value(marker.entry["outputs"].clone())
        .map_err(|e| StoreError::layout(&mpath, &format!("outputs: {e}")))?;
    for o in &outputs {
        let staged = step_dir.join("files").join(&o.path);
        let target = root.join(&o.path);
        if staged.is_file() {
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            atomic::rename(&staged, &target)?;
        } else if !target.is_file() {
            return Err(StoreError::layout(&mpath, &format!("output {} is neither staged nor in place", o.path)));
        }
    }
    if let Some(folder) = &marker.replace {
        let dir = root.join(folder);
        if dir.is_dir() {
            let keep: std::collections::BTreeSet<PathBuf> = outputs.iter().map(|o| root.join(&o.path)).collect();
            for e in fs_err::read_dir(&dir)? {
                let p = e?.path();
                if p.is_file() && !keep.contains(&p) {
                    fs_err::remove_file(&p)?;
                }
            }
            atomic::sync_dir(&dir)?;
        }
    }
    failpoint("step.moved");
    // The custody line, unless a previous apply already appended it.
    let already = custody.lines().last().and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok()).is_some_and(
        |mut last| {
            if let Some(o) = last.as_object_mut() {
                o.remove("prev");
            }
            last == marker.entry
        },
    );
    if !already {
        custody.append(&marker.entry)?;
    }
    fs_err::remove_file(&mpath)?;
    if step_dir.exists() {
        fs_err::remove_dir_all(step_dir)?;
    }
    if let Some(parent) = mpath.parent() {
        atomic::sync_dir(parent)?;
    }
    Ok(())
}

/// A step past its commit point whose application was interrupted: the next
/// writer completes it. Readers (`verify`) accept its outputs at their place or
/// still staged.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The custody entry that will be appended.
    pub entry: serde_json::Value,
    /// Its outputs.
    pub outputs: Vec<Output>,
    /// The folder it replaces.
    pub replace: Option<String>,
    /// Where its outputs are staged (`<dir>/files/<path>`).
    pub dir: PathBuf,
}

/// Steps past their commit point, in marker-name order.
pub(crate) fn pending(staging_root: &Path) -> Result<Vec<Pending>, StoreError> {
    let mut out = Vec::new();
    if !staging_root.is_dir() {
        return Ok(out);
    }
    let mut markers: Vec<PathBuf> = fs_err::read_dir(staging_root)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("step-"))
                && p.extension().is_some_and(|e| e == "commit")
        })
        .collect();
    markers.sort();
    for m in markers {
        let marker: Marker =
            serde_json::from_slice(&fs_err::read(&m)?).map_err(|e| StoreError::layout(&m, &e.to_string()))?;
        let outputs: Vec<Output> = serde_json::from_value(marker.entry["outputs"].clone())
            .map_err(|e| StoreError::layout(&m, &format!("outputs: {e}")))?;
        out.push(Pending { entry: marker.entry, outputs, replace: marker.replace, dir: m.with_extension("") });
    }
    Ok(out)
}

/// Test hook: `WAYBILL_FAILPOINT=<name>` aborts the process at that point of the
/// protocol (`step.committed`: marker written, nothing applied;
/// `step.moved`: outputs in place, custody line not yet appended), so tests can
/// check recovery from exactly those states.
fn failpoint(name: &str) {
    if std::env::var_os("WAYBILL_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

/// Is this staging entry a step's folder or marker?
pub(crate) fn is_step(name: &str) -> bool {
    name.starts_with("step-")
}

//! The waybill case folder.
//!
//! ```text
//! CASE/
//!   case.toml             subjects, default zone, examiner
//!   manifest.jsonl        one line per evidence input, hash-chained
//!   custody.jsonl         one line per command run on the case, hash-chained
//!   events/format=<fmt>/source=<id>/part-NNNNN.parquet   the event table (zstd)
//!   rejects/<id>.jsonl    records that could not be parsed
//!   content/source=<id>/part-NNNNN.parquet  hashes of files read by `ingest --files`
//!   files/interest.parquet                  files of interest found by `match`
//!   findings/<sha256>-<copy>.json           one finding per copy of a file of interest (`analyze`)
//!   seals.jsonl           Ed25519 seals over the chain heads (`case seal`)
//! ```
//!
//! This crate is the only one that writes into a case folder. Writes are atomic
//! (temp file, fsync, rename, fsync of the folder) and an input's manifest line
//! is written last, so a crash leaves a step either complete or absent: readers
//! only see inputs listed in the manifest, and a writer removes what an
//! interrupted step left behind. Writers hold an exclusive lock on `CASE/.lock`.
//!
//! Queries go through one DataFusion session ([`query::Query`]) over the
//! tables `events`, `rejects` and `inputs`.

pub mod atomic;
pub mod chain;
mod config;
pub mod export;
mod manifest;
pub mod query;
pub mod read;
pub mod seal;
mod staging;
mod step;

use std::path::{Path, PathBuf};

pub use config::{CaseConfig, CaseMeta};
pub use manifest::{CompanionEntry, ManifestEntry};
pub use staging::{Staging, writer_properties, writer_properties_for};
pub use step::{Output, Pending, Step};

use chain::Chain;

/// Everything that can go wrong with a case folder. I/O errors name their path.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The folder is not a waybill case.
    #[error("{0}: not a waybill case (no case.toml); create one with `waybill case new`")]
    NotACase(PathBuf),
    /// `case new` on an existing case or a non-empty folder.
    #[error("{0}: already exists and is not empty")]
    AlreadyExists(PathBuf),
    /// Another waybill process is writing to the case.
    #[error("{0}: the case is locked by another waybill process")]
    Locked(PathBuf),
    /// A case file has unexpected content.
    #[error("{path}: {detail}")]
    Layout {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Writing or reading Parquet failed.
    #[error("{path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A query failed.
    #[error("query failed: {0}")]
    Query(#[from] Box<datafusion::error::DataFusionError>),
    /// A setting from the environment that does not parse.
    #[error("{name}={value:?}: {detail}")]
    Setting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        detail: &'static str,
    },
}

impl StoreError {
    pub(crate) fn layout(path: &Path, detail: &str) -> Self {
        Self::Layout { path: path.to_owned(), detail: detail.to_owned() }
    }
}

/// One row of the files-of-interest table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestRow {
    /// The file's SHA-256.
    pub sha256: String,
    /// The reference set's name.
    pub set: String,
    /// `sha256`, `md5`, `sha1` or `pdq`.
    pub by: String,
    /// Hamming distance (PDQ), 0 for exact hashes.
    pub distance: i32,
    /// The set's hash value that matched.
    pub value: String,
    /// The set's category, if any.
    pub category: Option<String>,
    /// Where the entry is in the set.
    pub record: String,
}

fn interest_batch(rows: &[InterestRow]) -> Result<arrow::record_batch::RecordBatch, arrow::error::ArrowError> {
    use arrow::array::{ArrayRef, Int32Array, StringArray};
    let s = |f: &dyn Fn(&InterestRow) -> &str| -> ArrayRef {
        std::sync::Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        s(&|r| &r.sha256),
        s(&|r| &r.set),
        s(&|r| &r.by),
        std::sync::Arc::new(rows.iter().map(|r| r.distance).collect::<Int32Array>()),
        s(&|r| &r.value),
        std::sync::Arc::new(rows.iter().map(|r| r.category.as_deref()).collect::<StringArray>()),
        s(&|r| &r.record),
    ];
    arrow::record_batch::RecordBatch::try_new(query::interest_schema(), columns)
}

/// An open case.
pub struct Case {
    root: PathBuf,
    config: CaseConfig,
    manifest: Chain,
    custody: Chain,
    _lock: Option<std::fs::File>,
}

const CASE_FILE: &str = "case.toml";
const MANIFEST: &str = "manifest.jsonl";
const CUSTODY: &str = "custody.jsonl";
const STAGING: &str = ".staging";
const INTEREST: &str = "files/interest.parquet";

impl Case {
    /// Creates a case folder (which must not exist, or be empty).
    pub fn create(root: &Path, config: &CaseConfig) -> Result<Self, StoreError> {
        if root.exists() {
            let non_empty = fs_err::read_dir(root)?.next().is_some();
            if non_empty {
                return Err(StoreError::AlreadyExists(root.to_owned()));
            }
        }
        fs_err::create_dir_all(root)?;
        let text = toml::to_string(config).map_err(|e| StoreError::layout(&root.join(CASE_FILE), &e.to_string()))?;
        atomic::write(&root.join(CASE_FILE), text.as_bytes())?;
        for d in ["events", "rejects"] {
            fs_err::create_dir_all(root.join(d))?;
        }
        atomic::sync_dir(root)?;
        Self::open_for_write(root)
    }

    /// Opens a case to read it (no lock; only committed inputs are visible).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let path = root.join(CASE_FILE);
        let text = match fs_err::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotACase(root.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let config: CaseConfig = toml::from_str(&text).map_err(|e| StoreError::layout(&path, &e.to_string()))?;
        Ok(Self {
            root: root.to_owned(),
            config,
            manifest: Chain::load(&root.join(MANIFEST))?,
            custody: Chain::load(&root.join(CUSTODY))?,
            _lock: None,
        })
    }

    /// Opens a case to write it: takes the lock and removes leftovers of an
    /// interrupted step (staging folders, event folders and reject files of
    /// inputs that never got their manifest line).
    pub fn open_for_write(root: &Path) -> Result<Self, StoreError> {
        let mut case = Self::open(root)?;
        let lock = fs_err::OpenOptions::new().create(true).truncate(false).write(true).open(root.join(".lock"))?;
        let lock = lock.into_file();
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(root.to_owned()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        case._lock = Some(lock);
        case.remove_leftovers()?;
        Ok(case)
    }

    fn remove_leftovers(&mut self) -> Result<(), StoreError> {
        let staging = self.root.join(STAGING);
        if staging.exists() {
            let mut steps = std::collections::BTreeSet::new();
            for e in fs_err::read_dir(&staging)? {
                let p = e?.path();
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if step::is_step(&name) {
                    steps.insert(staging.join(name.trim_end_matches(".commit")));
                } else if staging::is_leftover(&p) {
                    fs_err::remove_dir_all(&p)?;
                }
            }
            for dir in steps {
                step::recover(&self.root, &mut self.custody, &dir)?;
            }
        }
        let known: std::collections::BTreeSet<String> = self.manifest_entries()?.into_iter().map(|m| m.id).collect();
        let events = self.root.join("events");
        if events.exists() {
            for fmt in fs_err::read_dir(&events)? {
                let fmt = fmt?.path();
                if !fmt.is_dir() {
                    continue;
                }
                for src in fs_err::read_dir(&fmt)? {
                    let src = src?.path();
                    let name = src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    if let Some(id) = name.strip_prefix("source=")
                        && !known.contains(id)
                    {
                        fs_err::remove_dir_all(&src)?;
                    }
                }
            }
        }
        let content = self.root.join("content");
        if content.exists() {
            for src in fs_err::read_dir(&content)? {
                let src = src?.path();
                let name = src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if let Some(id) = name.strip_prefix("source=")
                    && !known.contains(id)
                {
                    fs_err::remove_dir_all(&src)?;
                }
            }
        }
        let rejects = self.root.join("rejects");
        if rejects.exists() {
            for r in fs_err::read_dir(&rejects)? {
                let r = r?.path();
                let id = r.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if r.extension().is_some_and(|e| e == "jsonl") && !known.contains(&id) {
                    fs_err::remove_file(&r)?;
                }
            }
        }
        Ok(())
    }

    /// The case folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `case.toml`.
    pub fn config(&self) -> &CaseConfig {
        &self.config
    }

    /// The manifest chain.
    pub fn manifest(&self) -> &Chain {
        &self.manifest
    }

    /// The custody chain.
    pub fn custody(&self) -> &Chain {
        &self.custody
    }

    /// Every committed input, in manifest order.
    pub fn manifest_entries(&self) -> Result<Vec<ManifestEntry>, StoreError> {
        self.manifest.entries()
    }

    /// The id the next input will get: one past the last manifest line's (ids
    /// only grow, so only that line is read; a last line that does not give
    /// one falls back to every line). Constant time per input, not a re-read
    /// of the whole manifest.
    pub fn next_input_id(&self) -> Result<String, StoreError> {
        let num = |id: &str| id.strip_prefix('I').and_then(|n| n.parse::<u64>().ok());
        let last = self
            .manifest
            .lines()
            .last()
            .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .and_then(|v| v["id"].as_str().and_then(num));
        let max = match (last, self.manifest.lines().is_empty()) {
            (Some(n), _) => n,
            (None, true) => 0,
            (None, false) => self.manifest_entries()?.iter().filter_map(|m| num(&m.id)).max().unwrap_or(0),
        };
        Ok(format!("I{:04}", max + 1))
    }

    /// Starts staging the next input.
    pub fn begin_input(&self) -> Result<Staging, StoreError> {
        let id = self.next_input_id()?;
        Staging::create(self.root.join(STAGING).join(&id), id)
    }

    /// Discards a staged input.
    pub fn abort_input(&self, staging: Staging) -> Result<(), StoreError> {
        if staging.dir.exists() {
            fs_err::remove_dir_all(&staging.dir)?;
        }
        Ok(())
    }

    /// Makes a staged input part of the case: moves its events and rejects into
    /// place, then appends its manifest line (last).
    pub fn commit_input(&mut self, staging: Staging, mut entry: ManifestEntry) -> Result<ManifestEntry, StoreError> {
        entry.id = staging.id.clone();
        let rejects = staging.merge_rejects()?;
        staging.sync_events()?;
        let fmt_dir = self.root.join("events").join(format!("format={}", entry.format));
        fs_err::create_dir_all(&fmt_dir)?;
        let target = fmt_dir.join(format!("source={}", entry.id));
        if target.exists() {
            fs_err::remove_dir_all(&target)?;
        }
        if staging.event_parts()? > 0 {
            atomic::rename(&staging.events_dir(), &target)?;
        }
        let content = staging.dir.join("content");
        if content.is_dir() {
            crate::atomic::sync_dir(&content)?;
            let dir = self.root.join("content");
            fs_err::create_dir_all(&dir)?;
            let target = dir.join(format!("source={}", entry.id));
            if target.exists() {
                fs_err::remove_dir_all(&target)?;
            }
            atomic::rename(&content, &target)?;
        }
        if let Some(r) = rejects {
            let dir = self.root.join("rejects");
            fs_err::create_dir_all(&dir)?;
            atomic::rename(&r, &dir.join(format!("{}.jsonl", entry.id)))?;
        }
        entry.outputs = self.input_outputs(&entry)?;
        let line = self.manifest.append(&entry)?;
        let committed: ManifestEntry =
            serde_json::from_str(&line).map_err(|e| StoreError::layout(&self.root.join(MANIFEST), &e.to_string()))?;
        fs_err::remove_dir_all(&staging.dir)?;
        Ok(committed)
    }

    /// Starts staging the outputs of a command (`action` names it: `match`,
    /// `analyze`); an earlier uncommitted staging of the same action is discarded.
    pub fn begin_step(&self, action: &str) -> Result<Step, StoreError> {
        Step::create(&self.root.join(STAGING), action)
    }

    /// Commits a staged step: its outputs (hashed into the custody entry as
    /// `outputs`) replace their places, files of `replace` (a case folder) that
    /// are not outputs are removed, and the custody line is appended — all or
    /// nothing across a crash (the protocol is described in `step.rs`).
    pub fn commit_step(
        &mut self,
        step: Step,
        entry: serde_json::Value,
        replace: Option<&str>,
    ) -> Result<Vec<Output>, StoreError> {
        step::commit(&self.root, &mut self.custody, step, entry, replace)
    }

    /// The files of a committed input (events, content, rejects), hashed, in
    /// path order.
    fn input_outputs(&self, entry: &ManifestEntry) -> Result<Vec<Output>, StoreError> {
        let mut files = Vec::new();
        for dir in [
            self.root.join("events").join(format!("format={}", entry.format)).join(format!("source={}", entry.id)),
            self.root.join("content").join(format!("source={}", entry.id)),
        ] {
            if dir.is_dir() {
                for e in fs_err::read_dir(&dir)? {
                    let p = e?.path();
                    if p.is_file() {
                        files.push(p);
                    }
                }
            }
        }
        let rejects = self.root.join("rejects").join(format!("{}.jsonl", entry.id));
        if rejects.is_file() {
            files.push(rejects);
        }
        let mut out = Vec::with_capacity(files.len());
        for p in files {
            let (sha256, size) = sha256_file(&p)?;
            out.push(Output { path: self.relative(&p), sha256, size });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// A case file's path relative to the case folder, `/`-separated.
    pub fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
    }

    /// The files the trail says the case holds, each with the hash recorded when
    /// it was written: every input's outputs (manifest), then every later
    /// `match`/`analyze` step (custody); a later record of a path replaces an
    /// earlier one, and a step that replaced a folder drops that folder's older
    /// records. Paths are case-relative.
    pub fn recorded_outputs(&self) -> Result<std::collections::BTreeMap<String, Output>, StoreError> {
        let mut map = std::collections::BTreeMap::new();
        for m in self.manifest_entries()? {
            for o in m.outputs {
                map.insert(o.path.clone(), o);
            }
        }
        for line in self.custody.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            // Report files live wherever `--out` put them; they are not case tables.
            if !matches!(v["action"].as_str(), Some("match" | "analyze")) {
                continue;
            }
            let Some(outs) = v.get("outputs") else { continue };
            let outs: Vec<Output> = serde_json::from_value(outs.clone())
                .map_err(|e| StoreError::layout(&self.root.join(CUSTODY), &format!("outputs: {e}")))?;
            if let Some(folder) = v.get("replaces").and_then(|r| r.as_str()) {
                let prefix = format!("{folder}/");
                map.retain(|p: &String, _| !p.starts_with(&prefix));
            }
            for o in outs {
                map.insert(o.path.clone(), o);
            }
        }
        Ok(map)
    }

    /// Seals the chains as they stand with `key`: appends the seal to
    /// `seals.jsonl` (durably), then records the act in the custody log
    /// (`extra` adds the command line, tool and times).
    pub fn seal(
        &mut self,
        key: &ed25519_dalek::SigningKey,
        extra: serde_json::Value,
    ) -> Result<seal::Seal, StoreError> {
        use std::io::Write as _;
        let sealed = seal::Seal::sign(&self.manifest, &self.custody, key);
        let path = self.root.join(seal::SEALS);
        let mut line = serde_json::to_vec(&sealed).map_err(|e| StoreError::layout(&path, &e.to_string()))?;
        line.push(b'\n');
        let mut f = fs_err::OpenOptions::new().create(true).append(true).open(&path)?;
        f.write_all(&line)?;
        f.sync_all()?;
        atomic::sync_dir(&self.root)?;
        let mut entry = extra;
        if let Some(o) = entry.as_object_mut() {
            o.insert("action".into(), "case.seal".into());
            o.insert(
                "seal".into(),
                serde_json::to_value(&sealed).map_err(|e| StoreError::layout(&path, &e.to_string()))?,
            );
        }
        self.custody.append(&entry)?;
        Ok(sealed)
    }

    /// Steps interrupted after their commit point (see [`Pending`]).
    pub fn pending_steps(&self) -> Result<Vec<Pending>, StoreError> {
        step::pending(&self.root.join(STAGING))
    }

    /// Appends a custody record (a JSON object; `prev` is set here).
    pub fn append_custody(&mut self, entry: &serde_json::Value) -> Result<(), StoreError> {
        self.custody.append(entry).map(|_| ())
    }

    /// Event folders of committed inputs.
    pub fn event_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        Ok(self
            .manifest_entries()?
            .iter()
            .map(|m| self.root.join("events").join(format!("format={}", m.format)).join(format!("source={}", m.id)))
            .filter(|p| p.is_dir())
            .collect())
    }

    /// Content folders (hashes of files) of committed file-tree inputs.
    pub fn content_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        Ok(self
            .manifest_entries()?
            .iter()
            .map(|m| self.root.join("content").join(format!("source={}", m.id)))
            .filter(|p| p.is_dir())
            .collect())
    }

    /// The files-of-interest table, once `match` has written it.
    pub fn interest_path(&self) -> PathBuf {
        self.root.join(INTEREST)
    }

    /// The rows of the files-of-interest table (empty before the first `match`).
    pub fn read_interest(&self) -> Result<Vec<InterestRow>, StoreError> {
        use arrow::array::{Array, AsArray};
        let path = self.interest_path();
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let file = fs_err::File::open(&path)?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file.into_file(), 8192)
            .map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
        let mut rows = Vec::new();
        for batch in reader {
            let b = batch.map_err(|e| StoreError::layout(&path, &e.to_string()))?;
            let col = |n: &str| b.column_by_name(n).map(|c| c.as_string::<i32>().clone());
            let (Some(sha), Some(set), Some(by), Some(value), Some(cat), Some(rec)) =
                (col("sha256"), col("set"), col("by"), col("value"), col("category"), col("record"))
            else {
                return Err(StoreError::layout(&path, "unexpected columns"));
            };
            let dist = b
                .column_by_name("distance")
                .map(|c| c.as_primitive::<arrow::datatypes::Int32Type>().clone())
                .ok_or_else(|| StoreError::layout(&path, "no distance column"))?;
            for i in 0..b.num_rows() {
                rows.push(InterestRow {
                    sha256: sha.value(i).to_owned(),
                    set: set.value(i).to_owned(),
                    by: by.value(i).to_owned(),
                    distance: dist.value(i),
                    value: value.value(i).to_owned(),
                    category: (!cat.is_null(i)).then(|| cat.value(i).to_owned()),
                    record: rec.value(i).to_owned(),
                });
            }
        }
        Ok(rows)
    }

    /// Adds rows to the files-of-interest table: one row per (file, set, by) —
    /// the closest match, then the first record — sorted; re-running adds nothing.
    /// The new table is staged in `step`. Returns the number of rows that were
    /// not there before.
    pub fn merge_interest(&self, new: Vec<InterestRow>, step: &mut Step) -> Result<usize, StoreError> {
        let mut rows = self.read_interest()?;
        let before: std::collections::BTreeSet<(String, String, String)> =
            rows.iter().map(|r| (r.sha256.clone(), r.set.clone(), r.by.clone())).collect();
        rows.extend(new);
        rows.sort_by(|a, b| {
            (&a.sha256, &a.set, &a.by, a.distance, &a.record, &a.value)
                .cmp(&(&b.sha256, &b.set, &b.by, b.distance, &b.record, &b.value))
        });
        rows.dedup_by(|b, a| a.sha256 == b.sha256 && a.set == b.set && a.by == b.by);
        let added = rows.iter().filter(|r| !before.contains(&(r.sha256.clone(), r.set.clone(), r.by.clone()))).count();
        let batch = interest_batch(&rows).map_err(|e| StoreError::layout(&self.interest_path(), &e.to_string()))?;
        step.write(INTEREST, &self.interest_bytes(&batch)?)?;
        Ok(added)
    }

    /// Where a finding is written: `findings/<id>.json`, where `id` is the
    /// finding's copy id (the content's SHA-256, `-`, a hash of the copy's
    /// device and path).
    pub fn finding_path(&self, id: &str) -> PathBuf {
        self.root.join("findings").join(format!("{id}.json"))
    }

    /// Stages one finding in `step`; returns where it will be once committed.
    /// The id must be a plain file name (hex digits and `-`).
    pub fn write_finding(&self, id: &str, json: &[u8], step: &mut Step) -> Result<PathBuf, StoreError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::layout(&self.root.join("findings"), &format!("{id:?} is not a finding id")));
        }
        step.write(&format!("findings/{id}.json"), json)?;
        Ok(self.finding_path(id))
    }

    /// SHA-256 (hex) of `manifest.jsonl` as it stands: what findings cite as
    /// their inputs.
    pub fn manifest_sha256(&self) -> Result<String, StoreError> {
        use sha2::Digest as _;
        let bytes = match fs_err::read(self.root.join(MANIFEST)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        Ok(hex::encode(sha2::Sha256::digest(&bytes)))
    }

    /// The files-of-interest table as Parquet bytes.
    fn interest_bytes(&self, batch: &arrow::record_batch::RecordBatch) -> Result<Vec<u8>, StoreError> {
        let path = self.interest_path();
        let mut buf = Vec::new();
        {
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(writer_properties()))
                .map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
            w.write(batch).map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
            w.close().map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
        }
        Ok(buf)
    }

    /// Reject files of committed inputs.
    pub fn reject_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        Ok(self
            .manifest_entries()?
            .iter()
            .map(|m| self.root.join("rejects").join(format!("{}.jsonl", m.id)))
            .filter(|p| p.is_file())
            .collect())
    }
}

/// SHA-256 (hex) and size of one of the case's own files.
fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    use sha2::Digest as _;
    let mut f = fs_err::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((hex::encode(h.finalize()), n))
}

/// What makes two ingests of the same content the same input: every option
/// that changes the output.
#[derive(Debug, Clone, Copy)]
pub struct DuplicateKey<'a> {
    /// SHA-256 of the input file.
    pub sha256: &'a str,
    /// Format id (sniffed or `--format`).
    pub format: &'a str,
    /// `--device`.
    pub device: Option<&'a str>,
    /// `--clock` as given (`None` for the default clock).
    pub clock: Option<&'a str>,
    /// The zone local times are read in (`--tz`, else the case zone), as the
    /// manifest writes it.
    pub tz: &'a str,
    /// `--log-format`, as the manifest writes it.
    pub log_format: Option<&'a str>,
    /// The input's path as the manifest writes it, when the path is part of
    /// what the input says (a Zone.Identifier stream names the file beside it,
    /// so two identical streams at two paths are two inputs); `None` otherwise.
    pub path: Option<&'a str>,
}

/// The committed input among `entries` that `key` would duplicate: the same
/// content, format, device, clock, zone and log format. An ingest with another
/// `--tz` or `--log-format` reads the same bytes differently and is a new
/// input.
pub fn duplicate_in<'e>(entries: &'e [ManifestEntry], key: &DuplicateKey<'_>) -> Option<&'e ManifestEntry> {
    entries.iter().find(|m| {
        let default_clock = m.clock == format!("device:{}", m.id)
            || m.clock == format!("host:{}", m.id)
            || Some(m.clock.as_str()) == m.device.as_deref();
        let same_clock = match key.clock {
            Some(c) => m.clock == c,
            None => default_clock,
        };
        m.sha256 == key.sha256
            && m.format == key.format
            && m.device.as_deref() == key.device
            && same_clock
            && m.tz == key.tz
            && m.log_format.as_deref() == key.log_format
            && key.path.is_none_or(|p| m.path == p)
    })
}

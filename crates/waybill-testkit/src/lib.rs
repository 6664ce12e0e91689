//! Test helpers shared by waybill's test suites (dev-dependency only).
//!
//! - [`fixture`] finds a fixture under `crates/waybill-ingest/tests/fixtures/`;
//!   SQLite fixtures are kept as `.sql` scripts and [`materialize`] builds the
//!   database in a temp folder.
//! - [`real`] finds a file of the shared real-artifact corpus
//!   (`../shared/data/real`, read in place, never copied into the repo). When the
//!   corpus is missing, tests print a notice and skip — except under `CI=true`,
//!   where a missing corpus is a failure.
//! - [`ingest_path`] runs the ingest driver into memory; [`Collected::canonical`]
//!   is the canonical dump used in snapshots (JSON lines in parse order, the
//!   input id and any temp paths normalized).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimeUnit};
use waybill_ingest::driver::{BoxError, PartSink};
use waybill_ingest::{IngestError, IngestRequest, InputSummary, LogFormatSpec, NoReporter, ParseContext, Zone};
use waybill_model::Timestamp;
use waybill_model::schema::RejectRow;

/// The workspace root: the nearest folder holding `Cargo.lock` above the
/// package under test. Found from `CARGO_MANIFEST_DIR` as cargo sets it when
/// it runs the test (a test binary built from another checkout of the same
/// sources, sharing a target folder, would otherwise look in that checkout).
pub fn workspace_root() -> PathBuf {
    let start =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = start.ancestors().find(|d| d.join("Cargo.lock").is_file()).unwrap_or(&start).to_owned();
    root.canonicalize().expect("workspace root")
}

/// A fixture file: `crates/waybill-ingest/tests/fixtures/<source>/<name>`.
pub fn fixture(source: &str, name: &str) -> PathBuf {
    let p = fixture_dir(source).join(name);
    assert!(p.exists(), "fixture {} does not exist", p.display());
    p
}

/// The fixture folder of a source (named after its id with `.` → `_`).
pub fn fixture_dir(source: &str) -> PathBuf {
    workspace_root().join("crates/waybill-ingest/tests/fixtures").join(source.replace('.', "_"))
}

/// Is this a CI run (where every outside resource must be present)?
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The shared real-artifact corpus folder, if present: `$WAYBILL_CORPUS`, else
/// `../shared/data/real` beside the workspace.
pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("WAYBILL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data/real"));
    if p.is_dir() {
        Some(p)
    } else if in_ci() {
        panic!("the real-artifact corpus {} is missing (CI=true; set WAYBILL_CORPUS)", p.display());
    } else {
        // One visible line per test binary: written to the process's stderr
        // directly, past the test harness's capture of `eprintln!`.
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: tests on real artifacts ({} not found; set WAYBILL_CORPUS)",
                p.display()
            );
        });
        None
    }
}

/// A file of the real-artifact corpus (`logs/plaso/apache_access.log`), if present.
pub fn real(rel: &str) -> Option<PathBuf> {
    let p = corpus()?.join(rel);
    assert!(p.exists(), "corpus file {} is missing", p.display());
    Some(p)
}

static BUILT: Mutex<Vec<(PathBuf, tempfile::TempDir)>> = Mutex::new(Vec::new());

/// Returns a path to parse: `.sql` fixtures are built into a database (once per
/// process, in a temp folder, named like the script without `.sql`); other files
/// are returned as they are.
pub fn materialize(path: &Path) -> PathBuf {
    if path.extension().is_none_or(|e| e != "sql") {
        return path.to_owned();
    }
    let mut built = BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, dir)) = built.iter().find(|(p, _)| p == path) {
        return dir.path().join(path.file_stem().expect("stem"));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join(path.file_stem().expect("stem"));
    build_sqlite(path, &db);
    built.push((path.to_owned(), dir));
    db
}

/// Builds an SQLite database from an SQL script (as `sqlite3 db < script` would).
pub fn build_sqlite(script: &Path, db: &Path) {
    let sql = std::fs::read_to_string(script).expect("read script");
    let conn = rusqlite::Connection::open(db).expect("create db");
    // The sqlite3 shell does not enforce foreign keys; neither do the apps whose
    // databases the scripts reproduce while they write rows out of order.
    conn.execute_batch("PRAGMA foreign_keys = OFF;").expect("pragma");
    conn.execute_batch(&sql).unwrap_or_else(|e| panic!("{}: {e}", script.display()));
}

/// Writes a temporary folder of a test (`<temp>/.tmpAbC123/`) as `$TMP/`.
pub fn redact_temp(text: &str) -> String {
    let temp = std::env::temp_dir().display().to_string();
    let prefix = format!("{}/.tmp", temp.trim_end_matches('/'));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(&rest[..at]);
        let after = &rest[at + prefix.len()..];
        let end = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        out.push_str("$TMP");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Options of one test ingest.
#[derive(Debug, Clone, Default)]
pub struct Opts {
    /// `--format`.
    pub format: Option<String>,
    /// `--tz`.
    pub tz: Option<String>,
    /// `--log-format`.
    pub log_format: Option<String>,
    /// `--device`.
    pub device: Option<String>,
}

impl Opts {
    /// With a log format.
    pub fn log_format(f: &str) -> Self {
        Self { log_format: Some(f.to_owned()), ..Self::default() }
    }

    /// The parse context.
    pub fn ctx(&self) -> ParseContext {
        ParseContext {
            tz: self.tz.as_deref().map_or(Zone::Utc, |z| z.parse().expect("zone")),
            log_format: self.log_format.as_deref().map(|f| f.parse::<LogFormatSpec>().expect("log format")),
        }
    }
}

/// A [`PartSink`] that keeps everything in memory.
#[derive(Default)]
pub struct MemSink {
    parts: Mutex<Vec<(u32, RecordBatch)>>,
    rejects: Mutex<Vec<(u32, RejectRow)>>,
    content: Mutex<Vec<(u32, RecordBatch)>>,
}

impl PartSink for MemSink {
    fn events(&self, part: u32, batch: RecordBatch) -> Result<(), BoxError> {
        self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((part, batch));
        Ok(())
    }

    fn rejects(&self, part: u32, rows: &[RejectRow]) -> Result<(), BoxError> {
        let mut r = self.rejects.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        r.extend(rows.iter().cloned().map(|row| (part, row)));
        Ok(())
    }

    fn content(&self, part: u32, batch: RecordBatch) -> Result<(), BoxError> {
        self.content.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((part, batch));
        Ok(())
    }
}

/// What one ingest produced.
#[derive(Debug)]
pub struct Collected {
    /// The driver's summary (format, counts, hash).
    pub summary: InputSummary,
    /// Every event as a JSON object, in parse order.
    pub events: Vec<serde_json::Value>,
    /// Every reject, in order.
    pub rejects: Vec<RejectRow>,
}

impl Collected {
    /// Events of one kind.
    pub fn kind(&self, kind: &str) -> Vec<&serde_json::Value> {
        self.events.iter().filter(|e| e["kind"] == kind).collect()
    }

    /// The canonical dump: a header with the counts, one JSON line per event,
    /// then one per reject.
    pub fn canonical(&self) -> String {
        let c = self.summary.counts;
        let mut s = format!(
            "format: {}\nrecords: {}  events: {}  rejects: {}\n",
            self.summary.format, c.records, c.events, c.rejects
        );
        // Paths of the checkout (a marked file's exported path) are written
        // relative to it, so snapshots hold on every machine.
        let root = workspace_root().display().to_string();
        for e in &self.events {
            s.push_str(&redact_temp(&sorted_json(e).replace(&root, "$WORKSPACE")));
            s.push('\n');
        }
        for r in &self.rejects {
            s.push_str(&format!("REJECT {} | {} | {}\n", r.record, r.reason, r.excerpt.value().replace('\n', "\\n")));
        }
        s
    }
}

/// Ingests one file into memory, with the input id `I0001`.
pub fn ingest_path(path: &Path, opts: &Opts) -> Result<Collected, IngestError> {
    ingest_path_chunked(path, opts, 0)
}

/// [`ingest_path`] with a given chunk size for line formats.
pub fn ingest_path_chunked(path: &Path, opts: &Opts, chunk_size: usize) -> Result<Collected, IngestError> {
    let ctx = opts.ctx();
    let req = IngestRequest {
        path,
        id: "I0001",
        format: opts.format.as_deref(),
        device: opts.device.as_deref(),
        clock: None,
        ctx: &ctx,
        scratch: None,
    };
    let sink = MemSink::default();
    let summary = waybill_ingest::driver::ingest_with_chunk_size(&req, &sink, &NoReporter, chunk_size)?;
    let mut parts = sink.parts.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    parts.sort_by_key(|(p, _)| *p);
    let mut events = Vec::new();
    for (_, b) in &parts {
        events.extend(batch_to_json(b));
    }
    let mut rejects = sink.rejects.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    rejects.sort_by_key(|(p, _)| *p);
    Ok(Collected { summary, events, rejects: rejects.into_iter().map(|(_, r)| r).collect() })
}

/// Ingests a fixture (materializing `.sql` scripts); panics on error.
pub fn ingest_fixture(source: &str, name: &str, opts: &Opts) -> Collected {
    let p = materialize(&fixture(source, name));
    ingest_path(&p, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Rows of an event batch as JSON objects (non-null columns only; times as RFC 3339;
/// `attrs` parsed).
pub fn batch_to_json(b: &RecordBatch) -> Vec<serde_json::Value> {
    let schema = b.schema();
    (0..b.num_rows())
        .map(|i| {
            let mut obj = serde_json::Map::new();
            for (f, col) in schema.fields().iter().zip(b.columns()) {
                if col.is_null(i) {
                    continue;
                }
                let v: serde_json::Value = match f.data_type() {
                    DataType::Timestamp(TimeUnit::Microsecond, _) => {
                        let us = col.as_primitive::<arrow::datatypes::TimestampMicrosecondType>().value(i);
                        Timestamp::from_unix_micros(us).map_or_else(|_| us.into(), |t| t.to_string().into())
                    }
                    DataType::Utf8 => {
                        let s = col.as_string::<i32>().value(i);
                        if f.name() == "attrs" {
                            serde_json::from_str(s).unwrap_or_else(|_| s.into())
                        } else {
                            s.into()
                        }
                    }
                    DataType::Int64 => col.as_primitive::<arrow::datatypes::Int64Type>().value(i).into(),
                    DataType::Int32 => col.as_primitive::<arrow::datatypes::Int32Type>().value(i).into(),
                    DataType::UInt64 => col.as_primitive::<arrow::datatypes::UInt64Type>().value(i).into(),
                    DataType::Boolean => col.as_boolean().value(i).into(),
                    other => format!("<{other}>").into(),
                };
                obj.insert(f.name().clone(), v);
            }
            serde_json::Value::Object(obj)
        })
        .collect()
}

/// SHA-256, size and mtime of a file: what "evidence is never modified" compares.
pub fn file_state(path: &Path) -> (String, u64, std::time::SystemTime) {
    use sha2::Digest as _;
    let bytes = std::fs::read(path).expect("read evidence");
    let meta = std::fs::metadata(path).expect("stat evidence");
    let hash = hex::encode(sha2::Sha256::digest(&bytes));
    (hash, meta.len(), meta.modified().expect("mtime"))
}

/// Sorted names in a folder (to see that nothing was created beside evidence).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// What walking a file tree gave: the summary, events, rejects and content rows.
#[derive(Debug)]
pub struct CollectedTree {
    /// The driver's summary.
    pub summary: waybill_ingest::tree::TreeSummary,
    /// Events as JSON, in order.
    pub events: Vec<serde_json::Value>,
    /// Content rows as JSON, in order.
    pub content: Vec<serde_json::Value>,
    /// Rejects.
    pub rejects: Vec<RejectRow>,
}

/// Walks a tree into memory (input id `I0001`).
pub fn ingest_tree(root: &Path, device: Option<&str>) -> Result<CollectedTree, IngestError> {
    let sink = MemSink::default();
    let req = waybill_ingest::tree::TreeRequest { root, id: "I0001", device, clock: None };
    let summary = waybill_ingest::tree::ingest_tree(&req, &sink, &NoReporter)?;
    let mut parts = sink.parts.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    parts.sort_by_key(|(p, _)| *p);
    let mut content = sink.content.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    content.sort_by_key(|(p, _)| *p);
    let mut rejects = sink.rejects.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    rejects.sort_by_key(|(p, _)| *p);
    Ok(CollectedTree {
        summary,
        events: parts.iter().flat_map(|(_, b)| batch_to_json(b)).collect(),
        content: content.iter().flat_map(|(_, b)| batch_to_json(b)).collect(),
        rejects: rejects.into_iter().map(|(_, r)| r).collect(),
    })
}

/// A fixed pseudo-random sequence (xorshift64) for tests that damage or
/// generate inputs: the same seed gives the same inputs on every run.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// JSON text with every object's keys in sorted order, whatever order the map
/// keeps (a dependency turns on serde_json's `preserve_order`), so snapshots do
/// not depend on feature unification.
pub fn sorted_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", serde_json::Value::String(k.clone()), sorted_json(&m[k.as_str()])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        serde_json::Value::Array(a) => format!("[{}]", a.iter().map(sorted_json).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// Every entry below `root` (folders included, so a file created beside
/// evidence shows) with, for files, SHA-256, size and modification time: what
/// must not change when evidence is read.
pub fn listing_state(root: &Path) -> Vec<(String, String, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
            if meta.is_dir() {
                out.push((rel, "dir".into(), 0, None));
                stack.push(p);
            } else {
                let sha = std::fs::read(&p).map(|b| sha256_hex(&b)).unwrap_or_default();
                out.push((rel, sha, meta.len(), meta.modified().ok()));
            }
        }
    }
    out.sort();
    out
}

//! `waybill verify`: is the case what its trail says it is?
//!
//! 1. Both hash chains (`manifest.jsonl`, `custody.jsonl`) are intact.
//! 2. Every evidence file, and every companion read with it (a WAL, a
//!    journal), still has its recorded SHA-256 (when reachable, at its recorded
//!    path or below an evidence root).
//! 3. Everything derived is re-derived from the evidence in a scratch case and
//!    the event and content tables, rejects, files of interest and findings
//!    are compared byte for byte.
//! 4. Every stored table and finding has the SHA-256 the trail recorded when
//!    it was written (the manifest for inputs' tables, the custody log for the
//!    files of interest and findings), and every seal in `seals.jsonl` verifies
//!    over the chain lines it covers (with a trusted key, made with that key).
//!
//! The re-derivation replays the custody log in order — each `ingest` (its
//! inputs with their recorded options), `match` and `analyze` (with its
//! `--file`) as it was run — so a case built in any order re-derives to
//! itself. This crate decides what to replay and compares the results; a
//! [`Rederive`] runs each [`Step`] (the CLI runs its own executable, a test
//! may record the steps).
//!
//! The outcome is a [`Report`]: [`Status::Verified`] when everything holds
//! and everything was re-derived; [`Status::Differs`] when anything differs
//! (each difference named); [`Status::Partial`] when nothing differs but not
//! everything could be re-derived (evidence unreachable, another rulebook, a
//! step still pending: each reason named).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use waybill_store::{Case, ManifestEntry, StoreError};

/// What to check against.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// A folder the evidence was moved to: each input is looked for below it
    /// by the longest tail of its recorded path that exists.
    pub evidence_root: Option<&'a Path>,
    /// The public key the seals must be made with.
    pub trusted_key: Option<&'a Path>,
    /// SHA-256 of the rulebook the re-derivation uses (the built-in one):
    /// findings made with another are not re-derived.
    pub rulebook_sha256: &'a str,
}

/// How an ingest reads its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestMode {
    /// Files (and folders walked), each recognised by content.
    Paths,
    /// One extracted file tree (`--files`).
    Files,
    /// One folder of per-entry files (`--entries`).
    Entries,
}

/// A command replayed on the scratch case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Make the scratch case `case` with the settings of `from` (a `case.toml`).
    NewCase {
        /// The scratch case.
        case: PathBuf,
        /// The original's `case.toml`.
        from: PathBuf,
    },
    /// Ingest with the options recorded in the manifest.
    Ingest {
        /// The scratch case.
        case: PathBuf,
        /// How the paths are read.
        mode: IngestMode,
        /// The evidence, where it is now.
        paths: Vec<PathBuf>,
        /// `--device`.
        device: Option<String>,
        /// `--clock`, when not the default one.
        clock: Option<String>,
        /// `--tz`.
        tz: String,
        /// `--log-format`.
        log_format: Option<String>,
        /// `--format`.
        format: Option<String>,
    },
    /// Match against reference hash sets.
    Match {
        /// The scratch case.
        case: PathBuf,
        /// Each set as `--hashset` takes it (`pdq:` before a PDQ set).
        sets: Vec<String>,
        /// `--pdq-distance`.
        pdq_distance: Option<u64>,
        /// `--pdq-any-quality`.
        pdq_any_quality: bool,
    },
    /// Analyze (one file of interest with `file`).
    Analyze {
        /// The scratch case.
        case: PathBuf,
        /// `--file`.
        file: Option<String>,
    },
    /// Record an examiner's review step again, as the custody log holds it.
    Review {
        /// The scratch case.
        case: PathBuf,
        /// The finding's full id.
        finding: String,
        /// Who.
        examiner: String,
        /// `accept`, `reject` or `note`.
        action: String,
        /// The item (accept, reject) or the note's text.
        what: String,
        /// Why.
        why: String,
    },
}

/// Runs the replayed steps.
pub trait Rederive {
    /// Runs one step; `Err` says why it failed.
    fn run(&mut self, step: &Step) -> Result<(), String>;
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything holds and everything was re-derived.
    Verified,
    /// Nothing differs, but not everything could be re-derived.
    Partial,
    /// Something differs.
    Differs,
}

impl Status {
    /// `verified`, `partial` or `differs`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Partial => "partial",
            Self::Differs => "differs",
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The outcome.
    pub status: Status,
    /// Each difference, named.
    pub differences: Vec<String>,
    /// What could not be re-derived, and why.
    pub not_rederived: Vec<String>,
    /// What was checked and how (seals that hold, evidence not reachable, …).
    pub notes: Vec<String>,
    /// Inputs in the manifest.
    pub inputs: usize,
    /// Both chains verified.
    pub chains_intact: bool,
    /// The case has seals.
    pub sealed: bool,
    /// The seals were checked against a trusted key.
    pub trusted_key: bool,
}

/// Why a check could not run (exit 2 in the CLI).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The case could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A replayed step failed in a way that stops the check.
    #[error("re-deriving: {0}")]
    Rederive(String),
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> VerifyError + '_ {
    move |source| VerifyError::Io { path: path.to_owned(), source }
}

/// Checks the case at `case_dir` (see the crate docs).
pub fn verify(case_dir: &Path, opts: &Options<'_>, rederive: &mut dyn Rederive) -> Result<Report, VerifyError> {
    let case = Case::open(case_dir)?;
    let mut diffs: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut chains_intact = true;
    for (name, chain) in [("manifest.jsonl", case.manifest()), ("custody.jsonl", case.custody())] {
        if let Err(b) = chain.verify() {
            chains_intact = false;
            diffs.push(format!("{name} line {}: {}", b.line, b.detail));
        }
    }
    let sealed = check_seals(&case, opts.trusted_key, &mut diffs, &mut notes)?;
    let entries = case.manifest_entries()?;
    let known: BTreeSet<&str> = entries.iter().map(|m| m.id.as_str()).collect();
    recorded_outputs(&case, &mut diffs, &mut notes)?;
    // Evidence files, where they are now. A folder input (a file tree, a
    // folder of entries) is checked by reading it again.
    let mut located: Vec<Option<PathBuf>> = Vec::new();
    for m in &entries {
        let found = locate(Path::new(&m.path), opts.evidence_root);
        match &found {
            None => notes.push(format!("{} {}: not reachable; its hash was not checked", m.id, m.path)),
            Some(p) if p.is_file() => {
                let sha = sha256_file(p)?;
                if sha != m.sha256 {
                    diffs.push(format!("{} {}: SHA-256 is {sha}, recorded {}", m.id, p.display(), m.sha256));
                }
            }
            Some(_) => {}
        }
        located.push(found);
    }
    // Containers (`ingest --target` zips) whose members were staged into the
    // case: the container is the evidence; the staged members are checked as
    // inputs above.
    for line in case.custody().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let t = &v["target"];
        // An EWF image's further segments are evidence as much as its first.
        let segments = t["segments"].as_array().into_iter().flatten();
        let files = std::iter::once(t).chain(segments);
        let mut intact = true;
        for f in files {
            let (Some(path), Some(want)) = (f["path"].as_str(), f["sha256"].as_str()) else { continue };
            match locate(Path::new(path), opts.evidence_root).filter(|p| p.is_file()) {
                None => {
                    intact = false;
                    notes.push(format!("target {path}: not reachable; its hash was not checked"));
                }
                Some(p) => {
                    let sha = sha256_file(&p)?;
                    if sha != want {
                        intact = false;
                        diffs.push(format!("target {}: SHA-256 is {sha}, recorded {want}", p.display()));
                    }
                }
            }
        }
        if intact {
            restaged(&case, t, opts.evidence_root, &mut diffs)?;
        }
    }
    // Companions (a WAL, a journal) read with a database, where they are now.
    for m in &entries {
        for c in &m.companions {
            match locate(Path::new(&c.path), opts.evidence_root).filter(|p| p.is_file()) {
                None => notes.push(format!("{} companion {}: not reachable; its hash was not checked", m.id, c.path)),
                Some(p) => {
                    let sha = sha256_file(&p)?;
                    if sha != c.sha256 {
                        diffs.push(format!(
                            "{} companion {}: SHA-256 is {sha}, recorded {}",
                            m.id,
                            p.display(),
                            c.sha256
                        ));
                    }
                }
            }
        }
    }
    // Re-derive everything in a scratch case, replaying the custody log in
    // order with each command's recorded options.
    let scratch = tempfile::tempdir().map_err(io_at(Path::new("a scratch folder")))?;
    let s = scratch.path().join("case");
    rederive
        .run(&Step::NewCase { case: s.clone(), from: case_dir.join("case.toml") })
        .map_err(VerifyError::Rederive)?;
    let mut replay = Replay { rederive, scratch: &s, entries: &entries, located: &located, next: 0, inputs_ok: true };
    let mut partial: Vec<String> = Vec::new();
    let mut matched_ok = true;
    let mut findings_ok = true;
    let mut analyzed = false;
    for line in case.custody().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        match v["action"].as_str() {
            Some("ingest") => {
                // The inputs this ingest committed, and any committed before it
                // by a run killed before its custody line.
                let upto = v["inputs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["id"].as_str())
                    .filter_map(|id| entries.iter().position(|m| m.id == id))
                    .max()
                    .map_or(replay.next, |i| i + 1);
                replay.inputs(upto)?;
            }
            Some("match") => {
                let mut sets = Vec::new();
                for set in v["sets"].as_array().into_iter().flatten() {
                    let recorded = set["path"].as_str().unwrap_or("");
                    // A reference set is looked for like evidence.
                    let found = locate(Path::new(recorded), opts.evidence_root);
                    if let (Some(f), Some(want)) = (found.as_ref().filter(|f| f.is_file()), set["sha256"].as_str()) {
                        let sha = sha256_file(f)?;
                        if sha != want {
                            diffs
                                .push(format!("reference hash set {}: SHA-256 is {sha}, recorded {want}", f.display()));
                        }
                    }
                    let p = found.map_or_else(|| recorded.to_owned(), |p| p.display().to_string());
                    sets.push(if set["format"].as_str().is_some_and(|f| f.contains("pdq")) {
                        format!("pdq:{p}")
                    } else {
                        p
                    });
                }
                let step = Step::Match {
                    case: s.clone(),
                    sets,
                    pdq_distance: v["pdq_distance"].as_u64(),
                    pdq_any_quality: v["pdq_any_quality"] == true,
                };
                if let Err(e) = replay.rederive.run(&step) {
                    matched_ok = false;
                    partial.push(format!(
                        "a match could not be re-run ({e}); files of interest and findings not re-derived"
                    ));
                }
            }
            Some("review") => {
                // Replayed in order, so the analyses after it apply it again.
                let field = |k: &str| v[k].as_str().unwrap_or("").to_owned();
                let what = v["item"].as_str().or(v["text"].as_str()).unwrap_or("").to_owned();
                let step = Step::Review {
                    case: s.clone(),
                    finding: field("finding"),
                    examiner: field("examiner"),
                    action: field("decision"),
                    what,
                    why: field("why"),
                };
                if let Err(e) = replay.rederive.run(&step) {
                    findings_ok = false;
                    partial.push(format!("a review step could not be recorded again ({e}); findings not re-derived"));
                }
            }
            Some("analyze") => {
                analyzed = true;
                if v["rulebook"].as_str().is_some_and(|r| r != opts.rulebook_sha256) {
                    if findings_ok {
                        partial.push(
                            "findings were made with a rulebook other than the built-in one; findings not re-derived"
                                .into(),
                        );
                    }
                    findings_ok = false;
                    continue;
                }
                if let Err(e) = replay.rederive.run(&Step::Analyze { case: s.clone(), file: analyzed_file(&v) }) {
                    findings_ok = false;
                    partial.push(format!("an analyze could not be re-run ({e}); findings not re-derived"));
                }
            }
            _ => {}
        }
    }
    // Inputs committed after the last ingest line (a run killed before it).
    replay.inputs(entries.len())?;
    let inputs_ok = replay.inputs_ok;
    if inputs_ok {
        let again = Case::open(&s)?;
        let new_entries = again.manifest_entries()?;
        if new_entries.len() != entries.len() {
            diffs.push(format!("re-ingest gave {} inputs, the manifest has {}", new_entries.len(), entries.len()));
        }
        for (old, new) in entries.iter().zip(&new_entries) {
            if old.sha256 != new.sha256 {
                diffs.push(format!(
                    "{} {}: read again, its SHA-256 is {}, recorded {}",
                    old.id, old.path, new.sha256, old.sha256
                ));
            }
            if (&old.id, &old.format, old.records, old.events, old.rejects)
                != (&new.id, &new.format, new.records, new.events, new.rejects)
            {
                diffs.push(format!(
                    "{} {}: re-ingest gave {} {} records {} events {} rejects {}, recorded {} records {} events {} rejects {}",
                    old.id, old.path, new.id, new.format, new.records, new.events, new.rejects, old.format, old.records, old.events, old.rejects
                ));
            }
        }
        compare_tree(case_dir, &s, &["events", "rejects", "content"], &known, &mut diffs, &mut notes)?;
    } else {
        partial.push("some evidence is not reachable: nothing was re-derived from it (give --evidence-root)".into());
    }
    let pending = !case.pending_steps()?.is_empty();
    if pending {
        partial.push(
            "files of interest and findings were not compared with their re-derivation: a step is still to be completed"
                .into(),
        );
    }
    if inputs_ok && matched_ok && !pending {
        compare_tree(case_dir, &s, &["files"], &known, &mut diffs, &mut notes)?;
        if analyzed && findings_ok {
            let moved = entries.iter().zip(&located).any(|(m, l)| l.as_deref() != Some(Path::new(&m.path)));
            if moved {
                // The scratch manifest names the evidence where it is now, so
                // the findings' `inputs` (its SHA-256) differ by construction:
                // compare the findings with that one field set aside.
                notes.push("the evidence moved: findings compared without their `inputs` field".into());
                strip_inputs(&s.join("findings"), &case.manifest_sha256()?)?;
            }
            compare_tree(case_dir, &s, &["findings"], &known, &mut diffs, &mut notes)?;
        }
    }
    let status = if !diffs.is_empty() {
        Status::Differs
    } else if partial.is_empty() {
        Status::Verified
    } else {
        Status::Partial
    };
    Ok(Report {
        status,
        differences: diffs,
        not_rederived: partial,
        notes,
        inputs: entries.len(),
        chains_intact,
        sealed,
        trusted_key: opts.trusted_key.is_some(),
    })
}

/// The `--file` of an analyze custody line: its `file` field, else from the
/// recorded command line (cases written before the field existed).
fn analyzed_file(v: &serde_json::Value) -> Option<String> {
    if let Some(f) = v["file"].as_str() {
        return Some(f.to_owned());
    }
    let argv: Vec<&str> = v["command"].as_array()?.iter().filter_map(serde_json::Value::as_str).collect();
    argv.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--file=")
            .map(str::to_owned)
            .or_else(|| (*a == "--file").then(|| argv.get(i + 1).map(|s| (*s).to_owned())).flatten())
    })
}

/// Re-ingests the case's inputs into the scratch case, in manifest order.
struct Replay<'a, 'r> {
    rederive: &'r mut dyn Rederive,
    scratch: &'a Path,
    entries: &'a [ManifestEntry],
    located: &'a [Option<PathBuf>],
    /// The next manifest entry to re-ingest.
    next: usize,
    /// Every input re-ingested so far was reachable.
    inputs_ok: bool,
}

impl Replay<'_, '_> {
    /// Re-ingests entries `next..upto` with their recorded options;
    /// consecutive files read with the same settings go in one step.
    fn inputs(&mut self, upto: usize) -> Result<(), VerifyError> {
        let (entries, located) = (self.entries, self.located);
        let mut i = self.next;
        while i < upto.min(entries.len()) {
            let m = &entries[i];
            let Some(path) = &located[i] else {
                self.inputs_ok = false;
                i += 1;
                continue;
            };
            let mut paths = vec![path.clone()];
            // A file tree and a folder of entries are one input per step.
            let alone = |n: &ManifestEntry| n.format == "files.tree" || n.chosen_by == "entries";
            let same = |n: &ManifestEntry| {
                !alone(n)
                    && !alone(m)
                    && n.device == m.device
                    && n.tz == m.tz
                    && n.log_format == m.log_format
                    && n.chosen_by == m.chosen_by
                    && (n.chosen_by != "--format" || n.format == m.format)
                    && clock_is_default(n) == clock_is_default(m)
                    && (clock_is_default(m) || n.clock == m.clock)
            };
            let mut j = i + 1;
            while j < upto && same(&entries[j]) {
                match &located[j] {
                    Some(p) => paths.push(p.clone()),
                    None => break,
                }
                j += 1;
            }
            let mode = if m.format == "files.tree" {
                IngestMode::Files
            } else if m.chosen_by == "entries" {
                IngestMode::Entries
            } else {
                IngestMode::Paths
            };
            let step = Step::Ingest {
                case: self.scratch.to_owned(),
                mode,
                paths,
                device: m.device.clone(),
                clock: (!clock_is_default(m)).then(|| m.clock.clone()),
                tz: m.tz.clone(),
                log_format: m.log_format.clone(),
                // An input read with `--format` (a settings file nothing in it
                // names) is read so again; a folder of entries keeps to its
                // format (one folder may hold entries of two).
                format: (m.chosen_by == "--format" || m.chosen_by == "entries").then(|| m.format.clone()),
            };
            self.rederive.run(&step).map_err(VerifyError::Rederive)?;
            i = j;
        }
        self.next = self.next.max(upto.min(entries.len()));
        Ok(())
    }
}

/// Sets the `inputs` field of every finding in `dir` to `original` (the
/// manifest hash of the case being verified), keeping the bytes otherwise.
fn strip_inputs(dir: &Path, original: &str) -> Result<(), VerifyError> {
    if !dir.exists() {
        return Ok(());
    }
    for e in std::fs::read_dir(dir).map_err(io_at(dir))? {
        let p = e.map_err(io_at(dir))?.path();
        let text = std::fs::read_to_string(&p).map_err(io_at(&p))?;
        let Some(at) = text.rfind("\"inputs\": \"") else { continue };
        let start = at + "\"inputs\": \"".len();
        let Some(len) = text[start..].find('"') else { continue };
        let fixed = format!("{}{original}{}", &text[..start], &text[start + len..]);
        std::fs::write(&p, fixed).map_err(io_at(&p))?;
    }
    Ok(())
}

/// Is the input's clock the default one (`device:<id>` / `host:<id>`)?
fn clock_is_default(m: &ManifestEntry) -> bool {
    m.clock.ends_with(&format!(":{}", m.id)) || m.device.as_deref() == Some(m.clock.as_str())
}

/// The evidence file now: the recorded path, or under `root` by the longest tail that exists.
pub fn locate(recorded: &Path, root: Option<&Path>) -> Option<PathBuf> {
    if let Some(root) = root {
        let parts: Vec<_> = recorded.components().filter(|c| matches!(c, std::path::Component::Normal(_))).collect();
        for k in 0..parts.len() {
            let p = parts[k..].iter().fold(root.to_path_buf(), |acc, c| acc.join(c));
            if p.exists() {
                return Some(p);
            }
        }
        return None;
    }
    recorded.exists().then(|| recorded.to_path_buf())
}

/// Every seal's signature holds over the chain lines it covers; `true` when
/// the case has seals.
fn check_seals(
    case: &Case,
    trusted: Option<&Path>,
    diffs: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<bool, VerifyError> {
    let trusted = trusted.map(waybill_store::seal::read_verifying_key).transpose()?;
    let seals = waybill_store::seal::load(case.root())?;
    for (i, s) in seals.iter().enumerate() {
        match s.check(case.manifest(), case.custody(), trusted.as_ref()) {
            Ok(()) => notes.push(format!(
                "seal {} (key {}) holds: manifest lines 1-{}, custody lines 1-{}",
                i + 1,
                s.public_key,
                s.manifest_lines,
                s.custody_lines
            )),
            Err(p) => diffs.push(format!("seals.jsonl line {}: {p}", i + 1)),
        }
    }
    match seals.last() {
        Some(last) if case.custody().lines().len() > last.custody_lines + 1 => notes.push(format!(
            "custody lines {}-{} came after the last seal and are not covered by it",
            last.custody_lines + 2,
            case.custody().lines().len()
        )),
        None if trusted.is_some() => diffs.push("the case has no seal, but --trusted-key was given".into()),
        _ => {}
    }
    Ok(!seals.is_empty())
}

/// Every stored table and finding has the hash the trail (manifest for inputs,
/// custody for `match` and `analyze`) recorded when it was written.
fn recorded_outputs(case: &Case, diffs: &mut Vec<String>, notes: &mut Vec<String>) -> Result<(), VerifyError> {
    let mut recorded = case.recorded_outputs()?;
    // A step killed after its commit point is completed by the next writer: its
    // outputs count as recorded, found in place or still staged.
    let pending = case.pending_steps()?;
    let mut staged: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut replaced: BTreeSet<String> = BTreeSet::new();
    for p in &pending {
        notes.push(format!(
            "a `{}` was interrupted after its commit point; the next command that writes the case completes it",
            p.entry["action"].as_str().unwrap_or("?")
        ));
        if let Some(f) = &p.replace {
            let prefix = format!("{f}/");
            recorded.retain(|k, _| !k.starts_with(&prefix));
            replaced.insert(prefix);
        }
        for o in &p.outputs {
            staged.insert(o.path.clone(), p.dir.join("files").join(&o.path));
            recorded.insert(o.path.clone(), o.clone());
        }
    }
    for (rel, o) in &recorded {
        let candidates = [Some(case.root().join(rel)), staged.get(rel).cloned()];
        let mut found = None;
        for p in candidates.into_iter().flatten().filter(|p| p.is_file()) {
            let sha = sha256_file(&p)?;
            if sha == o.sha256 {
                found = Some(Ok(()));
                break;
            }
            found.get_or_insert(Err(sha));
        }
        match found {
            Some(Ok(())) => {}
            Some(Err(sha)) => diffs.push(format!("{rel}: SHA-256 is {sha}, the trail recorded {}", o.sha256)),
            None => diffs.push(format!("{rel}: recorded by the trail, missing from the case")),
        }
    }
    for d in ["files", "findings"] {
        let prefix = format!("{d}/");
        if !recorded.keys().any(|k| k.starts_with(&prefix)) {
            continue;
        }
        for rel in listing(&case.root().join(d))?.keys() {
            let rel = format!("{prefix}{rel}");
            if recorded.contains_key(&rel) {
                continue;
            }
            if replaced.contains(&prefix) {
                notes.push(format!("{rel}: will be removed when the interrupted step completes"));
            } else {
                diffs.push(format!("{rel}: not recorded by the trail"));
            }
        }
    }
    if case.manifest_entries()?.iter().any(|m| m.outputs.is_empty() && m.events > 0) {
        notes.push(
            "some inputs were ingested before outputs were recorded; their tables are checked only by re-derivation"
                .into(),
        );
    }
    Ok(())
}

/// SHA-256 of a file, read without moving its access time (evidence).
fn sha256_file(p: &Path) -> Result<String, VerifyError> {
    let (sha, _) = waybill_ingest::input::hash_file(p).map_err(io_at(p))?;
    Ok(sha)
}

/// The input a stored file belongs to: `format=F/source=ID/…`, `source=ID/…`, `ID.jsonl`.
fn input_of(rel: &str) -> Option<&str> {
    rel.split('/')
        .find_map(|c| c.strip_prefix("source="))
        .or_else(|| rel.strip_suffix(".jsonl").filter(|r| !r.contains('/')))
}

/// Compares the files below `dirs` of two cases byte for byte. Files of
/// inputs without a manifest line (the residue of an ingest killed between
/// moving an input's tables into place and appending its line; no query reads
/// them) are noted, not compared.
fn compare_tree(
    a: &Path,
    b: &Path,
    dirs: &[&str],
    known: &BTreeSet<&str>,
    diffs: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<(), VerifyError> {
    for d in dirs {
        let mut x = listing(&a.join(d))?;
        if matches!(*d, "events" | "rejects" | "content") {
            x.retain(|rel, _| {
                let leftover = input_of(rel).is_some_and(|id| !known.contains(id));
                if leftover {
                    notes.push(format!(
                        "{d}/{rel}: left by an interrupted ingest (no manifest line; never read; the next command that writes the case removes it)"
                    ));
                }
                !leftover
            });
        }
        let y = listing(&b.join(d))?;
        for (n, side) in differences(&x, &y) {
            diffs.push(match side {
                Side::Both => format!("{d}/{n}: differs from its re-derivation"),
                Side::Case => format!("{d}/{n}: not produced by the re-derivation"),
                Side::Rederived => format!("{d}/{n}: missing from the case (the re-derivation produces it)"),
            });
        }
    }
    Ok(())
}

/// Where a name of two listings differs: in both with other values, only in
/// the case's, only in the re-derived one.
enum Side {
    Both,
    Case,
    Rederived,
}

/// The names whose values differ between the case's listing `a` and the
/// re-derived `b`, in name order.
fn differences<'a, V: PartialEq>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, V>) -> Vec<(&'a str, Side)> {
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter_map(|n| match (a.get(n), b.get(n)) {
            (Some(x), Some(y)) if x == y => None,
            (Some(_), Some(_)) => Some((n.as_str(), Side::Both)),
            (Some(_), None) => Some((n.as_str(), Side::Case)),
            (None, _) => Some((n.as_str(), Side::Rederived)),
        })
        .collect()
}

/// Stages an intact container again, as `ingest --target` did, and compares
/// what it writes (relative path, SHA-256, modification time) with what the
/// case holds under `targets/<16 hex>/`: the staged files are derived from
/// the container, and are re-derived from it here.
fn restaged(
    case: &Case,
    t: &serde_json::Value,
    evidence_root: Option<&Path>,
    diffs: &mut Vec<String>,
) -> Result<(), VerifyError> {
    use waybill_ingest::target::{detect, restage};
    let (Some(path), Some(sha)) = (t["path"].as_str(), t["sha256"].as_str()) else { return Ok(()) };
    let Some(p) = locate(Path::new(path), evidence_root).filter(|p| p.is_file()) else { return Ok(()) };
    let Some(hex) = sha.get(..16) else { return Ok(()) };
    let staged = case.root().join("targets").join(hex);
    let Ok(kind) = detect(&p) else {
        diffs.push(format!("target {}: no longer recognised as a container", p.display()));
        return Ok(());
    };
    let scratch = tempfile::tempdir().map_err(io_at(case.root()))?;
    let into = scratch.path().join("restaged");
    // FAT's local times are read in the zone the target was staged with (a
    // case staged before zones were recorded read no FAT volume: UTC).
    let zone = match t["zone"].as_str().map(str::parse::<waybill_ingest::Zone>) {
        None => waybill_ingest::Zone::Utc,
        Some(Ok(z)) => z,
        Some(Err(e)) => {
            diffs.push(format!("target {}: not staged again: its recorded zone is unknown here ({e})", p.display()));
            return Ok(());
        }
    };
    if let Err(e) = restage(&p, kind, sha.to_owned(), &into, zone) {
        diffs.push(format!("target {}: could not be staged again ({e})", p.display()));
        return Ok(());
    }
    let (a, b) = (timed_listing(&staged)?, timed_listing(&into)?);
    for (n, side) in differences(&a, &b) {
        diffs.push(match side {
            Side::Both => format!("targets/{hex}/{n}: differs from the container staged again"),
            Side::Case => format!("targets/{hex}/{n}: not in the container staged again"),
            Side::Rederived => format!("targets/{hex}/{n}: missing from the case (staging the container gives it)"),
        });
    }
    Ok(())
}

/// [`listing`] with each staged file's modification time (seconds and
/// nanoseconds), which the tree's events come from. A file waybill writes
/// itself (the NTFS bodyfile) has the staging's time and is compared by its
/// bytes only.
fn timed_listing(root: &Path) -> Result<BTreeMap<String, (String, Option<std::time::SystemTime>)>, VerifyError> {
    let hashes = listing(root)?;
    Ok(hashes
        .into_iter()
        .map(|(rel, sha)| {
            let mtime = if rel.starts_with("bodyfile/") {
                None
            } else {
                std::fs::metadata(root.join(&rel)).and_then(|m| m.modified()).ok()
            };
            (rel, (sha, mtime))
        })
        .collect())
}

/// Relative path → SHA-256 of every file below `root` (hidden temp files left out).
fn listing(root: &Path) -> Result<BTreeMap<String, String>, VerifyError> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io_at(&d))? {
            let p = e.map_err(io_at(&d))?.path();
            if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).map(|r| r.display().to_string()).unwrap_or_default();
                out.insert(rel, sha256_file(&p)?);
            }
        }
    }
    Ok(out)
}

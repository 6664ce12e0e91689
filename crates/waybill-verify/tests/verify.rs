//! `verify` without the binary: a case built through the store, and a
//! [`Rederive`] that records each replayed step and re-derives the inputs it
//! is given (committing the same manifest lines, as a faithful re-ingest
//! would). The tests check the replay plan, and what each kind of change is
//! reported as.

use std::path::{Path, PathBuf};

use waybill_store::{Case, CaseConfig, CaseMeta, ManifestEntry};
use waybill_verify::{IngestMode, Options, Rederive, Status, Step, verify};

const RULEBOOK: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn config() -> CaseConfig {
    CaseConfig {
        case: CaseMeta { name: "t".into(), examiner: None, tz: "UTC".into(), created_by: "test".into() },
        subjects: Vec::new(),
        context: Default::default(),
    }
}

fn entry(path: &Path, format: &str, tz: &str, chosen_by: &str) -> ManifestEntry {
    let (sha256, size) = waybill_ingest::input::hash_file(path).expect("hash");
    ManifestEntry {
        id: String::new(),
        path: path.display().to_string(),
        size,
        sha256,
        format: format.into(),
        parser_version: 1,
        chosen_by: chosen_by.into(),
        compression: None,
        companions: Vec::new(),
        device: Some("laptop".into()),
        clock: "laptop".into(),
        tz: tz.into(),
        log_format: None,
        notes: Vec::new(),
        records: 3,
        events: 2,
        rejects: 1,
        outputs: Vec::new(),
        prev: String::new(),
    }
}

/// Records the steps; re-derives an ingest by committing the original's
/// next manifest lines with the paths it was given (hashing them again).
struct Recorder {
    original: Vec<ManifestEntry>,
    next: usize,
    steps: Vec<Step>,
}

impl Rederive for Recorder {
    fn run(&mut self, step: &Step) -> Result<(), String> {
        self.steps.push(step.clone());
        match step {
            Step::NewCase { case, .. } => {
                Case::create(case, &config()).map_err(|e| e.to_string())?;
            }
            Step::Ingest { case, paths, .. } => {
                let mut c = Case::open_for_write(case).map_err(|e| e.to_string())?;
                for p in paths {
                    let mut m = self.original[self.next].clone();
                    let (sha256, _) = waybill_ingest::input::hash_file(p).map_err(|e| e.to_string())?;
                    m.sha256 = sha256;
                    let staging = c.begin_input().map_err(|e| e.to_string())?;
                    c.commit_input(staging, m).map_err(|e| e.to_string())?;
                    self.next += 1;
                }
            }
            Step::Match { .. } | Step::Analyze { .. } | Step::Review { .. } => {}
        }
        Ok(())
    }
}

/// A case built as: ingest of two logs (zone Europe/Berlin), a match, an
/// ingest of a settings file read with `--format`, an analyze of one file.
fn built(root: &Path) -> (PathBuf, Vec<PathBuf>) {
    let ev = root.join("evidence");
    std::fs::create_dir_all(&ev).expect("mkdir");
    let files: Vec<PathBuf> = ["a.log", "b.log", "prefs.xml"].iter().map(|n| ev.join(n)).collect();
    for (i, f) in files.iter().enumerate() {
        std::fs::write(f, format!("synthetic benign evidence {i}\n")).expect("write");
    }
    let set = root.join("set.txt");
    std::fs::write(&set, "d41d8cd98f00b204e9800998ecf8427e\n").expect("set");
    let dir = root.join("case");
    let mut case = Case::create(&dir, &config()).expect("case");
    for f in &files[..2] {
        let s = case.begin_input().expect("staging");
        case.commit_input(s, entry(f, "apache.access", "Europe/Berlin", "sniffed")).expect("commit");
    }
    case.append_custody(&serde_json::json!({"action": "ingest", "inputs": [{"id": "I0001"}, {"id": "I0002"}]}))
        .expect("custody");
    let (set_sha, _) = waybill_ingest::input::hash_file(&set).expect("hash");
    case.append_custody(&serde_json::json!({"action": "match", "sets": [{"path": set.display().to_string(), "sha256": set_sha, "format": "md5"}]}))
        .expect("custody");
    let s = case.begin_input().expect("staging");
    case.commit_input(s, entry(&files[2], "whatsapp.prefs", "UTC", "--format")).expect("commit");
    case.append_custody(&serde_json::json!({"action": "ingest", "inputs": [{"id": "I0003"}]})).expect("custody");
    case.append_custody(&serde_json::json!({"action": "analyze", "rulebook": RULEBOOK, "file": "abc"}))
        .expect("custody");
    (dir, files)
}

fn check(dir: &Path, root: Option<&Path>) -> (waybill_verify::Report, Vec<Step>) {
    let original = Case::open(dir).expect("open").manifest_entries().expect("entries");
    let mut r = Recorder { original, next: 0, steps: Vec::new() };
    let opts = Options { evidence_root: root, trusted_key: None, rulebook_sha256: RULEBOOK };
    let report = verify(dir, &opts, &mut r).expect("verify");
    (report, r.steps)
}

#[test]
fn the_custody_log_is_replayed_in_order_with_each_commands_options() {
    let t = tempfile::tempdir().expect("temp");
    let (dir, files) = built(t.path());
    let (report, steps) = check(&dir, None);
    assert_eq!(report.status, Status::Verified, "{report:?}");
    assert_eq!((report.inputs, report.chains_intact), (3, true));
    let scratch = match &steps[0] {
        Step::NewCase { case, from } => {
            assert_eq!(from, &dir.join("case.toml"));
            case.clone()
        }
        other => panic!("first step {other:?}"),
    };
    let ingest = |paths: &[PathBuf], tz: &str, format: Option<&str>| Step::Ingest {
        case: scratch.clone(),
        mode: IngestMode::Paths,
        paths: paths.to_vec(),
        device: Some("laptop".into()),
        clock: None,
        tz: tz.into(),
        log_format: None,
        format: format.map(str::to_owned),
    };
    assert_eq!(
        steps[1..],
        [
            ingest(&files[..2], "Europe/Berlin", None),
            Step::Match {
                case: scratch.clone(),
                sets: vec![t.path().join("set.txt").display().to_string()],
                pdq_distance: None,
                pdq_any_quality: false
            },
            ingest(&files[2..], "UTC", Some("whatsapp.prefs")),
            Step::Analyze { case: scratch.clone(), file: Some("abc".into()) },
        ]
    );
}

#[test]
fn a_changed_byte_of_evidence_is_named_twice_and_differs() {
    let t = tempfile::tempdir().expect("temp");
    let (dir, files) = built(t.path());
    std::fs::write(&files[1], "synthetic benign evidence 9\n").expect("write");
    let (report, _) = check(&dir, None);
    assert_eq!(report.status, Status::Differs);
    let b = files[1].display().to_string();
    assert_eq!(report.differences.len(), 2, "{:?}", report.differences);
    assert!(report.differences[0].starts_with(&format!("I0002 {b}: SHA-256 is ")), "{:?}", report.differences);
    assert!(report.differences[1].starts_with(&format!("I0002 {b}: read again, its SHA-256 is ")));
}

#[test]
fn evidence_out_of_reach_is_partial_and_found_again_under_a_root() {
    let t = tempfile::tempdir().expect("temp");
    let (dir, _) = built(t.path());
    let moved = t.path().join("moved");
    std::fs::create_dir_all(&moved).expect("mkdir");
    std::fs::rename(t.path().join("evidence"), moved.join("evidence")).expect("move");
    let (report, steps) = check(&dir, None);
    assert_eq!(report.status, Status::Partial);
    assert_eq!(report.not_rederived.len(), 1, "{:?}", report.not_rederived);
    assert!(report.not_rederived[0].starts_with("some evidence is not reachable"));
    assert_eq!(report.notes.iter().filter(|n| n.ends_with("not reachable; its hash was not checked")).count(), 3);
    assert!(!steps.iter().any(|s| matches!(s, Step::Ingest { .. })), "nothing to re-ingest");
    let (report, _) = check(&dir, Some(&moved));
    assert_eq!(report.status, Status::Verified, "{report:?}");
}

#[test]
fn an_edited_manifest_line_breaks_the_chain() {
    let t = tempfile::tempdir().expect("temp");
    let (dir, _) = built(t.path());
    let m = dir.join("manifest.jsonl");
    let text = std::fs::read_to_string(&m).expect("manifest");
    std::fs::write(&m, text.replacen("\"records\":3", "\"records\":4", 1)).expect("write");
    let (report, _) = check(&dir, None);
    assert_eq!(report.status, Status::Differs);
    assert!(!report.chains_intact);
    // The edited line no longer hashes to what the next line names.
    assert!(report.differences[0].starts_with("manifest.jsonl line 2: prev is "), "{:?}", report.differences);
}

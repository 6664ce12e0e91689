//! waybill's scenario simulator: evidence bundles with known ground truth.
//!
//! A bundle is a folder with the evidence exactly as the real software writes
//! it (web server access logs in a chosen `LogFormat`, Chrome `History` and
//! simple cache, Firefox `places.sqlite`, Zone.Identifier streams, a file tree
//! of benign generated files), a reference hash set listing the files of
//! interest, `case.toml` with the subjects, `bundle.json` saying how to ingest
//! each input, and `truth.json` with the true delivery path of every file of
//! interest. Each format has its own writer here; none of waybill's parsers is
//! used, so a misreading shared by reader and writer cannot hide.
//!
//! Everything is drawn from the seed: the same seed and options give the same
//! bytes.

mod alternatives;
pub mod content;
pub mod rng;
pub mod scenario;
pub mod score;
mod telegram;
pub mod world;
pub mod write;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::scenario::{Builder, Constraints, FileTruth, SCENARIOS};
use crate::world::{Browser, Os};
use crate::write::access::Noise;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Scenario name (see [`SCENARIOS`]) or `mixed`.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Background requests from other clients, spread over the server logs.
    pub noise: u64,
    /// Files of interest (episodes).
    pub files: usize,
}

/// A simulation that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Unknown scenario.
    #[error("unknown scenario {0:?} (see `waybill simulate --list`)")]
    Scenario(String),
    /// The output folder exists and is not empty.
    #[error("{0} exists and is not empty")]
    NotEmpty(PathBuf),
    /// Writing a file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Writing an SQLite database failed.
    #[error("writing {path}: {source}")]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// The error.
        source: rusqlite::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io { path: path.to_owned(), source }
}

/// One input of the bundle and how to ingest it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// Path relative to the bundle.
    pub path: String,
    /// Ingest as a file tree (`ingest --files`).
    #[serde(default)]
    pub files: bool,
    /// `--device`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `--log-format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// `--format` (the examiner knows what the file is by where it was found:
    /// a settings file that holds none of the keys a sniffer looks for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `bundle.json`: how to build the case from the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `waybill.bundle/1`.
    pub schema: String,
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Inputs in ingest order.
    pub inputs: Vec<PlanInput>,
    /// Reference hash sets (relative paths).
    pub hashsets: Vec<String>,
}

impl Plan {
    /// The waybill command lines (without the program name) that build a case
    /// at `case` from the bundle at `bundle`: `case new`, one `ingest` per
    /// input, `match`.
    pub fn commands(&self, bundle: &Path, case: &Path) -> Vec<Vec<String>> {
        let s = |p: &Path| p.display().to_string();
        let mut out = vec![vec!["case".into(), "new".into(), s(case), "--from".into(), s(&bundle.join("case.toml"))]];
        for input in &self.inputs {
            let mut args = vec!["ingest".into(), s(case)];
            if input.files {
                args.push("--files".into());
            }
            args.push(s(&bundle.join(&input.path)));
            if let Some(d) = &input.device {
                args.extend(["--device".into(), d.clone()]);
            }
            if let Some(f) = &input.log_format {
                args.extend(["--log-format".into(), f.clone()]);
            }
            if let Some(f) = &input.format {
                args.extend(["--format".into(), f.clone()]);
            }
            out.push(args);
        }
        let mut m = vec!["match".into(), s(case)];
        for h in &self.hashsets {
            m.extend(["--hashset".into(), s(&bundle.join(h))]);
        }
        out.push(m);
        out
    }
}

/// `truth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TruthDoc {
    /// `waybill.truth/2`.
    pub schema: &'static str,
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// The subject's address, device, browser.
    pub subject: serde_json::Value,
    /// Every file of interest.
    pub files: Vec<FileTruth>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The plan.
    pub plan: Plan,
    /// The truth.
    pub truth: TruthDoc,
    /// Server log lines written.
    pub log_lines: u64,
}

/// The scenario names with their group and description, `mixed` last.
pub fn list() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v: Vec<_> = SCENARIOS.iter().map(|s| (s.name, s.group, s.about)).collect();
    v.push((
        "mixed",
        "all",
        "one file of interest per scenario, cycling through all of them but whatsapp-restore (Chrome on Linux)",
    ));
    v
}

/// The scenarios `mixed` cycles through: every one but
/// [`scenario::NOT_IN_MIXED`], in `--list` order.
pub fn mixed_names() -> Vec<&'static str> {
    SCENARIOS.iter().map(|s| s.name).filter(|n| !scenario::NOT_IN_MIXED.contains(n)).collect()
}

/// 2026-01-05T08:00:00Z.
const BASE: i64 = 1_767_600_000_000_000;

/// Writes a bundle into `out` (created; must be empty if it exists).
pub fn simulate(out: &Path, spec: &Spec) -> Result<Summary, SimError> {
    let names: Vec<&'static str> = if spec.scenario == "mixed" {
        mixed_names()
    } else {
        match SCENARIOS.iter().find(|s| s.name == spec.scenario) {
            Some(s) => vec![s.name],
            None => return Err(SimError::Scenario(spec.scenario.clone())),
        }
    };
    if out.exists() && std::fs::read_dir(out).map_err(io(out))?.next().is_some() {
        return Err(SimError::NotEmpty(out.to_owned()));
    }
    let mut rng = Rng::new(spec.seed);
    let epoch = BASE + rng.range(0, 300) * 86_400_000_000 + rng.range(0, 36_000) * 1_000_000;
    let constraints =
        Constraints { cache: scenario::needs_cache(&spec.scenario), windows: scenario::needs_windows(&spec.scenario) };
    let device = scenario::device(&mut rng, constraints, epoch);
    let mut b = Builder::new(&mut rng, device, epoch);
    let mut t = epoch;
    let files = spec.files.max(1);
    // The subject's own background browsing grows slowly with the noise (each
    // visit may write a cache entry file).
    let background = usize::try_from((spec.noise / 50_000).min(40)).unwrap_or(40) + 3;
    for k in 0..files {
        b.background(t, background);
        t = b.w.span.1 + rng.range(300_000_000, 1_800_000_000);
        b.episode(names[k % names.len()], t, k);
        t = b.w.span.1 + rng.range(1_800_000_000, 5_400_000_000);
    }
    b.background(t, 3);
    b.w.noise_requests = spec.noise;
    let (world, truths) = b.truths();
    write_bundle(out, spec, &world, truths, &mut rng)
}

fn write_bundle(
    out: &Path,
    spec: &Spec,
    w: &world::World,
    truths: Vec<FileTruth>,
    rng: &mut Rng,
) -> Result<Summary, SimError> {
    let interest: Vec<String> = truths.iter().map(|f| f.sha256.clone()).collect();
    let (plan, log_lines) = write_world(out, spec, w, &interest, rng)?;
    let d = &w.device;
    let browser = match d.browser {
        Browser::Chrome(v) => format!("Chrome {v}"),
        Browser::Firefox(v) => format!("Firefox {v}"),
    };
    let truth = TruthDoc {
        schema: "waybill.truth/2",
        scenario: spec.scenario.clone(),
        seed: spec.seed,
        subject: serde_json::json!({
            "ip": w.subject_ip,
            "device": d.name,
            "os": match d.os { Os::Windows => "windows", Os::Linux => "linux" },
            "browser": browser,
            "clock_offset_s": d.clock_offset as f64 / 1e6,
            "clock_drift_s_per_hour": d.drift_per_hour as f64 / 1e6,
        }),
        files: truths,
    };
    write_json(&out.join("truth.json"), &truth)?;
    Ok(Summary { plan, truth, log_lines })
}

fn write_json(p: &Path, doc: &impl Serialize) -> Result<(), SimError> {
    let mut bytes =
        serde_json::to_vec_pretty(doc).map_err(|e| SimError::Io { path: p.to_owned(), source: e.into() })?;
    bytes.push(b'\n');
    std::fs::write(p, bytes).map_err(io(p))
}

/// Writes the evidence of a world (built by a scenario or by hand, as the
/// scenario tests do), the reference set listing `interest` (SHA-256),
/// `case.toml` and `bundle.json` into `out`. Returns the plan and the number of
/// server log lines.
pub fn write_world(
    out: &Path,
    spec: &Spec,
    w: &world::World,
    interest: &[String],
    rng: &mut Rng,
) -> Result<(Plan, u64), SimError> {
    let ev = out.join("evidence");
    std::fs::create_dir_all(&ev).map_err(io(&ev))?;
    let mut inputs = Vec::new();
    // Server logs, with the background spread over them.
    let logged: Vec<(&String, &world::Host)> = w.hosts.iter().filter(|(_, h)| h.in_bundle).collect();
    let per_host = spec.noise / (logged.len().max(1) as u64);
    let mut log_lines = 0;
    for (i, (name, host)) in logged.iter().enumerate() {
        let dir = ev.join("server").join(name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join("access.log");
        let mine: Vec<world::Request> = w.requests.iter().filter(|r| &&r.host == name).cloned().collect();
        let noise = Noise::new(rng.fork(i as u64 + 100), per_host, w.span, name, host.noise_paths.clone());
        log_lines += write::access::write_log(&path, host, mine, noise).map_err(io(&path))?;
        inputs.push(PlanInput {
            path: format!("evidence/server/{name}"),
            files: false,
            device: None,
            log_format: Some(host.style.spec().to_owned()),
            format: None,
        });
    }
    let d = &w.device;
    let dev = ev.join(&d.name);
    match d.browser {
        Browser::Chrome(_) => {
            let dir = dev.join("chrome");
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            if w.history_in_bundle {
                let p = dir.join("History");
                write::chrome::write(&p, d, &w.visits, &w.downloads)
                    .map_err(|source| SimError::Sqlite { path: p.clone(), source })?;
            }
            if w.cache_in_bundle && d.os == Os::Linux && !w.cache.is_empty() {
                let c = dir.join("Cache").join("Cache_Data");
                write::cache::write(&c, d, &w.cache).map_err(io(&c))?;
            }
            inputs.push(PlanInput {
                path: format!("evidence/{}/chrome", d.name),
                files: false,
                device: Some(d.name.clone()),
                log_format: None,
                format: None,
            });
        }
        Browser::Firefox(v) => {
            let dir = dev.join("firefox");
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            let p = dir.join("places.sqlite");
            write::firefox::write(&p, v, d, &w.visits, &w.downloads)
                .map_err(|source| SimError::Sqlite { path: p.clone(), source })?;
            inputs.push(PlanInput {
                path: format!("evidence/{}/firefox", d.name),
                files: false,
                device: Some(d.name.clone()),
                log_format: None,
                format: None,
            });
        }
    }
    if !w.markers.is_empty() {
        let dir = dev.join("markers");
        write::tree::write_markers(&dir, &w.markers).map_err(io(&dir))?;
        inputs.push(PlanInput {
            path: format!("evidence/{}/markers", d.name),
            files: false,
            device: Some(d.name.clone()),
            log_format: None,
            format: None,
        });
    }
    if !w.shortcuts.is_empty() && d.os == Os::Windows {
        let dir = dev.join("recent");
        write::lnk::write(&dir, d, &w.shortcuts).map_err(io(&dir))?;
        inputs.push(PlanInput {
            path: format!("evidence/{}/recent", d.name),
            files: false,
            device: Some(d.name.clone()),
            log_format: None,
            format: None,
        });
    }
    if !w.presence.is_empty() {
        let dir = dev.join("winevt");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let p = dir.join("Security.evtx");
        let host = write::evtx::Host {
            computer: format!("{}.example.test", d.name),
            domain: "EXAMPLE".into(),
            user: d.user.clone(),
            sid: "S-1-5-21-1111111111-2222222222-3333333333-1001".into(),
            logon_id: 0x3e7a1,
        };
        let records: Vec<write::evtx::Record> =
            w.presence.iter().map(|(t, event)| write::evtx::Record { ts: d.clock(*t), event: event.clone() }).collect();
        write::evtx::write(&p, &host, &records).map_err(io(&p))?;
        inputs.push(PlanInput {
            path: format!("evidence/{}/winevt", d.name),
            files: false,
            device: Some(d.name.clone()),
            log_format: None,
            format: None,
        });
    }
    let tree = dev.join("tree");
    std::fs::create_dir_all(&tree).map_err(io(&tree))?;
    write::tree::write_files(&tree, d, &w.files).map_err(io(&tree))?;
    inputs.push(PlanInput {
        path: format!("evidence/{}/tree", d.name),
        files: true,
        device: Some(d.name.clone()),
        log_format: None,
        format: None,
    });

    if let Some(phone) = &w.phone {
        let dir = ev.join(&phone.name);
        let db_dir = dir.join("databases");
        std::fs::create_dir_all(&db_dir).map_err(io(&db_dir))?;
        let db = db_dir.join("msgstore.db");
        write::whatsapp::write_msgstore(&db, phone).map_err(|source| SimError::Sqlite { path: db.clone(), source })?;
        inputs.push(PlanInput {
            path: format!("evidence/{}/databases", phone.name),
            files: false,
            device: Some(phone.name.clone()),
            log_format: None,
            format: None,
        });
        if phone.log.in_bundle {
            // The app's other lines, every 20 minutes over the bundle's span.
            let chatter: Vec<i64> = (0..)
                .map(|i: i64| w.span.0 - 3_600_000_000 + i * 1_200_000_000)
                .take_while(|&t| t <= w.span.1)
                .collect();
            let logs = dir.join("files").join("Logs");
            write::whatsapp::write_log(&logs, phone, &chatter).map_err(io(&logs))?;
            inputs.push(PlanInput {
                path: format!("evidence/{}/files/Logs", phone.name),
                files: false,
                device: Some(phone.name.clone()),
                log_format: None,
                format: None,
            });
        }
        if phone.prefs_in_bundle {
            let p = dir.join("shared_prefs").join("com.whatsapp_preferences_light.xml");
            write::whatsapp::write_prefs(&p, phone).map_err(io(&p))?;
            inputs.push(PlanInput {
                path: format!("evidence/{}/shared_prefs", phone.name),
                files: false,
                device: Some(phone.name.clone()),
                log_format: None,
                format: Some("whatsapp.prefs".into()),
            });
        }
        let tree = dir.join("storage");
        std::fs::create_dir_all(&tree).map_err(io(&tree))?;
        let shifted = world::Device { clock_offset: phone.clock_offset, drift_per_hour: 0, ..w.device.clone() };
        write::tree::write_files(&tree, &shifted, &phone.files).map_err(io(&tree))?;
        inputs.push(PlanInput {
            path: format!("evidence/{}/storage", phone.name),
            files: true,
            device: Some(phone.name.clone()),
            log_format: None,
            format: None,
        });
    }
    if let Some(tg) = &w.tg {
        let dir = ev.join(&tg.name);
        let files = dir.join("files");
        std::fs::create_dir_all(&files).map_err(io(&files))?;
        write::telegram::write_databases(&files, tg)
            .map_err(|source| SimError::Sqlite { path: files.join("cache4.db"), source })?;
        // cache4.db is the input; file_to_path.db beside it is read with it.
        inputs.push(PlanInput {
            path: format!("evidence/{}/files/cache4.db", tg.name),
            files: false,
            device: Some(tg.name.clone()),
            log_format: None,
            format: None,
        });
        if tg.prefs_in_bundle {
            let p = dir.join("shared_prefs").join("mainconfig.xml");
            write::telegram::write_prefs(&p, tg).map_err(io(&p))?;
            inputs.push(PlanInput {
                path: format!("evidence/{}/shared_prefs/mainconfig.xml", tg.name),
                files: false,
                device: Some(tg.name.clone()),
                log_format: None,
                format: Some("telegram.mainconfig".into()),
            });
        }
        let tree = dir.join("storage");
        std::fs::create_dir_all(&tree).map_err(io(&tree))?;
        let shifted = world::Device { clock_offset: tg.clock_offset, drift_per_hour: 0, ..w.device.clone() };
        write::tree::write_files(&tree, &shifted, &tg.files).map_err(io(&tree))?;
        inputs.push(PlanInput {
            path: format!("evidence/{}/storage", tg.name),
            files: true,
            device: Some(tg.name.clone()),
            log_format: None,
            format: None,
        });
    }
    if !w.cloud_ops.is_empty() {
        let dir = ev.join("cloud");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let p = dir.join("m365-audit.jsonl");
        write::m365::write(&p, &w.cloud_ops).map_err(io(&p))?;
        inputs.push(PlanInput {
            path: "evidence/cloud".into(),
            files: false,
            device: None,
            log_format: None,
            format: None,
        });
    }

    let mut set = String::from("# reference hash set (synthetic, benign files of interest), SHA-256\n");
    let mut shas: Vec<&str> = interest.iter().map(String::as_str).collect();
    shas.sort_unstable();
    shas.dedup();
    for s in shas {
        set.push_str(s);
        set.push('\n');
    }
    let set_path = out.join("reference-hashes.txt");
    std::fs::write(&set_path, set).map_err(io(&set_path))?;

    // The subject's address, devices and account (the UPN the cloud audit
    // log names); the context the examiner established.
    let mut case_toml = format!(
        "[case]\nname = \"sim-{}-{}\"\ntz = \"UTC\"\ncreated_by = \"waybill-sim {}\"\n\n[[subject]]\nkind = \"ip\"\nvalue = \"{}\"\n\n[[subject]]\nkind = \"device\"\nvalue = \"{}\"\n\n[[subject]]\nkind = \"account\"\nvalue = \"{}@example.com\"\n",
        spec.scenario,
        spec.seed,
        env!("CARGO_PKG_VERSION"),
        w.subject_ip,
        d.name,
        d.user
    );
    if let Some(p) = &w.phone {
        case_toml.push_str(&format!("\n[[subject]]\nkind = \"device\"\nvalue = \"{}\"\n", p.name));
        if p.roaming_known_no {
            case_toml.push_str("\n[context]\nroaming = \"no\"\n");
        }
    }
    if let Some(p) = &w.tg {
        case_toml.push_str(&format!("\n[[subject]]\nkind = \"device\"\nvalue = \"{}\"\n", p.name));
    }
    let case_path = out.join("case.toml");
    std::fs::write(&case_path, case_toml).map_err(io(&case_path))?;

    let plan = Plan {
        schema: "waybill.bundle/1".into(),
        scenario: spec.scenario.clone(),
        seed: spec.seed,
        inputs,
        hashsets: vec!["reference-hashes.txt".into()],
    };
    write_json(&out.join("bundle.json"), &plan)?;
    Ok((plan, log_lines))
}

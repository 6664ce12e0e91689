//! The accuracy benchmark: simulated bundles with known truth, run through the
//! whole job with the waybill binary, scored copy by copy.
//!
//! ```text
//! bench_accuracy --waybill target/release/waybill --set tuning|heldout [--bundles N] [--files 10]
//!                [--seed S] [--jobs 2] [--out DIR] [--rulebook DIR] [--json]
//!                [--tippett FILE.svg] [--write-validation FILE.json]
//!                [--copies FILE.jsonl]
//! ```
//!
//! **Seeds.** Rule values are chosen on the *tuning* seeds (1000 and up) and
//! the error rates are reported on the *held-out* seeds (70000 and up), which
//! are never used while choosing values. `--set` picks one; `--seed` overrides
//! the start.
//!
//! Bundle `i` is scenario `i mod N` (the scenarios of `waybill simulate
//! --list`) with `--files` episodes, seed `start + i`; the default is ten
//! bundles per scenario. For every bundle it runs `case new --from`, each
//! `ingest`, `match` and `analyze --json` exactly as a user would, matches each
//! finding to the copy of the truth it is about (content, device, path or URL),
//! then prints the confusion matrix, per scenario decisive-correct,
//! decisive-wrong, indeterminate, discriminating and Cllr, every decisive
//! verdict that contradicts the truth, and writes a Tippett plot. With
//! `--out DIR`, bundles with a contradiction, a miss or a missing finding are
//! kept for review; `--copies` writes every scored copy (scenario, truth,
//! band, log10 LR, label) as a JSON line. `--write-validation` writes the validation table that the
//! reports carry (`crates/waybill-reason/validation.json`). Findings of a
//! binary older than per-copy findings (one per content) are applied to every
//! copy of their content, so the same bundles can score an old build (A/B).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use waybill_sim::score::{Rates, Score, locates};
use waybill_sim::{Spec, simulate};

/// First seed of the tuning set (rule values are chosen on it).
const TUNING_SEED: u64 = 1000;
/// First seed of the held-out set (error rates are reported on it). Seeds
/// 50000–50219 were looked at while the grouped rulebook was built (a
/// held-out run prompted one rule change), so the reported set starts at a
/// range nobody has seen.
const HELDOUT_SEED: u64 = 70_000;

fn waybill(exe: &Path, args: &[String]) -> anyhow::Result<String> {
    let o = Command::new(exe).args(args).output().with_context(|| format!("running {}", exe.display()))?;
    if !o.status.success() {
        bail!("waybill {} failed: {}", args.join(" "), String::from_utf8_lossy(&o.stderr));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// One finding as `analyze --json` prints it.
#[derive(Debug, Clone)]
struct Found {
    sha: String,
    device: Option<String>,
    path: String,
    verdict: String,
    lr: f64,
    per_copy: bool,
}

/// Runs one bundle; returns the scored copies.
fn one(
    exe: &Path,
    root: &Path,
    (scenario, seed, files): (&str, u64, usize),
    rulebook: Option<&Path>,
    keep: bool,
) -> anyhow::Result<Score> {
    let dir = root.join(format!("{scenario}-{seed}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let bundle = dir.join("bundle");
    let case = dir.join("case");
    let spec = Spec { scenario: scenario.to_owned(), seed, noise: 2_000, files };
    let summary = simulate(&bundle, &spec)?;
    for args in summary.plan.commands(&bundle, &case) {
        waybill(exe, &args)?;
    }
    let mut analyze = vec!["analyze".into(), case.display().to_string(), "--json".into()];
    if let Some(r) = rulebook {
        analyze.extend(["--rulebook".into(), r.display().to_string()]);
    }
    let out = waybill(exe, &analyze)?;
    let mut found: Vec<Found> = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        found.push(Found {
            sha: v["sha256"].as_str().unwrap_or("").to_owned(),
            device: v["device"].as_str().map(str::to_owned),
            path: v["path"].as_str().unwrap_or("").to_owned(),
            verdict: v["verdict"].as_str().unwrap_or("").to_owned(),
            lr: v["log10_lr"].as_f64().unwrap_or(0.0),
            per_copy: v.get("id").is_some(),
        });
    }
    let mut score = Score::default();
    for t in &summary.truth.files {
        let hit = found
            .iter()
            .find(|f| if f.per_copy { locates(t, &f.sha, f.device.as_deref(), &f.path) } else { f.sha == t.sha256 });
        let (verdict, lr) = hit.map_or_else(|| ("missing".to_owned(), 0.0), |f| (f.verdict.clone(), f.lr));
        score.add(t, &verdict, lr, format!("{} {} {}", dir.display(), &t.sha256[..16], t.location));
    }
    let suspect = !score.contradictions().is_empty()
        || !score.misses().is_empty()
        || score.files.iter().any(|f| f.verdict == "missing");
    if !(keep && suspect) {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(score)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let exe = PathBuf::from(get("--waybill").unwrap_or_else(|| "target/release/waybill".into()));
    let names: Vec<&str> = waybill_sim::scenario::SCENARIOS.iter().map(|s| s.name).collect();
    let bundles: usize = get("--bundles").map_or(Ok(names.len() * 10), |v| v.parse())?;
    let files: usize = get("--files").map_or(Ok(10), |v| v.parse())?;
    let set = get("--set").unwrap_or_else(|| "tuning".into());
    let base = match set.as_str() {
        "tuning" => TUNING_SEED,
        "heldout" => HELDOUT_SEED,
        other => bail!("--set takes tuning or heldout, not {other:?}"),
    };
    let seed0: u64 = get("--seed").map_or(Ok(base), |v| v.parse())?;
    let jobs: usize = get("--jobs").map_or(Ok(2), |v| v.parse())?;
    let json = args.iter().any(|a| a == "--json");
    if !exe.exists() {
        bail!("{} not found (build it: cargo build --release -p waybill)", exe.display());
    }
    let temp = tempfile::tempdir()?;
    let keep = get("--out").map(PathBuf::from);
    let rulebook = get("--rulebook").map(PathBuf::from);
    if let Some(k) = &keep {
        std::fs::create_dir_all(k)?;
    }
    let root = keep.clone().unwrap_or_else(|| temp.path().to_owned());
    let next = AtomicUsize::new(0);
    let all = Mutex::new(Score::default());
    let failures = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= bundles {
                        break;
                    }
                    let scenario = names[i % names.len()];
                    let bundle = (scenario, seed0 + i as u64, files);
                    match one(&exe, &root, bundle, rulebook.as_deref(), keep.is_some()) {
                        Ok(sc) => all.lock().map(|mut a| a.files.extend(sc.files)).unwrap_or(()),
                        Err(e) => failures
                            .lock()
                            .map(|mut f| f.push(format!("{scenario} seed {}: {e:#}", seed0 + i as u64)))
                            .unwrap_or(()),
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let failures = failures.into_inner().unwrap_or_default();
    let mut score = all.into_inner().unwrap_or_default();
    score.files.sort_by(|a, b| a.label.cmp(&b.label));
    let sum = score.summary();
    let seeds = format!("{set} seeds {seed0}..{}", seed0 + bundles as u64 - 1);
    if let Some(p) = get("--copies") {
        let mut out = String::new();
        for f in &score.files {
            out.push_str(&serde_json::to_string(f)?);
            out.push('\n');
        }
        std::fs::write(&p, out).with_context(|| format!("writing {p}"))?;
    }
    if let Some(p) = get("--tippett") {
        let title = format!("Tippett plot: {} copies, {seeds}", sum.overall.files);
        std::fs::write(&p, score.tippett_svg(&title)).with_context(|| format!("writing {p}"))?;
    }
    if let Some(p) = get("--write-validation") {
        if set != "heldout" {
            bail!(
                "--write-validation reports error rates: run it on --set heldout (the values were chosen on the tuning seeds)"
            );
        }
        let version = waybill(&exe, &["--version".into()])?.trim().to_owned();
        let rulebook_sha = rulebook_sha(&exe)?;
        let rate = |name: &str, r: &Rates| {
            serde_json::json!({
                "scenario": name, "truth": r.truth, "files": r.files,
                "decisive_correct": r.decisive_correct, "decisive_wrong": r.decisive_wrong,
                "indeterminate": r.indeterminate, "with_discriminating": r.with_discriminating,
                "decisive_correct_with_discriminating": r.decisive_correct_with_discriminating,
                "cllr": (r.cllr * 1000.0).round() / 1000.0,
                "cllr_with_discriminating": (r.cllr_with_discriminating * 1000.0).round() / 1000.0,
                "cllr_min": (r.cllr_min * 1000.0).round() / 1000.0,
            })
        };
        let doc = serde_json::json!({
            "schema": "waybill.validation/1",
            "tool": version,
            "rulebook": rulebook_sha,
            "command": format!("bench_accuracy --set heldout --bundles {bundles} --files {files}"),
            "seeds": seeds,
            "tuning_seeds": format!("tuning seeds {TUNING_SEED} and up"),
            "date": date_today(),
            "scenarios": sum.per_scenario.iter().map(|(n, r)| rate(n, r)).collect::<Vec<_>>(),
            "overall": rate("all", &sum.overall),
        });
        let mut bytes = serde_json::to_vec_pretty(&doc)?;
        bytes.push(b'\n');
        std::fs::write(&p, bytes).with_context(|| format!("writing {p}"))?;
    }
    if json {
        let doc = serde_json::json!({"seeds": seeds, "summary": sum, "contradictions": score.contradictions(), "misses": score.misses(), "failures": failures, "seconds": elapsed});
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("bundles {bundles} × files {files} ({seeds}), {:.0} s, {} failures", elapsed, failures.len());
    for f in &failures {
        println!("  FAILED {f}");
    }
    println!("\nconfusion (truth → decision band):");
    let verdicts = ["user_initiated", "automatic", "indeterminate", "missing"];
    println!("  {:<16}{:>16}{:>12}{:>15}{:>9}", "truth", verdicts[0], verdicts[1], verdicts[2], verdicts[3]);
    for (t, row) in &sum.confusion {
        print!("  {t:<16}");
        for (v, w) in verdicts.iter().zip([16, 12, 15, 9]) {
            print!("{:>w$}", row.get(*v).copied().unwrap_or(0));
        }
        println!();
    }
    let o = &sum.overall;
    println!(
        "\ncopies {}  decisive-wrong {}  indeterminate {:.1} %  Cllr {:.3}  Cllr_min {:.3}\nwith discriminating evidence: {}  decisive and correct {} ({:.1} %)  Cllr {:.3}",
        o.files,
        o.decisive_wrong,
        sum.indeterminate_share * 100.0,
        o.cllr,
        o.cllr_min,
        o.with_discriminating,
        o.decisive_correct_with_discriminating,
        100.0 * o.decisive_correct_with_discriminating as f64 / o.with_discriminating.max(1) as f64,
        o.cllr_with_discriminating
    );
    println!(
        "\n  {:<24}{:>7}{:>10}{:>10}{:>8}{:>16}{:>8}{:>14}",
        "scenario", "copies", "correct", "wrong", "indet.", "discr.: correct", "Cllr", "Cllr (discr.)"
    );
    for (name, r) in &sum.per_scenario {
        let discr_cllr =
            if r.with_discriminating > 0 { format!("{:.3}", r.cllr_with_discriminating) } else { "-".to_owned() };
        println!(
            "  {name:<24}{:>7}{:>10}{:>10}{:>8}{:>16}{:>8.3}{:>14}",
            r.files,
            r.decisive_correct,
            r.decisive_wrong,
            r.indeterminate,
            format!("{}/{}", r.decisive_correct_with_discriminating, r.with_discriminating),
            r.cllr,
            discr_cllr
        );
    }
    for c in score.contradictions() {
        println!(
            "CONTRADICTION {} truth {} verdict {} log10 LR {:+.2} ({})",
            c.scenario,
            c.truth.as_str(),
            c.verdict,
            c.log10_lr,
            c.label
        );
    }
    Ok(())
}

/// The SHA-256 of the binary's built-in rulebook (`waybill rules --sha256`).
fn rulebook_sha(exe: &Path) -> anyhow::Result<String> {
    let out = waybill(exe, &["rules".into(), "--json".into()])?;
    let v: serde_json::Value = serde_json::from_str(&out).context("reading `waybill rules --json`")?;
    Ok(v["sha256"].as_str().unwrap_or("").to_owned())
}

/// Today's date (UTC), for the validation table's record of when it was measured.
fn date_today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let (y, m, d) = waybill_model::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

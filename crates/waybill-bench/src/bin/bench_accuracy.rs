//! The accuracy benchmark: simulated bundles with known truth, run through the
//! whole job with the waybill binary, scored.
//!
//! ```text
//! bench_accuracy --waybill target/release/waybill [--bundles 130] [--files 10] [--seed 1000] [--jobs 2] [--out DIR] [--rulebook DIR] [--json]
//! ```
//!
//! Bundle `i` is scenario `i mod 13` (the scenarios of `waybill simulate
//! --list`) with `--files` episodes, seed `--seed + i`; so 130 bundles of 10
//! files score 1,300 files of interest, 100 per scenario, over every device, browser and
//! log-format variant the simulator draws. For every bundle it runs `case new
//! --from`, each `ingest`, `match` and `analyze --json` exactly as a user
//! would, then prints the confusion matrix of verdict against truth, the share
//! of indeterminate verdicts, decisive-and-correct where the bundle holds the
//! discriminating evidence, Cllr, a per-scenario table, and every decisive
//! verdict that contradicts the truth. With `--out DIR`, bundles with a
//! contradiction, a miss (discriminating evidence but no correct decisive
//! verdict) or a missing finding are kept there for review.
//! With `--rulebook DIR`, `analyze` uses that rulebook in place of the built-in
//! one (the same bundles scored with and without a rule).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use waybill_sim::score::Score;
use waybill_sim::{Spec, simulate};

fn waybill(exe: &Path, args: &[String]) -> anyhow::Result<String> {
    let o = Command::new(exe).args(args).output().with_context(|| format!("running {}", exe.display()))?;
    if !o.status.success() {
        bail!("waybill {} failed: {}", args.join(" "), String::from_utf8_lossy(&o.stderr));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Runs one bundle; returns (truth file, verdict, log10 LR, label) per file of interest.
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
    let mut found: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let sha = v["sha256"].as_str().unwrap_or("").to_owned();
        found.insert(sha, (v["verdict"].as_str().unwrap_or("").to_owned(), v["log10_lr"].as_f64().unwrap_or(0.0)));
    }
    let mut score = Score::default();
    for t in &summary.truth.files {
        let (verdict, lr) = found.get(&t.sha256).cloned().unwrap_or_else(|| ("missing".into(), 0.0));
        score.add(t, &verdict, lr, format!("{} {}", dir.display(), &t.sha256[..16]));
    }
    // With --out, bundles with a contradiction or a missing finding stay for review.
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
    let bundles: usize = get("--bundles").map_or(Ok(130), |v| v.parse())?;
    let files: usize = get("--files").map_or(Ok(10), |v| v.parse())?;
    let seed0: u64 = get("--seed").map_or(Ok(1000), |v| v.parse())?;
    let jobs: usize = get("--jobs").map_or(Ok(2), |v| v.parse())?;
    let json = args.iter().any(|a| a == "--json");
    if !exe.exists() {
        bail!("{} not found (build it: cargo build --release -p waybill)", exe.display());
    }
    let names: Vec<&str> = waybill_sim::scenario::SCENARIOS.iter().map(|s| s.name).collect();
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
    if json {
        let doc = serde_json::json!({"summary": sum, "contradictions": score.contradictions(), "misses": score.misses(), "failures": failures, "seconds": elapsed});
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "bundles {bundles} × files {files} (seeds {seed0}..{}), {:.0} s, {} failures",
        seed0 + bundles as u64 - 1,
        elapsed,
        failures.len()
    );
    for f in &failures {
        println!("  FAILED {f}");
    }
    println!("\nconfusion (truth → verdict):");
    let verdicts = ["user_initiated", "automatic", "indeterminate", "missing"];
    println!("  {:<16}{:>16}{:>12}{:>15}{:>9}", "truth", verdicts[0], verdicts[1], verdicts[2], verdicts[3]);
    for (t, row) in &sum.confusion {
        print!("  {t:<16}");
        for (v, w) in verdicts.iter().zip([16, 12, 15, 9]) {
            print!("{:>w$}", row.get(*v).copied().unwrap_or(0));
        }
        println!();
    }
    println!(
        "\nfiles {}  indeterminate {:.1} %  contradicting decisive {}  Cllr {:.3}",
        sum.files,
        sum.indeterminate_share * 100.0,
        sum.contradicting,
        sum.cllr
    );
    println!(
        "with discriminating evidence: {}  decisive and correct {} ({:.1} %)",
        sum.with_discriminating,
        sum.decisive_correct_with_discriminating,
        100.0 * sum.decisive_correct_with_discriminating as f64 / sum.with_discriminating.max(1) as f64
    );
    println!(
        "\n  {:<22}{:>7}{:>18}{:>15}{:>15}",
        "scenario", "files", "decisive correct", "indeterminate", "contradicting"
    );
    for (name, [n, c, i, x]) in &sum.per_scenario {
        println!("  {name:<22}{n:>7}{c:>18}{i:>15}{x:>15}");
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

//! Crash safety: `waybill ingest` killed with SIGKILL at pseudo-random moments.
//! After each kill the case must verify (every input either complete or absent),
//! and running the same command again must complete it without duplicates.
//! `WAYBILL_KILL_RUNS` sets the number of kills (default 10; `.ci/run` uses 50).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn waybill(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_waybill")).args(args).current_dir(dir).env_clear().output().expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn ingest_killed_at_random_moments_is_complete_or_absent() {
    let runs: u64 = std::env::var("WAYBILL_KILL_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let t = tempfile::tempdir().expect("temp");
    let (code, out) = waybill(t.path(), &["simulate", "b", "--seed", "3", "--noise", "20000"]);
    assert_eq!(code, 0, "{out}");
    let plan: waybill_sim::Plan =
        serde_json::from_slice(&std::fs::read(t.path().join("b/bundle.json")).expect("plan")).expect("json");
    let chrome = plan.inputs.iter().find(|i| i.path.ends_with("/chrome")).expect("a chrome folder");
    let folder = format!("b/{}", chrome.path);
    let device = chrome.device.clone().unwrap_or_default();
    let expected = std::fs::read_dir(t.path().join(&folder).join("Cache/Cache_Data")).expect("cache").count();
    // Time one whole ingest to spread the kills over it.
    waybill(t.path(), &["case", "new", "full"]);
    let started = std::time::Instant::now();
    let (code, out) = waybill(t.path(), &["ingest", "full", &folder, "--device", &device]);
    assert_eq!(code, 0, "{out}");
    let full_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(1).max(1);
    let (_, full_list) = waybill(t.path(), &["sql", "full", "SELECT count(*) AS n FROM inputs", "--format", "csv"]);
    let inputs: usize = full_list.lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("count");
    assert!(inputs >= expected, "{inputs} inputs for {expected} cache files");

    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut partial = 0;
    for k in 0..runs {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_micros((seed >> 33) % (full_us + full_us / 5));
        let case = format!("c{k}");
        waybill(t.path(), &["case", "new", &case]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_waybill"))
            .args(["ingest", &case, &folder, "--device", &device])
            .current_dir(t.path())
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (code, out) = waybill(t.path(), &["verify", &case, "--json"]);
        assert_eq!(code, 0, "kill {k} after {delay:?}: the case does not verify:\n{out}");
        let (_, n) = waybill(t.path(), &["sql", &case, "SELECT count(*) AS n FROM inputs", "--format", "csv"]);
        let have: usize = n.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or(0);
        if have < inputs {
            partial += 1;
        }
        // Running it again completes it, without duplicates.
        let (code, out) = waybill(t.path(), &["ingest", &case, &folder, "--device", &device]);
        assert_eq!(code, 0, "kill {k}: re-run failed:\n{out}");
        let (_, n) = waybill(
            t.path(),
            &["sql", &case, "SELECT count(*) AS n, count(DISTINCT sha256) AS d FROM inputs", "--format", "csv"],
        );
        assert_eq!(n.lines().nth(1).map(str::trim), Some(format!("{inputs},{inputs}").as_str()), "kill {k}: {n}");
        let (code, out) = waybill(t.path(), &["verify", &case]);
        assert_eq!(code, 0, "kill {k}: after the re-run:\n{out}");
    }
    eprintln!("{runs} kills, {partial} left a partial ingest; all verified and completed on re-run");
}

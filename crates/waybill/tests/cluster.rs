//! `sql` and `analyze` on an Apache DataFusion Ballista cluster (the `ballista`
//! feature): a scheduler and two executors run as child processes of the
//! `waybill` binary (`waybill cluster scheduler|executor`), and the demo case's
//! queries and its analysis give byte for byte what the local run gives.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn waybill(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waybill")).args(args).current_dir(dir).env_clear().output().expect("run waybill")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = waybill(dir, args);
    assert!(
        out.status.success(),
        "waybill {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(dir: &Path, args: &[&str]) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_waybill"))
            .args(args)
            .current_dir(dir)
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start waybill"),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Every finding file of a case, by name, with its bytes.
fn findings(case: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(case.join("findings"))
        .expect("findings folder")
        .map(|e| {
            let p = e.expect("entry").path();
            (p.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read(&p).expect("read finding"))
        })
        .collect();
    out.sort();
    out
}

const QUERIES: &[&str] = &[
    "SELECT kind, count(*) AS n, min(ts) AS first, max(ts) AS last FROM events GROUP BY kind ORDER BY kind",
    "SELECT source, format, count(*) AS n, count(sha256) AS hashed FROM events GROUP BY source, format ORDER BY source",
    "SELECT e.url, e.client_ip, e.status, e.ts FROM events e JOIN interest i ON e.sha256 = i.sha256 \
     ORDER BY e.ts, e.source, e.seq",
    "SELECT sha256, size, paths FROM files ORDER BY sha256",
    "SELECT client_ip, count(*) AS n FROM events WHERE kind = 'http.request' GROUP BY client_ip \
     HAVING count(*) > 3 ORDER BY n DESC, client_ip",
];

#[test]
fn demo_case_queries_and_analysis_on_two_executors_equal_the_local_run() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    ok(dir, &["demo", "d", "--noise", "2000"]);
    let case = dir.join("d/case");
    let case_s = case.to_str().expect("utf-8 path");

    let sched = free_port();
    let _scheduler = spawn(dir, &["cluster", "scheduler", "--bind", &format!("127.0.0.1:{sched}")]);
    let mut executors = Vec::new();
    for i in 0..2 {
        let work = dir.join(format!("executor-{i}"));
        std::fs::create_dir_all(&work).expect("mkdir");
        let (port, grpc) = (free_port(), free_port());
        executors.push(spawn(
            dir,
            &[
                "cluster",
                "executor",
                "--scheduler",
                &format!("127.0.0.1:{sched}"),
                "--port",
                &port.to_string(),
                "--grpc-port",
                &grpc.to_string(),
                "--tasks",
                "2",
                "--memory",
                "512M",
                "--work-dir",
                work.to_str().expect("utf-8 path"),
            ],
        ));
    }
    let url = format!("df://127.0.0.1:{sched}");
    // The cluster is up when a query comes back.
    let started = Instant::now();
    loop {
        let out = waybill(dir, &["sql", case_s, "SELECT count(*) FROM events", "--cluster", &url]);
        if out.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the cluster did not answer within 60 s: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    for q in QUERIES {
        let local = ok(dir, &["sql", case_s, q, "--format", "json"]);
        let remote = ok(dir, &["sql", case_s, q, "--format", "json", "--cluster", &url]);
        assert!(local.lines().count() > 1, "{q}: the demo case gives rows");
        assert_eq!(remote, local, "{q}");
    }

    let local = ok(dir, &["analyze", case_s, "--json"]);
    let local_findings = findings(&case);
    let remote = ok(dir, &["analyze", case_s, "--json", "--cluster", &url]);
    assert_eq!(remote, local, "analyze --json");
    assert_eq!(findings(&case), local_findings, "the finding files");
    assert_eq!(local_findings.len(), 24, "the demo's 24 copies");

    // In-memory tables (`inputs`; `rejects`, of which the demo case has no
    // file) cannot be sent to the cluster: those queries run in the client.
    for q in ["SELECT source, format, events FROM inputs ORDER BY source", "SELECT count(*) AS n FROM rejects"] {
        let local = ok(dir, &["sql", case_s, q, "--format", "json"]);
        assert_eq!(ok(dir, &["sql", case_s, q, "--format", "json", "--cluster", &url]), local, "{q}");
    }
}

#[test]
fn a_cluster_url_that_is_not_df_is_refused() {
    let t = tempfile::tempdir().expect("temp dir");
    ok(t.path(), &["case", "new", "c"]);
    let out = waybill(t.path(), &["sql", "c", "SELECT 1", "--cluster", "http://127.0.0.1:1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("df://HOST:PORT"));
}

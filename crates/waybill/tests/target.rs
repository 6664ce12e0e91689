//! `ingest --target` on the shared laptop containers (`../shared/data/targets`,
//! read in place): the Velociraptor-style zip staged into the case yields
//! exactly the listing of `expected.json` (path, size, SHA-256, mtime), its
//! artifacts give the same events as the same files ingested loose from the
//! real-artifact corpus, a folder target gives the same listing, the raw NTFS
//! volume, the E01 and a partitioned disk give it too, an image not read yet
//! is refused naming what it is, and `verify` checks the container's hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_waybill")).args(args).current_dir(dir).env_clear().output().expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "waybill {args:?}\n{out}\n{err}");
    out
}

fn targets() -> Option<PathBuf> {
    let t = waybill_testkit::corpus()?.join("../targets");
    assert!(t.join("expected.json").is_file(), "{} has no expected.json", t.display());
    Some(t)
}

/// A gzip-compressed corpus file, decompressed.
fn gunzip(path: &Path) -> Vec<u8> {
    let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(path).expect("gz"));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut gz, &mut out).expect("gunzip");
    out
}

/// The custody log's last line.
fn last_custody(case: &Path) -> serde_json::Value {
    let custody = std::fs::read_to_string(case.join("custody.jsonl")).expect("custody");
    serde_json::from_str(custody.lines().last().expect("line")).expect("json")
}

/// The tree's listing as the case holds it: (path, size, sha256, mtime in s).
fn listing(dir: &Path, case: &str) -> Vec<(String, u64, String, i64)> {
    let out = ok(
        dir,
        &[
            "sql",
            case,
            "SELECT c.path, c.size, c.sha256, e.ts FROM content c JOIN events e ON e.source = c.source AND e.record = c.record AND e.kind = 'fs.modified' ORDER BY c.path",
            "--format",
            "json",
        ],
    );
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|v| {
            let ts = v["ts"].as_str().expect("ts");
            let secs = waybill_model::Timestamp::parse_rfc3339(ts).expect("rfc3339").unix_micros() / 1_000_000;
            (
                v["path"].as_str().expect("path").to_owned(),
                v["size"].as_u64().expect("size"),
                v["sha256"].as_str().expect("sha").to_owned(),
                secs,
            )
        })
        .collect()
}

/// `expected.json`, and its file listing sorted as [`listing`] gives it.
fn expected(dir: &Path) -> (serde_json::Value, Vec<(String, u64, String, i64)>) {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected")).expect("json");
    let mut want: Vec<(String, u64, String, i64)> = expected["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["size"].as_u64().expect("size"),
                f["sha256"].as_str().expect("sha").to_owned(),
                f["mtime"].as_i64().expect("mtime"),
            )
        })
        .collect();
    want.sort();
    (expected, want)
}

/// (format, records, events, rejects) of every input but the file tree, by SHA-256.
fn inputs(case: &Path) -> BTreeMap<String, (String, u64, u64, u64)> {
    std::fs::read_to_string(case.join("manifest.jsonl"))
        .expect("manifest")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|m| m["format"] != "files.tree")
        .map(|m| {
            (
                m["sha256"].as_str().expect("sha").to_owned(),
                (
                    m["format"].as_str().expect("format").to_owned(),
                    m["records"].as_u64().expect("records"),
                    m["events"].as_u64().expect("events"),
                    m["rejects"].as_u64().expect("rejects"),
                ),
            )
        })
        .collect()
}

#[test]
fn a_velociraptor_zip_target_is_the_laptop_listing_and_its_artifacts() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let (_, want) = expected(&dir);
    // The container is copied so that changing it later does not touch the corpus.
    let zip = root.join("laptop-velociraptor.zip");
    std::fs::copy(dir.join("laptop-velociraptor.zip"), &zip).expect("copy");
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", "laptop-velociraptor.zip", "--device", "LAPTOP-ANA"]);
    assert!(
        out.contains("target: zip ") && out.contains("(velociraptor); operating system: Windows; artifacts: chrome.history, files.tree, firefox.downloads_json, firefox.places, windows.evtx"),
        "{out}"
    );
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    let zip_sha = hex::encode(sha2::Sha256::digest(std::fs::read(&zip).expect("zip")));
    assert_eq!(line["target"]["sha256"], zip_sha.as_str());
    assert_eq!(line["target"]["members"], 11);
    assert_eq!(line["target"]["left_out"][0]["member"], "uploads.json");
    // Staged inside the case, nowhere else.
    let staged = root.join("case/targets").join(&zip_sha[..16]);
    assert!(staged.join("Users/ana/Documents/notes.txt").is_file());

    // The same artifacts ingested loose, from the corpus: the same events.
    let target_inputs = inputs(&root.join("case"));
    assert_eq!(target_inputs.len(), 4, "{target_inputs:?}");
    let corpus = waybill_testkit::corpus().expect("corpus");
    let mut loose: Vec<PathBuf> = Vec::new();
    let mut stack = vec![corpus];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.metadata().is_ok_and(|m| m.len() < 4 << 20)
                && target_inputs.contains_key(&hex::encode(sha2::Sha256::digest(std::fs::read(&p).expect("read"))))
            {
                loose.push(p);
            }
        }
    }
    loose.sort();
    assert!(loose.len() >= 3, "corpus copies of the laptop's artifacts: {loose:?}");
    ok(root, &["case", "new", "loose"]);
    for p in &loose {
        ok(root, &["ingest", "loose", p.to_str().expect("utf-8"), "--device", "LAPTOP-ANA"]);
    }
    for (sha, counts) in inputs(&root.join("loose")) {
        assert_eq!(target_inputs.get(&sha), Some(&counts), "{sha}: the same events from the target as loose");
    }

    // The staged tree as a folder target: the same listing.
    ok(root, &["case", "new", "folder"]);
    let out = ok(root, &["ingest", "folder", "--target", staged.to_str().expect("utf-8")]);
    assert!(out.contains("target: folder "), "{out}");
    assert_eq!(listing(root, "folder"), want);

    // verify checks the container; a changed container is named.
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let mut bytes = std::fs::read(&zip).expect("zip");
    bytes.push(0);
    std::fs::write(&zip, bytes).expect("write");
    let (code, out, _) = run(root, &["verify", "case"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DIFFERS  target ") && out.contains("laptop-velociraptor.zip: SHA-256 is"), "{out}");
}

/// The raw NTFS volume (gunzipped here into a temp folder): the same listing,
/// and its two `Zone.Identifier` streams read as Marks of the Web tied to
/// their files.
#[test]
fn a_raw_ntfs_volume_target_is_the_laptop_listing_with_its_streams() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let raw = root.join("laptop-ntfs.raw");
    std::fs::write(&raw, gunzip(&dir.join("laptop-ntfs.raw.gz"))).expect("raw");
    let (expected, want) = expected(&dir);
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", "laptop-ntfs.raw", "--device", "LAPTOP-ANA"]);
    assert!(out.contains("target: ntfs ") && out.contains("operating system: Windows"), "{out}");
    assert!(out.contains("windows.zone_identifier"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let marks = ok(
        root,
        &[
            "sql",
            "case",
            "SELECT path, url, referrer FROM events WHERE kind = 'fs.origin_marker' ORDER BY path",
            "--format",
            "json",
        ],
    );
    let marks: Vec<serde_json::Value> = marks.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(marks.len(), 2, "{marks:?}");
    for (m, s) in marks.iter().zip(expected["ntfs_streams"].as_array().expect("streams")) {
        let file = s["path"].as_str().expect("path");
        assert!(m["path"].as_str().expect("path").ends_with(&format!("streams/{file}")), "{m}");
        let text = s["text"].as_str().expect("text");
        let host = text.lines().find_map(|l| l.strip_prefix("HostUrl=")).expect("host");
        let referrer = text.lines().find_map(|l| l.strip_prefix("ReferrerUrl=")).expect("referrer");
        assert_eq!((m["url"].as_str(), m["referrer"].as_str()), (Some(host), Some(referrer)));
    }
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// The shared E01 (read in place, read-only): the same listing and streams
/// as the raw volume; the media's MD5 recomputed and equal to the one the
/// image stores, and to what `ewfverify` (libewf) computes when it is
/// installed (required in CI); `verify` re-hashes the segment.
#[test]
fn an_e01_target_is_the_laptop_listing_and_its_media_md5_matches_ewfverify() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let e01 = dir.join("laptop-ntfs.E01");
    let (expected, want) = expected(&dir);
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", e01.to_str().expect("utf-8"), "--device", "LAPTOP-ANA"]);
    assert!(out.contains("target: ewf ") && out.contains("(NTFS volume); operating system: Windows"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let marks = ok(
        root,
        &["sql", "case", "SELECT count(*) AS n FROM events WHERE kind = 'fs.origin_marker'", "--format", "json"],
    );
    assert_eq!(marks, "{\"n\":2}\n", "{expected}");
    // Both sets of NTFS times, as a bodyfile beside the tree: the History's
    // $STANDARD_INFORMATION mtime is the one the maker set; its $FILE_NAME
    // mtime is when ntfs-3g created the file.
    assert!(out.contains("tsk.bodyfile"), "{out}");
    let times = ok(
        root,
        &[
            "sql",
            "case",
            "SELECT ts FROM events WHERE format = 'tsk.bodyfile' AND kind = 'fs.modified' AND path LIKE '%Default/History%' ORDER BY ts",
            "--format",
            "json",
        ],
    );
    assert_eq!(times, "{\"ts\":\"2026-03-01T10:00:10.000000Z\"}\n{\"ts\":\"2026-12-07T04:41:48.413685Z\"}\n");
    let n = ok(
        root,
        &["sql", "case", "SELECT count(*) AS n FROM events WHERE format = 'tsk.bodyfile'", "--format", "json"],
    );
    assert_eq!(n, "{\"n\":88}\n");
    let line = last_custody(&root.join("case"));
    let target = &line["target"];
    assert_eq!(target["kind"], "ewf");
    assert_eq!(target["media_size"], 12 * 1024 * 1024, "{target:#}");
    assert_eq!(target["segments"], serde_json::json!([]));
    assert_eq!(
        target["volumes"],
        serde_json::json!([{"partition": null, "offset": 0, "size": 12582912, "files": 11, "streams": 2}])
    );
    let md5 = &target["media_md5"];
    assert_eq!(md5["match"], true, "{md5}");
    let computed = md5["computed"].as_str().expect("md5").to_owned();
    // The raw volume's own MD5 is the media's.
    let raw = gunzip(&dir.join("laptop-ntfs.raw.gz"));
    assert_eq!(computed, hex::encode(md5::Md5::digest(&raw)));
    match Command::new("ewfverify").arg("-q").arg(&e01).output() {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            let theirs = text
                .lines()
                .find_map(|l| l.strip_prefix("MD5 hash calculated over data:"))
                .map(|h| h.trim().to_owned())
                .expect("ewfverify prints the MD5 it calculated");
            assert_eq!(theirs, computed, "{text}");
        }
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("ewfverify (ewf-tools) is required in CI"),
        Err(_) => {
            eprintln!("notice: ewfverify not installed; the E01 media MD5 was checked against the raw volume only")
        }
    }
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");
    // verify stages the E01 again and compares: a staged file whose time was
    // changed in the case is named.
    let sha = target["sha256"].as_str().expect("sha");
    let staged = root.join("case/targets").join(&sha[..16]).join("fs/Users/ana/Documents/notes.txt");
    let f = std::fs::File::options().write(true).open(&staged).expect("staged");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)).expect("touch");
    drop(f);
    let (code, out, _) = run(root, &["verify", "case"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fs/Users/ana/Documents/notes.txt: differs from the container staged again"), "{out}");
}

/// The laptop's files in the Linux layout the ext4 image holds them
/// (`make-target-images.sh`: Chrome's History under `.config`, Downloads,
/// Camera Roll as Pictures), from `expected.json`, prefixed with `prefix`.
fn ext4_want(dir: &Path, prefix: &str) -> Vec<(String, u64, String, i64)> {
    let (_, want) = expected(dir);
    let mut out: Vec<(String, u64, String, i64)> = want
        .into_iter()
        .filter_map(|(p, size, sha, mtime)| {
            let linux = if p == "Users/ana/AppData/Local/Google/Chrome/User Data/Default/History" {
                "home/ana/.config/google-chrome/Default/History".to_owned()
            } else if let Some(name) = p.strip_prefix("Users/ana/Downloads/") {
                format!("home/ana/Downloads/{name}")
            } else if let Some(name) = p.strip_prefix("Users/ana/Pictures/Camera Roll/") {
                format!("home/ana/Pictures/{name}")
            } else {
                return None;
            };
            Some((format!("{prefix}{linux}"), size, sha, mtime))
        })
        .collect();
    out.sort();
    out
}

/// The ext4 image (mke2fs -d; gunzipped here), read by waybill's own ext
/// reader: exactly the laptop's files in their Linux layout, with their
/// sizes, hashes and inode modification times; Chrome's History found.
#[test]
fn an_ext4_target_is_the_laptop_files_in_their_linux_layout() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    std::fs::write(root.join("laptop-ext4.img"), gunzip(&dir.join("laptop-ext4.img.gz"))).expect("ext4");
    let want = ext4_want(&dir, "");
    assert_eq!(want.len(), 5, "{want:?}");
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", "laptop-ext4.img", "--device", "LAPTOP-ANA"]);
    assert!(
        out.contains("target: ext ")
            && out.contains("(ext2/3/4 volume); operating system: Linux; artifacts: chrome.history, files.tree"),
        "{out}"
    );
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    assert_eq!(line["target"]["left_out"], serde_json::json!([]));
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // Damaged copies (a 4 KiB run zeroed at each of 12 places: superblock,
    // descriptors, inode table, directories, data) are read or refused
    // with a message, never a crash.
    let image = gunzip(&dir.join("laptop-ext4.img.gz"));
    for k in 0..12 {
        let mut bad = image.clone();
        let at = 1024 + k * (image.len() / 12);
        let end = (at + 4096).min(bad.len());
        bad[at..end].iter_mut().for_each(|b| *b = 0xA5);
        let name = format!("damaged-{k}.img");
        std::fs::write(root.join(&name), &bad).expect("write");
        let case = format!("d{k}");
        ok(root, &["case", "new", &case]);
        let (code, out, err) = run(root, &["ingest", &case, "--target", &name]);
        assert!(code == 0 || (code == 1 || code == 2) && err.contains("error: "), "{k}: {code}\n{out}\n{err}");
    }
}

/// A raw disk with an MBR: the laptop's NTFS volume as partition 1 (at LBA
/// 2048), its ext4 image as partition 2 (type 0x83) and an empty FAT-typed
/// partition 3: each read volume's files listed under `p<N>/`, partition 3
/// named and left out.
#[test]
fn a_partitioned_raw_disk_target_lists_each_partition_under_its_number() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let volume = gunzip(&dir.join("laptop-ntfs.raw.gz"));
    let ext = gunzip(&dir.join("laptop-ext4.img.gz"));
    let sectors = |v: &[u8]| u32::try_from(v.len() / 512).expect("sectors");
    let mut disk = vec![0u8; 2048 * 512];
    let entry = |start: u32, count: u32, kind: u8| {
        let mut e = [0u8; 16];
        e[4] = kind;
        e[8..12].copy_from_slice(&start.to_le_bytes());
        e[12..16].copy_from_slice(&count.to_le_bytes());
        e
    };
    let p2 = 2048 + sectors(&volume);
    let p3 = p2 + sectors(&ext);
    disk[446..462].copy_from_slice(&entry(2048, sectors(&volume), 0x07));
    disk[462..478].copy_from_slice(&entry(p2, sectors(&ext), 0x83));
    disk[478..494].copy_from_slice(&entry(p3, 2048, 0x0c));
    disk[510] = 0x55;
    disk[511] = 0xaa;
    disk.extend_from_slice(&volume);
    disk.extend_from_slice(&ext);
    disk.extend_from_slice(&vec![0u8; 2048 * 512]);
    std::fs::write(root.join("disk.img"), &disk).expect("disk");
    let (_, want) = expected(&dir);
    let mut want: Vec<(String, u64, String, i64)> =
        want.into_iter().map(|(p, size, sha, mtime)| (format!("p1/{p}"), size, sha, mtime)).collect();
    want.extend(ext4_want(&dir, "p2/"));
    want.sort();
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", "disk.img", "--device", "LAPTOP-ANA"]);
    assert!(out.contains("target: disk ") && out.contains("(MBR disk); operating system: Windows"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    assert_eq!(
        line["target"]["volumes"],
        serde_json::json!([
            {"partition": 1, "offset": 1048576, "size": 12582912, "files": 11, "streams": 2},
            {"partition": 2, "offset": 1048576 + 12582912, "size": 8388608, "files": 5, "streams": 0},
        ])
    );
    let left: Vec<&serde_json::Value> = line["target"]["left_out"]
        .as_array()
        .expect("left out")
        .iter()
        .filter(|l| l["why"] != "an NTFS system file")
        .collect();
    assert_eq!(
        left,
        [&serde_json::json!({"member": "partition 3", "why": "neither NTFS, ext2/3/4, FAT nor exFAT: not read"})]
    );
    let marks = ok(
        root,
        &["sql", "case", "SELECT count(*) AS n FROM events WHERE kind = 'fs.origin_marker'", "--format", "json"],
    );
    assert_eq!(marks, "{\"n\":2}\n");
}

/// A UAC-style collection (`.tar.gz`: collected files under `[root]/`, UAC's
/// log and live response beside them; built here with the `tar` crate from
/// the real Chrome History of the corpus and a generated file): exactly the
/// collected files with their tar times, UAC's own output and a symbolic
/// link named and left out, Chrome's History read.
#[test]
fn a_uac_tar_gz_target_is_the_collected_files() {
    let Some(dir) = targets() else { return };
    let corpus = dir.join("../real");
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let history = std::fs::read(corpus.join("chrome/History")).expect("History");
    let notes = b"synthetic benign notes: a shopping list\n".repeat(20);
    let file = std::fs::File::create(root.join("uac-laptop-linux-20260310080000.tar.gz")).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
    let mut add = |name: &str, data: &[u8], mtime: u64| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mtime(mtime);
        h.set_mode(0o644);
        tar.append_data(&mut h, name, data).expect("append");
    };
    add("uac.log", b"UAC (Unix-like Artifacts Collector) log\n", 1_773_129_600);
    add("live_response/process/ps.txt", b"PID TTY TIME CMD\n", 1_773_129_601);
    add("[root]/home/ana/.config/google-chrome/Default/History", &history, 1_772_359_210);
    add("[root]/home/ana/Downloads/notes.txt", &notes, 1_772_900_000);
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_mtime(1_772_900_001);
    link.set_size(0);
    tar.append_link(&mut link, "[root]/home/ana/latest", "Downloads/notes.txt").expect("link");
    tar.into_inner().expect("tar").finish().expect("gzip");
    let sha = |b: &[u8]| hex::encode(sha2::Sha256::digest(b));
    let want = vec![
        (
            "home/ana/.config/google-chrome/Default/History".to_owned(),
            history.len() as u64,
            sha(&history),
            1_772_359_210,
        ),
        ("home/ana/Downloads/notes.txt".to_owned(), notes.len() as u64, sha(&notes), 1_772_900_000),
    ];
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", "uac-laptop-linux-20260310080000.tar.gz", "--device", "LAPTOP"]);
    assert!(
        out.contains("target: tar.gz ")
            && out.contains("(uac); operating system: Linux; artifacts: chrome.history, files.tree"),
        "{out}"
    );
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    assert_eq!(line["target"]["members"], 2);
    let left: Vec<&str> =
        line["target"]["left_out"].as_array().expect("left out").iter().filter_map(|l| l["member"].as_str()).collect();
    assert_eq!(left, ["[root]/home/ana/latest", "uac.log", "live_response/process/ps.txt"]);
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// The dynamic VHDX (qemu-img, 1 MiB blocks; gunzipped here): the same
/// listing and streams as the raw volume, and `verify` re-hashes it.
#[test]
fn a_vhdx_target_is_the_laptop_listing_with_its_streams() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    std::fs::write(root.join("laptop-ntfs.vhdx"), gunzip(&dir.join("laptop-ntfs.vhdx.gz"))).expect("vhdx");
    let (_, want) = expected(&dir);
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", "laptop-ntfs.vhdx", "--device", "LAPTOP-ANA"]);
    assert!(out.contains("target: vhdx ") && out.contains("(NTFS volume); operating system: Windows"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let marks = ok(
        root,
        &["sql", "case", "SELECT count(*) AS n FROM events WHERE kind = 'fs.origin_marker'", "--format", "json"],
    );
    assert_eq!(marks, "{\"n\":2}\n");
    let line = last_custody(&root.join("case"));
    assert_eq!(line["target"]["media_size"], 12 * 1024 * 1024);
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn images_not_read_yet_are_recognised_and_refused_by_name() {
    let Some(dir) = targets() else { return };
    let t = tempfile::tempdir().expect("temp");
    ok(t.path(), &["case", "new", "case"]);
    // A dynamic VHD starts with a copy of its footer.
    let mut vhd = b"conectix".to_vec();
    vhd.resize(1024, 0);
    std::fs::write(t.path().join("disk.vhd"), vhd).expect("vhd");
    let (code, _, err) = run(t.path(), &["ingest", "case", "--target", "disk.vhd"]);
    assert_ne!(code, 0);
    assert!(err.contains("a dynamic VHD image is recognised but not read yet"), "{err}");
    let gz = dir.join("laptop-ntfs.raw.gz");
    let (code, _, err) = run(t.path(), &["ingest", "case", "--target", gz.to_str().expect("utf-8")]);
    assert_ne!(code, 0);
    assert!(err.contains("a gzip file"), "{err}");
    // Nothing was recorded.
    assert_eq!(std::fs::read_to_string(t.path().join("case/manifest.jsonl")).unwrap_or_default(), "");
}

/// The FAT fixtures (`waybill-ingest/tests/fixtures/fat`, made by its
/// `make.sh` with mkfs.fat/mtools and mkfs.exfat/exfat-fuse): the image's
/// path and its listing from the fixture's `expected.json` (computed from the
/// source files), prefixed with `prefix`.
fn fat_fixture(image: &str, prefix: &str) -> (PathBuf, Vec<(String, u64, String, i64)>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../waybill-ingest/tests/fixtures/fat");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected")).expect("json");
    let mut want: Vec<(String, u64, String, i64)> = expected[image]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let ts = waybill_model::Timestamp::parse_rfc3339(f["mtime"].as_str().expect("mtime")).expect("rfc3339");
            (
                format!("{prefix}{}", f["path"].as_str().expect("path")),
                f["size"].as_u64().expect("size"),
                f["sha256"].as_str().expect("sha").to_owned(),
                ts.unix_micros() / 1_000_000,
            )
        })
        .collect();
    want.sort();
    (std::path::absolute(dir.join(image)).expect("absolute"), want)
}

/// A USB stick imaged as a disk: an MBR with one FAT12 partition at sector
/// 128, written by mtools in Europe/Berlin (long names, a fragmented chain,
/// an empty file, a deleted file). Read in the zone given, its files are the
/// source tree's with their UTC times (2-second steps); read as UTC they are
/// off by Berlin's offset, summer and winter. `verify` stages it again in the
/// recorded zone.
#[test]
fn a_fat_usb_disk_target_reads_its_local_times_in_the_zone_given() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let (image, want) = fat_fixture("mbr_fat12_lfn_fragmented_berlin.img", "p1/");
    assert_eq!(want.len(), 5, "{want:?}");
    let image = image.to_str().expect("utf-8");
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", image, "--tz", "Europe/Berlin", "--device", "USB-1"]);
    assert!(out.contains("target: disk ") && out.contains("(MBR disk)"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    assert_eq!(
        line["target"]["volumes"],
        serde_json::json!([{"partition": 1, "offset": 65536, "size": 1048576, "files": 5, "streams": 0}])
    );
    assert_eq!(line["target"]["left_out"], serde_json::json!([]));
    assert_eq!(line["target"]["zone"], "Europe/Berlin");
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // The same image read as UTC (the case's zone): Berlin's local times
    // taken for UTC, two hours late in July and one in January.
    ok(root, &["case", "new", "utc"]);
    ok(root, &["ingest", "utc", "--target", image]);
    let shifted: Vec<(String, i64)> =
        listing(root, "utc").into_iter().zip(&want).map(|(got, w)| (got.0, got.3 - w.3)).collect();
    assert_eq!(
        shifted,
        [
            ("p1/README.TXT".to_owned(), 7200),
            ("p1/Users/alice/Documents/winter.txt".to_owned(), 3600),
            ("p1/Users/alice/Downloads/Quarterly report (draft) – ünïcode.txt".to_owned(), 7200),
            ("p1/Users/alice/Downloads/fragmented-caption.txt".to_owned(), 7200),
            ("p1/Users/alice/empty.txt".to_owned(), 7200),
        ]
    );
}

/// A FAT32 volume with no partition table (33 MiB, the smallest FAT32
/// mkfs.fat makes; its root directory is a cluster chain, unlike FAT12's):
/// the same files in Berlin time, gunzipped from the fixture.
#[test]
fn a_raw_fat32_volume_target_gives_its_files_in_utc() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let (gz, want) = fat_fixture("fat32_volume_berlin.img.gz", "");
    assert_eq!(want.len(), 5, "{want:?}");
    std::fs::write(root.join("fat32.img"), gunzip(&gz)).expect("fat32");
    ok(root, &["case", "new", "case", "--tz", "Europe/Berlin"]);
    let out = ok(root, &["ingest", "case", "--target", "fat32.img"]);
    assert!(out.contains("target: fat ") && out.contains("(FAT volume)"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    assert_eq!(line["target"]["zone"], "Europe/Berlin");
    assert_eq!(line["target"]["left_out"], serde_json::json!([]));
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// An exFAT memory card imaged as a volume, written through exfat-fuse in
/// New York: every time carries its UTC offset, so the zone given does not
/// change it; a file grown by appending and one written around a deleted
/// file are read whole. An entry set whose checksum fails (a name byte
/// changed) is named and left out, and the rest read; damaged copies are
/// read or refused with a message, never a crash.
#[test]
fn an_exfat_volume_target_uses_the_utc_offsets_it_stores() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path();
    let (image, want) = fat_fixture("exfat_utc_offset_new_york.img", "");
    assert_eq!(want.len(), 6, "{want:?}");
    ok(root, &["case", "new", "case"]);
    let out = ok(root, &["ingest", "case", "--target", image.to_str().expect("utf-8"), "--tz", "Asia/Tokyo"]);
    assert!(out.contains("target: fat ") && out.contains("(exFAT volume)"), "{out}");
    assert_eq!(listing(root, "case"), want);
    let line = last_custody(&root.join("case"));
    assert_eq!(line["target"]["left_out"], serde_json::json!([]));
    let (code, out, err) = run(root, &["verify", "case"]);
    assert_eq!(code, 0, "{out}\n{err}");

    let bytes = std::fs::read(&image).expect("image");
    let name: Vec<u8> = "winter".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let at = bytes.windows(name.len()).position(|w| w == name.as_slice()).expect("winter's name entry");
    let mut bad = bytes.clone();
    bad[at] = b'W';
    std::fs::write(root.join("renamed.img"), &bad).expect("write");
    ok(root, &["case", "new", "renamed"]);
    ok(root, &["ingest", "renamed", "--target", "renamed.img"]);
    let got = listing(root, "renamed");
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|f| !f.0.contains("inter")), "{got:?}");
    let left = last_custody(&root.join("renamed"))["target"]["left_out"].clone();
    let left = left.as_array().expect("left out");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["member"], "Users/alice/Documents");
    let why = left[0]["why"].as_str().expect("why");
    assert!(why.starts_with("entry 0 of its directory: its entry set's checksum is 0x"), "{why}");

    for k in 0..16 {
        let mut bad = bytes.clone();
        let at = k * (bytes.len() / 16);
        bad[at..at + 4096].iter_mut().for_each(|b| *b = 0xA5);
        let name = format!("damaged-{k}.img");
        std::fs::write(root.join(&name), &bad).expect("write");
        let case = format!("d{k}");
        ok(root, &["case", "new", &case]);
        let (code, out, err) = run(root, &["ingest", &case, "--target", &name]);
        assert!(code == 0 || (code == 1 || code == 2) && err.contains("error: "), "{k}: {code}\n{out}\n{err}");
    }
}

//! `ingest --files`: a file tree with ordinary, image, broken and special files.

use std::io::Write as _;

use waybill_testkit::{ingest_tree, real};

#[test]
fn tree_hashes_files_and_records_what_it_cannot_read() {
    let t = tempfile::tempdir().expect("temp");
    let root = t.path().join("tree");
    std::fs::create_dir_all(root.join("docs/deep")).expect("mkdir");
    std::fs::write(root.join("docs/hello.txt"), b"hello world").expect("write");
    std::fs::write(root.join("docs/deep/empty.bin"), b"").expect("write");
    // Starts like a JPEG, is not one: hashes yes, PDQ no.
    std::fs::write(root.join("broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 3])
        .expect("write");
    std::os::unix::fs::symlink("/etc/hostname", root.join("link-outside")).expect("symlink");
    let _sock = std::os::unix::net::UnixListener::bind(root.join("app.sock")).expect("socket");
    let fifo = std::process::Command::new("mkfifo").arg(root.join("pipe")).status();
    if let Some(img) = real("images/pdq/wee.jpg") {
        std::fs::copy(img, root.join("docs/wee.jpg")).expect("copy");
    } else {
        std::fs::write(root.join("docs/wee.jpg"), b"placeholder").expect("write");
    }
    let got = ingest_tree(&root, Some("LAPTOP-1")).expect("walk");
    let paths: Vec<&str> = got.content.iter().map(|c| c["path"].as_str().expect("path")).collect();
    assert_eq!(
        paths,
        ["broken.jpg", "docs/deep/empty.bin", "docs/hello.txt", "docs/wee.jpg"],
        "regular files, byte order"
    );
    let has_fifo = fifo.is_ok_and(|s| s.success());
    let entries = 7 - u64::from(!has_fifo);
    assert_eq!(got.summary.counts.records, entries, "every entry is a record");
    assert_eq!(got.summary.counts.rejects, 0);
    let row = |p: &str| got.content.iter().find(|c| c["path"] == p).expect("row").clone();
    let hello = row("docs/hello.txt");
    assert_eq!(hello["sha256"], "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    assert_eq!(hello["quickxorhash"], "aCgDG9jwBhDc4Q1yawMZAAAAAAA=");
    assert_eq!(hello["dropbox_content_hash"], "bc62d4b80d9e36da29c16c5d4d9f11731f36052c72401a76c23c0fb5a9b74423");
    assert!(hello.get("error").is_none());
    assert_eq!(
        row("docs/deep/empty.bin")["sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let broken = row("broken.jpg");
    assert!(broken["sha256"].is_string(), "an undecodable image keeps its hashes");
    assert!(broken.get("pdq").is_none());
    assert!(
        broken["error"].as_str().is_some_and(|e| e.starts_with("PDQ not computed: image could not be decoded")),
        "{broken}"
    );
    if real("images/pdq/wee.jpg").is_some() {
        let wee = row("docs/wee.jpg");
        assert_eq!(wee["pdq"], "6227401f601ff4ccafccdfad4b0d95d371a2cb7265a3285234d228ca94deeb2d");
        assert_eq!(wee["pdq_quality"], 100);
    }
    // Events carry the content hashes and the device; special files are recorded, not read.
    let ev = |p: &str| got.events.iter().filter(|e| e["path"] == p).cloned().collect::<Vec<_>>();
    let h = ev("docs/hello.txt");
    assert!(h.len() >= 3);
    assert!(h.iter().all(|e| e["sha256"] == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        && e["device"] == "LAPTOP-1"));
    assert_eq!(h[0]["kind"], "fs.modified");
    let sock = ev("app.sock");
    assert_eq!(sock[0]["attrs"]["content_error"], "not read: a socket");
    if has_fifo {
        assert_eq!(ev("pipe")[0]["attrs"]["content_error"], "not read: a FIFO");
    }
    assert_eq!(ev("link-outside")[0]["attrs"]["link_target"], "/etc/hostname");
    assert_eq!(got.summary.unhashed, 0, "only regular files count as unhashed");
    // The listing digest is stable.
    let again = ingest_tree(&root, Some("LAPTOP-1")).expect("walk");
    assert_eq!(again.summary.sha256, got.summary.sha256);
}

#[test]
fn a_file_that_changes_while_hashed_is_detected() {
    let t = tempfile::tempdir().expect("temp");
    let p = t.path().join("growing.log");
    std::fs::write(&p, b"first line\n").expect("write");
    let before = std::fs::metadata(&p).expect("stat");
    assert_eq!(waybill_ingest::tree::changed(&before, Ok(&before), 11), None);
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).expect("open");
    f.write_all(b"second line\n").expect("append");
    let after = std::fs::metadata(&p).expect("stat");
    let why = waybill_ingest::tree::changed(&before, Ok(&after), 11).expect("changed");
    assert!(why.starts_with("changed while being hashed (before: size 11 "), "{why}");
    assert!(why.contains("after: size 23 ") && why.ends_with("11 bytes read); hashes discarded"), "{why}");
    // Fewer bytes read than the size (truncated under the reader) also counts.
    assert!(waybill_ingest::tree::changed(&before, Ok(&before), 5).is_some());
}

/// Names that are not UTF-8, or hold a `\`, are read by the name the walk
/// found and recorded exactly: hashed, with the path escaped for display and
/// the exact bytes beside it.
#[test]
fn names_that_are_not_utf8_or_hold_a_backslash_are_hashed_and_kept_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().expect("temp");
    let root = t.path().join("tree");
    std::fs::create_dir_all(&root).expect("mkdir");
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(root.join(latin1), b"hello world").expect("write");
    std::fs::write(root.join("C:\\Users\\x.txt"), b"hello world").expect("write");
    let got = ingest_tree(&root, None).expect("walk");
    assert_eq!(got.summary.counts.rejects, 0);
    let paths: Vec<&str> = got.content.iter().map(|c| c["path"].as_str().expect("path")).collect();
    assert_eq!(paths, ["C:\\Users\\x.txt", "caf\\xe9.txt"], "byte order, exact names");
    for c in &got.content {
        assert_eq!(c["sha256"], "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", "{c}");
        assert!(c["error"].is_null(), "{c}");
    }
    let e = got.events.iter().find(|e| e["path"] == "caf\\xe9.txt").expect("event");
    assert_eq!(e["attrs"]["path_bytes"], "636166e92e747874");
    let e = got.events.iter().find(|e| e["path"] == "C:\\Users\\x.txt").expect("event");
    assert!(e["attrs"].get("path_bytes").is_none(), "{e}");
}

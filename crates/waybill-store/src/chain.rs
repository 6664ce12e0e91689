//! Hash-chained JSON Lines files (`manifest.jsonl`, `custody.jsonl`).
//!
//! Every line is one JSON object whose `prev` member is the SHA-256 (hex) of the
//! previous line's bytes (without its newline); the first line's `prev` is 64
//! zeros. Changing, removing or reordering any line breaks the chain at that
//! point. Lines are appended with one write and an fsync; a crash can only leave
//! an incomplete last line (no newline), which a writer removes before appending.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The `prev` of a chain's first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 hex of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A chained JSONL file loaded in memory.
#[derive(Debug, Clone)]
pub struct Chain {
    path: PathBuf,
    lines: Vec<String>,
    /// Bytes of an incomplete last line found at load (a crash residue).
    torn: usize,
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub detail: String,
}

impl Chain {
    /// Loads a chain (an absent file is an empty chain).
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        let text = match fs_err::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let complete = match text.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => 0,
        };
        let torn = text.len() - complete;
        let body = std::str::from_utf8(&text[..complete]).map_err(|_| StoreError::layout(path, "is not UTF-8"))?;
        let lines = body.lines().map(str::to_owned).collect();
        Ok(Self { path: path.to_owned(), lines, torn })
    }

    /// The raw lines.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Parses every line as `T`.
    pub fn entries<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| StoreError::layout(&self.path, &format!("line {}: {e}", i + 1)))
            })
            .collect()
    }

    /// SHA-256 of the last line (the chain head), or [`GENESIS`].
    pub fn head(&self) -> String {
        self.lines.last().map_or_else(|| GENESIS.to_owned(), |l| sha256_hex(l.as_bytes()))
    }

    /// Checks every `prev` link.
    pub fn verify(&self) -> Result<(), ChainBreak> {
        let mut prev = GENESIS.to_owned();
        for (i, line) in self.lines.iter().enumerate() {
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| ChainBreak { line: i + 1, detail: format!("not JSON: {e}") })?;
            let got = v.get("prev").and_then(|p| p.as_str()).unwrap_or("");
            if got != prev {
                return Err(ChainBreak {
                    line: i + 1,
                    detail: format!("prev is {got}, the previous line hashes to {prev}"),
                });
            }
            prev = sha256_hex(line.as_bytes());
        }
        if self.torn > 0 {
            return Err(ChainBreak {
                line: self.lines.len() + 1,
                detail: format!("incomplete last line ({} bytes)", self.torn),
            });
        }
        Ok(())
    }

    /// Appends `entry` with its `prev` set, durably. `entry` must serialize to an
    /// object; its `prev` member is overwritten.
    pub fn append<T: Serialize>(&mut self, entry: &T) -> Result<String, StoreError> {
        let mut v = serde_json::to_value(entry).map_err(|e| StoreError::layout(&self.path, &e.to_string()))?;
        let obj = v.as_object_mut().ok_or_else(|| StoreError::layout(&self.path, "entry is not an object"))?;
        obj.insert("prev".into(), serde_json::Value::String(self.head()));
        let line = serde_json::to_string(&v).map_err(|e| StoreError::layout(&self.path, &e.to_string()))?;
        let mut f = fs_err::OpenOptions::new().create(true).append(true).open(&self.path)?;
        if self.torn > 0 {
            // Remove a crash residue before appending.
            let len = f.metadata()?.len();
            f.file().set_len(len - self.torn as u64)?;
            self.torn = 0;
        }
        let mut buf = line.clone().into_bytes();
        buf.push(b'\n');
        f.write_all(&buf)?;
        f.sync_all()?;
        self.lines.push(line.clone());
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_verify_and_detect_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        let mut c = Chain::load(&p).unwrap();
        c.append(&serde_json::json!({"a": 1})).unwrap();
        c.append(&serde_json::json!({"a": 2})).unwrap();
        let c2 = Chain::load(&p).unwrap();
        assert!(c2.verify().is_ok());
        assert_eq!(c2.lines().len(), 2);
        let text = std::fs::read_to_string(&p).unwrap().replace("\"a\":1", "\"a\":3");
        std::fs::write(&p, text).unwrap();
        let err = Chain::load(&p).unwrap().verify().unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn torn_last_line_is_repaired_on_append() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        let mut c = Chain::load(&p).unwrap();
        c.append(&serde_json::json!({"a": 1})).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"a\":").unwrap();
        let mut c = Chain::load(&p).unwrap();
        assert!(c.verify().is_err());
        c.append(&serde_json::json!({"a": 2})).unwrap();
        let c = Chain::load(&p).unwrap();
        assert!(c.verify().is_ok());
        assert_eq!(c.lines().len(), 2);
    }
}

//! Matching a case's files against reference hash sets.
//!
//! The case's files (typically thousands) are held in memory; reference sets (up
//! to hundreds of millions of entries) are streamed past them, so memory depends on
//! the case, not on the set. Exact hashes are looked up in hash maps; PDQ entries
//! query a multi-index over the files' PDQ hashes ([`crate::index`]).

use std::collections::HashMap;

use crate::hashset::{Entry, HashKind};
use crate::index::{Pdq, PdqIndex, parse_pdq};

/// Quality below which a PDQ hash is not used unless asked (Meta's guidance).
pub const MIN_PDQ_QUALITY: u8 = 50;

/// Default PDQ match distance (Meta's guidance).
pub const DEFAULT_PDQ_DISTANCE: u32 = 31;

/// The keys of one file of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKeys {
    /// SHA-256 (the file's identity).
    pub sha256: String,
    /// MD5.
    pub md5: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
    /// PDQ hex and quality.
    pub pdq: Option<(String, u8)>,
}

/// A file matched by a set entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The file's SHA-256.
    pub sha256: String,
    /// How it matched.
    pub by: HashKind,
    /// Hamming distance (0 for exact hashes).
    pub distance: u32,
    /// The entry's hash value.
    pub value: String,
    /// The entry's category, if the set has one.
    pub category: Option<String>,
    /// Where the entry is in the set.
    pub record: String,
}

/// Options of a matching run.
#[derive(Debug, Clone, Copy)]
pub struct MatchOptions {
    /// Largest PDQ Hamming distance that matches.
    pub pdq_distance: u32,
    /// Use PDQ hashes of any quality (otherwise quality ≥ 50 on both sides).
    pub any_quality: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        Self { pdq_distance: DEFAULT_PDQ_DISTANCE, any_quality: false }
    }
}

/// The case's files, indexed for matching.
pub struct Matcher {
    files: Vec<FileKeys>,
    by_sha256: HashMap<String, usize>,
    by_md5: HashMap<String, Vec<usize>>,
    by_sha1: HashMap<String, Vec<usize>>,
    pdq: PdqIndex,
    pdq_file: Vec<usize>,
    opts: MatchOptions,
}

impl Matcher {
    /// Indexes the files.
    pub fn new(files: Vec<FileKeys>, opts: MatchOptions) -> Self {
        let mut by_sha256 = HashMap::new();
        let mut by_md5: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_sha1: HashMap<String, Vec<usize>> = HashMap::new();
        let mut hashes: Vec<Pdq> = Vec::new();
        let mut pdq_file = Vec::new();
        for (i, f) in files.iter().enumerate() {
            by_sha256.insert(f.sha256.to_ascii_lowercase(), i);
            if let Some(m) = &f.md5 {
                by_md5.entry(m.to_ascii_lowercase()).or_default().push(i);
            }
            if let Some(s) = &f.sha1 {
                by_sha1.entry(s.to_ascii_lowercase()).or_default().push(i);
            }
            if let Some((hex, q)) = &f.pdq
                && (opts.any_quality || *q >= MIN_PDQ_QUALITY)
                && let Some(h) = parse_pdq(hex)
            {
                hashes.push(h);
                pdq_file.push(i);
            }
        }
        Self { files, by_sha256, by_md5, by_sha1, pdq: PdqIndex::new(hashes), pdq_file, opts }
    }

    /// Files whose PDQ hash takes part in matching.
    pub fn pdq_files(&self) -> usize {
        self.pdq.len()
    }

    /// The files an entry matches (appended to `out`). `seen` is scratch space.
    pub fn check(&self, e: &Entry, seen: &mut Vec<u32>, out: &mut Vec<Match>) {
        let mk = |i: usize, distance: u32| Match {
            sha256: self.files[i].sha256.clone(),
            by: e.kind,
            distance,
            value: e.value.clone(),
            category: e.category.clone(),
            record: e.record.clone(),
        };
        match e.kind {
            HashKind::Sha256 => {
                if let Some(i) = self.by_sha256.get(&e.value) {
                    out.push(mk(*i, 0));
                }
            }
            HashKind::Md5 => out.extend(self.by_md5.get(&e.value).into_iter().flatten().map(|i| mk(*i, 0))),
            HashKind::Sha1 => out.extend(self.by_sha1.get(&e.value).into_iter().flatten().map(|i| mk(*i, 0))),
            HashKind::Pdq => {
                if !self.opts.any_quality && e.quality.is_some_and(|q| q < MIN_PDQ_QUALITY) {
                    return;
                }
                let Some(q) = parse_pdq(&e.value) else { return };
                for (id, d) in self.pdq.query(&q, self.opts.pdq_distance, seen) {
                    out.push(mk(self.pdq_file[id as usize], d));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: HashKind, value: &str, quality: Option<u8>) -> Entry {
        Entry { kind, value: value.into(), category: None, quality, record: "line 1".into() }
    }

    #[test]
    fn exact_and_pdq_matches() {
        let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let files = vec![
            FileKeys { sha256: "aa".repeat(32), md5: Some("bb".repeat(16)), sha1: None, pdq: Some((pdq.into(), 100)) },
            FileKeys { sha256: "cc".repeat(32), md5: Some("bb".repeat(16)), sha1: None, pdq: Some((pdq.into(), 20)) },
        ];
        let m = Matcher::new(files, MatchOptions::default());
        let mut seen = Vec::new();
        let mut out = Vec::new();
        m.check(&entry(HashKind::Md5, &"bb".repeat(16), None), &mut seen, &mut out);
        assert_eq!(out.len(), 2, "one MD5 can match several contents");
        out.clear();
        // 4 bits away: matches the good-quality file only.
        let near = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2d";
        m.check(&entry(HashKind::Pdq, near, Some(100)), &mut seen, &mut out);
        assert_eq!(
            out.iter().map(|x| (x.sha256.as_str(), x.distance)).collect::<Vec<_>>(),
            [("aa".repeat(32).as_str(), 4)]
        );
        out.clear();
        m.check(&entry(HashKind::Pdq, near, Some(10)), &mut seen, &mut out);
        assert!(out.is_empty(), "low-quality reference hashes are ignored");
    }
}

//! Readers for reference hash sets.
//!
//! Formats, recognised from content:
//! - **plain lists**: one hash per line (hex; the kind follows from the length:
//!   32 MD5, 40 SHA-1, 64 SHA-256), `#` comments, optional text after the hash
//!   (so `md5sum`/`sha256sum` output reads as is);
//! - **hashdeep / md5deep** output: `%%%% HASHDEEP-1.0`, a `%%%% size,md5,…,filename`
//!   column line, `##` comments, then CSV rows;
//! - **NSRL RDS v3** (SQLite): the `FILE` table's `md5`, `sha1`, `sha256` columns;
//! - **Project VIC VICS JSON**: every object with `MD5`/`SHA1`/`SHA256` members
//!   (any nesting: the `value` array of OData exports, `Media` arrays), with its
//!   `Category` kept;
//! - **PDQ lists**: `hash,quality` lines, or plain 64-hex lines when the set is
//!   named `pdq:FILE` (a bare 64-hex line is read as SHA-256 otherwise).
//!
//! Entries are streamed to a callback, never collected, so a set of any size is
//! read in bounded memory. A malformed line is a reject with its line number, never
//! a silent skip.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

/// What a hash in a set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashKind {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// PDQ (256-bit perceptual).
    Pdq,
}

impl HashKind {
    /// `md5`, `sha1`, `sha256`, `pdq` (the `by` column of `interest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Pdq => "pdq",
        }
    }

    fn from_len(n: usize) -> Option<Self> {
        match n {
            32 => Some(Self::Md5),
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// One hash of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Kind.
    pub kind: HashKind,
    /// Lower-case hex.
    pub value: String,
    /// The set's category for it (VICS), if any.
    pub category: Option<String>,
    /// PDQ quality, if given.
    pub quality: Option<u8>,
    /// Where it is in the set (`line 12`, `value[3]`, `FILE rowid 9`).
    pub record: String,
}

/// A line or row of a set that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetReject {
    /// Where.
    pub record: String,
    /// Why.
    pub reason: String,
    /// The raw text (at most 256 bytes).
    pub excerpt: String,
}

/// What reading a set gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetSummary {
    /// Format read (`plain`, `hashdeep`, `nsrl_rds`, `vics_json`, `pdq`).
    pub format: &'static str,
    /// Records (lines, rows, objects) read.
    pub records: u64,
    /// Hash entries produced.
    pub entries: u64,
    /// Records rejected. Every record either gives one or more entries (all
    /// naming it) or is rejected once: a record with no usable hash is a reject.
    pub rejects: u64,
}

/// Why a whole set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HashSetError {
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The set.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// SQLite.
    #[error("{path}: {source}")]
    Sqlite {
        /// The set.
        path: String,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// Not a hash set waybill reads.
    #[error("{path}: {detail}")]
    Format {
        /// The set.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn excerpt(s: &str) -> String {
    let mut cut = s.len().min(256);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s[..cut].to_owned()
}

/// Reads a set. `pdq` forces 64-hex plain lines to be PDQ hashes. Entries go to
/// `entry`, rejects to `reject`.
pub fn read_set(
    path: &Path,
    pdq: bool,
    entry: &mut dyn FnMut(Entry),
    reject: &mut dyn FnMut(SetReject),
) -> Result<SetSummary, HashSetError> {
    let p = path.display().to_string();
    let io = |source| HashSetError::Io { path: p.clone(), source };
    let mut head = [0u8; 4096];
    let n = {
        let mut f = std::fs::File::open(path).map_err(io)?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(io(e)),
            }
        }
        n
    };
    let head = &head[..n];
    if head.starts_with(b"SQLite format 3\0") {
        return read_nsrl(path, entry, reject);
    }
    let text_head = String::from_utf8_lossy(head);
    let trimmed = text_head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return read_vics(path, entry, reject);
    }
    let f = std::fs::File::open(path).map_err(io)?;
    if trimmed.starts_with("%%%% HASHDEEP") || trimmed.starts_with("%%%% size") {
        return read_hashdeep(&p, BufReader::new(f), entry, reject);
    }
    read_plain(&p, BufReader::new(f), pdq, entry, reject)
}

fn for_lines(
    path: &str,
    reader: impl BufRead,
    mut f: impl FnMut(u64, &str) -> Result<(), String>,
    summary: &mut SetSummary,
    reject: &mut dyn FnMut(SetReject),
) -> Result<(), HashSetError> {
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|source| HashSetError::Io { path: path.to_owned(), source })?;
        let text = String::from_utf8_lossy(&line);
        let t = text.trim_matches(|c: char| c == '\r' || c.is_whitespace() || c == '\u{feff}');
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let n = i as u64 + 1;
        summary.records += 1;
        if let Err(reason) = f(n, t) {
            summary.rejects += 1;
            reject(SetReject { record: format!("line {n}"), reason, excerpt: excerpt(t) });
        }
    }
    Ok(())
}

fn read_plain(
    path: &str,
    reader: impl BufRead,
    force_pdq: bool,
    entry: &mut dyn FnMut(Entry),
    reject: &mut dyn FnMut(SetReject),
) -> Result<SetSummary, HashSetError> {
    let mut s = SetSummary { format: if force_pdq { "pdq" } else { "plain" }, ..SetSummary::default() };
    let mut entries = 0u64;
    let mut saw_pdq_quality = false;
    for_lines(
        path,
        reader,
        |n, t| {
            // `hash,quality` (PDQ lists), `hash  name` (md5sum), `hash` alone.
            let (first, rest) = match t.split_once(',') {
                Some((h, q)) if !h.contains(char::is_whitespace) => (h.trim(), Some(q.trim())),
                _ => (t.split_whitespace().next().unwrap_or(""), None),
            };
            let first = first.strip_prefix("0x").unwrap_or(first);
            if !is_hex(first) {
                return Err(format!("{first:?} is not a hexadecimal hash"));
            }
            let quality = match rest {
                Some(q) => {
                    let q: u8 = q
                        .split(',')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .parse()
                        .map_err(|_| format!("quality {q:?} is not a number 0–100"))?;
                    if q > 100 {
                        return Err(format!("quality {q} is above 100"));
                    }
                    Some(q)
                }
                None => None,
            };
            let kind = if first.len() == 64 && (force_pdq || quality.is_some()) {
                saw_pdq_quality |= quality.is_some();
                HashKind::Pdq
            } else {
                HashKind::from_len(first.len()).ok_or_else(|| {
                    format!("{} hex digits is no MD5 (32), SHA-1 (40) or SHA-256/PDQ (64)", first.len())
                })?
            };
            entries += 1;
            entry(Entry {
                kind,
                value: first.to_ascii_lowercase(),
                category: None,
                quality,
                record: format!("line {n}"),
            });
            Ok(())
        },
        &mut s,
        reject,
    )?;
    if saw_pdq_quality {
        s.format = "pdq";
    }
    s.entries = entries;
    Ok(s)
}

fn read_hashdeep(
    path: &str,
    reader: impl BufRead,
    entry: &mut dyn FnMut(Entry),
    reject: &mut dyn FnMut(SetReject),
) -> Result<SetSummary, HashSetError> {
    let mut s = SetSummary { format: "hashdeep", ..SetSummary::default() };
    let mut columns: Vec<String> = Vec::new();
    let mut entries = 0u64;
    let mut records = 0u64;
    let mut rejects = 0u64;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|source| HashSetError::Io { path: path.to_owned(), source })?;
        let text = String::from_utf8_lossy(&line);
        let t = text.trim_end_matches('\r');
        if t.is_empty() || t.starts_with("##") {
            continue;
        }
        if let Some(d) = t.strip_prefix("%%%%") {
            let d = d.trim();
            if !d.starts_with("HASHDEEP") {
                columns = d.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
            }
            continue;
        }
        let n = i as u64 + 1;
        records += 1;
        let mut bad = |reason: String| {
            rejects += 1;
            reject(SetReject { record: format!("line {n}"), reason, excerpt: excerpt(t) });
        };
        if columns.is_empty() {
            bad("row before the %%%% column line".into());
            continue;
        }
        // The file name is last and may contain commas.
        let fields: Vec<&str> = t.splitn(columns.len(), ',').collect();
        if fields.len() != columns.len() {
            bad(format!("{} fields, the header declares {}", fields.len(), columns.len()));
            continue;
        }
        let mut row = Vec::new();
        for (c, v) in columns.iter().zip(&fields) {
            let kind = match c.as_str() {
                "md5" => HashKind::Md5,
                "sha1" => HashKind::Sha1,
                "sha256" => HashKind::Sha256,
                _ => continue,
            };
            let want = match kind {
                HashKind::Md5 => 32,
                HashKind::Sha1 => 40,
                _ => 64,
            };
            if v.len() != want || !is_hex(v) {
                row.clear();
                bad(format!("column {c}: {v:?} is not a {c} hash"));
                break;
            }
            row.push((kind, v.to_ascii_lowercase()));
        }
        if row.is_empty() {
            // Empty after a bad value (already rejected), or no hash column.
            if !columns.iter().any(|c| matches!(c.as_str(), "md5" | "sha1" | "sha256")) {
                bad("no md5, sha1 or sha256 column: the row holds no hash".into());
            }
            continue;
        }
        for (kind, value) in row {
            entries += 1;
            entry(Entry { kind, value, category: None, quality: None, record: format!("line {n}") });
        }
    }
    s.records = records;
    s.rejects = rejects;
    s.entries = entries;
    Ok(s)
}

fn read_nsrl(
    path: &Path,
    entry: &mut dyn FnMut(Entry),
    reject: &mut dyn FnMut(SetReject),
) -> Result<SetSummary, HashSetError> {
    let p = path.display().to_string();
    let sq = |source| HashSetError::Sqlite { path: p.clone(), source };
    let uri = format!("file:{}?mode=ro&immutable=1", path.display());
    let conn = rusqlite::Connection::open_with_flags(
        uri,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(sq)?;
    let cols: Vec<String> = {
        let mut st = conn.prepare("SELECT name FROM pragma_table_info('FILE')").map_err(sq)?;
        st.query_map([], |r| r.get::<_, String>(0)).map_err(sq)?.collect::<Result<_, _>>().map_err(sq)?
    };
    if cols.is_empty() {
        return Err(HashSetError::Format { path: p, detail: "SQLite without an NSRL RDS `FILE` table".into() });
    }
    let wanted: Vec<(&str, HashKind)> =
        [("md5", HashKind::Md5), ("sha1", HashKind::Sha1), ("sha256", HashKind::Sha256)]
            .into_iter()
            .filter(|(c, _)| cols.iter().any(|x| x.eq_ignore_ascii_case(c)))
            .collect();
    let select = wanted.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
    let mut st = conn.prepare(&format!("SELECT rowid, {select} FROM FILE")).map_err(sq)?;
    let mut rows = st.query([]).map_err(sq)?;
    let mut s = SetSummary { format: "nsrl_rds", ..SetSummary::default() };
    while let Some(r) = rows.next().map_err(sq)? {
        s.records += 1;
        let rowid: i64 = r.get(0).unwrap_or(0);
        let record = format!("FILE rowid {rowid}");
        let mut out = Vec::new();
        let mut err = None;
        for (i, (c, kind)) in wanted.iter().enumerate() {
            let v: Option<String> = r.get(i + 1).ok().flatten();
            let Some(v) = v.filter(|v| !v.is_empty()) else { continue };
            let want = match kind {
                HashKind::Md5 => 32,
                HashKind::Sha1 => 40,
                _ => 64,
            };
            if v.len() == want && is_hex(&v) {
                out.push((*kind, v.to_ascii_lowercase()));
            } else {
                err = Some(format!("column {c}: {v:?} is not a {c} hash"));
                break;
            }
        }
        match err {
            Some(reason) => {
                s.rejects += 1;
                reject(SetReject { record, reason, excerpt: String::new() });
            }
            None if out.is_empty() => {
                s.rejects += 1;
                reject(SetReject { record, reason: "no hash value in the row".into(), excerpt: String::new() });
            }
            None => {
                for (kind, value) in out {
                    s.entries += 1;
                    entry(Entry { kind, value, category: None, quality: None, record: record.clone() });
                }
            }
        }
    }
    Ok(s)
}

fn read_vics(
    path: &Path,
    entry: &mut dyn FnMut(Entry),
    reject: &mut dyn FnMut(SetReject),
) -> Result<SetSummary, HashSetError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| HashSetError::Io { path: p.clone(), source })?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| HashSetError::Format { path: p.clone(), detail: format!("not JSON: {e}") })?;
    let mut s = SetSummary { format: "vics_json", ..SetSummary::default() };
    walk_vics(&doc, "$", &mut s, entry, reject);
    if s.records == 0 {
        return Err(HashSetError::Format {
            path: p,
            detail: "JSON with no object carrying MD5, SHA1 or SHA256".into(),
        });
    }
    Ok(s)
}

fn member<'a>(o: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

fn walk_vics(v: &Value, at: &str, s: &mut SetSummary, entry: &mut dyn FnMut(Entry), reject: &mut dyn FnMut(SetReject)) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_vics(item, &format!("{at}[{i}]"), s, entry, reject);
            }
        }
        Value::Object(o) => {
            let hashes: Vec<(HashKind, &Value)> =
                [("MD5", HashKind::Md5), ("SHA1", HashKind::Sha1), ("SHA256", HashKind::Sha256)]
                    .into_iter()
                    .filter_map(|(k, kind)| member(o, k).filter(|v| !v.is_null()).map(|v| (kind, v)))
                    .collect();
            if !hashes.is_empty() {
                s.records += 1;
                let category = member(o, "Category").filter(|c| !c.is_null()).map(|c| match c {
                    Value::String(x) => x.clone(),
                    other => other.to_string(),
                });
                let mut out = Vec::new();
                for (kind, hv) in hashes {
                    let want = match kind {
                        HashKind::Md5 => 32,
                        HashKind::Sha1 => 40,
                        _ => 64,
                    };
                    match hv.as_str() {
                        Some("") => {}
                        Some(h) if h.len() == want && is_hex(h) => out.push((kind, h.to_ascii_lowercase())),
                        _ => {
                            s.rejects += 1;
                            reject(SetReject {
                                record: at.to_owned(),
                                reason: format!("{} {hv} is not a {} hash", kind.as_str(), kind.as_str()),
                                excerpt: excerpt(&Value::Object(o.clone()).to_string()),
                            });
                            return;
                        }
                    }
                }
                if out.is_empty() {
                    s.rejects += 1;
                    reject(SetReject {
                        record: at.to_owned(),
                        reason: "no hash value in the object".into(),
                        excerpt: excerpt(&Value::Object(o.clone()).to_string()),
                    });
                }
                for (kind, value) in out {
                    s.entries += 1;
                    entry(Entry { kind, value, category: category.clone(), quality: None, record: at.to_owned() });
                }
            }
            for (k, child) in o {
                if child.is_array() || child.is_object() {
                    walk_vics(child, &format!("{at}.{k}"), s, entry, reject);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, name: &str, pdq: bool) -> (SetSummary, Vec<Entry>, Vec<SetReject>) {
        let dir = std::env::temp_dir().join(format!("waybill-hashset-{}-{name}", std::process::id()));
        std::fs::write(&dir, text).unwrap();
        let mut e = Vec::new();
        let mut r = Vec::new();
        let s = read_set(&dir, pdq, &mut |x| e.push(x), &mut |x| r.push(x)).unwrap();
        let _ = std::fs::remove_file(&dir);
        (s, e, r)
    }

    #[test]
    fn plain_list_kinds_comments_and_rejects() {
        let (s, e, r) = read(
            "# test set\n5eb63bbbe01eeed093cb22bb8f5acdc3\n2AAE6C35C94FCFB415DBE95F408B9CE91EE846ED  hello.txt\n\nnot-a-hash\nb94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\nabcd\n",
            "plain",
            false,
        );
        assert_eq!((s.format, s.records, s.entries, s.rejects), ("plain", 5, 3, 2));
        assert_eq!(e[1].kind, HashKind::Sha1);
        assert_eq!(e[1].value, "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed");
        assert_eq!(e[2].kind, HashKind::Sha256);
        assert_eq!(r.iter().map(|x| x.record.as_str()).collect::<Vec<_>>(), ["line 5", "line 7"]);
    }

    #[test]
    fn pdq_lists() {
        let (s, e, r) = read(
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100\nf8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,101\n",
            "pdq",
            false,
        );
        assert_eq!((s.format, s.entries, s.rejects), ("pdq", 1, 1));
        assert_eq!((e[0].kind, e[0].quality), (HashKind::Pdq, Some(100)));
        assert_eq!(r[0].record, "line 2");
        let (_, e, _) = read("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n", "pdq2", true);
        assert_eq!(e[0].kind, HashKind::Pdq);
    }

    #[test]
    fn hashdeep_output() {
        let text = "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /tmp\n## $ hashdeep -r .\n##\n11,5eb63bbbe01eeed093cb22bb8f5acdc3,b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9,/tmp/a,b.txt\n3,xyz,b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9,/tmp/c\n";
        let (s, e, r) = read(text, "hd", false);
        assert_eq!((s.format, s.records, s.entries, s.rejects), ("hashdeep", 2, 2, 1));
        assert_eq!(e[0].kind, HashKind::Md5);
        assert_eq!(r[0].record, "line 7");
    }

    #[test]
    fn vics_json_with_categories() {
        let text = r#"{"odata.metadata":"http://example.test/$metadata#Cases","value":[{"CaseID":"c1","Media":[{"MediaID":1,"Category":2,"MD5":"5EB63BBBE01EEED093CB22BB8F5ACDC3","SHA1":"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"},{"MediaID":2,"Category":0,"MD5":"zz"}]}]}"#;
        let (s, e, r) = read(text, "vics", false);
        assert_eq!((s.format, s.records, s.entries, s.rejects), ("vics_json", 2, 2, 1));
        assert_eq!(e[0].category.as_deref(), Some("2"));
        assert_eq!(e[0].value, "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(r[0].record, "$.value[0].Media[1]");
    }
}

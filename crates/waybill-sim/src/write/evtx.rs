//! The Windows Security event log (`Security.evtx`): logons (4624), logoffs
//! (4634), lock and unlock (4800/4801), as Windows writes them.
//!
//! The layout follows MS-EVEN6 (BinXML, 2.2.3.1) and libyal's libevtx
//! documentation, as the fixture writer `windows_evtx/make.py` of the ingest
//! tests does (an independent writer; this one does not call waybill's reader):
//! - a 4,096-byte file header (128 bytes used, EVTX 3.1, CRC32 of its first
//!   120 bytes, flags clean);
//! - 65,536-byte chunks: a 512-byte header with record numbers and ids, the
//!   last record's offset, the free space offset, the CRC32 of the records and
//!   its own CRC32 (bytes 0..120 and 128..512), the string and template tables;
//! - records: magic `**\0\0`, size, record id, written time (FILETIME), BinXML,
//!   size copy, 8-byte aligned. Each record's BinXML is a template instance;
//!   the first record of a chunk that uses a template holds its definition
//!   (names stored once per chunk, referred to by offset after that), with
//!   typed substitution values (UInt16 EventID, FILETIME SystemTime, SID,
//!   HexInt64 logon ids), as the Security-Auditing provider types them.

use std::path::Path;

use crate::world::Micros;

const CHUNK_SIZE: usize = 65_536;
const CHUNK_HEADER: usize = 512;
const FILE_HEADER: usize = 4_096;

const NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
const PROVIDER: &str = "Microsoft-Windows-Security-Auditing";
const PROVIDER_GUID: &str = "{54849625-5478-4994-A5BA-3E3B0328C30D}";

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_EPOCH_S: i64 = 11_644_473_600;

/// A presence event of the subject's Windows session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// 4624: an account logged on.
    Logon {
        /// 2 interactive, 3 network, 5 service, 7 unlock.
        logon_type: u32,
        /// The new session's logon id (`TargetLogonId`).
        logon_id: u64,
    },
    /// 4634: a logon session ended.
    Logoff {
        /// The type of the logon that ended.
        logon_type: u32,
        /// The ended session's logon id.
        logon_id: u64,
    },
    /// 4800: the workstation was locked.
    Lock,
    /// 4801: the workstation was unlocked.
    Unlock,
}

/// One record to write: the device's clock time and the event.
#[derive(Debug, Clone)]
pub struct Record {
    /// Written time, µs since 1970 on the device's clock.
    pub ts: Micros,
    /// What happened.
    pub event: Presence,
}

/// Who the records are about.
#[derive(Debug, Clone)]
pub struct Host {
    /// The computer's name (`System/Computer`).
    pub computer: String,
    /// The domain (or computer) name of the account.
    pub domain: String,
    /// The account.
    pub user: String,
    /// The account's SID.
    pub sid: String,
    /// The interactive session's logon id (of its lock and unlock events).
    pub logon_id: u64,
}

// BinXML value types.
const NULL: u8 = 0x00;
const STRING: u8 = 0x01;
const UINT8: u8 = 0x04;
const UINT16: u8 = 0x06;
const UINT32: u8 = 0x08;
const UINT64: u8 = 0x0a;
const GUID: u8 = 0x0f;
const FILETIME: u8 = 0x11;
const SID: u8 = 0x13;
const HEX64: u8 = 0x15;

/// A typed substitution value.
enum Val {
    Null,
    Str(String),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    Guid([u8; 16]),
    FileTime(u64),
    Sid(String),
    Hex64(u64),
}

impl Val {
    fn vtype(&self) -> u8 {
        match self {
            Val::Null => NULL,
            Val::Str(_) => STRING,
            Val::U8(_) => UINT8,
            Val::U16(_) => UINT16,
            Val::U32(_) => UINT32,
            Val::U64(_) => UINT64,
            Val::Guid(_) => GUID,
            Val::FileTime(_) => FILETIME,
            Val::Sid(_) => SID,
            Val::Hex64(_) => HEX64,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Val::Null => Vec::new(),
            Val::Str(s) => utf16(s),
            Val::U8(v) => vec![*v],
            Val::U16(v) => v.to_le_bytes().to_vec(),
            Val::U32(v) => v.to_le_bytes().to_vec(),
            Val::U64(v) | Val::FileTime(v) | Val::Hex64(v) => v.to_le_bytes().to_vec(),
            Val::Guid(g) => g.to_vec(),
            Val::Sid(s) => sid_bytes(s),
        }
    }
}

pub(crate) fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `S-1-5-21-…` in its binary form: revision, count, 48-bit big-endian
/// authority, little-endian sub-authorities.
fn sid_bytes(sid: &str) -> Vec<u8> {
    let parts: Vec<u64> = sid.split('-').skip(1).filter_map(|p| p.parse().ok()).collect();
    let (rev, auth, subs) = match parts.as_slice() {
        [rev, auth, subs @ ..] => (*rev, *auth, subs),
        _ => (1, 0, &[][..]),
    };
    let mut b = vec![rev as u8, subs.len() as u8];
    b.extend_from_slice(&auth.to_be_bytes()[2..]);
    for s in subs {
        b.extend_from_slice(&(*s as u32).to_le_bytes());
    }
    b
}

/// 100 ns intervals since 1601 of `us` since 1970.
fn filetime(us: Micros) -> u64 {
    ((us + FILETIME_EPOCH_S * 1_000_000) * 10).max(0) as u64
}

/// The hash of a name in the chunk's string table.
fn name_hash(name: &str) -> u16 {
    let h = name.encode_utf16().fold(0u32, |h, cu| h.wrapping_mul(65_599).wrapping_add(u32::from(cu)));
    (h & 0xffff) as u16
}

/// A template node: an element with attributes and children; values and
/// texts are literals or substitutions.
enum Node {
    El { name: &'static str, attrs: Vec<(&'static str, Node)>, children: Vec<Node> },
    Text(String),
    Sub { index: u16, vtype: u8, optional: bool },
}

fn el(name: &'static str, attrs: Vec<(&'static str, Node)>, children: Vec<Node>) -> Node {
    Node::El { name, attrs, children }
}

fn sub(index: u16, vtype: u8) -> Node {
    Node::Sub { index, vtype, optional: false }
}

/// The System part every Security template shares: substitutions 0..=9.
const SYSTEM: [(&str, u8); 10] = [
    ("Level", UINT8),
    ("Task", UINT16),
    ("Opcode", UINT8),
    ("Keywords", HEX64),
    ("SystemTime", FILETIME),
    ("EventID", UINT16),
    ("Version", UINT8),
    ("EventRecordID", UINT64),
    ("ProcessID", UINT32),
    ("ThreadID", UINT32),
];

fn template(computer: &str, data: &[(&'static str, u8)]) -> Node {
    let s = |name: &str| {
        let i = SYSTEM.iter().position(|(n, _)| *n == name).unwrap_or(0);
        sub(i as u16, SYSTEM[i].1)
    };
    let system = el(
        "System",
        vec![],
        vec![
            el(
                "Provider",
                vec![("Name", Node::Text(PROVIDER.into())), ("Guid", Node::Text(PROVIDER_GUID.into()))],
                vec![],
            ),
            el("EventID", vec![], vec![s("EventID")]),
            el("Version", vec![], vec![s("Version")]),
            el("Level", vec![], vec![s("Level")]),
            el("Task", vec![], vec![s("Task")]),
            el("Opcode", vec![], vec![s("Opcode")]),
            el("Keywords", vec![], vec![s("Keywords")]),
            el("TimeCreated", vec![("SystemTime", s("SystemTime"))], vec![]),
            el("EventRecordID", vec![], vec![s("EventRecordID")]),
            el("Correlation", vec![], vec![]),
            el("Execution", vec![("ProcessID", s("ProcessID")), ("ThreadID", s("ThreadID"))], vec![]),
            el("Channel", vec![], vec![Node::Text("Security".into())]),
            el("Computer", vec![], vec![Node::Text(computer.to_owned())]),
            el("Security", vec![], vec![]),
        ],
    );
    let first = SYSTEM.len() as u16 + 1;
    let event_data = el(
        "EventData",
        vec![],
        data.iter()
            .enumerate()
            .map(|(i, (n, t))| {
                el(
                    "Data",
                    vec![("Name", Node::Text((*n).into()))],
                    vec![Node::Sub { index: first + i as u16, vtype: *t, optional: true }],
                )
            })
            .collect(),
    );
    el("Event", vec![("xmlns", Node::Text(NS.into()))], vec![system, event_data])
}

/// One chunk being filled.
struct Chunk {
    data: Vec<u8>,
    /// Where the next record goes.
    off: usize,
    /// Name → offset of its string-table entry.
    names: Vec<(String, u32)>,
    /// Template key → (offset of its definition, GUID).
    templates: Vec<(&'static str, u32, [u8; 16])>,
    /// (record id, offset).
    records: Vec<(u64, usize)>,
}

impl Chunk {
    fn new() -> Self {
        Self {
            data: vec![0; CHUNK_SIZE],
            off: CHUNK_HEADER,
            names: Vec::new(),
            templates: Vec::new(),
            records: Vec::new(),
        }
    }
}

/// BinXML of one record, for chunk offset `base`.
struct BinXml<'c> {
    chunk: &'c mut Chunk,
    base: usize,
    out: Vec<u8>,
}

impl BinXml<'_> {
    fn pos(&self) -> usize {
        self.base + self.out.len()
    }

    fn name_ref(&mut self, name: &str) {
        if let Some((_, at)) = self.chunk.names.iter().find(|(n, _)| n == name) {
            self.out.extend_from_slice(&at.to_le_bytes());
            return;
        }
        // First use in the chunk: the name follows its reference.
        let at = (self.pos() + 4) as u32;
        self.chunk.names.push((name.to_owned(), at));
        self.out.extend_from_slice(&at.to_le_bytes());
        self.out.extend_from_slice(&0u32.to_le_bytes());
        self.out.extend_from_slice(&name_hash(name).to_le_bytes());
        self.out.extend_from_slice(&(name.encode_utf16().count() as u16).to_le_bytes());
        self.out.extend_from_slice(&utf16(name));
        self.out.extend_from_slice(&[0, 0]);
    }

    fn value(&mut self, n: &Node) {
        match n {
            Node::Sub { index, vtype, optional } => {
                self.out.push(if *optional { 0x0e } else { 0x0d });
                self.out.extend_from_slice(&index.to_le_bytes());
                self.out.push(*vtype);
            }
            Node::Text(t) => {
                self.out.extend_from_slice(&[0x05, STRING]);
                self.out.extend_from_slice(&(t.encode_utf16().count() as u16).to_le_bytes());
                self.out.extend_from_slice(&utf16(t));
            }
            Node::El { .. } => self.element(n),
        }
    }

    fn element(&mut self, n: &Node) {
        let Node::El { name, attrs, children } = n else {
            return self.value(n);
        };
        self.out.push(if attrs.is_empty() { 0x01 } else { 0x41 });
        self.out.extend_from_slice(&0xffffu16.to_le_bytes());
        let size_at = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        self.name_ref(name);
        if !attrs.is_empty() {
            let list_at = self.out.len();
            self.out.extend_from_slice(&[0; 4]);
            for (i, (an, av)) in attrs.iter().enumerate() {
                self.out.push(if i + 1 < attrs.len() { 0x46 } else { 0x06 });
                self.name_ref(an);
                self.value(av);
            }
            let len = (self.out.len() - list_at - 4) as u32;
            self.out[list_at..list_at + 4].copy_from_slice(&len.to_le_bytes());
        }
        if children.is_empty() {
            self.out.push(0x03);
        } else {
            self.out.push(0x02);
            for c in children {
                self.value(c);
            }
            self.out.push(0x04);
        }
        let len = (self.out.len() - size_at - 4) as u32;
        self.out[size_at..size_at + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// A record's BinXML: fragment header, template instance (with the
/// definition the first time in the chunk), values, end of stream.
fn record_binxml(chunk: &mut Chunk, base: usize, key: &'static str, tmpl: &Node, values: &[Val]) -> Vec<u8> {
    let known = chunk.templates.iter().find(|(k, _, _)| *k == key).map(|(_, at, g)| (*at, *g));
    let mut w = BinXml { chunk, base, out: Vec::new() };
    w.out.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00, 0x0c, 0x01]);
    match known {
        Some((at, guid)) => {
            w.out.extend_from_slice(&guid[..4]);
            w.out.extend_from_slice(&at.to_le_bytes());
        }
        None => {
            let digest = <sha2::Sha256 as sha2::Digest>::digest(key.as_bytes());
            let mut guid = [0u8; 16];
            guid.copy_from_slice(&digest[..16]);
            let at = (w.pos() + 8) as u32;
            w.out.extend_from_slice(&guid[..4]);
            w.out.extend_from_slice(&at.to_le_bytes());
            let hdr = w.out.len();
            w.out.extend_from_slice(&0u32.to_le_bytes());
            w.out.extend_from_slice(&guid);
            w.out.extend_from_slice(&[0; 4]);
            let body = w.out.len();
            w.out.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
            w.element(tmpl);
            w.out.push(0x00);
            let len = (w.out.len() - body) as u32;
            w.out[hdr + 20..hdr + 24].copy_from_slice(&len.to_le_bytes());
            w.chunk.templates.push((key, at, guid));
        }
    }
    w.out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    let blobs: Vec<Vec<u8>> = values.iter().map(Val::bytes).collect();
    for (v, b) in values.iter().zip(&blobs) {
        w.out.extend_from_slice(&(b.len() as u16).to_le_bytes());
        w.out.extend_from_slice(&[v.vtype(), 0]);
    }
    for b in blobs {
        w.out.extend_from_slice(&b);
    }
    w.out.push(0x00);
    w.out
}

/// The template key, EventData layout and values of one event.
fn event(host: &Host, r: &Record, rid: u64) -> (&'static str, Vec<(&'static str, u8)>, Vec<Val>) {
    let system = |id: u16, version: u8, task: u16, tid: u32| {
        vec![
            Val::U8(0),
            Val::U16(task),
            Val::U8(0),
            Val::Hex64(0x8020_0000_0000_0000),
            Val::FileTime(filetime(r.ts)),
            Val::U16(id),
            Val::U8(version),
            Val::U64(rid),
            Val::U32(668),
            Val::U32(tid),
            Val::Null,
        ]
    };
    let session =
        [("TargetUserSid", SID), ("TargetUserName", STRING), ("TargetDomainName", STRING), ("TargetLogonId", HEX64)];
    let target = |logon_id: u64| {
        vec![
            Val::Sid(host.sid.clone()),
            Val::Str(host.user.clone()),
            Val::Str(host.domain.clone()),
            Val::Hex64(logon_id),
        ]
    };
    match &r.event {
        Presence::Lock | Presence::Unlock => {
            let id = if r.event == Presence::Lock { 4800 } else { 4801 };
            let mut data = session.to_vec();
            data.push(("SessionId", UINT32));
            let mut v = system(id, 0, 12551, 2044);
            v.extend(target(host.logon_id));
            v.push(Val::U32(1));
            ("4800", data, v)
        }
        Presence::Logoff { logon_type, logon_id } => {
            let mut data = session.to_vec();
            data.push(("LogonType", UINT32));
            let mut v = system(4634, 0, 12545, 3412);
            v.extend(target(*logon_id));
            v.push(Val::U32(*logon_type));
            ("4634", data, v)
        }
        Presence::Logon { logon_type, logon_id } => {
            let data = vec![
                ("SubjectUserSid", SID),
                ("SubjectUserName", STRING),
                ("SubjectDomainName", STRING),
                ("SubjectLogonId", HEX64),
                ("TargetUserSid", SID),
                ("TargetUserName", STRING),
                ("TargetDomainName", STRING),
                ("TargetLogonId", HEX64),
                ("LogonType", UINT32),
                ("LogonProcessName", STRING),
                ("AuthenticationPackageName", STRING),
                ("WorkstationName", STRING),
                ("LogonGuid", GUID),
                ("IpAddress", STRING),
                ("IpPort", STRING),
                ("ElevatedToken", STRING),
            ];
            let interactive = *logon_type == 2 || *logon_type == 7;
            let mut v = system(4624, 2, 12544, 3120);
            v.extend([
                Val::Sid("S-1-5-18".into()),
                Val::Str(format!("{}$", host.computer.split('.').next().unwrap_or(&host.computer))),
                Val::Str(host.domain.clone()),
                Val::Hex64(0x3e7),
            ]);
            v.extend(target(*logon_id));
            v.extend([
                Val::U32(*logon_type),
                Val::Str(if interactive { "User32 ".into() } else { "NtLmSsp ".into() }),
                Val::Str(if interactive { "Negotiate".into() } else { "NTLM".into() }),
                Val::Str(host.computer.split('.').next().unwrap_or(&host.computer).to_owned()),
                Val::Guid([0; 16]),
                Val::Str(if interactive { "127.0.0.1".into() } else { "192.0.2.10".into() }),
                Val::Str("0".into()),
                Val::Str(if interactive { "%%1843".into() } else { "%%1842".into() }),
            ]);
            ("4624", data, v)
        }
    }
}

/// Adds a record, or returns `false` when it does not fit in the chunk.
fn add_record(chunk: &mut Chunk, host: &Host, r: &Record, rid: u64) -> bool {
    let (key, data, values) = event(host, r, rid);
    let tmpl = template(&host.computer, &data);
    // The definition is stored once per chunk: write into a copy first.
    let mut trial = Chunk { data: Vec::new(), ..Chunk::new() };
    trial.off = chunk.off;
    trial.names.clone_from(&chunk.names);
    trial.templates.clone_from(&chunk.templates);
    let mut binxml = record_binxml(&mut trial, chunk.off + 24, key, &tmpl, &values);
    let pad = (8 - (24 + binxml.len() + 4) % 8) % 8;
    binxml.resize(binxml.len() + pad, 0);
    let size = 24 + binxml.len() + 4;
    if chunk.off + size > CHUNK_SIZE {
        return false;
    }
    chunk.names = trial.names;
    chunk.templates = trial.templates;
    let mut rec = Vec::with_capacity(size);
    rec.extend_from_slice(b"\x2a\x2a\0\0");
    rec.extend_from_slice(&(size as u32).to_le_bytes());
    rec.extend_from_slice(&rid.to_le_bytes());
    rec.extend_from_slice(&filetime(r.ts).to_le_bytes());
    rec.extend_from_slice(&binxml);
    rec.extend_from_slice(&(size as u32).to_le_bytes());
    chunk.data[chunk.off..chunk.off + size].copy_from_slice(&rec);
    chunk.records.push((rid, chunk.off));
    chunk.off += size;
    true
}

fn finish_chunk(mut chunk: Chunk) -> Vec<u8> {
    let d = &mut chunk.data;
    let put = |d: &mut Vec<u8>, at: usize, v: u32| d[at..at + 4].copy_from_slice(&v.to_le_bytes());
    // String table: 64 buckets by name hash, chained through each entry's "next".
    let mut names = chunk.names.clone();
    names.sort_by_key(|(_, at)| *at);
    let mut last_in: [Option<u32>; 64] = [None; 64];
    for (name, at) in &names {
        let b = usize::from(name_hash(name)) % 64;
        match last_in[b] {
            None => put(d, 128 + 4 * b, *at),
            Some(prev) => put(d, prev as usize, *at),
        }
        last_in[b] = Some(*at);
    }
    // Template table: 32 buckets by the GUID's first byte, chained through "next".
    let mut templates = chunk.templates.clone();
    templates.sort_by_key(|(_, at, _)| *at);
    let mut last_t: [Option<u32>; 32] = [None; 32];
    for (_, at, guid) in &templates {
        let b = usize::from(guid[0]) % 32;
        match last_t[b] {
            None => put(d, 384 + 4 * b, *at),
            Some(prev) => put(d, prev as usize, *at),
        }
        last_t[b] = Some(*at);
    }
    let first = chunk.records.first().map_or(0, |r| r.0);
    let last = chunk.records.last().map_or(0, |r| r.0);
    let last_off = chunk.records.last().map_or(CHUNK_HEADER, |r| r.1);
    d[0..8].copy_from_slice(b"ElfChnk\0");
    for (i, v) in [first, last, first, last].into_iter().enumerate() {
        d[8 + 8 * i..16 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    put(d, 40, 128);
    put(d, 44, last_off as u32);
    put(d, 48, chunk.off as u32);
    let crc = crc32fast::hash(&d[CHUNK_HEADER..chunk.off]);
    put(d, 52, crc);
    put(d, 120, 0);
    let mut h = crc32fast::Hasher::new();
    h.update(&d[..120]);
    h.update(&d[128..512]);
    let crc = h.finalize();
    put(d, 124, crc);
    chunk.data
}

/// Writes `records` (in time order) as a Security log.
pub fn write(path: &Path, host: &Host, records: &[Record]) -> std::io::Result<usize> {
    let mut records: Vec<&Record> = records.iter().collect();
    records.sort_by_key(|r| r.ts);
    let mut chunks = Vec::new();
    let mut chunk = Chunk::new();
    let mut rid = 0u64;
    for r in &records {
        rid += 1;
        if !add_record(&mut chunk, host, r, rid) {
            chunks.push(finish_chunk(std::mem::replace(&mut chunk, Chunk::new())));
            if !add_record(&mut chunk, host, r, rid) {
                return Err(std::io::Error::other("an event record larger than a chunk"));
            }
        }
    }
    if !chunk.records.is_empty() {
        chunks.push(finish_chunk(chunk));
    }
    let mut header = vec![0u8; FILE_HEADER];
    header[0..8].copy_from_slice(b"ElfFile\0");
    let n = chunks.len() as u64;
    header[8..16].copy_from_slice(&0u64.to_le_bytes());
    header[16..24].copy_from_slice(&n.saturating_sub(1).to_le_bytes());
    header[24..32].copy_from_slice(&(rid + 1).to_le_bytes());
    header[32..36].copy_from_slice(&128u32.to_le_bytes());
    header[36..38].copy_from_slice(&1u16.to_le_bytes());
    header[38..40].copy_from_slice(&3u16.to_le_bytes());
    header[40..42].copy_from_slice(&(FILE_HEADER as u16).to_le_bytes());
    header[42..44].copy_from_slice(&(n as u16).to_le_bytes());
    let crc = crc32fast::hash(&header[..120]);
    header[124..128].copy_from_slice(&crc.to_le_bytes());
    let mut out = header;
    for c in chunks {
        out.extend_from_slice(&c);
    }
    std::fs::write(path, out)?;
    Ok(records.len())
}

//! A record's fields straight from its BinXML, without rendering it.
//!
//! Windows writes nearly every record as one template instance: a reference
//! to a template definition held once per chunk (an element tree whose values
//! are literals or numbered substitutions) and the record's array of typed
//! substitution values. The template says where `Provider@Name`, `EventID`,
//! `TimeCreated@SystemTime`, `Channel`, `Computer` and each named `Data` of
//! `EventData` come from; each template is read once per chunk into a
//! [`Plan`], and a record then costs its substitution table and the values
//! asked for. Most records of a log are not presence events, and for them
//! only the provider and the event id are read.
//!
//! This reader handles the shape Windows writes and nothing else. Anything
//! else — a record that is not a single template instance, a template it
//! cannot read, a value of a type it does not render, a field inside nested
//! BinXML, a record header out of place — returns `None`, and the caller reads
//! the whole chunk with the `evtx` crate instead. A value is rendered as the
//! crate renders it (the test `fast_path_agrees_with_the_crate` compares the
//! two on every record of the real logs).
//!
//! Layout: MS-EVEN6 2.2.3.1 (BinXML tokens), libyal libevtx "Windows XML
//! Event Log (EVTX) format" (chunk, record and template layouts).

use std::rc::Rc;

use super::DATA_READ;

/// Where a field of a template comes from.
#[derive(Debug, Clone, PartialEq)]
enum Src {
    /// The template has no such field.
    Absent,
    /// Text written in the template.
    Lit(String),
    /// Substitution value `n` of each record.
    Sub(u16),
    /// Something this reader does not render (mixed content, character
    /// references, a nested element).
    Unsupported,
}

/// What a template says about the fields the source reads.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    provider: Src,
    event_id: Src,
    time_created: Src,
    channel: Src,
    computer: Src,
    /// Where the named `Data` of `EventData` come from.
    data: Data,
}

/// Where a template's `EventData` comes from.
#[derive(Debug, Clone)]
enum Data {
    /// Named `Data` elements in the template, in order (none when the record
    /// has no `EventData`).
    Here(Vec<(String, Src)>),
    /// Substitution `n`, a nested BinXML fragment holding `EventData` (as
    /// Windows writes most records: a template instance of its own).
    Nested(u16),
    /// Anything else (unnamed or nested data, `UserData`).
    Unsupported,
}

/// Named `Data` of `EventData`: name and where its value comes from.
type NamedData = Vec<(String, Src)>;

/// Templates read so far in one chunk, by the offset of their definition.
#[derive(Default)]
pub(super) struct Templates {
    plans: Vec<(u32, Option<Rc<Plan>>)>,
    /// Templates of nested `EventData` fragments.
    data: Vec<(u32, Option<Rc<NamedData>>)>,
}

/// The fields of one record, as text the way the crate renders them (numbers
/// in decimal, hex integers as `0x…`, times with seven fractional digits).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Fields {
    pub provider: Option<String>,
    pub event_id: Option<i64>,
    pub time_created: Option<String>,
    pub channel: Option<String>,
    pub computer: Option<String>,
    /// Named data, in order (empty and `-` values left out); from BinXML,
    /// only the names the source reads.
    pub data: Vec<(String, String)>,
}

/// The element and attribute names a plan looks at; any other name reads as
/// `""`.
const NAMES: [&str; 12] = [
    "Event",
    "System",
    "Provider",
    "EventID",
    "TimeCreated",
    "Channel",
    "Computer",
    "EventData",
    "UserData",
    "Data",
    "Name",
    "SystemTime",
];

/// A name in the chunk's string table — next offset (4), hash (2), length in
/// UTF-16 units (2), the units, a NUL unit — as one of [`NAMES`], and the
/// length of its entry.
fn name_at(chunk: &[u8], off: usize) -> Option<(&'static str, usize)> {
    let n = usize::from(u16::from_le_bytes(chunk.get(off + 6..off + 8)?.try_into().ok()?));
    let units = chunk.get(off + 8..off + 8 + 2 * n)?;
    let known = NAMES
        .iter()
        .find(|name| {
            name.len() == n
                && units
                    .chunks_exact(2)
                    .zip(name.bytes())
                    .all(|(u, b)| u16::from_le_bytes([u[0], u[1]]) == u16::from(b))
        })
        .copied()
        .unwrap_or("");
    Some((known, 8 + 2 * n + 2))
}

/// A cursor over chunk bytes; every read is checked.
struct Cur<'a> {
    chunk: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Cur<'a> {
    fn u8(&mut self) -> Option<u8> {
        if self.pos >= self.end {
            return None;
        }
        let b = *self.chunk.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        if end > self.end {
            return None;
        }
        let b = self.chunk.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A name reference; a name defined right here (its offset is the
    /// cursor's) is stepped over.
    fn name(&mut self) -> Option<&'static str> {
        let off = self.u32()? as usize;
        let (name, len) = name_at(self.chunk, off)?;
        if off == self.pos {
            self.bytes(len)?;
        }
        Some(name)
    }

    /// A UTF-16 string with a length prefix in units.
    fn prefixed_utf16(&mut self) -> Option<String> {
        let n = usize::from(self.u16()?);
        utf16_text(self.bytes(2 * n)?)
    }
}

/// UTF-16LE up to the first NUL unit (as the crate renders strings).
fn utf16_text(b: &[u8]) -> Option<String> {
    // Most values are ASCII: one byte per unit, no decoding.
    let mut ascii = String::with_capacity(b.len() / 2);
    for c in b.chunks_exact(2) {
        match c {
            [0, 0] => return Some(ascii),
            [a, 0] if a.is_ascii() => ascii.push(char::from(*a)),
            _ => return utf16_decoded(b),
        }
    }
    Some(ascii)
}

fn utf16_decoded(b: &[u8]) -> Option<String> {
    let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|u| *u != 0);
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

/// A template's element tree.
#[derive(Debug)]
struct El {
    name: &'static str,
    attrs: Vec<(&'static str, Vec<Part>)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    El(El),
    Part(Part),
}

#[derive(Debug)]
enum Part {
    Text(String),
    Sub(u16),
    Other,
}

/// Nesting beyond this is not a template Windows writes.
const MAX_DEPTH: usize = 32;

/// Reads a value-ish token (text, substitution, references) at the cursor,
/// whose token byte `t` was read.
fn part(c: &mut Cur<'_>, t: u8) -> Option<Part> {
    Some(match t {
        0x05 | 0x45 => {
            // Only string literals are read; other literal types are rare
            // and end the template's reading.
            if c.u8()? != 0x01 {
                return None;
            }
            Part::Text(c.prefixed_utf16()?)
        }
        0x0d | 0x0e => {
            let index = c.u16()?;
            c.u8()?;
            Part::Sub(index)
        }
        0x07 | 0x47 => {
            c.prefixed_utf16()?;
            Part::Other
        }
        0x08 | 0x48 => {
            c.u16()?;
            Part::Other
        }
        0x09 | 0x49 => {
            c.name()?;
            Part::Other
        }
        _ => return None,
    })
}

/// An element whose start token `t` was read (templates carry dependency ids).
fn element(c: &mut Cur<'_>, t: u8, depth: usize) -> Option<El> {
    if depth > MAX_DEPTH {
        return None;
    }
    c.u16()?; // dependency id
    c.u32()?; // data size
    let name = c.name()?;
    let mut el = El { name, attrs: Vec::new(), children: Vec::new() };
    if t & 0x40 != 0 {
        c.u32()?; // attribute list size
    }
    let mut next = c.u8()?;
    while matches!(next, 0x06 | 0x46) {
        let an = c.name()?;
        let mut parts = Vec::new();
        loop {
            next = c.u8()?;
            if matches!(next, 0x06 | 0x46 | 0x02 | 0x03) {
                break;
            }
            parts.push(part(c, next)?);
        }
        el.attrs.push((an, parts));
    }
    match next {
        0x03 => Some(el),
        0x02 => loop {
            let t = c.u8()?;
            match t {
                0x04 => return Some(el),
                0x01 | 0x41 => el.children.push(Node::El(element(c, t, depth + 1)?)),
                _ => el.children.push(Node::Part(part(c, t)?)),
            }
        },
        _ => None,
    }
}

/// Where a run of parts comes from: one text or one substitution.
fn src_of<'p>(mut parts: impl Iterator<Item = &'p Part>) -> Src {
    match (parts.next(), parts.next()) {
        (None, _) => Src::Absent,
        (Some(Part::Text(t)), None) => Src::Lit(t.clone()),
        (Some(Part::Sub(i)), None) => Src::Sub(*i),
        _ => Src::Unsupported,
    }
}

/// The content of an element that holds only values.
fn content(el: &El) -> Src {
    if el.children.iter().any(|n| matches!(n, Node::El(_))) {
        return Src::Unsupported;
    }
    src_of(el.children.iter().filter_map(|n| match n {
        Node::Part(p) => Some(p),
        Node::El(_) => None,
    }))
}

fn attr(el: &El, name: &str) -> Src {
    el.attrs.iter().rev().find(|(n, _)| *n == name).map_or(Src::Absent, |(_, p)| src_of(p.iter()))
}

fn child<'e>(el: &'e El, name: &str) -> Option<&'e El> {
    el.children.iter().rev().find_map(|n| match n {
        Node::El(e) if e.name == name => Some(e),
        _ => None,
    })
}

/// The root element of the template whose definition is at `off` in the chunk.
fn template_root(chunk: &[u8], off: usize) -> Option<El> {
    // Header: next template offset (4), GUID (16), data size (4).
    let size = u32::from_le_bytes(chunk.get(off + 20..off + 24)?.try_into().ok()?) as usize;
    let mut c = Cur { chunk, pos: off + 24, end: (off + 24).checked_add(size)?.min(chunk.len()) };
    let mut root = None;
    loop {
        match c.u8()? {
            0x0f => {
                c.bytes(3)?;
            }
            t @ (0x01 | 0x41) if root.is_none() => root = Some(element(&mut c, t, 0)?),
            0x00 => break,
            _ => return None,
        }
    }
    root
}

/// The named `Data` children of an `EventData` element; `None` when it holds
/// anything else.
fn named_data(event_data: &El) -> Option<NamedData> {
    if !event_data.attrs.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    for n in &event_data.children {
        let Node::El(d) = n else { return None };
        match (d.name, attr(d, "Name")) {
            ("Data", Src::Lit(name)) => data.push((name, content(d))),
            _ => return None,
        }
    }
    Some(data)
}

/// Reads the template whose definition is at `off` in the chunk.
fn plan_at(chunk: &[u8], off: usize) -> Option<Plan> {
    let event = template_root(chunk, off)?;
    if event.name != "Event" {
        return None;
    }
    let system = child(&event, "System");
    let field = |name: &str| system.and_then(|s| child(s, name)).map_or(Src::Absent, content);
    let subs: Vec<u16> = event
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Part(Part::Sub(i)) => Some(*i),
            _ => None,
        })
        .collect();
    let parts = event.children.iter().filter(|n| matches!(n, Node::Part(_))).count();
    let data = match (child(&event, "EventData"), child(&event, "UserData"), subs.as_slice()) {
        (Some(ed), None, []) if parts == 0 => named_data(ed).map_or(Data::Unsupported, Data::Here),
        (None, None, []) if parts == 0 => Data::Here(Vec::new()),
        (None, None, [i]) if parts == 1 => Data::Nested(*i),
        _ => Data::Unsupported,
    };
    Some(Plan {
        provider: system.and_then(|s| child(s, "Provider")).map_or(Src::Absent, |p| attr(p, "Name")),
        event_id: field("EventID"),
        time_created: system.and_then(|s| child(s, "TimeCreated")).map_or(Src::Absent, |t| attr(t, "SystemTime")),
        channel: field("Channel"),
        computer: field("Computer"),
        data,
    })
}

/// Reads the template of a nested fragment: `EventData` with named `Data`.
fn data_plan_at(chunk: &[u8], off: usize) -> Option<NamedData> {
    let root = template_root(chunk, off)?;
    if root.name != "EventData" {
        return None;
    }
    named_data(&root)
}

impl Templates {
    fn plan(&mut self, chunk: &[u8], off: u32) -> Option<Rc<Plan>> {
        if let Some((_, p)) = self.plans.iter().find(|(o, _)| *o == off) {
            return p.clone();
        }
        let p = plan_at(chunk, off as usize).map(Rc::new);
        self.plans.push((off, p.clone()));
        p
    }

    fn data_plan(&mut self, chunk: &[u8], off: u32) -> Option<Rc<NamedData>> {
        if let Some((_, p)) = self.data.iter().find(|(o, _)| *o == off) {
            return p.clone();
        }
        let p = data_plan_at(chunk, off as usize).map(Rc::new);
        self.data.push((off, p.clone()));
        p
    }
}

/// A template instance's substitution values: the descriptor table (size
/// (2), type (1), reserved (1) each) and where the values start in the chunk,
/// one after another (checked to fit when the instance was read).
struct Subs<'a> {
    chunk: &'a [u8],
    descriptors: &'a [u8],
    values_at: usize,
}

/// The size of one value of a fixed-size type.
fn fixed_size(t: u8) -> Option<usize> {
    Some(match t {
        0x03 | 0x04 => 1,
        0x05 | 0x06 => 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => 8,
        0x0f | 0x12 => 16,
        _ => return None,
    })
}

/// Whether a value of type `t` may be `b` as its descriptor sizes it: a type
/// the crate knows (an unknown one is an error there), fixed-size values of
/// their size (arrays a multiple of it), UTF-16 of an even size, a SID as long
/// as its sub-authorities. Anything else goes to the crate, which decides.
fn consistent(t: u8, b: &[u8]) -> bool {
    match t {
        0x00 | 0x02 | 0x0e | 0x20 | 0x21 | 0x23 | 0x81 | 0x82 | 0x8e | 0x93 => true,
        0x01 => b.len().is_multiple_of(2),
        0x10 => matches!(b.len(), 0 | 4 | 8),
        0x13 => b.len() >= 8 && b.len() == 8 + 4 * usize::from(b[1]),
        t if t & 0x80 != 0 => fixed_size(t & 0x7f).is_some_and(|n| b.len().is_multiple_of(n)),
        t => fixed_size(t) == Some(b.len()),
    }
}

impl<'a> Subs<'a> {
    /// Value `i`: its type, chunk offset and bytes.
    fn get(&self, i: u16) -> Option<(u8, usize, &'a [u8])> {
        let i = usize::from(i);
        let mut at = self.values_at;
        for (n, d) in self.descriptors.chunks_exact(4).enumerate() {
            let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
            if n == i {
                return Some((d[2], at, self.chunk.get(at..at + size)?));
            }
            at += size;
        }
        None
    }

    /// The text of substitution `i`, as the crate renders it; `Some(None)` for
    /// a null value, `None` for a value this reader does not render.
    fn text(&self, i: u16) -> Option<Option<String>> {
        let Some((t, _, b)) = self.get(i) else {
            // A substitution the record does not supply renders as nothing.
            return Some(None);
        };
        let int = |n: usize| -> Option<[u8; 8]> {
            let mut a = [0u8; 8];
            a[..n].copy_from_slice(b.get(..n)?);
            Some(a)
        };
        let s = match t {
            0x00 => return Some(None),
            0x01 => utf16_text(b)?,
            0x03 => (b.first().copied()? as i8).to_string(),
            0x04 => b.first()?.to_string(),
            0x05 => i16::from_le_bytes(b.get(..2)?.try_into().ok()?).to_string(),
            0x06 => u16::from_le_bytes(b.get(..2)?.try_into().ok()?).to_string(),
            0x07 => i32::from_le_bytes(b.get(..4)?.try_into().ok()?).to_string(),
            0x08 => u32::from_le_bytes(b.get(..4)?.try_into().ok()?).to_string(),
            0x09 => i64::from_le_bytes(b.get(..8)?.try_into().ok()?).to_string(),
            0x0a => u64::from_le_bytes(b.get(..8)?.try_into().ok()?).to_string(),
            0x0d => match i32::from_le_bytes(b.get(..4)?.try_into().ok()?) {
                0 => "false".to_owned(),
                1 => "true".to_owned(),
                raw => raw.to_string(),
            },
            0x10 if b.len() == 4 => format!("0x{:x}", u64::from_le_bytes(int(4)?)),
            0x10 | 0x15 => format!("0x{:x}", u64::from_le_bytes(int(8)?)),
            0x14 => format!("0x{:x}", u64::from_le_bytes(int(4)?)),
            0x11 => filetime_text(u64::from_le_bytes(int(8)?))?,
            0x12 => systemtime_text(b.get(..16)?)?,
            0x13 => sid_text(b)?,
            // A null-length nested fragment renders as nothing.
            0x21 if b.is_empty() => return Some(None),
            _ => return None,
        };
        Some(Some(s))
    }
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
fn datetime_text(days: i64, secs: u32, ticks: u32) -> Option<String> {
    let (y, m, d) = waybill_model::time::civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ticks:07}Z", secs / 3600, secs / 60 % 60, secs % 60))
}

/// FILETIME: 100 ns since 1601-01-01.
fn filetime_text(t: u64) -> Option<String> {
    const DAY: u64 = 86_400 * 10_000_000;
    // Days from 1601-01-01 to 1970-01-01.
    const EPOCH_DAYS: i64 = 134_774;
    let days = i64::try_from(t / DAY).ok()? - EPOCH_DAYS;
    let rest = t % DAY;
    datetime_text(days, u32::try_from(rest / 10_000_000).ok()?, u32::try_from(rest % 10_000_000).ok()?)
}

/// SYSTEMTIME: year, month, day of week, day, hour, minute, second, ms (u16 each).
fn systemtime_text(b: &[u8]) -> Option<String> {
    let f = |i: usize| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
    let (y, mo, d, h, mi, s, ms) = (f(0), f(1), f(3), f(4), f(5), f(6), f(7));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 || ms > 999 {
        return None;
    }
    let days = waybill_model::time::days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
    datetime_text(days, u32::from(h) * 3600 + u32::from(mi) * 60 + u32::from(s), u32::from(ms) * 10_000)
}

/// `S-1-5-21-…`.
fn sid_text(b: &[u8]) -> Option<String> {
    let [rev, count, a0, a1, a2, a3, a4, a5, subs @ ..] = b else { return None };
    let authority = u64::from_be_bytes([0, 0, *a0, *a1, *a2, *a3, *a4, *a5]);
    let mut s = format!("S-{rev}-{authority}");
    let subs = subs.chunks_exact(4);
    if subs.len() < usize::from(*count) {
        return None;
    }
    for c in subs.take(usize::from(*count)) {
        s.push('-');
        s.push_str(&u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string());
    }
    Some(s)
}

/// The text of a field: `Some(None)` when absent or null, `None` when this
/// reader cannot render it.
fn resolve(src: &Src, subs: &Subs<'_>) -> Option<Option<String>> {
    match src {
        Src::Absent => Some(None),
        Src::Lit(t) => Some(Some(t.clone())),
        Src::Sub(i) => subs.text(*i),
        Src::Unsupported => None,
    }
}

/// As the source's `text` reads a rendered value: empty and `-` are nothing.
fn meaningful(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty() && s != "-")
}

/// An event id as text: decimal or `0x` hex.
pub(super) fn int_text(s: &str) -> Option<i64> {
    let s = s.trim();
    s.strip_prefix("0x").map_or_else(|| s.parse().ok(), |h| i64::from_str_radix(h, 16).ok())
}

/// The template instance that is the whole of `chunk[start..end]` (after an
/// optional fragment header, before an optional end of stream): the offset of
/// its template definition and its substitution values.
fn instance(chunk: &[u8], start: usize, end: usize) -> Option<(u32, Subs<'_>)> {
    let at = match chunk.get(start..end)? {
        [0x0f, _, _, _, 0x0c, _, ..] => 5,
        [0x0c, ..] => 1,
        _ => return None,
    };
    let mut c = Cur { chunk, pos: start + at, end };
    c.u8()?;
    c.u32()?; // template id
    let def = c.u32()?;
    if def as usize == c.pos {
        let size = u32::from_le_bytes(c.bytes(24)?.get(20..24)?.try_into().ok()?);
        c.bytes(size as usize)?;
    }
    let count = c.u32()? as usize;
    let descriptors = c.bytes(count.checked_mul(4)?)?;
    let values_at = c.pos;
    for d in descriptors.chunks_exact(4) {
        let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
        if !consistent(d[2], c.bytes(size)?) {
            return None;
        }
    }
    // Nothing but the end of the stream may follow.
    if !matches!(chunk.get(c.pos..end)?, [] | [0x00, ..]) {
        return None;
    }
    Some((def, Subs { chunk, descriptors, values_at }))
}

/// Puts the named values of `plan` that the source reads ([`DATA_READ`])
/// into `data`: the last of duplicate names wins, in the place of the first.
/// `None` when such a value cannot be rendered.
fn put_data(plan: &[(String, Src)], subs: &Subs<'_>, data: &mut Vec<(String, String)>) -> Option<()> {
    for (name, src) in plan.iter().filter(|(n, _)| DATA_READ.contains(&n.as_str())) {
        let v = meaningful(resolve(src, subs)?);
        match (data.iter().position(|(n, _)| n == name), v) {
            (Some(at), Some(v)) => data[at].1 = v,
            (Some(at), None) => {
                data.remove(at);
            }
            (None, Some(v)) => data.push((name.clone(), v)),
            (None, None) => {}
        }
    }
    Some(())
}

/// Reads the record whose BinXML is `chunk[start..start + len]`: its event
/// id; its provider when `id_read(id)`; everything else when `full(provider,
/// id)` says so. `None` when this reader cannot read it (the crate reads the
/// chunk).
pub(super) fn record(
    chunk: &[u8],
    start: usize,
    len: usize,
    templates: &mut Templates,
    id_read: impl FnOnce(i64) -> bool,
    full: impl FnOnce(&str, i64) -> bool,
) -> Option<Fields> {
    let (def, subs) = instance(chunk, start, start.checked_add(len)?)?;
    let plan = templates.plan(chunk, def)?;
    let event_id = match &plan.event_id {
        Src::Sub(i) => match subs.get(*i) {
            Some((0x04, _, [b])) => Some(i64::from(*b)),
            Some((0x06, _, &[a, b])) => Some(i64::from(u16::from_le_bytes([a, b]))),
            Some((0x08, _, &[a, b, c, d])) => Some(i64::from(u32::from_le_bytes([a, b, c, d]))),
            _ => return None,
        },
        other => resolve(other, &subs)?.as_deref().and_then(int_text),
    };
    let id = event_id?;
    if !id_read(id) {
        return Some(Fields { event_id, ..Fields::default() });
    }
    let provider = meaningful(resolve(&plan.provider, &subs)?);
    let mut f = Fields { provider, event_id, ..Fields::default() };
    if !full(f.provider.as_deref().unwrap_or_default(), id) {
        return Some(f);
    }
    f.time_created = resolve(&plan.time_created, &subs)?;
    f.channel = meaningful(resolve(&plan.channel, &subs)?);
    f.computer = meaningful(resolve(&plan.computer, &subs)?);
    match &plan.data {
        Data::Here(named) => put_data(named, &subs, &mut f.data)?,
        Data::Nested(i) => match subs.get(*i) {
            None | Some((0x00, _, _)) => {}
            Some((0x21, _, [])) => {}
            Some((0x21, at, b)) => {
                let (def, inner) = instance(chunk, at, at + b.len())?;
                put_data(&templates.data_plan(chunk, def)?, &inner, &mut f.data)?;
            }
            Some(_) => return None,
        },
        Data::Unsupported => return None,
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// The ASCII shortcut reads as decoding does: up to the first NUL unit,
    /// any other text decoded, an unpaired surrogate unreadable.
    #[test]
    fn utf16_text_reads_as_decoding_does() {
        let cases: Vec<Vec<u8>> = vec![
            utf16("EXAMPLE\\alice"),
            utf16("WS-01\0garbage"),
            utf16(""),
            utf16("\0"),
            utf16("Zoë-Ünïcode ✓"),
            utf16("ascii then é"),
            [utf16("bad "), vec![0x00, 0xd8], utf16("x")].concat(),
            [utf16("odd"), vec![0x41]].concat(),
            vec![0x80, 0x00],
        ];
        for b in cases {
            assert_eq!(utf16_text(&b), utf16_decoded(&b), "{b:?}");
        }
        assert_eq!(utf16_text(&utf16("WS-01\0garbage")).as_deref(), Some("WS-01"));
        assert_eq!(utf16_text(&utf16("Zoë")).as_deref(), Some("Zoë"));
        assert_eq!(utf16_text(&[utf16("a"), vec![0x00, 0xd8]].concat()), None);
    }
}

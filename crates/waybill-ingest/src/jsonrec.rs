//! Records in JSON, as cloud audit APIs and their export tools write them:
//! JSON Lines, or one JSON document whose records are the elements of one array
//! (an API response page such as `{"items": [...]}` / `{"events": [...]}`, or a
//! top-level array as PowerShell's `ConvertTo-Json` writes).
//!
//! How an input is read is decided by its first non-blank line (a UTF-8 byte
//! order mark is ignored):
//! - a line that is exactly `{` or `[` starts a pretty-printed **document**: its
//!   lines are collected (up to [`DOC_LIMIT`] bytes) and the record array is
//!   streamed element by element. A document cut off or damaged in the middle
//!   keeps the elements before the damage; the element where parsing stopped is
//!   one reject (`items[7]`, `entry 7`). Damage after the array is one reject of
//!   the `whole input`. A document whose top level is one record (not a page) is
//!   one record, `whole input`.
//! - otherwise every line is a JSON value of its own (**JSON Lines**). A line
//!   holding a record object is one record (`offset … line …`). A line holding a
//!   whole response page (a minified API response) or an array contributes each
//!   element as a record `list[i]`, `i` counting elements across the input in
//!   file order. A line that is not JSON is a reject (`truncated` when it is the
//!   unterminated last line).
//!
//! A response page without records (an empty result omits the array) is not a
//! record and is not counted.
//!
//! An input whose first line is a record object is JSON Lines for certain: it
//! is read by the driver's parallel line parser ([`lines_parser`]), where a
//! later line holding a page or an array numbers its elements within the line
//! (`offset … line … items[i]`).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use waybill_model::{Event, EventSink, RecordRef, Reject, RejectReason};

use crate::input::Input;
use crate::json::Json;
use crate::lines::LinePos;
use crate::par::{ParseFn, Pipeline};
use crate::source::{LineParser, SourceError};

/// Largest pretty-printed document read (one page of an API response is a few
/// MiB; larger exports should be converted to JSON Lines).
pub const DOC_LIMIT: usize = 256 << 20;

/// What one JSON record format says about its records.
pub trait JsonRecords: Sync {
    /// The member of a response page that holds the records (`items`, `events`);
    /// `None` when pages are bare arrays.
    fn list(&self) -> Option<&'static str>;

    /// Is this object a response page rather than a record? By default: it has
    /// the list member as an array.
    fn is_page(&self, v: &Json<'_>) -> bool {
        self.list().is_some_and(|l| v.get(l).is_some_and(Json::is_array))
    }

    /// The events of one record (none for a record without a relevant action).
    fn record(&self, rec: RecordRef, v: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason>;
}

/// Emits the events of one record, or its reject.
pub fn emit(src: &dyn JsonRecords, rec: RecordRef, v: &Json<'_>, out: &mut dyn EventSink) {
    waybill_model::close_record(out, rec, src.record(rec, v), || v.to_string());
}

/// The text at `path` (object members) of `v`, trimmed; `None` when absent,
/// not a string, or empty.
pub fn str_at<'v>(v: &'v Json<'_>, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// Parses a whole input of JSON records (see the module docs).
pub fn parse(src: &dyn JsonRecords, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
    std::thread::scope(|scope| {
        let mut reader = JsonReader::new(src, scope);
        input.for_each_line(out, |pos, line, out| reader.line(pos, line, out))?;
        reader.finish(out)
    })
}

/// JSON Lines of record objects, parsed by the driver's workers like any line
/// format (each worker writes its own part). A line holding a response page
/// or an array gives its elements as `offset … line … list[i]`, numbered
/// within the line.
pub struct JsonLines<'s> {
    src: &'s dyn JsonRecords,
}

impl LineParser for JsonLines<'_> {
    /// A line may hold a response page: zero or more records.
    fn one_record_per_line(&self) -> bool {
        false
    }

    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let line = if pos.offset == 0 { strip_bom(line) } else { line };
        let list = self.src.list().unwrap_or("");
        let outcome = json_line_outcome(self.src, pos, line);
        emit_line(self.src, pos, line, outcome, out, |index| RecordRef::LineItem {
            offset: pos.offset,
            line: pos.line,
            list,
            index,
        });
    }
}

/// The line parser of an input whose first line (complete in `head`) is one
/// JSON record object: JSON Lines, read in parallel. `None` when the first
/// line is a response page, an array, the start of a pretty-printed document,
/// not JSON, or longer than the head: the input is then read in order
/// ([`parse`], [`JsonReader`]).
pub fn lines_parser<'s>(src: &'s dyn JsonRecords, head: &[u8]) -> Option<Box<dyn LineParser + 's>> {
    let mut rest = strip_bom(head);
    loop {
        let nl = memchr::memchr(b'\n', rest)?;
        let line = rest[..nl].trim_ascii();
        rest = &rest[nl + 1..];
        if line.is_empty() {
            continue;
        }
        let v = Json::parse(line).ok()?;
        return (v.is_object() && !src.is_page(&v)).then(|| Box::new(JsonLines { src }) as Box<dyn LineParser + 's>);
    }
}

/// Strips a UTF-8 byte order mark.
pub fn strip_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
}

/// A sniffer's view of a JSON input: the probe without byte order mark and
/// whitespace (so key/value pairs can be searched whatever the indentation),
/// or `None` when it does not start like a JSON object or array.
pub fn compact_head(head: &[u8]) -> Option<Vec<u8>> {
    let head = strip_bom(head);
    // Decided by the first byte that is not whitespace, before any copy.
    if !matches!(head.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'[')) {
        return None;
    }
    Some(head.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect())
}

/// The precision of an ISO 8601 time as written (`2026-01-03T02:14:07` → s,
/// `.123` → ms, `.123456` → µs, `.1234567` → 100 ns).
pub fn iso_precision(text: &str) -> waybill_model::Precision {
    use waybill_model::Precision;
    let digits = text
        .get(19..)
        .and_then(|r| r.strip_prefix(['.', ',']))
        .map_or(0, |r| r.bytes().take_while(u8::is_ascii_digit).count());
    match digits {
        0 => Precision::Second,
        1..=3 => Precision::Millisecond,
        4..=6 => Precision::Microsecond,
        7 => Precision::HundredNanos,
        _ => Precision::Nanosecond,
    }
}

enum Mode {
    Undecided,
    Lines,
    Doc(Vec<u8>),
    DocTooBig,
}

/// Reads JSON records line by line (for sources that decide the format of an
/// input from its first line themselves). JSON Lines are parsed in the
/// background on every core ([`crate::par::Pipeline`], on threads of the
/// caller's scope) and emitted in input order.
pub struct JsonReader<'s, 'scope, 'env> {
    src: &'s dyn JsonRecords,
    mode: Mode,
    /// Index of the next element of a page or array read on a line.
    next_item: u64,
    /// JSON lines being parsed.
    pipe: Pipeline<'scope, 'env, (LinePos, Vec<u8>), LineOutcome>,
}

/// What one JSON line holds, as parsed on a worker.
enum LineOutcome {
    /// A record object: its events, or its reject with the record as JSON.
    Record(Result<Vec<Event<'static>>, (RejectReason, String)>),
    /// The elements of an array or of a response page (numbered when emitted).
    List(Vec<Json<'static>>),
    /// Not a record (the line is the reject's excerpt).
    Reject(RejectReason),
}

fn json_line_outcome(src: &dyn JsonRecords, pos: LinePos, line: &[u8]) -> LineOutcome {
    let v = match Json::parse(line) {
        Ok(v) => v,
        Err(e) => {
            let d = format!("not JSON: {e}");
            return LineOutcome::Reject(if pos.terminated && !e.is_eof() {
                RejectReason::Malformed(d)
            } else {
                RejectReason::Truncated(d)
            });
        }
    };
    match v {
        Json::Array(items) => LineOutcome::List(items.into_iter().map(Json::into_owned).collect()),
        Json::Object(_) if src.is_page(&v) => match src.list().and_then(|l| v.get(l)) {
            Some(Json::Array(items)) => LineOutcome::List(items.iter().cloned().map(Json::into_owned).collect()),
            _ => LineOutcome::List(Vec::new()),
        },
        Json::Object(_) => LineOutcome::Record(src.record(pos.record(), &v).map_err(|r| (r, v.to_string()))),
        other => LineOutcome::Reject(RejectReason::Malformed(format!(
            "a JSON {} where a record object was expected",
            other.kind()
        ))),
    }
}

/// Emits one parsed JSON line; `item` names the i-th element of a list the
/// line holds.
fn emit_line(
    src: &dyn JsonRecords,
    pos: LinePos,
    line: &[u8],
    outcome: LineOutcome,
    out: &mut dyn EventSink,
    mut item: impl FnMut(u64) -> RecordRef,
) {
    match outcome {
        LineOutcome::Record(Ok(events)) => waybill_model::close_record(out, pos.record(), Ok(events), || b""),
        LineOutcome::Record(Err((reason, raw))) => {
            out.reject(Reject { record: pos.record(), reason, raw: raw.as_bytes() });
        }
        LineOutcome::List(items) => {
            for (i, v) in (0u64..).zip(&items) {
                emit(src, item(i), v, out);
            }
        }
        LineOutcome::Reject(reason) => out.reject(Reject { record: pos.record(), reason, raw: line }),
    }
}

/// Emits one JSON line read in order: list elements are counted over the input.
fn emit_in_order(
    src: &dyn JsonRecords,
    next_item: &mut u64,
    (pos, line): (LinePos, Vec<u8>),
    outcome: LineOutcome,
    out: &mut dyn EventSink,
) {
    let list = src.list().unwrap_or("");
    emit_line(src, pos, &line, outcome, out, |_| {
        let r = RecordRef::Item { list, index: *next_item };
        *next_item += 1;
        r
    });
}

impl<'s: 'scope, 'scope, 'env> JsonReader<'s, 'scope, 'env> {
    /// A reader that has seen no line yet; its JSON lines are parsed on
    /// threads of `scope`.
    pub fn new(src: &'s dyn JsonRecords, scope: &'scope std::thread::Scope<'scope, 'env>) -> Self {
        let parse: ParseFn<'scope, (LinePos, Vec<u8>), LineOutcome> =
            std::sync::Arc::new(move |(pos, line): &(LinePos, Vec<u8>)| json_line_outcome(src, *pos, line));
        Self { src, mode: Mode::Undecided, next_item: 0, pipe: Pipeline::new(scope, parse) }
    }

    /// Takes the next non-blank line.
    pub fn line(&mut self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        match &mut self.mode {
            Mode::Undecided => {
                let l = strip_bom(line);
                let t = l.trim_ascii();
                if t == b"{" || t == b"[" {
                    self.mode = Mode::Doc(t.to_vec());
                } else {
                    self.mode = Mode::Lines;
                    self.json_line(pos, l, out);
                }
            }
            Mode::Lines => self.json_line(pos, line, out),
            Mode::Doc(buf) => {
                if buf.len() + line.len() + 1 > DOC_LIMIT {
                    self.mode = Mode::DocTooBig;
                } else {
                    buf.push(b'\n');
                    buf.extend_from_slice(line);
                }
            }
            Mode::DocTooBig => {}
        }
    }

    fn json_line(&mut self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let Self { src, next_item, pipe, .. } = self;
        pipe.push((pos, line.to_vec()), line.len(), &mut |item, outcome| {
            emit_in_order(*src, next_item, item, outcome, out);
        });
    }

    /// Ends the input: emits the last JSON lines, or parses a collected document.
    pub fn finish(mut self, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let Self { src, next_item, pipe, .. } = &mut self;
        pipe.flush(&mut |item, outcome| emit_in_order(*src, next_item, item, outcome, out));
        match self.mode {
            Mode::Undecided | Mode::Lines => Ok(()),
            Mode::DocTooBig => Err(SourceError::Invalid(format!(
                "a JSON document larger than {DOC_LIMIT} bytes; convert it to JSON Lines (one record per line)"
            ))),
            Mode::Doc(buf) => parse_document(self.src, &buf, out),
        }
    }
}

/// Parses one document held in memory (see the module docs).
pub fn parse_document(src: &dyn JsonRecords, doc: &[u8], out: &mut dyn EventSink) -> Result<(), SourceError> {
    let first = doc.iter().copied().find(|b| !b.is_ascii_whitespace());
    let (list, member) = match (first, src.list()) {
        (Some(b'['), l) => (l.unwrap_or(""), None),
        (Some(b'{'), Some(l)) => (l, Some(l)),
        (Some(b'{'), None) => return single_record(src, doc, out),
        _ => return Err(SourceError::Invalid("not a JSON object or array".into())),
    };
    let mut each = |i, v: Json<'_>| emit(src, RecordRef::Item { list, index: i }, &v, out);
    let mut state = StreamState { emit: &mut each, count: 0, in_list: false, found: false };
    let mut de = serde_json::Deserializer::from_slice(doc);
    let result = match member {
        None => ListSeed(&mut state).deserialize(&mut de),
        Some(key) => (&mut de).deserialize_map(PageVisitor { state: &mut state, key }),
    }
    .and_then(|()| de.end());
    let (count, in_list, found) = (state.count, state.in_list, state.found);
    match result {
        Ok(()) if member.is_some() && !found => single_record(src, doc, out),
        Ok(()) => Ok(()),
        Err(e) => {
            let at = de_offset(doc, &e);
            let lo = at.saturating_sub(waybill_model::EXCERPT_LIMIT / 2);
            let raw = doc.get(lo..at.min(doc.len())).unwrap_or_default();
            let what = if e.is_eof() { "ends" } else { "is damaged" };
            if in_list {
                let reason = if e.is_eof() {
                    RejectReason::Truncated(format!("the document ends inside this element: {e}"))
                } else {
                    RejectReason::Malformed(format!("not JSON: {e}"))
                };
                out.reject(Reject { record: RecordRef::Item { list, index: count }, reason, raw });
                Ok(())
            } else if found || count > 0 {
                let d = format!("the document {what} after its record array: {e}");
                let reason = if e.is_eof() { RejectReason::Truncated(d) } else { RejectReason::Malformed(d) };
                out.reject(Reject { record: RecordRef::Whole, reason, raw });
                Ok(())
            } else {
                Err(SourceError::Invalid(format!("JSON document {what} before any record: {e}")))
            }
        }
    }
}

/// Byte offset of a JSON error (from its line and column).
fn de_offset(doc: &[u8], e: &serde_json::Error) -> usize {
    let mut line = 1;
    let mut start = 0;
    if e.line() > 1 {
        for (i, b) in doc.iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                if line == e.line() {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    (start + e.column()).min(doc.len())
}

fn single_record(src: &dyn JsonRecords, doc: &[u8], out: &mut dyn EventSink) -> Result<(), SourceError> {
    let v = Json::parse(doc).map_err(|e| SourceError::Invalid(format!("JSON: {e}")))?;
    if src.is_page(&v) || (v.is_object() && src.list().is_some_and(|l| v.get(l).is_some_and(Json::is_null))) {
        return Ok(());
    }
    if !v.is_object() {
        return Err(SourceError::Invalid(format!("a JSON {} where a record object was expected", v.kind())));
    }
    emit(src, RecordRef::Whole, &v, out);
    Ok(())
}

struct StreamState<'f> {
    emit: &'f mut dyn FnMut(u64, Json<'_>),
    /// Elements read so far.
    count: u64,
    /// Parsing is inside the record array.
    in_list: bool,
    /// The record array was found.
    found: bool,
}

struct ListSeed<'a, 'f>(&'a mut StreamState<'f>);

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.found = true;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.in_list = true;
        while let Some(v) = seq.next_element::<Json<'de>>()? {
            (self.0.emit)(self.0.count, v);
            self.0.count += 1;
        }
        self.0.in_list = false;
        Ok(())
    }
}

struct PageVisitor<'a, 'f> {
    state: &'a mut StreamState<'f>,
    key: &'static str,
}

impl<'de> Visitor<'de> for PageVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a \"{}\" array", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if k == self.key && !self.state.found {
                map.next_value_seed(ListSeed(self.state))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use waybill_model::{EventKind, Precision, Timestamp};

    use super::*;

    struct Items;
    impl JsonRecords for Items {
        fn list(&self) -> Option<&'static str> {
            Some("items")
        }
        fn record(&self, rec: RecordRef, v: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason> {
            let n = v.get("n").and_then(Json::as_i64).ok_or_else(|| RejectReason::Malformed("no n".into()))?;
            let ts = Timestamp::from_unix_seconds(n)?;
            Ok(vec![Event::new(EventKind::CloudDownload, ts, Precision::Second, rec)])
        }
    }

    #[derive(Default)]
    struct Sink(Vec<String>);
    impl EventSink for Sink {
        fn event(&mut self, e: Event<'_>) {
            self.0.push(format!("event {}", e.record));
        }
        fn accepted(&mut self) {}
        fn reject(&mut self, r: Reject<'_>) {
            self.0.push(format!("reject {} {}", r.record, r.reason.code()));
        }
    }

    fn doc(text: &str) -> (Result<(), SourceError>, Vec<String>) {
        let mut sink = Sink::default();
        let r = parse_document(&Items, text.as_bytes(), &mut sink);
        (r, sink.0)
    }

    #[test]
    fn page_document_streams_items_and_rejects_the_cut_one() {
        let (r, got) = doc("{\"kind\":\"x\",\"items\":[{\"n\":1},{\"x\":2},{\"n\":3},{\"n\":");
        assert!(r.is_ok());
        assert_eq!(got, ["event items[0]", "reject items[1] malformed", "event items[2]", "reject items[3] truncated"]);
    }

    #[test]
    fn damage_after_the_array_is_one_whole_input_reject() {
        let (r, got) = doc("{\"items\":[{\"n\":1}],\"nextPageToken\":\"ab");
        assert!(r.is_ok());
        assert_eq!(got, ["event items[0]", "reject whole input truncated"]);
    }

    #[test]
    fn empty_page_single_record_and_garbage() {
        assert_eq!(doc("{\"kind\":\"x\",\"items\":[]}").1, Vec::<String>::new());
        // Not a page: the object itself is the one record.
        assert_eq!(doc("{\"kind\":\"x\",\"n\":5}").1, ["event whole input"]);
        assert_eq!(doc("{\"kind\":\"x\"}").1, ["reject whole input malformed"]);
        assert!(doc("{\"kind\": tru").0.is_err());
        assert_eq!(doc("[{\"n\":1},{\"n\":2}]").1, ["event items[0]", "event items[1]"]);
    }
}

//! Pointers from an event back to the exact place in the evidence it came from.

use std::fmt;

/// Where a record sits in its input, so a person can open the evidence at that spot.
///
/// The rendered form (the `record` column) is stable and documented:
/// - `offset 1589 line 13` — a text record: byte offset of the first byte of the
///   line (in the decompressed stream for compressed inputs) and its 1-based line number;
/// - `visits rowid 42` — a row of an SQLite table, by `rowid`;
/// - `entry 3` / `list[3]` — the 0-based index of an element in a structured document;
/// - `offset 1589 line 13 items[3]` — an element of a list held on one line of
///   a text input (a response page on one line of JSON Lines);
/// - `EventRecordID 4711` — a record of a Windows event log, by the record id
///   Event Viewer shows (unique in a log file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordRef {
    /// A line of a text input.
    Line {
        /// Byte offset of the line's first byte.
        offset: u64,
        /// 1-based line number.
        line: u64,
    },
    /// A row of an SQLite table.
    Row {
        /// Table name.
        table: &'static str,
        /// The row's `rowid` (or integer primary key).
        rowid: i64,
    },
    /// The n-th element (0-based) of a list in a structured document.
    Item {
        /// Path of the list in the document (`list`, `Records`, …); empty for the top level.
        list: &'static str,
        /// 0-based index.
        index: u64,
    },
    /// The n-th element (0-based) of a list held on one line of a text input.
    LineItem {
        /// Byte offset of the line's first byte.
        offset: u64,
        /// 1-based line number.
        line: u64,
        /// Path of the list on the line; empty for a top-level array.
        list: &'static str,
        /// 0-based index within the line's list.
        index: u64,
    },
    /// A record of a Windows event log (`.evtx`), by its EventRecordID.
    EventRecord {
        /// The record id.
        id: u64,
    },
    /// An entry of a Chrome blockfile cache, by its cache address (the
    /// 32-bit `CacheAddr` that names its block file and first block).
    CacheAddress {
        /// The address.
        addr: u32,
    },
    /// The whole input is one record (a Zone.Identifier stream, a small settings file).
    Whole,
}

impl RecordRef {
    /// Appends the rendered form to `out` (the hot path of ingest: no formatter).
    pub fn write_to(&self, out: &mut String) {
        match self {
            Self::Line { offset, line } => {
                out.push_str("offset ");
                push_u64(out, *offset);
                out.push_str(" line ");
                push_u64(out, *line);
            }
            other => {
                use fmt::Write as _;
                let _ = write!(out, "{other}");
            }
        }
    }
}

fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line { offset, line } => write!(f, "offset {offset} line {line}"),
            Self::Row { table, rowid } => write!(f, "{table} rowid {rowid}"),
            Self::Item { list: "", index } => write!(f, "entry {index}"),
            Self::Item { list, index } => write!(f, "{list}[{index}]"),
            Self::LineItem { offset, line, list: "", index } => write!(f, "offset {offset} line {line} entry {index}"),
            Self::LineItem { offset, line, list, index } => write!(f, "offset {offset} line {line} {list}[{index}]"),
            Self::EventRecord { id } => write!(f, "EventRecordID {id}"),
            Self::CacheAddress { addr } => write!(f, "cache address 0x{addr:08x}"),
            Self::Whole => f.write_str("whole input"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RecordRef;

    #[test]
    fn write_to_matches_display() {
        for r in [
            RecordRef::Line { offset: 0, line: 1 },
            RecordRef::Line { offset: 18_446_744_073_709_551_615, line: 10 },
            RecordRef::Row { table: "visits", rowid: -3 },
            RecordRef::Item { list: "", index: 2 },
            RecordRef::LineItem { offset: 7, line: 2, list: "items", index: 3 },
            RecordRef::LineItem { offset: 7, line: 2, list: "", index: 0 },
            RecordRef::EventRecord { id: 4711 },
            RecordRef::CacheAddress { addr: 0xa001_0003 },
            RecordRef::Whole,
        ] {
            let mut s = String::new();
            r.write_to(&mut s);
            assert_eq!(s, r.to_string());
        }
        assert_eq!(
            RecordRef::LineItem { offset: 7, line: 2, list: "items", index: 3 }.to_string(),
            "offset 7 line 2 items[3]"
        );
    }
}

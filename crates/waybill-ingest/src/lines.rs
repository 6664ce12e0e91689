//! Splitting a byte stream into chunks of whole lines, with offsets and line
//! numbers, in bounded memory.
//!
//! A chunk ends at the last newline within [`CHUNK_SIZE`] bytes, so lines are
//! never split between chunks and chunks can be parsed independently. A line
//! longer than a whole chunk is not buffered: it is skipped to its end and
//! reported as an [`Piece::Overlong`] (a reject), so a 10 GiB single-line file
//! costs one chunk of memory.

use std::io::{self, Read};

use waybill_model::RecordRef;

/// Largest chunk of lines. Chunk sizes depend only on the input (never on the
/// machine), so the parts of an input, and the `seq` of its events, are the same
/// everywhere.
pub const CHUNK_SIZE: usize = 32 << 20;

/// The chunk size for an input of `size` bytes (`None`: unknown, compressed):
/// an eighth of the input in whole MiB, between 1 and 32 MiB, so that small
/// inputs are still parsed by several workers.
pub fn chunk_size_for(size: Option<u64>) -> usize {
    match size {
        Some(s) => {
            let eighth_mib = usize::try_from(s / 8 / (1 << 20)).unwrap_or(usize::MAX);
            eighth_mib.clamp(1, CHUNK_SIZE >> 20) << 20
        }
        None => CHUNK_SIZE,
    }
}

/// Longest line parsed as a record; longer lines are rejected as too long.
pub const MAX_LINE: usize = 4 << 20;

/// Where a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePos {
    /// Byte offset of the line's first byte in the (decompressed) content.
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// The line ends with a newline (the last line of a file may not).
    pub terminated: bool,
}

impl LinePos {
    /// The record reference of this line.
    pub fn record(&self) -> RecordRef {
        RecordRef::Line { offset: self.offset, line: self.line }
    }
}

/// One unit of work read from a stream.
#[derive(Debug)]
pub enum Piece {
    /// Whole lines.
    Lines {
        /// Sequence number of the piece in the stream (0-based).
        index: u32,
        /// Offset of `data[0]`.
        offset: u64,
        /// Line number of the first line.
        first_line: u64,
        /// The bytes: complete lines, the last one unterminated only at end of stream.
        data: Vec<u8>,
    },
    /// A line longer than a chunk; only its first bytes were kept.
    Overlong {
        /// Sequence number of the piece in the stream.
        index: u32,
        /// Offset of the line.
        offset: u64,
        /// Its line number.
        line: u64,
        /// Its full length in bytes (without the newline).
        len: u64,
        /// Its first bytes.
        head: Vec<u8>,
    },
}

/// Reads a stream as [`Piece`]s.
pub struct Chunker<R> {
    reader: R,
    chunk_size: usize,
    buf: Vec<u8>,
    /// Offset of `buf[0]`.
    offset: u64,
    line: u64,
    index: u32,
    eof: bool,
    /// A read error, reported after the bytes read before it have been handed out.
    error: Option<io::Error>,
    /// Buffers handed back by consumers, reused to avoid faulting in fresh memory
    /// for every chunk.
    spare: Vec<Vec<u8>>,
    /// Cut pieces only at line ends outside double quotes (CSV, whose quoted
    /// fields may hold newlines).
    quoted_newlines: bool,
    /// Longest line (record) a piece may end with; a longer one is an
    /// overlong piece.
    max_line: usize,
    /// How much `fill` reads: the chunk size, doubled while a line longer
    /// than a chunk (and not than `max_line`) is being read.
    want: usize,
}

impl<R: Read> Chunker<R> {
    /// A chunker with the standard chunk size.
    pub fn new(reader: R) -> Self {
        Self::with_chunk_size(reader, CHUNK_SIZE)
    }

    /// A chunker with a given chunk size (tests use small ones).
    pub fn with_chunk_size(reader: R, chunk_size: usize) -> Self {
        Self {
            reader,
            chunk_size: chunk_size.max(2),
            buf: Vec::new(),
            offset: 0,
            line: 1,
            index: 0,
            eof: false,
            error: None,
            spare: Vec::new(),
            quoted_newlines: false,
            max_line: chunk_size.max(2),
            want: chunk_size.max(2),
        }
    }

    /// Reads lines up to `max` bytes whole, growing the buffer past the chunk
    /// size while one is read (by default a line longer than a chunk is an
    /// overlong piece).
    pub fn with_max_line(mut self, max: usize) -> Self {
        self.max_line = max.max(self.chunk_size);
        self
    }

    /// Cuts pieces only at line ends outside double quotes, so that a record
    /// whose quoted field holds newlines stays in one piece (see
    /// [`for_each_record`]). A full chunk without such a line end is an
    /// overlong piece, and the next piece starts after the next line end.
    pub fn with_quoted_newlines(mut self) -> Self {
        self.quoted_newlines = true;
        self
    }

    /// Offset of the next unread byte of the content.
    pub fn position(&self) -> u64 {
        self.offset + self.buf.len() as u64
    }

    /// Gives a piece's buffer back for reuse (at most two are kept).
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < 2 && buf.capacity() >= self.chunk_size {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// Line number of the next unread line.
    pub fn line(&self) -> u64 {
        self.line + memchr::memchr_iter(b'\n', &self.buf).count() as u64
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// Gives the reader back (to drain or finish it).
    pub fn into_inner(self) -> R {
        self.reader
    }

    fn fill(&mut self) {
        while !self.eof && self.buf.len() < self.want {
            let start = self.buf.len();
            self.buf.resize(self.want, 0);
            match self.reader.read(&mut self.buf[start..]) {
                Ok(0) => {
                    self.buf.truncate(start);
                    self.eof = true;
                }
                Ok(n) => self.buf.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.buf.truncate(start),
                Err(e) => {
                    self.buf.truncate(start);
                    self.eof = true;
                    self.error = Some(e);
                }
            }
        }
    }

    /// The next piece, or `None` at the end. A read error is returned (with the
    /// offset reached) after every byte read before it has been handed out; the
    /// last piece before an error may end in an incomplete line.
    pub fn next_piece(&mut self) -> Result<Option<Piece>, (u64, io::Error)> {
        let cut = loop {
            self.fill();
            if self.buf.is_empty() {
                return match self.error.take() {
                    Some(e) => Err((self.offset, e)),
                    None => Ok(None),
                };
            }
            let cut = if self.eof {
                Some(self.buf.len())
            } else if self.quoted_newlines {
                last_record_end(&self.buf)
            } else {
                memchr::memrchr(b'\n', &self.buf).map(|i| i + 1)
            };
            // No line end in the buffer: read on while the line may still
            // be short enough.
            if cut.is_none() && !self.eof && self.max_line > self.chunk_size && self.want <= self.max_line {
                self.want = self.want.saturating_mul(2).min(self.max_line + 1);
                continue;
            }
            self.want = self.chunk_size;
            break cut;
        };
        let index = self.index;
        self.index += 1;
        if let Some(cut) = cut {
            let mut rest = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(self.chunk_size));
            rest.extend_from_slice(&self.buf[cut..]);
            self.buf.truncate(cut);
            let data = std::mem::replace(&mut self.buf, rest);
            let offset = self.offset;
            let first_line = self.line;
            self.offset += data.len() as u64;
            self.line += memchr::memchr_iter(b'\n', &data).count() as u64;
            return Ok(Some(Piece::Lines { index, offset, first_line, data }));
        }
        // No newline in a full chunk: an overlong line. Keep its head, skip to its end.
        let offset = self.offset;
        let line = self.line;
        let head = self.buf[..waybill_model::EXCERPT_LIMIT.min(self.buf.len())].to_vec();
        let mut len = 0u64;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                len += i as u64;
                self.offset += len + 1;
                self.line += 1;
                self.buf.drain(..=i);
                break;
            }
            len += self.buf.len() as u64;
            self.buf.clear();
            if self.eof {
                self.offset += len;
                break;
            }
            self.fill();
            if self.buf.is_empty() {
                self.offset += len;
                break;
            }
        }
        Ok(Some(Piece::Overlong { index, offset, line, len, head }))
    }
}

/// Where the last line end outside double quotes of `buf` ends (a piece that
/// starts outside quotes): the quotes after it are counted back from the end
/// of `buf`, knowing how many it holds in all.
fn last_record_end(buf: &[u8]) -> Option<usize> {
    let mut odd = buf.iter().filter(|b| **b == b'"').count() % 2 == 1;
    for (i, b) in buf.iter().enumerate().rev() {
        match b {
            // `odd`: the quotes before this byte are odd in number.
            b'\n' if !odd => return Some(i + 1),
            b'"' => odd = !odd,
            _ => {}
        }
    }
    None
}

/// Calls `f` for every non-blank record of `data`, as [`for_each_line`] does
/// for lines, where a record ends at a line end outside double quotes (a CSV
/// row whose quoted field holds newlines is one record, with its newlines). The
/// record's position is that of its first line; one still inside quotes at
/// the end of `data` is passed as it is, unterminated.
pub fn for_each_record(data: &[u8], offset: u64, first_line: u64, f: impl FnMut(LinePos, &[u8])) {
    split_records(data, offset, first_line, true, f);
}

/// Calls `f` for every non-blank line of `data` (complete lines starting at
/// `offset`, line number `first_line`), without the line terminator (`\n` or `\r\n`).
pub fn for_each_line(data: &[u8], offset: u64, first_line: u64, f: impl FnMut(LinePos, &[u8])) {
    split_records(data, offset, first_line, false, f);
}

/// Lines, or with `quoted` records that end at a line end outside quotes.
fn split_records(data: &[u8], offset: u64, first_line: u64, quoted: bool, mut f: impl FnMut(LinePos, &[u8])) {
    let mut start = 0usize;
    let mut line = first_line;
    while start < data.len() {
        let mut end = start;
        let mut lines = 1;
        // Quotes so far in the record, counted line by line (each byte once).
        let mut odd = false;
        let (end, next, terminated) = loop {
            match memchr::memchr(b'\n', &data[end..]) {
                Some(i) => {
                    let nl = end + i;
                    if quoted {
                        odd ^= data[end..nl].iter().filter(|b| **b == b'"').count() % 2 == 1;
                    }
                    if !odd {
                        break (nl, nl + 1, true);
                    }
                    end = nl + 1;
                    lines += 1;
                }
                None => break (data.len(), data.len(), false),
            }
        };
        let mut r = &data[start..end];
        if let Some(s) = r.strip_suffix(b"\r") {
            r = s;
        }
        if !r.is_empty() && !r.iter().all(|b| *b == b' ' || *b == b'\t') {
            f(LinePos { offset: offset + start as u64, line, terminated }, r);
        }
        line += lines;
        start = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records (position, text) of `input` cut into pieces of `chunk` bytes
    /// at line ends outside quotes.
    fn csv_records(input: &[u8], chunk: usize) -> (Vec<(u64, u64, bool, String)>, usize) {
        let mut c = Chunker::with_chunk_size(input, chunk).with_quoted_newlines();
        let (mut out, mut pieces) = (Vec::new(), 0);
        while let Some(p) = c.next_piece().expect("read") {
            pieces += 1;
            match p {
                Piece::Lines { offset, first_line, data, .. } => {
                    // Every piece but the last ends outside quotes.
                    for_each_record(&data, offset, first_line, |pos, r| {
                        out.push((pos.offset, pos.line, pos.terminated, String::from_utf8_lossy(r).into_owned()));
                    });
                }
                Piece::Overlong { offset, line, len, .. } => out.push((offset, line, true, format!("overlong {len}"))),
            }
        }
        (out, pieces)
    }

    #[test]
    fn csv_records_with_quoted_newlines_stay_whole_across_pieces() {
        let input = b"h1,h2\r\n1,\"a\nb\nc\"\r\n2,\"\"\"q\"\"\"\n\n3,\"x,\ny\"\n4,\"open\nend";
        let want = vec![
            (0, 1, true, "h1,h2".to_owned()),
            (7, 2, true, "1,\"a\nb\nc\"".to_owned()),
            (18, 5, true, "2,\"\"\"q\"\"\"".to_owned()),
            (29, 7, true, "3,\"x,\ny\"".to_owned()),
            (38, 9, false, "4,\"open\nend".to_owned()),
        ];
        // Whatever the piece size above the longest record, the same records.
        for chunk in [13, 16, 24, 64, 4096] {
            let (got, pieces) = csv_records(input, chunk);
            assert_eq!(got, want, "chunk {chunk}");
            assert!(chunk >= 64 || pieces > 1, "chunk {chunk}: {pieces} pieces");
        }
        // A quote left open longer than a piece: an overlong piece, then the
        // records after the next line end.
        let (got, _) = csv_records(b"a,\"b\nccccccccccccc\nd\n", 8);
        assert_eq!(got[0], (0, 1, true, "overlong 4".to_owned()));
        assert!(got.iter().any(|r| r.3 == "d"), "{got:?}");
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_read_whole_up_to_the_longest_line() {
        let mut input = b"short\n".to_vec();
        input.extend_from_slice(&[b'y'; 100]);
        input.extend_from_slice(b"\nmid\n");
        input.extend_from_slice(&[b'z'; 300]);
        input.extend_from_slice(b"\nend\n");
        let mut c = Chunker::with_chunk_size(&input[..], 16).with_max_line(128);
        let mut got = Vec::new();
        while let Some(p) = c.next_piece().expect("read") {
            match p {
                Piece::Lines { offset, first_line, data, .. } => {
                    for_each_line(&data, offset, first_line, |pos, l| got.push((pos.line, l.len())));
                }
                Piece::Overlong { line, len, .. } => got.push((line, len as usize + 1_000_000)),
            }
        }
        // The 100-byte line is read whole; the 300-byte one is overlong.
        assert_eq!(got, vec![(1, 5), (2, 100), (3, 3), (4, 1_000_300), (5, 3)]);
        // Without a longest line, a line longer than a chunk is overlong.
        let mut c = Chunker::with_chunk_size(&input[..], 16);
        let mut overlong = 0;
        while let Some(p) = c.next_piece().expect("read") {
            overlong += usize::from(matches!(p, Piece::Overlong { .. }));
        }
        assert_eq!(overlong, 2);
    }

    #[test]
    fn the_last_record_end_counts_quotes_back_from_the_end() {
        assert_eq!(last_record_end(b"a\nb\n"), Some(4));
        assert_eq!(last_record_end(b"a\n\"b\nc"), Some(2));
        assert_eq!(last_record_end(b"\"a\nb\"\nc"), Some(6));
        assert_eq!(last_record_end(b"\"a\nb"), None);
        assert_eq!(last_record_end(b""), None);
    }

    fn pieces(input: &[u8], chunk: usize) -> Vec<Piece> {
        let mut c = Chunker::with_chunk_size(input, chunk);
        let mut out = Vec::new();
        while let Some(p) = c.next_piece().unwrap() {
            out.push(p);
        }
        out
    }

    #[test]
    fn chunks_keep_offsets_and_line_numbers() {
        let text = b"aa\nbbbb\ncc\r\n\nlast";
        let mut seen = Vec::new();
        for p in pieces(text, 6) {
            match p {
                Piece::Lines { offset, first_line, data, .. } => {
                    for_each_line(&data, offset, first_line, |pos, l| seen.push((pos, l.to_vec())));
                }
                Piece::Overlong { .. } => panic!("no overlong line here"),
            }
        }
        let got: Vec<(u64, u64, bool, &[u8])> =
            seen.iter().map(|(p, l)| (p.offset, p.line, p.terminated, l.as_slice())).collect();
        assert_eq!(
            got,
            vec![(0, 1, true, &b"aa"[..]), (3, 2, true, b"bbbb"), (8, 3, true, b"cc"), (13, 5, false, b"last")]
        );
    }

    #[test]
    fn overlong_line_is_skipped_in_bounded_memory() {
        let mut text = b"ok\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 100));
        text.extend(b"\nafter\n");
        let ps = pieces(&text, 8);
        let mut lines = Vec::new();
        let mut overlong = Vec::new();
        for p in ps {
            match p {
                Piece::Lines { offset, first_line, data, .. } => {
                    for_each_line(&data, offset, first_line, |pos, l| lines.push((pos.offset, pos.line, l.to_vec())));
                }
                Piece::Overlong { offset, line, len, head, .. } => overlong.push((offset, line, len, head.len())),
            }
        }
        assert_eq!(overlong, vec![(3, 2, 100, 8)]);
        assert_eq!(lines, vec![(0, 1, b"ok".to_vec()), (104, 3, b"after".to_vec())]);
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size_for(Some(100)), 1 << 20);
        assert_eq!(chunk_size_for(Some(26_538_006)), 3 << 20);
        assert_eq!(chunk_size_for(Some(1 << 30)), 32 << 20);
        assert_eq!(chunk_size_for(None), 32 << 20);
    }

    #[test]
    fn overlong_last_line_without_newline() {
        let text = [b'y'; 20];
        let ps = pieces(&text, 4);
        assert!(matches!(ps.as_slice(), [Piece::Overlong { offset: 0, line: 1, len: 20, .. }]));
    }
}

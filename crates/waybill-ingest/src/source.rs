//! The one trait every evidence format implements.

use std::collections::BTreeMap;
use std::io;

use waybill_model::EventSink;

use crate::input::Input;
use crate::lines::LinePos;
use crate::logformat::LogFormatSpec;
use crate::zone::Zone;

/// How sure a source is that a probe is its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sniff {
    /// Not this format.
    No,
    /// Could be this format (weak signals only).
    Maybe,
    /// This format (a signature, a schema or several records that parse).
    Yes,
}

/// Which clock a source's timestamps come from when the examiner names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockHint {
    /// The device the evidence was taken from (browser history, file system).
    Device,
    /// The host that wrote the log (web servers, CDNs, cloud services).
    Host,
}

/// How the driver opens an input for a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A byte stream (gzip is decompressed transparently).
    Text,
    /// An SQLite database, opened read-only (see [`crate::input`]).
    Sqlite,
}

/// Settings that change how inputs are read, from the command line and the case.
#[derive(Debug, Clone, Default)]
pub struct ParseContext {
    /// Zone for local times written without an offset (`--tz`, else the case zone, else UTC).
    pub tz: Zone,
    /// A user-supplied access-log format (`--log-format`).
    pub log_format: Option<LogFormatSpec>,
}

/// Tables and their columns of an SQLite input, read once for sniffing and parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqliteSchema {
    /// Table name → column names, in declaration order.
    pub tables: BTreeMap<String, Vec<String>>,
    /// `PRAGMA user_version`.
    pub user_version: i64,
}

impl SqliteSchema {
    /// Does the database have this table?
    pub fn has_table(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// Does the table have this column?
    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.tables.get(table).is_some_and(|cols| cols.iter().any(|c| c.eq_ignore_ascii_case(column)))
    }

    /// Does the table have all these columns?
    pub fn has_columns(&self, table: &str, columns: &[&str]) -> bool {
        columns.iter().all(|c| self.has_column(table, c))
    }

    /// Does the database have all these tables?
    pub fn has_tables(&self, tables: &[&str]) -> bool {
        tables.iter().all(|t| self.has_table(t))
    }
}

/// What a source may look at to recognise its format: the first bytes of the
/// content (decompressed), the SQLite schema for databases, and the file name —
/// which may only break ties, never decide alone.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    /// Up to [`crate::PROBE_LEN`] bytes from the start of the content.
    pub head: &'a [u8],
    /// `head` is the whole content.
    pub complete: bool,
    /// Up to [`crate::input::TAIL_LEN`] bytes from the end of the file as
    /// stored, never decompressed (formats that keep their structure at the
    /// end, such as a Firefox cache entry's metadata); empty for SQLite.
    pub tail: &'a [u8],
    /// The stored file's size in bytes when `tail` was read (where `tail` ends).
    pub size: u64,
    /// The file name (last path component).
    pub file_name: &'a str,
    /// The schema, for SQLite inputs.
    pub sqlite: Option<&'a SqliteSchema>,
    /// Parse settings (a `--log-format` changes what an access log looks like).
    pub ctx: &'a ParseContext,
}

impl<'a> Probe<'a> {
    /// The complete, non-blank lines of the head (a last line cut off by the probe
    /// limit is left out), with trailing `\r` removed.
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let head = self.head;
        let usable = if self.complete {
            head
        } else {
            match memchr::memrchr(b'\n', head) {
                Some(i) => &head[..i],
                None => &head[..0],
            }
        };
        usable
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
    }

    /// Judges a line format by its first lines: `Yes` when most of the first `n`
    /// non-comment lines parse (damaged lines happen in real logs); `Maybe` when
    /// some do; `No` otherwise. A line holding a NUL byte is binary, not a
    /// line of a text log: it counts as one that does not parse, unread.
    pub fn judge_lines(&self, n: usize, comment: Option<u8>, mut ok: impl FnMut(&[u8]) -> bool) -> Sniff {
        let mut tried = 0;
        let mut good = 0;
        for line in self.lines() {
            if comment.is_some_and(|c| line.first() == Some(&c)) {
                continue;
            }
            tried += 1;
            if !line.contains(&0) && ok(line) {
                good += 1;
            }
            if tried == n {
                break;
            }
        }
        if good == 0 {
            Sniff::No
        } else if good * 2 > tried {
            Sniff::Yes
        } else {
            Sniff::Maybe
        }
    }
}

/// Why a whole input could not be used. A bad *record* is never an error: it is
/// a [`waybill_model::Reject`].
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The input is not of this source's format (for example a `--format` override
    /// on the wrong file, or an SQLite file without the expected tables).
    #[error("not a {format} input: {reason}")]
    NotThisFormat {
        /// The source id.
        format: &'static str,
        /// What is missing.
        reason: String,
    },
    /// A version or variant of the format that this source does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An SQLite query failed.
    #[error("SQLite query on table {table} failed: {source}")]
    Sqlite {
        /// The table being read.
        table: String,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// Reading the input failed.
    #[error("read error at byte {offset}: {source}")]
    Io {
        /// Offset in the (decompressed) content where reading failed.
        offset: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The input as a whole is invalid (a JSON document that does not parse, …).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A user-supplied setting (a `--log-format`) is invalid.
    #[error("invalid setting: {0}")]
    Setting(String),
}

impl SourceError {
    /// Wraps an SQLite error with the table it concerns.
    pub fn sqlite(table: &str) -> impl FnOnce(rusqlite::Error) -> Self + '_ {
        move |source| Self::Sqlite { table: table.to_owned(), source }
    }
}

/// Parses one line of a line-oriented format. Lines are independent, so the
/// driver may parse chunks of a large input in parallel.
pub trait LineParser: Send + Sync {
    /// Parses one non-blank line (without its line terminator). For each record
    /// on the line must call exactly one of `accepted` (after its events) or
    /// `reject` on `out`: one record per line unless [`Self::one_record_per_line`]
    /// says otherwise.
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink);

    /// Is this line not a record at all (a comment, a header)? Such lines are
    /// neither parsed nor counted.
    fn skip_line(&self, _line: &[u8]) -> bool {
        false
    }

    /// Whether every line is exactly one record (checked by the driver). A
    /// format whose line may hold a list of records (JSON Lines with response
    /// pages: zero or more) says `false`; the driver then checks only that
    /// every event of a line is closed.
    fn one_record_per_line(&self) -> bool {
        true
    }

    /// Whether a record may hold newlines inside double quotes (CSV): the
    /// driver then cuts the input only at line ends outside quotes, and a
    /// "line" passed to [`Self::parse_line`] is a whole record, its newlines
    /// included (see [`crate::lines::for_each_record`]).
    fn quoted_newlines(&self) -> bool {
        false
    }

    /// The longest line read (longer ones are rejected as too long); lines
    /// longer than a chunk are read whole up to it.
    fn max_line(&self) -> usize {
        crate::lines::MAX_LINE
    }
}

/// An evidence format.
///
/// Required: identity, sniffing and parsing. Capabilities with defaults: the
/// input kind (text unless overridden), a line parser for independent-line
/// formats (enables parallel parsing), and the clock hint.
pub trait Source: Send + Sync + 'static {
    /// Stable id (`chrome.history`): the `format` column, the partition and the
    /// `--format` value.
    fn id(&self) -> &'static str;

    /// One line for `waybill formats`.
    fn description(&self) -> &'static str;

    /// Bumped whenever the output for the same input changes.
    fn version(&self) -> u32;

    /// How the input is opened.
    fn input_kind(&self) -> InputKind {
        InputKind::Text
    }

    /// Judges from content whether a probe is this format.
    fn sniff(&self, probe: &Probe<'_>) -> Sniff;

    /// Parses the whole input into `out`. Returns `Err` only when the input as a
    /// whole cannot be used.
    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError>;

    /// For formats whose records are independent lines: the parser of one line.
    /// When this returns a parser, the driver reads the input itself (in parallel
    /// chunks) and `parse` is not called.
    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(None)
    }

    /// The line parser for an input that starts with `head` (the probe's
    /// bytes): for formats whose reading depends on their first line (JSON
    /// Lines or one pretty-printed document). By default [`Self::line_parser`].
    fn line_parser_for<'a>(
        &'a self,
        ctx: &'a ParseContext,
        head: &[u8],
    ) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        let _ = head;
        self.line_parser(ctx)
    }

    /// Which clock the timestamps come from by default.
    fn clock(&self) -> ClockHint {
        ClockHint::Device
    }

    /// SQLite tables the source reads when they are there, each with what is
    /// not known without it. A database without one of them is read all the
    /// same, and the input's manifest line says so (`notes`).
    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Is each file of this format one record (a cache entry, an exported
    /// stream)? A folder walk then reads the files of one folder as one input
    /// ([`crate::driver::gather_entries`]), with one record per file.
    fn per_entry(&self) -> bool {
        false
    }
}

/// Parses a line format sequentially with `parser` (the `parse` of every line
/// source; the driver normally reads such inputs itself, in parallel).
pub fn parse_lines(parser: &dyn LineParser, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
    input.for_each_line(out, |pos, line, out| {
        if !parser.skip_line(line) {
            parser.parse_line(pos, line, out);
        }
    })
}

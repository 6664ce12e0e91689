//! Access-log templates: Apache `LogFormat` and nginx `log_format` strings,
//! compiled into a matcher that splits a line into named fields.
//!
//! A template is a sequence of literals and fields. A field ends where the next
//! literal occurs; inside a quoted field (`"%r"`) an escaped quote (`\"`) does not
//! end it. When the first split does not lead to a full match, the matcher tries
//! the next occurrence of the literal (bounded backtracking), and typed fields
//! (times, status codes, byte counts, host addresses) are validated as they are
//! matched — so a line whose client address is a list (`10.0.0.2, 10.0.0.1`)
//! still splits correctly. Matching never allocates; the backtracking budget per
//! line is fixed, so hostile lines cannot make it slow.
//!
//! References: Apache `mod_log_config` (format directives, escaping of `"`, `\`
//! and control characters as `\xhh`); nginx `ngx_http_log_module` (`$variables`,
//! `$http_<header>` with dashes as underscores, `escape=default|json|none`).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use waybill_model::time::{digits, fraction_to_micros, month_from_abbrev, parse_offset};
use waybill_model::{NaiveDateTime, Precision, RejectReason, Timestamp};

use crate::zone::Zone;

/// The template language a `--log-format` is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Apache httpd `LogFormat` (`%h %l %u %t "%r" …`).
    Apache,
    /// nginx `log_format` (`$remote_addr - $remote_user …`).
    Nginx,
}

/// A `--log-format` value: `apache:'…'` or `nginx:'…'`. Named formats are
/// accepted too: `apache:common`, `apache:combined`, `apache:vhost_combined`,
/// `nginx:combined`, `nginx:main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormatSpec {
    /// The language.
    pub dialect: Dialect,
    /// The template text (named formats expanded).
    pub template: String,
}

/// A `--log-format` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogFormatError {
    /// No `apache:` / `nginx:` prefix.
    #[error("log format must start with apache: or nginx: (got {0:?})")]
    Dialect(String),
    /// The template does not compile.
    #[error("log format {template:?}: {detail}")]
    Template {
        /// The template.
        template: String,
        /// What is wrong.
        detail: String,
    },
}

/// Apache's `common` format.
pub const APACHE_COMMON: &str = r#"%h %l %u %t "%r" %>s %b"#;
/// Apache's `combined` format.
pub const APACHE_COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;
/// Apache's `vhost_combined` format (Debian's default for virtual hosts).
pub const APACHE_VHOST_COMBINED: &str = r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#;
/// nginx's built-in `combined` format.
pub const NGINX_COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// The `main` format of nginx's packaged `nginx.conf`.
pub const NGINX_MAIN: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;

impl FromStr for LogFormatSpec {
    type Err = LogFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (dialect, rest) = if let Some(r) = s.strip_prefix("apache:") {
            (Dialect::Apache, r)
        } else if let Some(r) = s.strip_prefix("nginx:") {
            (Dialect::Nginx, r)
        } else {
            return Err(LogFormatError::Dialect(s.to_owned()));
        };
        let rest = strip_quotes(rest.trim());
        let template = match (dialect, rest) {
            (Dialect::Apache, "common") => APACHE_COMMON.to_owned(),
            (Dialect::Apache, "combined") => APACHE_COMBINED.to_owned(),
            (Dialect::Apache, "vhost_combined") => APACHE_VHOST_COMBINED.to_owned(),
            (Dialect::Nginx, "combined") => NGINX_COMBINED.to_owned(),
            (Dialect::Nginx, "main") => NGINX_MAIN.to_owned(),
            (Dialect::Apache, t) => unescape_config(t),
            // nginx configs split long formats into several quoted strings.
            (Dialect::Nginx, t) => t.replace("' '", "").replace("'\n'", ""),
        };
        let spec = Self { dialect, template };
        Template::compile(&spec, "custom")?;
        Ok(spec)
    }
}

fn strip_quotes(s: &str) -> &str {
    for q in ['\'', '"'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// Apache's config parser turns `\"`, `\\`, `\t`, `\n` in a quoted LogFormat into characters.
fn unescape_config(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for LogFormatSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.dialect {
            Dialect::Apache => "apache",
            Dialect::Nginx => "nginx",
        };
        write!(f, "{d}:{}", self.template)
    }
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Client address (`%h`, `%a`, `$remote_addr`); may be a comma-separated list.
    RemoteHost,
    /// Peer address of the connection (`%{c}a`, `$realip_remote_addr`).
    PeerIp,
    /// Server address (`%A`, `$server_addr`).
    LocalIp,
    /// identd name (`%l`).
    Ident,
    /// Authenticated user (`%u`, `$remote_user`).
    RemoteUser,
    /// `[10/Oct/2000:13:55:36 -0700]` with brackets (`%t`).
    TimeClfBracketed,
    /// `10/Oct/2000:13:55:36 -0700` (`$time_local`).
    TimeClf,
    /// ISO 8601 with offset (`$time_iso8601`).
    TimeIso8601,
    /// Seconds with milliseconds (`$msec`).
    TimeMsec,
    /// Seconds (`%{sec}t`).
    TimeEpochSec,
    /// Milliseconds (`%{msec}t`).
    TimeEpochMs,
    /// Microseconds (`%{usec}t`).
    TimeEpochUs,
    /// A strftime pattern (`%{%d/%b/%Y %T}t`); local time unless it has `%z`.
    TimeStrftime(String),
    /// Request line (`%r`, `$request`).
    Request,
    /// Method (`%m`, `$request_method`).
    Method,
    /// Path and query (`$request_uri`).
    Uri,
    /// Path only (`%U`, `$uri`, `$document_uri`).
    Path,
    /// Query with its `?` (`%q`).
    QueryWithMark,
    /// Query without `?` (`$args`, `$query_string`).
    Query,
    /// Protocol (`%H`, `$server_protocol`).
    Protocol,
    /// Status (`%>s`, `%s`, `$status`).
    Status,
    /// Body bytes, `-` for none (`%b`, `$body_bytes_sent`).
    BodyBytes,
    /// Bytes including headers (`%O`, `%B`, `$bytes_sent`).
    Bytes,
    /// A request header, lower-case with dashes (`%{Referer}i`, `$http_referer`).
    Header(String),
    /// Server name (`%v`, `%V`, `$server_name`, `$host`).
    ServerName,
    /// Server port (`%p`, `$server_port`).
    Port,
    /// Serve time in µs (`%D`).
    DurationUs,
    /// Serve time in seconds (`%T`, `$request_time`).
    DurationS,
    /// URL scheme (`$scheme`).
    Scheme,
    /// Anything else, kept in `attrs` under its name.
    Other(String),
}

impl FieldKind {
    /// Does the field hold the record's time?
    pub fn is_time(&self) -> bool {
        matches!(
            self,
            Self::TimeClfBracketed
                | Self::TimeClf
                | Self::TimeIso8601
                | Self::TimeMsec
                | Self::TimeEpochSec
                | Self::TimeEpochMs
                | Self::TimeEpochUs
                | Self::TimeStrftime(_)
        )
    }
}

/// One compiled field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What it holds.
    pub kind: FieldKind,
    /// The attrs key used when the field has no column of its own.
    pub key: String,
    /// For request headers: the event column the value goes to.
    pub column: Option<crate::http::HeaderColumn>,
    /// Enclosed in double quotes in the template.
    quoted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Lit(Vec<u8>),
    Field(usize),
}

/// A compiled access-log template.
#[derive(Debug, Clone)]
pub struct Template {
    /// Name for messages (`combined`, `custom`).
    pub name: String,
    tokens: Vec<Token>,
    /// The fields, in template order.
    pub fields: Vec<Field>,
    /// The field that gives the record's time (the first time field).
    pub time_index: usize,
}

/// Maximum split attempts per line before giving up (keeps hostile lines cheap).
const BUDGET: u32 = 256;

impl Template {
    /// Compiles a template.
    pub fn compile(spec: &LogFormatSpec, name: &str) -> Result<Self, LogFormatError> {
        let err = |detail: String| LogFormatError::Template { template: spec.template.clone(), detail };
        let mut tokens = Vec::new();
        let mut fields = Vec::new();
        let mut lit = Vec::new();
        let b = spec.template.as_bytes();
        let mut i = 0;
        let push_field =
            |tokens: &mut Vec<Token>, fields: &mut Vec<Field>, lit: &mut Vec<u8>, kind: FieldKind, key: String| {
                if !lit.is_empty() {
                    tokens.push(Token::Lit(std::mem::take(lit)));
                }
                let column = match &kind {
                    FieldKind::Header(h) => crate::http::header_column(h),
                    _ => None,
                };
                fields.push(Field { kind, key, quoted: false, column });
                tokens.push(Token::Field(fields.len() - 1));
            };
        match spec.dialect {
            Dialect::Apache => {
                while i < b.len() {
                    if b[i] != b'%' {
                        lit.push(b[i]);
                        i += 1;
                        continue;
                    }
                    i += 1;
                    if b.get(i) == Some(&b'%') {
                        lit.push(b'%');
                        i += 1;
                        continue;
                    }
                    // Modifiers: status conditions (`400,501` or `!200`) and `<`/`>`.
                    while i < b.len()
                        && (b[i].is_ascii_digit() || b[i] == b',' || b[i] == b'!' || b[i] == b'<' || b[i] == b'>')
                    {
                        i += 1;
                    }
                    let mut arg = None;
                    if b.get(i) == Some(&b'{') {
                        let close = b[i..].iter().position(|&c| c == b'}').ok_or_else(|| err("unclosed %{".into()))?;
                        arg = Some(String::from_utf8_lossy(&b[i + 1..i + close]).into_owned());
                        i += close + 1;
                    }
                    let Some(&d) = b.get(i) else {
                        return Err(err("template ends inside a directive".into()));
                    };
                    i += 1;
                    let (kind, key) = apache_directive(d, arg.as_deref())
                        .ok_or_else(|| err(format!("unknown directive %{}", d as char)))?;
                    push_field(&mut tokens, &mut fields, &mut lit, kind, key);
                }
            }
            Dialect::Nginx => {
                while i < b.len() {
                    if b[i] != b'$' {
                        lit.push(b[i]);
                        i += 1;
                        continue;
                    }
                    i += 1;
                    let name = if b.get(i) == Some(&b'{') {
                        let close = b[i..].iter().position(|&c| c == b'}').ok_or_else(|| err("unclosed ${".into()))?;
                        let n = &b[i + 1..i + close];
                        i += close + 1;
                        n
                    } else {
                        let start = i;
                        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                            i += 1;
                        }
                        &b[start..i]
                    };
                    if name.is_empty() {
                        lit.push(b'$');
                        continue;
                    }
                    let name = String::from_utf8_lossy(name).into_owned();
                    let (kind, key) = nginx_variable(&name);
                    push_field(&mut tokens, &mut fields, &mut lit, kind, key);
                }
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        // Two adjacent fields cannot be split.
        for w in tokens.windows(2) {
            if let [Token::Field(a), Token::Field(b)] = w {
                return Err(err(format!(
                    "fields {} and {} are not separated by any text",
                    fields[*a].key, fields[*b].key
                )));
            }
        }
        if fields.is_empty() {
            return Err(err("no fields".into()));
        }
        for (ti, t) in tokens.iter().enumerate() {
            if let Token::Field(fi) = t {
                let before = ti.checked_sub(1).and_then(|j| tokens.get(j));
                let after = tokens.get(ti + 1);
                let q_before = matches!(before, Some(Token::Lit(l)) if l.ends_with(b"\""));
                let q_after = matches!(after, Some(Token::Lit(l)) if l.starts_with(b"\""));
                fields[*fi].quoted = q_before && q_after;
            }
        }
        let time_index = fields.iter().position(|f| f.kind.is_time()).ok_or_else(|| err("no time field".into()))?;
        Ok(Self { name: name.to_owned(), tokens, fields, time_index })
    }

    /// Splits `line` into field values (escaped as logged), one per field, or
    /// `None` when the line does not fit the template.
    ///
    /// `strict` refuses a quoted field that holds an unescaped `"`: Apache and
    /// nginx escape quotes, so such a split is usually wrong — but some old logs
    /// hold them, so callers retry without `strict` when nothing else fits.
    pub fn split<'l>(&self, line: &'l [u8], out: &mut Vec<&'l [u8]>, strict: bool) -> bool {
        out.clear();
        out.resize(self.fields.len(), &[]);
        let mut budget = BUDGET;
        self.m(0, 0, line, out, &mut budget, strict)
    }

    fn m<'l>(
        &self,
        ti: usize,
        pos: usize,
        line: &'l [u8],
        out: &mut [&'l [u8]],
        budget: &mut u32,
        strict: bool,
    ) -> bool {
        let Some(token) = self.tokens.get(ti) else {
            return pos == line.len();
        };
        match token {
            Token::Lit(l) => has_prefix(line, pos, l) && self.m(ti + 1, pos + l.len(), line, out, budget, strict),
            Token::Field(fi) => {
                let field = &self.fields[*fi];
                let next = match self.tokens.get(ti + 1) {
                    Some(Token::Lit(l)) => Some(l.as_slice()),
                    _ => None,
                };
                let Some(next) = next else {
                    let v = &line[pos..];
                    if valid(field, v) {
                        out[*fi] = v;
                        return true;
                    }
                    return false;
                };
                let mut from = pos;
                // Strictly, a quoted field ends at its first unescaped quote: one
                // candidate, no rescan of the value for stray quotes.
                let first_quote_only = strict && field.quoted && next[0] == b'"';
                while let Some(end) = find_lit(line, from, next, field.quoted, first_quote_only) {
                    let v = &line[pos..end];
                    if valid(field, v) && self.m(ti + 1, end, line, out, budget, strict) {
                        out[*fi] = v;
                        return true;
                    }
                    // Every later candidate holds this value and more.
                    if *budget == 0 || first_quote_only || dead_end(field, v) {
                        return false;
                    }
                    *budget -= 1;
                    from = end + 1;
                }
                false
            }
        }
    }
}

/// Does `line[at..]` start with `lit`? Literals are a few bytes: a plain loop
/// beats a `memcmp` call here (measured with `bench_ingest`).
#[inline]
fn has_prefix(line: &[u8], at: usize, lit: &[u8]) -> bool {
    line.len() >= at + lit.len() && line[at..at + lit.len()].iter().zip(lit).all(|(a, b)| a == b)
}

/// Next occurrence of `lit` at or after `from`; in a quoted field, a quote
/// preceded by an odd number of backslashes does not count.
fn find_lit(line: &[u8], from: usize, lit: &[u8], quoted: bool, first_quote_only: bool) -> Option<usize> {
    let first = lit[0];
    let mut i = from;
    while i < line.len() {
        let j = i + memchr::memchr(first, &line[i..])?;
        if has_prefix(line, j, lit) {
            let escaped = quoted && first == b'"' && is_escaped(line, j);
            if !escaped {
                return Some(j);
            }
        } else if first_quote_only && !is_escaped(line, j) {
            return None;
        }
        i = j + 1;
    }
    None
}

/// Is the byte at `j` preceded by an odd number of backslashes?
fn is_escaped(line: &[u8], j: usize) -> bool {
    let mut k = j;
    let mut n = 0;
    while k > 0 && line[k - 1] == b'\\' {
        n += 1;
        k -= 1;
    }
    n % 2 == 1
}

/// Whether no value that starts with `v` is [`valid`] for the field: the later
/// candidates of a split all extend the value, so none need be tried. (Found
/// by fuzzing: a 680 KB line of spaces cost 256 rescans of the growing value.)
fn dead_end(field: &Field, v: &[u8]) -> bool {
    let stray_space = |v: &[u8]| v.iter().enumerate().any(|(i, &c)| c == b' ' && (i == 0 || v[i - 1] != b','));
    match &field.kind {
        FieldKind::RemoteHost | FieldKind::PeerIp | FieldKind::LocalIp => stray_space(v),
        FieldKind::Ident | FieldKind::RemoteUser | FieldKind::Method | FieldKind::Protocol | FieldKind::ServerName => {
            !field.quoted && v.contains(&b' ')
        }
        FieldKind::Status => v.len() > 3,
        FieldKind::BodyBytes | FieldKind::Bytes | FieldKind::Port | FieldKind::DurationUs => {
            v.len() > 19 || (v != b"-" && v.iter().any(|c| !c.is_ascii_digit()))
        }
        FieldKind::DurationS => v != b"-" && v.iter().any(|c| !c.is_ascii_digit() && *c != b'.'),
        FieldKind::TimeMsec | FieldKind::TimeEpochSec | FieldKind::TimeEpochMs | FieldKind::TimeEpochUs => {
            v.iter().any(|c| !c.is_ascii_digit() && *c != b'.')
        }
        _ => false,
    }
}

fn valid(field: &Field, v: &[u8]) -> bool {
    match &field.kind {
        FieldKind::RemoteHost | FieldKind::PeerIp | FieldKind::LocalIp => {
            // An address, or a list "a, b, c"; never other spaces.
            !v.is_empty() && v != b"-" && v.iter().enumerate().all(|(i, &c)| c != b' ' || (i > 0 && v[i - 1] == b','))
        }
        FieldKind::Ident | FieldKind::RemoteUser | FieldKind::Method | FieldKind::Protocol => {
            field.quoted || !v.contains(&b' ')
        }
        // A server name is never `host:port` (that is `%v:%p`).
        FieldKind::ServerName => {
            let host_port = v.iter().filter(|&&c| c == b':').count() == 1
                && v.rsplit(|&c| c == b':').next().is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
            (field.quoted || !v.contains(&b' ')) && !host_port && !v.is_empty()
        }
        FieldKind::Status => v == b"-" || (v.len() == 3 && v.iter().all(u8::is_ascii_digit)),
        FieldKind::BodyBytes | FieldKind::Bytes | FieldKind::Port | FieldKind::DurationUs => {
            v == b"-" || (!v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit))
        }
        FieldKind::DurationS => v == b"-" || (!v.is_empty() && v.iter().all(|c| c.is_ascii_digit() || *c == b'.')),
        FieldKind::TimeClfBracketed => {
            v.first() == Some(&b'[') && v.last() == Some(&b']') && parse_clf(&v[1..v.len() - 1]).is_some()
        }
        FieldKind::TimeClf => parse_clf(v).is_some(),
        FieldKind::TimeIso8601 => {
            std::str::from_utf8(v).is_ok_and(|s| waybill_model::time::parse_naive(s.get(..19).unwrap_or("")).is_ok())
        }
        FieldKind::TimeMsec | FieldKind::TimeEpochSec | FieldKind::TimeEpochMs | FieldKind::TimeEpochUs => {
            !v.is_empty() && v.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        }
        _ => true,
    }
}

fn apache_directive(d: u8, arg: Option<&str>) -> Option<(FieldKind, String)> {
    let k = |s: &str| s.to_owned();
    Some(match (d, arg) {
        (b'a', Some("c")) => (FieldKind::PeerIp, k("peer_ip")),
        (b'a' | b'h', _) => (FieldKind::RemoteHost, k("remote_host")),
        (b'A', _) => (FieldKind::LocalIp, k("local_ip")),
        (b'B', _) => (FieldKind::Bytes, k("bytes")),
        (b'b', _) => (FieldKind::BodyBytes, k("bytes")),
        (b'C', Some(n)) => (FieldKind::Other(format!("cookie_{n}")), format!("cookie_{n}")),
        (b'D', _) => (FieldKind::DurationUs, k("duration_us")),
        (b'e', Some(n)) => (FieldKind::Other(format!("env_{n}")), format!("env_{n}")),
        (b'f', _) => (FieldKind::Other(k("filename")), k("filename")),
        (b'H', _) => (FieldKind::Protocol, k("protocol")),
        (b'i', Some(n)) => {
            let h = n.to_ascii_lowercase();
            (FieldKind::Header(h.clone()), h)
        }
        (b'I', _) => (FieldKind::Other(k("bytes_received")), k("bytes_received")),
        (b'k', _) => (FieldKind::Other(k("keepalive")), k("keepalive")),
        (b'l', _) => (FieldKind::Ident, k("ident")),
        (b'L', _) => (FieldKind::Other(k("log_id")), k("log_id")),
        (b'm', _) => (FieldKind::Method, k("method")),
        (b'n', Some(n)) => (FieldKind::Other(format!("note_{n}")), format!("note_{n}")),
        (b'o', Some(n)) => {
            (FieldKind::Other(format!("resp_{}", n.to_ascii_lowercase())), format!("resp_{}", n.to_ascii_lowercase()))
        }
        (b'O', _) => (FieldKind::Bytes, k("bytes_sent")),
        (b'p', _) => (FieldKind::Port, k("port")),
        (b'P', _) => (FieldKind::Other(k("pid")), k("pid")),
        (b'q', _) => (FieldKind::QueryWithMark, k("query")),
        (b'r', _) => (FieldKind::Request, k("request")),
        (b'R', _) => (FieldKind::Other(k("handler")), k("handler")),
        (b's', _) => (FieldKind::Status, k("status")),
        (b'S', _) => (FieldKind::Other(k("bytes_transferred")), k("bytes_transferred")),
        (b't', None) => (FieldKind::TimeClfBracketed, k("time")),
        (b't', Some(f)) => {
            let f = f.trim_start_matches("begin:").trim_start_matches("end:");
            let kind = match f {
                "sec" => FieldKind::TimeEpochSec,
                "msec" => FieldKind::TimeEpochMs,
                "usec" => FieldKind::TimeEpochUs,
                "msec_frac" | "usec_frac" => FieldKind::Other(f.to_owned()),
                _ => FieldKind::TimeStrftime(f.to_owned()),
            };
            (kind, k("time"))
        }
        (b'T', _) => (FieldKind::DurationS, k("duration_s")),
        (b'u', _) => (FieldKind::RemoteUser, k("remote_user")),
        (b'U', _) => (FieldKind::Path, k("path")),
        (b'v' | b'V', _) => (FieldKind::ServerName, k("server_name")),
        (b'X', _) => (FieldKind::Other(k("connection_status")), k("connection_status")),
        _ => return None,
    })
}

fn nginx_variable(name: &str) -> (FieldKind, String) {
    let k = name.to_owned();
    let kind = match name {
        "remote_addr" => FieldKind::RemoteHost,
        "realip_remote_addr" => FieldKind::PeerIp,
        "server_addr" => FieldKind::LocalIp,
        "remote_user" => FieldKind::RemoteUser,
        "time_local" => FieldKind::TimeClf,
        "time_iso8601" => FieldKind::TimeIso8601,
        "msec" => FieldKind::TimeMsec,
        "request" => FieldKind::Request,
        "request_method" => FieldKind::Method,
        "request_uri" => FieldKind::Uri,
        "uri" | "document_uri" => FieldKind::Path,
        "args" | "query_string" => FieldKind::Query,
        "server_protocol" => FieldKind::Protocol,
        "status" => FieldKind::Status,
        "body_bytes_sent" => FieldKind::BodyBytes,
        "bytes_sent" => FieldKind::Bytes,
        "host" | "server_name" => FieldKind::ServerName,
        "server_port" => FieldKind::Port,
        "request_time" => FieldKind::DurationS,
        "scheme" => FieldKind::Scheme,
        _ => match name.strip_prefix("http_") {
            Some(h) => {
                let h = h.replace('_', "-");
                return (FieldKind::Header(h.clone()), h);
            }
            None => FieldKind::Other(k.clone()),
        },
    };
    (kind, k)
}

/// Parses `10/Oct/2000:13:55:36 -0700` (optionally with `.fraction` after the seconds).
pub fn parse_clf(v: &[u8]) -> Option<(NaiveDateTime, Option<i32>, Precision)> {
    if v.len() < 20 || v[2] != b'/' || v[6] != b'/' || v[11] != b':' || v[14] != b':' || v[17] != b':' {
        return None;
    }
    let day = digits(&v[0..2])?;
    let month = month_from_abbrev(&v[3..6])?;
    let year = i64::from(digits(&v[7..11])?);
    let hour = digits(&v[12..14])?;
    let minute = digits(&v[15..17])?;
    let second = digits(&v[18..20])?;
    let mut i = 20;
    let mut micro = 0;
    let mut precision = Precision::Second;
    if v.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while i < v.len() && v[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        micro = fraction_to_micros(&v[start..i]);
        precision = match i - start {
            1..=3 => Precision::Millisecond,
            _ => Precision::Microsecond,
        };
    }
    let rest = std::str::from_utf8(&v[i..]).ok()?;
    let offset = if rest.is_empty() { None } else { Some(parse_offset(rest)?) };
    let n = NaiveDateTime { year, month, day, hour, minute, second, micro };
    n.assume_utc().ok()?;
    Some((n, offset, precision))
}

/// A parsed time: the instant, its precision, and whether a zone had to be assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTime {
    /// The instant.
    pub ts: Timestamp,
    /// Precision.
    pub precision: Precision,
    /// Local time converted with the assumed zone.
    pub local: bool,
    /// The local time was ambiguous (DST fold).
    pub ambiguous: bool,
}

/// Interprets a time field.
pub fn field_time(kind: &FieldKind, v: &[u8], zone: Zone) -> Result<LineTime, RejectReason> {
    let bad = || RejectReason::Timestamp(String::from_utf8_lossy(v).into_owned());
    let with_offset = |n: NaiveDateTime, off: Option<i32>, precision| -> Result<LineTime, RejectReason> {
        match off {
            Some(o) => Ok(LineTime { ts: n.to_utc_with_offset(o)?, precision, local: false, ambiguous: false }),
            None => {
                let c = zone.to_utc(n)?;
                Ok(LineTime { ts: c.ts, precision, local: true, ambiguous: c.ambiguous })
            }
        }
    };
    match kind {
        FieldKind::TimeClfBracketed => {
            let inner = v.strip_prefix(b"[").and_then(|x| x.strip_suffix(b"]")).ok_or_else(bad)?;
            let (n, off, p) = parse_clf(inner).ok_or_else(bad)?;
            with_offset(n, off, p)
        }
        FieldKind::TimeClf => {
            let (n, off, p) = parse_clf(v).ok_or_else(bad)?;
            with_offset(n, off, p)
        }
        FieldKind::TimeIso8601 => {
            let s = std::str::from_utf8(v).map_err(|_| bad())?;
            let n = waybill_model::time::parse_naive(s.get(..19).ok_or_else(bad)?).map_err(|_| bad())?;
            let rest = &s[19..];
            let (micro, rest, precision) = match rest.strip_prefix('.') {
                Some(r) => {
                    let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                    let p = if end <= 3 { Precision::Millisecond } else { Precision::Microsecond };
                    (fraction_to_micros(&r.as_bytes()[..end]), &r[end..], p)
                }
                None => (0, rest, Precision::Second),
            };
            let n = NaiveDateTime { micro, ..n };
            let off = if rest.is_empty() { None } else { Some(parse_offset(rest).ok_or_else(bad)?) };
            with_offset(n, off, precision)
        }
        FieldKind::TimeMsec => {
            let s = std::str::from_utf8(v).map_err(|_| bad())?;
            let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
            let secs: i64 = secs.parse().map_err(|_| bad())?;
            let micro = i64::from(fraction_to_micros(frac.as_bytes()));
            let ts = Timestamp::from_unix_micros(secs.checked_mul(1_000_000).ok_or_else(bad)? + micro)?;
            Ok(LineTime { ts, precision: Precision::Millisecond, local: false, ambiguous: false })
        }
        FieldKind::TimeEpochSec | FieldKind::TimeEpochMs | FieldKind::TimeEpochUs => {
            let n: i64 = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            let (ts, precision) = match kind {
                FieldKind::TimeEpochSec => (Timestamp::from_unix_seconds(n)?, Precision::Second),
                FieldKind::TimeEpochMs => (Timestamp::from_unix_millis(n)?, Precision::Millisecond),
                _ => (Timestamp::from_unix_micros(n)?, Precision::Microsecond),
            };
            Ok(LineTime { ts, precision, local: false, ambiguous: false })
        }
        FieldKind::TimeStrftime(fmt) => {
            let s = std::str::from_utf8(v).map_err(|_| bad())?;
            if fmt.contains("%z") {
                let dt = chrono::DateTime::parse_from_str(s, fmt).map_err(|_| bad())?;
                let ts = Timestamp::from_unix_micros(dt.timestamp_micros())?;
                Ok(LineTime { ts, precision: Precision::Second, local: false, ambiguous: false })
            } else {
                use chrono::{Datelike, Timelike};
                let dt = chrono::NaiveDateTime::parse_from_str(s, fmt).map_err(|_| bad())?;
                let n = NaiveDateTime {
                    year: i64::from(dt.year()),
                    month: dt.month(),
                    day: dt.day(),
                    hour: dt.hour(),
                    minute: dt.minute(),
                    second: dt.second(),
                    micro: dt.nanosecond() / 1_000,
                };
                with_offset(n, None, Precision::Second)
            }
        }
        _ => Err(bad()),
    }
}

/// Undoes the escaping of Apache (`\"`, `\\`, `\xhh`, `\n`, `\t`) and nginx
/// (`\xHH`; with `escape=json`: `\"`, `\\`, `\uXXXX`, …). Values without a
/// backslash are borrowed; bytes that are not UTF-8 become U+FFFD.
pub fn unescape(v: &[u8]) -> Cow<'_, str> {
    if !v.contains(&b'\\') {
        return match std::str::from_utf8(v) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(v),
        };
    }
    let mut out: Vec<u8> = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if c != b'\\' || i + 1 >= v.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = v[i + 1];
        match e {
            b'x' if i + 4 <= v.len() && hex2(&v[i + 2..i + 4]).is_some() => {
                out.push(hex2(&v[i + 2..i + 4]).unwrap_or(b'?'));
                i += 4;
            }
            b'u' if i + 6 <= v.len()
                && std::str::from_utf8(&v[i + 2..i + 6])
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .is_some() =>
            {
                let code = std::str::from_utf8(&v[i + 2..i + 6])
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .unwrap_or(0xFFFD);
                let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += 6;
            }
            b'"' | b'\\' | b'/' => {
                out.push(e);
                i += 2;
            }
            b'n' => {
                out.push(b'\n');
                i += 2;
            }
            b't' => {
                out.push(b'\t');
                i += 2;
            }
            b'r' => {
                out.push(b'\r');
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex2(b: &[u8]) -> Option<u8> {
    let h = |c: u8| (c as char).to_digit(16);
    u8::try_from(h(b[0])? * 16 + h(b[1])?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(spec: &str) -> Template {
        Template::compile(&spec.parse().unwrap(), "t").unwrap()
    }

    fn split<'l>(tpl: &Template, line: &'l str) -> Option<Vec<&'l str>> {
        let mut out = Vec::new();
        tpl.split(line.as_bytes(), &mut out, true)
            .then(|| out.iter().map(|v| std::str::from_utf8(v).unwrap()).collect())
    }

    /// The cut in `m` is safe: a value [`dead_end`] calls dead has no valid
    /// extension, for every kind it cuts, quoted or not.
    #[test]
    fn no_extension_of_a_dead_end_is_valid() {
        let kinds = [
            FieldKind::RemoteHost,
            FieldKind::PeerIp,
            FieldKind::LocalIp,
            FieldKind::Ident,
            FieldKind::RemoteUser,
            FieldKind::Method,
            FieldKind::Protocol,
            FieldKind::ServerName,
            FieldKind::Status,
            FieldKind::BodyBytes,
            FieldKind::Bytes,
            FieldKind::Port,
            FieldKind::DurationUs,
            FieldKind::DurationS,
            FieldKind::TimeMsec,
            FieldKind::TimeEpochSec,
            FieldKind::TimeEpochMs,
            FieldKind::TimeEpochUs,
            FieldKind::TimeClfBracketed,
            FieldKind::Uri,
        ];
        let alphabet = b" ,-.:19a\"[";
        let mut next = waybill_testkit::xorshift(0x853c_49e6_748f_ea9bu64);
        let mut text = || -> Vec<u8> {
            // Mostly short values (dead ends of length 1–5), some past 19.
            let n = next() % (if next().is_multiple_of(8) { 25 } else { 6 });
            (0..n).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
        };
        let mut dead = 0u32;
        for kind in kinds {
            for quoted in [false, true] {
                let field = Field { kind: kind.clone(), key: String::new(), column: None, quoted };
                for _ in 0..4_000 {
                    let v = text();
                    if dead_end(&field, &v) {
                        dead += 1;
                        let longer = [v.clone(), text()].concat();
                        assert!(!valid(&field, &longer), "{kind:?} quoted {quoted}: {v:?} extends to valid {longer:?}");
                    }
                }
            }
        }
        assert!(dead > 20_000, "{dead} dead ends tried");
    }

    #[test]
    fn combined_splits() {
        let tpl = t("apache:combined");
        let v = split(&tpl, r#"203.0.113.7 - - [13/Jan/2016:19:31:20 +0200] "GET /a?b=\"c\" HTTP/1.1" 200 694 "http://localhost/" "Mozilla/5.0 (X11)""#).unwrap();
        assert_eq!(
            v,
            vec![
                "203.0.113.7",
                "-",
                "-",
                "[13/Jan/2016:19:31:20 +0200]",
                r#"GET /a?b=\"c\" HTTP/1.1"#,
                "200",
                "694",
                "http://localhost/",
                "Mozilla/5.0 (X11)"
            ]
        );
        assert!(split(&tpl, r#"203.0.113.7 - - [13/Jan/2016:19:31:20 +0200] "GET / HTTP/1.1" 200 694"#).is_none());
    }

    #[test]
    fn address_lists_backtrack() {
        let tpl = t("nginx:combined");
        let v = split(&tpl, r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0""#).unwrap();
        assert_eq!(v[0], "10.0.0.2, 10.0.0.1, 127.0.0.1");
        let v = split(
            &tpl,
            r#"2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /test.html HTTP/1.1" 404 8571 "-" "Facebot""#,
        );
        assert!(v.is_none(), "a space-separated pair is not an address list");
    }

    #[test]
    fn custom_apache_with_fetch_headers() {
        let tpl = t(
            r#"apache:%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{Sec-Fetch-Site}i\" \"%{Sec-Fetch-User}i\""#,
        );
        let v = split(
            &tpl,
            r#"203.0.113.9 - - [01/Jan/2026:00:00:00 +0000] "GET /f.jpg HTTP/2.0" 200 10 "-" "UA" "none" "?1""#,
        )
        .unwrap();
        assert_eq!(&v[9..], &["none", "?1"]);
        assert_eq!(tpl.fields[10].kind, FieldKind::Header("sec-fetch-user".into()));
    }

    #[test]
    fn nginx_json_template() {
        let tpl = t(
            r#"nginx:{"ts":"$time_iso8601","ip":"$remote_addr","req":"$request","status":$status,"user":"$http_sec_fetch_user"}"#,
        );
        let v = split(
            &tpl,
            r#"{"ts":"2026-01-03T02:14:07+00:00","ip":"203.0.113.7","req":"GET /x HTTP/1.1","status":200,"user":"?1"}"#,
        )
        .unwrap();
        assert_eq!(v, vec!["2026-01-03T02:14:07+00:00", "203.0.113.7", "GET /x HTTP/1.1", "200", "?1"]);
    }

    #[test]
    fn times() {
        let lt = field_time(&FieldKind::TimeClfBracketed, b"[13/Jan/2016:19:31:20 +0200]", Zone::Utc).unwrap();
        assert_eq!(lt.ts.to_string(), "2016-01-13T17:31:20.000000Z");
        assert!(!lt.local);
        let lt = field_time(&FieldKind::TimeMsec, b"1451606400.123", Zone::Utc).unwrap();
        assert_eq!(lt.ts.to_string(), "2016-01-01T00:00:00.123000Z");
        let lt =
            field_time(&FieldKind::TimeStrftime("%Y-%m-%d %H:%M:%S".into()), b"2016-01-01 12:00:00", Zone::Fixed(3600))
                .unwrap();
        assert!(lt.local);
        assert_eq!(lt.ts.to_string(), "2016-01-01T11:00:00.000000Z");
        assert!(field_time(&FieldKind::TimeClfBracketed, b"[32/Jan/2016:19:31:20 +0200]", Zone::Utc).is_err());
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape(br#"a\"b\x41\\"#), "a\"bA\\");
        assert_eq!(unescape(br"\u00e9"), "é");
        assert!(matches!(unescape(b"plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn bad_templates() {
        assert!("apache:%h%l".parse::<LogFormatSpec>().is_err());
        assert!("apache:%Z".parse::<LogFormatSpec>().is_err());
        assert!("iis:%h".parse::<LogFormatSpec>().is_err());
    }
}

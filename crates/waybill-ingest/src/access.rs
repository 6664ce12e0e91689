//! Turning template-split access-log lines into `http.request` events; shared by
//! the Apache and nginx sources.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use waybill_model::{Event, EventKind, EventSink, Reject, RejectReason};

use crate::http::{build_url, dash_none, first_address, parse_request_line, set_header};
use crate::lines::LinePos;
use crate::logformat::{FieldKind, Template, field_time, unescape};
use crate::source::LineParser;
use crate::zone::Zone;

/// Parses access-log lines with the first of several templates that fits.
pub struct AccessLogParser {
    templates: Vec<Template>,
    zone: Zone,
    /// The template that fitted last: logs are homogeneous, so it is tried first.
    hint: AtomicUsize,
}

impl AccessLogParser {
    /// A parser over `templates` (tried in order), converting local times with `zone`.
    pub fn new(templates: Vec<Template>, zone: Zone) -> Self {
        Self { templates, zone, hint: AtomicUsize::new(0) }
    }

    /// Does any template fit the line?
    pub fn matches(&self, line: &[u8]) -> bool {
        let mut vals = Vec::new();
        let pos = LinePos { offset: 0, line: 1, terminated: true };
        [true, false].iter().any(|&strict| {
            self.templates
                .iter()
                .any(|t| t.split(line, &mut vals, strict) && build(t, &vals, None, pos, self.zone).is_ok())
        })
    }
    fn names(&self) -> String {
        self.templates.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl LineParser for AccessLogParser {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let mut vals = Vec::with_capacity(16);
        let n = self.templates.len();
        let hint = self.hint.load(Ordering::Relaxed).min(n.saturating_sub(1));
        let text_line = std::str::from_utf8(line).ok();
        // The last template that fitted first, then all in priority order; first
        // with strict quoting, then lenient (old logs with unescaped quotes).
        for strict in [true, false] {
            for i in std::iter::once(hint).chain((0..n).filter(|i| *i != hint)) {
                let tpl = &self.templates[i];
                if !tpl.split(line, &mut vals, strict) {
                    continue;
                }
                match build(tpl, &vals, text_line, pos, self.zone) {
                    Ok(event) => {
                        if i != hint {
                            self.hint.store(i, Ordering::Relaxed);
                        }
                        out.event(event);
                        out.accepted();
                    }
                    Err(reason) => out.reject(Reject { record: pos.record(), reason, raw: line }),
                }
                return;
            }
        }
        let reason = if pos.terminated {
            RejectReason::Malformed(format!("line does not match the access-log format ({})", self.names()))
        } else {
            RejectReason::Truncated(format!("last line, without newline, does not match ({})", self.names()))
        };
        out.reject(Reject { record: pos.record(), reason, raw: line });
    }
}

/// Where `part` (a slice of `line`) starts in `line`.
fn offset_in(line: &str, part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

/// Builds the event of a split line. `line` is the whole line when it is valid
/// UTF-8 (then fields are borrowed from it without validating each).
pub fn build<'a>(
    tpl: &'a Template,
    vals: &[&'a [u8]],
    text_line: Option<&'a str>,
    pos: LinePos,
    zone: Zone,
) -> Result<Event<'a>, RejectReason> {
    let time_idx = tpl.time_index;
    let has_backslash = text_line.is_none_or(|l| l.contains('\\'));
    let time = field_time(&tpl.fields[time_idx].kind, vals[time_idx], zone)?;
    let mut e = Event::new(EventKind::HttpRequest, time.ts, time.precision, pos.record());
    e.local_time = time.local;
    if time.ambiguous {
        e.attrs.push("tz_ambiguous", true);
    }
    let mut host: Option<Cow<'a, str>> = None;
    let mut port: Option<u16> = None;
    let mut scheme: Option<Cow<'a, str>> = None;
    let mut target: Option<Cow<'a, str>> = None;
    let mut path: Option<Cow<'a, str>> = None;
    let mut query: Option<Cow<'a, str>> = None;
    let mut body_size: Option<i64> = None;
    let mut other_size: Option<i64> = None;
    for (i, field) in tpl.fields.iter().enumerate() {
        if i == time_idx {
            continue;
        }
        let raw = vals[i];
        let text = match text_line {
            // Fields of a valid UTF-8 line are slices of it: no per-field validation.
            Some(l) if !has_backslash || !raw.contains(&b'\\') => {
                match l.get(offset_in(l, raw)..offset_in(l, raw) + raw.len()) {
                    Some(t) => Cow::Borrowed(t),
                    None => unescape(raw),
                }
            }
            _ => unescape(raw),
        };
        let Some(v) = dash_none(text) else {
            continue;
        };
        let key = field.key.as_str();
        match &field.kind {
            FieldKind::RemoteHost => {
                if v.contains(',') {
                    e.client_ip = Some(Cow::Owned(first_address(&v).to_owned()));
                    e.attrs.push("remote_addr_list", v);
                } else {
                    e.client_ip = Some(v);
                }
            }
            FieldKind::Request => match v {
                // The common case borrows the method, target and protocol from the line.
                Cow::Borrowed(line) => match parse_request_line(line) {
                    Some(rl) => {
                        e.attrs.push("method", rl.method);
                        if let Some(p) = rl.protocol {
                            e.attrs.push("protocol", p);
                        }
                        target = Some(Cow::Borrowed(rl.target));
                    }
                    None => e.attrs.push("request", line),
                },
                Cow::Owned(line) => match parse_request_line(&line) {
                    Some(rl) => {
                        e.attrs.push("method", rl.method.to_owned());
                        if let Some(p) = rl.protocol {
                            e.attrs.push("protocol", p.to_owned());
                        }
                        target = Some(Cow::Owned(rl.target.to_owned()));
                    }
                    None => e.attrs.push("request", line),
                },
            },
            FieldKind::Method => e.attrs.push("method", v),
            FieldKind::Protocol => e.attrs.push("protocol", v),
            FieldKind::Uri => target = Some(v),
            FieldKind::Path => path = Some(v),
            FieldKind::Query => query = Some(v),
            FieldKind::QueryWithMark => query = Some(Cow::Owned(v.trim_start_matches('?').to_owned())),
            FieldKind::RemoteUser => e.actor = Some(v),
            FieldKind::Status => e.status = v.parse().ok(),
            FieldKind::BodyBytes => body_size = v.parse().ok(),
            FieldKind::Bytes => {
                other_size = v.parse().ok();
                e.attrs.push(key, other_size.unwrap_or(0));
            }
            FieldKind::Header(h) => match field.column {
                Some(c) => set_header(&mut e, c, v),
                None => {
                    if h == "host" {
                        host.get_or_insert(v.clone());
                    }
                    e.attrs.push(key, v);
                }
            },
            FieldKind::ServerName => {
                host = Some(v.clone());
                e.attrs.push("server_name", v);
            }
            FieldKind::Port => {
                port = v.parse().ok();
                e.attrs.push("port", port.map_or(0, i64::from));
            }
            FieldKind::Scheme => scheme = Some(v),
            FieldKind::DurationUs => {
                if let Ok(n) = v.parse::<i64>() {
                    e.attrs.push("duration_us", n);
                }
            }
            FieldKind::DurationS => {
                if let Ok(f) = v.parse::<f64>() {
                    e.attrs.push("duration_s", f);
                }
            }
            FieldKind::Ident | FieldKind::PeerIp | FieldKind::LocalIp | FieldKind::Other(_) => e.attrs.push(key, v),
            // Time fields after the first are kept as written.
            _ => e.attrs.push(key, v),
        }
    }
    e.size = body_size.or(other_size);
    let target = target.or_else(|| {
        path.map(|p| match &query {
            Some(q) if !q.is_empty() => Cow::Owned(format!("{p}?{q}")),
            _ => p,
        })
    });
    if let Some(t) = target {
        e.url = Some(build_url(scheme.as_deref(), host.as_deref(), port, t));
    }
    Ok(e)
}

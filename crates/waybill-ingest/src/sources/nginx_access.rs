//! nginx access logs in a user-given `log_format`.
//!
//! # What it reads
//! Text access logs written with any nginx `log_format`, given as
//! `--log-format nginx:'…'` (or `nginx:combined` / `nginx:main`), including JSON
//! templates written with `escape=json`. nginx's built-in `combined` format is
//! byte-for-byte NCSA combined and is read by `apache.access` without any flag;
//! this source exists for the formats that log more (`$http_sec_fetch_*`,
//! `$http_sec_purpose`, `$http_range`, `$msec`, `$request_time`).
//!
//! # Versions seen
//! nginx 1.x `ngx_http_log_module` variables; `escape=default` (`\xHH`) and
//! `escape=json`.
//!
//! # Events emitted
//! `http.request` per line, as `apache.access`: `$remote_addr` → `client_ip`,
//! `$remote_user` → `actor`, `$request`/`$request_uri` and `$host`/`$scheme` →
//! `url`, `$status`, `$body_bytes_sent` → `size`, `$http_referer`,
//! `$http_user_agent`, `$http_sec_fetch_{site,mode,dest,user}` → `fetch_*`,
//! `$http_sec_purpose`/`$http_purpose` → `purpose`; other variables in `attrs`
//! under their names (`range`, `request_time`, …).
//!
//! # What it cannot tell us
//! Only what the format logs: a header not in the `log_format` is lost, and a
//! missing header is logged as `-`, indistinguishable from an empty one.
//! `$time_local` is the request's end time in local time with offset.
//!
//! # References
//! nginx.org `ngx_http_log_module` and `ngx_http_core_module` variable docs.

use waybill_model::EventSink;

use crate::access::AccessLogParser;
use crate::input::Input;
use crate::logformat::{Dialect, Template};
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// nginx access logs in a given `log_format`.
pub struct NginxAccess;

fn parser(ctx: &ParseContext) -> Result<Option<AccessLogParser>, SourceError> {
    let Some(spec) = ctx.log_format.as_ref().filter(|s| s.dialect == Dialect::Nginx) else {
        return Ok(None);
    };
    let t = Template::compile(spec, "custom").map_err(|e| SourceError::Setting(e.to_string()))?;
    Ok(Some(AccessLogParser::new(vec![t], ctx.tz)))
}

impl Source for NginxAccess {
    fn id(&self) -> &'static str {
        "nginx.access"
    }

    fn description(&self) -> &'static str {
        "nginx access log in the log_format given with --log-format nginx:'…'"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        match parser(probe.ctx) {
            Ok(Some(p)) => probe.judge_lines(10, None, |l| p.matches(l)),
            _ => Sniff::No,
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let p = parser(input.ctx())?
            .ok_or_else(|| SourceError::Setting("nginx.access needs --log-format nginx:'…'".into()))?;
        crate::source::parse_lines(&p, input, out)
    }

    fn line_parser<'a>(&'a self, ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        match parser(ctx)? {
            Some(p) => Ok(Some(Box::new(p))),
            None => Err(SourceError::Setting("nginx.access needs --log-format nginx:'…'".into())),
        }
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

//! Apache httpd and NCSA access logs.
//!
//! # What it reads
//! Text access logs, one request per line: NCSA common, NCSA combined, Apache
//! `vhost_combined` (and its port-less variant `%v %h …`), the `main` format of
//! nginx's packaged config (combined plus `"$http_x_forwarded_for"`), and any Apache
//! `LogFormat` given as `--log-format apache:'…'` (tried before the built-ins).
//! Formats may be mixed line by line, as rotated or hand-assembled logs are.
//! Gzip-compressed logs are read transparently.
//!
//! # Versions seen
//! Apache 2.2/2.4 output (`%>s`, `%O`, `\xhh` escaping since 2.0.46), plaso's
//! mixed test log, a real 2015 combined log, nginx logs in combined form.
//!
//! # Events emitted
//! `http.request` per line: `client_ip` (first of an address list), `actor`
//! (`%u`), `url` (absolute when a host is logged: `%v`, `%{Host}i`), `referrer`,
//! `user_agent`, `status`, `size` (`%b`, else `%O`/`%B`). Initiation columns from
//! logged headers: `fetch_site`/`fetch_mode`/`fetch_dest`/`fetch_user` from
//! `%{Sec-Fetch-*}i`, `purpose` from `%{Sec-Purpose}i`/`%{Purpose}i`. `attrs`:
//! `method`, `protocol`, `ident`, `server_name`, `port`, `range`, other headers
//! and directives by name. Times carry their offset; `%{…}t` formats without
//! `%z` are local time and use the assumed zone.
//!
//! # What it cannot tell us
//! Default formats log no Fetch Metadata, so without a custom `LogFormat` a
//! user-activated navigation and an embedded image look alike; the request
//! scheme is not logged (URLs are scheme-relative unless the port says 80/443);
//! the time is when the request was *received* (`%t`), not when it completed.
//!
//! # References
//! httpd `mod_log_config` documentation; plaso `apache_access` parser and its
//! test log (`test_data/access.log`).

use waybill_model::EventSink;

use crate::access::AccessLogParser;
use crate::input::Input;
use crate::logformat::{
    APACHE_COMBINED, APACHE_COMMON, APACHE_VHOST_COMBINED, Dialect, LogFormatSpec, NGINX_MAIN, Template,
};
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Apache/NCSA access logs.
pub struct ApacheAccess;

/// Combined with a leading server name and no port (`%v %h …`), as some
/// virtual-host setups and nginx `$host` prefixes write it.
const VHOST_NOPORT_COMBINED: &str = r#"%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

/// The templates this source tries: a custom Apache format first, then the built-ins.
fn templates(ctx: &ParseContext) -> Result<Vec<Template>, SourceError> {
    let mut out = Vec::new();
    if let Some(spec) = ctx.log_format.as_ref().filter(|s| s.dialect == Dialect::Apache) {
        out.push(Template::compile(spec, "custom").map_err(|e| SourceError::Setting(e.to_string()))?);
    }
    for (name, dialect, t) in [
        ("vhost_combined", Dialect::Apache, APACHE_VHOST_COMBINED),
        ("combined", Dialect::Apache, APACHE_COMBINED),
        ("nginx_main", Dialect::Nginx, NGINX_MAIN),
        ("vhost_noport_combined", Dialect::Apache, VHOST_NOPORT_COMBINED),
        ("common", Dialect::Apache, APACHE_COMMON),
    ] {
        let spec = LogFormatSpec { dialect, template: t.to_owned() };
        out.push(Template::compile(&spec, name).map_err(|e| SourceError::Setting(e.to_string()))?);
    }
    Ok(out)
}

impl Source for ApacheAccess {
    fn id(&self) -> &'static str {
        "apache.access"
    }

    fn description(&self) -> &'static str {
        "Apache/NCSA access log: common, combined, vhost_combined, or --log-format apache:'…'"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Ok(t) = templates(probe.ctx) else {
            return Sniff::No;
        };
        let parser = AccessLogParser::new(t, probe.ctx.tz);
        let verdict = probe.judge_lines(10, None, |l| parser.matches(l));
        // The examiner named an nginx format that fits these lines: theirs wins.
        if verdict == Sniff::Yes && crate::sources::nginx_access::NginxAccess.sniff(probe) == Sniff::Yes {
            return Sniff::Maybe;
        }
        verdict
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let parser = AccessLogParser::new(templates(input.ctx())?, input.ctx().tz);
        crate::source::parse_lines(&parser, input, out)
    }

    fn line_parser<'a>(&'a self, ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(AccessLogParser::new(templates(ctx)?, ctx.tz))))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

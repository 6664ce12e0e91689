//! Web server access logs (Apache `LogFormat`, nginx `log_format`), with the
//! subject's requests merged in time order into background traffic from other
//! clients. The background is generated while writing, so a log of hundreds of
//! millions of lines never sits in memory.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::rng::Rng;
use crate::world::{Fetch, Host, LogStyle, Micros, Request};

const OTHER_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; ExampleBot/2.1; +https://bot.example.org/)",
    "curl/8.5.0",
];

/// Background requests from other clients, in increasing time.
pub struct Noise {
    rng: Rng,
    left: u64,
    t: Micros,
    step: Micros,
    host: String,
    paths: Vec<String>,
}

impl Noise {
    /// `n` requests spread over `span`, to `paths` of `host`.
    pub fn new(rng: Rng, n: u64, span: (Micros, Micros), host: &str, paths: Vec<String>) -> Self {
        let len = (span.1 - span.0).max(1);
        let step = (len / i64::try_from(n.max(1)).unwrap_or(i64::MAX)).max(1);
        Self { rng, left: n, t: span.0, step, host: host.to_owned(), paths }
    }
}

impl Iterator for Noise {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        if self.left == 0 || self.paths.is_empty() {
            return None;
        }
        self.left -= 1;
        self.t += self.rng.range(0, 2 * self.step);
        let r = &mut self.rng;
        let client = match r.below(3) {
            0 => format!("198.51.100.{}", r.range(1, 254)),
            1 => format!("192.0.2.{}", r.range(1, 254)),
            _ => format!("203.0.113.{}", r.range(1, 9)),
        };
        let ua_i = r.below(OTHER_UAS.len() as u64) as usize;
        let target = r.pick(&self.paths).clone();
        let page = !target.rsplit('/').next().is_some_and(|n| n.contains('.')) || target.ends_with(".html");
        let modern = ua_i < 4;
        let fetch = if !modern {
            Fetch::default()
        } else if page {
            let user = r.chance(0.8).then_some("?1");
            Fetch {
                site: Some(if r.chance(0.3) { "none" } else { "same-origin" }),
                mode: Some("navigate"),
                dest: Some("document"),
                user,
                ..Fetch::default()
            }
        } else if r.chance(0.2) {
            // Someone else clicked through to the resource itself.
            Fetch {
                site: Some("cross-site"),
                mode: Some("navigate"),
                dest: Some("document"),
                user: Some("?1"),
                ..Fetch::default()
            }
        } else {
            Fetch { site: Some("same-origin"), mode: Some("no-cors"), dest: Some("image"), ..Fetch::default() }
        };
        let status = *r.pick(&[200, 200, 200, 200, 200, 304, 404, 206]);
        Some(Request {
            ts: self.t,
            client,
            host: self.host.clone(),
            target,
            status,
            bytes: if status == 304 { 0 } else { r.range(200, 4_000_000) as u64 },
            referrer: r.chance(0.6).then(|| format!("https://{}/", self.host)),
            user_agent: OTHER_UAS[ua_i].to_owned(),
            fetch,
        })
    }
}

/// Writes one host's log: `requests` (the subject's, any order) merged with
/// `noise`. Returns the number of lines.
pub fn write_log(path: &Path, host: &Host, mut requests: Vec<Request>, noise: Noise) -> std::io::Result<u64> {
    requests.sort_by(|a, b| (a.ts, &a.target, &a.client).cmp(&(b.ts, &b.target, &b.client)));
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut line = String::with_capacity(512);
    let mut noise = noise.peekable();
    let mut mine = requests.into_iter().peekable();
    let mut lines = 0u64;
    loop {
        let next = match (mine.peek(), noise.peek()) {
            (Some(a), Some(b)) if a.ts <= b.ts => mine.next(),
            (Some(_), Some(_)) | (None, Some(_)) => noise.next(),
            (Some(_), None) => mine.next(),
            (None, None) => break,
        };
        let Some(r) = next else { break };
        line.clear();
        format_line(&mut line, host, &r);
        w.write_all(line.as_bytes())?;
        lines += 1;
    }
    w.flush()?;
    Ok(lines)
}

fn dash(v: Option<&str>) -> &str {
    v.filter(|s| !s.is_empty()).unwrap_or("-")
}

/// One line as the server writes it.
pub fn format_line(line: &mut String, host: &Host, r: &Request) {
    let t = super::clf_time(r.ts + host.clock_offset, host.tz_minutes);
    let f = &r.fetch;
    let referrer = dash(r.referrer.as_deref());
    let _ = match host.style {
        LogStyle::ApacheFetch | LogStyle::ApacheCombined => {
            let bytes = if r.bytes == 0 { "-".to_owned() } else { r.bytes.to_string() };
            let _ = write!(
                line,
                "{} - - [{t}] \"GET {} HTTP/1.1\" {} {bytes} \"{referrer}\" \"{}\"",
                r.client, r.target, r.status, r.user_agent
            );
            if host.style == LogStyle::ApacheFetch {
                let _ = write!(
                    line,
                    " \"{}\" \"{}\" \"{}\" \"{}\" \"{}\" \"{}\"",
                    dash(f.site),
                    dash(f.mode),
                    dash(f.dest),
                    dash(f.user),
                    dash(f.purpose),
                    dash(f.x_moz)
                );
            }
            writeln!(line)
        }
        LogStyle::NginxFetch => writeln!(
            line,
            "{} - - [{t}] \"GET {} HTTP/2.0\" {} {} \"{referrer}\" \"{}\" \"{}\" \"{}\" \"{}\" \"{}\" \"{}\"",
            r.client,
            r.target,
            r.status,
            r.bytes,
            r.user_agent,
            dash(f.site),
            dash(f.mode),
            dash(f.dest),
            dash(f.user),
            dash(f.purpose)
        ),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(style: LogStyle) -> Host {
        Host { style, clock_offset: 1_000_000, tz_minutes: 60, in_bundle: true, noise_paths: vec![] }
    }

    fn req() -> Request {
        Request {
            ts: 1_767_600_000_000_000,
            client: "203.0.113.7".into(),
            host: "files.example.net".into(),
            target: "/f/a.pdf".into(),
            status: 200,
            bytes: 37,
            referrer: Some("https://files.example.net/f/".into()),
            user_agent: "UA".into(),
            fetch: Fetch {
                site: Some("same-origin"),
                mode: Some("navigate"),
                dest: Some("document"),
                user: Some("?1"),
                ..Fetch::default()
            },
        }
    }

    #[test]
    fn lines_in_each_style() {
        let mut l = String::new();
        format_line(&mut l, &host(LogStyle::ApacheFetch), &req());
        assert_eq!(
            l,
            "203.0.113.7 - - [05/Jan/2026:09:00:01 +0100] \"GET /f/a.pdf HTTP/1.1\" 200 37 \"https://files.example.net/f/\" \"UA\" \"same-origin\" \"navigate\" \"document\" \"?1\" \"-\" \"-\"\n"
        );
        l.clear();
        format_line(&mut l, &host(LogStyle::ApacheCombined), &req());
        assert!(l.ends_with("\"https://files.example.net/f/\" \"UA\"\n"), "{l}");
        l.clear();
        format_line(&mut l, &host(LogStyle::NginxFetch), &req());
        assert!(l.contains("HTTP/2.0\" 200 37 "), "{l}");
        assert!(l.ends_with("\"?1\" \"-\"\n"), "{l}");
    }

    #[test]
    fn noise_is_in_time_order_and_counted() {
        let n = Noise::new(Rng::new(1), 1000, (0, 10_000_000_000), "h.example.net", vec!["/a".into(), "/b.jpg".into()]);
        let v: Vec<Request> = n.collect();
        assert_eq!(v.len(), 1000);
        assert!(v.windows(2).all(|w| w[0].ts <= w[1].ts));
        assert!(v.iter().all(|r| !r.client.starts_with("203.0.113.")
            || r.client.split('.').nth(3).and_then(|x| x.parse::<u32>().ok()).is_some_and(|x| x < 10)));
    }
}

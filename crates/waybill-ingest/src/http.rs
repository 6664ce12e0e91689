//! What every HTTP log source shares: request-line splitting, request headers
//! mapped to the initiation columns, and URL assembly.

use std::borrow::Cow;

use waybill_model::Event;

/// `-` and the empty string mean "not logged".
pub fn dash_none(v: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if v.is_empty() || v == "-" { None } else { Some(v) }
}

/// A numeric field of a log line (status, size, port): its value; `None` when
/// not logged (`-`, empty); and when it does not parse as a number of its
/// type (`2x0`, `12x4`, a negative size), `None` with the raw text kept in
/// `attrs.<malformed_key>`, so the problem is named on the event, never
/// silently turned into a missing value (linking by size reads these).
pub fn numeric<T: std::str::FromStr>(e: &mut Event<'_>, malformed_key: &'static str, raw: &str) -> Option<T> {
    let v = raw.trim();
    if v.is_empty() || v == "-" {
        return None;
    }
    match v.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            e.attrs.push(malformed_key, v.to_owned());
            None
        }
    }
}

/// A size: a non-negative whole number of bytes (see [`numeric`]).
pub fn size(e: &mut Event<'_>, malformed_key: &'static str, raw: &str) -> Option<i64> {
    numeric::<u64>(e, malformed_key, raw).and_then(|n| i64::try_from(n).ok())
}

/// Puts the hashes and size of a cached response body on `e`: of the body
/// decoded when `encoding` (the response's `Content-Encoding`, lower case) is
/// gzip or deflate and it decodes, else as stored. When an encoding is named,
/// `attrs.body_decoded` says whether the body was decoded.
pub fn cached_body(e: &mut Event<'_>, encoding: Option<&str>, body: &[u8]) {
    use std::io::Read as _;
    let mut plain = Vec::new();
    let decoded = match encoding {
        Some("gzip" | "x-gzip") => flate2::read::GzDecoder::new(body).read_to_end(&mut plain).is_ok(),
        Some("deflate") => flate2::read::ZlibDecoder::new(body).read_to_end(&mut plain).is_ok(),
        _ => false,
    };
    if encoding.is_some() {
        e.attrs.push("body_decoded", decoded);
    }
    let bytes = if decoded { plain.as_slice() } else { body };
    let d = waybill_hash::multihash::hash_bytes(bytes);
    e.sha256 = Some(Cow::Owned(d.sha256));
    e.md5 = Some(Cow::Owned(d.md5));
    e.sha1 = Some(Cow::Owned(d.sha1));
    e.size = i64::try_from(bytes.len()).ok();
}

/// The event column a request header fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderColumn {
    /// `Referer`.
    Referrer,
    /// `User-Agent`.
    UserAgent,
    /// `Sec-Fetch-Site`.
    FetchSite,
    /// `Sec-Fetch-Mode`.
    FetchMode,
    /// `Sec-Fetch-Dest`.
    FetchDest,
    /// `Sec-Fetch-User`.
    FetchUser,
    /// `Sec-Purpose` (wins over the legacy purpose headers).
    SecPurpose,
    /// `Purpose`, `X-Purpose`, `X-Moz` (used when `Sec-Purpose` is absent).
    LegacyPurpose,
}

/// The column of a (lower-case) request header name, if it has one. Resolved once
/// per log format, not per line.
pub fn header_column(name: &str) -> Option<HeaderColumn> {
    Some(match name {
        "referer" | "referrer" => HeaderColumn::Referrer,
        "user-agent" => HeaderColumn::UserAgent,
        "sec-fetch-site" => HeaderColumn::FetchSite,
        "sec-fetch-mode" => HeaderColumn::FetchMode,
        "sec-fetch-dest" => HeaderColumn::FetchDest,
        "sec-fetch-user" => HeaderColumn::FetchUser,
        "sec-purpose" => HeaderColumn::SecPurpose,
        "purpose" | "x-purpose" | "x-moz" => HeaderColumn::LegacyPurpose,
        _ => return None,
    })
}

/// Puts a header value into its column.
pub fn set_header<'a>(e: &mut Event<'a>, column: HeaderColumn, value: Cow<'a, str>) {
    match column {
        HeaderColumn::Referrer => e.referrer = Some(value),
        HeaderColumn::UserAgent => e.user_agent = Some(value),
        HeaderColumn::FetchSite => e.fetch_site = Some(value),
        HeaderColumn::FetchMode => e.fetch_mode = Some(value),
        HeaderColumn::FetchDest => e.fetch_dest = Some(value),
        HeaderColumn::FetchUser => e.fetch_user = Some(value),
        HeaderColumn::SecPurpose => e.purpose = Some(value),
        HeaderColumn::LegacyPurpose => {
            if e.purpose.is_none() {
                e.purpose = Some(value);
            }
        }
    }
}

/// Puts a request header into its event column, if it has one. Header names are
/// lower-case. Returns `false` when the header has no column (the caller keeps
/// it in `attrs`).
///
/// Speculative-load headers all land in `purpose`, `Sec-Purpose` first:
/// `Sec-Purpose` (Chromium prefetch/prerender, Firefox 115+), `Purpose` (legacy
/// Chrome and Safari), `X-Purpose` (Safari previews), `X-Moz` (old Firefox).
pub fn header_to_column<'a>(e: &mut Event<'a>, name: &str, value: Cow<'a, str>) -> bool {
    match header_column(name) {
        Some(c) => {
            set_header(e, c, value);
            true
        }
        None => false,
    }
}

/// A request line split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The request target (path and query, or an absolute URL for proxies).
    pub target: &'a str,
    /// `HTTP/1.1`, or `None` for HTTP/0.9 style lines.
    pub protocol: Option<&'a str>,
}

/// Splits `METHOD TARGET PROTOCOL` (or `METHOD TARGET`). Anything else — an
/// empty line, TLS bytes sent to a plain-text port — gives `None`.
pub fn parse_request_line(s: &str) -> Option<RequestLine<'_>> {
    let mut it = s.splitn(3, ' ');
    let method =
        it.next().filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_'))?;
    let target = it.next().filter(|t| !t.is_empty())?;
    let protocol = it.next();
    if let Some(p) = protocol
        && (p.contains(' ') || !p.starts_with("HTTP/"))
    {
        return None;
    }
    Some(RequestLine { method, target, protocol })
}

/// Is `target` an absolute `http(s)://` URL?
pub fn is_absolute(target: &str) -> bool {
    let t = target.as_bytes();
    (t.len() > 7 && t[..7].eq_ignore_ascii_case(b"http://"))
        || (t.len() > 8 && t[..8].eq_ignore_ascii_case(b"https://"))
}

/// Assembles the URL of a request. An absolute target is kept as is. With a
/// host, the scheme is the logged one, else inferred only from the ports that
/// define it by convention (443 → `https`, 80 → `http`); when neither says, the
/// URL is scheme-relative (`//host/path`) rather than guessed. Without a host the
/// target alone is returned.
pub fn build_url<'a>(
    scheme: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    target: Cow<'a, str>,
) -> Cow<'a, str> {
    if is_absolute(&target) {
        return target;
    }
    let Some(host) = host.filter(|h| !h.is_empty() && *h != "-") else {
        return target;
    };
    let scheme = scheme.filter(|s| !s.is_empty() && *s != "-").or(match port {
        Some(443) => Some("https"),
        Some(80) => Some("http"),
        _ => None,
    });
    let default_port = match scheme {
        Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
        Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
        _ => None,
    };
    let mut url = String::with_capacity(host.len() + target.len() + 16);
    if let Some(s) = scheme {
        url.push_str(&s.to_ascii_lowercase());
        url.push(':');
    }
    url.push_str("//");
    url.push_str(host);
    if let Some(p) = port
        && Some(p) != default_port
        && !host.contains(':')
    {
        url.push(':');
        url.push_str(&p.to_string());
    }
    if !target.starts_with('/') {
        url.push('/');
    }
    url.push_str(&target);
    Cow::Owned(url)
}

/// The first address of a comma-separated address list.
pub fn first_address(v: &str) -> &str {
    v.split(',').next().unwrap_or(v).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            build_url(None, Some("plaso.log2timeline.net"), Some(443), "/x".into()),
            "https://plaso.log2timeline.net/x"
        );
        assert_eq!(build_url(None, Some("example.com"), Some(8080), "/x".into()), "//example.com:8080/x");
        assert_eq!(build_url(Some("http"), Some("example.com"), Some(8080), "/x".into()), "http://example.com:8080/x");
        assert_eq!(build_url(None, None, None, "/x".into()), "/x");
        assert_eq!(build_url(None, Some("a.test"), None, "https://b.test/y".into()), "https://b.test/y");
    }

    #[test]
    fn request_lines() {
        assert_eq!(parse_request_line("GET /a b HTTP/1.1"), None);
        assert_eq!(
            parse_request_line("GET /a HTTP/1.1"),
            Some(RequestLine { method: "GET", target: "/a", protocol: Some("HTTP/1.1") })
        );
        assert_eq!(parse_request_line(""), None);
        assert_eq!(parse_request_line("\\x16\\x03\\x01"), None);
    }
}

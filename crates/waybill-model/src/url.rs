//! URLs and paths as linking compares them: the same resource written
//! differently by a browser and a server log must compare equal, and a path
//! recorded by a download row must meet the same file in an exported tree.

/// Normalises a URL: lower-case scheme and host, default port dropped, fragment
/// dropped, percent-escapes of unreserved characters decoded and other escapes
/// upper-cased. A scheme-relative `//host/p` is kept scheme-relative, and a bare
/// `/path` is kept as is (it can only match by path).
pub fn normalize(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    let (scheme, rest) = match url.find("://") {
        Some(i) if url[..i].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.') => {
            (Some(url[..i].to_ascii_lowercase()), &url[i + 3..])
        }
        _ => match url.strip_prefix("//") {
            Some(r) => (Some(String::new()), r),
            None => (None, url),
        },
    };
    let Some(scheme) = scheme else { return decode_unreserved(url) };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let host_port = authority.rsplit('@').next().unwrap_or(authority).to_ascii_lowercase();
    let host_port = match (scheme.as_str(), host_port.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_owned(),
        _ => host_port,
    };
    let path = if path.is_empty() { "/".to_owned() } else { decode_unreserved(path) };
    if scheme.is_empty() { format!("//{host_port}{path}") } else { format!("{scheme}://{host_port}{path}") }
}

/// The path and query of a URL (`/` when it has none).
pub fn path_of(normalized: &str) -> &str {
    match normalized.find("://").map(|i| i + 3).or_else(|| normalized.strip_prefix("//").map(|_| 2)) {
        Some(start) => normalized[start..].find('/').map_or("/", |i| &normalized[start + i..]),
        None => normalized,
    }
}

/// The host of a normalised URL, if it has one.
pub fn host_of(normalized: &str) -> Option<&str> {
    let start = normalized.find("://").map(|i| i + 3).or_else(|| normalized.strip_prefix("//").map(|_| 2))?;
    let rest = &normalized[start..];
    Some(&rest[..rest.find('/').unwrap_or(rest.len())])
}

/// Do two normalised URLs name the same resource? Scheme-relative and bare-path
/// forms (server logs that do not record the scheme or host) match on what they
/// have; a bare path must be more than `/`.
pub fn same_resource(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (pa, pb) = (path_of(a), path_of(b));
    if pa != pb {
        return false;
    }
    match (host_of(a), host_of(b)) {
        (Some(ha), Some(hb)) => ha == hb && (a.starts_with("//") || b.starts_with("//")),
        _ => pa.len() > 1,
    }
}

/// The registrable domain (eTLD+1, from the public suffix list) of a URL's or
/// a bare host's host, lower-case; the host itself when it has none (an IP
/// address, `localhost`, a single label).
pub fn registrable_domain(url_or_host: &str) -> String {
    let n = normalize(url_or_host);
    let host = host_of(&n).unwrap_or(url_or_host);
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
    .trim_end_matches('.')
    .to_ascii_lowercase();
    if host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    psl::domain_str(&host).map_or(host.clone(), str::to_owned)
}

/// A path as linking compares it: `file://` dropped, percent-escapes decoded,
/// `\` as `/`, no leading `/`, lower-case (Windows and macOS paths are
/// case-insensitive; a case-sensitive file system rarely holds two names that
/// differ only in case).
pub fn path_key(p: &str) -> String {
    let p = p.strip_prefix("file://").unwrap_or(p);
    let decoded = percent_encoding::percent_decode_str(p).decode_utf8_lossy();
    decoded.replace('\\', "/").trim_start_matches('/').to_lowercase()
}

/// Does one path key end with the other at a folder boundary (`a/b/c.txt` and
/// `b/c.txt`, not `xb/c.txt`)? Returns the number of path components the
/// shorter one has (1 = the name alone), or `None`.
pub fn ends_at_folder(a: &str, b: &str) -> Option<usize> {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() || !long.ends_with(short) {
        return None;
    }
    let boundary = long.len() == short.len() || long.as_bytes()[long.len() - short.len() - 1] == b'/';
    boundary.then(|| short.split('/').filter(|s| !s.is_empty()).count())
}

fn decode_unreserved(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
            let hex = &s[i + 1..i + 3];
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                    out.push(char::from(v));
                } else {
                    out.push('%');
                    out.push_str(&hex.to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms() {
        assert_eq!(
            normalize("HTTPS://Files.Example.COM:443/a%2Db%2f?x=1#frag"),
            "https://files.example.com/a-b%2F?x=1"
        );
        assert_eq!(normalize("http://example.com"), "http://example.com/");
        assert_eq!(normalize("http://example.com:8080/x"), "http://example.com:8080/x");
        assert_eq!(normalize("//Example.com/x"), "//example.com/x");
        assert_eq!(normalize("/x%7e"), "/x~");
        assert!(same_resource(&normalize("https://example.com/f.zip"), &normalize("//example.com/f.zip")));
        assert!(same_resource(&normalize("https://example.com/f.zip"), "/f.zip"));
        assert!(!same_resource(&normalize("https://example.com/"), "/"));
        assert!(!same_resource(&normalize("https://example.com/f.zip"), &normalize("https://example.net/f.zip")));
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable_domain("https://cdn.files.example.co.uk:8443/x"), "example.co.uk");
        assert_eq!(registrable_domain("https://ads7.example.org/r?id=1"), "example.org");
        assert_eq!(registrable_domain("www.example.com"), "example.com");
        assert_eq!(registrable_domain("http://203.0.113.7/x"), "203.0.113.7");
        assert_eq!(registrable_domain("localhost"), "localhost");
    }

    #[test]
    fn paths_meet_at_folder_boundaries() {
        assert_eq!(path_key("file:///C:/Users/Al%20ice/Downloads/A.pdf"), "c:/users/al ice/downloads/a.pdf");
        assert_eq!(path_key("C:\\Users\\alice\\x.txt"), "c:/users/alice/x.txt");
        assert_eq!(ends_at_folder("c:/users/alice/downloads/a.pdf", "users/alice/downloads/a.pdf"), Some(4));
        assert_eq!(ends_at_folder("downloads/a.pdf", "c:/users/alice/downloads/a.pdf"), Some(2));
        assert_eq!(ends_at_folder("x/a.pdf", "a.pdf"), Some(1));
        assert_eq!(ends_at_folder("x/ba.pdf", "a.pdf"), None);
        assert_eq!(ends_at_folder("a.pdf", ""), None);
    }
}

//! URL normalisation for linking: the same resource written differently by a
//! browser and a server log must compare equal.

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
}

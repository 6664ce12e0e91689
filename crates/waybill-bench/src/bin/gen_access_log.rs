//! Writes a synthetic Apache access log with Fetch Metadata fields, of any size.
//!
//! ```text
//! gen_access_log OUT SIZE [SEED]      # SIZE: 1GiB, 100MiB, … or --lines N
//! ```
//!
//! The format is combined plus `"%{Sec-Fetch-Site}i" "%{Sec-Fetch-Mode}i"
//! "%{Sec-Fetch-Dest}i" "%{Sec-Fetch-User}i" "%{Sec-Purpose}i"`; read it with
//! `--log-format "$(gen_access_log --format)"`. Benign, deterministic content:
//! documentation addresses, example domains, invented paths.

use std::io::{BufWriter, Write};

use waybill_bench::{Rng, parse_size};

/// The LogFormat of the generated lines.
pub const FORMAT: &str = r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{Sec-Fetch-Site}i" "%{Sec-Fetch-Mode}i" "%{Sec-Fetch-Dest}i" "%{Sec-Fetch-User}i" "%{Sec-Purpose}i""#;

const UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "curl/8.5.0",
];
const DIRS: &[&str] = &["articles", "img", "files", "static/js", "static/css", "api/v1/items", "gallery", "downloads"];
const EXTS: &[&str] = &["html", "jpg", "png", "pdf", "js", "css", "json", "zip", "mp4"];
const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--format") {
        println!("{FORMAT}");
        return Ok(());
    }
    let (Some(out), Some(size)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: gen_access_log OUT SIZE|--lines=N [SEED]   |   gen_access_log --format");
    };
    let (limit_bytes, limit_lines) = match size.strip_prefix("--lines=") {
        Some(n) => (u64::MAX, n.parse::<u64>()?),
        None => (parse_size(size).ok_or_else(|| anyhow::anyhow!("bad size {size}"))?, u64::MAX),
    };
    let seed: u64 = args.get(2).map_or(Ok(1), |s| s.parse())?;
    let mut rng = Rng::new(seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut written = 0u64;
    let mut lines = 0u64;
    // 2026-01-01T00:00:00Z, advancing 0–3 s per line.
    let mut t: i64 = 1_767_225_600;
    let mut line = String::with_capacity(512);
    while written < limit_bytes && lines < limit_lines {
        t += rng.below(3) as i64;
        let days = t.div_euclid(86_400);
        let sod = t.rem_euclid(86_400);
        let (y, m, d) = waybill_model::time::civil_from_days(days);
        let ip = if rng.below(2) == 0 {
            format!("203.0.113.{}", rng.below(254) + 1)
        } else {
            format!("198.51.100.{}", rng.below(254) + 1)
        };
        let path = format!(
            "/{}/{}-{}.{}",
            rng.pick(DIRS),
            rng.pick(&["item", "photo", "report", "page"]),
            rng.below(100_000),
            rng.pick(EXTS)
        );
        // Fetch Metadata combinations a browser sends.
        let (site, mode, dest, user, purpose) = match rng.below(10) {
            0..=2 => ("same-origin", "navigate", "document", "?1", "-"),
            3 => ("none", "navigate", "document", "?1", "-"),
            4..=6 => ("same-origin", "no-cors", "image", "-", "-"),
            7 => ("same-origin", "cors", "empty", "-", "-"),
            8 => ("same-origin", "navigate", "document", "-", "prefetch"),
            _ => ("-", "-", "-", "-", "-"),
        };
        let status = *rng.pick(&[200, 200, 200, 200, 206, 304, 404]);
        let bytes = if status == 304 { "-".to_owned() } else { rng.below(5_000_000).to_string() };
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "{ip} - - [{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000] \"GET {path} HTTP/2.0\" {status} {bytes} \"https://www.example.com/{}/\" \"{}\" \"{site}\" \"{mode}\" \"{dest}\" \"{user}\" \"{purpose}\"",
            MONTHS[(m - 1) as usize],
            sod / 3600,
            (sod / 60) % 60,
            sod % 60,
            rng.pick(DIRS),
            rng.pick(UAS),
        );
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
        lines += 1;
    }
    w.flush()?;
    eprintln!("wrote {lines} lines, {written} bytes to {out}");
    Ok(())
}

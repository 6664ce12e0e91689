//! `waybill hash`: every hash of files, for examiners who need the values by hand.

use std::io::Write as _;

use anyhow::Result;
use waybill_hash::hash_reader;
use waybill_hash::pdq::{hash_image_bytes, looks_like_image};

use crate::args::HashArgs;
use crate::exit::ExitStatus;

/// Images up to this size are decoded for PDQ from the bytes already read.
const KEEP_IMAGE: u64 = 64 << 20;

/// Hashes the files.
pub fn run(a: &HashArgs) -> Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for path in &a.files {
        let result = (|| -> std::io::Result<_> {
            let mut f = std::fs::File::open(path)?;
            let size = f.metadata()?.len();
            hash_reader(&mut f, size, KEEP_IMAGE)
        })();
        let hashed = match result {
            Ok(h) => h,
            Err(e) => {
                writeln!(std::io::stderr(), "error: {}: {e}", path.display())?;
                failed = true;
                continue;
            }
        };
        let d = &hashed.digests;
        let pdq = hashed.content.as_deref().filter(|c| looks_like_image(c)).map(hash_image_bytes);
        if a.json {
            let mut obj = serde_json::json!({
                "path": path.display().to_string(),
                "size": d.size,
                "md5": d.md5,
                "sha1": d.sha1,
                "sha256": d.sha256,
                "dropbox_content_hash": d.dropbox_content_hash,
                "quickxorhash": d.quickxorhash,
                "s3_etag": d.s3_etag,
                "s3_multipart": d.s3_multipart,
                "whatsapp_hash": d.whatsapp_hash,
            });
            match &pdq {
                Some(Ok(p)) => {
                    obj["pdq"] = p.hex().into();
                    obj["pdq_quality"] = p.quality.into();
                }
                Some(Err(e)) => obj["pdq_error"] = e.to_string().into(),
                None => {}
            }
            writeln!(out, "{obj}")?;
        } else {
            writeln!(out, "{}", path.display())?;
            let rows = [
                ("size", d.size.to_string()),
                ("md5", d.md5.clone()),
                ("sha1", d.sha1.clone()),
                ("sha256", d.sha256.clone()),
                ("dropbox_content_hash", d.dropbox_content_hash.clone()),
                ("quickxorhash", d.quickxorhash.clone()),
                ("s3_etag", d.s3_etag.clone()),
                ("whatsapp_hash", d.whatsapp_hash.clone()),
            ];
            for (k, v) in rows {
                writeln!(out, "  {k:<22}{v}")?;
            }
            for m in &d.s3_multipart {
                writeln!(out, "  {:<22}{}", format!("s3_etag_{}mib", m.part_mib), m.etag)?;
            }
            match &pdq {
                Some(Ok(p)) => {
                    writeln!(out, "  {:<22}{}", "pdq", p.hex())?;
                    writeln!(
                        out,
                        "  {:<22}{}{}",
                        "pdq_quality",
                        p.quality,
                        if p.quality < 50 { " (below 50: unreliable)" } else { "" }
                    )?;
                }
                Some(Err(e)) => writeln!(out, "  {:<22}{e}", "pdq")?,
                None => {}
            }
        }
    }
    Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
}

//! `waybill case new`, `case seal`, `case keygen`.

use std::io::Write as _;

use anyhow::{Context as _, Result};
use waybill_ingest::Zone;
use waybill_model::Subject;
use waybill_store::{Case, CaseConfig, CaseMeta};

use crate::args::{CaseKeygenArgs, CaseNewArgs, CaseSealArgs};
use crate::exit::ExitStatus;

/// Creates a case folder.
pub fn new(a: &CaseNewArgs) -> Result<ExitStatus> {
    let started = super::now();
    let from: Option<CaseConfig> = match &a.from {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(toml::from_str(&text).with_context(|| format!("{} is not a case.toml", p.display()))?)
        }
        None => None,
    };
    let mut subjects = from.as_ref().map(|c| c.subjects.clone()).unwrap_or_default();
    for s in &a.subjects {
        subjects.push(s.parse::<Subject>().context("--subject")?);
    }
    subjects.sort();
    subjects.dedup();
    let tz = a.tz.as_deref().or(from.as_ref().map(|c| c.case.tz.as_str())).unwrap_or("UTC");
    let tz: Zone = tz.parse().context("--tz")?;
    let examiner = a.examiner.clone().or_else(|| from.as_ref().and_then(|c| c.case.examiner.clone()));
    let name = a.case.file_name().map_or_else(|| a.case.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut context = from.as_ref().map(|c| c.context.clone()).unwrap_or_default();
    for kv in &a.context {
        let (k, v) = kv.split_once('=').with_context(|| format!("--context {kv:?} is not KEY=VALUE"))?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
        if k == "roaming" && !matches!(v.as_str(), "yes" | "no") {
            anyhow::bail!("--context roaming takes yes or no, not {v:?}");
        }
        context.insert(k, v);
    }
    let config = CaseConfig {
        case: CaseMeta { name, examiner, tz: tz.to_string(), created_by: super::tool() },
        subjects,
        context,
    };
    let mut case = Case::create(&a.case, &config)?;
    case.append_custody(&serde_json::json!({
        "command": super::argv(),
        "action": "case.new",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
    }))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "created case {} ({} subjects, zone {})", a.case.display(), config.subjects.len(), config.case.tz)?;
    Ok(ExitStatus::Success)
}

/// Signs the chain heads with the examiner's key.
pub fn seal(a: &CaseSealArgs) -> Result<ExitStatus> {
    let started = super::now();
    let key = waybill_store::seal::read_signing_key(&a.key)?;
    let mut case = Case::open_for_write(&a.case)?;
    let s = case.seal(
        &key,
        serde_json::json!({
            "command": super::argv(),
            "tool": super::tool(),
            "started": started,
            "finished": super::now(),
        }),
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sealed {}: manifest {} lines (head {}), custody {} lines (head {}), Ed25519 key {}",
        a.case.display(),
        s.manifest_lines,
        s.manifest_head,
        s.custody_lines,
        s.custody_head,
        s.public_key
    )?;
    Ok(ExitStatus::Success)
}

/// Writes a new key pair.
pub fn keygen(a: &CaseKeygenArgs) -> Result<ExitStatus> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let (private, public, hex) = waybill_store::seal::generate()?;
    let pub_path = {
        let mut p = a.out.clone().into_os_string();
        p.push(".pub");
        std::path::PathBuf::from(p)
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&a.out)
        .with_context(|| format!("creating {}", a.out.display()))?;
    f.write_all(private.as_bytes())?;
    f.sync_all()?;
    std::fs::write(&pub_path, public).with_context(|| format!("writing {}", pub_path.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "private key {} (keep it secret), public key {} ({hex})", a.out.display(), pub_path.display())?;
    Ok(ExitStatus::Success)
}

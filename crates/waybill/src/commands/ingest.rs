//! `waybill ingest`.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;
use waybill_ingest::tree::TreeRequest;
use waybill_ingest::{
    Found, IngestError, IngestRequest, InputSummary, LogFormatSpec, ParseContext, Zone, entries_in, expand, find,
    gather_entries, ingest, ingest_entries,
};
use waybill_store::{Case, CompanionEntry, DuplicateKey, ManifestEntry, duplicate_in};

use crate::args::IngestArgs;
use crate::exit::ExitStatus;
use crate::reporters::InputProgress;

/// The outcome of one input, as printed and in `--json`.
#[derive(Debug, Serialize)]
struct Outcome {
    path: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    records: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rejects: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// What the input lacks that its source would have read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl Outcome {
    /// An input already in the case with the same options.
    fn duplicate(path: &Path, dup: &ManifestEntry) -> Self {
        Self {
            id: Some(dup.id.clone()),
            format: Some(dup.format.clone()),
            sha256: Some(dup.sha256.clone()),
            message: Some(format!("already ingested as {} with the same options", dup.id)),
            ..Self::new(path, "duplicate")
        }
    }

    /// An input committed as `c`.
    fn ingested(path: &Path, c: &ManifestEntry, message: Option<String>) -> Self {
        Self {
            id: Some(c.id.clone()),
            format: Some(c.format.clone()),
            records: Some(c.records),
            events: Some(c.events),
            rejects: Some(c.rejects),
            sha256: Some(c.sha256.clone()),
            message,
            notes: c.notes.clone(),
            ..Self::new(path, "ingested")
        }
    }

    fn new(path: &Path, status: &'static str) -> Self {
        Self {
            path: path.display().to_string(),
            status,
            id: None,
            format: None,
            records: None,
            events: None,
            rejects: None,
            sha256: None,
            message: None,
            notes: Vec::new(),
        }
    }
}

/// Ingests evidence into a case.
pub fn run(a: &IngestArgs) -> Result<ExitStatus> {
    let started = super::now();
    let mut case = Case::open_for_write(&a.case)?;
    let tz: Zone = a.tz.as_deref().unwrap_or(&case.config().case.tz).parse().context("--tz")?;
    let log_format = a.log_format.as_deref().map(str::parse::<LogFormatSpec>).transpose().context("--log-format")?;
    if let Some(f) = &a.format
        && find(f).is_none()
    {
        anyhow::bail!("unknown format {f:?}; see `waybill formats`");
    }
    let ctx = ParseContext { tz, log_format: log_format.clone() };
    let mut failed = false;
    let mut tree_outcome = None;
    // A target is a file tree and the artifacts in it: a folder where it is,
    // a zip staged into the case first.
    let mut target_info = serde_json::Value::Null;
    let resolved;
    let a = match &a.target {
        Some(t) => {
            let (root, more, info) = stage_target(&case, t, ctx.tz)?;
            target_info = info;
            let mut with = a.clone();
            with.files = Some(root.clone());
            with.paths.push(root);
            with.paths.extend(more);
            resolved = with;
            &resolved
        }
        None => a,
    };
    if let Some(dir) = &a.files {
        let (outcome, ok) = ingest_tree(&mut case, dir, a)?;
        failed |= !ok;
        tree_outcome = Some(outcome);
    }
    let (mut found, skipped) = expand(&a.paths, Some(case.root()));
    // A forced format reads every file as that format, one input each.
    if a.format.is_none() {
        found = gather_entries(found, &ctx);
    }
    let mut outcomes: Vec<Outcome> = skipped
        .iter()
        .map(|s| Outcome { message: Some(s.reason.clone()), ..Outcome::new(&s.path, "skipped") })
        .collect();
    for dir in &a.entries {
        match entries_in(dir, &ctx) {
            Ok(groups) if groups.is_empty() => outcomes.push(Outcome {
                message: Some("no per-entry files (cache entries, Zone.Identifier streams) in this folder".into()),
                ..Outcome::new(dir, "skipped")
            }),
            // With `--format`, only that format's entries.
            Ok(groups) => found.extend(groups.into_iter().filter(|g| {
                a.format.as_deref().is_none_or(|f| g.entries.as_ref().is_some_and(|(format, _)| *format == f))
            })),
            Err(e) => {
                failed = true;
                outcomes.push(Outcome { message: Some(e.to_string()), ..Outcome::new(dir, "error") });
            }
        }
    }
    outcomes.extend(tree_outcome);
    let mut stderr = std::io::stderr();
    // The committed inputs, read once and kept up to date.
    let mut known = case.manifest_entries()?;
    let tz_name = ctx.tz.to_string();
    let log_format_name = ctx.log_format.as_ref().map(ToString::to_string);
    for f in &found {
        if let Some((format, members)) = &f.entries {
            let (outcome, ok) = ingest_folder(&mut case, &mut known, f, format, members, a, &ctx)?;
            failed |= !ok;
            outcomes.push(outcome);
            continue;
        }
        let size = std::fs::metadata(&f.path).map_or(0, |m| m.len());
        // A duplicate is found before parsing: when an input of the same size
        // was read with the same options, the file is hashed and its format
        // recognised (cheap), and a match is reported without reading it again.
        if let Some(dup) = duplicate_before_parse(&known, f, size, a, (&ctx, &tz_name, log_format_name.as_deref())) {
            outcomes.push(Outcome::duplicate(&f.path, dup));
            continue;
        }
        // A file of a walk that no source recognises is skipped before a
        // staging folder is made for it: a disk holds hundreds of thousands.
        if !f.explicit
            && a.format.is_none()
            && let Some(e) = waybill_ingest::unrecognised(&f.path, &ctx)
        {
            outcomes.push(Outcome { message: Some(short_reason(&e)), ..Outcome::new(&f.path, "skipped") });
            continue;
        }
        let staging = case.begin_input()?;
        let progress =
            InputProgress::new(size, &f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let abs = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone());
        let req = IngestRequest {
            path: &f.path,
            id: staging.id(),
            format: a.format.as_deref(),
            device: a.device.as_deref(),
            clock: a.clock.as_deref(),
            ctx: &ctx,
            scratch: None,
        };
        let result = ingest(&req, &staging, &progress);
        progress.finish();
        match result {
            Ok(summary) => {
                let abs_name = abs.display().to_string();
                let dup_key = DuplicateKey {
                    sha256: &summary.sha256,
                    format: summary.format,
                    device: a.device.as_deref(),
                    clock: a.clock.as_deref(),
                    tz: &tz_name,
                    log_format: log_format_name.as_deref(),
                    path: find(summary.format).filter(|s| s.per_entry()).map(|_| abs_name.as_str()),
                };
                // The same content met again within this run (two paths to
                // one file), or changed in size since: caught after parsing.
                if let Some(dup) = duplicate_in(&known, &dup_key) {
                    outcomes.push(Outcome::duplicate(&f.path, dup));
                    case.abort_input(staging)?;
                    continue;
                }
                let entry = manifest_entry(&abs, &summary, a, &ctx);
                let committed = case.commit_input(staging, entry)?;
                known.push(committed.clone());
                outcomes.push(Outcome::ingested(&f.path, &committed, None));
            }
            Err(e) => {
                case.abort_input(staging)?;
                if e.is_unrecognised() && !f.explicit {
                    outcomes.push(Outcome { message: Some(short_reason(&e)), ..Outcome::new(&f.path, "skipped") });
                } else {
                    failed = true;
                    if !a.json {
                        writeln!(stderr, "error: {e}")?;
                    }
                    outcomes.push(Outcome { message: Some(e.to_string()), ..Outcome::new(&f.path, "error") });
                }
            }
        }
    }
    let inputs: Vec<serde_json::Value> = outcomes
        .iter()
        .filter(|o| o.status == "ingested")
        .map(|o| serde_json::json!({"id": o.id, "path": o.path, "sha256": o.sha256, "format": o.format}))
        .collect();
    case.append_custody(&serde_json::json!({
        "command": super::argv(),
        "action": "ingest",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
        "inputs": inputs,
        "errors": outcomes.iter().filter(|o| o.status == "error").count(),
        "target": target_info,
    }))?;
    if !target_info.is_null() && !a.json {
        let formats: std::collections::BTreeSet<&str> =
            outcomes.iter().filter(|o| o.status == "ingested").filter_map(|o| o.format.as_deref()).collect();
        println!(
            "target: {} {} ({}); operating system: {}; artifacts: {}",
            target_info["kind"].as_str().unwrap_or(""),
            target_info["path"].as_str().unwrap_or(""),
            target_info["layout"].as_str().unwrap_or("as is"),
            target_info["os"].as_str().unwrap_or("unknown"),
            formats.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    print(&outcomes, a.json)?;
    Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
}

/// The file tree of `--target`: a folder as it is, a zip staged into
/// `CASE/targets/<16 hex>/`; and what the custody log records of it.
fn stage_target(
    case: &Case,
    target: &Path,
    zone: Zone,
) -> Result<(std::path::PathBuf, Vec<std::path::PathBuf>, serde_json::Value)> {
    use waybill_ingest::target::{Kind, detect, guess_os, stage_tar, stage_zip};
    let abs = std::path::absolute(target).unwrap_or_else(|_| target.to_owned());
    match detect(target)? {
        Kind::Folder => {
            let os = guess_os(target);
            Ok((
                target.to_owned(),
                Vec::new(),
                serde_json::json!({"kind": "folder", "path": abs.display().to_string(), "os": os}),
            ))
        }
        kind @ (Kind::Ntfs | Kind::Ext | Kind::Fat | Kind::Disk | Kind::Ewf | Kind::Vhdx) => {
            let sha = waybill_ingest::target::sha256_of(target)?;
            let into = case.root().join("targets").join(&sha[..16]);
            let s = waybill_ingest::target::stage_image(target, kind, sha, &into, zone)?;
            // A partitioned disk's OS is its first partition's that shows one.
            let os = s
                .volumes
                .iter()
                .map(|v| guess_os(&v.partition.map_or_else(|| s.root.clone(), |n| s.root.join(format!("p{n}")))))
                .find(|os| *os != "unknown")
                .unwrap_or("unknown");
            if let Some(check) = &s.md5
                && check.matches() == Some(false)
            {
                writeln!(
                    std::io::stderr(),
                    "warning: {}: the media's MD5 is {}, the image stores {}: the image is damaged or altered",
                    target.display(),
                    check.computed,
                    check.stored.as_deref().unwrap_or("")
                )?;
            }
            let info = serde_json::json!({
                "kind": kind.as_str(),
                "path": abs.display().to_string(),
                "sha256": s.sha256,
                "size": s.size,
                "segments": s.segments.iter().map(|(p, sha, size)| serde_json::json!({
                    "path": std::path::absolute(p).unwrap_or_else(|_| p.clone()).display().to_string(),
                    "sha256": sha,
                    "size": size,
                })).collect::<Vec<_>>(),
                "media_size": s.media_size,
                "media_md5": s.md5.as_ref().map(|c| serde_json::json!({
                    "stored": c.stored, "computed": c.computed, "match": c.matches(),
                })),
                "layout": s.layout,
                "volumes": s.volumes.iter().map(|v| serde_json::json!({
                    "partition": v.partition, "offset": v.offset, "size": v.size, "files": v.files, "streams": v.streams,
                })).collect::<Vec<_>>(),
                "staged": s.root.display().to_string(),
                "members": s.files,
                "streams": s.stream_count,
                "left_out": s.left_out.iter().map(|(n, why)| serde_json::json!({"member": n, "why": why})).collect::<Vec<_>>(),
                "os": os,
                // FAT's local times were read in this zone; verify stages again with it.
                "zone": s.zone.to_string(),
            });
            // The NTFS bodyfile (both sets of times) is read as its own input.
            let mut more = vec![s.streams];
            more.extend(s.bodyfile);
            Ok((s.root, more, info))
        }
        kind @ (Kind::Zip | Kind::Tar { .. }) => {
            // Staged under the case, in a folder named by the container's hash.
            let sha = waybill_ingest::target::sha256_of(target)?;
            let into = case.root().join("targets").join(&sha[..16]);
            let s = match kind {
                Kind::Tar { gzip } => stage_tar(target, gzip, sha, &into)?,
                _ => stage_zip(target, sha, &into)?,
            };
            let os = guess_os(&s.root);
            let info = serde_json::json!({
                "kind": kind.as_str(),
                "path": abs.display().to_string(),
                "sha256": s.sha256,
                "size": s.size,
                "layout": s.layout,
                "staged": s.root.display().to_string(),
                "members": s.members,
                "left_out": s.left_out.iter().map(|(n, why)| serde_json::json!({"member": n, "why": why})).collect::<Vec<_>>(),
                "os": os,
            });
            Ok((s.root, Vec::new(), info))
        }
    }
}

/// A folder of per-entry files (`f.path`), read as one input.
fn ingest_folder(
    case: &mut Case,
    known: &mut Vec<ManifestEntry>,
    f: &Found,
    format: &'static str,
    members: &[std::path::PathBuf],
    a: &IngestArgs,
    ctx: &ParseContext,
) -> Result<(Outcome, bool)> {
    let staging = case.begin_input()?;
    let total = members.iter().map(|m| std::fs::metadata(m).map_or(0, |m| m.len())).sum();
    let progress = InputProgress::new(total, &f.path.display().to_string());
    let req = IngestRequest {
        path: &f.path,
        id: staging.id(),
        format: Some(format),
        device: a.device.as_deref(),
        clock: a.clock.as_deref(),
        ctx,
        scratch: None,
    };
    let result = ingest_entries(&req, members, &staging, &progress);
    progress.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            case.abort_input(staging)?;
            if !a.json {
                writeln!(std::io::stderr(), "error: {e}")?;
            }
            return Ok((Outcome { message: Some(e.to_string()), ..Outcome::new(&f.path, "error") }, false));
        }
    };
    let tz = ctx.tz.to_string();
    let log_format = ctx.log_format.as_ref().map(ToString::to_string);
    let abs = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone());
    let abs_name = abs.display().to_string();
    // Entries name files by their paths: the same bytes in another folder are
    // another input.
    let key = DuplicateKey {
        sha256: &summary.sha256,
        format: summary.format,
        device: a.device.as_deref(),
        clock: a.clock.as_deref(),
        tz: &tz,
        log_format: log_format.as_deref(),
        path: Some(abs_name.as_str()),
    };
    if let Some(dup) = duplicate_in(known, &key) {
        let outcome = Outcome::duplicate(&f.path, dup);
        case.abort_input(staging)?;
        return Ok((outcome, true));
    }
    let committed = case.commit_input(staging, manifest_entry(&abs, &summary, a, ctx))?;
    known.push(committed.clone());
    let message = format!("{} entry files read as one input", members.len());
    Ok((Outcome::ingested(&f.path, &committed, Some(message)), true))
}

/// The committed input `f` duplicates, found without parsing it: only when
/// an input of the same size was read with the same device, zone and log
/// format is the file hashed and its format recognised.
fn duplicate_before_parse<'k>(
    known: &'k [ManifestEntry],
    f: &waybill_ingest::Found,
    size: u64,
    a: &IngestArgs,
    (ctx, tz, log_format): (&ParseContext, &str, Option<&str>),
) -> Option<&'k ManifestEntry> {
    let candidate = known.iter().any(|m| {
        m.size == size
            && m.device == a.device
            && m.tz == tz
            && m.log_format.as_deref() == log_format
            && a.format.as_deref().is_none_or(|fmt| m.format == fmt)
    });
    if !candidate {
        return None;
    }
    // Errors here are left to the ingest itself, which reports them.
    let source = waybill_ingest::detect(&f.path, ctx, a.format.as_deref(), None).ok()?;
    let (sha256, _) = waybill_ingest::input::hash_file(&f.path).ok()?;
    // A per-entry file (a Zone.Identifier stream) says something of the file
    // beside it: the same bytes at another path are another input.
    let abs_name = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone()).display().to_string();
    let key = DuplicateKey {
        sha256: &sha256,
        format: source.id(),
        device: a.device.as_deref(),
        clock: a.clock.as_deref(),
        tz,
        log_format,
        path: source.per_entry().then_some(abs_name.as_str()),
    };
    duplicate_in(known, &key)
}

/// `--files DIR`: hash every file of an extracted tree.
fn ingest_tree(case: &mut Case, dir: &Path, a: &IngestArgs) -> Result<(Outcome, bool)> {
    let staging = case.begin_input()?;
    let progress = InputProgress::new(0, &dir.display().to_string());
    let req = TreeRequest { root: dir, id: staging.id(), device: a.device.as_deref(), clock: a.clock.as_deref() };
    let result = waybill_ingest::tree::ingest_tree(&req, &staging, &progress);
    progress.finish();
    match result {
        Ok(t) => {
            let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            let entry = ManifestEntry {
                id: String::new(),
                path: abs.display().to_string(),
                size: t.size,
                sha256: t.sha256.clone(),
                format: waybill_ingest::tree::FORMAT.to_owned(),
                parser_version: 2,
                chosen_by: "--files".into(),
                compression: None,
                companions: Vec::new(),
                device: a.device.clone(),
                clock: t.clock.clone(),
                tz: "UTC".into(),
                log_format: None,
                notes: Vec::new(),
                records: t.counts.records,
                events: t.counts.events,
                rejects: t.counts.rejects,
                outputs: Vec::new(),
                prev: String::new(),
            };
            let c = case.commit_input(staging, entry)?;
            let message = (t.unhashed > 0)
                .then(|| format!("{} files could not be hashed (see table content, column error)", t.unhashed));
            Ok((Outcome::ingested(dir, &c, message), true))
        }
        Err(e) => {
            case.abort_input(staging)?;
            if !a.json {
                writeln!(std::io::stderr(), "error: {e}")?;
            }
            Ok((Outcome { message: Some(e.to_string()), ..Outcome::new(dir, "error") }, false))
        }
    }
}

fn short_reason(e: &IngestError) -> String {
    match e {
        IngestError::Unrecognised { detail, .. } => format!("format not recognised: {detail}"),
        other => other.to_string(),
    }
}

fn manifest_entry(abs: &Path, s: &InputSummary, a: &IngestArgs, ctx: &ParseContext) -> ManifestEntry {
    ManifestEntry {
        id: String::new(),
        path: abs.display().to_string(),
        size: s.size,
        sha256: s.sha256.clone(),
        format: s.format.to_owned(),
        parser_version: s.parser_version,
        chosen_by: s.chosen_by.to_owned(),
        compression: s.compression.map(str::to_owned),
        companions: s
            .companions
            .iter()
            .map(|c| CompanionEntry {
                path: std::path::absolute(&c.path).unwrap_or_else(|_| c.path.clone()).display().to_string(),
                role: c.role.to_owned(),
                size: c.size,
                sha256: c.sha256.clone(),
            })
            .collect(),
        device: a.device.clone(),
        clock: s.clock.clone(),
        tz: ctx.tz.to_string(),
        log_format: ctx.log_format.as_ref().map(ToString::to_string),
        notes: s.notes.clone(),
        records: s.counts.records,
        events: s.counts.events,
        rejects: s.counts.rejects,
        outputs: Vec::new(),
        prev: String::new(),
    }
}

fn print(outcomes: &[Outcome], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let doc = serde_json::json!({
            "inputs": outcomes,
            "ingested": outcomes.iter().filter(|o| o.status == "ingested").count(),
            "duplicates": outcomes.iter().filter(|o| o.status == "duplicate").count(),
            "skipped": outcomes.iter().filter(|o| o.status == "skipped").count(),
            "errors": outcomes.iter().filter(|o| o.status == "error").count(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    for o in outcomes {
        match o.status {
            "ingested" => {
                writeln!(
                    out,
                    "{}  {:<22} records {:>9}  events {:>9}  rejects {:>7}  {}",
                    o.id.as_deref().unwrap_or(""),
                    o.format.as_deref().unwrap_or(""),
                    o.records.unwrap_or(0),
                    o.events.unwrap_or(0),
                    o.rejects.unwrap_or(0),
                    o.path
                )?;
                if let Some(m) = &o.message {
                    writeln!(out, "       {m}")?;
                }
                for n in &o.notes {
                    writeln!(out, "       note: {n}")?;
                }
            }
            status => writeln!(out, "{status:<5}  {}  ({})", o.path, o.message.as_deref().unwrap_or(""))?,
        }
    }
    Ok(())
}

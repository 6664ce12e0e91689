//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// waybill: did the person retrieve it, or did infrastructure deliver it?
#[derive(Debug, Parser)]
#[command(name = "waybill", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or manage a case folder.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Ingest evidence files or folders into a case.
    Ingest(IngestArgs),
    /// List every evidence format waybill reads.
    Formats(FormatsArgs),
    /// List the rules of the rulebook (built-in or --rulebook), their values, groups and SHA-256.
    Rules(RulesArgs),
    /// Run SQL over a case (tables: events, rejects, inputs, content, files, interest).
    Sql(SqlArgs),
    /// Print the merged UTC timeline of a case.
    Timeline(TimelineArgs),
    /// Write every table of a case as Hive-partitioned Parquet (for Spark, Trino, DuckDB).
    Export(ExportArgs),
    /// Print every hash of files (MD5, SHA-1, SHA-256, Dropbox, QuickXorHash, S3 ETags, WhatsApp, PDQ).
    Hash(HashArgs),
    /// Match the case's files against reference hash sets: the matches become files of interest.
    Match(MatchArgs),
    /// Evaluate every copy of every file of interest: how much more probable are the findings if the subject's own act brought it (Hp) than if it arrived without their act (Hd)?
    Analyze(AnalyzeArgs),
    /// Record an examiner's review of a finding (accept or reject an item, or a note), list the steps, or apply a drafted file of steps.
    Review(ReviewArgs),
    /// Check a case: hash chains, evidence hashes, and every derived table re-derived from the evidence.
    Verify(VerifyArgs),
    /// Write the case's reports: HTML, report.json, CASE/UCO JSON-LD, Timesketch JSONL.
    Report(ReportArgs),
    /// Write a simulated evidence bundle with known ground truth (benign, synthetic).
    Simulate(SimulateArgs),
    /// Simulate a mixed case and run the whole job on it: case new, ingest, match, analyze, report.
    Demo(DemoArgs),
    /// Run a Ballista scheduler or executor for `sql` and `analyze --cluster` (needs the `ballista` feature).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

/// `waybill review`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").args(["accept", "reject", "note", "list", "apply"]).required(true)))]
pub struct ReviewArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The finding: its id (`<sha256>-<16 hex>`) or a unique prefix of it.
    #[arg(long, value_name = "ID", required_unless_present_any = ["list", "apply"])]
    pub finding: Option<String>,
    /// Accept an item: a rule id of the finding's evidence, or an event as SOURCE:RECORD.
    #[arg(long, value_name = "ITEM")]
    pub accept: Option<String>,
    /// Reject an item (left out of the evaluation): a rule id or SOURCE:RECORD.
    #[arg(long, value_name = "ITEM")]
    pub reject: Option<String>,
    /// A note that stays beside the finding.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Why (required for every step).
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["list", "apply"])]
    pub why: Option<String>,
    /// Who [default: the case's examiner].
    #[arg(long, value_name = "NAME")]
    pub examiner: Option<String>,
    /// List every review step.
    #[arg(long)]
    pub list: bool,
    /// Record the steps of a file drafted in report.html (`waybill.review-draft/1`).
    #[arg(long, value_name = "FILE")]
    pub apply: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A partition column of `waybill export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartitionCol {
    /// The UTC date of `ts` (tables with a `ts` column).
    Day,
    /// The input (`source`).
    Source,
}

/// `waybill export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The folder to write (new or empty): `<table>/[day=…/][source=…/]part-00000.parquet`.
    #[arg(long, value_name = "DIR")]
    pub parquet: PathBuf,
    /// Partition columns, in folder order (each applies to the tables that have it).
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub partition_by: Vec<PartitionCol>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `waybill case …`
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Create a case folder with its case.toml.
    New(CaseNewArgs),
    /// Sign the heads of the manifest and custody chains with an Ed25519 key.
    Seal(CaseSealArgs),
    /// Write a new Ed25519 key pair (private key as PKCS#8 PEM, public key as SPKI PEM).
    Keygen(CaseKeygenArgs),
}

/// `waybill case seal`
#[derive(Debug, Args)]
pub struct CaseSealArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The examiner's Ed25519 private key: PKCS#8 PEM (`openssl genpkey -algorithm ed25519`,
    /// `waybill case keygen`) or the 32-byte seed in hex.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// `waybill case keygen`
#[derive(Debug, Args)]
pub struct CaseKeygenArgs {
    /// Where to write the private key (created with mode 0600; must not exist). The public
    /// key goes next to it with `.pub` appended.
    pub out: PathBuf,
}

/// `waybill case new`
#[derive(Debug, Args)]
pub struct CaseNewArgs {
    /// The case folder to create (must not exist or be empty).
    pub case: PathBuf,
    /// A subject of the case, KIND=VALUE with KIND one of account, device, ip, phone (repeatable);
    /// VALUE@FROM..TO bounds it in time (RFC 3339, either end open), e.g.
    /// ip=203.0.113.7@2026-01-01T00:00:00Z..2026-02-01T00:00:00Z for a dynamic address.
    #[arg(long = "subject", value_name = "KIND=VALUE")]
    pub subjects: Vec<String>,
    /// Default zone for evidence that writes local time without an offset (IANA name, UTC, or ±HH:MM) [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Take subjects, zone and examiner from this case.toml (a simulated bundle's, another case's);
    /// --subject adds to its subjects, --tz and --examiner override.
    #[arg(long, value_name = "CASE_TOML")]
    pub from: Option<PathBuf>,
    /// The examiner's name.
    #[arg(long, value_name = "NAME")]
    pub examiner: Option<String>,
    /// What the examiner established beyond the evidence, KEY=VALUE (repeatable):
    /// `roaming=no` (or `yes`) answers whether the subject's phone was roaming.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

/// `waybill ingest`
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Evidence files or folders (folders are walked recursively; the
    /// per-entry files of one folder, such as a Chrome cache folder's entries,
    /// are read as one input).
    #[arg(required_unless_present_any = ["files", "entries", "target"])]
    pub paths: Vec<PathBuf>,
    /// Evidence as received: an extracted or mounted file system (a folder), a
    /// triage collection (a Velociraptor or KAPE zip, a UAC tar) or an image
    /// (E01, VHDX, raw disk or volume: NTFS, ext2/3/4, FAT, exFAT), staged into
    /// the case: every file hashed with its times as `--files` does, and every
    /// recognised artifact in it parsed, in one command.
    #[arg(long, value_name = "PATH", conflicts_with = "files")]
    pub target: Option<PathBuf>,
    /// A folder of per-entry files (a Chrome cache folder, exported
    /// Zone.Identifier streams): the entries directly in it, found by content,
    /// as one input per format (with `--format`, that format's only); other
    /// files in it are left alone. A folder walk does this by itself; `verify`
    /// reads a folder input again with it.
    #[arg(long, value_name = "DIR")]
    pub entries: Vec<PathBuf>,
    /// An extracted file tree (mounted or exported file system): hash every file and
    /// record its metadata times.
    #[arg(long, value_name = "DIR")]
    pub files: Option<PathBuf>,
    /// Read the inputs as this format instead of sniffing (see `waybill formats`).
    #[arg(long, value_name = "ID")]
    pub format: Option<String>,
    /// Attribute the evidence to this device of the case.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Name of the clock that produced the timestamps (default: the device, or the log's host).
    #[arg(long, value_name = "NAME")]
    pub clock: Option<String>,
    /// Zone of sources that write local time without an offset, FAT volumes
    /// among them (default: the case zone).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Access-log format: apache:'LogFormat string' or nginx:'log_format string'.
    #[arg(long, value_name = "SPEC")]
    pub log_format: Option<String>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `waybill formats`
#[derive(Debug, Args)]
pub struct FormatsArgs {
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `waybill rules`
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rulebook folder (`<family>/<id>.toml`) instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub rulebook: Option<PathBuf>,
    /// Print one JSON document (`sha256`, `groups`, `rules`) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Output format of `waybill sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON Lines, one object per row.
    Json,
}

/// `waybill sql`
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The query.
    pub query: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SqlFormat::Table)]
    pub format: SqlFormat,
    /// Run the query on an Apache DataFusion Ballista cluster: its scheduler as
    /// df://HOST:PORT (needs the `ballista` feature; every executor must see the
    /// case folder at the same path; a query of an in-memory table, such as
    /// `inputs`, runs here).
    #[arg(long, value_name = "URL")]
    pub cluster: Option<String>,
}

/// `waybill timeline`
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Only events at or after this time (RFC 3339, or a date; UTC unless an offset is given).
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// Only events before this time.
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// Only events within --window of this time.
    #[arg(long, value_name = "T", requires = "window")]
    pub around: Option<String>,
    /// Half-width of the --around window: 30s, 5m, 2h, 1d.
    #[arg(long, value_name = "DUR", requires = "around")]
    pub window: Option<String>,
    /// An extra SQL condition on the events table (e.g. "kind = 'browser.visit'").
    #[arg(long = "where", value_name = "SQL")]
    pub filter: Option<String>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `waybill hash`
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Files to hash.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file.
    #[arg(long)]
    pub json: bool,
}

/// `waybill match`
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Reference hash sets: plain lists, hashdeep output, NSRL RDS v3, VICS JSON, PDQ
    /// lists (`pdq:FILE` reads bare 64-hex lines as PDQ). Repeatable.
    #[arg(long = "hashset", value_name = "FILE", required = true)]
    pub hashsets: Vec<String>,
    /// Largest Hamming distance of a PDQ match.
    #[arg(long, value_name = "N", default_value_t = 31)]
    pub pdq_distance: u32,
    /// Also use PDQ hashes of quality below 50 (unreliable).
    #[arg(long)]
    pub pdq_any_quality: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// `waybill analyze`
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Only this file of interest (its SHA-256).
    #[arg(long = "file", value_name = "SHA256")]
    pub file: Option<String>,
    /// A rulebook folder (`<family>/<id>.toml`) instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub rulebook: Option<PathBuf>,
    /// Print one JSON object per copy instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Run the candidate-selection queries on an Apache DataFusion Ballista
    /// cluster (df://HOST:PORT; needs the `ballista` feature); the evaluation
    /// stays here.
    #[arg(long, value_name = "URL")]
    pub cluster: Option<String>,
}

/// `waybill cluster …`
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// A Ballista scheduler (in-memory cluster state) listening on --bind.
    Scheduler(SchedulerArgs),
    /// A Ballista executor that registers with the scheduler and runs its tasks.
    Executor(ExecutorArgs),
}

/// `waybill cluster scheduler`
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// The address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
    pub bind: String,
}

/// `waybill cluster executor`
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// The host to listen on (and to give the scheduler).
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub bind: String,
    /// The Arrow Flight port (shuffle and results).
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// The gRPC port.
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Tasks run at once [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    pub tasks: Option<usize>,
    /// The memory pool of the executor's queries: bytes, or with K, M or G (e.g. 2G);
    /// operators that can spill do so beyond it.
    #[arg(long, value_name = "BYTES")]
    pub memory: Option<String>,
    /// Where shuffle files go [default: a temporary folder].
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

/// `waybill simulate`
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The bundle folder to write (must not exist or be empty).
    #[arg(required_unless_present = "list")]
    pub out: Option<PathBuf>,
    /// The scenario (see --list), or `mixed`.
    #[arg(long, default_value = "mixed")]
    pub scenario: String,
    /// Seed: the same seed and options give the same bundle, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Background requests from other clients, spread over the server logs (streamed to disk).
    #[arg(long, value_name = "EVENTS", default_value_t = 2_000)]
    pub noise: u64,
    /// Files of interest (one episode each); `mixed` cycles through every scenario.
    #[arg(long, value_name = "N")]
    pub files: Option<usize>,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
    /// Print the bundle plan and truth as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `waybill demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to put the bundle (`OUT/bundle`) and the case (`OUT/case`); replaced if it is an earlier demo.
    #[arg(default_value = "waybill-demo")]
    pub out: PathBuf,
    /// Seed of the simulated case.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Background requests in the server logs.
    #[arg(long, value_name = "EVENTS", default_value_t = 200_000)]
    pub noise: u64,
}

/// `waybill report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Which reports, comma-separated: html, json, case, timesketch, pdf (pdf needs headless Chromium and writes report.html too).
    #[arg(long, value_delimiter = ',', default_value = "html,json,case,timesketch")]
    pub format: Vec<ReportFormat>,
    /// Output folder [default: CASE/report].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Timesketch: only the events linked to a finding (default: every event).
    #[arg(long)]
    pub only_linked: bool,
    /// The rulebook the findings were made with, when not the built-in one (for the methodology).
    #[arg(long, value_name = "DIR")]
    pub rulebook: Option<PathBuf>,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// `report.html`: self-contained, for people.
    Html,
    /// `report.json`: the case summary and every finding.
    Json,
    /// `case.jsonld`: CASE/UCO JSON-LD.
    Case,
    /// `timeline.jsonl`: Timesketch JSONL.
    Timesketch,
    /// `report.pdf`: report.html printed by headless Chromium (with every finding's details).
    Pdf,
}

/// `waybill verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Where the evidence is now, when it moved: each recorded path is looked up below
    /// this folder by its longest matching tail.
    #[arg(long, value_name = "DIR")]
    pub evidence_root: Option<PathBuf>,
    /// Require every seal to be made with this Ed25519 public key (SPKI PEM or 64 hex digits).
    #[arg(long, value_name = "FILE")]
    pub trusted_key: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

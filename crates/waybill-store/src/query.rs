//! SQL over a case with Apache DataFusion.
//!
//! Tables:
//! - `events` — the event table (see `waybill_model`), read from the Parquet
//!   parts of the inputs listed in the manifest;
//! - `rejects` — `source`, `record`, `code`, `reason`, `excerpt`, `excerpt_encoding`;
//! - `inputs` — `source`, `path`, `sha256`, `size`, `format`, `records`, `events`,
//!   `rejects`, plus `parser_version`, `device`, `clock`, `tz`, `compression`;
//! - `content` — one row per file read by `ingest --files` (every hash, PDQ, error);
//! - `files` — one row per distinct content (`sha256`, `paths`, `size`, every hash,
//!   `pdq`, `pdq_quality`), a view over `content`;
//! - `interest` — one row per file of interest and matching set (`sha256`, `set`,
//!   `by`, `distance`, `value`, `category`, `record`).
//!
//! Only committed inputs are read, so a query never sees a half-written step.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures_lite::StreamExt;

use crate::{Case, ManifestEntry, StoreError};

fn df(e: datafusion::error::DataFusionError) -> StoreError {
    StoreError::Query(Box::new(e))
}

/// The schema of the `rejects` table.
pub fn rejects_schema() -> SchemaRef {
    let f = |n: &str| Field::new(n, DataType::Utf8, true);
    Arc::new(Schema::new(vec![f("source"), f("record"), f("code"), f("reason"), f("excerpt"), f("excerpt_encoding")]))
}

/// The `files` table: one row per distinct content read by `ingest --files`.
const FILES_VIEW: &str = "CREATE VIEW files AS SELECT sha256, array_agg(DISTINCT path ORDER BY path) AS paths, \
     max(size) AS size, max(md5) AS md5, max(sha1) AS sha1, max(dropbox_content_hash) AS dropbox_content_hash, \
     max(quickxorhash) AS quickxorhash, max(s3_etag) AS s3_etag, max(s3_multipart) AS s3_multipart, \
     max(whatsapp_hash) AS whatsapp_hash, max(pdq) AS pdq, max(pdq_quality) AS pdq_quality \
     FROM content WHERE sha256 IS NOT NULL GROUP BY sha256";

/// The schema of the `interest` table: one row per file of interest and set.
pub fn interest_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("sha256", DataType::Utf8, false),
        Field::new("set", DataType::Utf8, false),
        Field::new("by", DataType::Utf8, false),
        Field::new("distance", DataType::Int32, false),
        Field::new("value", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, true),
        Field::new("record", DataType::Utf8, false),
    ]))
}

/// The query memory budget: `WAYBILL_MEMORY_LIMIT` (bytes, or with a `K`,
/// `M`, `G` suffix), else 3 GiB. A value that does not parse is an error, never
/// a silent default.
pub fn memory_limit() -> Result<usize, StoreError> {
    const DEFAULT: usize = 3 << 30;
    match std::env::var("WAYBILL_MEMORY_LIMIT") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT),
        Err(std::env::VarError::NotUnicode(v)) => Err(StoreError::Setting {
            name: "WAYBILL_MEMORY_LIMIT",
            value: v.to_string_lossy().into_owned(),
            detail: "not UTF-8",
        }),
        Ok(v) => parse_memory_limit(&v).ok_or(StoreError::Setting {
            name: "WAYBILL_MEMORY_LIMIT",
            value: v,
            detail: "give a positive number of bytes, optionally with K, M or G (e.g. 2G)",
        }),
    }
}

/// `2147483648`, `512M`, `2G` → bytes; `None` for anything else (zero too).
pub fn parse_memory_limit(v: &str) -> Option<usize> {
    let v = v.trim();
    let (n, mult) = match v.char_indices().last() {
        Some((i, 'k' | 'K')) => (&v[..i], 1usize << 10),
        Some((i, 'm' | 'M')) => (&v[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&v[..i], 1 << 30),
        _ => (v, 1),
    };
    n.trim().parse::<usize>().ok().filter(|&n| n > 0).and_then(|n| n.checked_mul(mult))
}

/// A DataFusion session over one case.
pub struct Query {
    rt: tokio::runtime::Runtime,
    ctx: SessionContext,
    /// On a cluster: a local session over the same tables, for the queries
    /// that read an in-memory table (which the cluster cannot be sent).
    local: Option<SessionContext>,
}

impl Query {
    /// Registers the case's tables.
    pub fn open(case: &Case) -> Result<Self, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let ctx = local_session()?;
        rt.block_on(register_tables(&ctx, case))?;
        Ok(Self { rt, ctx, local: None })
    }

    /// Registers the case's tables on an Apache DataFusion Ballista cluster
    /// (`df://HOST:PORT`, its scheduler): every query of this session is
    /// planned here and run by the cluster's executors, which read the
    /// case's Parquet and JSON files at the same absolute paths (a folder
    /// the scheduler and every executor see). A query that reads an
    /// in-memory table (`inputs`, a table of which the case has no files yet,
    /// a batch given to [`Self::register_batch`]) cannot be sent to the
    /// cluster and runs here, on the same tables.
    #[cfg(feature = "ballista")]
    pub fn open_cluster(case: &Case, url: &str) -> Result<Self, StoreError> {
        use ballista::prelude::SessionContextExt as _;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let config = SessionConfig::new().with_information_schema(true);
        let state =
            datafusion::execution::SessionStateBuilder::new().with_config(config).with_default_features().build();
        let ctx = rt.block_on(SessionContext::remote_with_state(url, state)).map_err(df)?;
        rt.block_on(register_tables(&ctx, case))?;
        let local = local_session()?;
        rt.block_on(register_tables(&local, case))?;
        Ok(Self { rt, ctx, local: Some(local) })
    }

    /// The session a query runs in: the cluster's, unless the query reads
    /// an in-memory table.
    async fn session_for(&self, sql: &str) -> Result<&SessionContext, StoreError> {
        let Some(local) = &self.local else { return Ok(&self.ctx) };
        let plan = self.ctx.state().create_logical_plan(sql).await.map_err(df)?;
        Ok(if reads_memory(&plan)? { local } else { &self.ctx })
    }

    /// Registers an in-memory table (for joins against a list of keys).
    pub fn register_batch(&self, name: &str, batch: RecordBatch) -> Result<(), StoreError> {
        let table = Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(df)?);
        self.ctx.register_table(name, table.clone()).map_err(df)?;
        if let Some(local) = &self.local {
            local.register_table(name, table).map_err(df)?;
        }
        Ok(())
    }

    /// The session (to register more tables).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs a query and collects the result.
    pub fn sql(&self, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>), StoreError> {
        self.rt.block_on(async {
            let frame = self.session_for(sql).await?.sql(sql).await.map_err(df)?;
            let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
            let batches = frame.collect().await.map_err(df)?;
            Ok((schema, batches))
        })
    }

    /// Runs a query and hands each result batch to `f` as it is produced
    /// (bounded memory for large results). `f` returning `false` stops early.
    pub fn sql_each(
        &self,
        sql: &str,
        mut f: impl FnMut(&RecordBatch) -> Result<bool, StoreError>,
    ) -> Result<SchemaRef, StoreError> {
        self.rt.block_on(async {
            let frame = self.session_for(sql).await?.sql(sql).await.map_err(df)?;
            let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
            let mut stream = frame.execute_stream().await.map_err(df)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(df)?;
                if !f(&batch)? {
                    break;
                }
            }
            Ok(schema)
        })
    }
}

enum Format {
    Parquet,
    Json,
}

/// A local session: the memory budget of [`memory_limit`], spilling beyond it.
fn local_session() -> Result<SessionContext, StoreError> {
    let config = SessionConfig::new().with_information_schema(true);
    // Operators that can spill (sorts, joins, aggregations) spill to the
    // temp folder beyond this budget instead of growing without bound.
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(datafusion::execution::memory_pool::FairSpillPool::new(memory_limit()?)))
        .build_arc()
        .map_err(df)?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// Does a plan (its subqueries included) scan an in-memory table?
fn reads_memory(plan: &datafusion::logical_expr::LogicalPlan) -> Result<bool, StoreError> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::LogicalPlan;
    let mut found = false;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && datafusion::datasource::source_as_provider(&scan.source)?.is::<MemTable>()
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map_err(df)?;
    Ok(found)
}

/// Registers the case's tables: `events`, `rejects`, `content` and
/// `interest` over their files, the `files` view, and `inputs`.
async fn register_tables(ctx: &SessionContext, case: &Case) -> Result<(), StoreError> {
    let entries = case.manifest_entries()?;
    let event_dirs = case.event_dirs()?;
    let reject_files = case.reject_files()?;
    let content_dirs = case.content_dirs()?;
    register_listing(ctx, "events", &event_dirs, waybill_model::schema::event_schema(), Format::Parquet).await?;
    register_listing(ctx, "rejects", &reject_files, rejects_schema(), Format::Json).await?;
    register_listing(ctx, "content", &content_dirs, waybill_model::schema::content_schema(), Format::Parquet).await?;
    let interest: Vec<std::path::PathBuf> = Some(case.interest_path()).into_iter().filter(|p| p.is_file()).collect();
    register_listing(ctx, "interest", &interest, interest_schema(), Format::Parquet).await?;
    ctx.sql(FILES_VIEW).await.map_err(df)?;
    let inputs = inputs_batch(&entries)?;
    let table = MemTable::try_new(inputs.schema(), vec![vec![inputs]]).map_err(df)?;
    ctx.register_table("inputs", Arc::new(table)).map_err(df)?;
    Ok(())
}

async fn register_listing(
    ctx: &SessionContext,
    name: &str,
    paths: &[std::path::PathBuf],
    schema: SchemaRef,
    format: Format,
) -> Result<(), StoreError> {
    if paths.is_empty() {
        let table = MemTable::try_new(schema, vec![vec![]]).map_err(df)?;
        ctx.register_table(name, Arc::new(table)).map_err(df)?;
        return Ok(());
    }
    let urls = paths
        .iter()
        .map(|p| {
            let abs = std::path::absolute(p)?;
            let mut s = abs.to_string_lossy().into_owned();
            if p.is_dir() && !s.ends_with('/') {
                s.push('/');
            }
            ListingTableUrl::parse(&s).map_err(df)
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let options = match format {
        Format::Parquet => ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet"),
        Format::Json => ListingOptions::new(Arc::new(JsonFormat::default())).with_file_extension(".jsonl"),
    };
    let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).with_schema(schema);
    let table = ListingTable::try_new(config).map_err(df)?;
    ctx.register_table(name, Arc::new(table)).map_err(df)?;
    Ok(())
}

fn inputs_batch(entries: &[ManifestEntry]) -> Result<RecordBatch, StoreError> {
    let s = |f: &dyn Fn(&ManifestEntry) -> Option<String>| -> ArrayRef {
        Arc::new(entries.iter().map(f).collect::<StringArray>())
    };
    let u = |f: &dyn Fn(&ManifestEntry) -> u64| -> ArrayRef {
        Arc::new(entries.iter().map(|e| Some(f(e))).collect::<UInt64Array>())
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("sha256", DataType::Utf8, false),
        Field::new("size", DataType::UInt64, false),
        Field::new("format", DataType::Utf8, false),
        Field::new("records", DataType::UInt64, false),
        Field::new("events", DataType::UInt64, false),
        Field::new("rejects", DataType::UInt64, false),
        Field::new("parser_version", DataType::UInt32, false),
        Field::new("device", DataType::Utf8, true),
        Field::new("clock", DataType::Utf8, false),
        Field::new("tz", DataType::Utf8, false),
        Field::new("compression", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        s(&|e| Some(e.id.clone())),
        s(&|e| Some(e.path.clone())),
        s(&|e| Some(e.sha256.clone())),
        u(&|e| e.size),
        s(&|e| Some(e.format.clone())),
        u(&|e| e.records),
        u(&|e| e.events),
        u(&|e| e.rejects),
        Arc::new(entries.iter().map(|e| Some(e.parser_version)).collect::<UInt32Array>()),
        s(&|e| e.device.clone()),
        s(&|e| Some(e.clock.clone())),
        s(&|e| Some(e.tz.clone())),
        s(&|e| e.compression.clone()),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| StoreError::Query(Box::new(e.into())))
}

#[cfg(test)]
mod tests {
    use super::parse_memory_limit;

    #[test]
    fn memory_limits_parse_or_are_refused() {
        assert_eq!(parse_memory_limit("2147483648"), Some(2 << 30));
        assert_eq!(parse_memory_limit(" 512M "), Some(512 << 20));
        assert_eq!(parse_memory_limit("2g"), Some(2 << 30));
        assert_eq!(parse_memory_limit("64K"), Some(64 << 10));
        for bad in ["", "2GB", "two", "-1G", "0", "1.5G", "99999999999999999999G"] {
            assert_eq!(parse_memory_limit(bad), None, "{bad}");
        }
    }
}

//! `waybill cluster scheduler|executor`, and the query session of
//! `sql`/`analyze --cluster`: Apache DataFusion Ballista 55 (the version that
//! matches waybill's DataFusion), behind the `ballista` cargo feature.
//!
//! waybill's tables are Parquet and JSON files read through DataFusion's own
//! listing tables, so the stock codecs serialize every plan: the scheduler and
//! executor here are Ballista's, started with waybill's options, so that a
//! cluster runs the same DataFusion as the client that plans its queries.

use anyhow::Result;
use waybill_store::Case;
use waybill_store::query::Query;

use crate::args::{ExecutorArgs, SchedulerArgs};
use crate::exit::ExitStatus;

#[cfg(not(feature = "ballista"))]
const NOT_BUILT: &str =
    "this waybill was built without the `ballista` feature: build it with `cargo build --release --features ballista`";

/// The case's tables on the cluster whose scheduler is `url` (`df://HOST:PORT`).
#[cfg(feature = "ballista")]
pub fn query(case: &Case, url: &str) -> Result<Query> {
    if !url.starts_with("df://") {
        anyhow::bail!("--cluster takes the scheduler as df://HOST:PORT, not {url:?}");
    }
    Ok(Query::open_cluster(case, url)?)
}

/// The case's tables on the cluster whose scheduler is `url` (`df://HOST:PORT`).
#[cfg(not(feature = "ballista"))]
pub fn query(_case: &Case, _url: &str) -> Result<Query> {
    anyhow::bail!("--cluster: {NOT_BUILT}")
}

/// Runs a scheduler until the process is stopped.
#[cfg(feature = "ballista")]
pub fn scheduler(a: &SchedulerArgs) -> Result<ExitStatus> {
    use std::sync::Arc;

    use anyhow::Context as _;
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    use ballista_scheduler::scheduler_process::start_server;

    let addr = resolve(&a.bind)?;
    let config = SchedulerConfig {
        scheduler_id: a.bind.clone(),
        bind_host: addr.ip().to_string(),
        bind_port: addr.port(),
        external_host: addr.ip().to_string(),
        ..SchedulerConfig::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let cluster = BallistaCluster::new_from_config(&config).await?;
        eprintln!("waybill cluster scheduler: listening on {addr}");
        start_server(cluster, addr, Arc::new(config)).await
    })
    .with_context(|| format!("the scheduler on {}", a.bind))?;
    Ok(ExitStatus::Success)
}

/// Runs an executor until the process is stopped.
#[cfg(feature = "ballista")]
pub fn executor(a: &ExecutorArgs) -> Result<ExitStatus> {
    use std::sync::Arc;

    use anyhow::Context as _;
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};

    let scheduler = resolve(&a.scheduler)?;
    let memory = match &a.memory {
        None => None,
        Some(m) => Some(
            waybill_store::query::parse_memory_limit(m)
                .with_context(|| format!("--memory {m:?}: give bytes, or a number with K, M or G (e.g. 2G)"))?
                as u64,
        ),
    };
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: a.bind.clone(),
        external_host: Some(a.bind.clone()),
        port: a.port,
        grpc_port: a.grpc_port,
        scheduler_host: scheduler.ip().to_string(),
        scheduler_port: scheduler.port(),
        vcores: a.tasks.unwrap_or(defaults.vcores),
        work_dir: a.work_dir.as_ref().map(|d| d.to_string_lossy().into_owned()),
        memory_pool_size: memory,
        print_thread_info: false,
        ..defaults
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    eprintln!("waybill cluster executor: {}:{} for the scheduler at {scheduler}", a.bind, a.port);
    rt.block_on(start_executor_process(Arc::new(config)))
        .with_context(|| format!("the executor on {}:{}", a.bind, a.port))?;
    Ok(ExitStatus::Success)
}

#[cfg(feature = "ballista")]
fn resolve(hostport: &str) -> Result<std::net::SocketAddr> {
    use std::net::ToSocketAddrs as _;
    hostport
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("{hostport:?}: {e}"))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{hostport:?} names no address"))
}

/// Runs a scheduler until the process is stopped.
#[cfg(not(feature = "ballista"))]
pub fn scheduler(_a: &SchedulerArgs) -> Result<ExitStatus> {
    anyhow::bail!("waybill cluster scheduler: {NOT_BUILT}")
}

/// Runs an executor until the process is stopped.
#[cfg(not(feature = "ballista"))]
pub fn executor(_a: &ExecutorArgs) -> Result<ExitStatus> {
    anyhow::bail!("waybill cluster executor: {NOT_BUILT}")
}

//! The same GenServer in every guest language: call round trip,
//! instantiate + init, restart, memory per live process, and compile time
//! cold and from the cache, for `counter`/`faulty` and their Python and
//! JavaScript ports.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use overseer::process::{Spawned, Target};
use overseer::runtime::{HostConfig, PluginVersion, Runtime};
use serde_json::{Value, json};

use crate::host::{app, node, worker};
use crate::processes::{spec, stop_all};
use crate::restart::restarts_of;
use crate::stats::{collected_rss, private_bytes, settled_rss, stats};

/// Each language's name and the suffix of its ports' names.
const LANGUAGES: &[(&str, &str)] = &[("rust", ""), ("python", "_py"), ("javascript", "_js")];

/// How many of each measurement.
#[derive(Clone)]
pub struct Sizes {
    /// Calls timed one by one.
    pub calls: usize,
    /// Processes started, each timed.
    pub starts: usize,
    /// Crashes, each timed to the replacement answering.
    pub restarts: usize,
    /// Processes alive at once for the memory figure.
    pub live: usize,
}

/// Every language whose builds are here; a missing one is reported as
/// such, not measured.
pub async fn languages(plugins: &Path, sizes: &Sizes) -> Result<Value> {
    let mut out = serde_json::Map::new();
    for (language, suffix) in LANGUAGES {
        let counter = format!("counter{suffix}");
        if !plugins.join(format!("{counter}.wasm")).is_file() {
            out.insert(
                language.to_string(),
                json!({"missing": format!("{counter}.wasm is not built")}),
            );
            continue;
        }
        eprintln!("bench: polyglot: {language} …");
        out.insert(
            language.to_string(),
            json!({
                "compile": compile_times(plugins, &counter).await?,
                "call": calls(plugins, &counter, sizes.calls).await?,
                "instantiate_and_init": starts(plugins, &counter, sizes.starts).await?,
                "restart": restarts_of(plugins, &format!("faulty{suffix}"), sizes.restarts).await?,
                "memory": memory(plugins, &counter, sizes.live).await?,
            }),
        );
    }
    Ok(Value::Object(out))
}

/// Load (compile, link, ask the vsn) with no cache, then twice through a
/// fresh cache: the first compiles and stores, the second only reads.
async fn compile_times(plugins: &Path, plugin: &str) -> Result<Value> {
    let file = plugins.join(format!("{plugin}.wasm"));
    let cold = PluginVersion::load(&runtime(None)?, &file).await?;
    let cache = tempfile::tempdir()?;
    PluginVersion::load(&runtime(Some(cache.path()))?, &file).await?;
    let cached = PluginVersion::load(&runtime(Some(cache.path()))?, &file).await?;
    Ok(json!({
        "bytes": std::fs::metadata(&file)?.len(),
        "cold_ms": ms(cold.load_time()),
        "cached_ms": ms(cached.load_time()),
    }))
}

fn runtime(cache: Option<&Path>) -> Result<Runtime> {
    Ok(Runtime::new(HostConfig {
        max_processes: 16,
        cache_dir: cache.map(Path::to_path_buf),
        ..HostConfig::default()
    })?)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// `n` calls to a counter of `plugin`, each timed.
async fn calls(plugins: &Path, plugin: &str, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = app(&node, plugins, "", &worker("counter", plugin, "")).await?;
    let server = node.lookup(&Target::Name("counter".into()))?;
    let timeout = Duration::from_secs(5);
    for _ in 0..n.min(1_000) {
        server.call(b"\"increment\"".to_vec(), timeout).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        server.call(b"\"increment\"".to_vec(), timeout).await?;
        samples.push(t.elapsed());
    }
    Ok(stats(samples))
}

/// `n` processes started straight from the build (instantiate + init),
/// each timed, one at a time.
async fn starts(plugins: &Path, plugin: &str, n: usize) -> Result<Value> {
    let node = node(n as u32 + 16)?;
    let version =
        PluginVersion::load(node.runtime(), &plugins.join(format!("{plugin}.wasm"))).await?;
    let spec = spec(version);
    let mut samples = Vec::with_capacity(n);
    let mut pids = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        match node.processes().spawn(&spec, None, Vec::new()).await? {
            Spawned::Started(pid) => pids.push(pid),
            Spawned::Ignored => return Err(anyhow!("{plugin} ignored its start")),
        }
        samples.push(t.elapsed());
    }
    stop_all(&node, &pids).await;
    Ok(stats(samples))
}

/// Memory per process with `n` alive, each called once: the RSS, and the
/// private memory (a mapped image counts once).
async fn memory(plugins: &Path, plugin: &str, n: usize) -> Result<Value> {
    let node = node(n as u32 + 16)?;
    let version =
        PluginVersion::load(node.runtime(), &plugins.join(format!("{plugin}.wasm"))).await?;
    let spec = spec(version);
    let before = (settled_rss().await?, private_bytes()?);
    let mut pids = Vec::with_capacity(n);
    for _ in 0..n {
        match node.processes().spawn(&spec, None, Vec::new()).await {
            Ok(Spawned::Started(pid)) => pids.push(pid),
            Ok(Spawned::Ignored) => return Err(anyhow!("{plugin} ignored its start")),
            Err(err) => {
                stop_all(&node, &pids).await;
                return Ok(json!({"processes": pids.len(), "stopped_by": err.to_string()}));
            }
        }
    }
    for pid in &pids {
        node.call(
            &Target::Pid(*pid),
            b"\"get\"".to_vec(),
            Duration::from_secs(5),
        )
        .await?;
    }
    let after = (collected_rss()?, private_bytes()?);
    stop_all(&node, &pids).await;
    Ok(json!({
        "processes": n,
        "rss_per_process_bytes": after.0.saturating_sub(before.0) / n as u64,
        "private_per_process_bytes": after.1.saturating_sub(before.1) / n as u64,
    }))
}

//! Hot code swap measured on real builds (BEAM: bench_hotswap, rolling,
//! no client load): the pause each process sees, the time to move every
//! process of a plugin once the build is loaded, and what loading a build
//! costs.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow};
use overseer::application::Node;
use overseer::process::{ExitReason, ProcessSpec, Spawned};
use overseer::reload::{Reloaded, Reloader, UpgradePolicy};
use overseer::runtime::{Compiled, HostConfig, Plugin, PluginVersion, Runtime};
use overseer::sandbox::Limits;
use serde_json::{Value, json};

use crate::stats::{ms, stats};

/// `sizes` processes each, upgraded `rounds` times; and a build's load.
pub async fn upgrades(plugins: &Path, sizes: &[usize], rounds: usize) -> Result<Value> {
    let v1 = plugins.join("counter.wasm");
    let v2 = plugins.join("counter_v2.wasm");
    let mut by_size = Vec::new();
    for &n in sizes {
        by_size.push(upgrade_n(&v1, &v2, n, rounds).await?);
    }
    Ok(json!({
        "by_processes": by_size,
        "load": bench_load(&v2).await?,
    }))
}

/// `n` counters, upgraded v1 → v2 → v1 … `rounds` times.
async fn upgrade_n(v1: &Path, v2: &Path, n: usize, rounds: usize) -> Result<Value> {
    let node = Node::new(Runtime::new(HostConfig {
        max_processes: n as u32 + 16,
        ..HostConfig::default()
    })?);
    let plugin = node
        .plugins()
        .register(Plugin::new(PluginVersion::load(node.runtime(), v1).await?));
    let spec = ProcessSpec {
        id: "counter".into(),
        plugin,
        args: br#"{"initial_value": 7}"#.to_vec(),
        name: None,
        via: None,
        limits: Limits::default(),
        policy: Default::default(),
        owner: None,
    };
    for _ in 0..n {
        if let Spawned::Ignored = node.processes().spawn(&spec, None, Vec::new()).await? {
            return Err(anyhow!("counter ignored its start"));
        }
    }
    let reloader = Reloader::new(
        &node,
        UpgradePolicy {
            probation: None,
            ..UpgradePolicy::default()
        },
    );
    let mut pauses = Vec::new();
    let mut totals = Vec::new();
    for round in 0..rounds {
        let file = if round % 2 == 0 { v2 } else { v1 };
        let report = match reloader.reload("counter", Some(file)).await? {
            Reloaded::Upgraded(report) => report,
            Reloaded::Unchanged { .. } => return Err(anyhow!("round {round}: no upgrade")),
        };
        if report.changed.len() != n || !report.failed.is_empty() {
            return Err(anyhow!(
                "round {round}: {} of {n} changed, failures {:?}",
                report.changed.len(),
                report.failed.first()
            ));
        }
        pauses.extend(report.changed.iter().map(|c| c.pause));
        totals.push(report.elapsed);
    }
    totals.sort();
    // Free the pool before the next section builds its own engine: live
    // processes hold their node (and its slots' mappings) alive.
    for (pid, _) in node.processes().of_plugin("counter") {
        node.kill(pid, ExitReason::Killed);
    }
    while node.live_processes() > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(json!({
        "processes": n,
        "rounds": rounds,
        "pause": stats(pauses),
        "upgrade_all_ms_median": ms(totals[totals.len() / 2]),
        "upgrade_all_ms_max": ms(totals[totals.len() - 1]),
        "per_process_us": totals[totals.len() / 2].as_secs_f64() * 1e6 / n as f64,
    }))
}

/// Loading a build: compiled from scratch, and read back from the cache.
async fn bench_load(build: &Path) -> Result<Value> {
    let cache = std::env::temp_dir().join(format!("overseer-bench-cache-{}", std::process::id()));
    let config = || HostConfig {
        max_processes: 4,
        spare_slots: 4,
        cache_dir: Some(cache.clone()),
        ..HostConfig::default()
    };
    let fresh = PluginVersion::load(&Runtime::new(config())?, build).await?;
    let cached = PluginVersion::load(&Runtime::new(config())?, build).await?;
    let _ = std::fs::remove_dir_all(&cache);
    if fresh.compiled() != Compiled::Fresh || cached.compiled() != Compiled::Cached {
        return Err(anyhow!("the compile cache did not serve the second load"));
    }
    Ok(json!({
        "build_bytes": std::fs::metadata(build)?.len(),
        "compile_ms": ms(fresh.load_time()),
        "cached_load_ms": ms(cached.load_time()),
    }))
}

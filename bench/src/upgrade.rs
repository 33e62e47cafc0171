//! Hot code swap measured on real builds (BEAM: bench_hotswap, rolling,
//! no client load): the pause each process sees, the time to move every
//! process of a plugin once the build is loaded, and what loading a build
//! costs.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow};
use overseer::application::Node;
use overseer::process::{Pid, Spawned, Target};
use overseer::reload::{Reloaded, Reloader, UpgradePolicy};
use overseer::runtime::{Compiled, HostConfig, Plugin, PluginVersion, Runtime};
use serde_json::{Value, json};

use crate::pick::Picker;
use crate::processes::{spec_of, stop_all};
use crate::stats::{ms, stats};

/// `sizes` processes each, upgraded `rounds` times; `under_calls`
/// processes upgraded once while a client calls them; and a build's load.
pub async fn upgrades(
    plugins: &Path,
    sizes: &[usize],
    rounds: usize,
    under_calls: usize,
) -> Result<Value> {
    let v1 = plugins.join("counter.wasm");
    let v2 = plugins.join("counter_v2.wasm");
    let mut by_size = Vec::new();
    for &n in sizes {
        by_size.push(upgrade_n(&v1, &v2, n, rounds).await?);
    }
    Ok(json!({
        "by_processes": by_size,
        "under_calls": upgrade_under_calls(&v1, &v2, under_calls).await?,
        "load": bench_load(&v2).await?,
    }))
}

/// `n` counters upgraded once while a client calls random ones without a
/// pause: how long the whole upgrade takes, and whether any call failed.
async fn upgrade_under_calls(v1: &Path, v2: &Path, n: usize) -> Result<Value> {
    let (node, pids, reloader) = match counters(v1, n).await? {
        Ok(host) => host,
        Err(refused) => return Ok(json!({ "processes": n, "skipped": refused })),
    };
    let done = Arc::new(AtomicBool::new(false));
    let client = {
        let (node, done, pids) = (node.clone(), done.clone(), pids.clone());
        tokio::spawn(async move {
            let (mut ok, mut failed, mut first_failure) = (0u64, 0u64, None);
            let mut picker = Picker::new(0x9e37_79b9_7f4a_7c15);
            while !done.load(Ordering::Relaxed) {
                let pid = pids[picker.below(pids.len())];
                match node
                    .call(
                        &Target::Pid(pid),
                        b"\"get\"".to_vec(),
                        Duration::from_secs(10),
                    )
                    .await
                {
                    Ok(reply) if reply == b"7" => ok += 1,
                    other => {
                        failed += 1;
                        first_failure.get_or_insert_with(|| format!("{other:?}"));
                    }
                }
            }
            (ok, failed, first_failure)
        })
    };
    let report = match reloader.reload("counter", Some(v2)).await? {
        Reloaded::Upgraded(report) => report,
        Reloaded::Unchanged { .. } => return Err(anyhow!("no upgrade")),
    };
    done.store(true, Ordering::Relaxed);
    let (ok, failed, first_failure) = client.await?;
    stop_all(&node, &pids).await;
    Ok(json!({
        "processes": n,
        "changed": report.changed.len(),
        "failed_changes": report.failed.len(),
        "upgrade_all_ms": ms(report.elapsed),
        "pause": stats(report.changed.iter().map(|c| c.pause).collect()),
        "calls_during": ok + failed,
        "calls_failed": failed,
        "first_failure": first_failure,
    }))
}

/// `n` counters, upgraded v1 → v2 → v1 … `rounds` times.
async fn upgrade_n(v1: &Path, v2: &Path, n: usize, rounds: usize) -> Result<Value> {
    let (node, pids, reloader) = counters(v1, n).await?.map_err(|refused| anyhow!(refused))?;
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
    // Free the pool before the next section builds its own engine.
    stop_all(&node, &pids).await;
    Ok(json!({
        "processes": n,
        "rounds": rounds,
        "pause": stats(pauses),
        "upgrade_all_ms_median": ms(totals[totals.len() / 2]),
        "upgrade_all_ms_max": ms(totals[totals.len() - 1]),
        "per_process_us": totals[totals.len() / 2].as_secs_f64() * 1e6 / n as f64,
    }))
}

/// A host with `n` counters of build `v1` (initial value 7), their pids,
/// and a reloader without probation; or, as `Err`, the kernel's refusal when
/// `vm.max_map_count` has no room for them.
async fn counters(v1: &Path, n: usize) -> Result<Result<(Node, Vec<Pid>, Reloader), String>> {
    let node = Node::new(Runtime::new(HostConfig {
        max_processes: n as u32 + 16,
        ..HostConfig::default()
    })?);
    if let Some(limit) = node.runtime().map_limit() {
        return Ok(Err(limit.to_string()));
    }
    let plugin = node
        .plugins()
        .register(Plugin::new(PluginVersion::load(node.runtime(), v1).await?));
    let spec = spec_of(plugin, br#"{"initial_value": 7}"#);
    let mut pids = Vec::with_capacity(n);
    for _ in 0..n {
        match node.processes().spawn(&spec, None, Vec::new()).await? {
            Spawned::Started(pid) => pids.push(pid),
            Spawned::Ignored => return Err(anyhow!("counter ignored its start")),
        }
    }
    let reloader = Reloader::new(
        &node,
        UpgradePolicy {
            probation: None,
            ..UpgradePolicy::default()
        },
    );
    Ok(Ok((node, pids, reloader)))
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

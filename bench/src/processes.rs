//! Starting processes straight from a plugin (no supervisor): the start
//! rate, and the RSS each live process costs.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use overseer::application::Node;
use overseer::process::{ExitReason, Pid, ProcessSpec, Spawned, Target};
use overseer::runtime::{Plugin, PluginVersion};
use overseer::sandbox::Limits;
use serde_json::{Value, json};

use crate::host::node;
use crate::stats::{collected_rss, settled_rss};

/// Start `n` counters, then call each once (so each holds the fiber stack
/// a live process keeps).
pub async fn start_and_memory(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(n as u32 + 16)?;
    let plugin: Arc<PluginVersion> =
        PluginVersion::load(node.runtime(), &plugins.join("counter.wasm")).await?;
    let spec = spec(plugin);
    let before = settled_rss().await?;
    let t = Instant::now();
    let mut pids = Vec::with_capacity(n);
    for _ in 0..n {
        match node.processes().spawn(&spec, None, Vec::new()).await? {
            Spawned::Started(pid) => pids.push(pid),
            Spawned::Ignored => return Err(anyhow!("counter ignored its start")),
        }
    }
    let elapsed = t.elapsed();
    for pid in &pids {
        node.call(
            &Target::Pid(*pid),
            b"\"get\"".to_vec(),
            Duration::from_secs(5),
        )
        .await?;
    }
    let after = collected_rss()?;
    let live = node.live_processes();
    stop_all(&node, &pids).await;
    Ok(json!({
        "processes": n,
        "starts_per_s": (n as f64 / elapsed.as_secs_f64()).round(),
        "start_mean_us": elapsed.as_secs_f64() * 1e6 / n as f64,
        "rss_per_process_bytes": (after.saturating_sub(before)) / n as u64,
        "live": live,
    }))
}

/// A process of `version` started with no supervisor, no name, no args.
pub fn spec(version: Arc<PluginVersion>) -> ProcessSpec {
    spec_of(Plugin::new(version), b"null")
}

/// A process of `plugin` started with no supervisor and no name, with
/// init args `args` (JSON).
pub fn spec_of(plugin: Arc<Plugin>, args: &[u8]) -> ProcessSpec {
    ProcessSpec {
        id: "counter".into(),
        plugin,
        args: args.to_vec(),
        name: None,
        via: None,
        limits: Limits::default(),
        policy: Default::default(),
        owner: None,
    }
}

/// Kill `pids` and wait until no process is left on `node`.
pub async fn stop_all(node: &Node, pids: &[Pid]) {
    for pid in pids {
        node.kill(*pid, ExitReason::Shutdown);
    }
    while node.live_processes() > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

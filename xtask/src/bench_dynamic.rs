//! `cargo xtask bench --only dynamic`: processes talking to each other,
//! DynamicSupervisor starts, registry lookups and via-name calls, pool
//! transactions.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use overseer::application::{Application, Node, parse_manifest};
use overseer::process::{ExitReason, Pid, Target};
use overseer::runtime::{HostConfig, Runtime};
use serde_json::{Value, json};

use crate::bench::stats;

/// The BEAM on this machine (../shared/peers/beam/).
pub fn beam_dynamic() -> Value {
    json!({
        "dynsup_start_child_per_s": 146000,
        "dynsup_bytes_per_child": 3000,
        "registry_lookup_us": 0.8,
        "via_name_call_us": 2.5,
        "source": "../shared/peers/beam/"
    })
}

pub async fn bench_dynamic(plugins: &Path, n: usize, children: usize) -> Result<Value> {
    Ok(json!({
        "wasm_to_wasm_call": wasm_to_wasm(plugins, n).await?,
        "registry": registry_and_via(plugins, n).await?,
        "pool": pool_transactions(plugins, n).await?,
        "dynamic_supervisor": start_children_up_to(plugins, children).await?,
    }))
}

fn node(max_processes: u32) -> Result<Node> {
    Ok(Node::new(Runtime::new(HostConfig {
        max_processes,
        ..HostConfig::default()
    })?))
}

async fn app(node: &Node, plugins: &Path, app_extra: &str, children: &str) -> Result<Application> {
    let text = format!(
        "[app]\nname = \"bench\"\nplugins = {:?}\n{app_extra}[app.upgrade]\nwatch = false\n[supervisor]\nmax_restarts = 1000\nmax_seconds = 1\n{children}",
        plugins.display().to_string()
    );
    let manifest = parse_manifest(Path::new("bench.toml"), &text)?;
    Ok(Application::start(node, &manifest).await?)
}

fn worker(id: &str, plugin: &str, extra: &str) -> String {
    format!(
        "[[supervisor.children]]\nid = \"{id}\"\nplugin = \"{plugin}.wasm\"\nname = \"{id}\"\n{extra}\n"
    )
}

/// A client calls `m`, which calls `c` and replies: the wasm → wasm leg is
/// that round trip minus a plain call to `m`.
async fn wasm_to_wasm(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = app(
        &node,
        plugins,
        "",
        &format!(
            "{}{}",
            worker("m", "messenger", ""),
            worker("c", "counter", "")
        ),
    )
    .await?;
    let m = node.lookup(&Target::Name("m".into()))?;
    let timeout = Duration::from_secs(5);
    let nested = br#"{"call": {"to": "c", "msg": "get"}}"#.to_vec();
    let echo = br#"{"echo": 1}"#.to_vec();
    for _ in 0..n / 10 {
        m.call(nested.clone(), timeout).await?;
        m.call(echo.clone(), timeout).await?;
    }
    let mut through = Vec::with_capacity(n);
    let mut direct = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        m.call(nested.clone(), timeout).await?;
        through.push(t.elapsed());
        let t = Instant::now();
        m.call(echo.clone(), timeout).await?;
        direct.push(t.elapsed());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e6
    };
    let (mut a, mut b) = (through.clone(), direct.clone());
    Ok(json!({
        "client_to_m_to_c": stats(through),
        "client_to_m": stats(direct),
        "wasm_to_wasm_median_us": median(&mut a) - median(&mut b),
    }))
}

async fn registry_and_via(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = app(
        &node,
        plugins,
        "[[app.registries]]\nname = \"r\"\nkeys = \"unique\"\n",
        &worker("c", "counter", "via = { registry = \"r\", key = \"c\" }"),
    )
    .await?;
    let registry = node.registry("r")?;
    let t = Instant::now();
    for _ in 0..n {
        if registry.lookup("c").is_empty() {
            return Err(anyhow!("the key is gone"));
        }
    }
    let lookup_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let via = Target::Via {
        registry: "r".into(),
        key: "c".into(),
    };
    let by_pid = Target::Pid(node.whereis(&via).context("c runs")?);
    let timeout = Duration::from_secs(5);
    let timed = |target: Target| {
        let node = node.clone();
        async move {
            let mut samples = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                node.call(&target, br#""get""#.to_vec(), timeout).await?;
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(stats(samples))
        }
    };
    let via_call = timed(via).await?;
    let pid_call = timed(by_pid).await?;
    Ok(json!({
        "lookup_mean_us": lookup_us,
        "via_name_call": via_call,
        "pid_call_resolved_each_time": pid_call,
    }))
}

async fn pool_transactions(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(32)?;
    let _app = app(
        &node,
        plugins,
        "[[app.pools]]\nname = \"p\"\nplugin = \"counter.wasm\"\nsize = 4\nmax_overflow = 0\n",
        "",
    )
    .await?;
    let pool = node.pool("p")?;
    let timeout = Duration::from_secs(5);
    let t = Instant::now();
    for _ in 0..n {
        pool.transaction(node.processes(), None, br#""increment""#.to_vec(), timeout)
            .await?;
    }
    let elapsed = t.elapsed();
    Ok(json!({
        "transactions": n,
        "transactions_per_s": (n as f64 / elapsed.as_secs_f64()).round(),
        "mean_us": elapsed.as_secs_f64() * 1e6 / n as f64,
    }))
}

/// [`start_children`] up to the host's cap. The pool reserves about two
/// memory mappings per slot up front and a live instance holds about three
/// more, so the kernel's `vm.max_map_count` (65,530 by default) caps a host
/// near 13,000 processes; 100,000 needs that limit raised about 8-fold.
async fn start_children_up_to(plugins: &Path, wanted: usize) -> Result<Value> {
    let n = wanted.min(HOST_CAP);
    let mut report = start_children(plugins, n).await?;
    report["asked"] = json!(wanted);
    report["host_cap"] = json!(HOST_CAP);
    report["vm_max_map_count"] = json!(
        std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    );
    Ok(report)
}

/// The host's default `max_processes`, which fits `vm.max_map_count`'s
/// default.
const HOST_CAP: usize = 10_000;

/// Start `n` counters under a DynamicSupervisor: the rate, and RSS per
/// child.
async fn start_children(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(n as u32 + 16)?;
    let app = app(
        &node,
        plugins,
        "",
        "[[supervisor.children]]\nid = \"dyn\"\ntype = \"dynamic_supervisor\"\nname = \"dyn\"\n",
    )
    .await?;
    let sup = app
        .root()
        .which_children()
        .await?
        .into_iter()
        .find_map(|c| node.supervisor(&c.pid?.into()))
        .context("the dynamic supervisor runs")?;
    let before = crate::bench::rss_bytes()?;
    let t = Instant::now();
    let mut pids: Vec<Pid> = Vec::with_capacity(n);
    let mut failed = None;
    for i in 0..n {
        match node
            .start_child(&Target::Pid(sup.pid()), br#"{"plugin": "counter"}"#)
            .await
        {
            Ok(Some(pid)) => pids.push(pid),
            Ok(None) => failed = Some(anyhow!("a counter ignored its start")),
            Err(err) => failed = Some(anyhow!("child {i}: {err}")),
        }
        if failed.is_some() {
            break;
        }
    }
    if let Some(err) = failed {
        // Free this host's mappings before a smaller try.
        app.stop().await;
        while node.live_processes() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        return Err(err);
    }
    let elapsed = t.elapsed();
    let after = crate::bench::rss_bytes()?;
    let count = sup.count_children().await?;
    for pid in &pids {
        node.kill(*pid, ExitReason::Shutdown);
    }
    app.stop().await;
    Ok(json!({
        "children": n,
        "active": count.active,
        "starts_per_s": (n as f64 / elapsed.as_secs_f64()).round(),
        "rss_per_child_bytes": after.saturating_sub(before) / n as u64,
    }))
}

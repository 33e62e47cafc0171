//! `cargo xtask bench`: the hot paths measured on real plugins, as JSON,
//! beside the BEAM's figures on this machine (../shared/peers/beam/).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use overseer::application::{Application, Node, parse_manifest};
use overseer::process::{Event, ProcessSpec, Spawned, Target};
use overseer::runtime::{HostConfig, Plugin, PluginVersion, Runtime};
use overseer::sandbox::Limits;
use serde_json::{Value, json};

/// The BEAM's figures from ../shared/peers/beam/results.json (OTP 25,
/// same machine), for side-by-side reading.
fn beam() -> Value {
    json!({
        "call_round_trip_median_us": 1.22,
        "call_round_trip_p99_us": 2.29,
        "calls_per_s_one_client": 680000,
        "supervisor_restart_median_us": 89.9,
        "supervisor_restart_p99_us": 448.9,
        "restarts_per_s": 9947,
        "dynsup_start_child_per_s": 134977,
        "memory_per_process_bytes": 2768,
        "source": "../shared/peers/beam/results.json"
    })
}

pub fn run(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    // `--only call|cast|restart|upgrade|dynamic|processes`: one section, e.g. under perf.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Clients run in a task on the runtime's workers, as processes do, not
    // on the thread blocked in `block_on`: otherwise every reply costs a
    // cross-thread wake-up that no process-to-process call pays.
    let report = rt.block_on(async move { tokio::spawn(async move {
        let plugins = super::root().join("target/wasm32-wasip2/release");
        let n = if quick { 10_000 } else { 100_000 };
        let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
        let call = if wanted("call") { bench_call(&plugins, n).await? } else { Value::Null };
        let cast = if wanted("cast") { bench_cast(&plugins, n * 10).await? } else { Value::Null };
        let restart = if wanted("restart") {
            bench_restart(&plugins, if quick { 500 } else { 5_000 }).await?
        } else {
            Value::Null
        };
        let upgrade = if wanted("upgrade") {
            let sizes: &[usize] = if quick { &[1_000] } else { &[1_000, 10_000] };
            super::bench_upgrade::bench_upgrade(&plugins, sizes, if quick { 4 } else { 10 }).await?
        } else {
            Value::Null
        };
        let dynamic = if wanted("dynamic") {
            let children = if quick { 10_000 } else { 100_000 };
            super::bench_dynamic::bench_dynamic(&plugins, n / 10, children).await?
        } else {
            Value::Null
        };
        let start = if wanted("processes") {
            bench_start_and_memory(&plugins, if quick { 2_000 } else { 10_000 }).await?
        } else {
            Value::Null
        };
        Ok::<_, anyhow::Error>(json!({
            "overseer": { "call": call, "cast": cast, "restart": restart, "upgrade": upgrade, "dynamic": dynamic, "processes": start },
            "beam": beam(),
            "beam_hotswap": super::bench_upgrade::beam_hotswap(),
            "beam_dynamic": super::bench_dynamic::beam_dynamic(),
            "machine": { "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        }))
    }).await })??;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn node(max_processes: u32) -> Result<Node> {
    let config = HostConfig {
        max_processes,
        ..HostConfig::default()
    };
    Ok(Node::new(Runtime::new(config)?))
}

async fn start_app(node: &Node, plugins: &Path, children: &str) -> Result<Application> {
    let text = format!(
        "[app]\nname = \"bench\"\nplugins = {:?}\n[supervisor]\nmax_restarts = 1000000000\nmax_seconds = 1\n{children}",
        plugins.display().to_string()
    );
    let manifest = parse_manifest(Path::new("bench.toml"), &text)?;
    Ok(Application::start(node, &manifest).await?)
}

pub(crate) fn stats(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let pick = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_nanos() as f64 / 1000.0
    };
    json!({
        "n": samples.len(),
        "median_us": pick(0.5),
        "p90_us": pick(0.9),
        "p99_us": pick(0.99),
        "max_us": pick(1.0),
    })
}

async fn bench_call(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = start_app(&node, plugins, "[[supervisor.children]]\nid = \"counter\"\nplugin = \"counter.wasm\"\nname = \"counter\"\n").await?;
    let server = node.lookup(&Target::Name("counter".into()))?;
    let timeout = Duration::from_secs(5);
    for _ in 0..10_000 {
        server.call(b"\"increment\"".to_vec(), timeout).await?;
    }
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        server.call(b"\"increment\"".to_vec(), timeout).await?;
        samples.push(t.elapsed());
    }
    let calls_per_s = n as f64 / all.elapsed().as_secs_f64();
    // The same through the name lookup each time (what the CLI path does).
    let by_name = Instant::now();
    let target = Target::Name("counter".into());
    for _ in 0..n / 10 {
        node.call(&target, b"\"get\"".to_vec(), timeout).await?;
    }
    let by_name_us = by_name.elapsed().as_secs_f64() * 1e6 / (n / 10) as f64;
    Ok(json!({
        "round_trip": stats(samples),
        "calls_per_s_one_client": calls_per_s.round(),
        "by_name_mean_us": by_name_us,
    }))
}

async fn bench_cast(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = start_app(&node, plugins, "[[supervisor.children]]\nid = \"counter\"\nplugin = \"counter.wasm\"\nname = \"counter\"\n").await?;
    let server = node.lookup(&Target::Name("counter".into()))?;
    let t = Instant::now();
    for _ in 0..n {
        server.cast(b"\"increment\"".to_vec())?;
    }
    let sent = t.elapsed();
    let value = server
        .call(b"\"get\"".to_vec(), Duration::from_secs(120))
        .await?;
    let all = t.elapsed();
    let count: u64 = serde_json::from_slice(&value)?;
    Ok(json!({
        "casts": n,
        "casts_per_s": (n as f64 / all.as_secs_f64()).round(),
        "sender_side_casts_per_s": (n as f64 / sent.as_secs_f64()).round(),
        "count_check_ok": count == n as u64,
    }))
}

async fn bench_restart(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = start_app(
        &node,
        plugins,
        "[[supervisor.children]]\nid = \"faulty\"\nplugin = \"faulty.wasm\"\nname = \"faulty\"\n",
    )
    .await?;
    let mut events = node.events().subscribe();
    let target = Target::Name("faulty".into());
    let timeout = Duration::from_secs(5);
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let server = node.lookup(&target)?;
        let t = Instant::now();
        let _ = server.call(br#"{"crash":"trap"}"#.to_vec(), timeout).await;
        let new_pid = loop {
            match &*events.recv().await? {
                Event::ChildRestarted {
                    new_pid: Some(pid), ..
                } => break *pid,
                _ => continue,
            }
        };
        let reply = node
            .call(&Target::Pid(new_pid), b"\"ping\"".to_vec(), timeout)
            .await?;
        samples.push(t.elapsed());
        if reply != b"\"pong\"" {
            return Err(anyhow!("the replacement answered {reply:?}"));
        }
    }
    let restarts_per_s = n as f64 / all.elapsed().as_secs_f64();
    Ok(json!({
        "trap_to_replacement_answering": stats(samples),
        "restarts_per_s": restarts_per_s.round(),
    }))
}

pub(crate) fn rss_bytes() -> Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("reading /proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("bad statm"))?
        .parse()?;
    Ok(pages * 4096)
}

async fn bench_start_and_memory(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(n as u32 + 16)?;
    let plugin: Arc<PluginVersion> =
        PluginVersion::load(node.runtime(), &plugins.join("counter.wasm")).await?;
    let spec = ProcessSpec {
        id: "counter".into(),
        plugin: Plugin::new(plugin),
        args: b"null".to_vec(),
        name: None,
        via: None,
        limits: Limits::default(),
    };
    // Warm up, and leave nothing behind.
    let before = rss_bytes()?;
    let t = Instant::now();
    let mut pids = Vec::with_capacity(n);
    for _ in 0..n {
        match node.processes().spawn(&spec, None, Vec::new()).await? {
            Spawned::Started(pid) => pids.push(pid),
            Spawned::Ignored => return Err(anyhow!("counter ignored its start")),
        }
    }
    let elapsed = t.elapsed();
    // Every process answers once, so each has run a callback (and holds the
    // fiber stack a live process keeps).
    for pid in &pids {
        node.call(
            &Target::Pid(*pid),
            b"\"get\"".to_vec(),
            Duration::from_secs(5),
        )
        .await?;
    }
    let after = rss_bytes()?;
    Ok(json!({
        "processes": n,
        "starts_per_s": (n as f64 / elapsed.as_secs_f64()).round(),
        "start_mean_us": elapsed.as_secs_f64() * 1e6 / n as f64,
        "rss_per_process_bytes": (after.saturating_sub(before)) / n as u64,
        "live": node.live_processes(),
    }))
}

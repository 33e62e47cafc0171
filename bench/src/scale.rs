//! The scale curve: one host grown to 1 k, 10 k, 100 k and 250 k live
//! processes under a DynamicSupervisor, and at each size what a start, a
//! call and a restart cost, how much RSS each process holds, how much CPU
//! the idle population burns, and how long a bounded `tree` and a page of
//! `which_children` take. Costs should stay flat as the population grows.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use overseer::control::api::DEFAULT_CHILDREN_LIMIT;
use overseer::process::{Pid, Target};
use overseer::runtime::capacity;
use overseer::supervisor::{Page, TreeLimits};
use serde_json::{Value, json};

use crate::host::{app, node};
use crate::pick::Picker;
use crate::restart::replacement;
use crate::stats::{collected_rss, ms, rss_bytes, settled_rss, stats};

/// Calls and restarts timed at each size.
const CALLS: usize = 2_000;
const RESTARTS: usize = 200;

/// Grow one host through `sizes` (ascending) live processes.
pub async fn curve(plugins: &Path, sizes: &[usize]) -> Result<Value> {
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let node = node(largest as u32 + 16)?;
    let cap = node.runtime().config().max_processes as usize;
    let app = app(
        &node,
        plugins,
        "",
        "[[supervisor.children]]\nid = \"dyn\"\ntype = \"dynamic_supervisor\"\nname = \"dyn\"\nmax_restarts = 1000000000\nmax_seconds = 1\n",
    )
    .await?;
    // Compiled before the clock starts.
    node.load_plugin(&plugins.join("faulty.wasm")).await?;
    let sup_target = Target::Name("dyn".into());
    let sup = node.supervisor(&sup_target).context("dyn runs")?;
    let base_rss = settled_rss().await?;
    let mut pids: Vec<Pid> = Vec::with_capacity(largest);
    let mut points = Vec::new();
    let mut picker = Picker::new(0x2545_f491_4f6c_dd1d);
    let mut rss_per_process: u64 = 0;
    for &size in sizes {
        // Growing past the machine's memory would end in the OOM killer,
        // not in a figure: skip a size the last one says will not fit.
        let needed = rss_per_process.saturating_mul(size as u64);
        let available = mem_available()?;
        if needed > available {
            points.push(json!({
                "processes": size,
                "skipped": format!(
                    "needs about {} MB at {} bytes a process; {} MB available",
                    needed >> 20,
                    rss_per_process,
                    available >> 20
                ),
            }));
            continue;
        }
        if size + 16 > cap {
            points.push(json!({
                "processes": size,
                "skipped": node.runtime().map_limit().map_or_else(
                    || format!("the host's cap is {cap}"),
                    |limit| limit.to_string(),
                ),
            }));
            continue;
        }
        let grown = size - pids.len();
        let t = Instant::now();
        while pids.len() < size {
            match node
                .start_child(&sup_target, br#"{"plugin": "faulty"}"#, None)
                .await
            {
                Ok(Some(pid)) => pids.push(pid),
                Ok(None) => return Err(anyhow!("faulty ignored its start")),
                Err(err) => return Err(anyhow!("child {}: {err}", pids.len())),
            }
        }
        let start_us = t.elapsed().as_secs_f64() * 1e6 / grown.max(1) as f64;
        let timeout = Duration::from_secs(10);
        // Every process has answered once, so each holds what a live
        // process keeps (its fiber stack among them).
        for pid in &pids {
            node.call(&Target::Pid(*pid), b"\"ping\"".to_vec(), timeout)
                .await?;
        }
        let rss = collected_rss()?.saturating_sub(base_rss);
        rss_per_process = rss / size as u64;
        let mut calls = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let pid = pids[picker.below(pids.len())];
            let t = Instant::now();
            node.call(&Target::Pid(pid), b"\"ping\"".to_vec(), timeout)
                .await?;
            calls.push(t.elapsed());
        }
        let idle_cpu = idle_cpu_percent(Duration::from_secs(2)).await?;
        // Subscribed now: starting thousands of children would overrun an
        // older subscription.
        let mut events = node.events().subscribe();
        let mut restarts = Vec::with_capacity(RESTARTS);
        for _ in 0..RESTARTS {
            let at = picker.below(pids.len());
            let t = Instant::now();
            let _ = node
                .call(
                    &Target::Pid(pids[at]),
                    br#"{"crash":"trap"}"#.to_vec(),
                    timeout,
                )
                .await;
            let new_pid = replacement(&mut events).await?;
            node.call(&Target::Pid(new_pid), b"\"ping\"".to_vec(), timeout)
                .await?;
            restarts.push(t.elapsed());
            pids[at] = new_pid;
        }
        let t = Instant::now();
        let tree = node
            .supervision()
            .tree_within(
                app.root(),
                TreeLimits {
                    depth: None,
                    children: DEFAULT_CHILDREN_LIMIT,
                },
            )
            .await?;
        let tree_ms = ms(t.elapsed());
        let tree_bytes = serde_json::to_vec(&tree)?.len();
        let t = Instant::now();
        let page = sup
            .which_children_page(Page {
                offset: 0,
                limit: DEFAULT_CHILDREN_LIMIT,
            })
            .await?;
        let page_ms = ms(t.elapsed());
        points.push(json!({
            "processes": size,
            "live": node.live_processes(),
            "start_mean_us": start_us,
            "rss_per_process_bytes": rss / size as u64,
            "call": stats(calls),
            "restart": stats(restarts),
            "idle_cpu_percent": idle_cpu,
            "tree_default_ms": tree_ms,
            "tree_default_bytes": tree_bytes,
            "which_children_page_ms": page_ms,
            "which_children_total": page.total,
        }));
    }
    // Stopping the application stops the supervisor's children; killing
    // them first would only have them restarted.
    app.stop().await;
    Ok(json!({
        "vm_max_map_count": capacity::max_map_count(),
        "host_cap": cap,
        "points": points,
    }))
}

/// `MemAvailable` from `/proc/meminfo`, in bytes, plus what this process
/// holds already (it is growing, not starting over).
fn mem_available() -> Result<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    let kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .context("no MemAvailable in /proc/meminfo")?;
    Ok(kib * 1024 + rss_bytes()?)
}

/// The CPU this process used over `period` of doing nothing, as a
/// percentage of one core.
async fn idle_cpu_percent(period: Duration) -> Result<f64> {
    let before = cpu_ticks()?;
    let t = Instant::now();
    tokio::time::sleep(period).await;
    let used = cpu_ticks()?.saturating_sub(before);
    // Clock ticks are 1/100 s on Linux.
    Ok(used as f64 / 100.0 / t.elapsed().as_secs_f64() * 100.0)
}

/// utime + stime of this process, in clock ticks.
fn cpu_ticks() -> Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // The fields after the command name (which may hold spaces).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("bad /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after ')'.
    let tick = |i: usize| -> Result<u64> {
        Ok(fields
            .get(i)
            .context("short /proc/self/stat")?
            .parse::<u64>()?)
    };
    Ok(tick(11)? + tick(12)?)
}

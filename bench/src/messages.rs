//! Calls and casts from one client to one GenServer (BEAM: bench_call,
//! bench_cast, 1 client → 1 server).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use overseer::metrics::Metrics;
use overseer::process::Target;
use serde_json::{Value, json};

use crate::host::{app, node, worker};
use crate::stats::stats;

/// `n` calls, each timed; the throughput of the whole run; and the same
/// through the name each time.
pub async fn calls(plugins: &Path, n: usize) -> Result<Value> {
    calls_with(plugins, n, false).await
}

/// [`calls`], with the host's metrics on (`overseer run --metrics`) or off.
pub async fn calls_with(plugins: &Path, n: usize, metrics: bool) -> Result<Value> {
    let node = node(16)?;
    let _metrics = metrics.then(|| Metrics::start(&node));
    let _app = app(&node, plugins, "", &worker("counter", "counter", "")).await?;
    let server = node.lookup(&Target::Name("counter".into()))?;
    let timeout = Duration::from_secs(5);
    for _ in 0..n.min(10_000) {
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
    let target = Target::Name("counter".into());
    let mut by_name = Vec::with_capacity(n / 10);
    for _ in 0..n / 10 {
        let t = Instant::now();
        node.call(&target, b"\"get\"".to_vec(), timeout).await?;
        by_name.push(t.elapsed());
    }
    Ok(json!({
        "calls": n,
        "round_trip": stats(samples),
        "calls_per_s_one_client": calls_per_s.round(),
        "by_name": stats(by_name),
    }))
}

/// `n` casts, then a call that answers once all are handled; the count is
/// checked.
pub async fn casts(plugins: &Path, n: usize) -> Result<Value> {
    casts_with(plugins, n, false).await
}

/// [`casts`], with the host's metrics on or off.
pub async fn casts_with(plugins: &Path, n: usize, metrics: bool) -> Result<Value> {
    let node = node(16)?;
    let _metrics = metrics.then(|| Metrics::start(&node));
    // Every cast is queued before the first is handled: the counter's
    // mailbox quota (10,000 by default) is raised to hold them all, as an
    // operator would for a plugin that takes bursts.
    let quota = format!("[plugin.counter.quotas]\nmailbox_len = {}\n", n + 1);
    let children = worker("counter", "counter", "") + &quota;
    let _app = app(&node, plugins, "", &children).await?;
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
    // How many guest entries the casts took (one per batch of casts).
    let batches = node
        .processes()
        .details(server.pid())
        .map_or(0, |d| d.activity.cast_batches);
    Ok(json!({
        "casts": n,
        "casts_per_s": (n as f64 / all.as_secs_f64()).round(),
        "sender_side_casts_per_s": (n as f64 / sent.as_secs_f64()).round(),
        "count_check_ok": count == n as u64,
        "batches": batches,
    }))
}

/// Calls and casts with metrics off and on, `rounds` times each, in turn
/// (the machine's drift falls on both alike); the median of the rounds,
/// and on/off ratios. Metrics must cost the hot path under 5 %.
pub async fn metrics_cost(
    plugins: &Path,
    calls: usize,
    casts: usize,
    rounds: usize,
) -> Result<Value> {
    let mut medians = [Vec::new(), Vec::new()];
    let mut p99s = [Vec::new(), Vec::new()];
    let mut calls_per_s = [Vec::new(), Vec::new()];
    let mut casts_per_s = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (i, on) in [false, true].into_iter().enumerate() {
            let call = calls_with(plugins, calls, on).await?;
            medians[i].push(call["round_trip"]["median_us"].as_f64().unwrap_or(f64::NAN));
            p99s[i].push(call["round_trip"]["p99_us"].as_f64().unwrap_or(f64::NAN));
            calls_per_s[i].push(call["calls_per_s_one_client"].as_f64().unwrap_or(f64::NAN));
            let cast = casts_with(plugins, casts, on).await?;
            casts_per_s[i].push(cast["casts_per_s"].as_f64().unwrap_or(f64::NAN));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let mut side = |i: usize| {
        json!({
            "call_median_us": median(&mut medians[i]),
            "call_p99_us": median(&mut p99s[i]),
            "calls_per_s": median(&mut calls_per_s[i]),
            "casts_per_s": median(&mut casts_per_s[i]),
        })
    };
    let off = side(0);
    let on = side(1);
    let ratio = |key: &str| {
        let (a, b) = (
            on[key].as_f64().unwrap_or(f64::NAN),
            off[key].as_f64().unwrap_or(f64::NAN),
        );
        ((a / b) * 1000.0).round() / 1000.0
    };
    Ok(json!({
        "rounds": rounds,
        "off": off,
        "on": on,
        "on_to_off": {
            "call_median": ratio("call_median_us"),
            "calls_per_s": ratio("calls_per_s"),
            "casts_per_s": ratio("casts_per_s"),
        },
    }))
}

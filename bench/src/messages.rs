//! Calls and casts from one client to one GenServer (BEAM: bench_call,
//! bench_cast, 1 client → 1 server).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use overseer::process::Target;
use serde_json::{Value, json};

use crate::host::{app, node, worker};
use crate::stats::stats;

/// `n` calls, each timed; the throughput of the whole run; and the same
/// through the name each time.
pub async fn calls(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
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
    let node = node(16)?;
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
    Ok(json!({
        "casts": n,
        "casts_per_s": (n as f64 / all.as_secs_f64()).round(),
        "sender_side_casts_per_s": (n as f64 / sent.as_secs_f64()).round(),
        "count_check_ok": count == n as u64,
    }))
}

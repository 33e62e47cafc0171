//! A crash in a call, to the replacement answering (BEAM: bench_restart,
//! `call_raise`, one supervisor with room for a billion restarts a second).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use overseer::process::{Event, Pid, Target};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::host::{app, node, worker};
use crate::stats::stats;

/// `n` crashes of a permanent worker, each timed from the crashing call to
/// the replacement's first answer: wasm traps (`unreachable`), then, under
/// `after_a_panic`, Rust panics.
pub async fn restarts(plugins: &Path, n: usize) -> Result<Value> {
    let mut trapped = restarts_of(plugins, "faulty", n).await?;
    // The BEAM's worker raises; a Rust guest's counterpart is a panic.
    let panicked = restarts_after(plugins, "faulty", "panic", n).await?;
    trapped["after_a_panic"] = panicked;
    Ok(trapped)
}

/// The pid of the next child a supervisor restarts, from `events`.
pub async fn replacement(events: &mut broadcast::Receiver<Arc<Event>>) -> Result<Pid> {
    loop {
        if let Event::ChildRestarted {
            new_pid: Some(pid), ..
        } = &*events.recv().await?
        {
            return Ok(*pid);
        }
    }
}

/// As [`restarts`], for `plugin`, a port of `faulty` to any language.
pub async fn restarts_of(plugins: &Path, plugin: &str, n: usize) -> Result<Value> {
    restarts_after(plugins, plugin, "trap", n).await
}

/// `n` crashes of kind `crash` (one of `faulty`'s), each timed to the
/// replacement answering.
async fn restarts_after(plugins: &Path, plugin: &str, crash: &str, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = app(&node, plugins, "", &worker("faulty", plugin, "")).await?;
    let mut events = node.events().subscribe();
    let target = Target::Name("faulty".into());
    let timeout = Duration::from_secs(5);
    let request = serde_json::to_vec(&json!({ "crash": crash }))?;
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let server = node.lookup(&target)?;
        let t = Instant::now();
        let _ = server.call(request.clone(), timeout).await;
        let new_pid = replacement(&mut events).await?;
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
        "restarts": n,
        "crash": crash,
        "trap_to_replacement_answering": stats(samples),
        "restarts_per_s": restarts_per_s.round(),
    }))
}

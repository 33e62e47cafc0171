//! OTP's dynamic parts: a wasm process calling another, registry lookups
//! and calls by via name, pool transactions, and DynamicSupervisor starts.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use overseer::process::Target;
use serde_json::{Value, json};

use crate::host::{app, node, worker};
use crate::stats::{collected_rss, settled_rss, stats};

/// A client calls `m`, which calls `c` and replies: the wasm → wasm leg is
/// that round trip minus a plain call to `m` (medians). `m` is granted
/// `c` (without the grant every call would be a refusal, and the figure
/// that of the refusal), and every reply is checked.
pub async fn wasm_to_wasm(plugins: &Path, n: usize) -> Result<Value> {
    let node = node(16)?;
    let children = format!(
        "{}{}[plugin.messenger]\nmessage = [\"c\"]\n",
        worker("m", "messenger", ""),
        worker("c", "counter", "")
    );
    let _app = app(&node, plugins, "", &children).await?;
    let m = node.lookup(&Target::Name("m".into()))?;
    let timeout = Duration::from_secs(5);
    let m = &m;
    nested_against_direct(n, move |request| async move {
        Ok(m.call(request, timeout).await?)
    })
    .await
}

/// The wasm → wasm leg through `call_m`, whatever carries a request to
/// `m` (a messenger granted `c`, a counter): `n` calls that `m` passes on
/// to `c` and `n` it answers itself, in turn, after `n / 10` of each to
/// warm up, every reply checked; the leg is the difference of the
/// medians. Overseer's section and the floor measure it the same way.
pub async fn nested_against_direct<F, Fut>(n: usize, mut call_m: F) -> Result<Value>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<Vec<u8>>>,
{
    let nested = br#"{"call": {"to": "c", "msg": "get"}}"#;
    let echo = br#"{"echo": 1}"#;
    // The counter starts at 0 and `get` does not change it.
    let (nested_reply, echo_reply): (&[u8], &[u8]) = (br#"{"ok":0}"#, b"1");
    let answered = |reply: &[u8], expected: &[u8]| {
        if reply == expected {
            Ok(())
        } else {
            Err(anyhow!(
                "m answered {} where {} was expected",
                String::from_utf8_lossy(reply),
                String::from_utf8_lossy(expected)
            ))
        }
    };
    for _ in 0..n / 10 {
        answered(&call_m(nested.to_vec()).await?, nested_reply)?;
        answered(&call_m(echo.to_vec()).await?, echo_reply)?;
    }
    let mut through = Vec::with_capacity(n);
    let mut direct = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let reply = call_m(nested.to_vec()).await?;
        through.push(t.elapsed());
        answered(&reply, nested_reply)?;
        let t = Instant::now();
        let reply = call_m(echo.to_vec()).await?;
        direct.push(t.elapsed());
        answered(&reply, echo_reply)?;
    }
    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e6
    };
    Ok(json!({
        "client_to_m_to_c": stats(through.clone()),
        "client_to_m": stats(direct.clone()),
        "wasm_to_wasm_median_us": median(&through) - median(&direct),
    }))
}

/// `keys` unique keys held by one process, each looked up once and timed;
/// then calls through a via name and by pid, `n` each.
pub async fn registry(plugins: &Path, keys: usize, n: usize) -> Result<Value> {
    let node = node(16)?;
    let _app = app(
        &node,
        plugins,
        "[[app.registries]]\nname = \"r\"\nkeys = \"unique\"\n",
        &worker("c", "counter", "via = { registry = \"r\", key = \"c\" }"),
    )
    .await?;
    let via = Target::Via {
        registry: "r".into(),
        key: "c".into(),
    };
    let holder = node.whereis(&via).context("c runs")?;
    let names: Vec<String> = (0..keys).map(|i| format!("key-{i}")).collect();
    let t = Instant::now();
    for key in &names {
        node.naming().register("r", key, holder, b"null".to_vec())?;
    }
    let register_per_s = keys as f64 / t.elapsed().as_secs_f64();
    let registry = node.registry("r")?;
    let mut lookups = Vec::with_capacity(keys);
    for key in &names {
        let t = Instant::now();
        let found = registry.lookup(key);
        lookups.push(t.elapsed());
        if found.is_empty() {
            return Err(anyhow!("{key} is gone"));
        }
    }
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
    Ok(json!({
        "keys": keys,
        "register_per_s": register_per_s.round(),
        "lookup": stats(lookups),
        "via_name_call": timed(via).await?,
        "pid_call_resolved_each_time": timed(Target::Pid(holder)).await?,
    }))
}

/// `n` transactions on a pool of 4 (checkout, call, checkin).
pub async fn pool(plugins: &Path, n: usize) -> Result<Value> {
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

/// The host's default `max_processes`, which fits `vm.max_map_count`'s
/// default: the pool reserves about two memory mappings per slot up front
/// and a live instance holds about three more, so 65,530 mappings cap a
/// host near 13,000 processes.
pub const HOST_CAP: usize = 10_000;

/// `n` counters (at most [`HOST_CAP`]) started one by one under a
/// DynamicSupervisor from JSON specs: the rate, and RSS per child.
pub async fn start_children(plugins: &Path, wanted: usize) -> Result<Value> {
    let n = wanted.min(HOST_CAP);
    let node = node(n as u32 + 16)?;
    let app = app(
        &node,
        plugins,
        "",
        "[[supervisor.children]]\nid = \"dyn\"\ntype = \"dynamic_supervisor\"\nname = \"dyn\"\n",
    )
    .await?;
    let sup = Target::Name("dyn".into());
    let before = settled_rss().await?;
    let t = Instant::now();
    for i in 0..n {
        match node
            .start_child(&sup, br#"{"plugin": "counter"}"#, None)
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => return Err(anyhow!("a counter ignored its start")),
            Err(err) => return Err(anyhow!("child {i}: {err}")),
        }
    }
    let elapsed = t.elapsed();
    let after = collected_rss()?;
    let count = node
        .supervisor(&sup)
        .context("dyn runs")?
        .count_children()
        .await?;
    // The whole tree stops with every child alive: the DynamicSupervisor
    // signals all of them, then waits for every exit.
    let t = Instant::now();
    app.stop().await;
    let stop = t.elapsed();
    Ok(json!({
        "asked": wanted,
        "children": n,
        "host_cap": HOST_CAP,
        "vm_max_map_count": std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        "active": count.active,
        "starts_per_s": (n as f64 / elapsed.as_secs_f64()).round(),
        "rss_per_child_bytes": after.saturating_sub(before) / n as u64,
        "stop_all_ms": stop.as_secs_f64() * 1e3,
    }))
}

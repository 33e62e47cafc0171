//! What wasmtime alone costs on this machine, with the same plugin builds:
//! the floor under Overseer's start, memory, restart, call, wasm → wasm
//! and hot-swap figures. Where this floor already misses a target beside
//! the BEAM, Overseer cannot meet it on wasmtime with these builds: all it
//! adds comes on top.
//!
//! Each instance is a bare `Store` on wasmtime's pooling allocator, set up
//! as a careful embedder would for many small instances (async calls,
//! epoch interruption, no copy-on-write image, slots reset in place, no
//! backtraces), with WASI from wasmtime-wasi, `log` writing nowhere, `call`
//! reaching the one other instance a store is given, and the plugin's
//! other Overseer imports defined as traps (a counter's init and calls
//! make none; a panic in `faulty` ends in one, as it ends in the
//! `panicked` import under Overseer). Left out, and what Overseer adds on
//! top: the process table, mailbox quotas, supervisors, links and
//! monitors, events, crash reports, per-callback CPU deadlines, the memory
//! limiter, grants, and zeroing freed fiber stacks.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use overseer::runtime::LogLevel;
use overseer::runtime::bindings::types::{
    CallError as GuestCallError, CallResult, Caller, InitResult, Target as GuestTarget, Timeout,
    VsnChange,
};
use overseer::runtime::bindings::{GenServer, GenServerPre};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::dynamic::nested_against_direct;
use crate::stats::{collected_rss, ms, settled_rss, stats};

/// The sizes of one floor run.
#[derive(Clone)]
pub struct Sizes {
    /// Instances started and kept (as the processes section's processes).
    pub starts: usize,
    /// Crashes, each followed by a fresh instance answering.
    pub restarts: usize,
    /// Calls through a mailbox to one instance.
    pub calls: usize,
    /// Instances moved to another build (one lane per worker).
    pub swaps: usize,
    /// Calls from one instance to another, and as many plain ones.
    pub wasm_calls: usize,
}

/// The floor of starts and memory, a hot-swap round, restarts, calls and
/// a call from one instance to another.
pub async fn floors(plugins: &Path, sizes: &Sizes) -> Result<Value> {
    let slots = sizes.starts.max(sizes.swaps) as u32 + 16;
    let engine = engine(slots)?;
    let counter = Bare::load(&engine, &plugins.join("counter.wasm"))?;
    let counter_v2 = Arc::new(Bare::load(&engine, &plugins.join("counter_v2.wasm"))?);
    let faulty = Bare::load(&engine, &plugins.join("faulty.wasm"))?;
    let messenger = Bare::load(&engine, &plugins.join("messenger.wasm"))?;
    Ok(json!({
        "starts": starts(&counter, sizes.starts).await?,
        "swap": swaps(&counter, &counter_v2, sizes.swaps).await?,
        "restart": restarts(&faulty, "trap", sizes.restarts).await?,
        "restart_after_a_panic": restarts(&faulty, "panic", sizes.restarts).await?,
        "call": calls(&counter, sizes.calls).await?,
        "wasm_to_wasm": wasm_to_wasm(&messenger, &counter, sizes.wasm_calls).await?,
    }))
}

/// A pool of `slots` instance slots, as Overseer's own pool is sized per
/// process (a Rust component uses 3 core instances, 1 memory, 2 tables).
fn engine(slots: u32) -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots * 4)
        .total_memories(slots)
        .total_tables(slots * 2)
        .total_stacks(slots)
        .max_memory_size(64 << 20)
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10);
    let mut config = Config::new();
    // A crash here needs no report: no backtrace, no address map.
    config
        .wasm_backtrace_max_frames(None)
        .generate_address_map(false)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .memory_init_cow(false)
        .memory_reservation(64 << 20);
    Engine::new(&config).map_err(|err| anyhow!("building the floor's engine: {err:#}"))
}

/// wasmtime's error as anyhow's.
fn wt<T>(result: wasmtime::Result<T>) -> Result<T> {
    result.map_err(|err| anyhow!("{err:#}"))
}

/// What a bare store holds: WASI, and the mailbox its `call` import
/// reaches (the only callee there is).
struct BareData {
    wasi: WasiCtx,
    table: ResourceTable,
    peer: Option<Mailbox>,
}

impl WasiView for BareData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A plugin build ready to instantiate on a bare store.
struct Bare {
    engine: Engine,
    pre: GenServerPre<BareData>,
}

/// A live bare instance.
struct Live {
    store: Store<BareData>,
    guest: GenServer,
}

impl Bare {
    fn load(engine: &Engine, path: &Path) -> Result<Bare> {
        let component = wt(Component::from_file(engine, path))
            .with_context(|| format!("compiling {}", path.display()))?;
        let mut linker: Linker<BareData> = Linker::new(engine);
        wt(wasmtime_wasi::p2::add_to_linker_async(&mut linker))?;
        // A log line (counter_v2 logs its code change) goes nowhere; a
        // call goes to the store's peer, whatever the target.
        let mut host = wt(linker.instance("overseer:plugin/host@0.1.0"))?;
        wt(host.func_wrap("log", |_, (_, _): (LogLevel, String)| Ok(())))?;
        wt(host.func_wrap_async(
            "call",
            |store, (_, request, _): (GuestTarget, Vec<u8>, Timeout)| {
                let peer = store.data().peer.clone();
                Box::new(async move {
                    let reply = match peer {
                        Some(peer) => call_through(&peer, &request)
                            .await
                            .map_err(|_| GuestCallError::Noproc),
                        None => Err(GuestCallError::Noproc),
                    };
                    Ok((reply,))
                })
            },
        ))?;
        wt(linker.define_unknown_imports_as_traps(&component))?;
        let pre = wt(GenServerPre::new(wt(linker.instantiate_pre(&component))?))?;
        Ok(Bare {
            engine: engine.clone(),
            pre,
        })
    }

    /// A new store and the instance, not yet initialised.
    async fn instantiate(&self) -> Result<Live> {
        let data = BareData {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            peer: None,
        };
        let mut store = Store::new(&self.engine, data);
        // No epoch ticker runs: the deadline is checked and never reached.
        store.set_epoch_deadline(1);
        let guest = wt(self.pre.instantiate_async(&mut store).await)?;
        Ok(Live { store, guest })
    }

    /// A new instance and its `init(args)`.
    async fn start(&self, args: &Vec<u8>) -> Result<Live> {
        let mut live = self.instantiate().await?;
        let init = live
            .guest
            .overseer_plugin_server()
            .call_init(&mut live.store, args)
            .await;
        match wt(init)? {
            InitResult::Ok(_) => Ok(live),
            other => Err(anyhow!("init returned {other:?}")),
        }
    }
}

impl Live {
    /// `handle-call(request)`: the reply's bytes, or the guest's error.
    async fn call(&mut self, request: &Vec<u8>) -> Result<Vec<u8>> {
        let from = Caller { pid: None, tag: 0 };
        let called = self
            .guest
            .overseer_plugin_server()
            .call_handle_call(&mut self.store, request, from)
            .await;
        match wt(called)? {
            CallResult::Reply((reply, _)) => Ok(reply),
            other => Err(anyhow!("handle-call returned {other:?}")),
        }
    }
}

/// `n` counters started and kept: the time per start and the RSS each
/// instance holds (each called once, as the processes section does).
async fn starts(counter: &Bare, n: usize) -> Result<Value> {
    let (args, get) = (b"null".to_vec(), b"\"get\"".to_vec());
    let before = settled_rss().await?;
    let t = Instant::now();
    let mut live = Vec::with_capacity(n);
    for _ in 0..n {
        live.push(counter.start(&args).await?);
    }
    let elapsed = t.elapsed();
    for instance in &mut live {
        instance.call(&get).await?;
    }
    let after = collected_rss()?;
    Ok(json!({
        "instances": n,
        "starts_per_s": (n as f64 / elapsed.as_secs_f64()).round(),
        "start_mean_us": elapsed.as_secs_f64() * 1e6 / n as f64,
        "rss_per_instance_bytes": after.saturating_sub(before) / n as u64,
    }))
}

/// `n` crashes of `faulty` (`{"crash": kind}`), each timed from the
/// crashing call to a fresh instance answering `"ping"`; the crashed
/// store is dropped first, so that its slot is free, as a restart frees it.
async fn restarts(faulty: &Bare, kind: &str, n: usize) -> Result<Value> {
    let request = serde_json::to_vec(&json!({ "crash": kind }))?;
    let (args, ping) = (b"null".to_vec(), b"\"ping\"".to_vec());
    let mut instance = faulty.start(&args).await?;
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        if instance.call(&request).await.is_ok() {
            return Err(anyhow!("faulty did not crash on {kind}"));
        }
        drop(instance);
        instance = faulty.start(&args).await?;
        let reply = instance.call(&ping).await?;
        samples.push(t.elapsed());
        if reply != b"\"pong\"" {
            return Err(anyhow!("the fresh instance answered {reply:?}"));
        }
    }
    Ok(json!({
        "restarts": n,
        "crash": kind,
        "crash_to_fresh_instance_answering": stats(samples),
        "restarts_per_s": (n as f64 / all.elapsed().as_secs_f64()).round(),
    }))
}

/// `n` counters moved to the next build, as a code change moves a
/// process: a fresh instance of the new build, `get-state` on the old one,
/// `code-change` on the new, the old one dropped. One task per tokio
/// worker moves its share one after another, as Overseer's processes
/// change on every worker. The time for all of them: the floor of a
/// hot-swap round.
async fn swaps(from: &Bare, to: &Arc<Bare>, n: usize) -> Result<Value> {
    let args = br#"{"initial_value": 7}"#.to_vec();
    let workers = tokio::runtime::Handle::current()
        .metrics()
        .num_workers()
        .max(1);
    let mut shares: Vec<Vec<Live>> = (0..workers).map(|_| Vec::new()).collect();
    for i in 0..n {
        shares[i % workers].push(from.start(&args).await?);
    }
    let t = Instant::now();
    let mut lanes = JoinSet::new();
    for share in shares {
        let to = to.clone();
        lanes.spawn(async move { move_all(share, &to).await });
    }
    let mut moved = Vec::with_capacity(n);
    while let Some(lane) = lanes.join_next().await {
        moved.extend(lane??);
    }
    let elapsed = t.elapsed();
    let get = b"\"get\"".to_vec();
    for instance in &mut moved {
        if instance.call(&get).await? != b"7" {
            return Err(anyhow!("a counter lost its state in the change"));
        }
    }
    Ok(json!({
        "instances": n,
        "lanes": workers,
        "round_ms": ms(elapsed),
        "per_instance_us": elapsed.as_secs_f64() * 1e6 / n as f64,
    }))
}

/// Each of `share` moved to build `to`, one after another.
async fn move_all(share: Vec<Live>, to: &Bare) -> Result<Vec<Live>> {
    let (vsn, extra) = (VsnChange::Upgrade("1.0.0".into()), b"null".to_vec());
    let mut moved = Vec::with_capacity(share.len());
    for mut old in share {
        let mut fresh = to.instantiate().await?;
        let state = old
            .guest
            .overseer_plugin_server()
            .call_get_state(&mut old.store)
            .await;
        let state = wt(state)?;
        let changed = fresh
            .guest
            .overseer_plugin_server()
            .call_code_change(&mut fresh.store, &vsn, &state, &extra)
            .await;
        wt(changed)?.map_err(|refused| anyhow!("code-change refused: {refused}"))?;
        drop(old);
        moved.push(fresh);
    }
    Ok(moved)
}

/// A request and where its reply goes.
type Request = (Vec<u8>, oneshot::Sender<Result<Vec<u8>>>);

/// Where requests to a served instance go.
type Mailbox = mpsc::UnboundedSender<Request>;

/// A task that owns `instance` and answers what comes to the returned
/// mailbox, one request after another, until the mailbox is dropped.
fn serve(mut instance: Live) -> (Mailbox, JoinHandle<()>) {
    let (mailbox, mut inbox) = mpsc::unbounded_channel::<Request>();
    let server = tokio::spawn(async move {
        while let Some((request, reply)) = inbox.recv().await {
            let _ = reply.send(instance.call(&request).await);
        }
    });
    (mailbox, server)
}

/// `request` through `mailbox`, and the reply.
async fn call_through(mailbox: &Mailbox, request: &[u8]) -> Result<Vec<u8>> {
    let (reply, answer) = oneshot::channel();
    mailbox
        .send((request.to_vec(), reply))
        .map_err(|_| anyhow!("the server task is gone"))?;
    answer.await.map_err(|_| anyhow!("no reply"))?
}

/// `n` calls from a client task to a task that owns one counter, through
/// an unbounded channel and a oneshot reply: the least a mailbox call can
/// cost with tokio and wasmtime.
async fn calls(counter: &Bare, n: usize) -> Result<Value> {
    let (mailbox, server) = serve(counter.start(&b"null".to_vec()).await?);
    for _ in 0..n.min(10_000) {
        call_through(&mailbox, b"\"increment\"").await?;
    }
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        call_through(&mailbox, b"\"increment\"").await?;
        samples.push(t.elapsed());
    }
    let calls_per_s = n as f64 / all.elapsed().as_secs_f64();
    let count: u64 = serde_json::from_slice(&call_through(&mailbox, b"\"get\"").await?)?;
    let expected = (n + n.min(10_000)) as u64;
    drop(mailbox);
    server.await?;
    if count != expected {
        return Err(anyhow!(
            "the counter read {count} after {expected} increments"
        ));
    }
    Ok(json!({
        "calls": n,
        "round_trip": stats(samples),
        "calls_per_s_one_client": calls_per_s.round(),
    }))
}

/// A client calls `m` (the messenger), which calls `c` (a counter) through
/// its `call` import and replies; the wasm → wasm leg is that round trip
/// minus a plain call to `m`, measured as the dynamic section measures it
/// under Overseer ([`nested_against_direct`]).
async fn wasm_to_wasm(messenger: &Bare, counter: &Bare, n: usize) -> Result<Value> {
    let null = b"null".to_vec();
    let (c, c_server) = serve(counter.start(&null).await?);
    let mut m = messenger.start(&null).await?;
    m.store.data_mut().peer = Some(c.clone());
    let (m, m_server) = serve(m);
    let leg = {
        let m = &m;
        nested_against_direct(
            n,
            move |request| async move { call_through(m, &request).await },
        )
        .await?
    };
    drop((m, c));
    m_server.await?;
    c_server.await?;
    Ok(leg)
}

//! The one wasmtime `Engine` of a host, its knobs, and its epoch ticker.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::RuntimeError;
use super::bindings::GenServer;
use super::cache::CompileCache;
use super::capacity::{self, MapLimit};
use super::crash::BACKTRACE_FRAMES;
use super::instance::StoreData;
use super::next_tick::NextTick;

/// Host-wide knobs, fixed when the host starts. Each says what it costs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// How many processes may be alive at once. The pooling allocator
    /// reserves a slot (memory, tables, fiber stack) per process up front;
    /// past this number a new process is refused with
    /// [`SpawnError::TooManyProcesses`](crate::process::SpawnError).
    /// Default 10,000. What caps it is the kernel's `vm.max_map_count`
    /// (each process costs four memory mappings), not RAM: when the
    /// kernel leaves room for fewer, [`Runtime::new`] lowers it to what
    /// fits, and [`Runtime::map_limit`] says so.
    pub max_processes: u32,
    /// The largest linear memory any one process may have, in bytes: the
    /// size of a pool slot. A child's own limit may only be lower.
    /// Default 64 MiB; address space reserved is this times `max_processes`.
    pub max_memory_bytes: u64,
    /// How often the epoch advances. A running callback yields to other
    /// processes at every tick and its CPU deadline is checked then, so this
    /// is the scheduling quantum and the deadline's resolution. Default 10 ms.
    pub epoch_tick: Duration,
    /// The deepest wasm stack a guest may use before it traps with a stack
    /// overflow. Default 512 KiB.
    pub max_wasm_stack: usize,
    /// Spare instance slots beyond `max_processes`, used while processes
    /// change code (old and new instance live side by side for a moment) and
    /// to probe a new build. Bounds how many code changes run at once.
    /// Default 256.
    pub spare_slots: u32,
    /// The most of a freed slot's memory that stays resident, reset in
    /// place, for the next process in the slot (see the pool settings).
    /// Default 4 MiB; 0 returns every page to the kernel when a process
    /// exits. [`resident_budget_bytes`](Self::resident_budget_bytes) may
    /// lower it.
    pub keep_resident_bytes: usize,
    /// What all slots together may keep resident after their processes
    /// exit: each slot keeps at most this divided by the slot count (and
    /// at most `keep_resident_bytes`). Bounds how far the host's RSS can
    /// stay above what its live processes use after crash churn, whatever
    /// the processes touched before they died. None (the default): 1 GiB,
    /// or 20 KiB a slot where that is more (above about 52,000 slots), so
    /// that a slot's share never falls below the one the soak test holds
    /// its bound with: 100 KiB a slot at 10,000 processes, 20 KiB at
    /// 100,000 and at 250,000 (2 and 5 GiB in all).
    pub resident_budget_bytes: Option<u64>,
    /// Where compiled plugins are cached across host runs, keyed by content
    /// hash and engine settings. None: compile every time.
    pub cache_dir: Option<PathBuf>,
    /// The longest CPU deadline any one callback may be given: a child spec
    /// asking for more is refused. Default 60 s.
    pub max_cpu_deadline: Duration,
    /// The most memory the live processes' limits may add up to: a start
    /// past it is refused with a clear error rather than left to the
    /// kernel's OOM killer. None (the default): no budget, since ten
    /// thousand processes at the default 64 MiB limit add up to 640 GB
    /// though each uses a few MiB; set it to make every limit a promise.
    pub memory_budget_bytes: Option<u64>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            max_processes: 10_000,
            max_memory_bytes: 64 << 20,
            epoch_tick: Duration::from_millis(10),
            max_wasm_stack: 512 << 10,
            spare_slots: 256,
            keep_resident_bytes: 4 << 20,
            resident_budget_bytes: None,
            cache_dir: None,
            max_cpu_deadline: Duration::from_secs(60),
            memory_budget_bytes: None,
        }
    }
}

impl HostConfig {
    /// The memory budget, or `u64::MAX` when there is none.
    pub fn memory_budget(&self) -> u64 {
        self.memory_budget_bytes.unwrap_or(u64::MAX)
    }

    /// Pool slots: one per process, plus the spares.
    pub fn slots(&self) -> u32 {
        self.max_processes.saturating_add(self.spares())
    }

    /// The spare slots the pool really has: at least one.
    fn spares(&self) -> u32 {
        self.spare_slots.max(1)
    }

    /// What one freed slot keeps resident: its share of the resident
    /// budget, at most `keep_resident_bytes`, in whole pages.
    pub fn keep_resident_per_slot(&self) -> usize {
        let slots = u64::from(self.slots());
        let share = match self.resident_budget_bytes {
            Some(budget) => budget / slots,
            None => (DEFAULT_RESIDENT_BUDGET / slots).max(SLOT_RESIDENT_FLOOR as u64),
        };
        let share = usize::try_from(share).unwrap_or(usize::MAX);
        share.min(self.keep_resident_bytes) & !(PAGE - 1)
    }
}

/// The resident budget when none is set: 1 GiB over all slots.
const DEFAULT_RESIDENT_BUDGET: u64 = 1 << 30;

/// The least a freed slot keeps under the default budget, however many
/// slots share it: 20 KiB, five of the seven pages a small Rust plugin
/// touches. It is the share the soak test (50,000 processes, a minute of
/// every kind of crash) holds its 10 % bound with under 1 GiB (+8.0–8.4 %;
/// with 32 KiB it failed, +10.1–10.4 %, because a slot keeps the lowest
/// pages its process dirtied, which after a stack overflow its next
/// process never touches). Below it, at 100,000 processes and more, every
/// code change and restart gave pages back and faulted them in again: a
/// code change of 100,000 processes took 3.2–3.5 s a round with 8 KiB a
/// slot, 2.6–3.2 s with this (two workers, runs in turn).
const SLOT_RESIDENT_FLOOR: usize = 20 << 10;

/// What a freed fiber stack keeps resident: its top page, where every
/// callback's first frames are. Kept pages are zeroed with memset, which
/// faults in any that were not resident: measured restart medians were
/// 49 µs keeping one page (as without zeroing), 63–84 µs keeping 2 to 16
/// (quick runs on a noisy machine).
const STACK_KEEP_RESIDENT: usize = 4 << 10;

/// How many regions of freed slots (the pages past what a slot keeps) are
/// given back to the kernel together, in one `process_madvise`. Each give
/// back ends in a TLB shootdown: an interrupt to every other core running
/// the host, which a VM's hypervisor intercepts. One at a time, a code
/// change of 100,000 processes (where a slot kept 8 KiB and gave back the
/// rest) spent 21 % of its time there and took 3.5–4.0 s a round; 16
/// together: 2.4–3.9 s over three runs (with a client calling throughout:
/// 10.3 → 5.8 s).
/// Until a batch fills, up to 15 regions wait, still resident, in each of
/// the pool's queues (one per core): at most 15 slots' memory per core.
const DECOMMIT_BATCH: usize = 16;

/// The host page size the pool's sizes are rounded to.
const PAGE: usize = 4096;

/// The compiled-code side of a host: one `Engine`, one `Linker` with the
/// host imports, and the thread that advances the epoch.
///
/// Cloning is cheap (reference counted). The epoch thread stops when the
/// last clone is dropped.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    /// For small builds (Rust, C): pooled instances whose memories are
    /// initialised by copying.
    small: Backend,
    /// For large builds (Python, JavaScript): instances allocated on
    /// demand, memories mapped copy-on-write from the compiled image.
    large: Backend,
    config: HostConfig,
    map_limit: Option<MapLimit>,
    cache: Option<CompileCache>,
    ticker_stop: Arc<AtomicBool>,
    next_tick: Arc<NextTick>,
}

/// One engine (with its way of allocating instances) and its linker.
struct Backend {
    engine: Engine,
    linker: Linker<StoreData>,
}

impl Backend {
    fn new(config: &Config) -> Result<Backend, RuntimeError> {
        let engine = Engine::new(config).map_err(RuntimeError::engine)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(RuntimeError::engine)?;
        GenServer::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |s| s)
            .map_err(RuntimeError::engine)?;
        Ok(Backend { engine, linker })
    }
}

/// Builds larger than this go to the copy-on-write, on-demand engine. Measured: a
/// Python build (18 MB, a 12 MiB memory image) instantiates in 1.5 ms
/// mapped against 8.7 ms copied, with 6.6 against 12 MB resident per
/// process; a JavaScript one (1.7 MB) in 0.26 against 0.49 ms; but a Rust
/// build (under 0.3 MB) changes code 3x slower mapped (36 against 11 µs).
pub const LARGE_BUILD_BYTES: usize = 1 << 20;

impl Drop for RuntimeInner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Build the engine for `config`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Engine`] if wasmtime refuses the configuration, e.g.
    /// when the pool cannot be reserved; [`RuntimeError::NoRoom`] if the
    /// kernel's mapping limit leaves room for no process at all.
    pub fn new(mut config: HostConfig) -> Result<Self, RuntimeError> {
        let (processes, map_limit) = capacity::fit(config.max_processes, config.spares());
        if let Some(limit) = map_limit {
            if processes == 0 {
                return Err(RuntimeError::NoRoom(limit));
            }
            config.max_processes = processes;
        }
        let small = Backend::new(&small_builds(&config))?;
        let large = Backend::new(&large_builds(&config))?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        let next_tick = Arc::new(NextTick::new(config.epoch_tick));
        spawn_epoch_ticker(
            [small.engine.clone(), large.engine.clone()],
            next_tick.clone(),
            ticker_stop.clone(),
        );
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                small,
                large,
                cache: config.cache_dir.as_ref().and_then(|dir| {
                    CompileCache::open(dir)
                        .inspect_err(|err| {
                            tracing::warn!(
                                "compile cache not used, every build is compiled: {err}"
                            );
                        })
                        .ok()
                }),
                config,
                map_limit,
                ticker_stop,
                next_tick,
            }),
        })
    }

    /// Wakers the epoch thread wakes at its next tick (for call timeouts
    /// that cost nothing when the answer comes first).
    pub fn next_tick(&self) -> &Arc<NextTick> {
        &self.inner.next_tick
    }

    /// The wasmtime engine of small builds (Rust plugins).
    pub fn engine(&self) -> &Engine {
        &self.inner.small.engine
    }

    /// The engine a build of `size` bytes is compiled for.
    pub(crate) fn engine_for(&self, size: usize) -> &Engine {
        if size > LARGE_BUILD_BYTES {
            &self.inner.large.engine
        } else {
            &self.inner.small.engine
        }
    }

    /// The linker holding WASI and the Overseer host imports, for
    /// components of `engine`.
    pub(crate) fn linker(&self, engine: &Engine) -> &Linker<StoreData> {
        if Engine::same(engine, &self.inner.large.engine) {
            &self.inner.large.linker
        } else {
            &self.inner.small.linker
        }
    }

    /// The compile cache, if the host has one.
    pub fn cache(&self) -> Option<&CompileCache> {
        self.inner.cache.as_ref()
    }

    /// The configuration this runtime was built with; its
    /// `max_processes` is the cap in force (see [`map_limit`](Self::map_limit)).
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// The kernel's mapping limit, when it lowered the process cap below
    /// what the configuration asked for.
    pub fn map_limit(&self) -> Option<MapLimit> {
        self.inner.map_limit
    }
}

/// What both engines share: epoch interruption and the wasm stack.
fn common(config: &HostConfig) -> Config {
    let mut c = Config::new();
    c.epoch_interruption(true)
        .max_wasm_stack(config.max_wasm_stack)
        // No map from native code back to wasm offsets: a crash report
        // names its frames' functions, never their offsets, and looking up
        // each frame's offset in the map cost about 2.5 µs of every crash
        // (a tenth of a restart after a panic, `perf`).
        .generate_address_map(false)
        .wasm_backtrace_max_frames(NonZeroUsize::new(BACKTRACE_FRAMES));
    c
}

/// The engine of small builds: a pool of instance slots.
fn small_builds(config: &HostConfig) -> Config {
    let mut pool = PoolingAllocationConfig::default();
    let n = config.slots();
    // Per process, measured: a Rust or C (wasi-libc + preview1 adapter)
    // component needs 3 core instances, 1 memory and 2 tables. Core
    // instances are only counted by the pool (no memory is reserved for
    // them), so there are enough for every process to use the store's
    // maximum (32), whatever toolchain built it; max_processes is what
    // binds.
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(32))
        .total_memories(n)
        .total_tables(n.saturating_mul(4))
        .total_stacks(n)
        .max_memories_per_module(1)
        .max_memory_size(config.max_memory_bytes as usize);
    // A freed slot is reset in place, not handed back to the kernel: the
    // pages a process touched are found with PAGEMAP_SCAN (Linux 6.7+; a
    // plain memset of the low bytes elsewhere) and reset with memset. No
    // madvise, so no TLB shootdown across cores, and the next instance in
    // the slot takes no page faults. Restarts and code changes, which free
    // one instance and make another, are where this pays (measured: restart
    // median 54 → 29 µs, code-change pause 53 → 8 µs). The price: memory a
    // process touched stays resident after it exits, up to this much a slot
    // (the dirty pages found first are kept, the rest given back), and the
    // resident budget bounds it across all slots.
    let keep = config.keep_resident_per_slot();
    pool.pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(keep)
        .table_keep_resident(keep.min(64 << 10))
        // A freed fiber stack keeps its top (where every callback's frames
        // are) and gives the rest back (with `async_stack_zeroing` below).
        .async_stack_keep_resident(STACK_KEEP_RESIDENT)
        .decommit_batch_size(DECOMMIT_BATCH);
    let mut c = common(config);
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        // Without this a freed stack is left as it is: the pages a stack
        // overflow touched (up to max_wasm_stack) stayed resident in the
        // slot for good (measured: +34 % RSS after 20,000 crashes of every
        // kind among 50,000 processes).
        .async_stack_zeroing(true)
        // Data segments are copied into a slot's (resident) memory rather
        // than mapped copy-on-write from the image: mapping costs an mmap
        // and a fault per page written, every time a slot changes build,
        // which is every code change. Copying a plugin's few KiB of data is
        // cheaper (code-change pause median 41 → 8 µs).
        .memory_init_cow(false)
        // Slot size = the largest memory allowed, so that the address
        // space reserved is bounded by max_processes × max_memory_bytes.
        .memory_reservation(config.max_memory_bytes);
    c
}

/// The engine of large builds (see [`LARGE_BUILD_BYTES`]).
fn large_builds(config: &HostConfig) -> Config {
    let mut c = common(config);
    // Large builds are few, and slow to start anyway (a Python instance
    // takes a millisecond): they get memory from the kernel on demand
    // rather than a second pool, whose stack guard pages alone would cost
    // two memory mappings per slot up front (vm.max_map_count is 65,530).
    c.allocation_strategy(InstanceAllocationStrategy::OnDemand)
        // Their images (MiBs) are mapped, not copied.
        .memory_init_cow(true)
        // Their memories reserve 4 GiB of address space each (not RAM):
        // wasm's 32-bit addresses then need no bounds checks.
        .memory_reservation(LARGE_MEMORY_RESERVATION);
    c
}

/// What a large build's memory reserves: all of wasm32's address space.
const LARGE_MEMORY_RESERVATION: u64 = 4 << 30;

fn spawn_epoch_ticker(engines: [Engine; 2], next_tick: Arc<NextTick>, stop: Arc<AtomicBool>) {
    let ticking = next_tick.clone();
    let spawned = std::thread::Builder::new()
        .name("overseer-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(ticking.period());
                for engine in &engines {
                    engine.increment_epoch();
                }
                ticking.tick();
            }
            ticking.stop();
        });
    if let Err(err) = spawned {
        // Nothing will tick: whoever waits for a tick must not wait.
        next_tick.stop();
        // Without the ticker CPU deadlines never fire; say so loudly.
        tracing::error!("could not start the epoch thread: {err}; CPU deadlines are off");
    }
}

#[cfg(test)]
mod tests {
    use super::{HostConfig, SLOT_RESIDENT_FLOOR};

    fn with_processes(max_processes: u32, budget: Option<u64>) -> HostConfig {
        HostConfig {
            max_processes,
            resident_budget_bytes: budget,
            ..HostConfig::default()
        }
    }

    #[test]
    fn the_default_budget_is_shared_by_the_slots() {
        // 10,000 processes and 256 spares share 1 GiB: 104,694 bytes, in
        // whole pages.
        assert_eq!(
            with_processes(10_000, None).keep_resident_per_slot(),
            25 * 4096
        );
        // A few slots: each keeps at most keep_resident_bytes.
        let few = HostConfig {
            spare_slots: 1,
            ..with_processes(100, None)
        };
        assert_eq!(few.keep_resident_per_slot(), 4 << 20);
    }

    #[test]
    fn the_default_budget_never_leaves_a_slot_less_than_the_floor() {
        for processes in [60_000, 100_000, 250_000] {
            assert_eq!(
                with_processes(processes, None).keep_resident_per_slot(),
                SLOT_RESIDENT_FLOOR
            );
        }
        // The soak test's host (50,016 processes) keeps what 1 GiB gives it.
        assert_eq!(
            with_processes(50_016, None).keep_resident_per_slot(),
            20 << 10
        );
    }

    #[test]
    fn a_budget_that_is_set_is_kept_whatever_it_leaves_a_slot() {
        let set = with_processes(100_000, Some(1 << 30));
        assert_eq!(set.keep_resident_per_slot(), 8 << 10);
        assert_eq!(with_processes(100_000, Some(0)).keep_resident_per_slot(), 0);
    }
}

//! One live instance of a plugin in its own Store, and typed calls into it.

use std::any::Any;
use std::time::Duration;

use wasmtime::component::{ComponentExportIndex, InstancePre, ResourceTable, TypedFunc};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::batch::{CastBatch, Casts};
use super::bindings::server::{CallResult, CastResult, InitResult};
use super::bindings::types::{Caller, ExitReason, Info, Payload, VsnChange};
use super::bindings::{GenServer, GenServerIndices};
use super::coarse_clock;
use super::crash::Crash;
use super::host::HostCalls;
use super::output::GuestOutput;
use super::wasi_ctx::{ungranted_wasi_ctx, wasi_ctx};
use super::watchdog::{WallDeadline, bounded};
use crate::sandbox::{DeadlineExceeded, Limits, MemoryLimiter, WasiGrants};

/// The data of one Store: the process's host side, WASI, limits.
pub struct StoreData {
    pub(crate) host: Box<dyn HostCallsAny>,
    /// None until the guest first calls WASI, for a plugin granted nothing
    /// (see [`wasi_ctx`]).
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    limiter: MemoryLimiter,
    output: GuestOutput,
    /// When the running callback's CPU time began, on the coarse clock
    /// (moved on by the waits it does not count).
    callback_started_ns: u64,
    cpu_deadline: Duration,
    /// The running callback's wall-clock end, for the watchdog.
    wall: WallDeadline,
    /// The batch of casts being handled, if any.
    pub(crate) batch: CastBatch,
}

/// [`HostCalls`] that can be downcast back to the process's own type.
pub trait HostCallsAny: HostCalls {
    /// `self` as `Any`, to reach the concrete host state.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: HostCalls> HostCallsAny for T {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl StoreData {
    /// Push the running callback's CPU deadline back by `waited`: time the
    /// guest spent blocked in a host call, not computing.
    pub(crate) fn exclude_from_deadline(&mut self, waited: Duration) {
        self.callback_started_ns = self
            .callback_started_ns
            .saturating_add(coarse_clock::nanos(waited));
        self.set_wall();
    }

    /// The guest waits on the host's own business (a reply, a supervisor):
    /// the watchdog leaves it be until [`exclude_from_deadline`](Self::exclude_from_deadline).
    pub(crate) fn pause_deadline(&self) {
        self.wall.pause();
    }
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let output = &self.output;
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(|| ungranted_wasi_ctx(output)),
            table: &mut self.table,
        }
    }
}

/// A Store for one process: its host side, WASI wired to the output tail,
/// the memory limiter, and an epoch callback that yields every tick and
/// ends a callback past its CPU deadline.
pub(crate) fn new_store(
    engine: &wasmtime::Engine,
    host: Box<dyn HostCallsAny>,
    limits: &Limits,
    grants: &WasiGrants,
) -> Result<Store<StoreData>, Crash> {
    let output = GuestOutput::default();
    // A plugin with grants builds its context here, where a folder that
    // cannot be opened is an error; one granted nothing when first asked.
    let wasi = wasi_ctx(grants, &output).map_err(Crash::host)?;
    let data = StoreData {
        host,
        wasi,
        table: ResourceTable::new(),
        limiter: MemoryLimiter::new(limits),
        output,
        callback_started_ns: coarse_clock::now_ns(),
        cpu_deadline: limits.cpu_deadline,
        wall: WallDeadline::default(),
        batch: CastBatch::default(),
    };
    let mut store = Store::new(engine, data);
    store.limiter(|data| &mut data.limiter);
    store.epoch_deadline_callback(|mut ctx| {
        let data = ctx.data_mut();
        // A new message of the batch began since the last tick: its CPU
        // deadline starts now.
        if data.batch.take_moved() {
            data.arm();
        }
        let deadline = coarse_clock::deadline_after(data.callback_started_ns, data.cpu_deadline);
        if coarse_clock::now_ns() >= deadline {
            Err(wasmtime::Error::new(DeadlineExceeded {
                deadline: data.cpu_deadline,
            }))
        } else {
            // Let other processes run, then keep going.
            Ok(UpdateDeadline::Yield(1))
        }
    });
    store.set_epoch_deadline(1);
    Ok(store)
}

impl StoreData {
    /// The tail of what the guest printed.
    pub(crate) fn output_tail(&self) -> String {
        self.output.tail()
    }

    /// Start the CPU deadline of a callback now.
    pub(crate) fn arm(&mut self) {
        self.callback_started_ns = coarse_clock::now_ns();
        self.set_wall();
    }

    /// Tell the watchdog when the running callback must be over.
    fn set_wall(&self) {
        self.wall.set(coarse_clock::deadline_after(
            self.callback_started_ns,
            self.cpu_deadline,
        ));
    }

    /// The watchdog's view of the deadline, and the deadline itself.
    pub(crate) fn watchdog(&self) -> (WallDeadline, Duration) {
        (self.wall.clone(), self.cpu_deadline)
    }
}

// Payloads are passed as `&Vec<u8>` (the bindings' `&Payload`) so that the
// bindings take them without a copy.
/// A running instance of a plugin version: one Store, one component
/// instance. Every call runs under the process's CPU deadline; any error is
/// returned as a [`Crash`], after which the instance must not be called
/// again (a trapped component instance refuses re-entry).
pub struct Instance {
    store: Store<StoreData>,
    guest: GenServer,
    /// The component instance, for the exports outside the `gen-server`
    /// world's bindings.
    component: wasmtime::component::Instance,
    /// Where the build's `handle-casts` is, if it has one.
    handle_casts: Option<ComponentExportIndex>,
    wall: WallDeadline,
    cpu_deadline: Duration,
}

/// `handle-casts(msgs, ends) -> cast-result`, as the host calls it.
type HandleCasts<'a> = TypedFunc<(&'a [u8], &'a [u32]), (CastResult,)>;

/// A plugin build linked against the host: what every instance of it is
/// made from.
pub(crate) struct Linked {
    /// The component, its imports resolved.
    pub(crate) pre: InstancePre<StoreData>,
    /// Where the `gen-server` world's exports are.
    pub(crate) indices: GenServerIndices,
    /// Where the optional `handle-casts` is.
    pub(crate) handle_casts: Option<ComponentExportIndex>,
}

impl Instance {
    /// Instantiate `pre` in a new Store with `host` answering its imports.
    /// (Processes start from [`PluginVersion::instantiate`](super::PluginVersion::instantiate).)
    ///
    /// # Errors
    ///
    /// A [`Crash`] if instantiation fails: the pool is exhausted, the
    /// guest's start function traps, or its initial memory exceeds `limits`.
    pub(crate) async fn new(
        engine: &wasmtime::Engine,
        linked: &Linked,
        host: Box<dyn HostCallsAny>,
        limits: &Limits,
        grants: &WasiGrants,
    ) -> Result<Instance, Crash> {
        let mut store = new_store(engine, host, limits, grants)?;
        let instantiated = linked
            .pre
            .instantiate_async(&mut store)
            .await
            .and_then(|component| {
                let guest = linked.indices.load(&mut store, &component)?;
                Ok((component, guest))
            });
        match instantiated {
            Ok((component, guest)) => {
                let (wall, cpu_deadline) = store.data().watchdog();
                Ok(Instance {
                    store,
                    guest,
                    component,
                    handle_casts: linked.handle_casts,
                    wall,
                    cpu_deadline,
                })
            }
            Err(err) => {
                let output = store.data().output.tail();
                Err(Crash::from_wasmtime(&err, output))
            }
        }
    }

    /// The host side of this process, as the concrete type it was made with.
    /// (See also `StoreData::exclude_from_deadline`.)
    pub fn host_mut<H: 'static>(&mut self) -> Option<&mut H> {
        self.store.data_mut().host.as_any_mut().downcast_mut::<H>()
    }

    /// Bytes of linear memory the instance holds, all its memories
    /// together.
    pub fn memory_bytes(&self) -> u64 {
        self.store.data().limiter.in_use()
    }

    fn arm(&mut self) {
        self.store.data_mut().arm();
        self.store.set_epoch_deadline(1);
    }

    fn crash(&self, err: wasmtime::Error) -> Crash {
        Crash::from_wasmtime(&err, self.store.data().output.tail())
    }

    /// `vsn()`.
    pub async fn vsn(&mut self) -> Result<String, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_vsn(&mut self.store);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// `init(args)`.
    pub async fn init(&mut self, args: &Payload) -> Result<InitResult, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_init(&mut self.store, args);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// `handle-call(request, from)`.
    pub async fn handle_call(
        &mut self,
        request: &Payload,
        from: Caller,
    ) -> Result<CallResult, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_handle_call(&mut self.store, request, from);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// `handle-cast(msg)`.
    pub async fn handle_cast(&mut self, msg: &Payload) -> Result<CastResult, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_handle_cast(&mut self.store, msg);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// Whether the build takes casts in batches (`handle-casts`).
    pub fn takes_batches(&self) -> bool {
        self.handle_casts.is_some()
    }

    /// `handle-casts(msgs)`: the casts `msgs` in one guest entry, each
    /// under a CPU deadline of its own. A crash comes back with the index
    /// of the message it happened in.
    pub async fn handle_casts(&mut self, msgs: &Casts) -> Result<CastResult, (Crash, usize)> {
        self.arm();
        self.store.data_mut().batch = CastBatch::new(msgs.len());
        let result = self.call_handle_casts(msgs).await;
        let index = self.store.data().batch.index();
        self.store.data_mut().batch = CastBatch::default();
        result.map_err(|crash| (crash, index))
    }

    /// Check that the build's `handle-casts`, if it has one, has the
    /// type the host calls it with: a build is refused at load, not at its
    /// first batch.
    pub(crate) fn check_handle_casts(&mut self) -> Result<(), String> {
        match self.handle_casts {
            Some(_) => self.handle_casts_func().map(|_| ()),
            None => Ok(()),
        }
    }

    async fn call_handle_casts(&mut self, msgs: &Casts) -> Result<CastResult, Crash> {
        let func = self.handle_casts_func().map_err(Crash::host)?;
        let call = func.call_async(&mut self.store, msgs.parts());
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map(|(result,)| result)
            .map_err(|e| self.crash(e))
    }

    /// The build's `handle-casts`, typed as the host calls it; one line
    /// if it has none or it has another type.
    fn handle_casts_func<'a>(&mut self) -> Result<HandleCasts<'a>, String> {
        self.handle_casts
            .and_then(|export| self.component.get_func(&mut self.store, export))
            .ok_or("its batch interface exports no function handle-casts")?
            .typed(&self.store)
            .map_err(|err| format!("handle-casts: {err}"))
    }

    /// `handle-info(info)`.
    pub async fn handle_info(&mut self, info: &Info) -> Result<CastResult, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_handle_info(&mut self.store, info);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// `terminate(reason)`.
    pub async fn terminate(&mut self, reason: &ExitReason) -> Result<(), Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_terminate(&mut self.store, reason);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// `get-state()`.
    pub async fn get_state(&mut self) -> Result<Vec<u8>, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_get_state(&mut self.store);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// `config-change(changed, removed)`.
    pub async fn config_change(
        &mut self,
        changed: &[(String, Payload)],
        removed: &[String],
    ) -> Result<(), Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_config_change(&mut self.store, changed, removed);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }

    /// Give this instance `other`'s host side and `other` this one's: a
    /// code change moves the process (its timers, its waiting callers) from
    /// the old instance to the new one.
    pub fn swap_host(&mut self, other: &mut Instance) {
        std::mem::swap(
            &mut self.store.data_mut().host,
            &mut other.store.data_mut().host,
        );
    }

    /// `code-change(from, old-state, extra)`.
    pub async fn code_change(
        &mut self,
        from: &VsnChange,
        old_state: &Payload,
        extra: &Payload,
    ) -> Result<Result<(), String>, Crash> {
        self.arm();
        let server = self.guest.overseer_plugin_server();
        let call = server.call_code_change(&mut self.store, from, old_state, extra);
        bounded(call, &self.wall, self.cpu_deadline)
            .await
            .map_err(|e| self.crash(e))
    }
}

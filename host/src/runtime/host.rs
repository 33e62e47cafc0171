//! The host imports a guest may call, forwarded to whoever runs the process.
//!
//! The runtime knows nothing of pids, mailboxes or timers: it hands each
//! import to a [`HostCalls`] implementation, which the `process` module
//! provides. This keeps the dependency pointing one way.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use super::bindings::overseer::plugin::{host, types};
use super::instance::StoreData;

pub use types::{CallError as GuestCallError, Caller, LogLevel, Target as GuestTarget, Timeout};

/// What a guest's `call` waits on: the reply, or why there is none. Owns
/// everything it needs, so the Store is free while it waits.
pub type PendingCall = Pin<Box<dyn Future<Output = Result<Vec<u8>, GuestCallError>> + Send>>;

/// What a guest's supervisor import waits on: the answer, or one line.
pub type PendingSupervisor<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

/// What a process does when its guest calls a host import. One value per
/// process, owned by its Store.
pub trait HostCalls: Send + 'static {
    /// The calling process's pid.
    fn self_pid(&mut self) -> u64;
    /// Deliver `msg` to the process's `handle-info` after `ms` ms.
    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> u64;
    /// Cancel a `send_after` timer; true if it had not fired.
    fn cancel_timer(&mut self, timer: u64) -> bool;
    /// Answer a deferred call.
    fn reply(&mut self, to: Caller, msg: Vec<u8>);
    /// Set or clear trap-exit.
    fn trap_exit(&mut self, enabled: bool);
    /// A log line from the guest.
    fn log(&mut self, level: LogLevel, msg: String);
    /// The application env value under `key`, as JSON.
    fn config(&mut self, key: String) -> Option<Vec<u8>>;
    /// The pid registered under `name`, if alive.
    fn whereis(&mut self, name: String) -> Option<u64>;
    /// A plain message to `to`.
    fn send(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError>;
    /// A cast to `to`.
    fn cast(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError>;
    /// Start a call to `to`; the future resolves to its reply.
    fn call(&mut self, to: GuestTarget, request: Vec<u8>, timeout: Timeout) -> PendingCall;
    /// Monitor `pid`; returns the reference.
    fn monitor(&mut self, pid: u64) -> u64;
    /// Remove a monitor; true if it was active.
    fn demonitor(&mut self, monitor: u64) -> bool;
    /// Link with `pid`.
    fn link(&mut self, pid: u64) -> Result<(), GuestCallError>;
    /// Remove a link.
    fn unlink(&mut self, pid: u64);
    /// Register under `name`; the error names the holder.
    fn register(&mut self, name: String) -> Result<(), String>;
    /// Release `name` if held; true if it was.
    fn unregister(&mut self, name: String) -> bool;
    /// Register in a registry; the error is one line.
    fn registry_register(
        &mut self,
        registry: String,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), String>;
    /// Remove this process's entries under a key.
    fn registry_unregister(&mut self, registry: String, key: String);
    /// The entries under a key.
    fn registry_lookup(&mut self, registry: String, key: String) -> Vec<(u64, Vec<u8>)>;
    /// Send to every process under a key; how many.
    fn registry_dispatch(&mut self, registry: String, key: String, msg: Vec<u8>) -> u32;
    /// How many entries.
    fn registry_count(&mut self, registry: String) -> u32;
    /// Metadata under a key.
    fn registry_meta(&mut self, registry: String, key: String) -> Option<Vec<u8>>;
    /// Set metadata under a key.
    fn registry_put_meta(&mut self, registry: String, key: String, value: Vec<u8>);
    /// Check a worker out of a pool.
    fn pool_checkout(
        &mut self,
        pool: String,
        block: bool,
        timeout_ms: u32,
    ) -> PendingSupervisor<u64>;
    /// Give a worker back.
    fn pool_checkin(&mut self, pool: String, worker: u64);
    /// Checkout, call, checkin.
    fn pool_transaction(
        &mut self,
        pool: String,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> PendingSupervisor<Vec<u8>>;
    /// Start a task under a supervisor, fire and forget.
    fn task_start_child(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
    ) -> PendingSupervisor<u64>;
    /// Start a task whose result this process will await.
    fn task_async(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
        link: bool,
    ) -> PendingSupervisor<u64>;
    /// Await a task's result.
    fn task_await(&mut self, task: u64, timeout_ms: u32) -> PendingSupervisor<Vec<u8>>;
    /// Start a child under supervisor `sup` from a JSON spec.
    fn start_child(&mut self, sup: GuestTarget, spec: Vec<u8>) -> PendingSupervisor<Option<u64>>;
    /// Stop a supervisor's child.
    fn terminate_child(&mut self, sup: GuestTarget, child: u64) -> PendingSupervisor<()>;
    /// A supervisor's children, as JSON.
    fn which_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>>;
    /// A supervisor's child counts, as JSON.
    fn count_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>>;
}

impl types::Host for StoreData {}

impl host::Host for StoreData {
    fn self_pid(&mut self) -> u64 {
        self.host.self_pid()
    }

    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> u64 {
        self.host.send_after(msg, ms)
    }

    fn cancel_timer(&mut self, timer: u64) -> bool {
        self.host.cancel_timer(timer)
    }

    fn reply(&mut self, to: Caller, msg: Vec<u8>) {
        self.host.reply(to, msg)
    }

    fn trap_exit(&mut self, enabled: bool) {
        self.host.trap_exit(enabled)
    }

    fn log(&mut self, level: LogLevel, msg: String) {
        self.host.log(level, msg)
    }

    fn config(&mut self, key: String) -> Option<Vec<u8>> {
        self.host.config(key)
    }

    fn whereis(&mut self, name: String) -> Option<u64> {
        self.host.whereis(name)
    }

    fn send(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.host.send(to, msg)
    }

    fn cast(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.host.cast(to, msg)
    }

    async fn call(
        &mut self,
        to: GuestTarget,
        request: Vec<u8>,
        timeout: Timeout,
    ) -> Result<Vec<u8>, GuestCallError> {
        let waiting = self.host.call(to, request, timeout);
        self.wait(waiting).await
    }

    fn monitor(&mut self, pid: u64) -> u64 {
        self.host.monitor(pid)
    }

    fn demonitor(&mut self, monitor: u64) -> bool {
        self.host.demonitor(monitor)
    }

    fn link(&mut self, pid: u64) -> Result<(), GuestCallError> {
        self.host.link(pid)
    }

    fn unlink(&mut self, pid: u64) {
        self.host.unlink(pid)
    }

    fn register(&mut self, name: String) -> Result<(), String> {
        self.host.register(name)
    }

    fn unregister(&mut self, name: String) -> bool {
        self.host.unregister(name)
    }

    fn registry_register(
        &mut self,
        registry: String,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), String> {
        self.host.registry_register(registry, key, value)
    }

    fn registry_unregister(&mut self, registry: String, key: String) {
        self.host.registry_unregister(registry, key)
    }

    fn registry_lookup(&mut self, registry: String, key: String) -> Vec<(u64, Vec<u8>)> {
        self.host.registry_lookup(registry, key)
    }

    fn registry_dispatch(&mut self, registry: String, key: String, msg: Vec<u8>) -> u32 {
        self.host.registry_dispatch(registry, key, msg)
    }

    fn registry_count(&mut self, registry: String) -> u32 {
        self.host.registry_count(registry)
    }

    fn registry_meta(&mut self, registry: String, key: String) -> Option<Vec<u8>> {
        self.host.registry_meta(registry, key)
    }

    fn registry_put_meta(&mut self, registry: String, key: String, value: Vec<u8>) {
        self.host.registry_put_meta(registry, key, value)
    }

    async fn pool_checkout(
        &mut self,
        pool: String,
        block: bool,
        timeout_ms: u32,
    ) -> Result<u64, String> {
        let waiting = self.host.pool_checkout(pool, block, timeout_ms);
        self.wait(waiting).await
    }

    fn pool_checkin(&mut self, pool: String, worker: u64) {
        self.host.pool_checkin(pool, worker)
    }

    async fn pool_transaction(
        &mut self,
        pool: String,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> Result<Vec<u8>, String> {
        let waiting = self.host.pool_transaction(pool, request, timeout_ms);
        self.wait(waiting).await
    }

    async fn task_start_child(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
    ) -> Result<u64, String> {
        let waiting = self.host.task_start_child(sup, plugin, input);
        self.wait(waiting).await
    }

    async fn task_async(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
        link: bool,
    ) -> Result<u64, String> {
        let waiting = self.host.task_async(sup, plugin, input, link);
        self.wait(waiting).await
    }

    async fn task_await(&mut self, task: u64, timeout_ms: u32) -> Result<Vec<u8>, String> {
        let waiting = self.host.task_await(task, timeout_ms);
        self.wait(waiting).await
    }

    async fn start_child(
        &mut self,
        sup: GuestTarget,
        spec: Vec<u8>,
    ) -> Result<Option<u64>, String> {
        let waiting = self.host.start_child(sup, spec);
        self.wait(waiting).await
    }

    async fn terminate_child(&mut self, sup: GuestTarget, child: u64) -> Result<(), String> {
        let waiting = self.host.terminate_child(sup, child);
        self.wait(waiting).await
    }

    async fn which_children(&mut self, sup: GuestTarget) -> Result<Vec<u8>, String> {
        let waiting = self.host.which_children(sup);
        self.wait(waiting).await
    }

    async fn count_children(&mut self, sup: GuestTarget) -> Result<Vec<u8>, String> {
        let waiting = self.host.count_children(sup);
        self.wait(waiting).await
    }
}

impl StoreData {
    /// Wait for another task on the guest's behalf (a reply, a supervisor,
    /// a pool): the wait is not this callback's CPU time.
    async fn wait<F: Future>(&mut self, waiting: F) -> F::Output {
        let started = Instant::now();
        let outcome = waiting.await;
        self.exclude_from_deadline(started.elapsed());
        outcome
    }
}

/// The host side of an instance that is not (yet) a process: the vsn probe,
/// and a fresh instance waiting for a code change, which gets the process's
/// own host side only when the change runs.
pub(crate) struct Detached;

impl HostCalls for Detached {
    fn self_pid(&mut self) -> u64 {
        0
    }
    fn send_after(&mut self, _msg: Vec<u8>, _ms: u32) -> u64 {
        0
    }
    fn cancel_timer(&mut self, _timer: u64) -> bool {
        false
    }
    fn reply(&mut self, _to: Caller, _msg: Vec<u8>) {}
    fn trap_exit(&mut self, _enabled: bool) {}
    fn log(&mut self, _level: LogLevel, _msg: String) {}
    fn config(&mut self, _key: String) -> Option<Vec<u8>> {
        None
    }
    fn whereis(&mut self, _name: String) -> Option<u64> {
        None
    }
    fn send(&mut self, _to: GuestTarget, _msg: Vec<u8>) -> Result<(), GuestCallError> {
        Err(GuestCallError::Noproc)
    }
    fn cast(&mut self, _to: GuestTarget, _msg: Vec<u8>) -> Result<(), GuestCallError> {
        Err(GuestCallError::Noproc)
    }
    fn call(&mut self, _to: GuestTarget, _request: Vec<u8>, _timeout: Timeout) -> PendingCall {
        Box::pin(async { Err(GuestCallError::Noproc) })
    }
    fn monitor(&mut self, _pid: u64) -> u64 {
        0
    }
    fn demonitor(&mut self, _monitor: u64) -> bool {
        false
    }
    fn link(&mut self, _pid: u64) -> Result<(), GuestCallError> {
        Err(GuestCallError::Noproc)
    }
    fn unlink(&mut self, _pid: u64) {}
    fn register(&mut self, _name: String) -> Result<(), String> {
        Err("not a process".into())
    }
    fn unregister(&mut self, _name: String) -> bool {
        false
    }
    fn registry_register(&mut self, _r: String, _k: String, _v: Vec<u8>) -> Result<(), String> {
        Err("not a process".into())
    }
    fn registry_unregister(&mut self, _r: String, _k: String) {}
    fn registry_lookup(&mut self, _r: String, _k: String) -> Vec<(u64, Vec<u8>)> {
        Vec::new()
    }
    fn registry_dispatch(&mut self, _r: String, _k: String, _m: Vec<u8>) -> u32 {
        0
    }
    fn registry_count(&mut self, _r: String) -> u32 {
        0
    }
    fn registry_meta(&mut self, _r: String, _k: String) -> Option<Vec<u8>> {
        None
    }
    fn registry_put_meta(&mut self, _r: String, _k: String, _v: Vec<u8>) {}
    fn pool_checkout(&mut self, _p: String, _b: bool, _t: u32) -> PendingSupervisor<u64> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn pool_checkin(&mut self, _p: String, _w: u64) {}
    fn pool_transaction(&mut self, _p: String, _r: Vec<u8>, _t: u32) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn task_start_child(
        &mut self,
        _s: GuestTarget,
        _p: String,
        _i: Vec<u8>,
    ) -> PendingSupervisor<u64> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn task_async(
        &mut self,
        _s: GuestTarget,
        _p: String,
        _i: Vec<u8>,
        _l: bool,
    ) -> PendingSupervisor<u64> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn task_await(&mut self, _t: u64, _ms: u32) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn start_child(&mut self, _sup: GuestTarget, _spec: Vec<u8>) -> PendingSupervisor<Option<u64>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn terminate_child(&mut self, _sup: GuestTarget, _child: u64) -> PendingSupervisor<()> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn which_children(&mut self, _sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn count_children(&mut self, _sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
}

//! The host imports a guest may call, forwarded to whoever runs the process.
//!
//! The runtime knows nothing of pids, mailboxes or timers: it hands each
//! import to a [`HostCalls`] implementation, which the `process` module
//! provides. This keeps the dependency pointing one way.

use std::future::Future;
use std::pin::Pin;

use super::bindings::overseer::plugin::types;
use crate::sandbox::QuotaExceeded;

pub use types::{CallError as GuestCallError, Caller, LogLevel, Target as GuestTarget, Timeout};

/// What a guest's `call` waits on: the reply, or why there is none. Owns
/// everything it needs, so the Store is free while it waits.
pub type PendingCall = Pin<Box<dyn Future<Output = Result<Vec<u8>, GuestCallError>> + Send>>;

/// What a guest asks of a static supervisor's child, by id (OTP's
/// `terminate_child`, `restart_child`, `delete_child`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildByIdOp {
    /// Stop it, keeping its spec.
    Terminate,
    /// Start it again.
    Restart,
    /// Forget its spec.
    Delete,
}

/// What a guest's supervisor import waits on: the answer, or one line.
pub type PendingSupervisor<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

/// What a process does when its guest calls a host import. One value per
/// process, owned by its Store.
pub trait HostCalls: Send + 'static {
    /// The calling process's pid.
    fn self_pid(&mut self) -> u64;
    /// Deliver `msg` to the process's `handle-info` after `ms` ms. Past the
    /// timers quota the guest traps.
    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> Result<u64, QuotaExceeded>;
    /// Cancel a `send_after` timer; true if it had not fired.
    fn cancel_timer(&mut self, timer: u64) -> bool;
    /// Answer a deferred call. A reply past the reply quota traps.
    fn reply(&mut self, to: Caller, msg: Vec<u8>) -> Result<(), QuotaExceeded>;
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
    /// Monitor `pid`; returns the reference. Past the monitors quota the
    /// guest traps.
    fn monitor(&mut self, pid: u64) -> Result<u64, QuotaExceeded>;
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
    /// Terminate, restart or delete a static supervisor's child by id;
    /// the restarted child's pid.
    fn child_by_id(
        &mut self,
        sup: GuestTarget,
        op: ChildByIdOp,
        id: String,
    ) -> PendingSupervisor<Option<u64>>;
    /// A supervisor's children, as JSON.
    fn which_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>>;
    /// A supervisor's child counts, as JSON.
    fn count_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>>;
    /// A batch of casts moves on to its message `index` (counted from 0;
    /// the first one begins with the callback). Nothing by default.
    fn next_cast(&mut self, index: usize) {
        let _ = index;
    }
}

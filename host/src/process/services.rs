//! What a guest may ask of the floors above the process table: its
//! application's config, registries, pools, supervisors and tasks.
//!
//! A process's host imports are answered on this floor when they concern
//! the process itself (timers, replies, messages, links). The others are
//! forwarded, with the calling pid, to the [`GuestServices`] the host was
//! put together with ([`application::Node`](crate::application::Node)).
//! Errors come back as [`ServiceError`]: the floor that raised it keeps its
//! own typed error inside; this floor only shows it to the guest, as one
//! line.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Pid, Target, TaskOutcome};
use crate::runtime::ChildByIdOp;

/// An error raised above the process table, on a guest's behalf. A typed
/// error inside (downcast to match it); its `Display` is what the guest
/// reads.
pub type ServiceError = Box<dyn std::error::Error + Send + Sync>;

/// What a service import that waits resolves to. Owns everything it needs,
/// so the guest's Store is free while it waits.
pub type ServiceFuture<T> = Pin<Box<dyn Future<Output = Result<T, ServiceError>> + Send>>;

/// The services a host gives its guests, beyond their own process.
pub trait GuestServices: Send + Sync + 'static {
    /// The env value under `key` of application `app` (the asking
    /// process's), as JSON.
    fn config(&self, app: &str, key: &str) -> Option<Vec<u8>>;

    /// Register `pid` under `key` in `registry` with `value` (JSON).
    ///
    /// # Errors
    ///
    /// No such registry, or a unique key a live process holds.
    fn registry_register(
        &self,
        pid: Pid,
        registry: &str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), ServiceError>;
    /// Remove `pid`'s entries under `key` in `registry`.
    fn registry_unregister(&self, pid: Pid, registry: &str, key: &str);
    /// The entries under `key`: (pid, value), oldest first.
    fn registry_lookup(&self, registry: &str, key: &str) -> Vec<(Pid, Vec<u8>)>;
    /// Send `msg` to every process under `key`; how many got it.
    fn registry_dispatch(&self, registry: &str, key: &str, msg: &[u8]) -> usize;
    /// How many entries `registry` holds.
    fn registry_count(&self, registry: &str) -> usize;
    /// The registry's metadata under `key`.
    fn registry_meta(&self, registry: &str, key: &str) -> Option<Vec<u8>>;
    /// Set the registry's metadata under `key`.
    fn registry_put_meta(&self, registry: &str, key: &str, value: Vec<u8>);

    /// Check a worker of `pool` out for `owner`.
    fn pool_checkout(
        &self,
        owner: Pid,
        pool: &str,
        block: bool,
        timeout: Duration,
    ) -> ServiceFuture<Pid>;
    /// Give a worker back to `pool`.
    fn pool_checkin(&self, pool: &str, worker: Pid);
    /// Check a worker out, call it, check it back in.
    fn pool_transaction(
        &self,
        owner: Pid,
        pool: &str,
        request: Vec<u8>,
        timeout: Duration,
    ) -> ServiceFuture<Vec<u8>>;

    /// Start one run of task `plugin` on `input` under supervisor `sup`,
    /// for `caller`. Its outcome goes to `result`, and it is linked to
    /// `link` before it runs.
    fn start_task(
        &self,
        caller: Pid,
        sup: Target,
        plugin: &str,
        input: Vec<u8>,
        result: Option<oneshot::Sender<TaskOutcome>>,
        link: Option<Pid>,
    ) -> ServiceFuture<Pid>;
    /// Start a child under `sup` from a JSON child spec, for `caller`
    /// (who may then stop it, and whose limits cap its own); None if its
    /// init returned ignore.
    fn start_child(&self, caller: Pid, sup: Target, spec: Vec<u8>) -> ServiceFuture<Option<Pid>>;
    /// Stop child `child` of `sup`.
    fn terminate_child(&self, sup: Target, child: Pid) -> ServiceFuture<()>;
    /// Terminate, restart or delete static supervisor `sup`'s child `id`;
    /// the restarted child's pid.
    fn child_by_id(&self, sup: Target, op: ChildByIdOp, id: String) -> ServiceFuture<Option<Pid>>;
    /// `sup`'s children, as JSON.
    fn which_children(&self, sup: Target) -> ServiceFuture<Vec<u8>>;
    /// `sup`'s child counts, as JSON.
    fn count_children(&self, sup: Target) -> ServiceFuture<Vec<u8>>;
}

/// The error of a service import on a host that has no services: a bare
/// process table, as unit tests build.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("this host offers no {0}")]
pub struct NoServices(pub &'static str);

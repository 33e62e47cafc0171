//! How a process (or the control API) reaches a supervisor without knowing
//! the supervisor's types: child specs and answers travel as JSON.
//!
//! The `supervisor` module implements [`SupervisorHandle`] and registers
//! each supervisor with the [`Node`](super::Node), so that a guest's
//! `start-child` import can reach a supervisor that lives a floor above.

use std::future::Future;
use std::pin::Pin;

use std::sync::Arc;

use tokio::sync::oneshot;

use super::{Pid, TaskOutcome};
use crate::runtime::TaskPlugin;

/// What a [`SupervisorHandle`] call returns: the answer, or one line that
/// says why not (`max_children reached (10)`, `no such child: pid 12`).
pub type HandleFuture<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

/// A supervisor's child-management API, in JSON.
pub trait SupervisorHandle: Send + Sync {
    /// Start a child from a JSON child spec (`{"plugin", "args"?, "id"?,
    /// "name"?, "restart"?, "shutdown"?, "limits"?}`). Its pid, or None if
    /// its init returned ignore.
    fn start_child(&self, spec: serde_json::Value) -> HandleFuture<Option<Pid>>;
    /// Stop child `pid` and forget it.
    fn terminate_child(&self, pid: Pid) -> HandleFuture<()>;
    /// `[{"id", "pid", "type", "status", "restarts"}]`, in start order.
    fn which_children(&self) -> HandleFuture<serde_json::Value>;
    /// `{"specs", "active", "supervisors", "workers"}`.
    fn count_children(&self) -> HandleFuture<serde_json::Value>;
    /// Start one run of task `plugin` on `input` as a temporary child
    /// (shutdown 5 s); its outcome goes to `result`, and it is linked to
    /// process `link` before it runs (Elixir's `async`). Its pid.
    fn start_task(
        &self,
        plugin: Arc<TaskPlugin>,
        input: Vec<u8>,
        result: Option<oneshot::Sender<TaskOutcome>>,
        link: Option<Pid>,
    ) -> HandleFuture<Pid>;
}

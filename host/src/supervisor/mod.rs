//! Given this exit, what happens next: restart whom, escalate, or stop?
//!
//! A supervisor starts its children in order, watches them, restarts them
//! by its [`Strategy`] and each child's [`Restart`] type, and stops them in
//! reverse order. It knows nothing about WebAssembly: a child is whatever a
//! [`StartChild`] starts, as in OTP's `{M, F, A}`.
//!
//! # Choosing a strategy
//!
//! - `one_for_one`: children are independent; restart only the one that
//!   exited.
//! - `one_for_all`: children depend on each other; restart all of them.
//! - `rest_for_one`: later children depend on earlier ones; restart the one
//!   that exited and those started after it.
//!
//! # Restart intensity
//!
//! More than `max_restarts` restarts within `max_seconds` (defaults 3 and
//! 5, as in Elixir) and the supervisor stops all its children, newest first,
//! and exits with reason `shutdown`. Its parent then applies the
//! supervisor's own restart type: a permanent child supervisor is restarted
//! (counting against the parent's intensity), a transient one is left down.
//! Failed restart attempts count too.
//!
//! # Shutdown
//!
//! Children stop in reverse start order, each by its [`Shutdown`]:
//! `brutal_kill` kills at once; a time in ms sends a shutdown signal and
//! kills the child if it has not exited by then; `infinity` waits. A worker
//! that traps exits runs its `terminate` on the signal; one that does not
//! ends at once, as in OTP.

mod child;
mod intensity;
mod json_control;
mod spec;
mod static_sup;
mod tree;

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::process::{Event, ExitNotice, ExitReason, ExitSender, Node, Pid};

pub use child::{
    BoxFuture, ChildControl, RunningChild, StartChild, StartContext, Started, TaskStart,
    WorkerStart,
};
pub use intensity::RestartIntensity;
pub use json_control::child_spec_from_json;
pub use spec::{
    ChildSpec, ChildType, DEFAULT_MAX_RESTARTS, DEFAULT_MAX_SECONDS, DEFAULT_WORKER_SHUTDOWN,
    Restart, Shutdown, Strategy, SupervisorFlags, SupervisorSpec,
};
pub use tree::TreeNode;

use static_sup::{Request, Sup};

/// A supervisor could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// A child's start failed; the children started before it were stopped.
    #[error("failed to start child '{id}': {reason}")]
    FailedToStartChild {
        /// The child's id.
        id: String,
        /// Why.
        reason: String,
    },
}

/// A supervisor request that could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("supervisor {0} is not running")]
pub struct NoSupervisor(pub Pid);

/// Why `start_child` or `terminate_child` did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChildError {
    /// The supervisor has `max_children` children already.
    #[error("max_children reached ({0})")]
    MaxChildren(usize),
    /// A static supervisor already has a child with this id.
    #[error("a child with id '{0}' is already present")]
    AlreadyPresent(String),
    /// The child's start failed (its init stopped or crashed…); it is not
    /// kept.
    #[error("failed to start child: {0}")]
    StartFailed(String),
    /// No running child has this pid.
    #[error("no such child: pid {0}")]
    NotFound(Pid),
    /// The supervisor is gone.
    #[error(transparent)]
    NoSupervisor(#[from] NoSupervisor),
}

/// Where a child stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Alive.
    Running,
    /// Its restart failed; the supervisor is trying again.
    Restarting,
    /// It exited and is not restarted (transient after a normal exit), or
    /// the supervisor stopped it.
    Stopped,
    /// Its start returned ignore.
    Undefined,
}

/// One child, as `which_children` reports it.
#[derive(Debug, Clone)]
pub struct ChildInfo {
    /// Its id.
    pub id: String,
    /// Its pid, while it runs.
    pub pid: Option<Pid>,
    /// Where it stands.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub child_type: ChildType,
    /// How many times it has been restarted.
    pub restarts: u32,
    /// The child as a supervisor, if it is a running one.
    pub supervisor: Option<SupervisorRef>,
}

/// `count_children`: OTP's `specs`, `active`, `supervisors`, `workers`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChildCount {
    /// Child specs held.
    pub specs: usize,
    /// Children alive.
    pub active: usize,
    /// Children of type supervisor, alive or not.
    pub supervisors: usize,
    /// Children of type worker, alive or not.
    pub workers: usize,
}

/// A handle to a running supervisor. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SupervisorRef {
    pid: Pid,
    id: String,
    requests: mpsc::UnboundedSender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Request")
    }
}

impl SupervisorRef {
    /// Its pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Request,
    ) -> Result<T, NoSupervisor> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(make(tx))
            .map_err(|_| NoSupervisor(self.pid))?;
        rx.await.map_err(|_| NoSupervisor(self.pid))
    }

    /// The children, in start order.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, NoSupervisor> {
        self.ask(Request::WhichChildren).await
    }

    /// Counts of its children.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn count_children(&self) -> Result<ChildCount, NoSupervisor> {
        self.ask(Request::CountChildren).await
    }

    /// Stop its children in reverse order, then the supervisor itself.
    /// Returns when all have exited.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it had already exited.
    pub async fn shutdown(&self) -> Result<(), NoSupervisor> {
        self.ask(Request::Shutdown).await
    }

    /// Add a child and start it (`DynamicSupervisor.start_child`). Returns
    /// its pid, or None if its init returned ignore. Returns once the
    /// child's init has returned.
    ///
    /// # Errors
    ///
    /// [`ChildError`]: `max_children`, a duplicate id on a static
    /// supervisor, a failed start, or a supervisor that is gone.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        self.ask(|reply| Request::StartChild(spec, reply)).await?
    }

    /// Stop child `pid` as a shutdown would (its `shutdown` time, then a
    /// kill) and forget it (`DynamicSupervisor.terminate_child`).
    ///
    /// # Errors
    ///
    /// [`ChildError::NotFound`] if no running child has this pid.
    pub async fn terminate_child(&self, pid: Pid) -> Result<(), ChildError> {
        self.ask(|reply| Request::TerminateChild(pid, reply))
            .await?
    }

    /// The supervision tree under this supervisor.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn tree(&self, node: &Node) -> Result<TreeNode, NoSupervisor> {
        tree::tree(self, node).await
    }
}

/// Start a supervisor and all its children, in order. Returns once every
/// child has started, or fails if one could not (after stopping the others).
/// When the supervisor exits, `parent_exits` receives a notice; a failed
/// start sends none, as in OTP 26.
///
/// # Errors
///
/// [`StartError::FailedToStartChild`].
pub async fn start_supervisor(
    node: &Node,
    spec: &SupervisorSpec,
    parent_exits: Option<ExitSender>,
) -> Result<(SupervisorRef, AbortHandle), StartError> {
    let pid = node.alloc_pid();
    let (to_self, requests) = mpsc::unbounded_channel();
    let sup_ref = SupervisorRef {
        pid,
        id: spec.id.clone(),
        requests: to_self.clone(),
    };
    let handle = json_control::JsonControl::new(node.clone(), sup_ref.clone(), spec);
    node.register_supervisor(pid, &spec.id, spec.name.as_deref(), Arc::new(handle))
        .map_err(|err| StartError::FailedToStartChild {
            id: spec.id.clone(),
            reason: err.to_string(),
        })?;
    let mut sup = Sup::new(node.clone(), pid, spec, requests, to_self);
    let (ready_tx, ready_rx) = oneshot::channel();
    let guard = SupGuard {
        node: node.clone(),
        pid,
        id: spec.id.clone(),
        parent_exits: None,
        reason: None,
    };
    let task = tokio::spawn(async move {
        let mut guard = guard;
        match sup.start_children().await {
            Ok(()) => {
                guard.parent_exits = parent_exits;
                let _ = ready_tx.send(Ok(()));
            }
            Err(err) => {
                let _ = ready_tx.send(Err(err));
                return;
            }
        }
        guard.reason = Some(sup.run().await);
    });
    let abort = task.abort_handle();
    match ready_rx.await {
        Ok(Ok(())) => {
            node.events().publish(Event::SupervisorStarted {
                pid,
                id: spec.id.clone(),
            });
            Ok((sup_ref, abort))
        }
        Ok(Err(err)) => Err(err),
        Err(_) => Err(StartError::FailedToStartChild {
            id: spec.id.clone(),
            reason: "the supervisor's task ended while starting".into(),
        }),
    }
}

/// Reports a supervisor's exit, however its task ends.
struct SupGuard {
    node: Node,
    pid: Pid,
    id: String,
    parent_exits: Option<ExitSender>,
    reason: Option<ExitReason>,
}

impl Drop for SupGuard {
    fn drop(&mut self) {
        self.node.unregister_supervisor(self.pid);
        let Some(parent) = self.parent_exits.take() else {
            return; // never started: the starter got an error instead
        };
        let reason = self.reason.take().unwrap_or(ExitReason::Killed);
        self.node.events().publish(Event::SupervisorExited {
            pid: self.pid,
            id: self.id.clone(),
            reason: reason.clone(),
        });
        let _ = parent.send(ExitNotice {
            pid: self.pid,
            reason,
        });
    }
}

/// Starts a nested supervisor as a child.
pub struct SupervisorStart {
    node: Node,
    spec: SupervisorSpec,
}

impl SupervisorStart {
    /// A start function for the supervisor `spec` on `node`.
    pub fn new(node: Node, spec: SupervisorSpec) -> Arc<Self> {
        Arc::new(SupervisorStart { node, spec })
    }
}

impl StartChild for SupervisorStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, String>> {
        let node = self.node.clone();
        let spec = self.spec.clone();
        Box::pin(async move {
            let (sup_ref, abort) = start_supervisor(&node, &spec, Some(ctx.exits))
                .await
                .map_err(|e| e.to_string())?;
            Ok(Started::Running(RunningChild {
                pid: sup_ref.pid,
                control: Arc::new(SupervisorControl { sup_ref, abort }),
            }))
        })
    }
}

/// Stops a nested supervisor.
struct SupervisorControl {
    sup_ref: SupervisorRef,
    abort: AbortHandle,
}

impl ChildControl for SupervisorControl {
    fn shutdown(&self, _from: Pid) {
        let (tx, _rx) = oneshot::channel();
        let _ = self.sup_ref.requests.send(Request::Shutdown(tx));
    }

    fn kill(&self) {
        self.abort.abort();
    }

    fn supervisor(&self) -> Option<SupervisorRef> {
        Some(self.sup_ref.clone())
    }
}

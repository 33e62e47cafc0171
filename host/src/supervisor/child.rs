//! How a supervisor starts, stops and kills a child, without knowing what
//! the child is.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::process::{ExitReason, ExitSender, Node, Pid, ProcessSpec, Spawned};

use super::SupervisorRef;

/// A boxed future, as start functions return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a start function is given.
#[derive(Clone)]
pub struct StartContext {
    /// The supervisor starting the child: the child's parent.
    pub parent: Pid,
    /// Where the child must report its exit.
    pub exits: ExitSender,
}

/// A started child: its pid and how to stop it.
#[derive(Clone)]
pub struct RunningChild {
    /// The child's pid.
    pub pid: Pid,
    /// How to stop or kill it.
    pub control: Arc<dyn ChildControl>,
}

/// What a start function returns on success.
pub enum Started {
    /// The child runs.
    Running(RunningChild),
    /// The child chose not to start (`ignore`).
    Ignore,
}

/// Starts a child: OTP's `{M, F, A}`. It must return only once the child
/// has initialised, and arrange for an exit notice on `ctx.exits` when the
/// child exits.
pub trait StartChild: Send + Sync + 'static {
    /// Start one instance of the child. The error is a reason for people.
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, String>>;
}

/// Stops a running child. Both calls return at once; the supervisor then
/// waits for the child's exit notice.
pub trait ChildControl: Send + Sync {
    /// Ask the child to shut down (OTP's `exit(Child, shutdown)`).
    fn shutdown(&self, from: Pid);
    /// End the child now (`exit(Child, kill)`).
    fn kill(&self);
    /// The child as a supervisor, if it is one (for `which_children`
    /// recursion and the tree).
    fn supervisor(&self) -> Option<SupervisorRef> {
        None
    }
}

/// Starts a GenServer process from a [`ProcessSpec`].
pub struct WorkerStart {
    node: Node,
    spec: ProcessSpec,
}

impl WorkerStart {
    /// A start function for `spec` on `node`.
    pub fn new(node: Node, spec: ProcessSpec) -> Arc<Self> {
        Arc::new(WorkerStart { node, spec })
    }
}

impl StartChild for WorkerStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, String>> {
        let node = self.node.clone();
        let spec = self.spec.clone();
        Box::pin(async move {
            match node.spawn(&spec, Some(ctx.parent), vec![ctx.exits]).await {
                Ok(Spawned::Started(pid)) => Ok(Started::Running(RunningChild {
                    pid,
                    control: Arc::new(WorkerControl { node, pid }),
                })),
                Ok(Spawned::Ignored) => Ok(Started::Ignore),
                Err(err) => Err(err.to_string()),
            }
        })
    }
}

/// Stops a GenServer process through the node.
struct WorkerControl {
    node: Node,
    pid: Pid,
}

impl ChildControl for WorkerControl {
    fn shutdown(&self, from: Pid) {
        self.node.exit_signal(self.pid, from, ExitReason::Shutdown);
    }

    fn kill(&self) {
        self.node.kill(self.pid, ExitReason::Killed);
    }
}

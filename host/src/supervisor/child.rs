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

/// Starts one run of a task (Task.Supervisor's children). The first start's
/// outcome goes to whoever awaits it; a restarted task (restart permanent or
/// transient) reports to no one.
pub struct TaskStart {
    node: Node,
    plugin: Arc<crate::runtime::TaskPlugin>,
    input: Vec<u8>,
    result: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<crate::process::TaskOutcome>>>,
    link: Option<Pid>,
}

impl TaskStart {
    /// A start function for `plugin` on `input`, reporting to `result`
    /// (the first run only) and linked to `link`.
    pub fn new(
        node: Node,
        plugin: Arc<crate::runtime::TaskPlugin>,
        input: Vec<u8>,
        result: Option<tokio::sync::oneshot::Sender<crate::process::TaskOutcome>>,
        link: Option<Pid>,
    ) -> Arc<Self> {
        Arc::new(TaskStart {
            node,
            plugin,
            input,
            result: std::sync::Mutex::new(result),
            link,
        })
    }
}

impl StartChild for TaskStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, String>> {
        let result = self.result.lock().unwrap_or_else(|p| p.into_inner()).take();
        let spawned = self.node.spawn_task(
            self.plugin.clone(),
            self.input.clone(),
            Some(ctx.parent),
            vec![ctx.exits],
            result,
            self.link,
        );
        let node = self.node.clone();
        Box::pin(async move {
            let pid = spawned.map_err(|e| e.to_string())?;
            Ok(Started::Running(RunningChild {
                pid,
                control: Arc::new(WorkerControl { node, pid }),
            }))
        })
    }
}

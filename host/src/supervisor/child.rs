//! How a supervisor starts, stops and kills a child, without knowing what
//! the child is: OTP's `{M, F, A}` and the exit signals, as two small
//! traits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::error::StartChildError;
use crate::process::{ExitReason, ExitSender, Pid, Processes};

/// A boxed future, as start functions return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a start function is given.
#[derive(Clone)]
pub struct StartContext {
    /// The supervisor starting the child: the child's parent.
    pub parent: Pid,
    /// Where the child must report its exit.
    pub exits: ExitSender,
    /// The supervisor's extra arguments (a DynamicSupervisor's
    /// `extra_args`), given to every start and restart. The start function
    /// merges them into its own.
    pub extra_args: Option<Arc<[u8]>>,
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
    /// Start one instance of the child.
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>>;
}

/// Stops a running child. Both calls return at once; the supervisor then
/// waits for the child's exit notice.
pub trait ChildControl: Send + Sync {
    /// Ask the child to shut down (OTP's `exit(Child, shutdown)`).
    fn shutdown(&self, from: Pid);
    /// End the child now (`exit(Child, kill)`).
    fn kill(&self);
}

/// Stops a child that is a process in the process table (a GenServer or a
/// task): the shutdown signal, or a kill.
pub struct ProcessControl {
    processes: Processes,
    pid: Pid,
}

impl ProcessControl {
    /// Control of process `pid`.
    pub fn new(processes: Processes, pid: Pid) -> Arc<Self> {
        Arc::new(ProcessControl { processes, pid })
    }
}

impl ChildControl for ProcessControl {
    fn shutdown(&self, from: Pid) {
        self.processes
            .exit_signal(self.pid, from, ExitReason::Shutdown);
    }

    fn kill(&self) {
        self.processes.kill(self.pid, ExitReason::Killed);
    }
}

//! Where a host's supervisors run and are found: starting one on a task of
//! its own, entering it in the process table, and reaching it later by pid
//! or name.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::clock::Clock;
use super::dynamic::DynamicSup;
use super::error::StartError;
use super::handle::{Request, SupervisorKind, SupervisorRef};
use super::machine::{Machine, MachineContext};
use super::pool::{PoolRef, PoolSpec, PoolSup, Pools};
use super::spec::{DynamicSupervisorSpec, SupervisorSpec};
use super::static_sup::StaticSup;
use crate::process::{Event, ExitNotice, ExitReason, ExitSender, Pid, PidMap, Processes, Target};

/// The supervisors and pools of one host, on its process table. Cheap to
/// clone: every clone is the same.
#[derive(Clone)]
pub struct Supervision {
    processes: Processes,
    supervisors: Arc<PidMap<SupervisorRef>>,
    pools: Pools,
    clock: Clock,
    /// The supervisor that starts the next one launched through this
    /// handle, if any (see [`child_of`](Self::child_of)).
    parent: Option<Pid>,
    /// The application a supervisor launched through this handle belongs
    /// to, if not its parent's (see [`in_group`](Self::in_group)).
    group: Option<Arc<str>>,
}

impl Supervision {
    /// No supervisors yet, on `processes`.
    pub fn new(processes: Processes) -> Supervision {
        Supervision::with_clock(processes, Clock::default())
    }

    /// No supervisors yet, on `processes`, counting restart intensity by
    /// `clock` (a manual one in tests).
    pub fn with_clock(processes: Processes, clock: Clock) -> Supervision {
        Supervision {
            processes,
            supervisors: Arc::default(),
            pools: Pools::default(),
            clock,
            parent: None,
            group: None,
        }
    }

    /// This handle, for starting supervisors as children of `parent`:
    /// their entry in the process table names it, so that a process whose
    /// start `parent` awaits cannot wait on `parent` in turn.
    pub fn child_of(&self, parent: Pid) -> Supervision {
        Supervision {
            parent: Some(parent),
            ..self.clone()
        }
    }

    /// This handle, for starting the root supervisor of application
    /// `app`: it and every process below it belong to `app` (OTP's group
    /// leader), which decides whose env their `config` reads.
    pub fn in_group(&self, app: &str) -> Supervision {
        Supervision {
            group: Some(Arc::from(app)),
            ..self.clone()
        }
    }

    /// The process table.
    pub fn processes(&self) -> &Processes {
        &self.processes
    }

    /// The supervisor (or pool) behind `target`, if one is running there.
    pub fn supervisor(&self, target: &Target) -> Option<SupervisorRef> {
        let pid = self.processes.whereis(target)?;
        self.supervisors.get(&pid).map(|s| s.clone())
    }

    /// The pool called `name`, if it runs.
    pub fn pool(&self, name: &str) -> Option<PoolRef> {
        self.pools.get(name)
    }

    /// Start a supervisor and all its children, in order. Returns once
    /// every child has started, or fails if one could not (after stopping
    /// the others). When the supervisor exits, `parent_exits` receives a
    /// notice; a failed start sends none, as in OTP 26.
    ///
    /// # Errors
    ///
    /// [`StartError`]: a child that did not start, or a name that is taken.
    pub async fn start(
        &self,
        spec: &SupervisorSpec,
        parent_exits: Option<ExitSender>,
    ) -> Result<(SupervisorRef, AbortHandle), StartError> {
        let spec = spec.clone();
        self.launch(
            &spec.id,
            spec.name.as_deref(),
            SupervisorKind::Static,
            parent_exits,
            |ctx, pid, requests| StaticSup::new(ctx, pid, &spec, requests),
        )
        .await
    }

    /// Start a DynamicSupervisor, with no children. When it exits,
    /// `parent_exits` receives a notice.
    ///
    /// # Errors
    ///
    /// [`StartError::Name`] if its name is taken.
    pub async fn start_dynamic(
        &self,
        spec: &DynamicSupervisorSpec,
        parent_exits: Option<ExitSender>,
    ) -> Result<(SupervisorRef, AbortHandle), StartError> {
        let spec = spec.clone();
        self.launch(
            &spec.id,
            spec.name.as_deref(),
            SupervisorKind::Dynamic,
            parent_exits,
            |ctx, pid, requests| DynamicSup::new(ctx, pid, &spec, requests),
        )
        .await
    }

    /// Start pool `spec` and its workers. When it exits (told to, or
    /// giving up on its workers), `parent_exits` receives a notice.
    ///
    /// # Errors
    ///
    /// [`StartError`] if a worker does not start (those started are
    /// stopped again).
    pub async fn start_pool(
        &self,
        spec: PoolSpec,
        parent_exits: Option<ExitSender>,
    ) -> Result<(SupervisorRef, AbortHandle), StartError> {
        let name = spec.name.clone();
        let pools = self.pools.clone();
        self.launch(
            &name,
            None,
            SupervisorKind::Pool,
            parent_exits,
            |ctx, pid, requests| PoolSup::new(ctx, pools, pid, spec, requests),
        )
        .await
    }

    /// Run a supervisor's state machine on a task of its own: a fresh pid
    /// entered in the process table (with `name`), the machine's `init`,
    /// then its loop. Returns once `init` is done.
    async fn launch<M: Machine>(
        &self,
        id: &str,
        name: Option<&str>,
        kind: SupervisorKind,
        parent_exits: Option<ExitSender>,
        build: impl FnOnce(MachineContext, Pid, mpsc::UnboundedReceiver<Request>) -> M,
    ) -> Result<(SupervisorRef, AbortHandle), StartError> {
        let pid = self.processes.alloc_pid();
        self.processes
            .enter(pid, id, name, self.parent, self.group.clone())?;
        let (to_sup, requests) = mpsc::unbounded_channel();
        let sup_ref = SupervisorRef::new(pid, id, kind, to_sup);
        self.supervisors.insert(pid, sup_ref.clone());
        let ctx = MachineContext {
            processes: self.processes.clone(),
            clock: self.clock.clone(),
        };
        let mut machine = build(ctx, pid, requests);
        let (ready_tx, ready_rx) = oneshot::channel();
        let guard = LaunchGuard {
            supervision: self.clone(),
            pid,
            id: id.to_string(),
            parent_exits: None,
            reason: None,
        };
        let task = tokio::spawn(async move {
            let mut guard = guard;
            match machine.init().await {
                Ok(()) => {
                    guard.parent_exits = parent_exits;
                    let _ = ready_tx.send(Ok(()));
                }
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return;
                }
            }
            guard.reason = Some(machine.run().await);
        });
        let abort = task.abort_handle();
        match ready_rx.await {
            Ok(Ok(())) => {
                self.processes.started(pid);
                self.processes.events().publish(Event::SupervisorStarted {
                    pid,
                    id: id.to_string(),
                });
                Ok((sup_ref, abort))
            }
            Ok(Err(err)) => Err(err),
            Err(_) => Err(StartError::Aborted),
        }
    }
}

/// Reports a supervisor's exit, however its task ends.
struct LaunchGuard {
    supervision: Supervision,
    pid: Pid,
    id: String,
    parent_exits: Option<ExitSender>,
    reason: Option<ExitReason>,
}

impl Drop for LaunchGuard {
    fn drop(&mut self) {
        let reason = self.reason.take().unwrap_or(ExitReason::Killed);
        self.supervision.supervisors.remove(&self.pid);
        self.supervision.processes.leave(self.pid, &reason);
        let Some(parent) = self.parent_exits.take() else {
            return; // never started: the starter got an error instead
        };
        self.supervision
            .processes
            .events()
            .publish(Event::SupervisorExited {
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

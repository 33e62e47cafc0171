//! Elixir's DynamicSupervisor: children started and stopped at run time,
//! kept by pid, so that an exit, a `terminate_child` or a restart costs the
//! same with ten children or a hundred thousand.
//!
//! Semantics, as in `dynamic_supervisor.ex`:
//!
//! - a child is restarted by its restart type (permanent always, transient
//!   after an abnormal exit, temporary never); one that is not restarted is
//!   **deleted**, whatever its type: nothing is kept for a session that
//!   ended normally;
//! - a restart whose start fails leaves the child `restarting` (it still
//!   counts toward `max_children`) and is tried again through a message to
//!   itself, each attempt counting toward the restart intensity; one whose
//!   start returns ignore deletes the child;
//! - `extra_args` are handed to every start, restarts included;
//! - on shutdown every child is signalled first, then all are waited for.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::child::BoxFuture;
use super::child::{RunningChild, StartContext, Started};
use super::clock::Clock;
use super::error::StartChildError;
use super::error::{ChildError, StartError};
use super::handle::Request;
use super::inbox::{Inbox, Next};
use super::info::{ChildCount, ChildInfo, ChildPage, ChildStatus, Page};
use super::intensity::RestartIntensity;
use super::machine::{Machine, MachineContext};
use super::spec::{ChildSpec, ChildType, DynamicSupervisorSpec, Restart};
use crate::process::{Event, ExitNotice, ExitReason, Pid, Processes};

/// One child. Kept under its pid while it runs, and under its last pid
/// while its restart is being retried.
struct DynChild {
    spec: ChildSpec,
    /// None while restarting.
    running: Option<RunningChild>,
    restarts: u32,
}

impl DynChild {
    fn describe(&self) -> ChildInfo {
        ChildInfo {
            id: self.spec.id.clone(),
            pid: self.running.as_ref().map(|r| r.pid),
            status: if self.running.is_some() {
                ChildStatus::Running
            } else {
                ChildStatus::Restarting
            },
            child_type: self.spec.child_type,
            restarts: self.restarts,
        }
    }
}

/// A DynamicSupervisor's state, owned by its task.
pub(super) struct DynamicSup {
    processes: Processes,
    clock: Clock,
    pid: Pid,
    id: String,
    intensity: RestartIntensity,
    max_children: Option<usize>,
    extra_args: Option<Arc<[u8]>>,
    children: HashMap<Pid, DynChild>,
    /// Exits, requests, and retries of failed restarts by the child's last
    /// pid (Elixir's `{:"$gen_restart", pid}`).
    inbox: Inbox<Pid>,
}

impl Machine for DynamicSup {
    fn init(&mut self) -> BoxFuture<'_, Result<(), StartError>> {
        Box::pin(async { Ok(()) })
    }

    fn run(&mut self) -> BoxFuture<'_, ExitReason> {
        Box::pin(self.serve())
    }
}

impl DynamicSup {
    pub(super) fn new(
        ctx: MachineContext,
        pid: Pid,
        spec: &DynamicSupervisorSpec,
        requests: mpsc::UnboundedReceiver<Request>,
    ) -> Self {
        DynamicSup {
            processes: ctx.processes,
            clock: ctx.clock,
            pid,
            id: spec.id.clone(),
            intensity: RestartIntensity::new(
                spec.max_restarts,
                Duration::from_secs(u64::from(spec.max_seconds)),
            ),
            max_children: spec.max_children,
            extra_args: spec.extra_args.clone(),
            children: HashMap::new(),
            inbox: Inbox::new(requests),
        }
    }

    // ===== The loop =====

    async fn serve(&mut self) -> ExitReason {
        loop {
            let outcome = match self.inbox.next().await {
                Some(Next::Exit(notice)) => self.child_exited(notice).await,
                Some(Next::Request(Request::Shutdown(done))) => {
                    self.terminate_all().await;
                    let _ = done.send(());
                    return ExitReason::Shutdown;
                }
                Some(Next::Request(request)) => {
                    self.answer(request).await;
                    Ok(())
                }
                Some(Next::Retry(pid)) => self.retry(pid).await,
                None => return ExitReason::Shutdown,
            };
            if let Err(reason) = outcome {
                return reason;
            }
        }
    }

    async fn answer(&mut self, request: Request) {
        match request {
            Request::WhichChildren(page, tx) => {
                let _ = tx.send(self.which_children(page));
            }
            Request::CountChildren(tx) => {
                let _ = tx.send(self.count_children());
            }
            Request::Intensity(tx) => {
                let _ = tx.send(self.intensity.fill(self.clock.now()));
            }
            Request::ChildOf(pid, tx) => {
                let child = self
                    .children
                    .get(&pid)
                    .filter(|c| c.running.is_some())
                    .map(DynChild::describe);
                let _ = tx.send(child);
            }
            Request::StartChild(spec, reply) => {
                let _ = reply.send(self.start_child(spec).await);
            }
            Request::TerminateChild(pid, reply) => {
                let _ = reply.send(self.terminate_child(pid).await);
            }
            Request::ById(_, _, reply) => {
                let _ = reply.send(Err(ChildError::NotSupported(
                    "a DynamicSupervisor's children have no ids: name them by pid",
                )));
            }
            Request::ChangeSpec(_, reply) => {
                let _ = reply.send(Err(ChildError::NotSupported(
                    "a DynamicSupervisor has no list of children to change",
                )));
            }
            Request::Shutdown(done) => {
                let _ = done.send(());
            }
        }
    }

    // ===== Start =====

    async fn start(&self, spec: &ChildSpec) -> Result<Started, StartChildError> {
        let ctx = StartContext {
            parent: self.pid,
            exits: self.inbox.exits.sender(),
            extra_args: self.extra_args.clone(),
        };
        spec.start.start(ctx).await
    }

    /// `DynamicSupervisor.start_child`: its pid, or None on ignore (nothing
    /// is kept).
    async fn start_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        if let Some(max) = self.max_children
            && self.children.len() >= max
        {
            return Err(ChildError::MaxChildren(max));
        }
        match self.start(&spec).await.map_err(ChildError::StartFailed)? {
            Started::Running(running) => {
                let pid = running.pid;
                self.children.insert(
                    pid,
                    DynChild {
                        spec,
                        running: Some(running),
                        restarts: 0,
                    },
                );
                Ok(Some(pid))
            }
            Started::Ignore => Ok(None),
        }
    }

    // ===== Stop =====

    /// `DynamicSupervisor.terminate_child`: stop it by its shutdown, and
    /// forget it. A child whose restart is being retried is forgotten at
    /// once.
    async fn terminate_child(&mut self, pid: Pid) -> Result<(), ChildError> {
        let child = self
            .children
            .remove(&pid)
            .ok_or(ChildError::NotFound(pid))?;
        if let Some(running) = &child.running {
            self.inbox
                .exits
                .shutdown(running, child.spec.shutdown, self.pid)
                .await;
        }
        Ok(())
    }

    /// Stop every child at once and wait for them all.
    async fn terminate_all(&mut self) {
        let running: Vec<_> = self
            .children
            .drain()
            .filter_map(|(_, c)| Some((c.running?, c.spec.shutdown)))
            .collect();
        self.inbox.exits.shutdown_all(running, self.pid).await;
    }

    // ===== Restart =====

    async fn child_exited(&mut self, notice: ExitNotice) -> Result<(), ExitReason> {
        let Some(child) = self.children.get_mut(&notice.pid) else {
            return Ok(()); // terminated meanwhile, or a stale notice
        };
        if child.running.as_ref().is_none_or(|r| r.pid != notice.pid) {
            return Ok(());
        }
        let must_restart = match child.spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !notice.reason.is_normal(),
            Restart::Temporary => false,
        };
        if !must_restart {
            self.children.remove(&notice.pid);
            return Ok(());
        }
        child.running = None;
        self.restart(notice.pid).await
    }

    /// Count one restart of the child kept under `old`, then start it.
    async fn restart(&mut self, old: Pid) -> Result<(), ExitReason> {
        if !self.intensity.add_restart(self.clock.now()) {
            let child = self
                .children
                .remove(&old)
                .map(|c| c.spec.id)
                .unwrap_or_default();
            self.processes
                .events()
                .publish(Event::RestartIntensityReached {
                    supervisor: self.id.clone(),
                    child,
                });
            self.terminate_all().await;
            return Err(ExitReason::Shutdown);
        }
        let Some(child) = self.children.get(&old) else {
            return Ok(());
        };
        let started = self.start(&child.spec).await;
        let events = self.processes.events().clone();
        let id = child.spec.id.clone();
        match started {
            Ok(Started::Running(running)) => {
                let Some(mut child) = self.children.remove(&old) else {
                    return Ok(());
                };
                let new_pid = running.pid;
                child.running = Some(running);
                child.restarts += 1;
                self.children.insert(new_pid, child);
                events.publish(Event::ChildRestarted {
                    supervisor: self.id.clone(),
                    id,
                    plugin: self.processes.plugin_of(new_pid),
                    old_pid: Some(old),
                    new_pid: Some(new_pid),
                });
            }
            Ok(Started::Ignore) => {
                self.children.remove(&old);
                events.publish(Event::ChildRestarted {
                    supervisor: self.id.clone(),
                    id,
                    plugin: String::new(),
                    old_pid: Some(old),
                    new_pid: None,
                });
            }
            Err(reason) => {
                events.publish(Event::ChildStartFailed {
                    supervisor: self.id.clone(),
                    id,
                    reason: reason.to_string(),
                });
                self.inbox.retry_later(old);
            }
        }
        Ok(())
    }

    /// A retry of a failed restart, unless the child was terminated
    /// meanwhile.
    async fn retry(&mut self, old: Pid) -> Result<(), ExitReason> {
        match self.children.get(&old) {
            Some(child) if child.running.is_none() => self.restart(old).await,
            _ => Ok(()),
        }
    }

    // ===== The child table =====

    fn which_children(&self, page: Page) -> ChildPage {
        // Restarting children (no pid) first, then by pid.
        let keys = self
            .children
            .iter()
            .map(|(pid, c)| (c.running.is_some(), *pid))
            .collect();
        let (keys, total) = page.of_sorted(keys);
        let children = keys
            .iter()
            .filter_map(|(_, pid)| self.children.get(pid))
            .map(DynChild::describe)
            .collect();
        ChildPage { children, total }
    }

    fn count_children(&self) -> ChildCount {
        let mut count = ChildCount {
            specs: self.children.len(),
            ..ChildCount::default()
        };
        for child in self.children.values() {
            if child.running.is_some() {
                count.active += 1;
            }
            match child.spec.child_type {
                ChildType::Worker => count.workers += 1,
                ChildType::Supervisor => count.supervisors += 1,
            }
        }
        count
    }
}

impl Drop for DynamicSup {
    /// Killed, it takes its children with it.
    fn drop(&mut self) {
        for child in self.children.values() {
            if let Some(running) = &child.running {
                running.control.kill();
            }
        }
    }
}

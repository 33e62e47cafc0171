//! The supervisor state machine, laid out like supervisor.erl: the loop and
//! its requests, then start, restart, shutdown, and the child table.
//! Changes of its own spec (`overseer apply`) are in `change.rs`.

mod change;

use std::time::Duration;

use tokio::sync::mpsc;

use super::child::BoxFuture;
use super::child::{RunningChild, StartContext, Started};
use super::clock::Clock;
use super::error::StartChildError;
use super::error::{ChildError, StartError};
use super::handle::{ById, Request};
use super::inbox::{Inbox, Next};
use super::info::{ChildCount, ChildInfo, ChildPage, ChildStatus, Page};
use super::intensity::RestartIntensity;
use super::machine::{Machine, MachineContext};
use super::spec::{ChildSpec, ChildType, Restart, Strategy, SupervisorSpec};
use crate::process::{Event, ExitNotice, ExitReason, Pid, Processes};

/// One row of the child table.
struct Child {
    /// Names the row for retries, whatever its index or pid.
    key: u64,
    spec: ChildSpec,
    running: Option<RunningChild>,
    status: ChildStatus,
    restarts: u32,
}

/// A supervisor's state, owned by its task.
pub(super) struct StaticSup {
    processes: Processes,
    clock: Clock,
    pid: Pid,
    id: String,
    strategy: Strategy,
    intensity: RestartIntensity,
    children: Vec<Child>,
    next_key: u64,
    /// Exits, requests, and retries of failed restarts by child key.
    inbox: Inbox<u64>,
}

impl Machine for StaticSup {
    fn init(&mut self) -> BoxFuture<'_, Result<(), StartError>> {
        Box::pin(self.start_children())
    }

    fn run(&mut self) -> BoxFuture<'_, ExitReason> {
        Box::pin(self.serve())
    }
}

impl StaticSup {
    pub(super) fn new(
        ctx: MachineContext,
        pid: Pid,
        spec: &SupervisorSpec,
        requests: mpsc::UnboundedReceiver<Request>,
    ) -> Self {
        let mut sup = StaticSup {
            processes: ctx.processes,
            clock: ctx.clock,
            pid,
            id: spec.id.clone(),
            strategy: spec.flags.strategy,
            intensity: RestartIntensity::new(
                spec.flags.max_restarts,
                Duration::from_secs(u64::from(spec.flags.max_seconds)),
            ),
            children: Vec::with_capacity(spec.children.len()),
            next_key: 0,
            inbox: Inbox::new(requests),
        };
        for child in &spec.children {
            sup.push(child.clone());
        }
        sup
    }

    // ===== The loop =====

    /// Serve until told to shut down or until restart intensity is
    /// exceeded; returns the supervisor's exit reason (always `shutdown`).
    async fn serve(&mut self) -> ExitReason {
        loop {
            let outcome = match self.inbox.next().await {
                Some(Next::Exit(notice)) => self.child_exited(notice).await,
                Some(Next::Request(Request::Shutdown(done))) => {
                    self.terminate_from(0).await;
                    let _ = done.send(());
                    return ExitReason::Shutdown;
                }
                Some(Next::Request(request)) => {
                    self.answer(request).await;
                    Ok(())
                }
                Some(Next::Retry(key)) => self.retry(key).await,
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
                let child = self.position_of(pid).map(|i| self.describe(i));
                let _ = tx.send(child);
            }
            Request::StartChild(spec, reply) => {
                let _ = reply.send(self.add_child(spec).await);
            }
            Request::TerminateChild(pid, reply) => {
                let _ = reply.send(self.terminate_child(pid).await);
            }
            Request::ById(what, id, reply) => {
                let _ = reply.send(self.by_id(what, &id).await);
            }
            Request::ChangeSpec(change, reply) => {
                let _ = reply.send(self.change_spec(change).await);
            }
            Request::Shutdown(done) => {
                // Handled by the loop; answered here only to be exhaustive.
                let _ = done.send(());
            }
        }
    }

    // ===== Start =====

    /// Start every child in order. If one fails, stop those already started
    /// (in reverse) and fail: OTP's `{shutdown, {failed_to_start_child, Id,
    /// Reason}}`.
    async fn start_children(&mut self) -> Result<(), StartError> {
        let mut i = 0;
        while i < self.children.len() {
            match self.start_child(i).await {
                Ok(false) => {
                    self.children.remove(i);
                }
                Ok(true) => i += 1,
                Err(reason) => {
                    let id = self.children[i].spec.id.clone();
                    self.terminate_from(0).await;
                    return Err(StartError::FailedToStartChild {
                        id,
                        reason: Box::new(reason),
                    });
                }
            }
        }
        Ok(())
    }

    /// Start child `i`. Ok(false): an ignored temporary child, for the
    /// caller to remove (OTP drops it; a permanent or transient one that
    /// returned ignore is kept, undefined).
    async fn start_child(&mut self, i: usize) -> Result<bool, StartChildError> {
        let ctx = StartContext {
            parent: self.pid,
            exits: self.inbox.exits.sender(),
            extra_args: None,
        };
        let started = self.children[i].spec.start.start(ctx).await?;
        let child = &mut self.children[i];
        match started {
            Started::Running(running) => {
                child.running = Some(running);
                child.status = ChildStatus::Running;
                Ok(true)
            }
            Started::Ignore => {
                child.status = ChildStatus::Undefined;
                Ok(child.spec.restart != Restart::Temporary)
            }
        }
    }

    // ===== Children added and removed at run time =====

    /// `start_child`: add `spec` and start it. A child that fails to start
    /// is not kept; one that returns ignore is kept as undefined unless it
    /// is temporary, as OTP does.
    async fn add_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        if let Some(i) = self.index_of(&spec.id) {
            return Err(match self.children[i].running.as_ref() {
                Some(running) => ChildError::AlreadyStarted {
                    id: spec.id,
                    pid: running.pid,
                },
                None => ChildError::AlreadyPresent(spec.id),
            });
        }
        self.push(spec);
        let i = self.children.len() - 1;
        self.start_kept(i).await.inspect_err(|_| {
            self.children.remove(i);
        })
    }

    /// `terminate_child`: stop it as a shutdown would. A permanent or
    /// transient child's spec is kept, stopped; a temporary one is
    /// forgotten.
    async fn terminate_child(&mut self, pid: Pid) -> Result<(), ChildError> {
        let j = self.position_of(pid).ok_or(ChildError::NotFound(pid))?;
        self.shutdown_child(j).await;
        if self.children[j].spec.restart == Restart::Temporary {
            self.children.remove(j);
        }
        Ok(())
    }

    /// `terminate_child`, `restart_child` and `delete_child` by id, with
    /// OTP's answers.
    async fn by_id(&mut self, what: ById, id: &str) -> Result<Option<Pid>, ChildError> {
        let j = self
            .index_of(id)
            .ok_or_else(|| ChildError::NoSuchId(id.to_string()))?;
        if what == ById::Terminate {
            self.shutdown_child(j).await;
            if self.children[j].spec.restart == Restart::Temporary {
                self.children.remove(j);
            }
            return Ok(None);
        }
        if self.children[j].running.is_some() {
            return Err(ChildError::Running(id.to_string()));
        }
        if self.children[j].status == ChildStatus::Restarting {
            return Err(ChildError::Restarting(id.to_string()));
        }
        if what == ById::Delete {
            self.children.remove(j);
            return Ok(None);
        }
        self.start_kept(j).await
    }

    // ===== Restart =====

    /// A child exited: restart whom the strategy says, or give up.
    async fn child_exited(&mut self, notice: ExitNotice) -> Result<(), ExitReason> {
        let Some(i) = self.position_of(notice.pid) else {
            return Ok(()); // a child we already stopped, or a stale notice
        };
        self.children[i].running = None;
        let must_restart = match self.children[i].spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !notice.reason.is_normal(),
            Restart::Temporary => false,
        };
        if !must_restart {
            if self.children[i].spec.restart == Restart::Temporary {
                self.children.remove(i);
            } else {
                self.children[i].status = ChildStatus::Stopped;
            }
            return Ok(());
        }
        self.children[i].status = ChildStatus::Restarting;
        self.restart(i, Some(notice.pid)).await
    }

    /// Count one restart, then restart around child `i` per the strategy.
    async fn restart(&mut self, i: usize, old_pid: Option<Pid>) -> Result<(), ExitReason> {
        if !self.intensity.add_restart(self.clock.now()) {
            self.processes
                .events()
                .publish(Event::RestartIntensityReached {
                    supervisor: self.id.clone(),
                    child: self.children[i].spec.id.clone(),
                });
            if self.children[i].spec.restart == Restart::Temporary {
                self.children.remove(i);
            } else {
                self.children[i].status = ChildStatus::Stopped;
            }
            self.terminate_from(0).await;
            return Err(ExitReason::Shutdown);
        }
        let cause = self.children[i].key;
        // Stop the rest of the group, newest first. Temporary bystanders
        // are forgotten; the rows before `first` stay where they are.
        let first = match self.strategy {
            Strategy::OneForOne => i,
            Strategy::OneForAll => {
                self.terminate_from(0).await;
                0
            }
            Strategy::RestForOne => {
                self.terminate_from(i + 1).await;
                i
            }
        };
        let last = match self.strategy {
            Strategy::OneForOne => i + 1,
            Strategy::OneForAll | Strategy::RestForOne => usize::MAX,
        };
        self.start_group(first, last, cause, old_pid).await;
        Ok(())
    }

    /// Start every child in `first..last` that is not running, in order. On
    /// a failure, mark that child restarting and retry it later.
    async fn start_group(&mut self, first: usize, last: usize, cause: u64, old_pid: Option<Pid>) {
        let mut j = first;
        while j < last.min(self.children.len()) {
            if self.children[j].running.is_some() {
                j += 1;
                continue;
            }
            let id = self.children[j].spec.id.clone();
            let key = self.children[j].key;
            match self.start_child(j).await {
                Ok(keep) => {
                    let child = &mut self.children[j];
                    child.restarts += 1;
                    let new_pid = child.running.as_ref().map(|r| r.pid);
                    self.processes.events().publish(Event::ChildRestarted {
                        supervisor: self.id.clone(),
                        id,
                        plugin: new_pid
                            .map(|pid| self.processes.plugin_of(pid))
                            .unwrap_or_default(),
                        old_pid: if key == cause { old_pid } else { None },
                        new_pid,
                    });
                    if !keep {
                        self.children.remove(j);
                        continue;
                    }
                    j += 1;
                }
                Err(reason) => {
                    self.processes.events().publish(Event::ChildStartFailed {
                        supervisor: self.id.clone(),
                        id,
                        reason: reason.to_string(),
                    });
                    self.children[j].status = ChildStatus::Restarting;
                    self.inbox.retry_later(key);
                    return;
                }
            }
        }
    }

    /// Try again to start a child whose restart failed; each attempt counts
    /// toward the restart intensity.
    async fn retry(&mut self, key: u64) -> Result<(), ExitReason> {
        match self.children.iter().position(|c| c.key == key) {
            Some(i) if self.children[i].status == ChildStatus::Restarting => {
                self.restart(i, None).await
            }
            _ => Ok(()), // stopped or restarted meanwhile
        }
    }

    // ===== Shutdown =====

    /// Stop children `first..`, newest first; temporary ones are forgotten.
    async fn terminate_from(&mut self, first: usize) {
        for j in (first..self.children.len()).rev() {
            self.shutdown_child(j).await;
        }
        let mut j = first;
        while j < self.children.len() {
            if self.children[j].spec.restart == Restart::Temporary
                && self.children[j].running.is_none()
            {
                self.children.remove(j);
            } else {
                j += 1;
            }
        }
    }

    /// Stop child `j`, if it runs, and wait for it.
    async fn shutdown_child(&mut self, j: usize) {
        let child = &mut self.children[j];
        if child.status == ChildStatus::Restarting {
            child.status = ChildStatus::Stopped;
        }
        let Some(running) = child.running.take() else {
            return;
        };
        child.status = ChildStatus::Stopped;
        let shutdown = child.spec.shutdown;
        self.inbox
            .exits
            .shutdown(&running, shutdown, self.pid)
            .await;
    }

    // ===== The child table =====

    fn push(&mut self, spec: ChildSpec) {
        let row = self.row(spec);
        self.children.push(row);
    }

    fn position_of(&self, pid: Pid) -> Option<usize> {
        self.children
            .iter()
            .position(|c| c.running.as_ref().is_some_and(|r| r.pid == pid))
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.spec.id == id)
    }

    fn describe(&self, index: usize) -> ChildInfo {
        let c = &self.children[index];
        ChildInfo {
            id: c.spec.id.clone(),
            pid: c.running.as_ref().map(|r| r.pid),
            status: c.status,
            child_type: c.spec.child_type,
            restarts: c.restarts,
        }
    }

    fn which_children(&self, page: Page) -> ChildPage {
        let children = page
            .range(self.children.len())
            .map(|i| self.describe(i))
            .collect();
        ChildPage {
            children,
            total: self.children.len(),
        }
    }

    fn count_children(&self) -> ChildCount {
        let mut count = ChildCount {
            specs: self.children.len(),
            ..ChildCount::default()
        };
        for child in &self.children {
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

impl Drop for StaticSup {
    /// A supervisor that is killed takes its children with it, as links do
    /// in OTP. After a clean shutdown there is nothing left to kill.
    fn drop(&mut self) {
        for child in &self.children {
            if let Some(running) = &child.running {
                running.control.kill();
            }
        }
    }
}

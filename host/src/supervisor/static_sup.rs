//! The supervisor state machine, laid out like supervisor.erl: requests,
//! then start, restart, shutdown, and the child table.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::child::{RunningChild, StartContext, Started};
use super::intensity::RestartIntensity;
use super::spec::{ChildSpec, ChildType, Restart, Shutdown, Strategy, SupervisorSpec};
use super::{ChildCount, ChildError, ChildInfo, ChildStatus, StartError};
use crate::process::{Event, ExitNotice, ExitReason, ExitSender, Node, Pid};

/// What a supervisor's task is asked to do.
pub(crate) enum Request {
    WhichChildren(oneshot::Sender<Vec<ChildInfo>>),
    CountChildren(oneshot::Sender<ChildCount>),
    /// Stop all children in reverse order, then exit with `shutdown`.
    Shutdown(oneshot::Sender<()>),
    /// Sent to itself: try again to start a child whose restart failed, so
    /// that the supervisor stays responsive between attempts.
    Retry(String),
    /// Add a child and start it.
    StartChild(ChildSpec, oneshot::Sender<Result<Option<Pid>, ChildError>>),
    /// Stop a child and forget it.
    TerminateChild(Pid, oneshot::Sender<Result<(), ChildError>>),
}

/// One row of the child table.
struct Child {
    spec: ChildSpec,
    running: Option<RunningChild>,
    status: ChildStatus,
    restarts: u32,
}

/// A supervisor's state, owned by its task.
pub(crate) struct Sup {
    node: Node,
    pid: Pid,
    id: String,
    strategy: Strategy,
    intensity: RestartIntensity,
    max_children: Option<usize>,
    dynamic: bool,
    children: Vec<Child>,
    exits_tx: ExitSender,
    exits_rx: mpsc::UnboundedReceiver<ExitNotice>,
    requests: mpsc::UnboundedReceiver<Request>,
    to_self: mpsc::UnboundedSender<Request>,
    /// Exit notices read while waiting for another child's.
    stash: VecDeque<ExitNotice>,
}

impl Sup {
    pub(crate) fn new(
        node: Node,
        pid: Pid,
        spec: &SupervisorSpec,
        requests: mpsc::UnboundedReceiver<Request>,
        to_self: mpsc::UnboundedSender<Request>,
    ) -> Self {
        let (exits_tx, exits_rx) = mpsc::unbounded_channel();
        Sup {
            node,
            pid,
            id: spec.id.clone(),
            strategy: if spec.dynamic {
                Strategy::OneForOne
            } else {
                spec.flags.strategy
            },
            max_children: spec.flags.max_children,
            dynamic: spec.dynamic,
            intensity: RestartIntensity::new(
                spec.flags.max_restarts,
                Duration::from_secs(u64::from(spec.flags.max_seconds)),
            ),
            children: spec
                .children
                .iter()
                .map(|spec| Child {
                    spec: spec.clone(),
                    running: None,
                    status: ChildStatus::Undefined,
                    restarts: 0,
                })
                .collect(),
            exits_tx,
            exits_rx,
            requests,
            to_self,
            stash: VecDeque::new(),
        }
    }

    // ===== The loop =====

    /// Serve until told to shut down or until restart intensity is
    /// exceeded; returns the supervisor's exit reason (always `shutdown`).
    pub(crate) async fn run(&mut self) -> ExitReason {
        loop {
            let notice = match self.stash.pop_front() {
                Some(notice) => Some(notice),
                // Exits first, so that a burst of requests cannot hold up
                // a restart.
                None => tokio::select! {
                    biased;
                    Some(notice) = self.exits_rx.recv() => Some(notice),
                    Some(request) = self.requests.recv() => {
                        match request {
                            Request::Shutdown(done) => {
                                self.terminate_all().await;
                                let _ = done.send(());
                                return ExitReason::Shutdown;
                            }
                            Request::WhichChildren(tx) => {
                                let _ = tx.send(self.which_children());
                            }
                            Request::CountChildren(tx) => {
                                let _ = tx.send(self.count_children());
                            }
                            Request::Retry(id) => {
                                if let Err(reason) = self.retry(&id).await {
                                    return reason;
                                }
                            }
                            Request::StartChild(spec, reply) => {
                                let _ = reply.send(self.add_child(spec).await);
                            }
                            Request::TerminateChild(pid, reply) => {
                                let _ = reply.send(self.terminate_child(pid).await);
                            }
                        }
                        None
                    }
                },
            };
            if let Some(notice) = notice
                && let Err(reason) = self.child_exited(notice).await
            {
                return reason;
            }
        }
    }

    // ===== Start =====

    /// Start every child in order. If one fails, stop those already started
    /// (in reverse) and fail: OTP's `{shutdown, {failed_to_start_child, Id,
    /// Reason}}`.
    pub(crate) async fn start_children(&mut self) -> Result<(), StartError> {
        let mut i = 0;
        while i < self.children.len() {
            match self.start_child(i).await {
                Ok(false) => {
                    self.children.remove(i);
                }
                Ok(true) => i += 1,
                Err(reason) => {
                    let id = self.children[i].spec.id.clone();
                    self.terminate_all().await;
                    return Err(StartError::FailedToStartChild { id, reason });
                }
            }
        }
        Ok(())
    }

    /// Start child `i`. Ok(false): an ignored temporary child, for the
    /// caller to remove.
    async fn start_child(&mut self, i: usize) -> Result<bool, String> {
        let ctx = StartContext {
            parent: self.pid,
            exits: self.exits_tx.clone(),
        };
        let started = self.children[i].spec.start.start(ctx).await;
        let child = &mut self.children[i];
        match started {
            Ok(Started::Running(running)) => {
                child.running = Some(running);
                child.status = ChildStatus::Running;
                Ok(true)
            }
            Ok(Started::Ignore) => {
                child.status = ChildStatus::Undefined;
                Ok(child.spec.restart != Restart::Temporary)
            }
            Err(reason) => Err(reason),
        }
    }

    // ===== Children added and removed at run time =====

    /// `start_child`: add `spec` and start it. A child that fails to start
    /// or returns ignore is not kept (a static supervisor keeps an ignored
    /// non-temporary child as undefined, as OTP does).
    async fn add_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        if let Some(max) = self.max_children
            && self.children.len() >= max
        {
            return Err(ChildError::MaxChildren(max));
        }
        if !self.dynamic && self.index_of(&spec.id).is_some() {
            return Err(ChildError::AlreadyPresent(spec.id));
        }
        self.children.push(Child {
            spec,
            running: None,
            status: ChildStatus::Undefined,
            restarts: 0,
        });
        let i = self.children.len() - 1;
        match self.start_child(i).await {
            Ok(keep) => {
                let pid = self.children[i].running.as_ref().map(|r| r.pid);
                if pid.is_none() && (!keep || self.dynamic) {
                    self.children.remove(i);
                }
                Ok(pid)
            }
            Err(reason) => {
                self.children.remove(i);
                Err(ChildError::StartFailed(reason))
            }
        }
    }

    /// `terminate_child(pid)`: stop it as a shutdown would, and forget it
    /// (a static supervisor keeps a non-temporary child's spec, stopped).
    async fn terminate_child(&mut self, pid: Pid) -> Result<(), ChildError> {
        let j = self.position_of(pid).ok_or(ChildError::NotFound(pid))?;
        self.shutdown_child(j).await;
        if self.dynamic || self.children[j].spec.restart == Restart::Temporary {
            self.children.remove(j);
        }
        Ok(())
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
        if !self.intensity.add_restart(Instant::now()) {
            let child = self.children[i].spec.id.clone();
            self.node.events().publish(Event::RestartIntensityReached {
                supervisor: self.id.clone(),
                child,
            });
            self.children[i].status = ChildStatus::Stopped;
            self.terminate_all().await;
            return Err(ExitReason::Shutdown);
        }
        let id = self.children[i].spec.id.clone();
        let (first, last) = match self.strategy {
            Strategy::OneForOne => (i, i + 1),
            Strategy::OneForAll => {
                self.terminate_from(0).await;
                (0, usize::MAX)
            }
            Strategy::RestForOne => {
                // Only temporary children after `i` are removed: `i` stays.
                self.terminate_from(i + 1).await;
                (i, usize::MAX)
            }
        };
        self.start_group(first, last, &id, old_pid).await;
        Ok(())
    }

    /// Start every child in `first..last` that is not running, in order. On
    /// a failure, mark that child restarting and retry it later.
    async fn start_group(&mut self, first: usize, last: usize, cause: &str, old_pid: Option<Pid>) {
        {
            let mut j = first;
            while j < last.min(self.children.len()) {
                if self.children[j].running.is_some() {
                    j += 1;
                    continue;
                }
                let id = self.children[j].spec.id.clone();
                match self.start_child(j).await {
                    Ok(keep) => {
                        let child = &mut self.children[j];
                        child.restarts += 1;
                        let new_pid = child.running.as_ref().map(|r| r.pid);
                        self.node.events().publish(Event::ChildRestarted {
                            supervisor: self.id.clone(),
                            id: id.clone(),
                            old_pid: if id == cause { old_pid } else { None },
                            new_pid,
                        });
                        if !keep {
                            self.children.remove(j);
                            continue;
                        }
                        j += 1;
                    }
                    Err(reason) => {
                        self.node.events().publish(Event::ChildStartFailed {
                            supervisor: self.id.clone(),
                            id: id.clone(),
                            reason,
                        });
                        self.children[j].status = ChildStatus::Restarting;
                        let _ = self.to_self.send(Request::Retry(id));
                        return;
                    }
                }
            }
        }
    }

    /// Try again to start a child whose restart failed; each attempt counts
    /// toward the restart intensity.
    async fn retry(&mut self, id: &str) -> Result<(), ExitReason> {
        match self.index_of(id) {
            Some(i) if self.children[i].status == ChildStatus::Restarting => {
                self.restart(i, None).await
            }
            _ => Ok(()), // stopped or restarted meanwhile
        }
    }

    // ===== Shutdown =====

    /// Stop every child, newest first.
    async fn terminate_all(&mut self) {
        self.terminate_from(0).await;
    }

    /// Stop children `first..` newest first; temporary ones are forgotten.
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

    /// OTP's `shutdown/1`: signal, wait up to the shutdown time, then kill.
    async fn shutdown_child(&mut self, j: usize) {
        let Some(running) = self.children[j].running.take() else {
            return;
        };
        let status = &mut self.children[j].status;
        if *status == ChildStatus::Running {
            *status = ChildStatus::Stopped;
        }
        match self.children[j].spec.shutdown {
            Shutdown::BrutalKill => {
                running.control.kill();
                self.await_exit(running.pid, None).await;
            }
            Shutdown::Timeout(limit) => {
                running.control.shutdown(self.pid);
                if self.await_exit(running.pid, Some(limit)).await.is_none() {
                    running.control.kill();
                    self.await_exit(running.pid, None).await;
                }
            }
            Shutdown::Infinity => {
                running.control.shutdown(self.pid);
                self.await_exit(running.pid, None).await;
            }
        }
    }

    /// Wait for `pid`'s exit notice, keeping others for later. None if
    /// `limit` passed first.
    async fn await_exit(&mut self, pid: Pid, limit: Option<Duration>) -> Option<ExitReason> {
        if let Some(k) = self.stash.iter().position(|n| n.pid == pid) {
            return self.stash.remove(k).map(|n| n.reason);
        }
        let deadline = limit.map(|l| tokio::time::Instant::now() + l);
        loop {
            let notice = match deadline {
                None => self.exits_rx.recv().await,
                Some(at) => tokio::time::timeout_at(at, self.exits_rx.recv())
                    .await
                    .ok()?,
            };
            // exits_rx cannot close: this supervisor holds a sender.
            let notice = notice?;
            if notice.pid == pid {
                return Some(notice.reason);
            }
            self.stash.push_back(notice);
        }
    }

    // ===== The child table =====

    fn position_of(&self, pid: Pid) -> Option<usize> {
        self.children
            .iter()
            .position(|c| c.running.as_ref().is_some_and(|r| r.pid == pid))
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.spec.id == id)
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .iter()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                pid: c.running.as_ref().map(|r| r.pid),
                status: c.status,
                child_type: c.spec.child_type,
                restarts: c.restarts,
                supervisor: c.running.as_ref().and_then(|r| r.control.supervisor()),
            })
            .collect()
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

impl Drop for Sup {
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

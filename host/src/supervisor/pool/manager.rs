//! The pool's state machine: poolboy's checkout and checkin, over workers
//! it supervises with restart intensity.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::{PoolError, PoolSpec, PoolStatus, PoolStrategy, Pools, pool_ref};
use crate::process::{Event, ExitNotice, ExitReason, Pid, Processes};
use crate::supervisor::child::{BoxFuture, RunningChild, StartChild, StartContext, Started};
use crate::supervisor::clock::Clock;
use crate::supervisor::error::{ChildError, StartChildError, StartError};
use crate::supervisor::handle::Request;
use crate::supervisor::inbox::{Inbox, Next};
use crate::supervisor::info::{ChildCount, ChildInfo, ChildPage, ChildStatus};
use crate::supervisor::intensity::RestartIntensity;
use crate::supervisor::machine::{Machine, MachineContext};
use crate::supervisor::spec::{ChildType, Shutdown};

/// What a [`PoolRef`](super::PoolRef) asks of the pool's task.
pub(in crate::supervisor) enum PoolRequest {
    Checkout {
        id: u64,
        owner: Option<Pid>,
        block: bool,
        reply: oneshot::Sender<Result<Pid, PoolError>>,
    },
    CancelWaiting(u64),
    Checkin(Pid),
    Status(oneshot::Sender<PoolStatus>),
}

/// A caller waiting for a worker.
struct Waiter {
    id: u64,
    owner: Option<Pid>,
    reply: oneshot::Sender<Result<Pid, PoolError>>,
}

/// How long a worker has to stop when the pool stops or dismisses it, as
/// poolboy's workers have under `poolboy_sup`.
const WORKER_SHUTDOWN: Shutdown = Shutdown::Timeout(Duration::from_millis(5000));

/// The pool's state, owned by its task.
pub(in crate::supervisor) struct PoolSup {
    processes: Processes,
    clock: Clock,
    pools: Pools,
    pid: Pid,
    name: String,
    worker: Arc<dyn StartChild>,
    size: usize,
    max_overflow: usize,
    strategy: PoolStrategy,
    intensity: RestartIntensity,
    /// Every live worker, idle or not.
    workers: HashMap<Pid, RunningChild>,
    idle: VecDeque<Pid>,
    /// Worker → its owner, if a process.
    checked_out: HashMap<Pid, Option<Pid>>,
    waiting: VecDeque<Waiter>,
    overflow: usize,
    /// Workers stopped on purpose: their exits need no replacement.
    dismissed: HashSet<Pid>,
    /// Owners whose exit the pool is told of (once each).
    watched: HashSet<Pid>,
    /// Replacements still owed after a failed start, retried through
    /// `retry`.
    owed: usize,
    /// Exits of workers and owners, supervisor requests, and retries of
    /// failed replacements.
    inbox: Inbox<()>,
    pool_tx: mpsc::UnboundedSender<PoolRequest>,
    pool_rx: mpsc::UnboundedReceiver<PoolRequest>,
}

impl Machine for PoolSup {
    fn init(&mut self) -> BoxFuture<'_, Result<(), StartError>> {
        Box::pin(self.start_workers())
    }

    fn run(&mut self) -> BoxFuture<'_, ExitReason> {
        Box::pin(self.serve())
    }
}

impl PoolSup {
    pub(in crate::supervisor) fn new(
        ctx: MachineContext,
        pools: Pools,
        pid: Pid,
        spec: PoolSpec,
        requests: mpsc::UnboundedReceiver<Request>,
    ) -> Self {
        let (pool_tx, pool_rx) = mpsc::unbounded_channel();
        PoolSup {
            processes: ctx.processes,
            clock: ctx.clock,
            pools,
            pid,
            name: spec.name,
            worker: spec.worker,
            size: spec.size,
            max_overflow: spec.max_overflow,
            strategy: spec.strategy,
            intensity: RestartIntensity::new(
                spec.max_restarts,
                Duration::from_secs(u64::from(spec.max_seconds)),
            ),
            workers: HashMap::new(),
            idle: VecDeque::new(),
            checked_out: HashMap::new(),
            waiting: VecDeque::new(),
            overflow: 0,
            dismissed: HashSet::new(),
            watched: HashSet::new(),
            owed: 0,
            inbox: Inbox::new(requests),
            pool_tx,
            pool_rx,
        }
    }

    /// Start `size` workers; if one fails, stop the others and fail.
    async fn start_workers(&mut self) -> Result<(), StartError> {
        for _ in 0..self.size {
            match self.new_worker().await {
                Ok(pid) => self.idle.push_back(pid),
                Err(err) => {
                    self.stop_all().await;
                    return Err(StartError::FailedToStartChild {
                        id: self.name.clone(),
                        reason: Box::new(StartChildError::other(err)),
                    });
                }
            }
        }
        self.pools
            .insert(pool_ref(&self.name, self.pid, self.pool_tx.clone()));
        Ok(())
    }

    // ===== The loop =====

    async fn serve(&mut self) -> ExitReason {
        loop {
            // The supervisor's inbox first (exits before anything else),
            // then checkouts and checkins.
            let next = tokio::select! {
                biased;
                next = self.inbox.next() => next,
                Some(request) = self.pool_rx.recv() => {
                    self.pool_request(request).await;
                    continue;
                }
            };
            let outcome = match next {
                Some(Next::Exit(notice)) => self.exited(notice).await,
                Some(Next::Request(Request::Shutdown(done))) => {
                    self.give_up_waiters(PoolError::NoPool(self.name.clone()));
                    self.stop_all().await;
                    let _ = done.send(());
                    return ExitReason::Shutdown;
                }
                Some(Next::Request(request)) => {
                    self.supervisor_request(request);
                    Ok(())
                }
                Some(Next::Retry(())) => self.retry().await,
                None => return ExitReason::Shutdown,
            };
            if let Err(reason) = outcome {
                return reason;
            }
        }
    }

    async fn pool_request(&mut self, request: PoolRequest) {
        match request {
            PoolRequest::Checkout {
                id,
                owner,
                block,
                reply,
            } => self.checkout(Waiter { id, owner, reply }, block).await,
            PoolRequest::CancelWaiting(id) => self.waiting.retain(|w| w.id != id),
            PoolRequest::Checkin(worker) => self.checkin(worker),
            PoolRequest::Status(reply) => {
                let _ = reply.send(PoolStatus {
                    idle: self.idle.len(),
                    checked_out: self.checked_out.len(),
                    overflow: self.overflow,
                    waiting: self.waiting.len(),
                });
            }
        }
    }

    /// A worker, as `which_children` lists it.
    fn describe(&self, pid: Pid) -> ChildInfo {
        ChildInfo {
            id: self.name.clone(),
            pid: Some(pid),
            status: ChildStatus::Running,
            child_type: ChildType::Worker,
            restarts: 0,
        }
    }

    /// A supervisor's requests: its workers are its children; it starts
    /// and stops them itself.
    fn supervisor_request(&mut self, request: Request) {
        const OWN_WORKERS: &str = "a pool starts and stops its workers itself";
        match request {
            Request::WhichChildren(page, reply) => {
                let (pids, total) = page.of_sorted(self.workers.keys().copied().collect());
                let children = pids.iter().map(|pid| self.describe(*pid)).collect();
                let _ = reply.send(ChildPage { children, total });
            }
            Request::Intensity(reply) => {
                let _ = reply.send(self.intensity.fill(self.clock.now()));
            }
            Request::ChildOf(pid, reply) => {
                let child = self.workers.contains_key(&pid).then(|| self.describe(pid));
                let _ = reply.send(child);
            }
            Request::CountChildren(reply) => {
                let n = self.workers.len();
                let _ = reply.send(ChildCount {
                    specs: n,
                    active: n,
                    supervisors: 0,
                    workers: n,
                });
            }
            Request::StartChild(_, reply) => {
                let _ = reply.send(Err(ChildError::NotSupported(OWN_WORKERS)));
            }
            Request::ById(_, _, reply) | Request::ChangeSpec(_, reply) => {
                let _ = reply.send(Err(ChildError::NotSupported(OWN_WORKERS)));
            }
            Request::TerminateChild(_, reply) => {
                let _ = reply.send(Err(ChildError::NotSupported(OWN_WORKERS)));
            }
            Request::Shutdown(done) => {
                let _ = done.send(());
            }
        }
    }

    // ===== Workers =====

    async fn new_worker(&mut self) -> Result<Pid, PoolError> {
        let ctx = StartContext {
            parent: self.pid,
            exits: self.inbox.exits.sender(),
            extra_args: None,
        };
        let start = |reason: String| PoolError::Start {
            pool: self.name.clone(),
            reason,
        };
        match self.worker.start(ctx).await {
            Ok(Started::Running(running)) => {
                let pid = running.pid;
                self.workers.insert(pid, running);
                Ok(pid)
            }
            Ok(Started::Ignore) => Err(start("its init returned ignore".into())),
            Err(err) => Err(start(err.to_string())),
        }
    }

    /// Replace a worker that died: one restart toward the intensity. A
    /// start that fails is owed and tried again (counting again); past the
    /// intensity the pool gives up.
    async fn replace(&mut self) -> Result<Option<Pid>, ExitReason> {
        if !self.intensity.add_restart(self.clock.now()) {
            return Err(self.give_up().await);
        }
        match self.new_worker().await {
            Ok(pid) => Ok(Some(pid)),
            Err(err) => {
                self.processes.events().publish(Event::ChildStartFailed {
                    supervisor: self.name.clone(),
                    id: self.name.clone(),
                    reason: err.to_string(),
                });
                self.owed += 1;
                self.inbox.retry_later(());
                Ok(None)
            }
        }
    }

    async fn retry(&mut self) -> Result<(), ExitReason> {
        if self.owed == 0 {
            return Ok(());
        }
        self.owed -= 1;
        if let Some(worker) = self.replace().await? {
            self.place(worker);
        }
        Ok(())
    }

    /// Past the restart intensity: stop every worker, tell the waiters, and
    /// exit with `shutdown`.
    async fn give_up(&mut self) -> ExitReason {
        self.processes
            .events()
            .publish(Event::RestartIntensityReached {
                supervisor: self.name.clone(),
                child: self.name.clone(),
            });
        self.give_up_waiters(PoolError::GaveUp(self.name.clone()));
        self.stop_all().await;
        ExitReason::Shutdown
    }

    fn give_up_waiters(&mut self, error: PoolError) {
        for waiter in self.waiting.drain(..) {
            let _ = waiter.reply.send(Err(error.clone()));
        }
    }

    /// Stop every worker and wait for them.
    async fn stop_all(&mut self) {
        self.idle.clear();
        self.checked_out.clear();
        let workers: Vec<_> = self
            .workers
            .drain()
            .map(|(pid, running)| {
                self.dismissed.insert(pid);
                (running, WORKER_SHUTDOWN)
            })
            .collect();
        self.inbox.exits.shutdown_all(workers, self.pid).await;
    }

    // ===== Checkout and checkin =====

    fn take_idle(&mut self) -> Option<Pid> {
        match self.strategy {
            PoolStrategy::Lifo => self.idle.pop_back(),
            PoolStrategy::Fifo => self.idle.pop_front(),
        }
    }

    /// Hand `worker` to `waiter`; false (and the worker is kept) if the
    /// waiter has given up.
    fn hand(&mut self, worker: Pid, waiter: Waiter) -> bool {
        if waiter.reply.send(Ok(worker)).is_err() {
            return false;
        }
        if let Some(owner) = waiter.owner
            && self.watched.insert(owner)
        {
            self.processes.notify_exit(owner, self.inbox.exits.sender());
        }
        self.checked_out.insert(worker, waiter.owner);
        true
    }

    async fn checkout(&mut self, waiter: Waiter, block: bool) {
        if let Some(worker) = self.take_idle() {
            if !self.hand(worker, waiter) {
                self.idle.push_back(worker);
            }
        } else if self.overflow < self.max_overflow {
            match self.new_worker().await {
                Ok(worker) => {
                    self.overflow += 1;
                    if !self.hand(worker, waiter) {
                        // Never checked out, so not a checkin: give it back
                        // (which dismisses it, as an overflow worker).
                        self.give_back(worker);
                    }
                }
                Err(err) => {
                    let _ = waiter.reply.send(Err(err));
                }
            }
        } else if block {
            self.waiting.push_back(waiter);
        } else {
            let _ = waiter.reply.send(Err(PoolError::Full(self.name.clone())));
        }
    }

    /// poolboy's `handle_checkin`.
    fn checkin(&mut self, worker: Pid) {
        if self.checked_out.remove(&worker).is_none() {
            return; // unknown, or checked in already
        }
        self.give_back(worker);
    }

    fn give_back(&mut self, worker: Pid) {
        while let Some(waiter) = self.waiting.pop_front() {
            if self.hand(worker, waiter) {
                return;
            }
        }
        if self.overflow > 0 {
            self.overflow -= 1;
            self.dismiss(worker);
        } else {
            self.idle.push_back(worker);
        }
    }

    /// Stop an overflow worker that is no longer needed.
    fn dismiss(&mut self, worker: Pid) {
        if let Some(running) = self.workers.remove(&worker) {
            self.dismissed.insert(worker);
            running.control.shutdown(self.pid);
        }
    }

    /// A worker or an owner exited.
    async fn exited(&mut self, notice: ExitNotice) -> Result<(), ExitReason> {
        let pid = notice.pid;
        if self.dismissed.remove(&pid) {
            return Ok(());
        }
        if self.workers.remove(&pid).is_some() {
            return self.worker_exited(pid).await;
        }
        // An owner: its workers come back.
        self.watched.remove(&pid);
        let owned: Vec<Pid> = self
            .checked_out
            .iter()
            .filter(|(_, owner)| **owner == Some(pid))
            .map(|(worker, _)| *worker)
            .collect();
        for worker in owned {
            self.checkin(worker);
        }
        Ok(())
    }

    /// poolboy's `handle_worker_exit`, with the replacement counted.
    async fn worker_exited(&mut self, pid: Pid) -> Result<(), ExitReason> {
        if let Some(i) = self.idle.iter().position(|w| *w == pid) {
            self.idle.remove(i);
        } else if self.checked_out.remove(&pid).is_some()
            && self.waiting.is_empty()
            && self.overflow > 0
        {
            self.overflow -= 1;
            return Ok(());
        }
        if let Some(worker) = self.replace().await? {
            self.place(worker);
        }
        Ok(())
    }

    /// A replacement worker: to the first waiter, or idle. (Never
    /// dismissed: it stands in for one of the `size`.)
    fn place(&mut self, worker: Pid) {
        while let Some(waiter) = self.waiting.pop_front() {
            if self.hand(worker, waiter) {
                return;
            }
        }
        self.idle.push_back(worker);
    }
}

impl Drop for PoolSup {
    /// Killed or stopped, the pool takes its workers with it and is no
    /// longer found by name.
    fn drop(&mut self) {
        for running in self.workers.values() {
            running.control.kill();
        }
        self.pools.remove(&self.name, self.pid);
    }
}

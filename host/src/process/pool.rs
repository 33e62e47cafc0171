//! Worker pools, with poolboy's semantics: `size` workers started up
//! front, up to `max_overflow` more on demand; checkout (blocking with a
//! timeout, or not, answering full), checkin, and a transaction that checks
//! the worker back in whatever happens. A worker that dies is replaced; an
//! overflow worker is dismissed on checkin; a checkout is returned when its
//! owner process exits.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::node::Node;
use super::{CallError, ExitNotice, ExitReason, Pid, ProcessSpec, Spawned, Target};

/// Which idle worker a checkout gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolStrategy {
    /// The most recently checked-in worker (poolboy's default).
    #[default]
    Lifo,
    /// The least recently checked-in worker.
    Fifo,
}

/// A pool's shape.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    /// Its name.
    pub name: String,
    /// The workers: a plugin and its args. `name` and `via` are ignored
    /// (workers are anonymous).
    pub worker: ProcessSpec,
    /// Workers started up front and kept. poolboy's default is 5.
    pub size: usize,
    /// Extra workers started when all are checked out, dismissed on
    /// checkin. poolboy's default is 10.
    pub max_overflow: usize,
    /// LIFO (default) or FIFO.
    pub strategy: PoolStrategy,
}

/// Why a checkout or transaction got no worker, or a transaction no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PoolError {
    /// No pool has this name.
    #[error("no pool named '{0}'")]
    NoPool(String),
    /// Every worker is checked out and the overflow is used up (a
    /// non-blocking checkout).
    #[error("pool '{0}' is full")]
    Full(String),
    /// No worker came free within the timeout.
    #[error("no worker of pool '{pool}' came free within {ms} ms")]
    Timeout {
        /// The pool.
        pool: String,
        /// The timeout.
        ms: u64,
    },
    /// The worker could not be started.
    #[error("pool '{pool}' cannot start a worker: {reason}")]
    Start {
        /// The pool.
        pool: String,
        /// Why.
        reason: String,
    },
    /// The transaction's call failed (the worker was checked back in).
    #[error(transparent)]
    Call(#[from] CallError),
}

/// A pool's counts, as poolboy's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolStatus {
    /// Idle workers.
    pub idle: usize,
    /// Checked-out workers.
    pub checked_out: usize,
    /// Overflow workers alive.
    pub overflow: usize,
    /// Callers waiting for a worker.
    pub waiting: usize,
}

enum Request {
    Checkout {
        id: u64,
        owner: Option<Pid>,
        block: bool,
        reply: oneshot::Sender<Result<Pid, PoolError>>,
    },
    CancelWaiting(u64),
    Checkin(Pid),
    Status(oneshot::Sender<PoolStatus>),
    Stop(oneshot::Sender<()>),
}

/// A handle to a running pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PoolRef {
    name: Arc<str>,
    requests: mpsc::UnboundedSender<Request>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolRequest")
    }
}

impl PoolRef {
    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn gone(&self) -> PoolError {
        PoolError::NoPool(self.name.to_string())
    }

    /// Check a worker out for `owner` (the process that uses it: if it
    /// exits, the worker comes back). With `block`, wait up to `timeout`
    /// for one; without, answer [`PoolError::Full`] at once.
    ///
    /// # Errors
    ///
    /// [`PoolError`]: full, timed out, a worker that cannot start, or the
    /// pool is gone.
    pub async fn checkout(
        &self,
        owner: Option<Pid>,
        block: bool,
        timeout: Duration,
    ) -> Result<Pid, PoolError> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Checkout {
                id,
                owner,
                block,
                reply,
            })
            .map_err(|_| self.gone())?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(self.gone()),
            Err(_) => {
                // poolboy's cancel_waiting: leave the queue, or give back a
                // worker assigned meanwhile.
                let _ = self.requests.send(Request::CancelWaiting(id));
                Err(PoolError::Timeout {
                    pool: self.name.to_string(),
                    ms: timeout.as_millis() as u64,
                })
            }
        }
    }

    /// Give `worker` back. An unknown worker is ignored.
    pub fn checkin(&self, worker: Pid) {
        let _ = self.requests.send(Request::Checkin(worker));
    }

    /// poolboy's `transaction`: check a worker out (blocking, up to
    /// `timeout`), call it with `request` (up to `timeout`), and check it
    /// back in, whether the call succeeded or not.
    ///
    /// # Errors
    ///
    /// As for [`checkout`](Self::checkout), or the call's error.
    pub async fn transaction(
        &self,
        node: &Node,
        owner: Option<Pid>,
        request: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, PoolError> {
        let worker = self.checkout(owner, true, timeout).await?;
        let outcome = node.lookup(&Target::Pid(worker)).map_err(PoolError::from);
        let outcome = match outcome {
            Ok(server) => server
                .call_from(owner, request, Some(timeout))
                .await
                .map_err(PoolError::from),
            Err(err) => Err(err),
        };
        self.checkin(worker);
        outcome
    }

    /// Its counts.
    ///
    /// # Errors
    ///
    /// [`PoolError::NoPool`] if it has stopped.
    pub async fn status(&self) -> Result<PoolStatus, PoolError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Status(reply))
            .map_err(|_| self.gone())?;
        answer.await.map_err(|_| self.gone())
    }

    /// Stop the pool and its workers.
    pub async fn stop(&self) {
        let (reply, answer) = oneshot::channel();
        if self.requests.send(Request::Stop(reply)).is_ok() {
            let _ = answer.await;
        }
    }
}

impl Node {
    /// Start pool `spec.name` with its `size` workers, and make it known by
    /// name.
    ///
    /// # Errors
    ///
    /// [`PoolError::Start`] if a worker does not start (those started are
    /// stopped again).
    pub async fn start_pool(&self, spec: PoolSpec) -> Result<PoolRef, PoolError> {
        let (requests, inbox) = mpsc::unbounded_channel();
        let (exits_tx, exits) = mpsc::unbounded_channel();
        let mut worker = spec.worker.clone();
        worker.name = None;
        worker.via = None;
        let mut pool = Pool {
            node: self.clone(),
            name: spec.name.clone(),
            worker,
            max_overflow: spec.max_overflow,
            strategy: spec.strategy,
            idle: VecDeque::new(),
            checked_out: HashMap::new(),
            waiting: VecDeque::new(),
            overflow: 0,
            dismissed: HashSet::new(),
            watched: HashSet::new(),
            exits_tx,
        };
        for _ in 0..spec.size {
            match pool.new_worker().await {
                Ok(pid) => pool.idle.push_back(pid),
                Err(err) => {
                    pool.stop_all();
                    return Err(err);
                }
            }
        }
        let handle = PoolRef {
            name: spec.name.as_str().into(),
            requests,
            next_id: Arc::default(),
        };
        tokio::spawn(pool.run(inbox, exits));
        self.inner.pools.insert(spec.name, handle.clone());
        Ok(handle)
    }

    /// The pool called `name`.
    ///
    /// # Errors
    ///
    /// [`PoolError::NoPool`].
    pub fn pool(&self, name: &str) -> Result<PoolRef, PoolError> {
        self.inner
            .pools
            .get(name)
            .map(|p| p.clone())
            .ok_or_else(|| PoolError::NoPool(name.to_string()))
    }
}

/// The pool's state, owned by its task.
struct Pool {
    node: Node,
    name: String,
    worker: ProcessSpec,
    max_overflow: usize,
    strategy: PoolStrategy,
    idle: VecDeque<Pid>,
    /// Worker → its owner, if a process.
    checked_out: HashMap<Pid, Option<Pid>>,
    waiting: VecDeque<Waiter>,
    overflow: usize,
    /// Overflow workers stopped on checkin: their exits need no
    /// replacement.
    dismissed: HashSet<Pid>,
    /// Owners whose exit the pool is told of (once each).
    watched: HashSet<Pid>,
    exits_tx: mpsc::UnboundedSender<ExitNotice>,
}

struct Waiter {
    id: u64,
    owner: Option<Pid>,
    reply: oneshot::Sender<Result<Pid, PoolError>>,
}

impl Pool {
    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<Request>,
        mut exits: mpsc::UnboundedReceiver<ExitNotice>,
    ) {
        loop {
            tokio::select! {
                biased;
                Some(notice) = exits.recv() => self.exited(notice).await,
                request = inbox.recv() => match request {
                    Some(Request::Checkout { id, owner, block, reply }) => {
                        self.checkout(Waiter { id, owner, reply }, block).await;
                    }
                    Some(Request::CancelWaiting(id)) => self.waiting.retain(|w| w.id != id),
                    Some(Request::Checkin(worker)) => self.checkin(worker),
                    Some(Request::Status(reply)) => {
                        let _ = reply.send(PoolStatus {
                            idle: self.idle.len(),
                            checked_out: self.checked_out.len(),
                            overflow: self.overflow,
                            waiting: self.waiting.len(),
                        });
                    }
                    Some(Request::Stop(done)) => {
                        self.stop_all();
                        self.node.inner.pools.remove(&self.name);
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.stop_all();
                        return;
                    }
                },
            }
        }
    }

    async fn new_worker(&mut self) -> Result<Pid, PoolError> {
        let start = |reason: String| PoolError::Start {
            pool: self.name.clone(),
            reason,
        };
        match self
            .node
            .spawn(&self.worker, None, vec![self.exits_tx.clone()])
            .await
        {
            Ok(Spawned::Started(pid)) => Ok(pid),
            Ok(Spawned::Ignored) => Err(start("its init returned ignore".into())),
            Err(err) => Err(start(err.to_string())),
        }
    }

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
            self.node.notify_exit(owner, self.exits_tx.clone());
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
            self.dismissed.insert(worker);
            self.node.kill(worker, ExitReason::Shutdown);
        } else {
            self.idle.push_back(worker);
        }
    }

    /// A worker or an owner exited.
    async fn exited(&mut self, notice: ExitNotice) {
        let pid = notice.pid;
        if self.dismissed.remove(&pid) {
            return;
        }
        let was_idle = self.idle.iter().position(|w| *w == pid);
        if let Some(i) = was_idle {
            self.idle.remove(i);
            self.replace_worker().await;
            return;
        }
        if self.checked_out.remove(&pid).is_some() {
            // poolboy's handle_worker_exit.
            if let Some(waiter) = self.waiting.pop_front() {
                match self.new_worker().await {
                    Ok(worker) => {
                        if !self.hand(worker, waiter) {
                            self.give_back(worker);
                        }
                    }
                    Err(err) => {
                        let _ = waiter.reply.send(Err(err));
                    }
                }
            } else if self.overflow > 0 {
                self.overflow -= 1;
            } else {
                self.replace_worker().await;
            }
            return;
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
    }

    async fn replace_worker(&mut self) {
        match self.new_worker().await {
            Ok(worker) => self.idle.push_back(worker),
            Err(err) => tracing::error!(pool = %self.name, "{err}"),
        }
    }

    fn stop_all(&mut self) {
        let workers = self
            .idle
            .drain(..)
            .chain(self.checked_out.drain().map(|(w, _)| w));
        for worker in workers.collect::<Vec<_>>() {
            self.dismissed.insert(worker);
            self.node.kill(worker, ExitReason::Shutdown);
        }
    }
}

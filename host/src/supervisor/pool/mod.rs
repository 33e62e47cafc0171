//! Worker pools, with poolboy's semantics: `size` workers started up front,
//! up to `max_overflow` more on demand; checkout (blocking with a timeout,
//! or not, answering full), checkin, and a transaction that checks the
//! worker back in whatever happens. An overflow worker is dismissed on
//! checkin; a checkout is returned when its owner process exits.
//!
//! A pool supervises its workers: one that dies is replaced, and every
//! replacement counts toward the pool's restart intensity
//! (`max_restarts` within `max_seconds`, 3 and 5 by default), failed starts
//! included. Past it the pool gives up as a supervisor does: it stops its
//! workers, tells its waiters, publishes the event and exits with
//! `shutdown`, for its own supervisor to restart it. A pool is never
//! silently smaller than its size, and never restarts a failing worker
//! forever.

mod manager;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use dashmap::DashMap;

use super::child::StartChild;
use crate::process::{CallError, Pid, Processes, Target};

pub(super) use manager::{PoolRequest, PoolSup};

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
#[derive(Clone)]
pub struct PoolSpec {
    /// Its name (`overseer call pool:NAME`), and its id as a child.
    pub name: String,
    /// Starts one worker. Workers are anonymous (no name or via).
    pub worker: Arc<dyn StartChild>,
    /// Workers started up front and kept. poolboy's default is 5.
    pub size: usize,
    /// Extra workers started when all are checked out, dismissed on
    /// checkin. poolboy's default is 10.
    pub max_overflow: usize,
    /// LIFO (default) or FIFO.
    pub strategy: PoolStrategy,
    /// More worker restarts than this within `max_seconds` and the pool
    /// gives up. Default 3.
    pub max_restarts: u32,
    /// The window, in seconds. Default 5.
    pub max_seconds: u32,
}

/// Why a checkout or transaction got no worker, or a transaction no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PoolError {
    /// No pool has this name (or it is being restarted).
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
    /// A worker could not be started.
    #[error("pool '{pool}' cannot start a worker: {reason}")]
    Start {
        /// The pool.
        pool: String,
        /// Why.
        reason: String,
    },
    /// The pool gave up: its workers exited, or failed to start, more than
    /// its restart intensity allows. Its supervisor restarts it.
    #[error(
        "pool '{0}' gave up: its workers exited or failed to start more often than max_restarts within max_seconds"
    )]
    GaveUp(String),
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

/// A handle to a running pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PoolRef {
    name: Arc<str>,
    pid: Pid,
    requests: mpsc::UnboundedSender<PoolRequest>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl PoolRef {
    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pool's pid (it is a supervisor of its workers).
    pub fn pid(&self) -> Pid {
        self.pid
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
            .send(PoolRequest::Checkout {
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
                let _ = self.requests.send(PoolRequest::CancelWaiting(id));
                Err(PoolError::Timeout {
                    pool: self.name.to_string(),
                    ms: timeout.as_millis() as u64,
                })
            }
        }
    }

    /// Give `worker` back. An unknown worker is ignored.
    pub fn checkin(&self, worker: Pid) {
        let _ = self.requests.send(PoolRequest::Checkin(worker));
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
        processes: &Processes,
        owner: Option<Pid>,
        request: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, PoolError> {
        let worker = self.checkout(owner, true, timeout).await?;
        let outcome = match processes.lookup(&Target::Pid(worker)) {
            Ok(server) => server
                .call_from(owner, request, Some(timeout))
                .await
                .map_err(PoolError::from),
            Err(err) => Err(err.into()),
        };
        // A worker that exited on the call is not idle: its exit, on its
        // way to the pool, takes it out (checked in, it could be handed out
        // again before the exit arrives).
        let exited = matches!(
            &outcome,
            Err(PoolError::Call(CallError::Exited(_) | CallError::NoProc(_)))
        );
        if !exited {
            self.checkin(worker);
        }
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
            .send(PoolRequest::Status(reply))
            .map_err(|_| self.gone())?;
        answer.await.map_err(|_| self.gone())
    }
}

pub(super) fn pool_ref(
    name: &str,
    pid: Pid,
    requests: mpsc::UnboundedSender<PoolRequest>,
) -> PoolRef {
    PoolRef {
        name: name.into(),
        pid,
        requests,
        next_id: Arc::default(),
    }
}

/// The running pools of a host, by name. Cheap to clone.
#[derive(Clone, Default)]
pub(super) struct Pools(Arc<DashMap<String, PoolRef>>);

impl Pools {
    /// The pool called `name`.
    pub(super) fn get(&self, name: &str) -> Option<PoolRef> {
        self.0.get(name).map(|p| p.clone())
    }

    /// Make `pool` the one called by its name.
    fn insert(&self, pool: PoolRef) {
        self.0.insert(pool.name.to_string(), pool);
    }

    /// Forget the pool called `name` if it is the one with `pid`.
    fn remove(&self, name: &str, pid: Pid) {
        self.0.remove_if(name, |_, pool| pool.pid == pid);
    }
}

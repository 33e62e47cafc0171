//! Stopping children: OTP's `shutdown/1` (signal, wait up to the child's
//! shutdown time, then kill), one at a time or all at once, and the exit
//! notices a supervisor reads while it waits.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::child::RunningChild;
use super::spec::Shutdown;
use crate::process::{ExitNotice, ExitReason, ExitSender, Pid};

/// A supervisor's inbox of exit notices from its children. While it waits
/// for one child's exit, others' notices are kept, in order, for later.
pub(super) struct Exits {
    tx: ExitSender,
    rx: mpsc::UnboundedReceiver<ExitNotice>,
    stash: VecDeque<ExitNotice>,
}

impl Exits {
    pub(super) fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Exits {
            tx,
            rx,
            stash: VecDeque::new(),
        }
    }

    /// Where children report their exits.
    pub(super) fn sender(&self) -> ExitSender {
        self.tx.clone()
    }

    /// A notice kept while waiting for another, if any.
    pub(super) fn stashed(&mut self) -> Option<ExitNotice> {
        self.stash.pop_front()
    }

    /// The next notice. Never ends: the supervisor holds a sender.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a notice is either returned or left in the channel.
    pub(super) async fn recv(&mut self) -> Option<ExitNotice> {
        self.rx.recv().await
    }

    /// Wait for `pid`'s exit, keeping others' notices for later. None if
    /// `deadline` passed first.
    async fn await_exit(&mut self, pid: Pid, deadline: Option<Instant>) -> Option<ExitReason> {
        if let Some(k) = self.stash.iter().position(|n| n.pid == pid) {
            return self.stash.remove(k).map(|n| n.reason);
        }
        loop {
            let notice = match deadline {
                None => self.rx.recv().await,
                Some(at) => tokio::time::timeout_at(at, self.rx.recv()).await.ok()?,
            }?;
            if notice.pid == pid {
                return Some(notice.reason);
            }
            self.stash.push_back(notice);
        }
    }

    /// OTP's `shutdown/1` for one child: `brutal_kill` kills it; a time
    /// sends the shutdown signal and kills it if it has not exited by then;
    /// `infinity` sends the signal and waits. Returns its exit reason.
    pub(super) async fn shutdown(
        &mut self,
        child: &RunningChild,
        shutdown: Shutdown,
        from: Pid,
    ) -> ExitReason {
        let limit = match shutdown {
            Shutdown::BrutalKill => {
                child.control.kill();
                return self
                    .await_exit(child.pid, None)
                    .await
                    .unwrap_or(ExitReason::Killed);
            }
            Shutdown::Timeout(limit) => Some(limit),
            Shutdown::Infinity => None,
        };
        child.control.shutdown(from);
        let deadline = limit.map(|l| Instant::now() + l);
        if let Some(reason) = self.await_exit(child.pid, deadline).await {
            return reason;
        }
        child.control.kill();
        self.await_exit(child.pid, None)
            .await
            .unwrap_or(ExitReason::Killed)
    }

    /// Stop many children at once, as a DynamicSupervisor does on its way
    /// down: every one is signalled (or killed) first, then all are waited
    /// for together, each killed when its own shutdown time is up.
    pub(super) async fn shutdown_all(
        &mut self,
        children: Vec<(RunningChild, Shutdown)>,
        from: Pid,
    ) {
        let now = Instant::now();
        // pid → the child, not yet known to have exited.
        let mut waiting: HashMap<Pid, RunningChild> = HashMap::with_capacity(children.len());
        // When to kill whom, soonest first. A child that exits stays here
        // until its time comes up and is skipped then: finding the next
        // deadline is never a walk over every child, so stopping n children
        // costs n log n, not n².
        let mut deadlines: BinaryHeap<Reverse<(Instant, Pid)>> = BinaryHeap::new();
        for (child, shutdown) in children {
            match shutdown {
                Shutdown::BrutalKill => child.control.kill(),
                Shutdown::Timeout(limit) => {
                    child.control.shutdown(from);
                    deadlines.push(Reverse((now + limit, child.pid)));
                }
                Shutdown::Infinity => child.control.shutdown(from),
            }
            waiting.insert(child.pid, child);
        }
        // Notices kept earlier from children now waited for are theirs.
        self.stash.retain(|n| waiting.remove(&n.pid).is_none());
        while !waiting.is_empty() {
            while deadlines
                .peek()
                .is_some_and(|Reverse((_, pid))| !waiting.contains_key(pid))
            {
                deadlines.pop();
            }
            let notice = match deadlines.peek() {
                None => self.rx.recv().await,
                Some(&Reverse((at, _))) => {
                    match tokio::time::timeout_at(at, self.rx.recv()).await {
                        Ok(notice) => notice,
                        Err(_) => {
                            let now = Instant::now();
                            while let Some(&Reverse((at, pid))) = deadlines.peek() {
                                if at > now {
                                    break;
                                }
                                deadlines.pop();
                                if let Some(child) = waiting.get(&pid) {
                                    child.control.kill();
                                }
                            }
                            continue;
                        }
                    }
                }
            };
            let Some(notice) = notice else { return };
            if waiting.remove(&notice.pid).is_none() {
                self.stash.push_back(notice);
            }
        }
    }
}

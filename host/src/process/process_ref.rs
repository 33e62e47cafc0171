//! A resolved handle to one GenServer: call, cast, send, get its state.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::call_timeout::call_timeout;
use super::mailbox::{Envelope, Mailbox, Undelivered};
use super::{CallError, ExitReason, Pid, Target};
use crate::runtime::NextTick;

/// A resolved handle to a live GenServer's mailbox: the fast path for
/// repeated calls (no name or table lookup per message).
#[derive(Clone, Debug)]
pub struct ProcessRef {
    pid: Pid,
    mailbox: Mailbox,
    /// What a call's timeout waits for before it arms a timer.
    next_tick: Option<Arc<NextTick>>,
}

impl ProcessRef {
    pub(super) fn new(pid: Pid, mailbox: Mailbox, next_tick: Option<Arc<NextTick>>) -> Self {
        ProcessRef {
            pid,
            mailbox,
            next_tick,
        }
    }

    /// The process's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// A call with a timeout. A timed-out caller's late reply is dropped.
    ///
    /// # Errors
    ///
    /// [`CallError`]: gone, timed out, or exited before replying.
    pub async fn call(&self, request: Vec<u8>, timeout: Duration) -> Result<Vec<u8>, CallError> {
        self.call_from(None, request, Some(timeout)).await
    }

    /// A call made by process `from` (the callee's caller handle carries
    /// it), waiting at most `timeout` (None: as long as it takes).
    ///
    /// # Errors
    ///
    /// As for [`ProcessRef::call`].
    pub async fn call_from(
        &self,
        from: Option<Pid>,
        request: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, CallError> {
        let (reply, answer) = oneshot::channel();
        self.mailbox
            .post(Envelope::Call {
                request,
                reply,
                from,
            })
            .map_err(|e| self.undelivered(e))?;
        match timeout {
            Some(timeout) => self.await_answer(answer, timeout).await,
            None => answer
                .await
                .unwrap_or(Err(CallError::Exited(ExitReason::Killed))),
        }
    }

    /// A cast.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] if the process has exited,
    /// [`CallError::MailboxFull`] if its mailbox is at its quota.
    pub fn cast(&self, msg: Vec<u8>) -> Result<(), CallError> {
        self.mailbox.post_cast(msg).map_err(|e| self.undelivered(e))
    }

    /// A plain message to `handle-info`.
    ///
    /// # Errors
    ///
    /// As for [`ProcessRef::cast`].
    pub fn send(&self, msg: Vec<u8>) -> Result<(), CallError> {
        self.mailbox
            .post(Envelope::Info(msg))
            .map_err(|e| self.undelivered(e))
    }

    /// The state, through `get-state`.
    ///
    /// # Errors
    ///
    /// As for [`ProcessRef::call`].
    pub async fn get_state(&self, timeout: Duration) -> Result<Vec<u8>, CallError> {
        let (reply, answer) = oneshot::channel();
        if !self.mailbox.send(Envelope::GetState(reply)) {
            return Err(self.gone());
        }
        self.await_answer(answer, timeout).await
    }

    fn gone(&self) -> CallError {
        CallError::NoProc(Target::Pid(self.pid))
    }

    fn undelivered(&self, why: Undelivered) -> CallError {
        match why {
            Undelivered::Closed => self.gone(),
            Undelivered::Full(quota) => CallError::MailboxFull(self.pid, quota),
        }
    }

    async fn await_answer(
        &self,
        answer: oneshot::Receiver<Result<Vec<u8>, CallError>>,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        match call_timeout(self.next_tick.as_deref(), timeout, answer).await {
            Ok(Ok(result)) => result,
            // Dropped without an answer: the process was killed.
            Ok(Err(_)) => Err(CallError::Exited(ExitReason::Killed)),
            Err(_) => Err(CallError::Timeout(timeout.as_millis() as u64)),
        }
    }
}

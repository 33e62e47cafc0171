//! How one process changes code at a message boundary, and how a change
//! is queued and waited for. (What a change carries is in
//! `code_change.rs`.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::code_change::{CodeChange, CodeChangeError, CodeChanged};
use super::mailbox::Envelope;
use super::server::{Server, Step};
use super::{Pid, Processes};
use crate::runtime::bindings::types::VsnChange;
use crate::runtime::{Detached, PluginVersion};

impl Server {
    /// Handle a [`CodeChange`]: the process is paused from here to the end.
    pub(crate) async fn change_code(&mut self, change: Box<CodeChange>) -> Step {
        let CodeChange {
            to,
            instance: mut fresh,
            extra,
            downgrade,
            reply,
            held,
        } = *change;
        if reply.is_closed() {
            return Step::Continue;
        }
        let paused = Instant::now();
        let running = self.shared.version();
        let from_vsn = running
            .as_ref()
            .map(|v| v.vsn().to_string())
            .unwrap_or_default();
        let state = match self.instance.get_state().await {
            Ok(state) => state,
            Err(crash) => {
                let _ = reply.send(Err(CodeChangeError::GetStateCrashed(crash.clone())));
                return self.crashed(crash, Some("get-state for a code change".into()));
            }
        };
        let from = if downgrade {
            VsnChange::Downgrade(from_vsn.clone())
        } else {
            VsnChange::Upgrade(from_vsn.clone())
        };
        // The new instance runs code-change as this process: its imports
        // (self-pid, send-after, log, config) must answer for it.
        fresh.swap_host(&mut self.instance);
        let outcome = match fresh.code_change(&from, &state, &extra).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(CodeChangeError::Refused(message)),
            Err(crash) => Err(CodeChangeError::Crashed(crash)),
        };
        match outcome {
            Ok(()) => {
                let old = std::mem::replace(&mut self.instance, fresh);
                // What it handled so far counts under the vsn it ran.
                self.processes.fold_counts(&self.shared, &from_vsn);
                self.shared.set_version(to.clone());
                let changed = CodeChanged {
                    pid: self.shared.pid,
                    from: from_vsn,
                    to: to.vsn().to_string(),
                    pause: paused.elapsed(),
                };
                // The old instance's slot goes back to the pool after the
                // reply: it is not part of the pause.
                let _ = reply.send(Ok(changed));
                drop(old);
            }
            Err(err) => {
                fresh.swap_host(&mut self.instance);
                let _ = reply.send(Err(err));
            }
        }
        drop(held);
        Step::Continue
    }
}

impl Processes {
    /// Move process `pid` to build `to` at its next message boundary:
    /// `get-state` on the running instance, `code-change` on a fresh
    /// instance of `to`, swap. `downgrade` marks a change back to an older
    /// build. Waits at most `timeout` for the process to reach the change.
    ///
    /// # Errors
    ///
    /// [`CodeChangeError`]; in every case but `GetStateCrashed` the process
    /// keeps serving with its old build and state.
    pub async fn change_code(
        &self,
        pid: Pid,
        to: &Arc<PluginVersion>,
        extra: Vec<u8>,
        downgrade: bool,
        timeout: Duration,
    ) -> Result<CodeChanged, CodeChangeError> {
        let pending = self
            .begin_code_change(pid, to, extra, downgrade, None)
            .await?;
        pending.outcome(tokio::time::Instant::now() + timeout).await
    }

    /// The first half of [`change_code`](Self::change_code): make the new
    /// instance and queue the change, without waiting for it. Many changes
    /// can be queued before any outcome is read. `held` is dropped when the
    /// change is done or abandoned (a permit that bounds changes in flight).
    ///
    /// # Errors
    ///
    /// [`CodeChangeError::NoProc`] or [`CodeChangeError::Instantiate`].
    pub async fn begin_code_change(
        &self,
        pid: Pid,
        to: &Arc<PluginVersion>,
        extra: Vec<u8>,
        downgrade: bool,
        held: Option<Box<dyn Send + Sync>>,
    ) -> Result<PendingChange, CodeChangeError> {
        let shared = self.shared_of(pid).ok_or(CodeChangeError::NoProc)?;
        let mailbox = self.mailbox_of(pid).ok_or(CodeChangeError::NoProc)?;
        // Made before the process pauses: instantiation is not part of it.
        let instance = to
            .instantiate(Box::new(Detached), &shared.limits, &shared.policy.wasi)
            .await
            .map_err(CodeChangeError::Instantiate)?;
        let (reply, answer) = oneshot::channel();
        let sent = mailbox.send(Envelope::CodeChange(Box::new(CodeChange {
            to: to.clone(),
            instance,
            extra,
            downgrade,
            reply,
            held,
        })));
        if !sent {
            return Err(CodeChangeError::NoProc);
        }
        Ok(PendingChange { pid, answer })
    }
}

/// A code change queued in a process's mailbox.
pub struct PendingChange {
    pid: Pid,
    answer: oneshot::Receiver<Result<CodeChanged, CodeChangeError>>,
}

impl PendingChange {
    /// The process.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Wait, until `deadline`, for the outcome. Past it the change is
    /// skipped if the process has not reached it yet.
    ///
    /// # Errors
    ///
    /// As for [`Processes::change_code`].
    pub async fn outcome(
        self,
        deadline: tokio::time::Instant,
    ) -> Result<CodeChanged, CodeChangeError> {
        let waited = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout_at(deadline, self.answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(CodeChangeError::NoProc),
            Err(_) => Err(CodeChangeError::Timeout(waited.as_millis() as u64)),
        }
    }
}

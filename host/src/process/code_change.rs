//! How one process changes code at a message boundary: OTP's
//! `sys:suspend`, `sys:change_code`, `sys:resume`, as one mailbox message.
//!
//! The new instance is made before the message is sent, so the process is
//! paused only for `get-state` on the old instance, `code-change` on the new
//! one, and the swap. Messages that arrive meanwhile wait in the mailbox and
//! are handled, in order, by whichever instance serves after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::oneshot;

use super::Pid;
use super::server::{Server, Step};
use crate::runtime::bindings::types::VsnChange;
use crate::runtime::{Crash, Instance, PluginVersion};

/// A request to change code, carried by the mailbox.
pub struct CodeChange {
    /// The build to change to.
    pub(crate) to: Arc<PluginVersion>,
    /// A fresh instance of `to`, not yet holding the process's host side.
    pub(crate) instance: Instance,
    /// The `extra` argument of `code-change` (JSON).
    pub(crate) extra: Vec<u8>,
    /// True when `to` is older than the running build (OTP's downgrade).
    pub(crate) downgrade: bool,
    /// Where the outcome goes. If nobody waits any more (the requester gave
    /// up), the change is skipped, as OTP skips a process that did not
    /// suspend in time.
    pub(crate) reply: oneshot::Sender<Result<CodeChanged, CodeChangeError>>,
    /// Dropped when the change is done or abandoned (the requester's permit
    /// for a change in flight).
    pub(crate) held: Option<Box<dyn Send + Sync>>,
}

impl std::fmt::Debug for CodeChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeChange")
            .field("to", &self.to.vsn())
            .field("downgrade", &self.downgrade)
            .finish()
    }
}

/// A process that changed code.
#[derive(Debug, Clone, Serialize)]
pub struct CodeChanged {
    /// The process.
    pub pid: Pid,
    /// The vsn it ran.
    pub from: String,
    /// The vsn it runs now.
    pub to: String,
    /// How long its mailbox waited: get-state, code-change and the swap.
    pub pause: Duration,
}

/// Why a process did not change code. In every case but
/// [`GetStateCrashed`](Self::GetStateCrashed) it goes on serving with its
/// old build and its state untouched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CodeChangeError {
    /// The process is gone.
    #[error("no such process")]
    NoProc,
    /// The new build could not be instantiated.
    #[error("cannot instantiate the new build: {0}")]
    Instantiate(Crash),
    /// The old instance crashed in `get-state`; the process exited.
    #[error("get-state crashed: {0}")]
    GetStateCrashed(Crash),
    /// The new build's `code-change` returned an error.
    #[error("code-change refused the state: {0}")]
    Refused(String),
    /// The new build's `code-change` trapped.
    #[error("code-change crashed: {0}")]
    Crashed(Crash),
    /// The process did not reach the change within the timeout; it was
    /// skipped.
    #[error("did not reach a message boundary within {0} ms")]
    Timeout(u64),
}

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

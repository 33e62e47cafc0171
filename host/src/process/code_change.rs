//! How one process changes code at a message boundary: OTP's
//! `sys:suspend`, `sys:change_code`, `sys:resume`, as one mailbox message.
//!
//! The new instance is made before the message is sent, so the process is
//! paused only for `get-state` on the old instance, `code-change` on the new
//! one, and the swap. Messages that arrive meanwhile wait in the mailbox and
//! are handled, in order, by whichever instance serves after.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::oneshot;

use super::Pid;
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

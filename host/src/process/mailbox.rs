//! What a process's mailbox carries.

use tokio::sync::{mpsc, oneshot};

use super::code_change::CodeChange;
use super::{CallError, ExitReason, Pid};

/// Where a call's answer goes: the reply, or why there is none.
pub type ReplySender = oneshot::Sender<Result<Vec<u8>, CallError>>;

/// One message in a process's mailbox. Handled strictly in arrival order,
/// one at a time.
#[derive(Debug)]
pub enum Envelope {
    /// A call: `handle-call`, answered through `reply`.
    Call {
        /// The request payload.
        request: Vec<u8>,
        /// Where the reply goes.
        reply: ReplySender,
        /// The calling process, if a process calls.
        from: Option<Pid>,
    },
    /// A cast: `handle-cast`.
    Cast(Vec<u8>),
    /// A plain message: `handle-info` as `info.message`.
    Info(Vec<u8>),
    /// A `send-after` timer fired; delivered as `info.message` unless it
    /// was cancelled meanwhile.
    Timer {
        /// The timer reference.
        timer: u64,
        /// The message it carries.
        msg: Vec<u8>,
    },
    /// An exit signal to a process that traps exits.
    Exit {
        /// Who sent it.
        from: Pid,
        /// Its reason.
        reason: ExitReason,
    },
    /// A system request for the state (`sys:get_state`); it does not cancel
    /// a pending timeout.
    GetState(ReplySender),
    /// A process this one monitors has exited: `handle-info` as
    /// `info.down`.
    Down {
        /// The monitor's reference.
        monitor: u64,
        /// The process that exited.
        pid: Pid,
        /// Why.
        reason: ExitReason,
    },
    /// A system request to change code (OTP's suspend, change_code,
    /// resume); it does not cancel a pending timeout.
    CodeChange(Box<CodeChange>),
}

/// The sending side of a process's mailbox.
pub type Mailbox = mpsc::UnboundedSender<Envelope>;

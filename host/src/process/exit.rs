//! Why a process exited, and who is told.

use std::fmt;

use serde::Serialize;
use tokio::sync::mpsc;

use super::Pid;
use crate::runtime::CrashCause;
use crate::runtime::bindings::types as wit;

/// Why a process (or a supervisor) exited. Matched exhaustively wherever a
/// decision depends on it.
#[derive(Debug, Clone, PartialEq)]
pub enum ExitReason {
    /// A clean stop (`normal`).
    Normal,
    /// Stopped by its supervisor, or a supervisor that gave up (`shutdown`).
    Shutdown,
    /// A clean stop with a detail (`{shutdown, term}`).
    ShutdownWith(String),
    /// Killed without a chance to clean up: `brutal_kill`, or a shutdown
    /// that took longer than its child spec allows.
    Killed,
    /// The guest chose to stop with an abnormal reason.
    Error(String),
    /// The guest crashed: a trap, a panic, a deadline, the memory limit.
    Crash(CrashCause),
}

impl ExitReason {
    /// OTP's notion of a normal exit: `normal`, `shutdown` or
    /// `{shutdown, _}`. A transient child is not restarted after one, and
    /// no crash report is written.
    pub fn is_normal(&self) -> bool {
        match self {
            ExitReason::Normal | ExitReason::Shutdown | ExitReason::ShutdownWith(_) => true,
            ExitReason::Killed | ExitReason::Error(_) | ExitReason::Crash(_) => false,
        }
    }

    /// The reason as the guest's `terminate` sees it.
    pub fn to_wit(&self) -> wit::ExitReason {
        match self {
            ExitReason::Normal => wit::ExitReason::Normal,
            ExitReason::Shutdown => wit::ExitReason::Shutdown,
            ExitReason::ShutdownWith(detail) => wit::ExitReason::ShutdownWith(detail.clone()),
            ExitReason::Killed | ExitReason::Error(_) | ExitReason::Crash(_) => {
                wit::ExitReason::Error(self.to_string())
            }
        }
    }

    /// The reason a guest gave.
    pub fn from_wit(reason: wit::ExitReason) -> Self {
        match reason {
            wit::ExitReason::Normal => ExitReason::Normal,
            wit::ExitReason::Shutdown => ExitReason::Shutdown,
            wit::ExitReason::ShutdownWith(detail) => ExitReason::ShutdownWith(detail),
            wit::ExitReason::Error(reason) => ExitReason::Error(reason),
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::ShutdownWith(detail) => write!(f, "shutdown: {detail}"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::Error(reason) => f.write_str(reason),
            ExitReason::Crash(cause) => cause.fmt(f),
        }
    }
}

impl Serialize for ExitReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// "Process `pid` exited with `reason`": what a parent or a monitor gets.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitNotice {
    /// The process that exited.
    pub pid: Pid,
    /// Why.
    pub reason: ExitReason,
}

/// Where exit notices are sent: a supervisor's, or any watcher's, channel.
pub type ExitSender = mpsc::UnboundedSender<ExitNotice>;

/// What a task came to: its output (JSON), or why it has none (its own
/// error as `error(…)`, or a crash).
pub type TaskOutcome = Result<Vec<u8>, ExitReason>;

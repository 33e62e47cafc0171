//! What can go wrong when starting or talking to a process.

use super::{ExitReason, NameError, Pid, Target};
use crate::runtime::Crash;
use crate::runtime::capacity::MapLimit;
use crate::sandbox::QuotaExceeded;

/// A call, cast, send or state request that did not get through.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// No live process has this pid or name.
    #[error("no such process: {0}")]
    NoProc(Target),
    /// The target is a supervisor, which takes no GenServer messages.
    #[error("{0} is a supervisor, not a GenServer")]
    NotAServer(Target),
    /// No reply came within the timeout. The server carries on; its late
    /// reply is dropped.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// The server exited before replying.
    #[error("the process exited before replying: {0}")]
    Exited(ExitReason),
    /// The process's mailbox is at its quota: the message was not queued.
    /// The sender is told; the receiver carries on (unlike OTP, whose
    /// mailboxes are unbounded, and whose `max_heap_size` would kill the
    /// receiver, letting any sender kill any process).
    #[error("mailbox full: pid {0}: {1}")]
    MailboxFull(Pid, QuotaExceeded),
    /// The message is larger than the sender may send.
    #[error("{0}")]
    TooLarge(QuotaExceeded),
}

/// A process could not be started.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpawnError {
    /// The host's process cap is reached.
    #[error("too many processes: the host's cap of {0} live processes is reached")]
    TooManyProcesses(u32),
    /// The host's process cap is reached, and the kernel's mapping limit
    /// is what set it.
    #[error("too many processes: {0}")]
    MapLimit(MapLimit),
    /// Its memory limit would take the live processes' limits, together,
    /// past the host's memory budget.
    #[error(
        "memory budget: a process with a {asked}-byte memory limit would take the host past its budget of {budget} bytes ({reserved} reserved by live processes)"
    )]
    MemoryBudget {
        /// The new process's limit.
        asked: u64,
        /// What live processes hold already.
        reserved: u64,
        /// The host's budget.
        budget: u64,
    },
    /// Its name, or its via key, is held by a live process (or its registry
    /// does not exist).
    #[error(transparent)]
    Name(#[from] NameError),
    /// The instance could not be created.
    #[error("cannot instantiate: {0}")]
    Instantiate(Crash),
    /// `init` returned stop.
    #[error("init stopped: {0}")]
    InitStopped(ExitReason),
    /// `init` crashed.
    #[error("{file}: init crashed: {crash}")]
    InitCrashed {
        /// The build it ran, as its file.
        file: String,
        /// How it crashed.
        crash: Crash,
    },
}

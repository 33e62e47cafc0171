//! The values callbacks receive and return: plain Rust types, no WIT, no JSON.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::host::Pid;
use crate::messaging::MonitorRef;

/// What [`GenServer::init`](crate::GenServer::init) decides: OTP's
/// `{:ok, state}`, `{:ok, state, timeout}`, `:ignore` and `{:stop, reason}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init<S> {
    /// Started with this state.
    Ok {
        /// The state the next callbacks get as `&mut self`.
        state: S,
        /// Milliseconds without a message before `handle_info` gets
        /// [`Info::Timeout`]; `None` waits forever.
        timeout: Option<u32>,
    },
    /// Do not start; the supervisor keeps the child as not running.
    Ignore,
    /// Fail to start with this reason; `terminate` is not called.
    Stop(ExitReason),
}

impl<S> Init<S> {
    /// Start with `state` and no timeout.
    pub fn ok(state: S) -> Self {
        Init::Ok {
            state,
            timeout: None,
        }
    }

    /// Do not start (OTP's `:ignore`).
    pub fn ignore() -> Self {
        Init::Ignore
    }

    /// Refuse to start with `reason`.
    pub fn stop(reason: ExitReason) -> Self {
        Init::Stop(reason)
    }

    /// Set the timeout: [`Info::Timeout`] arrives if no message does within
    /// `ms` milliseconds. Has no effect on `Ignore` or `Stop`.
    #[must_use]
    pub fn with_timeout(mut self, ms: u32) -> Self {
        if let Init::Ok { timeout, .. } = &mut self {
            *timeout = Some(ms);
        }
        self
    }
}

/// What [`GenServer::handle_call`](crate::GenServer::handle_call) decides:
/// OTP's `{:reply, r, state}`, `{:noreply, state}` and `{:stop, reason, …}`,
/// each with an optional timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult<R> {
    /// Reply now.
    Reply {
        /// The reply, sent to the caller as JSON.
        reply: R,
        /// See [`Init::Ok::timeout`](Init::Ok).
        timeout: Option<u32>,
    },
    /// Do not reply now: answer later with [`reply`](crate::reply) and the
    /// [`Caller`] that `handle_call` received.
    NoReply {
        /// See [`Init::Ok::timeout`](Init::Ok).
        timeout: Option<u32>,
    },
    /// Stop the process. `terminate` runs first, then the reply, if any, is
    /// sent; without one the caller gets the exit reason as its error.
    Stop {
        /// Why the process stops.
        reason: ExitReason,
        /// The reply sent once `terminate` has returned.
        reply: Option<R>,
    },
}

impl<R> CallResult<R> {
    /// Reply `reply` now (OTP's `{:reply, reply, state}`).
    pub fn reply(reply: R) -> Self {
        CallResult::Reply {
            reply,
            timeout: None,
        }
    }

    /// Reply later with [`reply`](crate::reply) (OTP's `{:noreply, state}`).
    pub fn noreply() -> Self {
        CallResult::NoReply { timeout: None }
    }

    /// Stop without a reply: the caller gets `reason` as its error.
    pub fn stop(reason: ExitReason) -> Self {
        CallResult::Stop {
            reason,
            reply: None,
        }
    }

    /// Stop and reply `reply` once `terminate` has returned (OTP's
    /// `{:stop, reason, reply, state}`).
    pub fn stop_with_reply(reason: ExitReason, reply: R) -> Self {
        CallResult::Stop {
            reason,
            reply: Some(reply),
        }
    }

    /// Set the timeout: [`Info::Timeout`] arrives if no message does within
    /// `ms` milliseconds. Has no effect on `Stop`.
    #[must_use]
    pub fn with_timeout(mut self, ms: u32) -> Self {
        match &mut self {
            CallResult::Reply { timeout, .. } | CallResult::NoReply { timeout } => {
                *timeout = Some(ms)
            }
            CallResult::Stop { .. } => {}
        }
        self
    }
}

/// What [`GenServer::handle_cast`](crate::GenServer::handle_cast) and
/// [`GenServer::handle_info`](crate::GenServer::handle_info) decide: OTP's
/// `{:noreply, state}`, `{:noreply, state, timeout}` and
/// `{:stop, reason, state}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastResult {
    /// Carry on.
    NoReply {
        /// See [`Init::Ok::timeout`](Init::Ok).
        timeout: Option<u32>,
    },
    /// Stop the process; `terminate` runs first.
    Stop(ExitReason),
}

impl CastResult {
    /// Carry on, with no timeout.
    pub fn noreply() -> Self {
        CastResult::NoReply { timeout: None }
    }

    /// Stop with `reason`.
    pub fn stop(reason: ExitReason) -> Self {
        CastResult::Stop(reason)
    }

    /// Set the timeout: [`Info::Timeout`] arrives if no message does within
    /// `ms` milliseconds. Has no effect on `Stop`.
    #[must_use]
    pub fn with_timeout(mut self, ms: u32) -> Self {
        if let CastResult::NoReply { timeout } = &mut self {
            *timeout = Some(ms);
        }
        self
    }
}

/// Why a process exits.
///
/// `Normal`, `Shutdown` and `ShutdownWith` are OTP's clean exits (`normal`,
/// `shutdown`, `{shutdown, term}`): a transient child is not restarted after
/// them. `Error` is an abnormal exit, with a reason meant for people.
///
/// Displayed as the host displays exit reasons: `normal`, `shutdown`,
/// `shutdown: <term>`, and the reason itself for `Error`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExitReason {
    /// The work is done.
    Normal,
    /// Told to stop (by the supervisor, or by the process itself).
    Shutdown,
    /// Told to stop, with a reason: OTP's `{shutdown, term}`.
    ShutdownWith(String),
    /// An abnormal exit.
    Error(String),
}

impl ExitReason {
    /// An abnormal exit with `reason`, e.g. `ExitReason::error("disk full")`.
    pub fn error(reason: impl Into<String>) -> Self {
        ExitReason::Error(reason.into())
    }

    /// A clean exit with a reason: OTP's `{shutdown, term}`.
    pub fn shutdown_with(reason: impl Into<String>) -> Self {
        ExitReason::ShutdownWith(reason.into())
    }

    /// True for the clean exits (`Normal`, `Shutdown`, `ShutdownWith`), after
    /// which a transient child is not restarted.
    pub fn is_clean(&self) -> bool {
        !matches!(self, ExitReason::Error(_))
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::ShutdownWith(term) => write!(f, "shutdown: {term}"),
            ExitReason::Error(reason) => f.write_str(reason),
        }
    }
}

/// Everything that reaches [`GenServer::handle_info`](crate::GenServer::handle_info).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info<T> {
    /// A plain message (from [`send`](crate::send),
    /// [`send_after`](crate::send_after), the outside), decoded into the
    /// plugin's `Info` type.
    Message(T),
    /// The timeout returned by the last callback expired with no message.
    Timeout,
    /// A process this one [`monitor`](crate::monitor)s has exited (the
    /// monitor is then gone).
    Down {
        /// The monitor's reference, as [`monitor`](crate::monitor) returned it.
        monitor: MonitorRef,
        /// The process that exited.
        pid: Pid,
        /// Why it exited.
        reason: ExitReason,
    },
    /// A [`link`](crate::link)ed process has exited, and this process traps
    /// exits ([`trap_exit`](crate::trap_exit)).
    Exit {
        /// The process the exit signal came from.
        from: Pid,
        /// The reason it carries.
        reason: ExitReason,
    },
}

/// Who is waiting on a call: pass it to [`reply`](crate::reply) to answer a
/// call that [`GenServer::handle_call`](crate::GenServer::handle_call)
/// returned [`CallResult::noreply`] for.
///
/// It is serialisable, so it can be kept in the state (and survive an
/// upgrade) or travel in a message to the process itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Caller {
    pid: Option<Pid>,
    tag: u64,
}

impl Caller {
    /// The calling process, or `None` when the call came from outside (the
    /// command line, the control API, a host-side client). A process that
    /// [`call`](crate::call)s fills it, so that the callee can
    /// [`send`](crate::send) to it, [`monitor`](crate::monitor) it or
    /// [`link`](crate::link) to it.
    pub fn pid(&self) -> Option<Pid> {
        self.pid
    }
}

// ===== conversions to and from the WIT types =====

/// Where the state handed to [`GenServer::code_change`](crate::GenServer::code_change)
/// comes from: OTP's `OldVsn` on an upgrade, `{down, Vsn}` on a downgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VsnChange {
    /// An upgrade: the state was made by this (older) vsn.
    Upgrade(String),
    /// A downgrade: an older build was put back in place, and the state was
    /// made by this newer vsn. Drop what the newer version added.
    Downgrade(String),
}

impl VsnChange {
    /// The vsn that made the state.
    pub fn vsn(&self) -> &str {
        match self {
            VsnChange::Upgrade(vsn) | VsnChange::Downgrade(vsn) => vsn,
        }
    }

    /// True on a downgrade.
    pub fn is_downgrade(&self) -> bool {
        matches!(self, VsnChange::Downgrade(_))
    }
}

impl fmt::Display for VsnChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VsnChange::Upgrade(vsn) => write!(f, "{vsn}"),
            VsnChange::Downgrade(vsn) => write!(f, "{{down, {vsn}}}"),
        }
    }
}

use crate::bindings::overseer::plugin::types as wit;

impl From<wit::Caller> for Caller {
    fn from(caller: wit::Caller) -> Self {
        Caller {
            pid: caller.pid,
            tag: caller.tag,
        }
    }
}

impl From<Caller> for wit::Caller {
    fn from(caller: Caller) -> Self {
        wit::Caller {
            pid: caller.pid,
            tag: caller.tag,
        }
    }
}

impl From<wit::ExitReason> for ExitReason {
    fn from(reason: wit::ExitReason) -> Self {
        match reason {
            wit::ExitReason::Normal => ExitReason::Normal,
            wit::ExitReason::Shutdown => ExitReason::Shutdown,
            wit::ExitReason::ShutdownWith(term) => ExitReason::ShutdownWith(term),
            wit::ExitReason::Error(reason) => ExitReason::Error(reason),
        }
    }
}

impl From<ExitReason> for wit::ExitReason {
    fn from(reason: ExitReason) -> Self {
        match reason {
            ExitReason::Normal => wit::ExitReason::Normal,
            ExitReason::Shutdown => wit::ExitReason::Shutdown,
            ExitReason::ShutdownWith(term) => wit::ExitReason::ShutdownWith(term),
            ExitReason::Error(reason) => wit::ExitReason::Error(reason),
        }
    }
}

/// The WIT form of an optional timeout in milliseconds.
pub(crate) fn wit_timeout(timeout: Option<u32>) -> wit::Timeout {
    match timeout {
        None => wit::Timeout::Infinity,
        Some(ms) => wit::Timeout::AfterMs(ms),
    }
}

impl From<wit::VsnChange> for VsnChange {
    fn from(change: wit::VsnChange) -> Self {
        match change {
            wit::VsnChange::Upgrade(vsn) => VsnChange::Upgrade(vsn),
            wit::VsnChange::Downgrade(vsn) => VsnChange::Downgrade(vsn),
        }
    }
}

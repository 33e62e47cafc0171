//! Talking to other processes: names, messages, casts, calls, monitors and
//! links (Elixir's `send`, `GenServer.cast/call`, `Process.monitor/link`,
//! `Process.register`). Typed wrappers for the host's imports, JSON in and
//! out, like those in `host.rs`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::bindings::overseer::plugin::host as wit;
use crate::bindings::overseer::plugin::types as wit_types;
use crate::host::Pid;
use crate::results::{ExitReason, wit_timeout};

/// Where a message goes: a process by pid, or by the name it registered
/// (OTP's `pid() | atom()` destination).
///
/// Anything that converts into it will do where a function takes
/// `impl Into<Target>`: a [`Pid`], a `&str` or a `String` name.
/// Serialised as the bare pid number or name string, so that a target can be
/// kept in the state or travel in a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Target {
    /// The process with this pid.
    Pid(Pid),
    /// The process registered under this name (see [`register`]).
    Name(String),
    /// The process under a unique key in a registry: `(registry, key)`
    /// (Elixir's `{:via, Registry, {registry, key}}`; see
    /// [`registry_register`](crate::registry_register)). Serialised as a
    /// two-element array.
    Via(String, String),
}

impl From<Pid> for Target {
    fn from(pid: Pid) -> Self {
        Target::Pid(pid)
    }
}

impl From<&str> for Target {
    fn from(name: &str) -> Self {
        Target::Name(name.to_owned())
    }
}

impl From<String> for Target {
    fn from(name: String) -> Self {
        Target::Name(name)
    }
}

impl From<Target> for wit_types::Target {
    fn from(target: Target) -> Self {
        match target {
            Target::Pid(pid) => wit_types::Target::Pid(pid),
            Target::Name(name) => wit_types::Target::Name(name),
            Target::Via(registry, key) => wit_types::Target::Via((registry, key)),
        }
    }
}

/// Why a message, cast, call or link to another process did not get
/// through. Displayed as one line meant for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No live process has that pid or name (or it is a supervisor).
    NoProc,
    /// No reply within the timeout. The callee carries on; its late reply is
    /// dropped.
    Timeout,
    /// The callee exited before replying, with this reason.
    Exited(ExitReason),
    /// A process called itself: it would have waited for itself forever.
    CallingSelf,
    /// The host refused the message; the line says why (`not permitted:
    /// …`, `mailbox full: …`, `message too large: …`).
    Refused(String),
    /// The reply arrived but is not JSON of the expected type; the serde
    /// error says why.
    BadReply(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::NoProc => f.write_str("no such process"),
            CallError::Timeout => f.write_str("timed out"),
            CallError::Exited(reason) => {
                write!(f, "the process exited before replying: {reason}")
            }
            CallError::CallingSelf => f.write_str("a process cannot call itself"),
            CallError::Refused(why) => f.write_str(why),
            CallError::BadReply(err) => write!(f, "cannot decode the reply: {err}"),
        }
    }
}

impl std::error::Error for CallError {}

impl From<wit_types::CallError> for CallError {
    fn from(err: wit_types::CallError) -> Self {
        match err {
            wit_types::CallError::Noproc => CallError::NoProc,
            wit_types::CallError::Timeout => CallError::Timeout,
            wit_types::CallError::Exited(reason) => CallError::Exited(reason.into()),
            wit_types::CallError::CallingSelf => CallError::CallingSelf,
            wit_types::CallError::Refused(why) => CallError::Refused(why),
        }
    }
}

/// A monitor set up with [`monitor`], to stop with [`demonitor`]; the
/// [`Info::Down`](crate::Info::Down) it produces carries the same reference.
///
/// Serialisable (as a bare number), so that it can be kept in the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MonitorRef(pub(crate) u64);

/// The pid registered under `name`, if that process is alive (Elixir's
/// `Process.whereis/1`).
pub fn whereis(name: &str) -> Option<Pid> {
    wit::whereis(name)
}

/// Send `msg` to `to`'s `handle_info` as [`Info::Message`](crate::Info::Message)
/// (Elixir's `send/2`). Send a value of the receiver's `Info` type so that it
/// decodes on arrival.
///
/// Delivery is not confirmed: `Ok` means that the process existed when the
/// message was sent. Fails with [`CallError::NoProc`] when no live process
/// has that pid or name.
///
/// # Panics
///
/// If `msg` cannot be encoded as JSON (a map with non-string keys, a
/// `Serialize` impl that fails): a bug in the plugin, so the process crashes
/// with a message that says so.
pub fn send<M: Serialize + ?Sized>(to: impl Into<Target>, msg: &M) -> Result<(), CallError> {
    let payload = encode("send", "message", msg);
    wit::send(&to.into().into(), &payload).map_err(CallError::from)
}

/// Send `msg` to `to`'s `handle_cast` (Elixir's `GenServer.cast/2`). Send a
/// value of the receiver's `Cast` type so that it decodes on arrival.
///
/// As for [`send`], `Ok` only means that the process existed; fails with
/// [`CallError::NoProc`] otherwise.
///
/// # Panics
///
/// If `msg` cannot be encoded as JSON, as for [`send`].
pub fn cast<M: Serialize + ?Sized>(to: impl Into<Target>, msg: &M) -> Result<(), CallError> {
    let payload = encode("cast", "message", msg);
    wit::cast(&to.into().into(), &payload).map_err(CallError::from)
}

/// Call `to` with `request` and wait for its reply, decoded as `R` (Elixir's
/// `GenServer.call/3`). `timeout_ms` is how long to wait; `None` waits
/// forever.
///
/// This process is blocked meanwhile (nothing else reaches it, and its CPU
/// deadline does not run); every other process runs on. The callee sees this
/// process as its [`Caller::pid`](crate::Caller::pid).
///
/// Unlike Elixir, a failed call does not crash the caller: it returns the
/// [`CallError`], and the plugin decides. A call to a process that may call
/// back into this one deadlocks until one of them times out, as in OTP.
///
/// # Panics
///
/// If `request` cannot be encoded as JSON, as for [`send`].
pub fn call<Q: Serialize + ?Sized, R: DeserializeOwned>(
    to: impl Into<Target>,
    request: &Q,
    timeout_ms: Option<u32>,
) -> Result<R, CallError> {
    let payload = encode("call", "request", request);
    let reply = wit::call(&to.into().into(), &payload, wit_timeout(timeout_ms))?;
    serde_json::from_slice(&reply).map_err(|err| CallError::BadReply(err.to_string()))
}

/// Monitor `pid` (Elixir's `Process.monitor/1`): when it exits, this process
/// gets [`Info::Down`](crate::Info::Down) with the returned reference and the
/// exit reason. If `pid` is already gone, the `Down` arrives at once, with
/// the reason `noproc`.
pub fn monitor(pid: Pid) -> MonitorRef {
    MonitorRef(wit::monitor(pid))
}

/// Stop a monitor set up with [`monitor`] (Elixir's `Process.demonitor/1`).
/// True if it was active.
pub fn demonitor(monitor: MonitorRef) -> bool {
    wit::demonitor(monitor.0)
}

/// Link this process and `pid` (Elixir's `Process.link/1`): when either exits
/// abnormally, the other exits with the same reason, unless it traps exits
/// ([`trap_exit`](crate::trap_exit)), in which case it gets
/// [`Info::Exit`](crate::Info::Exit). Fails with [`CallError::NoProc`] if
/// `pid` is gone.
pub fn link(pid: Pid) -> Result<(), CallError> {
    wit::link(pid).map_err(CallError::from)
}

/// Remove the link between this process and `pid`, if there is one
/// (Elixir's `Process.unlink/1`).
pub fn unlink(pid: Pid) {
    wit::unlink(pid);
}

/// Register this process under `name` until it exits or [`unregister`]s
/// (Elixir's `Process.register/2`), so that others can reach it with
/// `name` as a [`Target`]. Fails, with a message naming the holder, if a
/// live process holds the name.
pub fn register(name: &str) -> Result<(), String> {
    wit::register(name)
}

/// Release `name` if this process holds it (Elixir's
/// `Process.unregister/1`). True if it did.
pub fn unregister(name: &str) -> bool {
    wit::unregister(name)
}

/// `value` as JSON, or a panic naming the function (`what`) and the kind of
/// value (`role`): only a bug in the plugin makes a value un-encodable.
fn encode<T: Serialize + ?Sized>(what: &str, role: &str, value: &T) -> Vec<u8> {
    match serde_json::to_vec(value) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest::{what}: cannot encode the {role} as JSON: {err}"),
    }
}

#[cfg(test)]
mod tests {
    //! The conversions and encodings, run natively: none of these calls a
    //! host import.

    use super::*;

    #[test]
    fn targets_convert_and_serialise_bare() {
        assert_eq!(Target::from(7), Target::Pid(7));
        assert_eq!(Target::from("db"), Target::Name("db".into()));
        assert_eq!(Target::from(String::from("db")), Target::Name("db".into()));
        assert_eq!(serde_json::to_string(&Target::Pid(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&Target::from("db")).unwrap(),
            r#""db""#
        );
        assert_eq!(serde_json::from_str::<Target>("7").unwrap(), Target::Pid(7));
        assert_eq!(
            serde_json::from_str::<Target>(r#""db""#).unwrap(),
            Target::from("db")
        );
        assert!(serde_json::from_str::<Target>("[1]").is_err());
    }

    #[test]
    fn call_errors_convert_and_display() {
        let exited = wit_types::CallError::Exited(wit_types::ExitReason::Error("boom".into()));
        assert_eq!(
            CallError::from(exited),
            CallError::Exited(ExitReason::error("boom"))
        );
        assert_eq!(
            CallError::from(wit_types::CallError::Noproc),
            CallError::NoProc
        );
        assert_eq!(CallError::NoProc.to_string(), "no such process");
        assert_eq!(CallError::Timeout.to_string(), "timed out");
        assert_eq!(
            CallError::Exited(ExitReason::shutdown_with("bye")).to_string(),
            "the process exited before replying: shutdown: bye"
        );
        assert_eq!(
            CallError::CallingSelf.to_string(),
            "a process cannot call itself"
        );
        assert_eq!(
            CallError::BadReply("expected i64".into()).to_string(),
            "cannot decode the reply: expected i64"
        );
    }

    #[test]
    fn monitor_refs_serialise_bare() {
        assert_eq!(serde_json::to_string(&MonitorRef(3)).unwrap(), "3");
        assert_eq!(
            serde_json::from_str::<MonitorRef>("3").unwrap(),
            MonitorRef(3)
        );
    }
}

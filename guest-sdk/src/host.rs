//! Typed wrappers for the host's imports: JSON in and out, no bytes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::bindings::overseer::plugin::host as wit;
use crate::results::Caller;

/// A process identifier: unique within one host run, never reused.
pub type Pid = u64;

/// A timer set with [`send_after`], to cancel with [`cancel_timer`].
///
/// Serialisable, so that it can be kept in the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimerRef(u64);

/// The pid of this process (Elixir's `self()`).
pub fn self_pid() -> Pid {
    wit::self_pid()
}

/// Deliver `msg` to this process's `handle_info` as
/// [`Info::Message`](crate::Info::Message) after `ms` milliseconds (Elixir's
/// `Process.send_after(self(), msg, ms)`). Send a value of the plugin's own
/// `Info` type so that it decodes on arrival.
///
/// # Panics
///
/// If `msg` cannot be encoded as JSON (a map with non-string keys, a
/// `Serialize` impl that fails): a bug in the plugin, so the process crashes
/// with a message that says so.
pub fn send_after<M: Serialize + ?Sized>(msg: &M, ms: u32) -> TimerRef {
    let payload = match serde_json::to_vec(msg) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest::send_after: cannot encode the message as JSON: {err}"),
    };
    TimerRef(wit::send_after(&payload, ms))
}

/// Cancel a timer set with [`send_after`]. True if it had not fired yet.
pub fn cancel_timer(timer: TimerRef) -> bool {
    wit::cancel_timer(timer.0)
}

/// Answer a call that `handle_call` returned
/// [`CallResult::noreply`](crate::CallResult::noreply) for (Elixir's
/// `GenServer.reply/2`). A reply to a caller that has given up is dropped.
///
/// # Panics
///
/// If `msg` cannot be encoded as JSON: a bug in the plugin, as for
/// [`send_after`].
pub fn reply<R: Serialize + ?Sized>(to: &Caller, msg: &R) {
    let payload = match serde_json::to_vec(msg) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest::reply: cannot encode the reply as JSON: {err}"),
    };
    wit::reply((*to).into(), &payload);
}

/// Trap exits (OTP's `process_flag(:trap_exit, true)`): a shutdown from the
/// supervisor then runs `terminate` before the process exits, and exits of
/// linked processes arrive as [`Info::Exit`](crate::Info::Exit).
pub fn trap_exit(enabled: bool) {
    wit::trap_exit(enabled);
}

/// The application's environment value under `key` (`[app.env]` in the
/// manifest; Elixir's `Application.get_env`), decoded as `T`.
///
/// `None` when the key is absent, and also when its value is not a `T`: that
/// case logs a warning naming the key; use [`try_config`] to handle it.
pub fn config<T: DeserializeOwned>(key: &str) -> Option<T> {
    match try_config(key) {
        Ok(value) => value,
        Err(err) => {
            crate::log::warn(format!("config {key:?}: {err}"));
            None
        }
    }
}

/// Like [`config`], but a value that is not a `T` is an error instead of
/// `None`.
pub fn try_config<T: DeserializeOwned>(key: &str) -> Result<Option<T>, serde_json::Error> {
    match wit::config(key) {
        None => Ok(None),
        Some(payload) => serde_json::from_slice(&payload).map(Some),
    }
}

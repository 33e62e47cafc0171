//! The `GenServer` trait: the callbacks a plugin implements.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::results::{CallResult, Caller, CastResult, ExitReason, Info, Init, VsnChange};

/// A GenServer, as in Elixir's `use GenServer`: the implementing type is the
/// process's state, and each callback gets it as `&mut self`.
///
/// Every message type is a serde type decoded from the JSON payload the host
/// delivers; a payload that does not decode stops the process with an
/// `error` reason that quotes it (see the crate docs). Accept anything with
/// [`IgnoredAny`](crate::IgnoredAny) or `serde_json::Value`.
///
/// Only [`init`](Self::init) is required; the other callbacks default to what
/// `use GenServer` gives in Elixir.
pub trait GenServer: Serialize + DeserializeOwned + Sized + 'static {
    /// The plugin's version, e.g. `"1.0.0"`: shown by the host and passed to
    /// the next version's [`code_change`](Self::code_change) on an upgrade.
    const VSN: &'static str;

    /// The child spec's `args`. The host passes JSON `null` when the spec has
    /// none, so `Option<_>` (or a struct with `#[serde(default)]` inside an
    /// `Option`) makes them optional.
    type Args: DeserializeOwned;
    /// A synchronous request, answered by [`handle_call`](Self::handle_call).
    type Call: DeserializeOwned;
    /// What a call replies with.
    type Reply: Serialize;
    /// An asynchronous request, handled by [`handle_cast`](Self::handle_cast).
    type Cast: DeserializeOwned;
    /// A plain message (from `send`, `send_after`, the outside), delivered to
    /// [`handle_info`](Self::handle_info) as [`Info::Message`].
    type Info: DeserializeOwned;

    /// Start: build the state from the child spec's args, or refuse to start.
    fn init(args: Self::Args) -> Init<Self>;

    /// A synchronous request. Reply now ([`CallResult::reply`]), later
    /// ([`CallResult::noreply`], then [`reply`](crate::reply) with `from`), or
    /// stop.
    ///
    /// The default stops the process with `error("unexpected call")`, as
    /// Elixir does when a module defines no `handle_call/3`.
    fn handle_call(&mut self, request: Self::Call, from: Caller) -> CallResult<Self::Reply> {
        let _ = (request, from);
        CallResult::stop(ExitReason::error("unexpected call"))
    }

    /// An asynchronous request. The default ignores it.
    fn handle_cast(&mut self, msg: Self::Cast) -> CastResult {
        let _ = msg;
        CastResult::noreply()
    }

    /// Any other message: plain messages, the timeout returned by the last
    /// callback, monitors, trapped exits. The default ignores it.
    fn handle_info(&mut self, msg: Info<Self::Info>) -> CastResult {
        let _ = msg;
        CastResult::noreply()
    }

    /// The process is stopping with `reason`: last chance to clean up. Runs
    /// after a callback returned stop, and on a supervisor's shutdown when the
    /// process traps exits ([`trap_exit`](crate::trap_exit)). The default does
    /// nothing.
    fn terminate(&mut self, reason: ExitReason) {
        let _ = reason;
    }

    /// A hot code change: build this version's state from `old_state`, the
    /// JSON that the version named in `from` serialised. `from` says whether
    /// this is an upgrade or a downgrade (an older build put back in place,
    /// OTP's `{down, Vsn}`); `extra` is the change's extra argument (JSON).
    /// An `Err` leaves the old version serving, and its message is reported.
    ///
    /// The default decodes `old_state` as `Self`, which is right whenever the
    /// state's JSON shape has not changed, or changed only by fields with
    /// `#[serde(default)]` (an upgrade) or by fields this version does not
    /// know (a downgrade: serde skips them).
    fn code_change(from: &VsnChange, old_state: &[u8], extra: &[u8]) -> Result<Self, String> {
        let _ = extra;
        serde_json::from_slice(old_state)
            .map_err(|err| format!("cannot decode the state of version {from}: {err}"))
    }

    /// The application's env changed while it ran (`overseer config set`,
    /// `overseer apply`), as OTP's `config_change/3`: `changed` holds each
    /// top-level key added or changed with its new value, `removed` each
    /// key that is gone (only keys this plugin may read). From now on
    /// [`config`](crate::config) returns the new values. The default does
    /// nothing.
    fn config_change(&mut self, changed: Vec<(String, serde_json::Value)>, removed: Vec<String>) {
        let _ = (changed, removed);
    }
}

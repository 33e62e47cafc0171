//! `counter_bad`: a `counter` look-alike (vsn `9.9.9-bad`) for testing
//! upgrades that go wrong. Put it in place of `counter.wasm` while a counter
//! runs; the old version must keep serving (or the child must restart).
//!
//! Protocol (JSON): `counter`'s, unchanged.
//! - init args `{"initial_value": N}` (0 when absent or `null`).
//! - call `"increment"` → the new value; call `"get"` → the value;
//!   call `{"add": N}` → the new value; cast `"increment"`.
//! - get-state → `{"value": N}`; terminate logs (info) `terminate: <reason>`.
//! - code_change logs (info) `code_change from <from>`.
//!
//! The Cargo feature picks the failure; enable at most one (`cargo xtask
//! build-plugins` builds each as `counter_bad_<feature>.wasm`):
//! - `change_error`: code_change returns the error
//!   `counter_bad: refusing to take over the state`.
//! - `change_trap`: code_change traps (wasm `unreachable`).
//! - `init_trap`: code_change takes over `{"value": N}`, but init traps.
//!
//! With none, it behaves like `counter`.

use overseer_guest::{
    CallResult, Caller, CastResult, ExitReason, GenServer, IgnoredAny, Init, VsnChange, log,
    serde_json,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Counter {
    value: i64,
}

#[derive(Deserialize)]
struct Args {
    #[serde(default)]
    initial_value: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Increment,
    Get,
    Add(i64),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Cast {
    Increment,
}

impl GenServer for Counter {
    const VSN: &'static str = "9.9.9-bad";
    type Args = Option<Args>;
    type Call = Call;
    type Reply = i64;
    type Cast = Cast;
    type Info = IgnoredAny;

    fn init(args: Option<Args>) -> Init<Self> {
        if cfg!(feature = "init_trap") {
            trap();
        }
        let initial_value = args.map_or(0, |args| args.initial_value);
        Init::ok(Counter {
            value: initial_value,
        })
    }

    fn handle_call(&mut self, request: Call, _from: Caller) -> CallResult<i64> {
        match request {
            Call::Increment => self.value += 1,
            Call::Get => {}
            Call::Add(n) => self.value += n,
        }
        CallResult::reply(self.value)
    }

    fn handle_cast(&mut self, Cast::Increment: Cast) -> CastResult {
        self.value += 1;
        CastResult::noreply()
    }

    fn terminate(&mut self, reason: ExitReason) {
        log::info(format!("terminate: {reason}"));
    }

    fn code_change(from: &VsnChange, old_state: &[u8], _extra: &[u8]) -> Result<Self, String> {
        log::info(format!("code_change from {from}"));
        if cfg!(feature = "change_error") {
            return Err("counter_bad: refusing to take over the state".into());
        }
        if cfg!(feature = "change_trap") {
            trap();
        }
        serde_json::from_slice(old_state)
            .map_err(|err| format!("counter_bad: cannot decode the state of version {from}: {err}"))
    }
}

/// Trap: wasm `unreachable`. Off wasm32 (only for `cargo clippy` and
/// `cargo check` on the host target) a panic stands in.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("counter_bad: trap");
}

overseer_guest::export!(Counter);

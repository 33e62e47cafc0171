//! `flaky`: a service that fails on demand without dying, the thing a
//! circuit breaker protects (see `plugins/circuit_breaker`).
//!
//! Protocol (JSON):
//! - init args, all optional (`null` is fine): `{"failing": true}` → starts
//!   out failing.
//! - call `"work"` → `"done"`, or `{"error": "unavailable"}` while failing.
//!   Every `"work"` call is counted, failed or not.
//! - call `{"set_failing": bool}` → `"ok"`: from now on `"work"` fails (true)
//!   or succeeds (false).
//! - call `"calls"` → how many `"work"` calls it has handled.
//! - call `{"slow_ms": N}` → `"done"` after N ms: a deferred reply, sent when
//!   a `send_after` message to itself arrives. Meanwhile it answers other
//!   calls. Not counted, and it does not fail.
//! - casts: ignored.
//! - get-state → `{"failing": bool, "calls": N}`.

use overseer_guest::serde_json::{Value, json};
use overseer_guest::{
    CallResult, Caller, CastResult, GenServer, IgnoredAny, Info, Init, reply, send_after,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Flaky {
    failing: bool,
    calls: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Args {
    failing: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Work,
    SetFailing(bool),
    Calls,
    SlowMs(u32),
}

/// What the process sends itself: the caller of a `slow_ms` call travels in
/// the message, so the state needs no table of pending calls.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    Wake(Caller),
}

impl GenServer for Flaky {
    const VSN: &'static str = "1.0.0";
    type Args = Option<Args>;
    type Call = Call;
    type Reply = Value;
    type Cast = IgnoredAny;
    type Info = Msg;

    fn init(args: Option<Args>) -> Init<Self> {
        let args = args.unwrap_or_default();
        Init::ok(Flaky {
            failing: args.failing,
            calls: 0,
        })
    }

    fn handle_call(&mut self, request: Call, from: Caller) -> CallResult<Value> {
        let reply = match request {
            Call::Work => {
                self.calls += 1;
                if self.failing {
                    json!({ "error": "unavailable" })
                } else {
                    json!("done")
                }
            }
            Call::SetFailing(failing) => {
                self.failing = failing;
                json!("ok")
            }
            Call::Calls => json!(self.calls),
            Call::SlowMs(ms) => {
                send_after(&Msg::Wake(from), ms);
                return CallResult::noreply();
            }
        };
        CallResult::reply(reply)
    }

    fn handle_info(&mut self, msg: Info<Msg>) -> CastResult {
        if let Info::Message(Msg::Wake(caller)) = msg {
            reply(&caller, "done");
        }
        CastResult::noreply()
    }
}

overseer_guest::export!(Flaky);

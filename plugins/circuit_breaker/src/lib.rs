//! `circuit_breaker`: the seed's `MyApp.CircuitBreaker`, a GenServer that
//! wraps calls to a service process and stops calling it after repeated
//! failures, until a reset time has passed.
//!
//! Where the seed runs a function and measures the open time with the clock,
//! this breaker calls another process (the host's `call`) and reopens the
//! gate with a `send_after` timer.
//!
//! Protocol (JSON). A target T is a registered name string, a pid number or a
//! `[registry, key]` pair.
//! - init args `{"service": T, "max_failures": N, "reset_ms": M,
//!   "call_timeout_ms": K}`: only `service` is required; the defaults are
//!   N = 3, M = 5000, K = 1000. Init stops with an error if the args are
//!   null or N is 0 (and, as for any plugin, if they do not decode: no
//!   `service`).
//! - call `{"call": REQ}`:
//!   - when open: `{"error": "open"}`, and the service is not called;
//!   - otherwise it calls the service with REQ, waiting up to K ms. A reply
//!     that is a JSON object with an `"error"` key is a failure, replied as
//!     `{"error": <the service's error>}`. A call that fails is a failure,
//!     replied as `{"error": kind}`, kind one of `"timeout"`, `"noproc"`,
//!     `"exited: <reason>"` or `"calling_self"`. Any other reply is a
//!     success, replied as `{"ok": <the reply>}`.
//! - states: `closed` → `open` after N consecutive failures; opening sets a
//!   `send_after` timer of M ms, and when it fires the breaker is
//!   `half_open`. In `half_open` the next call goes through: a success closes
//!   the breaker (and resets the failure count), a failure opens it again
//!   with a new timer. In `closed` a success resets the failure count.
//! - call `"state"` → `"closed"`, `"open"` or `"half_open"`.
//! - call `"failures"` → the count of consecutive failures (it keeps growing
//!   while failures go on in `half_open`, and goes back to 0 on a success).
//! - casts: ignored.
//! - get-state → `{"service": T, "max_failures": N, "reset_ms": M,
//!   "call_timeout_ms": K, "state": S, "failures": F, "opened": O}`, O being
//!   how many times it has opened.
//! - it logs (info) each change of state.

use overseer_guest::serde_json::{Value, json};
use overseer_guest::{
    CallError, CallResult, Caller, CastResult, ExitReason, GenServer, IgnoredAny, Info, Init,
    Target, call, log, send_after,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct CircuitBreaker {
    service: Target,
    max_failures: u32,
    reset_ms: u32,
    call_timeout_ms: u32,
    state: State,
    failures: u32,
    /// How many times the breaker has opened: each reset timer carries the
    /// count it was set for, so that a timer from an earlier opening can never
    /// half-open a later one.
    opened: u64,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

#[derive(Deserialize)]
struct Args {
    service: Target,
    #[serde(default = "default_max_failures")]
    max_failures: u32,
    #[serde(default = "default_reset_ms")]
    reset_ms: u32,
    #[serde(default = "default_call_timeout_ms")]
    call_timeout_ms: u32,
}

fn default_max_failures() -> u32 {
    3
}

fn default_reset_ms() -> u32 {
    5000
}

fn default_call_timeout_ms() -> u32 {
    1000
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    Call(Value),
    State,
    Failures,
}

/// What the breaker sends itself.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    /// The reset timer of opening number N has fired.
    Reset(u64),
}

impl GenServer for CircuitBreaker {
    const VSN: &'static str = "1.0.0";
    type Args = Option<Args>;
    type Call = Request;
    type Reply = Value;
    type Cast = IgnoredAny;
    type Info = Msg;

    fn init(args: Option<Args>) -> Init<Self> {
        let Some(args) = args else {
            return Init::stop(ExitReason::error(
                r#"no init args: they must name the service, {"service": T}"#,
            ));
        };
        if args.max_failures == 0 {
            return Init::stop(ExitReason::error("max_failures must be at least 1"));
        }
        Init::ok(CircuitBreaker {
            service: args.service,
            max_failures: args.max_failures,
            reset_ms: args.reset_ms,
            call_timeout_ms: args.call_timeout_ms,
            state: State::Closed,
            failures: 0,
            opened: 0,
        })
    }

    fn handle_call(&mut self, request: Request, _from: Caller) -> CallResult<Value> {
        let reply = match request {
            Request::Call(request) => self.call_service(&request),
            Request::State => json!(self.state.name()),
            Request::Failures => json!(self.failures),
        };
        CallResult::reply(reply)
    }

    fn handle_info(&mut self, msg: Info<Msg>) -> CastResult {
        if let Info::Message(Msg::Reset(opening)) = msg
            && opening == self.opened
            && self.state == State::Open
        {
            self.enter(State::HalfOpen);
        }
        CastResult::noreply()
    }
}

impl CircuitBreaker {
    /// Pass `request` on to the service unless the breaker is open; the
    /// reply to the `{"call": …}` call.
    fn call_service(&mut self, request: &Value) -> Value {
        if self.state == State::Open {
            return json!({ "error": "open" });
        }
        let outcome =
            call::<Value, Value>(self.service.clone(), request, Some(self.call_timeout_ms));
        match outcome {
            Ok(Value::Object(reply)) if reply.contains_key("error") => {
                self.failure();
                json!({ "error": reply["error"] })
            }
            Ok(reply) => {
                self.success();
                json!({ "ok": reply })
            }
            Err(err) => {
                self.failure();
                json!({ "error": kind(&err) })
            }
        }
    }

    fn success(&mut self) {
        self.failures = 0;
        if self.state != State::Closed {
            self.enter(State::Closed);
        }
    }

    fn failure(&mut self) {
        self.failures = self.failures.saturating_add(1);
        if self.state == State::HalfOpen || self.failures >= self.max_failures {
            self.opened += 1;
            send_after(&Msg::Reset(self.opened), self.reset_ms);
            self.enter(State::Open);
        }
    }

    fn enter(&mut self, state: State) {
        log::info(format!(
            "{} -> {} (failures: {})",
            self.state.name(),
            state.name(),
            self.failures
        ));
        self.state = state;
    }
}

/// The protocol's name for a call that failed.
fn kind(err: &CallError) -> String {
    match err {
        CallError::NoProc => "noproc".to_owned(),
        CallError::Timeout => "timeout".to_owned(),
        CallError::CallingSelf => "calling_self".to_owned(),
        CallError::Refused(why) => why.clone(),
        CallError::Exited(reason) => format!("exited: {reason}"),
        // Any JSON decodes as a Value, so only a reply that is not JSON at
        // all ends up here.
        CallError::BadReply(err) => format!("bad_reply: {err}"),
    }
}

overseer_guest::export!(CircuitBreaker);

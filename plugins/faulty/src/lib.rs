//! `faulty`: a GenServer that fails on request, for the host's fault tests.
//!
//! Protocol (JSON):
//! - init args, all optional (`null` is fine):
//!   `{"fail_init": true}` → init stops with `error("init failed on purpose")`;
//!   `{"ignore": true}` → init returns ignore;
//!   `{"trap_exit": true}` → init traps exits;
//!   `{"terminate_ms": N}` → terminate sleeps N ms before returning.
//! - call `"ping"` → `"pong"` (counted in the state).
//! - call or cast `{"crash": K}` ends the process, K one of:
//!   `"trap"` (wasm `unreachable`), `"panic"` (message
//!   `faulty: asked to panic`), `"div_zero"` (integer division by zero, which
//!   Rust reports as the panic `attempt to divide by zero`), `"loop"` (never
//!   returns), `"oom"` (keeps 1 MiB allocations until the memory limit),
//!   `"stack"` (unbounded recursion).
//! - call `{"stop": R}` → stops with reason R (`"normal"` → normal,
//!   `"shutdown"` → shutdown, anything else → `error(R)`) and replies
//!   `"stopping"`; cast `{"stop": R}` stops the same way.
//! - call `{"sleep_ms": N}` → `"slept"` after N ms: a deferred reply, sent
//!   when a `send_after` message to itself arrives.
//! - call `{"config": KEY}` → the application env value under KEY, or null.
//! - cast `{"note": N}` → N is kept, in order; call `"notes"` → all of
//!   them, as a list (casts handled in order, batched or not).
//! - cast `{"busy_ms": N}` → computes for N ms (wall time) before returning.
//! - call `"config_changes"` → every config-change this instance heard, as
//!   `[{"changed": {KEY: VALUE}, "removed": [KEY]}]`, oldest first. A
//!   config-change whose changed keys include `crash` ends the process the
//!   way `{"crash": K}` does, K being that key's value.
//! - every terminate logs (info) `terminate: <reason>` first.
//! - get-state → `{"pings": N}`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use overseer_guest::serde_json::{Value, json};
use overseer_guest::{
    CallResult, Caller, CastResult, ExitReason, GenServer, Info, Init, config, log, reply,
    send_after, trap_exit,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Faulty {
    pings: u64,
    /// Kept out of the JSON state so that get-state is exactly `{"pings": N}`.
    #[serde(skip)]
    terminate_ms: Option<u64>,
    /// The config-changes heard, also out of the state.
    #[serde(skip)]
    config_changes: Vec<Value>,
    /// The `note` casts, in the order handled.
    #[serde(skip)]
    notes: Vec<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Args {
    fail_init: bool,
    ignore: bool,
    trap_exit: bool,
    terminate_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Ping,
    Crash(Crash),
    Stop(String),
    SleepMs(u32),
    Config(String),
    ConfigChanges,
    Notes,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Cast {
    Crash(Crash),
    Stop(String),
    Note(u64),
    BusyMs(u64),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Crash {
    Trap,
    Panic,
    DivZero,
    Loop,
    Oom,
    Stack,
}

/// What the process sends itself: the caller of a `sleep_ms` call travels in
/// the message, so the state needs no table of pending calls.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    Wake(Caller),
}

impl GenServer for Faulty {
    // Built with `--features v2` it is another build of the same code, for
    // upgrade tests (xtask copies it to faulty_v2.wasm).
    const VSN: &'static str = if cfg!(feature = "v2") {
        "1.1.0"
    } else {
        "1.0.0"
    };
    type Args = Option<Args>;
    type Call = Call;
    type Reply = Value;
    type Cast = Cast;
    type Info = Msg;

    fn init(args: Option<Args>) -> Init<Self> {
        let args = args.unwrap_or_default();
        if args.fail_init {
            return Init::stop(ExitReason::error("init failed on purpose"));
        }
        if args.ignore {
            return Init::ignore();
        }
        if args.trap_exit {
            trap_exit(true);
        }
        Init::ok(Faulty {
            pings: 0,
            terminate_ms: args.terminate_ms,
            config_changes: Vec::new(),
            notes: Vec::new(),
        })
    }

    fn handle_call(&mut self, request: Call, from: Caller) -> CallResult<Value> {
        match request {
            Call::Ping => {
                self.pings += 1;
                CallResult::reply(json!("pong"))
            }
            Call::Crash(how) => crash(how),
            Call::Stop(reason) => {
                CallResult::stop_with_reply(exit_reason(reason), json!("stopping"))
            }
            Call::SleepMs(ms) => {
                send_after(&Msg::Wake(from), ms);
                CallResult::noreply()
            }
            Call::Config(key) => CallResult::reply(config(&key).unwrap_or(Value::Null)),
            Call::ConfigChanges => CallResult::reply(Value::Array(self.config_changes.clone())),
            Call::Notes => CallResult::reply(json!(self.notes)),
        }
    }

    fn handle_cast(&mut self, msg: Cast) -> CastResult {
        match msg {
            Cast::Crash(how) => crash(how),
            Cast::Stop(reason) => CastResult::stop(exit_reason(reason)),
            Cast::Note(n) => {
                self.notes.push(n);
                CastResult::noreply()
            }
            Cast::BusyMs(ms) => {
                let started = Instant::now();
                while started.elapsed() < Duration::from_millis(ms) {
                    black_box(started);
                }
                CastResult::noreply()
            }
        }
    }

    fn handle_info(&mut self, msg: Info<Msg>) -> CastResult {
        if let Info::Message(Msg::Wake(caller)) = msg {
            reply(&caller, "slept");
        }
        CastResult::noreply()
    }

    fn config_change(&mut self, changed: Vec<(String, Value)>, removed: Vec<String>) {
        let crash_kind = changed
            .iter()
            .find(|(key, _)| key == "crash")
            .map(|(_, v)| v.clone());
        if let Some(how) =
            crash_kind.and_then(|kind| overseer_guest::serde_json::from_value::<Crash>(kind).ok())
        {
            crash(how);
        }
        let changed: overseer_guest::serde_json::Map<String, Value> = changed.into_iter().collect();
        self.config_changes
            .push(json!({"changed": changed, "removed": removed}));
    }

    fn terminate(&mut self, reason: ExitReason) {
        log::info(format!("terminate: {reason}"));
        if let Some(ms) = self.terminate_ms {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
}

fn exit_reason(reason: String) -> ExitReason {
    match reason.as_str() {
        "normal" => ExitReason::Normal,
        "shutdown" => ExitReason::Shutdown,
        _ => ExitReason::Error(reason),
    }
}

/// End the process the way `how` says; never returns.
fn crash(how: Crash) -> ! {
    match how {
        Crash::Trap => trap(),
        Crash::Panic => panic!("faulty: asked to panic"),
        Crash::DivZero => {
            let zero = black_box(0_u32);
            black_box(black_box(1_u32) / zero);
            unreachable!("division by zero returned")
        }
        Crash::Loop => {
            let mut spins = 0_u64;
            loop {
                spins = black_box(spins.wrapping_add(1));
            }
        }
        Crash::Oom => {
            let mut chunks = Vec::new();
            loop {
                // Filled, not zeroed, so that every page is really used.
                chunks.push(black_box(vec![0xA5_u8; 1 << 20]));
            }
        }
        Crash::Stack => {
            black_box(recurse(0));
            unreachable!("unbounded recursion returned")
        }
    }
}

fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}

/// Recursion that cannot become a loop: each frame uses the callee's result
/// through `black_box`, so no call is in tail position, and the way out is a
/// condition the optimiser cannot see is always false.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if black_box(false) {
        return depth;
    }
    black_box(recurse(black_box(depth + 1))).wrapping_add(depth)
}

overseer_guest::export!(Faulty);

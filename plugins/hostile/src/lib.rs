//! `hostile`: a plugin that attacks the host and its neighbours on request,
//! the fixture of the containment tests (`tests/tests/hostile.rs`). Every
//! attack is one call, so a test can aim it and then check that the
//! attacker alone paid for it.
//!
//! Protocol (JSON). A target T is a pid number or a registered name. Where
//! an attack is refused, the reply says so: `{"error": "<the host's line>"}`.
//! - init args, optional: `{"init": OP}` runs the call OP inside `init`
//!   and keeps its reply, returned by call `"init_result"`.
//! - call `"ping"` → `"pong"`; call `"pid"` → its pid.
//! - resources: `{"alloc_mb": N}` allocates and touches N MiB more, and
//!   keeps it (replies the MiB held); `"spin"` loops for ever;
//!   `{"sleep_ms": N}` sleeps through WASI (replies `"slept"`);
//!   `{"timers": N}` sets N one-hour timers; `{"monitors": {"pid": P, "n":
//!   N}}` monitors P N times; each replies the count set.
//! - messages: `{"flood": {"to": T, "n": N, "bytes": B}}` casts N messages
//!   of B bytes to T, stopping at the first refusal: `{"sent": K, "error":
//!   null | "<line>"}`; `{"reply_mb": N}` replies N MiB; `{"log": {"n": N,
//!   "bytes": B}}` logs N lines of B bytes, each with a forged line inside.
//! - cast `{"stretch_deadline": N}` computes for 100 ms then tells the
//!   host that the next cast of a batch begins (`cast-done`), N times, then
//!   spins for ever; any other cast is ignored.
//! - others: `{"start_child": {"sup": T, "spec": S}}`, `{"spawn": {"sup":
//!   T, "spec": S, "n": N}}` (`{"started": K, "error": …}`),
//!   `{"terminate_child": {"sup": T, "pid": P}}`, `{"which_children": T}`,
//!   `{"task": {"sup": T, "plugin": P, "input": I}}`, `{"register": name}`, `{"link":
//!   P}`, `{"link_and_crash": P}` (links, then traps), `{"call": {"to": T,
//!   "msg": M}}`, `{"config": key}`: each `{"ok": …}` or `{"error": …}`.
//! - the machine, through WASI: `{"read_file": path}`, `{"write_file":
//!   path}`, `{"list_dir": path}`, `{"env": name}`, `{"connect": "ip:port"}`:
//!   each `{"ok": …}` or `{"error": "<the OS's line>"}`.

use std::io::Write;

use overseer_guest::serde_json::{Value, json};
use overseer_guest::{
    CallResult, Caller, CastResult, GenServer, IgnoredAny, Init, Pid, Target, call, cast, config,
    link, log, monitor, register, self_pid, send_after, start_child, task_start_child,
    terminate_child, which_children,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
struct Hostile {
    /// What the `init` op replied.
    init_result: Value,
    /// Memory it holds on to, in 1 MiB blocks.
    #[serde(skip)]
    held: Vec<Vec<u8>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Args {
    init: Option<Value>,
}

/// A target as JSON: a pid number or a name.
fn target(value: &Value) -> Target {
    match value {
        Value::Number(n) => Target::Pid(n.as_u64().unwrap_or(0)),
        other => Target::Name(other.as_str().unwrap_or("").to_string()),
    }
}

fn pid(value: &Value) -> Pid {
    value.as_u64().unwrap_or(0)
}

fn outcome<T: Serialize, E: ToString>(result: Result<T, E>) -> Value {
    match result {
        Ok(ok) => json!({ "ok": ok }),
        Err(err) => json!({ "error": err.to_string() }),
    }
}

impl Hostile {
    fn attack(&mut self, request: &Value) -> Value {
        if let Some(op) = request.as_str() {
            return match op {
                "ping" => json!("pong"),
                "pid" => json!(self_pid()),
                "init_result" => self.init_result.clone(),
                "spin" => {
                    let mut n: u64 = 0;
                    loop {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                }
                _ => json!({ "error": format!("unknown op {op}") }),
            };
        }
        let Some((op, arg)) = request.as_object().and_then(|o| o.iter().next()) else {
            return json!({ "error": "an op is a string or a one-key object" });
        };
        let n = arg["n"].as_u64().unwrap_or(0);
        match op.as_str() {
            "alloc_mb" => {
                for _ in 0..arg.as_u64().unwrap_or(0) {
                    // Touched, so that the pages are really there.
                    self.held.push(vec![0xA5; 1 << 20]);
                }
                json!(self.held.len())
            }
            "sleep_ms" => {
                std::thread::sleep(std::time::Duration::from_millis(arg.as_u64().unwrap_or(0)));
                json!("slept")
            }
            "timers" => {
                for _ in 0..arg.as_u64().unwrap_or(0) {
                    send_after(&"tick", 3_600_000);
                }
                json!(arg)
            }
            "monitors" => {
                for _ in 0..n {
                    monitor(pid(&arg["pid"]));
                }
                json!(n)
            }
            "flood" => {
                let payload = "x".repeat(arg["bytes"].as_u64().unwrap_or(0) as usize);
                let to = target(&arg["to"]);
                let mut sent = 0;
                for _ in 0..n {
                    if let Err(err) = cast(to.clone(), &payload) {
                        return json!({ "sent": sent, "error": err.to_string() });
                    }
                    sent += 1;
                }
                json!({ "sent": sent, "error": null })
            }
            "reply_mb" => json!("y".repeat((arg.as_u64().unwrap_or(0) as usize) << 20)),
            "log" => {
                let line = "z".repeat(arg["bytes"].as_u64().unwrap_or(0) as usize);
                for i in 0..n {
                    log::info(format!("{line}\nERROR forged line {i}"));
                }
                json!(n)
            }
            "start_child" => outcome(start_child(target(&arg["sup"]), &arg["spec"])),
            "spawn" => {
                let sup = target(&arg["sup"]);
                let mut started = 0;
                for _ in 0..n {
                    if let Err(err) = start_child(sup.clone(), &arg["spec"]) {
                        return json!({ "started": started, "error": err });
                    }
                    started += 1;
                }
                json!({ "started": started, "error": null })
            }
            "terminate_child" => {
                outcome(terminate_child(target(&arg["sup"]), pid(&arg["pid"])).map(|()| "ok"))
            }
            "which_children" => outcome(which_children(target(arg))),
            "task" => outcome(task_start_child(
                target(&arg["sup"]),
                arg["plugin"].as_str().unwrap_or(""),
                &arg["input"],
            )),
            "register" => outcome(register(arg.as_str().unwrap_or("")).map(|()| "ok")),
            "link" => outcome(link(pid(arg)).map(|()| "ok")),
            "link_and_crash" => match link(pid(arg)) {
                Ok(()) => std::process::abort(),
                Err(err) => json!({ "error": err.to_string() }),
            },
            "call" => outcome(call::<_, Value>(
                target(&arg["to"]),
                &arg["msg"],
                Some(5_000),
            )),
            "config" => config::<Value>(arg.as_str().unwrap_or("")).unwrap_or(Value::Null),
            "read_file" => outcome(std::fs::read_to_string(arg.as_str().unwrap_or(""))),
            "write_file" => outcome(
                std::fs::File::create(arg.as_str().unwrap_or(""))
                    .and_then(|mut f| f.write_all(b"written by hostile"))
                    .map(|()| "ok"),
            ),
            "list_dir" => outcome(std::fs::read_dir(arg.as_str().unwrap_or("")).map(|dir| {
                dir.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
            })),
            "env" => outcome(std::env::var(arg.as_str().unwrap_or(""))),
            "connect" => outcome(
                std::net::TcpStream::connect(arg.as_str().unwrap_or(""))
                    .and_then(|mut s| s.write_all(b"hello from hostile\n"))
                    .map(|()| "connected"),
            ),
            _ => json!({ "error": format!("unknown op {op}") }),
        }
    }
}

impl GenServer for Hostile {
    const VSN: &'static str = "1.0.0";
    type Args = Option<Args>;
    type Call = Value;
    type Reply = Value;
    type Cast = Value;
    type Info = IgnoredAny;

    fn init(args: Option<Args>) -> Init<Self> {
        let mut hostile = Hostile::default();
        if let Some(op) = args.and_then(|a| a.init) {
            hostile.init_result = hostile.attack(&op);
        }
        Init::ok(hostile)
    }

    fn handle_call(&mut self, request: Value, _from: Caller) -> CallResult<Value> {
        CallResult::reply(self.attack(&request))
    }

    fn handle_cast(&mut self, msg: Value) -> CastResult {
        if let Some(n) = msg.get("stretch_deadline").and_then(Value::as_u64) {
            // Compute for 100 ms, claim to have moved on to the next cast,
            // and again: a fresh CPU deadline each time would never end.
            for _ in 0..n {
                let started = std::time::Instant::now();
                while started.elapsed() < std::time::Duration::from_millis(100) {
                    std::hint::black_box(started);
                }
                overseer_guest::bindings::overseer::plugin::host::cast_done();
            }
            let mut spins: u64 = 0;
            loop {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
        }
        CastResult::noreply()
    }
}

overseer_guest::export!(Hostile);

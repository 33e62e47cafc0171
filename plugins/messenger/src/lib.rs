//! `messenger`: a GenServer that talks to other processes on request, the
//! fixture of the host's process-to-process messaging tests.
//!
//! Protocol (JSON). A target T is a pid number or a registered name string;
//! an error kind is `"noproc"`, `"timeout"`, `"calling_self"` or
//! `"exited: <reason>"`.
//! - init args, all optional (`null` is fine): `{"name": "x"}` → registers
//!   under x, and init stops with `error(<the host's message>)` if that
//!   fails; `{"trap_exit": true}` → traps exits.
//! - call `{"echo": X}` → X.
//! - call `{"call": {"to": T, "msg": M, "timeout_ms": N}}` → calls T with the
//!   request M, waiting N ms (no `timeout_ms`: forever); replies
//!   `{"ok": <T's reply>}` or `{"error": kind}`.
//! - call `{"send": {"to": T, "msg": M}}` → sends M to T's handle-info;
//!   call `{"cast": {"to": T, "msg": M}}` → casts M to T; each replies `"ok"`
//!   or `{"error": kind}`.
//! - call `{"whereis": name}` → the pid registered under name, or null.
//! - call `{"register": name}` → `"ok"` or `{"error": "<host's message>"}`;
//!   call `{"unregister": name}` → true if it held the name.
//! - call `{"monitor": pid}` → the monitor reference (a number);
//!   call `{"demonitor": ref}` → true if the monitor was active.
//! - call `{"link": pid}` → `"ok"` or `{"error": kind}`;
//!   call `{"unlink": pid}` → `"ok"`; call `{"trap_exit": bool}` → `"ok"`.
//! - call `"inbox"` → everything handle-cast and handle-info received, oldest
//!   first: `{"message": X}` for a plain message, `{"cast": X}` for a cast,
//!   `{"down": {"monitor": R, "pid": P, "reason": "<reason>"}}` for a
//!   monitor, `{"exit": {"from": P, "reason": "<reason>"}}` for a trapped
//!   exit. Reasons are displayed as the host does (`normal`, `shutdown`,
//!   `shutdown: <term>`, the error itself).
//! - call `"pid"` → its own pid; call `"who"` → the caller's pid, or null
//!   when the call came from outside any process.
//! - call `"crash"` → traps (wasm `unreachable`).
//! - call `{"stop": R}` → stops with reason R (`"normal"` → normal,
//!   `"shutdown"` → shutdown, anything else → `error(R)`) and replies `"ok"`.
//! - call `{"start_child": {"sup": T, "spec": S}}` → starts a child of
//!   supervisor T from child spec S; replies `{"ok": pid}` (`{"ok": null}` if
//!   it returned ignore) or `{"error": "<the supervisor's message>"}`;
//!   call `{"terminate_child": {"sup": T, "pid": P}}` → `"ok"` or
//!   `{"error": …}`; call `{"which_children": T}` and `{"count_children": T}`
//!   → `{"ok": <JSON>}` or `{"error": …}`; call `{"child_by_id": {"sup": T,
//!   "op": O, "id": I}}`, O being `"terminate"`, `"restart"` or `"delete"`:
//!   a static supervisor's child by id → `{"ok": pid or null}` or
//!   `{"error": …}` (`running`, `restarting`, `not_found`, as OTP's).
//! - registries: call `{"reg_register": {"registry": R, "key": K, "value": V}}`
//!   → `"ok"` or `{"error": …}`; `{"reg_unregister": {"registry": R, "key":
//!   K}}` → `"ok"`; `{"reg_lookup": {"registry": R, "key": K}}` → `[[pid,
//!   value], …]`; `{"reg_dispatch": {"registry": R, "key": K, "msg": M}}` →
//!   how many got M; `{"reg_count": R}` → a number; `{"reg_meta":
//!   {"registry": R, "key": K}}` → the value or null; `{"reg_put_meta":
//!   {"registry": R, "key": K, "value": V}}` → `"ok"`. A target T may also be
//!   `[registry, key]`.
//! - pools: call `{"pool_checkout": {"pool": P, "block": B, "timeout_ms":
//!   N}}` → `{"ok": worker pid}` or `{"error": …}`; `{"pool_checkin":
//!   {"pool": P, "pid": W}}` → `"ok"`; `{"pool_transaction": {"pool": P,
//!   "msg": M, "timeout_ms": N}}` → `{"ok": reply}` or `{"error": …}`.
//! - tasks: call `{"task_start": {"sup": T, "plugin": P, "input": I}}` →
//!   `{"ok": pid}` or `{"error": …}`; `{"task_async": {"sup": T, "plugin":
//!   P, "input": I, "link": bool}}` → `{"ok": pid}` or `{"error": …}`;
//!   `{"task_await": {"task": pid, "timeout_ms": N}}` → `{"ok": result}` or
//!   `{"error": "timeout" | "exited: <reason>" | …}`.
//! - casts and plain messages: any JSON, kept in the inbox.
//! - get-state → `{"inbox": [...]}`, the inbox as above.

use overseer_guest::serde_json::{Value, json};
use overseer_guest::{
    CallError, CallResult, Caller, CastResult, ExitReason, GenServer, Info, Init, MonitorRef, Pid,
    Target, call, cast, count_children, delete_child, demonitor, link, monitor, pool_checkin,
    pool_checkout, pool_transaction, register, registry_count, registry_dispatch, registry_lookup,
    registry_meta, registry_put_meta, registry_register, registry_unregister, restart_child,
    self_pid, send, start_child, task_async, task_await, task_start_child, terminate_child,
    terminate_child_by_id, trap_exit, unlink, unregister, whereis, which_children,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Messenger {
    /// What handle-cast and handle-info received, oldest first.
    inbox: Vec<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Args {
    name: Option<String>,
    trap_exit: bool,
}

#[derive(Deserialize)]
struct TaskOp {
    sup: Target,
    plugin: String,
    #[serde(default)]
    input: Value,
    #[serde(default)]
    link: bool,
}

#[derive(Deserialize)]
struct AwaitOp {
    task: Pid,
    #[serde(default = "five_seconds")]
    timeout_ms: u32,
}

#[derive(Deserialize)]
struct PoolOp {
    pool: String,
    #[serde(default)]
    block: bool,
    #[serde(default = "five_seconds")]
    timeout_ms: u32,
    #[serde(default)]
    pid: Pid,
    #[serde(default)]
    msg: Value,
}

fn five_seconds() -> u32 {
    5000
}

#[derive(Deserialize)]
struct RegEntry {
    registry: String,
    key: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    msg: Value,
}

#[derive(Deserialize)]
struct StartChild {
    sup: Target,
    spec: Value,
}

#[derive(Deserialize)]
struct TerminateChild {
    sup: Target,
    pid: Pid,
}

#[derive(Deserialize)]
struct ChildById {
    sup: Target,
    op: String,
    id: String,
}

fn ok_or_message(answer: Result<Value, String>) -> Value {
    match answer {
        Ok(value) => json!({ "ok": value }),
        Err(message) => json!({ "error": message }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    TaskStart(TaskOp),
    TaskAsync(TaskOp),
    TaskAwait(AwaitOp),
    PoolCheckout(PoolOp),
    PoolCheckin(PoolOp),
    PoolTransaction(PoolOp),
    RegRegister(RegEntry),
    RegUnregister(RegEntry),
    RegLookup(RegEntry),
    RegDispatch(RegEntry),
    RegCount(String),
    RegMeta(RegEntry),
    RegPutMeta(RegEntry),
    StartChild(StartChild),
    TerminateChild(TerminateChild),
    ChildById(ChildById),
    WhichChildren(Target),
    CountChildren(Target),
    Echo(Value),
    Call(CallTo),
    Send(SendTo),
    Cast(SendTo),
    Whereis(String),
    Register(String),
    Unregister(String),
    Monitor(Pid),
    Demonitor(MonitorRef),
    Link(Pid),
    Unlink(Pid),
    TrapExit(bool),
    Inbox,
    Pid,
    Who,
    Crash,
    Stop(String),
}

#[derive(Deserialize)]
struct CallTo {
    to: Target,
    msg: Value,
    timeout_ms: Option<u32>,
}

#[derive(Deserialize)]
struct SendTo {
    to: Target,
    msg: Value,
}

impl GenServer for Messenger {
    const VSN: &'static str = "1.0.0";
    type Args = Option<Args>;
    type Call = Request;
    type Reply = Value;
    type Cast = Value;
    type Info = Value;

    fn init(args: Option<Args>) -> Init<Self> {
        let args = args.unwrap_or_default();
        if args.trap_exit {
            trap_exit(true);
        }
        if let Some(name) = &args.name
            && let Err(err) = register(name)
        {
            return Init::stop(ExitReason::error(err));
        }
        Init::ok(Messenger { inbox: Vec::new() })
    }

    fn handle_call(&mut self, request: Request, from: Caller) -> CallResult<Value> {
        let reply = match request {
            Request::TaskStart(op) => {
                ok_or_message(task_start_child(op.sup, &op.plugin, &op.input).map(|pid| json!(pid)))
            }
            Request::TaskAsync(op) => ok_or_message(
                task_async(op.sup, &op.plugin, &op.input, op.link).map(|pid| json!(pid)),
            ),
            Request::TaskAwait(op) => ok_or_message(task_await::<Value>(op.task, op.timeout_ms)),
            Request::PoolCheckout(op) => match pool_checkout(&op.pool, op.block, op.timeout_ms) {
                Ok(pid) => json!({ "ok": pid }),
                Err(message) => json!({ "error": message }),
            },
            Request::PoolCheckin(op) => {
                pool_checkin(&op.pool, op.pid);
                json!("ok")
            }
            Request::PoolTransaction(op) => ok_or_message(pool_transaction::<Value, Value>(
                &op.pool,
                &op.msg,
                op.timeout_ms,
            )),
            Request::RegRegister(e) => match registry_register(&e.registry, &e.key, &e.value) {
                Ok(()) => json!("ok"),
                Err(message) => json!({ "error": message }),
            },
            Request::RegUnregister(e) => {
                registry_unregister(&e.registry, &e.key);
                json!("ok")
            }
            Request::RegLookup(e) => json!(registry_lookup::<Value>(&e.registry, &e.key)),
            Request::RegDispatch(e) => json!(registry_dispatch(&e.registry, &e.key, &e.msg)),
            Request::RegCount(registry) => json!(registry_count(&registry)),
            Request::RegMeta(e) => json!(registry_meta(&e.registry, &e.key)),
            Request::RegPutMeta(e) => {
                registry_put_meta(&e.registry, &e.key, &e.value);
                json!("ok")
            }
            Request::StartChild(StartChild { sup, spec }) => match start_child(sup, &spec) {
                Ok(pid) => json!({ "ok": pid }),
                Err(message) => json!({ "error": message }),
            },
            Request::TerminateChild(TerminateChild { sup, pid }) => {
                match terminate_child(sup, pid) {
                    Ok(()) => json!("ok"),
                    Err(message) => json!({ "error": message }),
                }
            }
            Request::ChildById(ChildById { sup, op, id }) => {
                let done = match op.as_str() {
                    "terminate" => terminate_child_by_id(sup, &id).map(|()| None),
                    "restart" => restart_child(sup, &id),
                    "delete" => delete_child(sup, &id).map(|()| None),
                    other => Err(format!("unknown op {other}")),
                };
                ok_or_message(done.map(|pid| json!(pid)))
            }
            Request::WhichChildren(sup) => ok_or_message(which_children(sup)),
            Request::CountChildren(sup) => ok_or_message(count_children(sup)),
            Request::Echo(value) => value,
            Request::Call(CallTo {
                to,
                msg,
                timeout_ms,
            }) => match call::<Value, Value>(to, &msg, timeout_ms) {
                Ok(reply) => json!({ "ok": reply }),
                Err(err) => error(&err),
            },
            Request::Send(SendTo { to, msg }) => ok_or_error(send(to, &msg)),
            Request::Cast(SendTo { to, msg }) => ok_or_error(cast(to, &msg)),
            Request::Whereis(name) => json!(whereis(&name)),
            Request::Register(name) => match register(&name) {
                Ok(()) => json!("ok"),
                Err(message) => json!({ "error": message }),
            },
            Request::Unregister(name) => json!(unregister(&name)),
            Request::Monitor(pid) => json!(monitor(pid)),
            Request::Demonitor(monitor) => json!(demonitor(monitor)),
            Request::Link(pid) => ok_or_error(link(pid)),
            Request::Unlink(pid) => {
                unlink(pid);
                json!("ok")
            }
            Request::TrapExit(enabled) => {
                trap_exit(enabled);
                json!("ok")
            }
            Request::Inbox => json!(self.inbox),
            Request::Pid => json!(self_pid()),
            Request::Who => json!(from.pid()),
            Request::Crash => trap(),
            Request::Stop(reason) => {
                return CallResult::stop_with_reply(exit_reason(reason), json!("ok"));
            }
        };
        CallResult::reply(reply)
    }

    fn handle_cast(&mut self, msg: Value) -> CastResult {
        self.inbox.push(json!({ "cast": msg }));
        CastResult::noreply()
    }

    fn handle_info(&mut self, msg: Info<Value>) -> CastResult {
        let entry = match msg {
            Info::Message(msg) => json!({ "message": msg }),
            // Never sent: no callback here returns a timeout.
            Info::Timeout => return CastResult::noreply(),
            Info::Down {
                monitor,
                pid,
                reason,
            } => json!({
                "down": { "monitor": monitor, "pid": pid, "reason": reason.to_string() }
            }),
            Info::Exit { from, reason } => json!({
                "exit": { "from": from, "reason": reason.to_string() }
            }),
        };
        self.inbox.push(entry);
        CastResult::noreply()
    }
}

/// `"ok"`, or `{"error": kind}` as [`error`] writes it.
fn ok_or_error(result: Result<(), CallError>) -> Value {
    match result {
        Ok(()) => json!("ok"),
        Err(err) => error(&err),
    }
}

/// `{"error": kind}`: the kinds of the protocol in the module docs.
fn error(err: &CallError) -> Value {
    let kind = match err {
        CallError::NoProc => "noproc".to_owned(),
        CallError::Timeout => "timeout".to_owned(),
        CallError::CallingSelf => "calling_self".to_owned(),
        CallError::Refused(why) => why.clone(),
        CallError::Exited(reason) => format!("exited: {reason}"),
        // Not in the protocol: any JSON decodes as a Value, so only a reply
        // that is not JSON at all ends up here.
        CallError::BadReply(err) => format!("bad_reply: {err}"),
    };
    json!({ "error": kind })
}

fn exit_reason(reason: String) -> ExitReason {
    match reason.as_str() {
        "normal" => ExitReason::Normal,
        "shutdown" => ExitReason::Shutdown,
        _ => ExitReason::Error(reason),
    }
}

/// Trap the instance: wasm's `unreachable`. Outside wasm (host-target
/// clippy and tests) a panic stands in for it.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("messenger: asked to crash");
}

overseer_guest::export!(Messenger);

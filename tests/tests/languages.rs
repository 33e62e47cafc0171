//! One behaviour suite over every guest language: the counter protocol,
//! every crash kind → its exit reason, report and restart, call timeouts,
//! timers, terminate, stops, init failures, configuration and its changes
//! at run time, and messaging to
//! and from a Rust process, run against each language's ports of `counter`,
//! `faulty` and `messenger`. C has a counter only, written against the
//! generated bindings with no SDK: it runs the counter protocol. Each test is `<language>::<behaviour>`, and
//! every assertion names the language.

use std::time::Duration;

use overseer::application::ConfigEdit;
use overseer::process::{CallError, Event, ExitReason};
use overseer_tests::languages::{C, JAVASCRIPT, Language, PYTHON, RUST};
use overseer_tests::{TestApp, json_sup};
use serde_json::{Value, json};

/// `faulty` in `lang`, registered as `faulty`, with room to crash often.
fn faulty(lang: &Language, args: &str) -> String {
    faulty_limited(lang, args, 300)
}

/// `faulty` with a CPU deadline of `cpu_ms`: the deadline is wall time, so a
/// test that must reach the memory limit first gives it room on a loaded
/// machine.
fn faulty_limited(lang: &Language, args: &str, cpu_ms: u32) -> String {
    format!(
        "max_restarts = 100\n[[supervisor.children]]\nid = \"faulty\"\nplugin = \"{}\"\nname = \"faulty\"\nargs = {args}\nlimits = {{ memory_mb = 48, cpu_ms = {cpu_ms} }}\n",
        lang.plugin("faulty")
    )
}

/// A DynamicSupervisor registered as `workers`.
const WORKERS: &str = "[[supervisor.children]]\nid = \"workers\"\ntype = \"dynamic_supervisor\"\nname = \"workers\"\n";

/// A child `id` running `plugin`, registered as `id`.
fn child(id: &str, plugin: &str, args: &str) -> String {
    format!(
        "[[supervisor.children]]\nid = \"{id}\"\nplugin = \"{plugin}\"\nname = \"{id}\"\nargs = {args}\n"
    )
}

async fn call(t: &TestApp, lang: &Language, to: &str, request: Value) -> Value {
    t.call(to, request.clone())
        .await
        .unwrap_or_else(|e| panic!("{}: call {to} {request}: {e}", lang.name))
}

async fn counter_protocol(lang: &Language) {
    let counter = lang.plugin("counter");
    let supervisor =
        child("counter", &counter, "{ initial_value = 5 }") + &child("fresh", &counter, "{}");
    let Some(t) = lang.start(&supervisor).await else {
        return;
    };
    let name = lang.name;
    assert_eq!(
        call(&t, lang, "counter", json!("increment")).await,
        json!(6),
        "{name}"
    );
    assert_eq!(
        call(&t, lang, "counter", json!("get")).await,
        json!(6),
        "{name}"
    );
    assert_eq!(
        call(&t, lang, "counter", json!({"add": 10})).await,
        json!(16),
        "{name}"
    );
    t.node
        .cast(&"counter".into(), br#""increment""#.to_vec())
        .unwrap_or_else(|e| panic!("{name}: cast: {e}"));
    assert_eq!(
        call(&t, lang, "counter", json!("get")).await,
        json!(17),
        "{name}"
    );
    assert_eq!(t.state("counter").await, json!({"value": 17}), "{name}");
    assert_eq!(
        call(&t, lang, "fresh", json!("get")).await,
        json!(0),
        "{name}"
    );
}

/// Crash `faulty` with `kind` through a call: the caller sees the crash,
/// the report names the plugin and the message, the child is restarted.
async fn crash(lang: &Language, kind: &str) {
    let cpu_ms = if kind == "oom" { 20_000 } else { 300 };
    let Some(mut t) = lang.start(&faulty_limited(lang, "{}", cpu_ms)).await else {
        return;
    };
    let name = lang.name;
    let pid = t.pid("faulty");
    let err = t.call("faulty", json!({"crash": kind})).await.unwrap_err();
    let CallError::Exited(ExitReason::Crash(cause)) = &err else {
        panic!("{name}: {kind}: the caller should see the crash, got {err:?}");
    };
    let reason = cause.to_string();
    let (report_reason, message, plugin, output) = t
        .wait_for("the crash report", |e| match e {
            Event::CrashReport {
                pid: p,
                reason,
                message,
                plugin,
                output,
                ..
            } if *p == pid => Some((
                reason.to_string(),
                message.clone(),
                plugin.clone(),
                output.clone(),
            )),
            _ => None,
        })
        .await;
    assert!(
        reason.contains(lang.crash_reason(kind)),
        "{name}: {kind}: the reason '{reason}' should contain '{}'; output: {output}",
        lang.crash_reason(kind)
    );
    assert_eq!(report_reason, reason, "{name}: {kind}");
    assert_eq!(plugin, lang.plugin("faulty"), "{name}: {kind}");
    assert_eq!(
        message.as_deref(),
        Some(format!("call {{\"crash\":\"{kind}\"}}").as_str()),
        "{name}: {kind}"
    );
    if reason.starts_with("exception: ") {
        assert!(
            output.contains("Traceback") || output.contains(" at "),
            "{name}: {kind}: the report carries the stack: {output}"
        );
    }
    assert_ne!(t.wait_restart("faulty").await, pid, "{name}: {kind}");
    assert_eq!(
        call(&t, lang, "faulty", json!("ping")).await,
        json!("pong"),
        "{name}: {kind}"
    );
}

async fn a_crash_in_a_cast_restarts(lang: &Language) {
    let Some(mut t) = lang.start(&faulty(lang, "{}")).await else {
        return;
    };
    let pid = t.pid("faulty");
    t.node
        .cast(&"faulty".into(), br#"{"crash":"trap"}"#.to_vec())
        .unwrap_or_else(|e| panic!("{}: cast: {e}", lang.name));
    let reason = t.wait_exit(pid).await;
    assert!(
        reason.contains(lang.crash_reason("trap")),
        "{}: {reason}",
        lang.name
    );
    t.wait_restart("faulty").await;
    assert_eq!(call(&t, lang, "faulty", json!("ping")).await, json!("pong"));
}

async fn timers_and_call_timeouts(lang: &Language) {
    let Some(t) = lang.start(&faulty(lang, "{}")).await else {
        return;
    };
    let name = lang.name;
    // A deferred reply, sent when a timer the process set fires.
    assert_eq!(
        call(&t, lang, "faulty", json!({"sleep_ms": 20})).await,
        json!("slept"),
        "{name}"
    );
    // A caller that gives up first gets a timeout; the process serves on.
    let late = t
        .call_timeout(
            "faulty",
            json!({"sleep_ms": 2000}),
            Duration::from_millis(100),
        )
        .await;
    assert_eq!(late, Err(CallError::Timeout(100)), "{name}");
    assert_eq!(
        call(&t, lang, "faulty", json!("ping")).await,
        json!("pong"),
        "{name}"
    );
    assert_eq!(t.state("faulty").await, json!({"pings": 1}), "{name}");
}

async fn stops_and_terminate(lang: &Language) {
    let supervisor = faulty(lang, "{ trap_exit = true }") + WORKERS;
    let Some(mut t) = lang.start(&supervisor).await else {
        return;
    };
    let name = lang.name;
    // Stopping itself: terminate runs, then the reply.
    let pid = t.pid("faulty");
    assert_eq!(
        call(&t, lang, "faulty", json!({"stop": "going away"})).await,
        json!("stopping"),
        "{name}"
    );
    assert_eq!(t.wait_log(pid).await, "terminate: going away", "{name}");
    assert_eq!(t.wait_exit(pid).await, "going away", "{name}");
    // Shut down by its supervisor, trapping exits: terminate runs.
    let workers = json_sup(&t.node, "workers");
    let spec = json!({"plugin": lang.plugin("faulty"), "args": {"trap_exit": true}});
    let pid = workers
        .start_child(spec)
        .await
        .unwrap_or_else(|e| panic!("{name}: start_child: {e}"))
        .unwrap_or_else(|| panic!("{name}: the child started"));
    workers
        .terminate_child(pid)
        .await
        .unwrap_or_else(|e| panic!("{name}: terminate_child: {e}"));
    assert_eq!(t.wait_log(pid).await, "terminate: shutdown", "{name}");
    assert_eq!(t.wait_exit(pid).await, "shutdown", "{name}");
}

async fn init_outcomes_and_config(lang: &Language) {
    let Some(t) = lang.start(&(faulty(lang, "{}") + WORKERS)).await else {
        return;
    };
    let name = lang.name;
    let plugin = lang.plugin("faulty");
    let sup = json_sup(&t.node, "workers");
    let failed = sup
        .start_child(json!({"id": "f1", "plugin": plugin, "args": {"fail_init": true}}))
        .await;
    assert!(
        failed
            .as_ref()
            .is_err_and(|e| e.contains("init failed on purpose")),
        "{name}: {failed:?}"
    );
    let ignored = sup
        .start_child(json!({"id": "f2", "plugin": plugin, "args": {"ignore": true}}))
        .await;
    assert_eq!(ignored, Ok(None), "{name}");
    assert_eq!(
        call(&t, lang, "faulty", json!({"config": "greeting"})).await,
        json!("hello"),
        "{name}"
    );
    assert_eq!(
        call(&t, lang, "faulty", json!({"config": "limits"})).await,
        json!({"rps": 10}),
        "{name}"
    );
    // Not granted to the plugin.
    assert_eq!(
        call(&t, lang, "faulty", json!({"config": "secret"})).await,
        json!(null),
        "{name}"
    );
}

/// A change of the env at run time reaches the guest through
/// `config-change`, only for the keys it may read, and `config` answers
/// the new value from then on.
async fn config_changes_reach_the_guest(lang: &Language) {
    let Some(t) = lang.start(&faulty(lang, "{}")).await else {
        return;
    };
    let name = lang.name;
    let set = |key: &str, text: &str| ConfigEdit::Set {
        key: key.into(),
        text: text.into(),
    };
    let changed = t
        .node
        .change_config(Some("test"), set("greeting", "bonjour"))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (changed.key.as_str(), changed.removed),
        ("greeting", false),
        "{name}"
    );
    assert_eq!(changed.told, 1, "{name}");
    // The call queues behind the change: no waiting needed.
    assert_eq!(
        call(&t, lang, "faulty", json!("config_changes")).await,
        json!([{"changed": {"greeting": "bonjour"}, "removed": []}]),
        "{name}"
    );
    assert_eq!(
        call(&t, lang, "faulty", json!({"config": "greeting"})).await,
        json!("bonjour"),
        "{name}"
    );
    // Not granted: not told. A key inside a table: the table is told.
    t.node
        .change_config(None, set("secret", "s3cret"))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    t.node
        .change_config(None, set("limits.burst", "20"))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    t.node
        .change_config(
            None,
            ConfigEdit::Unset {
                key: "greeting".into(),
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        call(&t, lang, "faulty", json!("config_changes")).await,
        json!([
            {"changed": {"greeting": "bonjour"}, "removed": []},
            {"changed": {"limits": {"rps": 10, "burst": 20}}, "removed": []},
            {"changed": {}, "removed": ["greeting"]},
        ]),
        "{name}"
    );
    assert_eq!(
        call(&t, lang, "faulty", json!({"config": "greeting"})).await,
        json!(null),
        "{name}"
    );
    assert_eq!(
        t.state("faulty").await,
        json!({"pings": 0}),
        "{name}: state untouched"
    );
}

/// A guest manages a static supervisor's child by id with OTP's answers:
/// terminate keeps the spec, restart and delete refuse a running child
/// (`running`), an unknown id is `not_found`.
async fn static_children_by_id(lang: &Language) {
    let supervisor = child("guest", &lang.plugin("messenger"), "{}")
        + "[[supervisor.children]]\nid = \"inner\"\ntype = \"supervisor\"\nname = \"inner\"\nchildren = [ { id = \"c1\", plugin = \"counter\", name = \"c1\" } ]\n";
    let Some(t) = lang.start(&supervisor).await else {
        return;
    };
    let name = lang.name;
    let by_id = |op: &str| json!({"child_by_id": {"sup": "inner", "op": op, "id": "c1"}});
    for op in ["restart", "delete"] {
        assert_eq!(
            call(&t, lang, "guest", by_id(op)).await,
            json!({"error": "running"}),
            "{name}: {op}"
        );
    }
    assert_eq!(
        call(&t, lang, "guest", by_id("terminate")).await,
        json!({"ok": null}),
        "{name}"
    );
    assert!(
        t.call("c1", json!("get")).await.is_err(),
        "{name}: c1 is stopped"
    );
    let restarted = call(&t, lang, "guest", by_id("restart")).await;
    assert!(restarted["ok"].is_u64(), "{name}: {restarted}");
    assert_eq!(call(&t, lang, "c1", json!("get")).await, json!(0), "{name}");
    assert_eq!(
        call(&t, lang, "guest", by_id("terminate")).await,
        json!({"ok": null}),
        "{name}"
    );
    assert_eq!(
        call(&t, lang, "guest", by_id("delete")).await,
        json!({"ok": null}),
        "{name}"
    );
    for op in ["restart", "delete", "terminate"] {
        assert_eq!(
            call(&t, lang, "guest", by_id(op)).await,
            json!({"error": "not_found"}),
            "{name}: {op}"
        );
    }
}

/// A Rust process calls this language's counter, and this language's
/// messenger calls, casts to, monitors and links to Rust processes.
async fn messaging_with_rust(lang: &Language) {
    let supervisor = child("counter", &lang.plugin("counter"), "{}")
        + &child("rust_counter", "counter", "{}")
        + &child("rust", "messenger", "{}")
        + &child("guest", &lang.plugin("messenger"), "{ trap_exit = true }")
        + &child("rust_faulty", "faulty", "{}");
    let Some(mut t) = lang.start(&supervisor).await else {
        return;
    };
    let name = lang.name;
    let to_guest = json!({"call": {"to": "counter", "msg": "increment", "timeout_ms": 5000}});
    assert_eq!(
        call(&t, lang, "rust", to_guest).await,
        json!({"ok": 1}),
        "{name}"
    );
    let to_rust = json!({"call": {"to": "rust_counter", "msg": {"add": 7}}});
    assert_eq!(
        call(&t, lang, "guest", to_rust).await,
        json!({"ok": 7}),
        "{name}"
    );
    let cast = json!({"cast": {"to": "rust_counter", "msg": "increment"}});
    assert_eq!(call(&t, lang, "guest", cast).await, json!("ok"), "{name}");
    let get = json!({"call": {"to": "rust_counter", "msg": "get"}});
    assert_eq!(
        call(&t, lang, "guest", get).await,
        json!({"ok": 8}),
        "{name}"
    );
    // Rust sends to the guest; the guest sees who calls it.
    let send = json!({"send": {"to": "guest", "msg": {"hello": "from rust"}}});
    assert_eq!(call(&t, lang, "rust", send).await, json!("ok"), "{name}");
    let rust_pid = t.pid("rust");
    let who = json!({"call": {"to": "guest", "msg": "who"}});
    assert_eq!(
        call(&t, lang, "rust", who).await,
        json!({"ok": rust_pid}),
        "{name}"
    );
    // Errors cross too.
    let nobody = json!({"call": {"to": "nobody", "msg": "get"}});
    assert_eq!(
        call(&t, lang, "guest", nobody).await,
        json!({"error": "noproc"}),
        "{name}"
    );
    // Monitor and link a Rust process, then crash it.
    let faulty_pid = t.pid("rust_faulty");
    let monitor = call(&t, lang, "guest", json!({"monitor": faulty_pid})).await;
    assert!(monitor.is_u64(), "{name}: {monitor}");
    assert_eq!(
        call(&t, lang, "guest", json!({"link": faulty_pid})).await,
        json!("ok"),
        "{name}"
    );
    let _ = t.call("rust_faulty", json!({"crash": "trap"})).await;
    t.wait_exit(faulty_pid).await;
    let guest = t.pid("guest");
    let mut inbox = Value::Null;
    t.eventually("the guest has its message, down and exit", async || {
        inbox = call(&t, lang, "guest", json!("inbox")).await;
        inbox.as_array().is_some_and(|i| i.len() >= 3)
    })
    .await;
    let inbox = inbox.as_array().cloned().unwrap_or_default();
    assert_eq!(
        inbox[0],
        json!({"message": {"hello": "from rust"}}),
        "{name}: {inbox:?}"
    );
    let reason = "trap: wasm `unreachable` instruction executed";
    assert!(
        inbox.contains(&json!({"down": {"monitor": monitor, "pid": faulty_pid, "reason": reason}})),
        "{name}: {inbox:?}"
    );
    assert!(
        inbox.contains(&json!({"exit": {"from": faulty_pid, "reason": reason}})),
        "{name}: {inbox:?}"
    );
    assert_eq!(
        t.pid("guest"),
        guest,
        "{name}: trapping exits, the guest lives"
    );
}

macro_rules! suite {
    ($module:ident, $lang:expr) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn counter_protocol() {
                super::counter_protocol(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_trap() {
                crash(&$lang, "trap").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_panic() {
                crash(&$lang, "panic").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_div_zero() {
                crash(&$lang, "div_zero").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_loop() {
                crash(&$lang, "loop").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_oom() {
                crash(&$lang, "oom").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crash_stack() {
                crash(&$lang, "stack").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_crash_in_a_cast_restarts() {
                super::a_crash_in_a_cast_restarts(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn timers_and_call_timeouts() {
                super::timers_and_call_timeouts(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn stops_and_terminate() {
                super::stops_and_terminate(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn init_outcomes_and_config() {
                super::init_outcomes_and_config(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn messaging_with_rust() {
                super::messaging_with_rust(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn static_children_by_id() {
                super::static_children_by_id(&$lang).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn config_changes_reach_the_guest() {
                super::config_changes_reach_the_guest(&$lang).await;
            }
        }
    };
}

suite!(rust, RUST);
suite!(python, PYTHON);
suite!(javascript, JAVASCRIPT);

mod c {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counter_protocol() {
        super::counter_protocol(&C).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messaging_with_rust() {
        let supervisor =
            child("counter", &C.plugin("counter"), "{}") + &child("rust", "messenger", "{}");
        let Some(t) = C.start(&supervisor).await else {
            return;
        };
        let to_c = json!({"call": {"to": "counter", "msg": {"add": 3}}});
        assert_eq!(call(&t, &C, "rust", to_c).await, json!({"ok": 3}), "C");
        let unknown = t.call("counter", json!("bogus")).await;
        assert!(
            unknown
                .as_ref()
                .is_err_and(|e| e.to_string().contains("unknown call \"bogus\"")),
            "C: {unknown:?}"
        );
    }
}

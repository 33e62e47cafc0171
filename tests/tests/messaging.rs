//! Processes talking to each other through the host imports: calls with
//! timeouts, crashes and loops; sends and casts; monitors; links with and
//! without trap-exit; names taken at run time.

use overseer::process::Pid;
use overseer_tests::{TestApp, start, worker};
use serde_json::{Value, json};

async fn app() -> TestApp {
    start(&format!(
        "max_restarts = 100\n{}{}{}{}",
        worker("a", "messenger", "args = { trap_exit = true }"),
        worker("b", "messenger", ""),
        worker("f", "faulty", ""),
        worker("c", "counter", ""),
    ))
    .await
}

async fn ask(app: &TestApp, who: &str, request: Value) -> Value {
    app.call(who, request)
        .await
        .unwrap_or_else(|e| panic!("{who} answers: {e}"))
}

async fn inbox(app: &TestApp, who: &str) -> Vec<Value> {
    ask(app, who, json!("inbox"))
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn pid_json(pid: Pid) -> Value {
    json!(pid.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wasm_process_calls_another() {
    let app = app().await;
    let call = json!({"call": {"to": "c", "msg": "increment", "timeout_ms": 1000}});
    assert_eq!(ask(&app, "a", call.clone()).await, json!({"ok": 1}));
    assert_eq!(ask(&app, "a", call).await, json!({"ok": 2}));
    // By pid, and the callee sees who called.
    let b = app.pid("b");
    let who = json!({"call": {"to": b.0, "msg": "who"}});
    assert_eq!(
        ask(&app, "a", who).await,
        json!({"ok": pid_json(app.pid("a"))})
    );
    // A call from outside has no caller pid.
    assert_eq!(ask(&app, "b", json!("who")).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_times_out_is_an_error_the_caller_handles() {
    let app = app().await;
    let slow = json!({"call": {"to": "f", "msg": {"sleep_ms": 500}, "timeout_ms": 50}});
    assert_eq!(ask(&app, "a", slow).await, json!({"error": "timeout"}));
    // Both carry on.
    assert_eq!(ask(&app, "a", json!({"echo": 1})).await, json!(1));
    assert_eq!(app.call("f", json!("ping")).await, Ok(json!("pong")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callee_crash_comes_back_as_its_exit_reason() {
    let mut app = app().await;
    let f = app.pid("f");
    let crash = json!({"call": {"to": "f", "msg": {"crash": "trap"}, "timeout_ms": 2000}});
    let answer = ask(&app, "a", crash).await;
    let error = answer["error"].as_str().unwrap_or_default().to_string();
    assert!(error.starts_with("exited: trap:"), "{answer}");
    assert_ne!(app.wait_restart("f").await, f);
    assert_eq!(ask(&app, "a", json!({"echo": 2})).await, json!(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_loop_ends_in_a_timeout_not_a_hang() {
    let app = app().await;
    // a calls b, which calls a back while a is still waiting for b.
    let back = json!({"call": {"to": "a", "msg": {"echo": 1}, "timeout_ms": 200}});
    let loop_call = json!({"call": {"to": "b", "msg": back, "timeout_ms": 3000}});
    assert_eq!(
        ask(&app, "a", loop_call).await,
        json!({"ok": {"error": "timeout"}})
    );
    // A process calling itself is told at once.
    let me = json!({"call": {"to": "a", "msg": {"echo": 1}}});
    assert_eq!(ask(&app, "a", me).await, json!({"error": "calling_self"}));
    assert_eq!(ask(&app, "b", json!({"echo": 3})).await, json!(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_and_casts_reach_the_other_process() {
    let app = app().await;
    let send = json!({"send": {"to": "b", "msg": {"hello": 1}}});
    assert_eq!(ask(&app, "a", send).await, json!("ok"));
    let cast = json!({"cast": {"to": "b", "msg": "poke"}});
    assert_eq!(ask(&app, "a", cast).await, json!("ok"));
    app.eventually("b has both", async || inbox(&app, "b").await.len() == 2)
        .await;
    assert_eq!(
        inbox(&app, "b").await,
        vec![json!({"message": {"hello": 1}}), json!({"cast": "poke"})]
    );
    let nobody = json!({"send": {"to": "nobody", "msg": 1}});
    assert_eq!(ask(&app, "a", nobody).await, json!({"error": "noproc"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_reports_the_exit_reason() {
    let mut app = app().await;
    let f = app.pid("f");
    let monitor = ask(&app, "b", json!({"monitor": f.0})).await;
    let _ = app.call("f", json!({"crash": "div_zero"})).await;
    app.wait_restart("f").await;
    app.eventually("b got the down", async || {
        !inbox(&app, "b").await.is_empty()
    })
    .await;
    let down = &inbox(&app, "b").await[0]["down"];
    assert_eq!(down["monitor"], monitor);
    assert_eq!(down["pid"], pid_json(f));
    assert!(
        down["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("panic: attempt to divide by zero"),
        "{down}"
    );
    // A gone process: down with noproc at once.
    let gone = ask(&app, "b", json!({"monitor": f.0})).await;
    app.eventually("b got the noproc down", async || {
        inbox(&app, "b").await.len() == 2
    })
    .await;
    let down = &inbox(&app, "b").await[1]["down"];
    assert_eq!(
        (down["monitor"].clone(), down["reason"].clone()),
        (gone, json!("noproc"))
    );
    // A demonitored process says nothing.
    let f2 = app.pid("f");
    let m = ask(&app, "b", json!({"monitor": f2.0})).await;
    assert_eq!(ask(&app, "b", json!({"demonitor": m})).await, json!(true));
    let _ = app.call("f", json!({"crash": "trap"})).await;
    app.wait_restart("f").await;
    assert_eq!(ask(&app, "b", json!({"echo": 0})).await, json!(0));
    assert_eq!(inbox(&app, "b").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_carry_exits_and_trap_exit_turns_them_into_messages() {
    let mut app = app().await;
    let f = app.pid("f");
    let b = app.pid("b");
    assert_eq!(ask(&app, "a", json!({"link": f.0})).await, json!("ok"));
    assert_eq!(ask(&app, "b", json!({"link": f.0})).await, json!("ok"));
    let _ = app.call("f", json!({"crash": "trap"})).await;
    // b does not trap exits: it dies with f's reason.
    let reason = app.wait_exit(b).await;
    assert!(reason.starts_with("trap:"), "{reason}");
    // a traps exits: it gets a message and lives on.
    app.eventually("a got the exit", async || {
        !inbox(&app, "a").await.is_empty()
    })
    .await;
    let exit = &inbox(&app, "a").await[0]["exit"];
    assert_eq!(exit["from"], pid_json(f));
    assert!(
        exit["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("trap:"),
        "{exit}"
    );

    // A normal exit does not take a non-trapping linked process down.
    app.eventually("f and b are back", async || {
        let back = |name: &str| app.node.whereis(&name.into());
        back("f").is_some_and(|p| p != f) && back("b").is_some_and(|p| p != b)
    })
    .await;
    let f2 = app.pid("f");
    let b2 = app.pid("b");
    assert_eq!(ask(&app, "b", json!({"link": f2.0})).await, json!("ok"));
    let _ = app.call("f", json!({"stop": "normal"})).await;
    assert_eq!(app.wait_exit(f2).await, "normal");
    assert_eq!(ask(&app, "b", json!({"echo": 5})).await, json!(5));
    assert_eq!(app.pid("b"), b2);
    // Linking to a gone process fails.
    assert_eq!(
        ask(&app, "b", json!({"link": f2.0})).await,
        json!({"error": "noproc"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_taken_at_run_time_are_released_on_exit() {
    let mut app = app().await;
    assert_eq!(
        ask(&app, "b", json!({"register": "bee"})).await,
        json!("ok")
    );
    let b = app.pid("b");
    assert_eq!(ask(&app, "a", json!({"whereis": "bee"})).await, pid_json(b));
    let taken = ask(&app, "a", json!({"register": "bee"})).await;
    assert_eq!(
        taken,
        json!({"error": format!("name 'bee' is already registered to pid {b}")})
    );
    // Calls by the new name work.
    let call = json!({"call": {"to": "bee", "msg": {"echo": "hi"}}});
    assert_eq!(ask(&app, "a", call).await, json!({"ok": "hi"}));
    let _ = app.call("b", json!("crash")).await;
    app.wait_exit(b).await;
    assert_eq!(ask(&app, "a", json!({"whereis": "bee"})).await, Value::Null);
    assert_eq!(
        ask(&app, "a", json!({"register": "bee"})).await,
        json!("ok")
    );
    assert_eq!(
        ask(&app, "a", json!({"unregister": "bee"})).await,
        json!(true)
    );
    assert_eq!(ask(&app, "a", json!({"whereis": "bee"})).await, Value::Null);
}

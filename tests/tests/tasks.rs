//! Task.Supervisor: one-shot `task` components started fire-and-forget or
//! awaited, with await timeouts that leave the task running, failures and
//! traps reported to the awaiter, links for `async` and none for
//! `async_nolink`, and max_children.

use std::time::Duration;

use overseer::application::TaskStartError;
use overseer::process::{ExitReason, Target, TaskOutcome};
use overseer::runtime::CrashCause;
use overseer::supervisor::ChildError;
use overseer_tests::{TestApp, start, worker};
use serde_json::{Value, json};
use tokio::sync::oneshot;

async fn app() -> TestApp {
    start(&format!(
        "max_restarts = 100\n[[supervisor.children]]\nid = \"tasks\"\ntype = \"task_supervisor\"\nname = \"tasks\"\nmax_children = 2\n{}{}",
        worker("m", "messenger", ""),
        worker("t", "messenger", "args = { trap_exit = true }"),
    ))
    .await
}

/// Start `input` on wordcount under "tasks"; its pid and outcome.
async fn start_task(
    app: &TestApp,
    input: Value,
) -> (overseer::process::Pid, oneshot::Receiver<TaskOutcome>) {
    let (result, outcome) = oneshot::channel();
    let pid = app
        .node
        .start_task(
            Some(&"tasks".into()),
            "wordcount",
            input.to_string().into_bytes(),
            Some(result),
            None,
            None,
        )
        .await
        .expect("the task starts");
    (pid, outcome)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_awaited_task_returns_its_result_and_exits_normally() {
    let mut app = app().await;
    let (pid, outcome) = start_task(&app, json!({"text": "the quick brown fox"})).await;
    let output = outcome.await.expect("an outcome").expect("a result");
    assert_eq!(json_of(&output), json!({"words": 4}));
    assert_eq!(app.wait_exit(pid).await, "normal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_await_past_its_timeout_fails_and_the_task_runs_on() {
    let mut app = app().await;
    let (pid, mut outcome) = start_task(&app, json!({"sleep_ms": 300})).await;
    let early = tokio::time::timeout(Duration::from_millis(30), &mut outcome).await;
    assert!(early.is_err(), "no result after 30 ms");
    assert!(
        app.node.whereis(&Target::Pid(pid)).is_some(),
        "the task was not killed"
    );
    let output = outcome.await.expect("an outcome").expect("a result");
    assert_eq!(json_of(&output), json!({"slept": 300}));
    assert_eq!(app.wait_exit(pid).await, "normal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_traps_reach_the_awaiter() {
    let app = app().await;
    let (_, outcome) = start_task(&app, json!({"fail": "no input file"})).await;
    assert_eq!(
        outcome.await.expect("an outcome"),
        Err(ExitReason::Error("no input file".into()))
    );
    let (_, outcome) = start_task(&app, json!({"crash": true})).await;
    let crashed = outcome.await.expect("an outcome");
    assert!(
        matches!(&crashed, Err(ExitReason::Crash(CrashCause::Trap(_)))),
        "{crashed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_children_bounds_the_tasks_in_flight() {
    let app = app().await;
    let (_a, a) = start_task(&app, json!({"sleep_ms": 300})).await;
    let (_b, b) = start_task(&app, json!({"sleep_ms": 300})).await;
    let sup = app.node.supervisor(&"tasks".into()).expect("tasks runs");
    let third = app
        .node
        .start_task(
            Some(&"tasks".into()),
            "wordcount",
            b"{}".to_vec(),
            None,
            None,
            None,
        )
        .await;
    assert!(
        matches!(
            third,
            Err(TaskStartError::Child(ChildError::MaxChildren(2)))
        ),
        "{third:?}"
    );
    assert!(a.await.expect("a").is_ok());
    assert!(b.await.expect("b").is_ok());
    // Temporary children are forgotten when they end: room again.
    app.eventually("the tasks are gone", async || {
        sup.count_children().await.is_ok_and(|c| c.active == 0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_start_and_await_tasks() {
    let mut app = app().await;
    // Fire and forget.
    let started = app
        .call("m", json!({"task_start": {"sup": "tasks", "plugin": "wordcount", "input": {"text": "a b"}}}))
        .await
        .expect("m answers");
    let pid = started["ok"]
        .as_u64()
        .unwrap_or_else(|| panic!("{started}"));
    assert_eq!(app.wait_exit(overseer::process::Pid(pid)).await, "normal");

    // async + await, and an await that times out, then succeeds.
    let task = app
        .call("m", json!({"task_async": {"sup": "tasks", "plugin": "wordcount", "input": {"sleep_ms": 200}, "link": true}}))
        .await
        .expect("m answers")["ok"]
        .clone();
    let early = app
        .call("m", json!({"task_await": {"task": task, "timeout_ms": 20}}))
        .await
        .expect("m answers");
    assert_eq!(early, json!({"error": "timeout"}));
    let late = app
        .call(
            "m",
            json!({"task_await": {"task": task, "timeout_ms": 5000}}),
        )
        .await
        .expect("m answers");
    assert_eq!(late, json!({"ok": {"slept": 200}}));

    // async_nolink: a crashing task is only an error for the awaiter.
    let task = app
        .call("m", json!({"task_async": {"sup": "tasks", "plugin": "wordcount", "input": {"crash": true}, "link": false}}))
        .await
        .expect("m answers")["ok"]
        .clone();
    let crashed = app
        .call(
            "m",
            json!({"task_await": {"task": task, "timeout_ms": 5000}}),
        )
        .await
        .expect("m survives");
    assert!(
        crashed["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("exited: trap"),
        "{crashed}"
    );

    // async (linked): the crash takes a non-trapping caller down with it;
    // a trapping one gets the exit as a message and awaits the reason.
    let trapping = app
        .call("t", json!({"task_async": {"sup": "tasks", "plugin": "wordcount", "input": {"crash": true}, "link": true}}))
        .await
        .expect("t answers")["ok"]
        .clone();
    let reason = app
        .call(
            "t",
            json!({"task_await": {"task": trapping, "timeout_ms": 5000}}),
        )
        .await
        .expect("t survives");
    assert!(
        reason["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("exited: trap"),
        "{reason}"
    );
    app.eventually("t got the exit signal", async || {
        app.call("t", json!("inbox"))
            .await
            .is_ok_and(|inbox| inbox.as_array().is_some_and(|i| !i.is_empty()))
    })
    .await;
    let m = app.pid("m");
    let _ = app
        .call("m", json!({"task_async": {"sup": "tasks", "plugin": "wordcount", "input": {"crash": true}, "link": true}}))
        .await;
    let exit = app.wait_exit(m).await;
    assert!(exit.starts_with("trap"), "{exit}");
}

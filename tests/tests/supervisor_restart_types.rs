//! permanent, transient and temporary children, after normal and abnormal
//! exits.

use overseer::supervisor::ChildStatus;
use overseer_tests::{TestApp, start, worker};
use serde_json::json;

async fn app(restart: &str) -> TestApp {
    start(&format!(
        "max_restarts = 10\n{}",
        worker("w", "faulty", &format!("restart = \"{restart}\""))
    ))
    .await
}

async fn stop_normally(t: &mut TestApp) {
    let pid = t.pid("w");
    assert_eq!(
        t.call("w", json!({"stop": "normal"})).await,
        Ok(json!("stopping"))
    );
    assert_eq!(t.wait_exit(pid).await, "normal");
}

async fn crash(t: &mut TestApp) {
    let pid = t.pid("w");
    let _ = t.call("w", json!({"crash": "panic"})).await;
    t.wait_exit(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_is_restarted_after_a_normal_exit() {
    let mut t = app("permanent").await;
    stop_normally(&mut t).await;
    t.wait_restart("w").await;
    assert_eq!(t.call("w", json!("ping")).await, Ok(json!("pong")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_is_restarted_after_a_crash() {
    let mut t = app("permanent").await;
    crash(&mut t).await;
    t.wait_restart("w").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_stays_down_after_a_normal_exit() {
    let mut t = app("transient").await;
    stop_normally(&mut t).await;
    let children = t
        .children_when("w is stopped", |c| {
            c.len() == 1 && c[0].status == ChildStatus::Stopped
        })
        .await;
    assert_eq!(children[0].pid, None, "the spec is kept, not running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_stays_down_after_shutdown_exits() {
    let mut t = app("transient").await;
    let pid = t.pid("w");
    assert_eq!(
        t.call("w", json!({"stop": "shutdown"})).await,
        Ok(json!("stopping"))
    );
    assert_eq!(t.wait_exit(pid).await, "shutdown");
    t.children_when("w is stopped", |c| {
        c[0].status == ChildStatus::Stopped && c[0].pid.is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_is_restarted_after_a_crash() {
    let mut t = app("transient").await;
    crash(&mut t).await;
    t.wait_restart("w").await;
    assert_eq!(t.call("w", json!("ping")).await, Ok(json!("pong")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_is_restarted_after_an_abnormal_stop() {
    let mut t = app("transient").await;
    let pid = t.pid("w");
    assert_eq!(
        t.call("w", json!({"stop": "bad thing"})).await,
        Ok(json!("stopping"))
    );
    assert_eq!(t.wait_exit(pid).await, "bad thing");
    t.wait_restart("w").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_is_never_restarted_and_forgotten() {
    let mut t = app("temporary").await;
    crash(&mut t).await;
    t.children_when("the spec is deleted", |c| c.is_empty())
        .await;
    let count = t.app.root().count_children().await.unwrap();
    assert_eq!((count.specs, count.active), (0, 0));
}

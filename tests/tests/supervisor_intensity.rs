//! Restart intensity: past max_restarts in max_seconds a supervisor stops
//! its children and exits with shutdown; its parent applies the child
//! supervisor's own restart type.

use overseer::process::{Event, ExitReason};
use overseer::supervisor::ChildStatus;
use overseer_tests::{TestApp, start, worker};
use serde_json::json;

async fn crash(t: &mut TestApp, name: &str) {
    let pid = t.pid(name);
    let _ = t.call(name, json!({"crash": "trap"})).await;
    t.wait_exit(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceeding_intensity_shuts_the_supervisor_down() {
    let mut t = start(&format!(
        "max_restarts = 2\nmax_seconds = 60\n{}{}",
        worker("w", "faulty", ""),
        worker("other", "counter", "")
    ))
    .await;
    let other = t.pid("other");
    crash(&mut t, "w").await;
    t.wait_restart("w").await;
    crash(&mut t, "w").await;
    t.wait_restart("w").await;
    crash(&mut t, "w").await; // the third in the window: one too many
    t.wait_for("intensity reached", |e| {
        matches!(e, Event::RestartIntensityReached { supervisor, child } if supervisor == "root" && child == "w").then_some(())
    })
    .await;
    assert_eq!(t.wait_exit(other).await, "shutdown");
    let exit = t.app.exited().await.expect("the root reports its exit");
    assert_eq!(exit.reason, ExitReason::Shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_intensity_gives_up_on_the_first_exit() {
    let mut t = start(&format!("max_restarts = 0\n{}", worker("w", "faulty", ""))).await;
    crash(&mut t, "w").await;
    assert_eq!(
        t.app.exited().await.map(|e| e.reason),
        Some(ExitReason::Shutdown)
    );
}

const NESTED: &str = r#"max_restarts = 10
max_seconds = 60
[[supervisor.children]]
id = "perm_sup"
type = "supervisor"
restart = "permanent"
max_restarts = 1
max_seconds = 60
children = [ { id = "w1", plugin = "faulty.wasm", name = "w1" } ]

[[supervisor.children]]
id = "trans_sup"
type = "supervisor"
restart = "transient"
max_restarts = 1
max_seconds = 60
children = [ { id = "w2", plugin = "faulty.wasm", name = "w2" } ]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_child_supervisor_is_restarted_by_its_parent() {
    let mut t = start(NESTED).await;
    let old_sup = t.app.root().which_children().await.unwrap()[0].pid;
    crash(&mut t, "w1").await;
    t.wait_restart("w1").await;
    crash(&mut t, "w1").await; // perm_sup gives up: exits with shutdown
    let new_sup = t.wait_restart("perm_sup").await;
    assert_ne!(Some(new_sup), old_sup);
    // A fresh perm_sup started a fresh w1.
    assert_eq!(t.call("w1", json!("ping")).await, Ok(json!("pong")));
    let children = t.app.root().which_children().await.unwrap();
    assert_eq!(children[0].status, ChildStatus::Running);
    assert_eq!(children[0].restarts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_child_supervisor_that_gives_up_stays_down() {
    let mut t = start(NESTED).await;
    crash(&mut t, "w2").await;
    t.wait_restart("w2").await;
    crash(&mut t, "w2").await; // trans_sup gives up with shutdown: a normal exit
    let sup_exit = t
        .wait_for("trans_sup to exit", |e| match e {
            Event::SupervisorExited { id, reason, .. } if id == "trans_sup" => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert_eq!(sup_exit, ExitReason::Shutdown);
    let children = t
        .children_when("trans_sup is left down", |c| {
            c[1].status == ChildStatus::Stopped
        })
        .await;
    assert_eq!(children[1].id, "trans_sup");
    assert_eq!(children[1].pid, None);
    // Its sibling is untouched.
    assert_eq!(t.call("w1", json!("ping")).await, Ok(json!("pong")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_climbs_two_levels_to_the_root() {
    // w crashes → mid gives up → root must restart mid but may not → root
    // gives up too.
    let mut t = start(
        r#"max_restarts = 0
[[supervisor.children]]
id = "mid"
type = "supervisor"
max_restarts = 0
children = [ { id = "w", plugin = "faulty.wasm", name = "w" } ]
"#,
    )
    .await;
    crash(&mut t, "w").await;
    t.wait_for("mid gives up", |e| {
        matches!(e, Event::RestartIntensityReached { supervisor, .. } if supervisor == "mid")
            .then_some(())
    })
    .await;
    t.wait_for("root gives up", |e| {
        matches!(e, Event::RestartIntensityReached { supervisor, child } if supervisor == "root" && child == "mid").then_some(())
    })
    .await;
    assert_eq!(
        t.app.exited().await.map(|e| e.reason),
        Some(ExitReason::Shutdown)
    );
}

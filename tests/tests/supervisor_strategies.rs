//! one_for_one, one_for_all and rest_for_one: who is restarted when one
//! child crashes.

use overseer::process::Pid;
use overseer_tests::{TestApp, start, worker};
use serde_json::json;

fn three_workers(strategy: &str) -> String {
    let mut s = format!("strategy = \"{strategy}\"\nmax_restarts = 10\n");
    for id in ["a", "b", "c"] {
        s.push_str(&worker(id, "faulty", ""));
    }
    s
}

fn pids(t: &TestApp) -> [Pid; 3] {
    [t.pid("a"), t.pid("b"), t.pid("c")]
}

async fn crash_b(t: &mut TestApp) {
    let b = t.pid("b");
    let _ = t.call("b", json!({"crash": "trap"})).await;
    t.wait_exit(b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_one_restarts_only_the_crashed_child() {
    let mut t = start(&three_workers("one_for_one")).await;
    let [a, b, c] = pids(&t);
    crash_b(&mut t).await;
    let new_b = t.wait_restart("b").await;
    assert_ne!(new_b, b);
    assert_eq!(pids(&t), [a, new_b, c]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_all_restarts_every_child() {
    let mut t = start(&three_workers("one_for_all")).await;
    let [a, b, c] = pids(&t);
    crash_b(&mut t).await;
    // The others stop in reverse order, then all start in order.
    assert_eq!(t.wait_exit(c).await, "shutdown");
    assert_eq!(t.wait_exit(a).await, "shutdown");
    let restarted = [
        t.wait_restart("a").await,
        t.wait_restart("b").await,
        t.wait_restart("c").await,
    ];
    assert_eq!(pids(&t), restarted);
    for (old, new) in [a, b, c].iter().zip(restarted) {
        assert_ne!(*old, new);
    }
    assert!(
        restarted[0] < restarted[1] && restarted[1] < restarted[2],
        "started in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_for_one_restarts_the_child_and_those_after_it() {
    let mut t = start(&three_workers("rest_for_one")).await;
    let [a, b, c] = pids(&t);
    crash_b(&mut t).await;
    assert_eq!(t.wait_exit(c).await, "shutdown");
    let new_b = t.wait_restart("b").await;
    let new_c = t.wait_restart("c").await;
    assert_eq!(pids(&t), [a, new_b, new_c]);
    assert_ne!(new_b, b);
    assert_ne!(new_c, c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_restart_counts_as_one_restart() {
    // max_restarts = 1: one group restart of three children is allowed.
    let mut t =
        start(&three_workers("one_for_all").replace("max_restarts = 10", "max_restarts = 1")).await;
    crash_b(&mut t).await;
    t.wait_restart("c").await;
    assert_eq!(t.call("a", json!("ping")).await, Ok(json!("pong")));
}

//! Ordered start and reverse-ordered shutdown; shutdown times; terminate
//! on shutdown for processes that trap exits.

use std::collections::HashMap;

use overseer::process::{Event, Pid};
use overseer_tests::{start, worker};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_start_in_order_and_stop_in_reverse() {
    let mut t = start(&format!(
        "{}{}{}",
        worker("a", "counter", ""),
        worker("b", "counter", ""),
        worker("c", "counter", "")
    ))
    .await;
    let (a, b, c) = (t.pid("a"), t.pid("b"), t.pid("c"));
    assert!(a < b && b < c, "started in order");
    t.app.stop().await;
    let mut order = Vec::new();
    while order.len() < 3 {
        let pid = t
            .wait_for("exits", |e| match e {
                Event::ProcessExited { pid, reason, .. } => {
                    assert_eq!(reason.to_string(), "shutdown");
                    Some(*pid)
                }
                _ => None,
            })
            .await;
        order.push(pid);
    }
    assert_eq!(order, vec![c, b, a]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_times_are_kept_and_overruns_killed() {
    let mut t = start(&format!(
        "{}{}{}{}",
        // Traps exits and needs 60 s to terminate, but gets 200 ms.
        worker(
            "slow",
            "faulty",
            "args = { trap_exit = true, terminate_ms = 60000 }\nshutdown = 200"
        ),
        // Traps exits and terminates quickly within its 5 s.
        worker(
            "quick",
            "faulty",
            "args = { trap_exit = true, terminate_ms = 10 }\nshutdown = 5000"
        ),
        // Does not trap exits: ends at once, terminate does not run.
        worker("plain", "faulty", "shutdown = 5000"),
        worker(
            "brutal",
            "faulty",
            "args = { trap_exit = true }\nshutdown = \"brutal_kill\""
        )
    ))
    .await;
    let pids: HashMap<Pid, &str> = ["slow", "quick", "plain", "brutal"]
        .into_iter()
        .map(|n| (t.pid(n), n))
        .collect();
    t.app.stop().await;
    let mut reasons = HashMap::new();
    let mut terminated = Vec::new();
    while reasons.len() < 4 {
        t.wait_for("exits", |e| {
            match e {
                Event::ProcessExited { pid, reason, .. } => {
                    reasons.insert(pids[pid], reason.to_string());
                }
                Event::GuestLog { pid, message, .. } if message.starts_with("terminate:") => {
                    terminated.push((pids[pid], message.clone()));
                }
                _ => {}
            }
            Some(())
        })
        .await;
    }
    assert_eq!(reasons["brutal"], "killed");
    assert_eq!(reasons["plain"], "shutdown");
    assert_eq!(reasons["quick"], "shutdown");
    assert_eq!(reasons["slow"], "killed");
    terminated.sort();
    assert_eq!(
        terminated,
        vec![
            ("quick", "terminate: shutdown".to_string()),
            ("slow", "terminate: shutdown".to_string()),
        ],
        "terminate runs for the trapping children that were signalled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_supervisors_stop_their_children_first() {
    let mut t = start(
        r#"[[supervisor.children]]
id = "first"
plugin = "counter.wasm"
name = "first"

[[supervisor.children]]
id = "db"
type = "supervisor"
children = [ { id = "c1", plugin = "counter.wasm", name = "c1" }, { id = "c2", plugin = "counter.wasm", name = "c2" } ]
"#,
    )
    .await;
    let (first, c1, c2) = (t.pid("first"), t.pid("c1"), t.pid("c2"));
    t.app.stop().await;
    let mut order = Vec::new();
    while order.len() < 4 {
        let next = t
            .wait_for("exits", |e| match e {
                Event::ProcessExited { pid, .. } => Some(pid.to_string()),
                Event::SupervisorExited { id, .. } => Some(id.clone()),
                _ => None,
            })
            .await;
        order.push(next);
    }
    assert_eq!(
        order,
        vec![
            c2.to_string(),
            c1.to_string(),
            "db".into(),
            first.to_string()
        ]
    );
}

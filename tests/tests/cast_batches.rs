//! Casts waiting in a mailbox go into a Rust guest several at a time
//! (`handle-casts`), and nothing a GenServer can see changes: they are
//! handled in order, each under a CPU deadline of its own, and a crash names
//! the cast it happened in. `faulty` is kept busy by one cast while the
//! test queues the rest behind it, so that they wait and form a batch.

use overseer::process::{Event, Pid};
use overseer_tests::{TestApp, start};
use serde_json::json;

const FAULTY: &str = "max_restarts = 100\n[[supervisor.children]]\nid = \"faulty\"\nplugin = \"faulty.wasm\"\nname = \"faulty\"\nlimits = { memory_mb = 16, cpu_ms = 300 }\n";

fn cast(t: &TestApp, msg: serde_json::Value) {
    t.node
        .cast(&"faulty".into(), msg.to_string().into_bytes())
        .expect("the cast is delivered");
}

/// How many batches `pid` has handled, and how many casts.
fn batches_and_casts(t: &TestApp, pid: Pid) -> (u64, u64) {
    let details = t.node.processes().details(pid).expect("the process lives");
    (details.activity.cast_batches, details.activity.casts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casts_queued_behind_a_busy_one_are_handled_in_batches_in_order() {
    let t = start(FAULTY).await;
    let pid = t.pid("faulty");
    cast(&t, json!({"busy_ms": 100}));
    for n in 0..200 {
        cast(&t, json!({"note": n}));
    }
    let notes = t.call("faulty", json!("notes")).await.expect("notes");
    assert_eq!(notes, json!((0..200).collect::<Vec<_>>()));
    let (batches, casts) = batches_and_casts(&t, pid);
    assert_eq!(casts, 201, "every cast counted, batched or not");
    // 200 casts waited behind a 100 ms one: at most 64 to a batch.
    assert!(
        (4..=200).contains(&batches),
        "{batches} batches for 200 waiting casts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cast_of_a_batch_has_a_cpu_deadline_of_its_own() {
    let mut t = start(FAULTY).await;
    let pid = t.pid("faulty");
    // Five casts of 100 ms each, 300 ms allowed to each: 500 ms in all,
    // which a batch must not count as one callback.
    cast(&t, json!({"busy_ms": 100}));
    for _ in 0..4 {
        cast(&t, json!({"busy_ms": 100}));
    }
    assert_eq!(t.call("faulty", json!("ping")).await, Ok(json!("pong")));
    let (batches, casts) = batches_and_casts(&t, pid);
    assert_eq!(casts, 5);
    assert!(batches >= 1, "the casts waiting were batched");
    assert_eq!(t.pid("faulty"), pid, "no crash, no restart");
    // A runaway cast in a batch still ends at its deadline.
    cast(&t, json!({"busy_ms": 100}));
    cast(&t, json!({"note": 1}));
    cast(&t, json!({"crash": "loop"}));
    let reason = t.wait_exit(pid).await;
    assert!(reason.starts_with("cpu deadline: "), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_a_batch_names_its_cast_and_drops_the_casts_after_it() {
    let mut t = start(FAULTY).await;
    let pid = t.pid("faulty");
    cast(&t, json!({"busy_ms": 100}));
    cast(&t, json!({"note": 1}));
    cast(&t, json!({"note": 2}));
    cast(&t, json!({"crash": "trap"}));
    cast(&t, json!({"note": 3}));
    let message = t
        .wait_for("the crash report", |e| match e {
            Event::CrashReport {
                pid: p, message, ..
            } if *p == pid => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(message.as_deref(), Some(r#"cast {"crash":"trap"}"#));
    t.wait_restart("faulty").await;
    // The cast behind the crash went with the crashed process's mailbox,
    // as OTP drops a dead process's messages.
    assert_eq!(t.call("faulty", json!("notes")).await, Ok(json!([])));
}

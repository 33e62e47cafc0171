//! Casts waiting in a mailbox go into a Rust guest several at a time
//! (`handle-casts`), and nothing a GenServer can see changes: they are
//! handled in order, each under a CPU deadline of its own, and a crash names
//! the cast it happened in. `faulty` is kept busy by one cast while the
//! test queues the rest behind it, so that they wait and form a batch.

use overseer::process::{Event, Pid};
use overseer::runtime::MAX_BATCH_LEN;
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
    let waiting = MAX_BATCH_LEN + 44;
    for n in 0..waiting {
        cast(&t, json!({"note": n}));
    }
    let notes = t.call("faulty", json!("notes")).await.expect("notes");
    assert_eq!(notes, json!((0..waiting).collect::<Vec<_>>()));
    let (batches, casts) = batches_and_casts(&t, pid);
    assert_eq!(
        casts,
        waiting as u64 + 1,
        "every cast counted, batched or not"
    );
    // The casts waited behind a 100 ms one: at most MAX_BATCH_LEN to a batch.
    let fewest = waiting.div_ceil(MAX_BATCH_LEN) as u64;
    assert!(
        (fewest..=waiting as u64).contains(&batches),
        "{batches} batches for {waiting} waiting casts"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_senders_casts_and_calls_arrive_in_the_order_sent() {
    let t = start(FAULTY).await;
    let target: overseer::process::Target = "faulty".into();
    // Four senders at once, each casting a numbered note, with a call now
    // and then: a cast may not join an envelope queued before its sender's
    // call.
    let mut senders = Vec::new();
    for sender in 0..4u64 {
        let node = t.node.clone();
        let target = target.clone();
        senders.push(tokio::spawn(async move {
            for seq in 0..500u64 {
                let note = json!({"note": sender * 1_000_000 + seq});
                node.cast(&target, note.to_string().into_bytes())
                    .expect("delivered");
                if seq % 50 == 49 {
                    node.call(
                        &target,
                        br#""ping""#.to_vec(),
                        std::time::Duration::from_secs(5),
                    )
                    .await
                    .expect("pong");
                }
            }
        }));
    }
    for sender in senders {
        sender.await.expect("the sender finished");
    }
    let notes = t.call("faulty", json!("notes")).await.expect("notes");
    let notes: Vec<u64> = serde_json::from_value(notes).expect("numbers");
    assert_eq!(notes.len(), 2000);
    for sender in 0..4u64 {
        let own: Vec<u64> = notes
            .iter()
            .filter(|n| *n / 1_000_000 == sender)
            .map(|n| n % 1_000_000)
            .collect();
        assert_eq!(own, (0..500).collect::<Vec<_>>(), "sender {sender}");
    }
}

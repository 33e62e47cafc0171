//! A child whose init fails makes the start fail and stops the children
//! already started; ignore leaves the child undefined.

use overseer::process::Event;
use overseer::supervisor::ChildStatus;
use overseer_tests::{node, start, try_start, worker};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_init_fails_the_start_and_stops_earlier_children() {
    let probe = node();
    let _ = probe;
    let supervisor = format!(
        "{}{}{}",
        worker("a", "counter", ""),
        worker("b", "faulty", "args = { fail_init = true }"),
        worker("c", "counter", "")
    );
    let err = try_start(&supervisor).await.err().expect("the start fails");
    let text = err.to_string();
    assert!(text.contains("failed to start child 'b'"), "{text}");
    assert!(text.contains("init failed on purpose"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_children_started_before_a_failure_are_stopped() {
    // Watch the events of a host whose start fails.
    let node = node();
    let mut events = node.events().subscribe();
    let manifest = overseer::application::parse_manifest(
        std::path::Path::new("t.toml"),
        &overseer_tests::manifest_text(&format!(
            "{}{}{}",
            worker("a", "counter", ""),
            worker("b", "faulty", "args = { fail_init = true }"),
            worker("c", "counter", "")
        )),
    )
    .unwrap();
    assert!(
        overseer::application::Application::start(&node, &manifest)
            .await
            .is_err()
    );
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        match &*event {
            Event::ProcessStarted { id, .. } => seen.push(format!("started {id}")),
            Event::ProcessExited { id, reason, .. } => seen.push(format!("exited {id} {reason}")),
            _ => {}
        }
    }
    assert_eq!(seen, vec!["started a", "exited a shutdown"]);
    assert_eq!(node.live_processes(), 0);
    assert!(
        node.whereis(&"a".into()).is_none(),
        "no name is left registered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignoring_child_is_kept_undefined() {
    let t = start(&format!(
        "{}{}{}",
        worker("a", "counter", ""),
        worker("b", "faulty", "args = { ignore = true }"),
        worker("c", "counter", "")
    ))
    .await;
    let children = t.app.root().which_children().await.unwrap();
    let b = &children[1];
    assert_eq!(
        (b.id.as_str(), b.pid, b.status),
        ("b", None, ChildStatus::Undefined)
    );
    let count = t.app.root().count_children().await.unwrap();
    assert_eq!(
        (count.specs, count.active, count.workers, count.supervisors),
        (3, 2, 3, 0)
    );
    assert_eq!(t.call("c", json!("increment")).await, Ok(json!(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignoring_temporary_child_is_dropped() {
    let t = start(&format!(
        "{}{}",
        worker("a", "counter", ""),
        worker(
            "b",
            "faulty",
            "args = { ignore = true }\nrestart = \"temporary\""
        )
    ))
    .await;
    let count = t.app.root().count_children().await.unwrap();
    assert_eq!((count.specs, count.active), (1, 1));
}

//! The hostile suite in Python: another language is no way around the
//! sandbox. `hostile_py` runs the attacks that make sense in Python (a
//! memory bomb, a CPU hog, a spawn bomb, a mailbox flood, a supervisor it
//! was not granted) and gets what the Rust attacker gets; the counter
//! beside it never notices.

use overseer_tests::TestApp;
use overseer_tests::hostile::{assert_contained, attack, stage_with};
use overseer_tests::languages::PYTHON;
use serde_json::json;

/// Python needs more than the Rust attacker's 16 MiB to start.
const LIMITS: &str = "limits = { cpu_ms = 300, memory_mb = 48 }";

/// The same memory, and a deadline far enough that filling 48 MiB on a
/// loaded machine (the deadline is wall time) reaches the memory limit first.
const MEMORY_LIMITS: &str = "limits = { cpu_ms = 20000, memory_mb = 48 }";

async fn stage(grants: &str) -> Option<TestApp> {
    stage_limited(grants, LIMITS).await
}

async fn stage_limited(grants: &str, limits: &str) -> Option<TestApp> {
    if let Some(why) = PYTHON.skipped() {
        eprintln!("skipped: Python plugins were not built: {why}");
        return None;
    }
    Some(stage_with("hostile_py", grants, limits, "").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_bomb_ends_at_the_memory_limit() {
    let Some(mut app) = stage_limited("", MEMORY_LIMITS).await else {
        return;
    };
    let mut counted = 0;
    let h = app.pid("h");
    assert!(attack(&app, json!({"alloc_mb": 200})).await.is_err());
    let reason = app.wait_exit(h).await;
    assert!(
        reason.starts_with("memory limit: guest tried to grow its memory to ")
            && reason.ends_with(&format!("limit {} bytes", 48 << 20)),
        "{reason}"
    );
    app.wait_restart("h").await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_hog_ends_at_the_deadline() {
    let Some(mut app) = stage("").await else {
        return;
    };
    let mut counted = 0;
    let h = app.pid("h");
    assert!(attack(&app, json!("spin")).await.is_err());
    assert_eq!(
        app.wait_exit(h).await,
        "cpu deadline: callback ran past its 300 ms deadline"
    );
    app.wait_restart("h").await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_flood_stops_at_the_quota_for_the_sender() {
    let Some(app) = stage("").await else {
        return;
    };
    let mut counted = 0;
    let me = attack(&app, json!("pid")).await.expect("pid");
    let huge = attack(
        &app,
        json!({"flood": {"to": me, "n": 1000, "bytes": 4 << 20}}),
    )
    .await
    .expect("the attacker answers");
    assert_eq!(huge["sent"], json!(0), "{huge}");
    assert!(
        huge["error"]
            .as_str()
            .is_some_and(|e| e.contains("quota: message_bytes: 4194306 bytes")),
        "{huge}"
    );
    let many = attack(&app, json!({"flood": {"to": me, "n": 20_000, "bytes": 1}}))
        .await
        .expect("the attacker answers");
    assert_eq!(many["sent"], json!(10_000), "{many}");
    assert!(
        many["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("mailbox full: ") && e.contains("mailbox_len")),
        "{many}"
    );
    app.eventually("the attacker's mailbox drains", async || {
        attack(&app, json!("ping")).await == Ok(json!("pong"))
    })
    .await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawn_bomb_stops_at_the_children_quota() {
    let grants = "supervisors = [\"jobs\"]\n[plugin.hostile_py.quotas]\nchildren = 5\n";
    let Some(app) = stage(grants).await else {
        return;
    };
    let mut counted = 0;
    let spec = json!({"id": "bomb", "plugin": "counter", "restart": "temporary"});
    let bomb = attack(
        &app,
        json!({"spawn": {"sup": "jobs", "spec": spec, "n": 100}}),
    )
    .await
    .expect("the attacker answers");
    assert_eq!(bomb["started"], json!(5), "{bomb}");
    assert_eq!(bomb["error"], json!("quota: children: at most 5 at once"));
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_and_neighbours_it_is_not_granted_are_out_of_reach() {
    let Some(app) = stage("").await else {
        return;
    };
    let mut counted = 0;
    let refused = |reply: &serde_json::Value, what: &str| {
        reply["error"].as_str().is_some_and(|e| {
            e.starts_with(&format!(
                "not permitted: plugin 'hostile_py' may not {what}"
            ))
        })
    };
    let spec = json!({"plugin": "counter"});
    let start = attack(&app, json!({"start_child": {"sup": "jobs", "spec": spec}}))
        .await
        .expect("answers");
    assert!(refused(&start, "manage the children of"), "{start}");
    let c = app.pid("c");
    let root = app.app.root().pid();
    let stop = attack(
        &app,
        json!({"terminate_child": {"sup": root.0, "pid": c.0}}),
    )
    .await
    .expect("answers");
    assert!(refused(&stop, "manage the children of"), "{stop}");
    let link = attack(&app, json!({"link_and_crash": c.0}))
        .await
        .expect("answers");
    assert!(refused(&link, "link to or monitor"), "{link}");
    assert_eq!(app.pid("c"), c);
    assert_contained(&app, &mut counted).await;
}

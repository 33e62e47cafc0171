//! The hostile suite, machine limits: CPU, memory and process slots. A
//! plugin that spins, sleeps, allocates or spawns without end is stopped
//! at its limit, and cannot give its children more than it has.

use std::path::Path;
use std::time::Duration;

use overseer::application::{Application, Node, parse_manifest};
use overseer::process::{Pid, Target};
use overseer::runtime::{HostConfig, Runtime};
use overseer_tests::hostile::{assert_contained, attack, stage};
use overseer_tests::{TestApp, json_sup, plugins_dir, worker};
use serde_json::{Value, json};

const FAST: &str = "limits = { cpu_ms = 200, memory_mb = 16 }";

/// `h`, pid `pid`, ends at [`FAST`]'s CPU deadline, is restarted, and
/// no one else paid: its new pid.
async fn ends_at_the_deadline(app: &mut TestApp, pid: Pid, counted: &mut i64) -> Pid {
    assert_eq!(
        app.wait_exit(pid).await,
        "cpu deadline: callback ran past its 200 ms deadline"
    );
    let h = app.wait_restart("h").await;
    assert_contained(app, counted).await;
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_hog_and_a_wasi_sleep_both_end_at_the_deadline() {
    let mut app = stage("", FAST, "").await;
    let mut counted = 0;
    let h = app.pid("h");
    assert!(attack(&app, json!("spin")).await.is_err());
    let h = ends_at_the_deadline(&mut app, h, &mut counted).await;

    // Attack 4: a sleep in WASI is not wasm running, so the epoch never
    // sees it; the watchdog does.
    let slept = app
        .call_timeout("h", json!({"sleep_ms": 600_000}), Duration::from_secs(60))
        .await;
    assert!(slept.is_err(), "{slept:?}");
    ends_at_the_deadline(&mut app, h, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_casts_cannot_stretch_its_cpu_deadline() {
    let mut app = stage("", FAST, "").await;
    let mut counted = 0;
    let h = app.pid("h");
    // Keep h busy so that the two casts wait together and go in as one
    // batch; the first claims a new cast begins every 100 ms, a thousand
    // times (100 s), but a batch of two restarts the deadline once.
    let node = app.node.clone();
    let busy = tokio::spawn(async move {
        let target: Target = "h".into();
        let sleep = json!({"sleep_ms": 100}).to_string().into_bytes();
        node.call(&target, sleep, Duration::from_secs(5)).await
    });
    // (Should this task not look in time, the sleep is over and the casts
    // come one at a time: still ended at the deadline, unbatched.)
    app.eventually("h is asleep in its call", async || {
        busy.is_finished()
            || app
                .node
                .processes()
                .details(h)
                .and_then(|d| d.activity.message)
                .is_some_and(|m| m.contains("sleep_ms"))
    })
    .await;
    let target: Target = "h".into();
    let stretch = json!({"stretch_deadline": 1000}).to_string().into_bytes();
    app.node.cast(&target, stretch).expect("delivered");
    app.node.cast(&target, b"1".to_vec()).expect("delivered");
    assert_eq!(busy.await.expect("joined"), Ok(br#""slept""#.to_vec()));
    ends_at_the_deadline(&mut app, h, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_bomb_ends_at_the_memory_limit() {
    let mut app = stage("", FAST, "").await;
    let mut counted = 0;
    let h = app.pid("h");
    assert!(attack(&app, json!({"alloc_mb": 64})).await.is_err());
    let reason = app.wait_exit(h).await;
    assert!(
        reason.starts_with("memory limit: guest tried to grow its memory to ")
            && reason.ends_with("limit 16777216 bytes"),
        "{reason}"
    );
    app.wait_restart("h").await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_give_a_child_more_than_it_has() {
    let mut app = stage("supervisors = [\"jobs\"]", FAST, "").await;
    let mut counted = 0;
    // Attack 4: an endless deadline for its child.
    let endless = json!({"plugin": "hostile.wasm", "restart": "temporary",
                         "limits": {"cpu_ms": u64::MAX}});
    let refused = attack(
        &app,
        json!({"start_child": {"sup": "jobs", "spec": endless}}),
    )
    .await
    .expect("the attacker answers");
    assert_eq!(
        refused["error"],
        json!(format!(
            "invalid child spec: child 'hostile': cpu deadline {} ms exceeds the host's maximum of 60000 ms",
            u64::MAX
        )),
        "{refused}"
    );
    // Within the host's maximum, but more than its own: capped to its own.
    let greedy = json!({"plugin": "hostile.wasm", "restart": "temporary",
                        "limits": {"cpu_ms": 50_000, "memory_mb": 64}});
    let started = attack(
        &app,
        json!({"start_child": {"sup": "jobs", "spec": greedy}}),
    )
    .await
    .expect("the attacker answers");
    let child = Pid(started["ok"].as_u64().expect("started"));
    assert!(app.call(Target::Pid(child), json!("spin")).await.is_err());
    assert_eq!(
        app.wait_exit(child).await,
        "cpu deadline: callback ran past its 200 ms deadline"
    );
    // The CLI and the control API get the same refusal.
    let from_cli = json_sup(&app.node, "jobs")
        .start_child(json!({"plugin": "counter.wasm", "limits": {"cpu_ms": u64::MAX}}))
        .await;
    assert!(
        from_cli
            .as_ref()
            .is_err_and(|e| e.contains("exceeds the host's maximum of 60000 ms")),
        "{from_cli:?}"
    );
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_under_its_starters_limits() {
    let mut app = stage(
        "supervisors = [\"tasks\"]\ntasks = [\"wordcount\"]",
        FAST,
        "",
    )
    .await;
    let mut counted = 0;
    // A task sleeping ten minutes, started by a process with a 200 ms
    // deadline: the task's default 5 s is capped to 200 ms.
    let task =
        json!({"task": {"sup": "tasks", "plugin": "wordcount", "input": {"sleep_ms": 600_000}}});
    let started = attack(&app, task).await.expect("the attacker answers");
    let pid = Pid(started["ok"].as_u64().expect("started"));
    assert_eq!(
        app.wait_exit(pid).await,
        "cpu deadline: callback ran past its 200 ms deadline"
    );
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_children_quota_bounds_the_whole_subtree() {
    let app = stage(
        "supervisors = [\"jobs\"]\n[plugin.hostile.quotas]\nchildren = 5",
        "",
        "",
    )
    .await;
    let mut counted = 0;
    let spec = json!({"plugin": "hostile.wasm", "restart": "temporary"});
    let started = attack(&app, json!({"start_child": {"sup": "jobs", "spec": spec}}))
        .await
        .expect("the attacker answers");
    let child = Pid(started["ok"].as_u64().expect("started"));
    // Its child spawns in turn: the four left of the attacker's five.
    let bomb = app
        .call(
            Target::Pid(child),
            json!({"spawn": {"sup": "jobs", "spec": spec, "n": 100}}),
        )
        .await
        .expect("the child answers");
    assert_eq!(
        bomb,
        json!({"started": 4, "error": "quota: children: at most 5 at once"})
    );
    assert_contained(&app, &mut counted).await;
}

/// A host whose memory budget is three 16 MiB processes.
fn small_node() -> Node {
    Node::new(
        Runtime::new(HostConfig {
            max_processes: 64,
            memory_budget_bytes: Some(3 * (16 << 20)),
            ..HostConfig::default()
        })
        .expect("the engine starts"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_past_the_memory_budget_are_refused() {
    let text = format!(
        "[app]\nname = \"budget\"\nplugins = {:?}\n[app.upgrade]\nwatch = false\n\
         [supervisor]\n{}{}\
         [[supervisor.children]]\nid = \"jobs\"\ntype = \"dynamic_supervisor\"\nname = \"jobs\"\n",
        plugins_dir().display().to_string(),
        worker("a", "counter", "limits = { memory_mb = 16 }"),
        worker("b", "counter", "limits = { memory_mb = 16 }"),
    );
    let node = small_node();
    let events = node.events().subscribe();
    let manifest =
        parse_manifest(Path::new("budget.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let app = Application::start(&node, &manifest)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::new(node, app, &manifest, events);
    let jobs = json_sup(&app.node, "jobs");
    let spec = json!({"plugin": "counter.wasm", "limits": {"memory_mb": 16}});
    let third = jobs.start_child(spec.clone()).await;
    assert!(third.is_ok(), "{third:?}");
    let fourth = jobs.start_child(spec).await.expect_err("over the budget");
    assert!(
        fourth.contains("memory budget: a process with a 16777216-byte memory limit would take the host past its budget of 50331648 bytes"),
        "{fourth}"
    );
    assert_eq!(app.call("a", json!("increment")).await, Ok(Value::from(1)));
}

//! Hot code swap through the library API: every process of a plugin moves
//! to a new build with its state, at a message boundary; a bad build changes
//! nothing. Real builds, real files.

use std::time::Duration;

use overseer::process::{Event, Target};
use overseer::reload::{ReloadError, Reloaded, UpgradeReport};
use overseer::runtime::{Compiled, HostConfig, PluginVersion, Runtime};
use overseer_tests::{PluginDir, TestApp, build};
use serde_json::{Value, json};

const NO_WATCH: &str = "watch = false";

fn counters(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[supervisor.children]]\nid = \"c{i}\"\nplugin = \"counter.wasm\"\nname = \"c{i}\"\nargs = {{ initial_value = {i} }}\n"
            )
        })
        .collect()
}

async fn upgrade(app: &TestApp, to: &str) -> UpgradeReport {
    match app.reloader().reload("counter", Some(&build(to))).await {
        Ok(Reloaded::Upgraded(report)) => report,
        other => panic!("expected an upgrade to {to}, got {other:?}"),
    }
}

async fn vsn_of(app: &TestApp, name: &str) -> String {
    let pid = app.pid(name);
    app.node
        .processes()
        .info(pid)
        .map(|i| i.vsn)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_keeps_its_state_and_answers_the_new_call() {
    let dir = PluginDir::with(&["counter"]);
    let app = dir.start(NO_WATCH, &counters(1), 16).await;
    assert_eq!(app.call("c0", json!({"add": 41})).await, Ok(json!(41)));
    let pid = app.pid("c0");

    let report = upgrade(&app, "counter_v2").await;
    assert_eq!(
        (report.from.as_str(), report.to.as_str()),
        ("1.0.0", "2.0.0")
    );
    assert_eq!(report.changed.len(), 1);
    assert!(!report.downgrade);

    // Same process, new code, old value, new shape.
    assert_eq!(app.pid("c0"), pid);
    assert_eq!(vsn_of(&app, "c0").await, "2.0.0");
    assert_eq!(app.state("c0").await, json!({"value": 41, "history": []}));
    assert_eq!(app.call("c0", json!("increment")).await, Ok(json!(42)));
    assert_eq!(app.call("c0", json!("history")).await, Ok(json!([41])));
    assert_eq!(app.call("c0", json!("undo")).await, Ok(json!(41)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_an_upgrade_starts_the_new_build() {
    let dir = PluginDir::with(&["counter"]);
    let mut app = dir.start(NO_WATCH, &counters(1), 16).await;
    upgrade(&app, "counter_v2").await;
    let pid = app.pid("c0");
    // A message v2 cannot decode stops it abnormally: the supervisor restarts it.
    let _ = app.call("c0", json!("no such call")).await;
    let restarted = app.wait_restart("c0").await;
    assert_ne!(restarted, pid);
    assert_eq!(vsn_of(&app, "c0").await, "2.0.0");
    assert_eq!(app.call("c0", json!("history")).await, Ok(json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_processes_keep_their_state() {
    let dir = PluginDir::with(&["counter"]);
    let app = dir.start(NO_WATCH, &counters(1000), 1010).await;
    let report = upgrade(&app, "counter_v2").await;
    assert_eq!(report.changed.len(), 1000, "failed: {:?}", report.failed);
    assert!(report.failed.is_empty());
    for i in (0..1000).step_by(37).chain([999]) {
        let name = format!("c{i}");
        assert_eq!(vsn_of(&app, &name).await, "2.0.0");
        assert_eq!(
            app.state(name.as_str()).await,
            json!({"value": i, "history": []})
        );
    }
    let versions = app.node.processes().of_plugin("counter");
    assert_eq!(versions.len(), 1000);
    assert!(versions.iter().all(|(_, v)| v.vsn() == "2.0.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_and_casts_during_an_upgrade_are_answered_in_order() {
    let dir = PluginDir::with(&["counter"]);
    let app = dir.start(NO_WATCH, &counters(1), 16).await;
    let server = app
        .node
        .lookup(&Target::Name("c0".into()))
        .expect("c0 runs");
    // Casts queued ahead of the upgrade, calls racing it.
    for _ in 0..500 {
        server.cast(br#""increment""#.to_vec()).expect("cast");
    }
    let reloader = app.reloader().clone();
    let v2 = build("counter_v2");
    let upgrading = tokio::spawn(async move { reloader.reload("counter", Some(&v2)).await });
    let mut expected = 500;
    while !upgrading.is_finished() || expected < 600 {
        expected += 1;
        let reply = server
            .call(br#""increment""#.to_vec(), Duration::from_secs(5))
            .await
            .expect("no call fails during an upgrade");
        assert_eq!(reply, expected.to_string().into_bytes(), "replies in order");
        assert!(expected < 100_000, "the upgrade never finished");
    }
    assert!(matches!(upgrading.await, Ok(Ok(Reloaded::Upgraded(_)))));
    expected += 1;
    assert_eq!(
        app.call("c0", json!("increment")).await,
        Ok(json!(expected))
    );
    // The tail was handled by v2: it kept a history.
    let history = app.call("c0", json!("history")).await.expect("history");
    let history = history.as_array().expect("a list").clone();
    assert_eq!(history.last(), Some(&json!(expected - 1)));
    assert_eq!(app.call("c0", json!("get")).await, Ok(json!(expected)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_call_in_flight_is_answered_by_the_new_build() {
    let dir = PluginDir::with(&["faulty"]);
    let app = dir
        .start(
            NO_WATCH,
            "[[supervisor.children]]\nid = \"f\"\nplugin = \"faulty.wasm\"\nname = \"f\"\n",
            16,
        )
        .await;
    let server = app.node.lookup(&Target::Name("f".into())).expect("f runs");
    // The reply is deferred: a timer fires in 300 ms and the guest replies.
    let in_flight = tokio::spawn(async move {
        server
            .call(br#"{"sleep_ms": 300}"#.to_vec(), Duration::from_secs(5))
            .await
    });
    // Make sure the call is being handled (the server is past it) first.
    assert_eq!(app.call("f", json!("ping")).await, Ok(json!("pong")));
    let report = match app
        .reloader()
        .reload("faulty", Some(&build("faulty_v2")))
        .await
    {
        Ok(Reloaded::Upgraded(report)) => report,
        other => panic!("expected an upgrade, got {other:?}"),
    };
    assert_eq!(report.changed.len(), 1);
    let reply = in_flight.await.expect("the caller task").expect("answered");
    assert_eq!(
        serde_json::from_slice::<Value>(&reply).ok(),
        Some(json!("slept"))
    );
    assert_eq!(vsn_of(&app, "f").await, report.to);
}

async fn assert_rejected(bytes: &[u8], expected: &str) {
    let dir = PluginDir::with(&["counter"]);
    let mut app = dir.start(NO_WATCH, &counters(1), 16).await;
    assert_eq!(app.call("c0", json!({"add": 7})).await, Ok(json!(7)));
    let bad = dir.path().join("bad.wasm.new");
    std::fs::write(&bad, bytes).expect("write the bad build");
    let err = app
        .reloader()
        .reload("counter", Some(&bad))
        .await
        .expect_err("a bad build is rejected");
    assert!(matches!(err, ReloadError::Rejected(_)), "{err}");
    let message = err.to_string();
    assert!(message.contains(expected), "{message}");
    assert!(
        message.contains("bad.wasm.new"),
        "names the file: {message}"
    );
    let reason = app
        .wait_for("the rejection event", |e| match e {
            Event::UpgradeRejected { plugin, reason, .. } if plugin == "counter" => {
                Some(reason.clone())
            }
            _ => None,
        })
        .await;
    assert!(reason.contains(expected), "{reason}");
    // Nothing changed.
    assert_eq!(vsn_of(&app, "c0").await, "1.0.0");
    assert_eq!(app.call("c0", json!("increment")).await, Ok(json!(8)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_build_changes_nothing() {
    let v2 = std::fs::read(build("counter_v2")).expect("read v2");
    assert_rejected(&v2[..v2.len() / 2], "invalid component").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_change_nothing() {
    let noise: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_rejected(&noise, "not a WebAssembly file").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_module_changes_nothing() {
    assert_rejected(
        b"\0asm\x01\0\0\0",
        "a core WebAssembly module, not a component",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_another_world_changes_nothing() {
    // The empty component: valid, but it exports no gen-server.
    assert_rejected(
        b"\0asm\x0d\0\x01\0",
        "not a component of the overseer:plugin/gen-server world",
    )
    .await;
}

async fn assert_code_change_fails(bad: &str, expected: &str) {
    let dir = PluginDir::with(&["counter"]);
    let mut app = dir.start(NO_WATCH, &counters(3), 16).await;
    for i in 0..3 {
        app.call(format!("c{i}").as_str(), json!({"add": 100}))
            .await
            .expect("add");
    }
    let err = app
        .reloader()
        .reload("counter", Some(&build(bad)))
        .await
        .expect_err("the upgrade is abandoned");
    assert!(matches!(err, ReloadError::Failed { .. }), "{err}");
    assert!(err.to_string().contains(expected), "{err}");
    let reason = app
        .wait_for("the failure event", |e| match e {
            Event::UpgradeFailed { plugin, reason, .. } if plugin == "counter" => {
                Some(reason.clone())
            }
            _ => None,
        })
        .await;
    assert!(reason.contains(expected), "{reason}");
    // Every process still runs v1 with its state, and a restart starts v1.
    for i in 0..3 {
        let name = format!("c{i}");
        assert_eq!(vsn_of(&app, &name).await, "1.0.0");
        assert_eq!(app.state(name.as_str()).await, json!({"value": 100 + i}));
    }
    let plugin = app.node.plugins().get("counter").expect("counter is known");
    assert_eq!(plugin.current().vsn(), "1.0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_change_that_returns_an_error_changes_nothing() {
    assert_code_change_fails(
        "counter_bad_change_error",
        "code-change refused the state: counter_bad: refusing to take over the state",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_change_that_traps_changes_nothing() {
    assert_code_change_fails("counter_bad_change_trap", "code-change crashed: trap").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_whose_init_traps_is_rolled_back_by_probation() {
    let dir = PluginDir::with(&["counter"]);
    let supervisor = format!("max_restarts = 10\nmax_seconds = 5\n{}", counters(2));
    let mut app = dir
        .start(
            "watch = false\nprobation_crashes = 2\nprobation_ms = 60000",
            &supervisor,
            16,
        )
        .await;
    app.call("c1", json!({"add": 5})).await.expect("add");
    let report = upgrade(&app, "counter_bad_init_trap").await;
    assert_eq!(report.to, "9.9.9-bad");
    assert_eq!(vsn_of(&app, "c1").await, "9.9.9-bad");

    // c0 crashes; each restart of the new build traps in init.
    let _ = app.call("c0", json!("no such call")).await;
    let (from, to, reasons) = app
        .wait_for("the rollback", |e| match e {
            Event::RolledBack {
                plugin,
                from,
                to,
                reasons,
                ..
            } if plugin == "counter" => Some((from.clone(), to.clone(), reasons.clone())),
            _ => None,
        })
        .await;
    assert_eq!((from.as_str(), to.as_str()), ("9.9.9-bad", "1.0.0"));
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[1].starts_with("init: trap"), "{reasons:?}");

    // c0 restarts on the old build; c1, alive on the bad one, moves back
    // with its state.
    app.eventually("c0 runs 1.0.0 again", async || {
        app.node
            .whereis(&Target::Name("c0".into()))
            .and_then(|pid| app.node.processes().info(pid))
            .is_some_and(|info| info.vsn == "1.0.0")
    })
    .await;
    app.eventually("c1 is moved back to 1.0.0", async || {
        vsn_of(&app, "c1").await == "1.0.0"
    })
    .await;
    assert_eq!(app.state("c1").await, json!({"value": 6}));
    assert_eq!(
        app.node
            .plugins()
            .get("counter")
            .map(|p| p.current().vsn().to_string()),
        Some("1.0.0".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_back_to_a_build_seen_before_is_a_downgrade_without_a_compile() {
    // v2 first, then v1, then v2 again: v2 is the older build here.
    let dir = PluginDir::with(&["counter"]);
    std::fs::copy(build("counter_v2"), dir.file("counter")).expect("start on v2");
    let mut app = dir.start(NO_WATCH, &counters(1), 16).await;
    app.call("c0", json!("increment")).await.expect("increment");
    let pid = app.pid("c0");

    let to_v1 = upgrade(&app, "counter").await;
    assert!(!to_v1.downgrade);
    assert_eq!(app.state("c0").await, json!({"value": 1}));

    let back = upgrade(&app, "counter_v2").await;
    assert!(back.downgrade, "v2 was loaded before v1");
    assert_eq!(back.compiled, "loaded");
    let line = app.wait_log(pid).await;
    assert_eq!(line, "code_change from {down, 1.0.0}");
    assert_eq!(app.state("c0").await, json!({"value": 1, "history": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compile_cache_serves_a_second_host() {
    let cache = tempfile::tempdir().expect("a cache folder");
    let config = || HostConfig {
        max_processes: 4,
        spare_slots: 4,
        cache_dir: Some(cache.path().to_path_buf()),
        ..HostConfig::default()
    };
    let first = Runtime::new(config()).expect("engine");
    let v = PluginVersion::load(&first, &build("counter_v2"))
        .await
        .expect("load");
    assert_eq!(v.compiled(), Compiled::Fresh);
    let second = Runtime::new(config()).expect("engine");
    let again = PluginVersion::load(&second, &build("counter_v2"))
        .await
        .expect("load");
    assert_eq!(again.compiled(), Compiled::Cached);
    assert_eq!(again.vsn(), "2.0.0");
    assert_eq!(again.hash(), v.hash());

    // A corrupt entry only costs a compile.
    for entry in std::fs::read_dir(cache.path()).expect("list the cache") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "cwasm") {
            std::fs::write(&path, b"garbage").expect("corrupt it");
        }
    }
    let third = Runtime::new(config()).expect("engine");
    let recompiled = PluginVersion::load(&third, &build("counter_v2"))
        .await
        .expect("load");
    assert_eq!(recompiled.compiled(), Compiled::Fresh);
}

//! A live upgrade that changes language: one counter process moves from
//! the Rust build to a Python build, to a JavaScript build, and back to the
//! Rust build (a downgrade), keeping its pid and its value, while calls made
//! in a loop all succeed, in order. A build whose code-change refuses the
//! state is an abandoned upgrade, in any language.

use std::time::Duration;

use overseer::process::Target;
use overseer::reload::{ReloadError, Reloaded};
use overseer_tests::languages::{JAVASCRIPT, PYTHON};
use overseer_tests::{PluginDir, build};
use serde_json::json;

const COUNTER: &str = "[[supervisor.children]]\nid = \"c\"\nplugin = \"counter.wasm\"\nname = \"c\"\nargs = { initial_value = 100 }\n";

fn skipped() -> bool {
    for lang in [&PYTHON, &JAVASCRIPT] {
        if let Some(why) = lang.skipped() {
            eprintln!("skipped: {} plugins were not built: {why}", lang.name);
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_to_python_to_javascript_and_back_under_load() {
    if skipped() {
        return;
    }
    let dir = PluginDir::with(&["counter"]);
    let app = dir.start("watch = false", COUNTER, 16).await;
    let pid = app.pid("c");
    let server = app.node.lookup(&Target::Name("c".into())).expect("c runs");
    let mut expected = 100;
    for (build_name, vsn, downgrade) in [
        ("counter_py_v2", "2.0.0", false),
        ("counter_js_v3", "3.0.0", false),
        ("counter", "1.0.0", true),
    ] {
        let reloader = app.reloader().clone();
        let file = build(build_name);
        let upgrading = tokio::spawn(async move { reloader.reload("counter", Some(&file)).await });
        // Calls race the upgrade, and go on a little after it.
        let mut after = 0;
        while after < 50 {
            if upgrading.is_finished() {
                after += 1;
            }
            expected += 1;
            let reply = server
                .call(br#""increment""#.to_vec(), Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("to {build_name}: a call failed: {e}"));
            assert_eq!(
                reply,
                expected.to_string().into_bytes(),
                "to {build_name}: replies in order"
            );
        }
        let report = match upgrading.await {
            Ok(Ok(Reloaded::Upgraded(report))) => report,
            other => panic!("to {build_name}: expected an upgrade, got {other:?}"),
        };
        assert_eq!(report.to, vsn, "to {build_name}");
        assert_eq!(report.downgrade, downgrade, "to {build_name}");
        assert_eq!(
            report.changed.len(),
            1,
            "to {build_name}: {:?}",
            report.failed
        );
        assert_eq!(app.pid("c"), pid, "to {build_name}: the pid stays");
        assert_eq!(
            app.state("c").await,
            json!({"value": expected}),
            "to {build_name}: the value is carried"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_or_javascript_code_change_that_refuses_the_state_changes_nothing() {
    if skipped() {
        return;
    }
    let dir = PluginDir::with(&["faulty"]);
    let supervisor =
        "[[supervisor.children]]\nid = \"f\"\nplugin = \"faulty.wasm\"\nname = \"f\"\n";
    let app = dir.start("watch = false", supervisor, 16).await;
    let pid = app.pid("f");
    let mut pings = 0;
    for (build_name, language) in [("counter_py_v2", "Python"), ("counter_js_v3", "JavaScript")] {
        assert_eq!(
            app.call("f", json!("ping")).await,
            Ok(json!("pong")),
            "{language}"
        );
        pings += 1;
        let err = app
            .reloader()
            .reload("faulty", Some(&build(build_name)))
            .await
            .expect_err("the upgrade is abandoned");
        assert!(
            matches!(err, ReloadError::Failed { .. }),
            "{language}: {err}"
        );
        assert!(
            err.to_string().contains("not a counter's state"),
            "{language}: {err}"
        );
        // The same process, the old build, its state.
        assert_eq!(app.pid("f"), pid, "{language}");
        assert_eq!(app.state("f").await, json!({"pings": pings}), "{language}");
    }
}

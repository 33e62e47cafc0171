//! Bad builds in other languages: a JavaScript component of another world,
//! one importing an interface the host does not provide, a build with no
//! vsn or a malformed one, a Python build whose init raises. Each gets one
//! line naming the file and the cause, and nothing running changes.

use overseer::process::Event;
use overseer::reload::ReloadError;
use overseer_tests::languages::{JAVASCRIPT, PYTHON};
use overseer_tests::{PluginDir, TestApp, build, json_sup};
use serde_json::json;

const COUNTER: &str = "[[supervisor.children]]\nid = \"c\"\nplugin = \"counter.wasm\"\nname = \"c\"\n[[supervisor.children]]\nid = \"workers\"\ntype = \"dynamic_supervisor\"\nname = \"workers\"\n";

async fn running_counter() -> (PluginDir, TestApp) {
    let dir = PluginDir::with(&["counter", "counter_py"]);
    let app = dir.start("watch = false", COUNTER, 16).await;
    assert_eq!(app.call("c", json!({"add": 7})).await, Ok(json!(7)));
    (dir, app)
}

/// Reloading the counter with `fixture` is refused with one line naming
/// the file and containing `expected`; the counter serves on, unchanged.
async fn assert_refused(fixture: &str, expected: &str) {
    if let Some(why) = JAVASCRIPT.skipped() {
        eprintln!("skipped: JavaScript plugins were not built: {why}");
        return;
    }
    let (_dir, mut app) = running_counter().await;
    let file = build(fixture);
    let err = app
        .reloader()
        .reload("counter", Some(&file))
        .await
        .expect_err("a bad build is refused");
    assert!(matches!(err, ReloadError::Rejected(_)), "{fixture}: {err}");
    let line = err.to_string();
    assert!(!line.contains('\n'), "{fixture}: one line: {line}");
    assert!(
        line.contains(&format!("{fixture}.wasm")),
        "{fixture}: names the file: {line}"
    );
    assert!(line.contains(expected), "{fixture}: {line}");
    app.wait_for("the rejection event", |e| match e {
        Event::UpgradeRejected { plugin, .. } if plugin == "counter" => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(
        app.call("c", json!("increment")).await,
        Ok(json!(8)),
        "{fixture}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_component_of_another_world_is_refused() {
    assert_refused(
        "otherworld_js",
        "not a component of the overseer:plugin/gen-server world",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_importing_what_the_host_does_not_provide_is_refused() {
    assert_refused("badimport_js", "fixture:evil/secrets").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_without_a_vsn_is_refused() {
    assert_refused("novsn_js", "vsn \"\" is not a version").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_with_a_malformed_vsn_is_refused() {
    assert_refused(
        "novsn_js_bad",
        "vsn \"1.0 beta\\nERROR forged\" is not a version",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_init_that_raises_fails_its_start_in_one_line() {
    if let Some(why) = PYTHON.skipped() {
        eprintln!("skipped: Python plugins were not built: {why}");
        return;
    }
    let (_dir, app) = running_counter().await;
    // counter_py reads its args with .get: a list makes init raise.
    let failed = json_sup(&app.node, "workers")
        .start_child(json!({"plugin": "counter_py", "args": [1]}))
        .await
        .expect_err("init raised");
    assert!(!failed.contains('\n'), "one line: {failed}");
    assert!(
        failed.contains("counter_py.wasm: init crashed"),
        "names the file: {failed}"
    );
    assert!(
        failed.contains("exception: AttributeError: 'list' object has no attribute 'get'"),
        "{failed}"
    );
    assert_eq!(app.call("c", json!("increment")).await, Ok(json!(8)));
}

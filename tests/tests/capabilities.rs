//! Capabilities: a plugin reaches beyond its own process only as far as
//! its `[plugin.NAME]` grants. A refusal is an error to the guest (`not
//! permitted: …`), reported once per plugin and capability, and never
//! hurts anyone else.

use std::path::Path;

use overseer::application::{Application, parse_manifest};
use overseer::process::{Event, Target};
use overseer_tests::{TestApp, node, plugins_dir, worker};
use serde_json::{Value, json};

/// `m`, a messenger granted a little; two counters; a dynamic supervisor it
/// may use and one it may not; a registry it may use and one it may not; a
/// pool it may not use; a task supervisor.
async fn app() -> TestApp {
    let text = format!(
        "[app]\nname = \"caps\"\nplugins = {:?}\n[app.env]\nopen = 1\nsecret = 2\n[app.upgrade]\nwatch = false\n\
         [[app.registries]]\nname = \"workers\"\nkeys = \"unique\"\n\
         [[app.registries]]\nname = \"topics\"\nkeys = \"duplicate\"\n\
         [[app.pools]]\nname = \"p\"\nplugin = \"counter.wasm\"\nsize = 1\nmax_overflow = 0\n\
         [plugin.messenger]\nmessage = [\"c1\"]\nregistries = [\"workers\"]\nsupervisors = [\"jobs\", \"tasks\"]\n\
         tasks = [\"wordcount\"]\nregister = [\"m-*\"]\nenv = [\"open\"]\n\
         [supervisor]\nmax_restarts = 100\n{}{}{}\
         [[supervisor.children]]\nid = \"jobs\"\ntype = \"dynamic_supervisor\"\nname = \"jobs\"\n\
         [[supervisor.children]]\nid = \"others\"\ntype = \"dynamic_supervisor\"\nname = \"others\"\n\
         [[supervisor.children]]\nid = \"tasks\"\ntype = \"task_supervisor\"\nname = \"tasks\"\n",
        plugins_dir().display().to_string(),
        worker("m", "messenger", ""),
        worker("c1", "counter", ""),
        worker("c2", "counter", ""),
    );
    let node = node();
    let events = node.events().subscribe();
    let manifest = parse_manifest(Path::new("caps.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let app = Application::start(&node, &manifest)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::new(node, app, &manifest, events)
}

async fn ask(app: &TestApp, request: Value) -> Value {
    app.call("m", request)
        .await
        .unwrap_or_else(|e| panic!("m answers: {e}"))
}

/// `{"error": "not permitted: …"}`, for the plugin `messenger`.
fn refused(reply: &Value, what: &str) -> bool {
    reply["error"].as_str().is_some_and(|e| {
        e.starts_with(&format!("not permitted: plugin 'messenger' may not {what}"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_granted_names_only() {
    let mut app = app().await;
    let to =
        |target: Value| json!({"call": {"to": target, "msg": "increment", "timeout_ms": 1000}});
    assert_eq!(ask(&app, to(json!("c1"))).await, json!({"ok": 1}));
    let c1 = app.pid("c1");
    assert_eq!(ask(&app, to(json!(c1.0))).await, json!({"ok": 2}), "by pid");
    let denied = ask(&app, to(json!("c2"))).await;
    assert!(refused(&denied, "message 'c2'"), "{denied}");
    let c2 = app.pid("c2");
    let by_pid = ask(&app, to(json!(c2.0))).await;
    assert!(refused(&by_pid, &format!("message pid {c2}")), "{by_pid}");
    for kind in ["send", "cast"] {
        let denied = ask(&app, json!({kind: {"to": "c2", "msg": "increment"}})).await;
        assert!(refused(&denied, "message 'c2'"), "{kind}: {denied}");
    }
    assert_eq!(ask(&app, json!({"whereis": "c2"})).await, Value::Null);
    // Nobody else is touched, and the refusal was reported once.
    assert_eq!(app.call("c2", json!("get")).await, Ok(json!(0)));
    let (plugin, capability) = app
        .wait_for("the refusal", |e| match e {
            Event::CapabilityDenied {
                plugin, capability, ..
            } => Some((plugin.clone(), *capability)),
            _ => None,
        })
        .await;
    assert_eq!((plugin.as_str(), capability), ("messenger", "message"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_registries_env_and_pools_follow_the_grants() {
    let app = app().await;
    assert_eq!(ask(&app, json!({"register": "m-1"})).await, json!("ok"));
    let boss = ask(&app, json!({"register": "boss"})).await;
    assert!(refused(&boss, "register as 'boss'"), "{boss}");
    assert!(app.node.whereis(&Target::Name("boss".into())).is_none());
    let ok = ask(
        &app,
        json!({"reg_register": {"registry": "workers", "key": "k"}}),
    )
    .await;
    assert_eq!(ok, json!("ok"));
    let topics = ask(
        &app,
        json!({"reg_register": {"registry": "topics", "key": "k"}}),
    )
    .await;
    assert!(refused(&topics, "use registry 'topics'"), "{topics}");
    assert_eq!(
        ask(
            &app,
            json!({"reg_lookup": {"registry": "topics", "key": "k"}})
        )
        .await,
        json!([])
    );
    let pool = ask(
        &app,
        json!({"pool_checkout": {"pool": "p", "block": false}}),
    )
    .await;
    assert!(refused(&pool, "use pool 'p'"), "{pool}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_manages_children_under_granted_supervisors_and_its_own() {
    let app = app().await;
    let started = ask(
        &app,
        json!({"start_child": {"sup": "jobs", "spec": {"plugin": "counter"}}}),
    )
    .await;
    let child = started["ok"]
        .as_u64()
        .unwrap_or_else(|| panic!("{started}"));
    // Its own child: it may call it, monitor it, link to it, stop it.
    let call = ask(
        &app,
        json!({"call": {"to": child, "msg": "get", "timeout_ms": 1000}}),
    )
    .await;
    assert_eq!(call, json!({"ok": 0}));
    assert_eq!(ask(&app, json!({"link": child})).await, json!("ok"));
    assert_eq!(ask(&app, json!({"unlink": child})).await, json!("ok"));
    assert!(ask(&app, json!({"monitor": child})).await.is_u64());
    let stop = ask(
        &app,
        json!({"terminate_child": {"sup": "jobs", "pid": child}}),
    )
    .await;
    assert_eq!(stop, json!("ok"));
    // Not under a supervisor it is not granted, nor the root.
    let others = ask(
        &app,
        json!({"start_child": {"sup": "others", "spec": {"plugin": "counter"}}}),
    )
    .await;
    assert!(
        refused(&others, "manage the children of 'others'"),
        "{others}"
    );
    let root = app.app.root().pid();
    let listing = ask(&app, json!({"which_children": root.0})).await;
    assert!(
        refused(&listing, &format!("manage the children of pid {root}")),
        "{listing}"
    );
    // A child someone else started under "others" is not its to stop.
    let theirs = app
        .node
        .start_child(&"others".into(), br#"{"plugin": "counter"}"#, None)
        .await
        .expect("starts")
        .expect("runs");
    let stop = ask(
        &app,
        json!({"terminate_child": {"sup": "others", "pid": theirs.0}}),
    )
    .await;
    assert!(refused(&stop, "manage the children of 'others'"), "{stop}");
    assert!(app.node.whereis(&Target::Pid(theirs)).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_monitors_stay_inside_its_subtree() {
    let app = app().await;
    let c2 = app.pid("c2");
    let link = ask(&app, json!({"link": c2.0})).await;
    assert!(
        refused(&link, &format!("link to or monitor pid {c2}")),
        "{link}"
    );
    // A monitor has no error: the refusal comes back as its down message.
    let monitor = ask(&app, json!({"monitor": c2.0})).await;
    assert!(monitor.is_u64(), "{monitor}");
    app.eventually("the refusal arrives as a down message", async || {
        let inbox = ask(&app, json!("inbox")).await;
        inbox.as_array().is_some_and(|messages| {
            messages.iter().any(|m| {
                m["down"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("not permitted:"))
            })
        })
    })
    .await;
    // c2 lives on, unlinked: a crash of m does not reach it.
    let _ = app.call("m", json!("crash")).await;
    assert_eq!(app.call("c2", json!("get")).await, Ok(json!(0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_run_only_when_granted() {
    let app = app().await;
    let ok = ask(
        &app,
        json!({"task_async": {"sup": "tasks", "plugin": "wordcount", "input": {"text": "a b"}, "link": true}}),
    )
    .await;
    let task = ok["ok"].as_u64().unwrap_or_else(|| panic!("{ok}"));
    let result = ask(
        &app,
        json!({"task_await": {"task": task, "timeout_ms": 5000}}),
    )
    .await;
    assert_eq!(result, json!({"ok": {"words": 2}}));
    let other = ask(
        &app,
        json!({"task_start": {"sup": "tasks", "plugin": "counter", "input": {}}}),
    )
    .await;
    assert!(refused(&other, "run task 'counter'"), "{other}");
}

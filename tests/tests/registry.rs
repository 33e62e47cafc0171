//! Registry: unique and duplicate keys, via names in child specs (taken on
//! start, released on exit, pointing at the new pid after a restart),
//! lookup, dispatch, metadata, count; from the library and from guests.

use std::str::FromStr;

use overseer::process::{Pid, Target};
use overseer::registry::{Registry, RegistryError};
use overseer_tests::{TestApp, manifest_text, worker};
use serde_json::{Value, json};

async fn app() -> TestApp {
    let supervisor = format!(
        "max_restarts = 100\n{}{}{}[[supervisor.children]]\nid = \"jobs\"\ntype = \"dynamic_supervisor\"\nname = \"jobs\"\n",
        worker(
            "w1",
            "counter",
            "via = { registry = \"workers\", key = \"w1\", value = { role = \"primary\" } }"
        ),
        worker("m1", "messenger", ""),
        worker("m2", "messenger", ""),
    );
    let text = manifest_text(&supervisor).replace(
        "[app.upgrade]",
        "[[app.registries]]\nname = \"workers\"\nkeys = \"unique\"\n[[app.registries]]\nname = \"topics\"\nkeys = \"duplicate\"\n[app.upgrade]",
    );
    let node = overseer_tests::node();
    let events = node.events().subscribe();
    let manifest = overseer::application::parse_manifest(std::path::Path::new("r.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = overseer::application::Application::start(&node, &manifest)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::new(node, app, &manifest, events)
}

/// A registry's entries and metadata, read as JSON.
trait AsJson {
    fn lookup_json(&self, key: &str) -> Vec<(Pid, Value)>;
    fn meta_json(&self, key: &str) -> Option<Value>;
}

impl AsJson for Registry {
    fn lookup_json(&self, key: &str) -> Vec<(Pid, Value)> {
        self.lookup(key)
            .into_iter()
            .map(|(pid, value)| (pid, serde_json::from_slice(&value).expect("JSON values")))
            .collect()
    }

    fn meta_json(&self, key: &str) -> Option<Value> {
        self.meta(key)
            .map(|value| serde_json::from_slice(&value).expect("JSON metadata"))
    }
}

fn via(key: &str) -> Target {
    Target::Via {
        registry: "workers".into(),
        key: key.into(),
    }
}

async fn ask(app: &TestApp, who: &str, request: Value) -> Value {
    app.call(who, request)
        .await
        .unwrap_or_else(|e| panic!("{who} answers: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_via_name_follows_the_process_through_restarts() {
    let app = app().await;
    let registry = app.node.registry("workers").expect("workers exists");
    let first = app.pid("w1");
    assert_eq!(
        registry.lookup_json("w1"),
        vec![(first, json!({"role": "primary"}))]
    );
    assert_eq!(app.call(via("w1"), json!("increment")).await, Ok(json!(1)));
    assert_eq!(Target::from_str("via:workers/w1"), Ok(via("w1")));

    let _ = app.call(via("w1"), json!("no such call")).await;
    app.eventually("w1 is back under its key", async || {
        registry
            .lookup("w1")
            .first()
            .is_some_and(|(pid, _)| *pid != first)
    })
    .await;
    // Never two entries, never the dead one.
    assert_eq!(registry.lookup_json("w1").len(), 1);
    assert_eq!(app.call(via("w1"), json!("get")).await, Ok(json!(0)));
    assert_eq!(registry.keys_of(app.pid("w1")), vec!["w1".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unique_key_held_by_a_live_process_cannot_be_taken() {
    let mut app = app().await;
    let holder = app.pid("w1");
    let taken = ask(
        &app,
        "m1",
        json!({"reg_register": {"registry": "workers", "key": "w1"}}),
    )
    .await;
    assert_eq!(
        taken,
        json!({"error": format!("key 'w1' in registry 'workers' is already registered to pid {holder}")})
    );
    assert_eq!(
        app.node
            .naming()
            .register("workers", "w1", app.pid("m2"), b"null".to_vec()),
        Err(RegistryError::Taken {
            registry: "workers".into(),
            key: "w1".into(),
            holder
        })
    );
    // A key of its own, released when it exits.
    let m1 = app.pid("m1");
    let ok = ask(
        &app,
        "m1",
        json!({"reg_register": {"registry": "workers", "key": "mine", "value": 5}}),
    )
    .await;
    assert_eq!(ok, json!("ok"));
    assert_eq!(
        ask(
            &app,
            "m2",
            json!({"reg_lookup": {"registry": "workers", "key": "mine"}})
        )
        .await,
        json!([[m1.0, 5]])
    );
    let _ = app.call("m1", json!("crash")).await;
    app.wait_exit(m1).await;
    let registry = app.node.registry("workers").expect("workers exists");
    assert!(registry.lookup_json("mine").is_empty());
    let missing = ask(
        &app,
        "m2",
        json!({"reg_register": {"registry": "nope", "key": "k"}}),
    )
    .await;
    assert_eq!(missing, json!({"error": "no registry named 'nope'"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_dispatch_to_every_entry() {
    let app = app().await;
    let (m1, m2) = (app.pid("m1"), app.pid("m2"));
    for who in ["m1", "m1", "m2"] {
        let ok = ask(
            &app,
            who,
            json!({"reg_register": {"registry": "topics", "key": "news", "value": who}}),
        )
        .await;
        assert_eq!(ok, json!("ok"));
    }
    let topics = app.node.registry("topics").expect("topics exists");
    assert_eq!(
        topics.lookup_json("news"),
        vec![(m1, json!("m1")), (m1, json!("m1")), (m2, json!("m2"))]
    );
    assert_eq!(
        ask(&app, "m2", json!({"reg_count": "topics"})).await,
        json!(3)
    );
    let sent = ask(
        &app,
        "m2",
        json!({"reg_dispatch": {"registry": "topics", "key": "news", "msg": "extra!"}}),
    )
    .await;
    assert_eq!(sent, json!(3));
    app.eventually("m1 got two", async || {
        ask(&app, "m1", json!("inbox"))
            .await
            .as_array()
            .map(Vec::len)
            == Some(2)
    })
    .await;
    app.eventually("m2 got one", async || {
        ask(&app, "m2", json!("inbox"))
            .await
            .as_array()
            .map(Vec::len)
            == Some(1)
    })
    .await;
    assert_eq!(app.node.naming().dispatch("topics", "nobody", b"1"), Ok(0));

    assert_eq!(
        ask(
            &app,
            "m1",
            json!({"reg_unregister": {"registry": "topics", "key": "news"}})
        )
        .await,
        json!("ok")
    );
    assert_eq!(topics.count(), 1);
    assert_eq!(topics.lookup_json("news"), vec![(m2, json!("m2"))]);

    // Metadata.
    assert_eq!(
        ask(
            &app,
            "m1",
            json!({"reg_put_meta": {"registry": "topics", "key": "owner", "value": {"team": "a"}}})
        )
        .await,
        json!("ok")
    );
    assert_eq!(topics.meta_json("owner"), Some(json!({"team": "a"})));
    assert_eq!(
        ask(
            &app,
            "m2",
            json!({"reg_meta": {"registry": "topics", "key": "owner"}})
        )
        .await,
        json!({"team": "a"})
    );
    assert_eq!(
        ask(
            &app,
            "m2",
            json!({"reg_meta": {"registry": "topics", "key": "none"}})
        )
        .await,
        Value::Null
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_workers_by_id_through_a_registry() {
    // The seed's WorkerSupervisor.start_worker(id): a dynamic child named
    // {:via, Registry, {workers, id}}, reached by id.
    let app = app().await;
    let spec = json!({"plugin": "counter", "via": {"registry": "workers", "key": "job-7"}, "args": {"initial_value": 7}});
    let started = ask(
        &app,
        "m1",
        json!({"start_child": {"sup": "jobs", "spec": spec}}),
    )
    .await;
    let pid = started["ok"]
        .as_u64()
        .unwrap_or_else(|| panic!("{started}"));
    let by_id = json!({"call": {"to": ["workers", "job-7"], "msg": "increment"}});
    assert_eq!(ask(&app, "m2", by_id).await, json!({"ok": 8}));
    // A second worker with the same id is refused, and leaves nothing.
    let again = ask(
        &app,
        "m1",
        json!({"start_child": {"sup": "jobs", "spec": spec}}),
    )
    .await;
    assert_eq!(
        again,
        json!({"error": format!("failed to start child: key 'job-7' in registry 'workers' is already registered to pid {pid}")})
    );
    let stop = ask(
        &app,
        "m1",
        json!({"terminate_child": {"sup": "jobs", "pid": pid}}),
    )
    .await;
    assert_eq!(stop, json!("ok"));
    assert!(app.node.whereis(&via("job-7")).is_none());
    assert!(app.node.whereis(&Target::Pid(Pid(pid))).is_none());
}

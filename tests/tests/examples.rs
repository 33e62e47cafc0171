//! The example manifests start as they are, and their trees look right.

use overseer::application::{Application, load_manifest};
use overseer::process::Target;
use overseer_tests::{node, plugins_dir, workspace_root};
use serde_json::{Value, json};
use std::time::Duration;

async fn start_example(name: &str) -> (overseer::process::Node, Application) {
    plugins_dir(); // fails clearly if the plugins are not built
    let node = node();
    let manifest =
        load_manifest(&workspace_root().join("examples").join(name)).expect("valid manifest");
    let app = Application::start(&node, &manifest).await.expect("starts");
    (node, app)
}

async fn call(node: &overseer::process::Node, name: &str, request: Value) -> Value {
    let reply = node
        .call(
            &Target::Name(name.into()),
            request.to_string().into_bytes(),
            Duration::from_secs(5),
        )
        .await
        .expect("call answered");
    serde_json::from_slice(&reply).expect("JSON reply")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_counter_limiter_and_session() {
    let (node, app) = start_example("demo.toml").await;
    assert_eq!(call(&node, "counter", json!("increment")).await, json!(101));
    assert_eq!(call(&node, "limiter", json!("check")).await, json!("ok"));
    assert_eq!(
        call(&node, "session", json!("get_user")).await,
        json!("ada")
    );
    assert_eq!(
        call(&node, "faulty", json!({"config": "greeting"})).await,
        json!("hello from the demo")
    );
    app.stop().await;
    assert_eq!(node.live_processes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercise1_has_three_workers_one_for_one() {
    let (node, app) = start_example("exercise1.toml").await;
    let count = app.root().count_children().await.unwrap();
    assert_eq!((count.specs, count.active, count.workers), (3, 3, 3));
    for w in ["worker1", "worker2", "worker3"] {
        assert_eq!(call(&node, w, json!("ping")).await, json!("pong"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercise5_tree_has_three_levels() {
    let (node, app) = start_example("exercise5.toml").await;
    let tree = serde_json::to_value(app.root().tree(&node).await.unwrap()).unwrap();
    assert_eq!(tree["id"], "root");
    assert_eq!(tree["type"], "supervisor");
    let db = &tree["children"][0];
    assert_eq!(
        (
            db["id"].as_str(),
            db["type"].as_str(),
            db["status"].as_str()
        ),
        (Some("database"), Some("supervisor"), Some("running"))
    );
    let conns: Vec<&str> = db["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(conns, ["conn1", "conn2", "conn3"]);
    let conn1 = &db["children"][0];
    assert_eq!(conn1["type"], "worker");
    assert_eq!(conn1["plugin"], "counter");
    assert_eq!(conn1["vsn"], "1.0.0");
    assert_eq!(conn1["name"], "conn1");
    assert_eq!(conn1["restarts"], 0);
    assert!(conn1["pid"].is_u64());
    assert_eq!(tree["children"][1]["id"], "cache");
}

//! The example manifests start as they are, and their trees look right.

use overseer::application::{Application, Node, load_manifest};
use overseer::process::Target;
use overseer_tests::{json_sup, node, plugins_dir, workspace_root};
use serde_json::{Value, json};
use std::time::Duration;

async fn start_example(name: &str) -> (Node, Application) {
    plugins_dir(); // fails clearly if the plugins are not built
    let node = node();
    let manifest =
        load_manifest(&workspace_root().join("examples").join(name)).expect("valid manifest");
    let app = Application::start(&node, &manifest).await.expect("starts");
    (node, app)
}

async fn call(node: &Node, name: &str, request: Value) -> Value {
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
    let tree = serde_json::to_value(node.supervision().tree(app.root()).await.unwrap()).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercise2_starts_and_stops_workers_by_id() {
    let (node, app) = start_example("exercise2.toml").await;
    let via = |key: &str| Target::Via {
        registry: "workers".into(),
        key: key.into(),
    };
    let registry = node.registry("workers").expect("the registry exists");
    let sup = json_sup(&node, "worker_sup");
    // It starts empty.
    assert_eq!(sup.count_children().await.unwrap()["active"], json!(0));

    let start = async |key: &str, args: Value| {
        sup.start_child(json!({
            "plugin": "counter",
            "args": args,
            "via": {"registry": "workers", "key": key},
        }))
        .await
    };
    let Ok(Some(w1)) = start("w1", Value::Null).await else {
        panic!("w1 starts")
    };
    let Ok(Some(w2)) = start("w2", json!({"initial_value": 10})).await else {
        panic!("w2 starts")
    };
    assert_eq!(registry.lookup("w1"), vec![(w1, b"null".to_vec())]);
    assert_eq!(registry.lookup("w2"), vec![(w2, b"null".to_vec())]);
    // A key held by a live worker cannot be taken.
    let taken = start("w2", Value::Null).await;
    assert!(
        taken
            .as_ref()
            .is_err_and(|e| e.contains("key 'w2' in registry 'workers' is already registered")),
        "{taken:?}"
    );
    assert_eq!(sup.count_children().await.unwrap()["active"], json!(2));

    // Called by ID, each keeps its own state.
    let call_via = async |key: &str, request: Value| {
        node.call(
            &via(key),
            request.to_string().into_bytes(),
            Duration::from_secs(5),
        )
        .await
        .map(|reply| serde_json::from_slice::<Value>(&reply).expect("JSON reply"))
    };
    assert_eq!(call_via("w1", json!("increment")).await, Ok(json!(1)));
    assert_eq!(call_via("w1", json!("increment")).await, Ok(json!(2)));
    assert_eq!(call_via("w2", json!("increment")).await, Ok(json!(11)));

    // Stopped by its pid: the worker and its key are gone, the other stays.
    sup.terminate_child(w1).await.expect("w1 stops");
    assert_eq!(registry.lookup("w1"), vec![]);
    assert!(node.whereis(&via("w1")).is_none());
    assert!(matches!(
        call_via("w1", json!("get")).await,
        Err(overseer::process::CallError::NoProc(_))
    ));
    assert_eq!(call_via("w2", json!("get")).await, Ok(json!(11)));
    let children = sup.which_children().await.unwrap();
    let pids: Vec<u64> = children
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["pid"].as_u64())
        .collect();
    assert_eq!(pids, [w2.0]);

    // The ID is free again: a new worker takes it, starting from scratch.
    let Ok(Some(w1_again)) = start("w1", Value::Null).await else {
        panic!("w1 starts again")
    };
    assert_ne!(w1_again, w1);
    assert_eq!(call_via("w1", json!("get")).await, Ok(json!(0)));
    app.stop().await;
    assert_eq!(node.live_processes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercise4_pools_connections() {
    let (node, app) = start_example("exercise4.toml").await;
    // The seed's static pool: three connections under pool_sup.
    for conn in ["conn1", "conn2", "conn3"] {
        let info = call(&node, conn, json!("info")).await;
        assert_eq!(info["queries"], json!(0), "{info}");
    }
    // The checkout pool: fifo spreads transactions over its 3 connections.
    let pool = node.pool("db").expect("db runs");
    let mut served_by = std::collections::HashSet::new();
    for i in 0..3 {
        let reply = pool
            .transaction(
                node.processes(),
                None,
                json!({"query": format!("select {i}")})
                    .to_string()
                    .into_bytes(),
                Duration::from_secs(5),
            )
            .await
            .expect("a transaction");
        let reply: Value = serde_json::from_slice(&reply).expect("JSON");
        served_by.insert(reply["conn"].as_u64().expect("a pid"));
    }
    assert_eq!(served_by.len(), 3, "fifo uses every connection");
    // A guest holds a connection; when it exits, the connection comes back.
    let held = call(
        &node,
        "client",
        json!({"pool_checkout": {"pool": "db", "block": true}}),
    )
    .await;
    assert!(held["ok"].as_u64().is_some(), "{held}");
    assert_eq!(pool.status().await.map(|s| s.checked_out), Ok(1));
    let _ = node
        .call(
            &"client".into(),
            br#""crash""#.to_vec(),
            Duration::from_secs(5),
        )
        .await;
    let deadline = tokio::time::Instant::now() + overseer_tests::WAIT;
    while pool.status().await.map(|s| s.checked_out) != Ok(0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the connection never came back"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    app.stop().await;
}

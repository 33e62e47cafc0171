//! DynamicSupervisor: children started and stopped at run time, through
//! the library API, from a guest, with max_children, extra args, restarts
//! and restart intensity.

use overseer::application::child_spec_from_json;
use overseer::process::Event;
use overseer_tests::{TestApp, json_sup, start, worker};
use serde_json::{Value, json};

const DYNAMIC: &str = "[[supervisor.children]]\nid = \"workers\"\ntype = \"dynamic_supervisor\"\nname = \"workers\"\nmax_children = 3\nmax_restarts = 2\nmax_seconds = 5\nextra_args = { initial_value = 10 }\n";

async fn app() -> TestApp {
    start(&format!("{DYNAMIC}{}", worker("m", "messenger", ""))).await
}

async fn start_child(app: &TestApp, spec: Value) -> Result<Option<u64>, String> {
    json_sup(&app.node, "workers")
        .start_child(spec)
        .await
        .map(|pid| pid.map(|p| p.0))
}

async fn counts(app: &TestApp) -> Value {
    json_sup(&app.node, "workers")
        .count_children()
        .await
        .expect("counts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_come_and_go_within_max_children() {
    let app = app().await;
    assert_eq!(
        counts(&app).await,
        json!({"specs": 0, "active": 0, "supervisors": 0, "workers": 0})
    );

    // Extra args are merged in; a child's own args win.
    let a = start_child(&app, json!({"plugin": "counter", "name": "ca"})).await;
    let b = start_child(
        &app,
        json!({"plugin": "counter", "args": {"initial_value": 1}, "name": "cb"}),
    )
    .await;
    let (Ok(Some(a)), Ok(Some(_))) = (a, b) else {
        panic!("both start")
    };
    assert_eq!(app.call("ca", json!("get")).await, Ok(json!(10)));
    assert_eq!(app.call("cb", json!("get")).await, Ok(json!(1)));
    // A plugin the manifest never named is loaded from the plugin folder.
    let s = start_child(
        &app,
        json!({"plugin": "session", "args": {"user_id": "u", "idle_ms": 60000}, "name": "s"}),
    )
    .await;
    assert!(matches!(s, Ok(Some(_))), "{s:?}");
    assert_eq!(app.call("s", json!("get_user")).await, Ok(json!("u")));

    assert_eq!(
        start_child(&app, json!({"plugin": "counter"})).await,
        Err("max_children reached (3)".into())
    );
    assert_eq!(
        counts(&app).await,
        json!({"specs": 3, "active": 3, "supervisors": 0, "workers": 3})
    );

    let sup = json_sup(&app.node, "workers");
    let children = sup.which_children().await.expect("children");
    let pids: Vec<u64> = children
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["pid"].as_u64())
        .collect();
    assert_eq!(pids.len(), 3);
    assert!(pids.contains(&a));

    sup.terminate_child(overseer::process::Pid(a))
        .await
        .expect("terminated");
    assert!(app.node.whereis(&"ca".into()).is_none());
    assert_eq!(
        sup.terminate_child(overseer::process::Pid(a)).await,
        Err(format!("no such child: pid {a}"))
    );
    assert_eq!(counts(&app).await["active"], json!(2));
    // Room again.
    assert!(matches!(
        start_child(&app, json!({"plugin": "counter"})).await,
        Ok(Some(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_failure_and_bad_specs_leave_nothing_behind() {
    let app = app().await;
    assert_eq!(
        start_child(&app, json!({"plugin": "faulty", "args": {"ignore": true}})).await,
        Ok(None)
    );
    let failed = start_child(
        &app,
        json!({"plugin": "faulty", "args": {"fail_init": true}}),
    )
    .await;
    assert!(
        failed
            .as_ref()
            .is_err_and(|e| e.starts_with("failed to start child: init stopped")),
        "{failed:?}"
    );
    let unknown = start_child(&app, json!({"plugin": "nope"})).await;
    assert!(
        unknown.as_ref().is_err_and(
            |e| e.starts_with("invalid child spec: plugin 'nope'") && e.contains("nope.wasm")
        ),
        "{unknown:?}"
    );
    let bad = start_child(&app, json!({"plugin": "counter", "restart": "always"})).await;
    assert!(
        bad.as_ref()
            .is_err_and(|e| e.contains("unknown variant `always`")),
        "{bad:?}"
    );
    assert_eq!(counts(&app).await["specs"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_restart_by_type_and_intensity_applies() {
    let mut app = app().await;
    let p = start_child(&app, json!({"plugin": "counter", "name": "perm"})).await;
    let t = start_child(
        &app,
        json!({"plugin": "counter", "name": "temp", "restart": "temporary"}),
    )
    .await;
    let (Ok(Some(p)), Ok(Some(t))) = (p, t) else {
        panic!("both start")
    };
    // A permanent child comes back with a new pid and its extra args.
    let _ = app.call("perm", json!("no such call")).await;
    app.eventually("perm is back", async || {
        app.node
            .whereis(&"perm".into())
            .is_some_and(|pid| pid.0 != p)
    })
    .await;
    assert_eq!(app.call("perm", json!("get")).await, Ok(json!(10)));
    // A temporary one is forgotten.
    let _ = app.call("temp", json!("no such call")).await;
    app.wait_exit(overseer::process::Pid(t)).await;
    app.eventually("temp is forgotten", async || {
        counts(&app).await["specs"] == json!(1)
    })
    .await;

    // Past max_restarts (2 in 5 s) the dynamic supervisor gives up; the
    // root restarts it, empty. One restart is counted already: two more
    // crashes make three.
    let mut last = app.pid("perm");
    let workers = app.pid("workers");
    for _ in 0..2 {
        let _ = app.call(last, json!("no such call")).await;
        app.eventually("perm runs again", async || {
            app.node
                .whereis(&"perm".into())
                .is_some_and(|pid| pid != last)
                || app.node.whereis(&"workers".into()) != Some(workers)
        })
        .await;
        if let Some(pid) = app.node.whereis(&"perm".into()) {
            last = pid;
        }
    }
    app.wait_for("the dynamic supervisor to give up", |e| match e {
        Event::RestartIntensityReached { supervisor, .. } if supervisor == "workers" => Some(()),
        _ => None,
    })
    .await;
    app.eventually("workers is back, empty", async || {
        match app.node.supervisor(&"workers".into()) {
            Some(sup) => sup.count_children().await.is_ok_and(|c| c.specs == 0),
            None => false,
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_manages_children_and_the_library_api_too() {
    let app = app().await;
    let spec = json!({"plugin": "counter", "args": {"initial_value": 3}, "name": "g"});
    let started = app
        .call(
            "m",
            json!({"start_child": {"sup": "workers", "spec": spec}}),
        )
        .await
        .expect("m answers");
    let pid = started["ok"]
        .as_u64()
        .unwrap_or_else(|| panic!("{started}"));
    assert_eq!(app.call("g", json!("get")).await, Ok(json!(3)));
    let count = app
        .call("m", json!({"count_children": "workers"}))
        .await
        .expect("m answers");
    assert_eq!(count["ok"]["active"], json!(1));
    let which = app
        .call("m", json!({"which_children": "workers"}))
        .await
        .expect("m answers");
    assert_eq!(which["ok"][0]["pid"], json!(pid));
    let stopped = app
        .call(
            "m",
            json!({"terminate_child": {"sup": "workers", "pid": pid}}),
        )
        .await
        .expect("m answers");
    assert_eq!(stopped, json!("ok"));
    let nobody = app
        .call("m", json!({"count_children": "nobody"}))
        .await
        .expect("m answers");
    assert_eq!(nobody, json!({"error": "no such supervisor: 'nobody'"}));

    // The typed library API: a ChildSpec, on the SupervisorRef.
    let root = app
        .app
        .root()
        .which_children()
        .await
        .expect("root children");
    let workers = root
        .iter()
        .find(|c| c.id == "workers")
        .and_then(|c| app.node.supervisor(&c.pid?.into()))
        .expect("workers is a supervisor child");
    let decl = child_spec_from_json(br#"{"plugin": "counter"}"#).expect("a valid spec");
    let spec = app
        .node
        .child_spec(&decl, None)
        .await
        .expect("a runnable spec");
    let pid = workers
        .start_child(spec)
        .await
        .expect("started")
        .expect("a pid");
    // The supervisor's extra args reach every child it starts, however its
    // spec was made (Elixir's extra_arguments).
    assert_eq!(app.call(pid, json!("get")).await, Ok(json!(10)));
    assert_eq!(workers.count_children().await.map(|c| c.active), Ok(1));
}

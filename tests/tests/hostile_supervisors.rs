//! The hostile suite, supervisors and names: a plugin cannot manage
//! supervisors it is not granted, cannot freeze one by calling it from
//! `init`, cannot kill a neighbour through a link, and cannot take a name
//! the manifest keeps for a child.

use overseer::process::{Pid, Target};
use overseer_tests::hostile::{assert_contained, attack, stage};
use overseer_tests::json_sup;
use serde_json::json;

/// `{"error": "not permitted: plugin 'hostile' may not <what>…"}`.
fn refused(reply: &serde_json::Value, what: &str) -> bool {
    reply["error"]
        .as_str()
        .is_some_and(|e| e.starts_with(&format!("not permitted: plugin 'hostile' may not {what}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_it_is_not_granted_are_out_of_reach() {
    let app = stage("", "", "").await;
    let mut counted = 0;
    // Attack 1: start, stop and list children of supervisors not its own.
    let spec = json!({"plugin": "hostile.wasm"});
    let start = attack(&app, json!({"start_child": {"sup": "jobs", "spec": spec}})).await;
    assert!(
        refused(start.as_ref().expect("answers"), "manage the children of"),
        "{start:?}"
    );
    let c = app.pid("c");
    let root = app.app.root().pid();
    let stop = attack(
        &app,
        json!({"terminate_child": {"sup": root.0, "pid": c.0}}),
    )
    .await;
    assert!(
        refused(stop.as_ref().expect("answers"), "manage the children of"),
        "{stop:?}"
    );
    let list = attack(&app, json!({"which_children": "jobs"})).await;
    assert!(
        refused(list.as_ref().expect("answers"), "manage the children of"),
        "{list:?}"
    );
    // Attack 7: a link to kill a neighbour by crashing.
    let link = attack(&app, json!({"link_and_crash": c.0})).await;
    assert!(
        refused(link.as_ref().expect("answers"), "link to or monitor"),
        "{link:?}"
    );
    assert_eq!(app.pid("c"), c);
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_that_calls_its_starting_supervisor_gets_an_error() {
    // Attack 2, at the application's start: `late`'s init asks the
    // supervisor two levels up, which is waiting for it. (Were it to wait,
    // the start would never end.)
    let app = tokio::time::timeout(overseer_tests::WAIT, stage(
        "supervisors = [\"outer\", \"jobs\"]",
        "",
        "[[supervisor.children]]\nid = \"outer\"\ntype = \"supervisor\"\nname = \"outer\"\n\
         [[supervisor.children.children]]\nid = \"inner\"\ntype = \"supervisor\"\nname = \"inner\"\n\
         [[supervisor.children.children.children]]\nid = \"late\"\nplugin = \"hostile.wasm\"\nname = \"late\"\n\
         args = { init = { which_children = \"outer\" } }\n",
    ))
    .await
    .expect("the application starts");
    let mut counted = 0;
    let init = app
        .call("late", json!("init_result"))
        .await
        .expect("late runs");
    assert_eq!(
        init,
        json!({"error": "deadlock: 'outer' is starting this process and answers nothing until its init returns"})
    );
    // Once started, it may ask.
    let now = app.call("late", json!({"which_children": "outer"})).await;
    assert!(now.as_ref().is_ok_and(|r| r.get("ok").is_some()), "{now:?}");

    // And at run time: a DynamicSupervisor starting a child whose init
    // asks it back keeps serving.
    let spec = json!({"plugin": "hostile.wasm", "restart": "temporary",
                      "args": {"init": {"which_children": "jobs"}}});
    let started = attack(&app, json!({"start_child": {"sup": "jobs", "spec": spec}}))
        .await
        .expect("the attacker answers");
    let child = Pid(started["ok"].as_u64().expect("started"));
    let init = app
        .call(Target::Pid(child), json!("init_result"))
        .await
        .expect("the child runs");
    assert!(
        init["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("deadlock: 'jobs' is starting")),
        "{init}"
    );
    assert!(json_sup(&app.node, "jobs").which_children().await.is_ok());
    assert_contained(&app, &mut counted).await;

    app.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_the_manifest_gives_are_kept_for_its_children() {
    let app = stage("register = [\"*\"]\nsupervisors = [\"jobs\"]", "", "").await;
    let mut counted = 0;
    // Attack 8: take a child's name, to receive its callers' messages.
    for name in ["c", "jobs", "tasks"] {
        assert_eq!(
            attack(&app, json!({"register": name})).await,
            Ok(json!({"error": format!("name '{name}' is reserved for a child of the manifest")})),
            "{name}"
        );
    }
    let named = json!({"plugin": "hostile.wasm", "name": "c"});
    let start = attack(&app, json!({"start_child": {"sup": "jobs", "spec": named}}))
        .await
        .expect("the attacker answers");
    assert_eq!(
        start["error"],
        json!("invalid child spec: name 'c' is reserved for a child of the manifest"),
        "{start}"
    );
    // A name of its own is fine.
    assert_eq!(
        attack(&app, json!({"register": "mine"})).await,
        Ok(json!({"ok": "ok"}))
    );
    assert_contained(&app, &mut counted).await;
}

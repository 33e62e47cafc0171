//! The watcher: builds landing in the plugin folder the ways they really
//! land, each seen as one upgrade; an unchanged file is no upgrade; a new
//! file is a new plugin.

use overseer::process::Event;
use overseer_tests::{PluginDir, TestApp, build};
use serde_json::json;

const WATCH: &str = "watch = true";

fn counter() -> String {
    "[[supervisor.children]]\nid = \"c\"\nplugin = \"counter.wasm\"\nname = \"c\"\n".into()
}

/// Wait for the next upgrade of counter (or a rejection, which fails the
/// test); returns the vsn it moved to.
async fn next_upgrade(app: &mut TestApp) -> String {
    app.wait_for("an upgrade of counter", |e| match e {
        Event::Upgraded { plugin, to, .. } if plugin == "counter" => Some(to.clone()),
        Event::UpgradeRejected { reason, .. } => panic!("a build was rejected: {reason}"),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_landing_each_way_are_one_upgrade_each() {
    let dir = PluginDir::with(&["counter"]);
    let mut app = dir.start(WATCH, &counter(), 16).await;
    app.call("c", json!({"add": 10})).await.expect("add");
    let v1 = std::fs::read(build("counter")).expect("v1");
    let v2 = std::fs::read(build("counter_v2")).expect("v2");

    // 1. Written aside and renamed over the file.
    dir.rename_over("counter", &v2);
    assert_eq!(next_upgrade(&mut app).await, "2.0.0");
    assert_eq!(app.state("c").await, json!({"value": 10, "history": []}));

    // 2. Rewritten in place, in pieces, as a slow copy does.
    {
        use std::io::Write;
        let mut file = std::fs::File::create(dir.file("counter")).expect("truncate");
        for piece in v1.chunks(v1.len() / 4 + 1) {
            file.write_all(piece).expect("write a piece");
            file.flush().expect("flush");
        }
    }
    assert_eq!(next_upgrade(&mut app).await, "1.0.0");

    // 3. A burst: the same build written many times, then the other one
    // several times over, as one `cargo build` touches its output.
    for _ in 0..5 {
        std::fs::write(dir.file("counter"), &v1).expect("rewrite");
    }
    for _ in 0..5 {
        std::fs::write(dir.file("counter"), &v2).expect("write v2");
    }
    assert_eq!(next_upgrade(&mut app).await, "2.0.0");

    // 4. Deleted, then created again.
    std::fs::remove_file(dir.file("counter")).expect("delete");
    std::fs::write(dir.file("counter"), &v1).expect("create");
    assert_eq!(next_upgrade(&mut app).await, "1.0.0");

    // The value survived every move, and every step was exactly one upgrade:
    // a manual reload now finds nothing to do.
    assert_eq!(app.call("c", json!("get")).await, Ok(json!(10)));
    let again = app
        .reloader()
        .reload("counter", None)
        .await
        .expect("reload");
    assert!(
        matches!(again, overseer::reload::Reloaded::Unchanged { .. }),
        "{again:?}"
    );
    let mut upgrades = 0;
    while let Ok(event) = app.events.try_recv() {
        if matches!(&*event, Event::Upgraded { .. }) {
            upgrades += 1;
        }
    }
    assert_eq!(upgrades, 0, "no upgrade beyond the four");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_written_build_is_rejected_then_the_whole_one_lands() {
    let dir = PluginDir::with(&["counter"]);
    let mut app = dir.start(WATCH, &counter(), 16).await;
    let v2 = std::fs::read(build("counter_v2")).expect("v2");
    std::fs::write(dir.file("counter"), &v2[..v2.len() / 3]).expect("a third of it");
    let reason = app
        .wait_for("the rejection of the partial build", |e| match e {
            Event::UpgradeRejected { plugin, reason, .. } if plugin == "counter" => {
                Some(reason.clone())
            }
            Event::Upgraded { .. } => panic!("a partial build was installed"),
            _ => None,
        })
        .await;
    assert!(reason.contains("invalid component"), "{reason}");
    assert_eq!(app.call("c", json!("increment")).await, Ok(json!(1)));
    std::fs::write(dir.file("counter"), &v2).expect("all of it");
    assert_eq!(next_upgrade(&mut app).await, "2.0.0");
    assert_eq!(app.call("c", json!("history")).await, Ok(json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_is_a_new_plugin() {
    let dir = PluginDir::with(&["counter"]);
    let mut app = dir.start(WATCH, &counter(), 16).await;
    dir.rename_over(
        "rate_limiter",
        &std::fs::read(build("rate_limiter")).expect("read"),
    );
    let vsn = app
        .wait_for("the new plugin", |e| match e {
            Event::PluginLoaded { plugin, vsn, .. } if plugin == "rate_limiter" => {
                Some(vsn.clone())
            }
            _ => None,
        })
        .await;
    assert!(!vsn.is_empty());
    assert!(app.node.plugins().get("rate_limiter").is_some());
}

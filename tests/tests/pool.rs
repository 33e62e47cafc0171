//! Worker pools with poolboy's semantics: size and overflow, blocking and
//! non-blocking checkout, checkin to waiters, overflow dismissed on
//! checkin, dead workers replaced, an owner's death returning its worker,
//! transactions, lifo and fifo; from the library and from guests.

use std::time::Duration;

use overseer::process::{ExitReason, Pid, Target};
use overseer::supervisor::{PoolError, PoolRef, PoolStatus};
use overseer_tests::{TestApp, manifest_text, worker};
use serde_json::json;

const SECOND: Duration = Duration::from_secs(1);

async fn app() -> TestApp {
    let text = manifest_text(&format!("max_restarts = 100\n{}", worker("m", "messenger", ""))).replace(
        "[app.upgrade]",
        "[[app.pools]]\nname = \"conns\"\nplugin = \"counter.wasm\"\nsize = 2\nmax_overflow = 1\n[[app.pools]]\nname = \"fifo\"\nplugin = \"counter.wasm\"\nsize = 2\nmax_overflow = 0\nstrategy = \"fifo\"\n[app.upgrade]",
    );
    let node = overseer_tests::node();
    let events = node.events().subscribe();
    let manifest = overseer::application::parse_manifest(std::path::Path::new("p.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = overseer::application::Application::start(&node, &manifest)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::new(node, app, &manifest, events)
}

fn status(idle: usize, checked_out: usize, overflow: usize, waiting: usize) -> PoolStatus {
    PoolStatus {
        idle,
        checked_out,
        overflow,
        waiting,
    }
}

async fn settle(app: &TestApp, pool: &PoolRef, want: PoolStatus) {
    app.eventually(&format!("the pool is {want:?}"), async || {
        pool.status().await.is_ok_and(|s| s == want)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_overflow_full_and_timeouts() {
    let app = app().await;
    let pool = app.node.pool("conns").expect("conns runs");
    assert_eq!(pool.status().await, Ok(status(2, 0, 0, 0)));
    let a = pool.checkout(None, true, SECOND).await.expect("a");
    let b = pool.checkout(None, true, SECOND).await.expect("b");
    let c = pool
        .checkout(None, true, SECOND)
        .await
        .expect("an overflow worker");
    assert_eq!(pool.status().await, Ok(status(0, 3, 1, 0)));
    assert_eq!(
        pool.checkout(None, false, SECOND).await,
        Err(PoolError::Full("conns".into()))
    );
    assert_eq!(
        pool.checkout(None, true, Duration::from_millis(50)).await,
        Err(PoolError::Timeout {
            pool: "conns".into(),
            ms: 50
        })
    );
    settle(&app, &pool, status(0, 3, 1, 0)).await;

    // A waiter gets the first worker checked in.
    let waiting = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.checkout(None, true, Duration::from_secs(5)).await })
    };
    settle(&app, &pool, status(0, 3, 1, 1)).await;
    pool.checkin(a);
    assert_eq!(waiting.await.expect("the waiter"), Ok(a));
    // Checking in with the overflow in use dismisses the worker.
    pool.checkin(c);
    settle(&app, &pool, status(0, 2, 0, 0)).await;
    app.eventually("the overflow worker is gone", async || {
        app.node.whereis(&Target::Pid(c)).is_none()
    })
    .await;
    pool.checkin(a);
    pool.checkin(b);
    pool.checkin(b); // twice: ignored
    settle(&app, &pool, status(2, 0, 0, 0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_workers_are_replaced_and_owners_return_theirs() {
    let app = app().await;
    let pool = app.node.pool("conns").expect("conns runs");
    let w = pool.checkout(None, true, SECOND).await.expect("a worker");
    app.node.kill(w, ExitReason::Error("boom".into()));
    settle(&app, &pool, status(2, 0, 0, 0)).await;

    // A process checks a worker out, then dies: the worker comes back.
    let out = app
        .call(
            "m",
            json!({"pool_checkout": {"pool": "conns", "block": true}}),
        )
        .await
        .expect("m answers");
    let worker = out["ok"].as_u64().unwrap_or_else(|| panic!("{out}"));
    settle(&app, &pool, status(1, 1, 0, 0)).await;
    let _ = app.call("m", json!("crash")).await;
    settle(&app, &pool, status(2, 0, 0, 0)).await;
    assert!(
        app.node.whereis(&Target::Pid(Pid(worker))).is_some(),
        "the worker itself lives on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_check_in_whatever_happens() {
    let app = app().await;
    let pool = app.node.pool("conns").expect("conns runs");
    let reply = pool
        .transaction(
            app.node.processes(),
            None,
            br#""increment""#.to_vec(),
            SECOND,
        )
        .await
        .expect("a reply");
    assert_eq!(reply, b"1");
    assert_eq!(pool.status().await, Ok(status(2, 0, 0, 0)));
    // The call fails (the worker crashes on it): checked in, and replaced.
    let failed = pool
        .transaction(
            app.node.processes(),
            None,
            br#""no such call""#.to_vec(),
            SECOND,
        )
        .await;
    assert!(matches!(failed, Err(PoolError::Call(_))), "{failed:?}");
    settle(&app, &pool, status(2, 0, 0, 0)).await;
    // From a guest.
    let answer = app
        .call(
            "m",
            json!({"pool_transaction": {"pool": "conns", "msg": {"add": 5}}}),
        )
        .await
        .expect("m answers");
    assert!(answer["ok"].as_i64().is_some(), "{answer}");
    // A guest's non-blocking checkout on a full pool.
    let fifo = app.node.pool("fifo").expect("fifo runs");
    let held = [
        fifo.checkout(None, true, SECOND).await.expect("one"),
        fifo.checkout(None, true, SECOND).await.expect("two"),
    ];
    let full = app
        .call(
            "m",
            json!({"pool_checkout": {"pool": "fifo", "block": false}}),
        )
        .await
        .expect("m answers");
    assert_eq!(full, json!({"error": "pool 'fifo' is full"}));
    for w in held {
        fifo.checkin(w);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifo_hands_out_the_newest_and_fifo_the_oldest() {
    let app = app().await;
    for (name, newest_first) in [("conns", true), ("fifo", false)] {
        let pool = app.node.pool(name).expect("the pool runs");
        let a = pool.checkout(None, true, SECOND).await.expect("a");
        let b = pool.checkout(None, true, SECOND).await.expect("b");
        pool.checkin(a);
        pool.checkin(b);
        settle(&app, &pool, status(2, 0, 0, 0)).await;
        let next = pool.checkout(None, true, SECOND).await.expect("next");
        assert_eq!(next, if newest_first { b } else { a }, "{name}");
        pool.checkin(next);
    }
}

/// A pool is a child of the root supervisor, and a supervisor of its
/// workers: each dead worker is replaced, and past its restart intensity
/// (3 in 5 s by default) the pool gives up, says so, and the root starts it
/// again with fresh workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_that_gives_up_is_restarted_by_its_supervisor() {
    let mut app = app().await;
    let first = app.node.pool("conns").expect("conns runs");
    for round in 0..4 {
        let w = first
            .checkout(None, false, SECOND)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        app.node.kill(w, ExitReason::Error("boom".into()));
        if round < 3 {
            settle(&app, &first, status(2, 0, 0, 0)).await;
        }
    }
    app.wait_for("the pool to give up", |e| match e {
        overseer::process::Event::RestartIntensityReached { supervisor, .. }
            if supervisor == "conns" =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    app.wait_restart("conns").await;
    let again = app.node.pool("conns").expect("conns runs again");
    assert_ne!(again.pid(), first.pid());
    settle(&app, &again, status(2, 0, 0, 0)).await;
    assert!(matches!(first.status().await, Err(PoolError::NoPool(_))));
    let tree = app
        .node
        .supervision()
        .tree(app.app.root())
        .await
        .expect("the tree");
    let conns = tree
        .children
        .iter()
        .find(|c| c.id == "conns")
        .expect("the pool is in the tree");
    assert_eq!(conns.children.len(), 2, "with its two workers");
}

//! Upgrades under load: clients call and cast every process of a plugin
//! throughout 20 upgrades back and forth; not one call fails, not one cast
//! is lost, and the final states are exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use overseer::process::Target;
use overseer::reload::Reloaded;
use overseer_tests::{PluginDir, build};
use serde_json::json;

const PROCESSES: usize = 16;
const UPGRADES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_upgrades_back_and_forth_under_load_lose_nothing() {
    let dir = PluginDir::with(&["counter"]);
    let children: String = (0..PROCESSES)
        .map(|i| format!("[[supervisor.children]]\nid = \"c{i}\"\nplugin = \"counter.wasm\"\nname = \"c{i}\"\n"))
        .collect();
    let app = dir.start("watch = false", &children, 64).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..PROCESSES {
        let server = app
            .node
            .lookup(&Target::Name(format!("c{i}")))
            .expect("the counter runs");
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            // Alternate: a cast, then a call whose reply must count it too.
            let mut sent: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                server
                    .cast(br#""increment""#.to_vec())
                    .expect("cast accepted");
                sent += 1;
                let reply = server
                    .call(br#""increment""#.to_vec(), Duration::from_secs(5))
                    .await
                    .unwrap_or_else(|e| panic!("call {sent} failed: {e}"));
                sent += 1;
                assert_eq!(reply, sent.to_string().into_bytes(), "exact, in order");
            }
            sent
        }));
    }
    let reloader = app.reloader().clone();
    let (v1, v2) = (build("counter"), build("counter_v2"));
    for n in 0..UPGRADES {
        let (file, vsn) = if n % 2 == 0 {
            (&v2, "2.0.0")
        } else {
            (&v1, "1.0.0")
        };
        match reloader.reload("counter", Some(file)).await {
            Ok(Reloaded::Upgraded(report)) => {
                assert_eq!(report.to, vsn);
                assert_eq!(
                    report.changed.len(),
                    PROCESSES,
                    "failed: {:?}",
                    report.failed
                );
            }
            other => panic!("upgrade {n} to {vsn}: {other:?}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    for (i, client) in clients.into_iter().enumerate() {
        let sent = client.await.expect("the client ran without a failure");
        assert!(sent > 0);
        let name = format!("c{i}");
        assert_eq!(app.call(name.as_str(), json!("get")).await, Ok(json!(sent)));
        // 20 upgrades end on v1.
        assert_eq!(app.state(name.as_str()).await, json!({"value": sent}));
    }
}

//! GenServer behaviour of single processes: calls, casts, deferred replies,
//! timeouts, terminate, config, and the seed's plugins.

use std::time::Duration;

use overseer::process::CallError;
use overseer::supervisor::ChildStatus;
use overseer_tests::{start, worker};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_answers_calls_casts_and_state_in_order() {
    let t = start(&worker(
        "counter",
        "counter",
        "args = { initial_value = 100 }",
    ))
    .await;
    assert_eq!(t.call("counter", json!("increment")).await, Ok(json!(101)));
    assert_eq!(t.call("counter", json!({"add": 5})).await, Ok(json!(106)));
    t.node
        .cast(&"counter".into(), b"\"increment\"".to_vec())
        .unwrap();
    assert_eq!(t.call("counter", json!("get")).await, Ok(json!(107)));
    assert_eq!(t.state("counter").await, json!({"value": 107}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_without_args_starts_at_zero() {
    let t = start(&worker("counter", "counter", "")).await;
    assert_eq!(t.call("counter", json!("get")).await, Ok(json!(0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_timeout_leaves_the_server_alive() {
    let t = start(&worker("faulty", "faulty", "")).await;
    let pid = t.pid("faulty");
    let late = t
        .call_timeout(
            "faulty",
            json!({"sleep_ms": 300}),
            Duration::from_millis(50),
        )
        .await;
    assert_eq!(late, Err(CallError::Timeout(50)));
    assert_eq!(t.call("faulty", json!("ping")).await, Ok(json!("pong")));
    // The late reply is dropped; the server is the same process and keeps
    // serving after it has sent it.
    assert_eq!(
        t.call("faulty", json!({"sleep_ms": 300})).await,
        Ok(json!("slept"))
    );
    assert_eq!(t.pid("faulty"), pid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_reply_answers_the_right_caller() {
    let t = start(&worker("faulty", "faulty", "")).await;
    let (slow, fast) = tokio::join!(t.call("faulty", json!({"sleep_ms": 200})), async {
        tokio::task::yield_now().await;
        t.call("faulty", json!("ping")).await
    });
    assert_eq!(slow, Ok(json!("slept")));
    assert_eq!(fast, Ok(json!("pong")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_runs_on_a_stop_return_before_the_reply() {
    let mut t = start(&worker("faulty", "faulty", "restart = \"temporary\"")).await;
    let pid = t.pid("faulty");
    assert_eq!(
        t.call("faulty", json!({"stop": "normal"})).await,
        Ok(json!("stopping"))
    );
    let logged = t.wait_log(pid).await;
    assert_eq!(logged, "terminate: normal");
    assert_eq!(t.wait_exit(pid).await, "normal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_from_a_cast_exits_with_its_reason_after_terminate() {
    let mut t = start(&worker("faulty", "faulty", "restart = \"temporary\"")).await;
    let pid = t.pid("faulty");
    t.node
        .cast(&"faulty".into(), br#"{"stop": "going away"}"#.to_vec())
        .unwrap();
    let logged = t.wait_log(pid).await;
    assert_eq!(logged, "terminate: going away");
    assert_eq!(t.wait_exit(pid).await, "going away");
    assert_eq!(
        t.call("faulty", json!("ping")).await,
        Err(CallError::NoProc("faulty".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_is_readable_from_a_guest_key_by_key() {
    let mut t = start(&worker("faulty", "faulty", "")).await;
    assert_eq!(
        t.call("faulty", json!({"config": "greeting"})).await,
        Ok(json!("hello"))
    );
    assert_eq!(
        t.call("faulty", json!({"config": "limits"})).await,
        Ok(json!({"rps": 10}))
    );
    // A key the plugin is not granted reads as absent, and is reported
    // (once per plugin and capability).
    assert_eq!(
        t.call("faulty", json!({"config": "secret"})).await,
        Ok(json!(null))
    );
    assert_eq!(
        t.call("faulty", json!({"config": "missing"})).await,
        Ok(json!(null))
    );
    let denied = t
        .wait_for("the refusal", |e| match e {
            overseer::process::Event::CapabilityDenied {
                plugin,
                capability,
                message,
                ..
            } => Some((plugin.clone(), *capability, message.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        denied,
        (
            "faulty".to_string(),
            "env",
            "not permitted: plugin 'faulty' may not read env key 'secret' (grant it with env = [\"secret\"] in [plugin.faulty])".to_string()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_stops_normally_after_its_idle_timeout() {
    let mut t = start(&worker(
        "session",
        "session",
        "args = { user_id = \"ada\", idle_ms = 1000 }\nrestart = \"transient\"",
    ))
    .await;
    let pid = t.pid("session");
    // Every message restarts the timeout: keep it busy for longer than one
    // timeout, then let it expire.
    let busy_until = tokio::time::Instant::now() + Duration::from_millis(1500);
    while tokio::time::Instant::now() < busy_until {
        assert_eq!(t.call("session", json!("get_user")).await, Ok(json!("ada")));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        t.pid("session"),
        pid,
        "the session must live while it is used"
    );
    assert_eq!(t.wait_exit(pid).await, "normal");
    // transient + normal: not restarted.
    t.children_when("the session is left stopped", |c| {
        c[0].pid.is_none() && c[0].status == ChildStatus::Stopped
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limiter_resets_every_period() {
    let t = start(&worker(
        "limiter",
        "rate_limiter",
        "args = { max_requests = 2, period_ms = 300 }",
    ))
    .await;
    assert_eq!(t.call("limiter", json!("check")).await, Ok(json!("ok")));
    assert_eq!(t.call("limiter", json!("check")).await, Ok(json!("ok")));
    assert_eq!(
        t.call("limiter", json!("check")).await,
        Ok(json!("rate_limited"))
    );
    // After the reset the count starts again.
    t.eventually("the limiter resets", async || {
        t.state("limiter").await["count"] == json!(0)
    })
    .await;
    assert_eq!(t.call("limiter", json!("check")).await, Ok(json!("ok")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_messages_reach_handle_info() {
    let t = start(&worker(
        "session",
        "session",
        "args = { user_id = \"bob\", idle_ms = 60000 }",
    ))
    .await;
    t.node
        .send(&"session".into(), b"\"poke\"".to_vec())
        .unwrap();
    assert_eq!(t.call("session", json!("get_user")).await, Ok(json!("bob")));
}

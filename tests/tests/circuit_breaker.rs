//! The circuit breaker plugin in front of the flaky service, end to end:
//! calls pass through while closed; consecutive failures (error replies,
//! timeouts, a crashed or missing service) open it; while open it refuses
//! without calling the service; its reset timer half-opens it, and the next
//! call closes it again or reopens it.
//!
//! Nothing here sleeps: every wait polls with `eventually`. Where a check
//! could race the 300 ms reset timer of `cb`, the test either uses a breaker
//! whose timer is a minute long, or reads the breaker's state, whose
//! `opened` count only ever grows.

use std::time::{Duration, Instant};

use overseer_tests::{TestApp, start, worker};
use serde_json::{Value, json};

/// The reset time of `cb`, in the manifest below.
const RESET: Duration = Duration::from_millis(300);

/// `svc` (flaky) behind `cb`, whose timer is short; `hold`, also in front of
/// `svc`, whose timer is long enough that it stays open for any test; `f`
/// (faulty) behind `cb_f`; and `cb_gone`, in front of a name nobody holds.
async fn app() -> TestApp {
    start(&format!(
        "max_restarts = 100\n{}{}{}{}{}{}",
        worker("svc", "flaky", ""),
        worker(
            "cb",
            "circuit_breaker",
            "args = { service = \"svc\", max_failures = 2, reset_ms = 300, call_timeout_ms = 200 }"
        ),
        worker(
            "hold",
            "circuit_breaker",
            "args = { service = \"svc\", max_failures = 2, reset_ms = 60000, call_timeout_ms = 200 }"
        ),
        worker("f", "faulty", ""),
        worker(
            "cb_f",
            "circuit_breaker",
            "args = { service = \"f\", max_failures = 2, reset_ms = 60000, call_timeout_ms = 1000 }"
        ),
        worker(
            "cb_gone",
            "circuit_breaker",
            "args = { service = \"nobody\", max_failures = 2, reset_ms = 60000 }"
        ),
    ))
    .await
}

async fn ask(app: &TestApp, who: &str, request: Value) -> Value {
    app.call(who, request)
        .await
        .unwrap_or_else(|e| panic!("{who} answers: {e}"))
}

/// Call the service through breaker `cb` with `request`.
async fn through(app: &TestApp, cb: &str, request: Value) -> Value {
    ask(app, cb, json!({ "call": request })).await
}

async fn state(app: &TestApp, cb: &str) -> String {
    let state = ask(app, cb, json!("state")).await;
    state.as_str().unwrap_or_default().to_owned()
}

async fn failures(app: &TestApp, cb: &str) -> u64 {
    ask(app, cb, json!("failures")).await.as_u64().unwrap()
}

/// How many times breaker `cb` has opened (its state's `opened`).
async fn opened(app: &TestApp, cb: &str) -> u64 {
    app.state(cb).await["opened"].as_u64().unwrap()
}

/// How many `"work"` calls the service has handled.
async fn calls(app: &TestApp) -> u64 {
    ask(app, "svc", json!("calls")).await.as_u64().unwrap()
}

async fn set_failing(app: &TestApp, failing: bool) {
    assert_eq!(
        ask(app, "svc", json!({ "set_failing": failing })).await,
        json!("ok")
    );
}

/// Open `cb` with two failing calls to the service; returns when the second
/// one was sent, before which its reset timer cannot have been set.
async fn open(app: &TestApp, cb: &str) -> Instant {
    set_failing(app, true).await;
    let unavailable = json!({"error": "unavailable"});
    assert_eq!(through(app, cb, json!("work")).await, unavailable);
    let sent = Instant::now();
    assert_eq!(through(app, cb, json!("work")).await, unavailable);
    sent
}

/// Wait until `cb` is half-open; checks that it was not before `RESET` had
/// passed since `since`.
async fn wait_half_open(app: &TestApp, cb: &str, since: Instant) {
    app.eventually(&format!("{cb} is half_open"), async || {
        state(app, cb).await == "half_open"
    })
    .await;
    assert!(
        since.elapsed() >= RESET,
        "{cb} half-opened after {:?}, before its reset time",
        since.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_passes_calls_through() {
    let app = app().await;
    assert_eq!(state(&app, "cb").await, "closed");
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    // Any reply that is not an error passes, whatever its shape.
    assert_eq!(through(&app, "cb", json!("calls")).await, json!({"ok": 2}));
    assert_eq!(calls(&app).await, 2);
    assert_eq!(failures(&app, "cb").await, 0);

    // One failure, below the threshold: still closed, and a success resets
    // the count, so the next failure is the first again.
    set_failing(&app, true).await;
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"error": "unavailable"})
    );
    assert_eq!(failures(&app, "cb").await, 1);
    assert_eq!(state(&app, "cb").await, "closed");
    set_failing(&app, false).await;
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    assert_eq!(failures(&app, "cb").await, 0);
    set_failing(&app, true).await;
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"error": "unavailable"})
    );
    assert_eq!(failures(&app, "cb").await, 1);
    assert_eq!(state(&app, "cb").await, "closed");
    assert_eq!(opened(&app, "cb").await, 0);
    assert_eq!(calls(&app).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_failures_open_it_and_it_refuses_without_calling_the_service() {
    let app = app().await;
    open(&app, "hold").await;
    assert_eq!(state(&app, "hold").await, "open");
    assert_eq!(failures(&app, "hold").await, 2);
    assert_eq!(calls(&app).await, 2);

    // Refused, and the service is not called, even once it would succeed.
    set_failing(&app, false).await;
    for _ in 0..5 {
        assert_eq!(
            through(&app, "hold", json!("work")).await,
            json!({"error": "open"})
        );
    }
    assert_eq!(calls(&app).await, 2);
    assert_eq!(state(&app, "hold").await, "open");
    assert_eq!(failures(&app, "hold").await, 2);
    assert_eq!(opened(&app, "hold").await, 1);

    // Another breaker in front of the same service is not affected.
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    assert_eq!(calls(&app).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_short_breaker_opens_and_refuses_until_its_reset_time() {
    let app = app().await;
    let sent = open(&app, "cb").await;
    assert_eq!(opened(&app, "cb").await, 1);
    let refused = through(&app, "cb", json!("work")).await;
    // The reset timer may have fired already on a slow machine, but not
    // before its time: a refusal until then, and never a call.
    if sent.elapsed() < RESET {
        assert_eq!(refused, json!({"error": "open"}));
        assert_eq!(calls(&app).await, 2);
    }
    wait_half_open(&app, "cb", sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_reset_time_a_success_closes_it() {
    let app = app().await;
    let sent = open(&app, "cb").await;
    wait_half_open(&app, "cb", sent).await;
    // Half-open stays half-open until a call comes.
    assert_eq!(state(&app, "cb").await, "half_open");
    let before = calls(&app).await;

    set_failing(&app, false).await;
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    // The trial call went through to the service.
    assert_eq!(calls(&app).await, before + 1);
    assert_eq!(state(&app, "cb").await, "closed");
    assert_eq!(failures(&app, "cb").await, 0);
    assert_eq!(opened(&app, "cb").await, 1);
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    assert_eq!(calls(&app).await, before + 2);

    // Closed again means two failures again before it opens.
    set_failing(&app, true).await;
    through(&app, "cb", json!("work")).await;
    assert_eq!(state(&app, "cb").await, "closed");
    assert_eq!(opened(&app, "cb").await, 1);
    through(&app, "cb", json!("work")).await;
    assert_eq!(opened(&app, "cb").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_reset_time_a_failure_opens_it_again() {
    let app = app().await;
    let sent = open(&app, "cb").await;
    wait_half_open(&app, "cb", sent).await;
    let before = calls(&app).await;

    // One failure is enough in half-open: it opens again, with a new timer.
    let trial = Instant::now();
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"error": "unavailable"})
    );
    assert_eq!(calls(&app).await, before + 1);
    assert_eq!(opened(&app, "cb").await, 2);
    assert_eq!(failures(&app, "cb").await, 3);
    wait_half_open(&app, "cb", trial).await;

    // And the cycle goes on: a success now closes it.
    set_failing(&app, false).await;
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
    assert_eq!(state(&app, "cb").await, "closed");
    assert_eq!(failures(&app, "cb").await, 0);
    assert_eq!(opened(&app, "cb").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_counts_as_a_failure() {
    let app = app().await;
    // The service answers after 1000 ms; the breaker waits 200.
    let slow = json!({"slow_ms": 1000});
    let started = Instant::now();
    assert_eq!(
        through(&app, "cb", slow.clone()).await,
        json!({"error": "timeout"})
    );
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "the breaker waited {:?}, not its call timeout",
        started.elapsed()
    );
    assert_eq!(failures(&app, "cb").await, 1);
    assert_eq!(state(&app, "cb").await, "closed");
    let sent = Instant::now();
    assert_eq!(through(&app, "cb", slow).await, json!({"error": "timeout"}));
    assert_eq!(opened(&app, "cb").await, 1);
    assert_eq!(failures(&app, "cb").await, 2);
    // The service carries on, and its late replies do not confuse the
    // breaker: once half-open, a quick success closes it.
    wait_half_open(&app, "cb", sent).await;
    assert_eq!(
        through(&app, "cb", json!({"slow_ms": 10})).await,
        json!({"ok": "done"})
    );
    assert_eq!(state(&app, "cb").await, "closed");
    assert_eq!(
        through(&app, "cb", json!("work")).await,
        json!({"ok": "done"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_service_counts_as_a_failure() {
    let mut app = app().await;
    assert_eq!(
        through(&app, "cb_f", json!("ping")).await,
        json!({"ok": "pong"})
    );
    let f = app.pid("f");
    let crashed = through(&app, "cb_f", json!({"crash": "trap"})).await;
    let error = crashed["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("exited: trap:"), "{crashed}");
    assert_eq!(failures(&app, "cb_f").await, 1);
    assert_eq!(state(&app, "cb_f").await, "closed");
    // The supervisor restarts the service; the breaker reaches it by name.
    assert_ne!(app.wait_restart("f").await, f);
    assert_eq!(
        through(&app, "cb_f", json!("ping")).await,
        json!({"ok": "pong"})
    );
    assert_eq!(failures(&app, "cb_f").await, 0);

    // A service that stops before replying counts too.
    let f = app.pid("f");
    let stopped = through(&app, "cb_f", json!({"crash": "panic"})).await;
    assert!(
        stopped["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("exited: panic: faulty: asked to panic"),
        "{stopped}"
    );
    assert_ne!(app.wait_restart("f").await, f);
    assert_eq!(failures(&app, "cb_f").await, 1);
    app.eventually("f is back", async || {
        app.node.whereis(&"f".into()).is_some()
    })
    .await;
    let f = app.pid("f");
    let again = through(&app, "cb_f", json!({"crash": "div_zero"})).await;
    assert!(
        again["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("exited: panic: attempt to divide by zero"),
        "{again}"
    );
    assert_eq!(state(&app, "cb_f").await, "open");
    assert_ne!(app.wait_restart("f").await, f);
    // Open: the restarted service is not called.
    assert_eq!(
        through(&app, "cb_f", json!("ping")).await,
        json!({"error": "open"})
    );
    assert_eq!(app.state("f").await, json!({"pings": 0}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_service_counts_as_a_failure() {
    let app = app().await;
    assert_eq!(
        through(&app, "cb_gone", json!("work")).await,
        json!({"error": "noproc"})
    );
    assert_eq!(failures(&app, "cb_gone").await, 1);
    assert_eq!(state(&app, "cb_gone").await, "closed");
    assert_eq!(
        through(&app, "cb_gone", json!("work")).await,
        json!({"error": "noproc"})
    );
    assert_eq!(state(&app, "cb_gone").await, "open");
    assert_eq!(
        through(&app, "cb_gone", json!("work")).await,
        json!({"error": "open"})
    );
    assert_eq!(failures(&app, "cb_gone").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_needs_a_service_and_a_positive_threshold() {
    let no_service = overseer_tests::try_start(&worker("cb", "circuit_breaker", "")).await;
    let err = no_service.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("service"), "{err}");
    let zero = overseer_tests::try_start(&worker(
        "cb",
        "circuit_breaker",
        "args = { service = \"svc\", max_failures = 0 }",
    ))
    .await;
    let err = zero.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("max_failures must be at least 1"), "{err}");
}

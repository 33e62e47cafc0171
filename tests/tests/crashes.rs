//! A crash is a crash whatever its cause: every `faulty` crash kind ends the
//! process with a reason that names it, writes a crash report, and the
//! supervisor restarts the child. The host carries on.

use overseer::process::{CallError, Event, ExitReason};
use overseer::runtime::BACKTRACE_FRAMES;
use overseer_tests::{TestApp, start};
use serde_json::json;

const FAULTY: &str = "max_restarts = 100\n[[supervisor.children]]\nid = \"faulty\"\nplugin = \"faulty.wasm\"\nname = \"faulty\"\nlimits = { memory_mb = 16, cpu_ms = 300 }\n";

/// Crash `faulty` with `kind` through a call; check the caller's error, the
/// crash report and the restart; return the reason.
async fn crash_with(t: &mut TestApp, kind: &str) -> String {
    crash_reported(t, kind).await.0
}

/// [`crash_with`], returning the report's backtrace too.
async fn crash_reported(t: &mut TestApp, kind: &str) -> (String, Vec<String>) {
    let pid = t.pid("faulty");
    let err = t.call("faulty", json!({"crash": kind})).await.unwrap_err();
    let CallError::Exited(ExitReason::Crash(cause)) = &err else {
        panic!("{kind}: the caller should see the crash, got {err:?}");
    };
    let reason = cause.to_string();
    let (report_reason, backtrace, message, plugin) = t
        .wait_for("the crash report", |e| match e {
            Event::CrashReport {
                pid: p,
                reason,
                backtrace,
                message,
                plugin,
                ..
            } if *p == pid => Some((
                reason.to_string(),
                backtrace.clone(),
                message.clone(),
                plugin.clone(),
            )),
            _ => None,
        })
        .await;
    assert_eq!(report_reason, reason);
    assert_eq!(plugin, "faulty");
    assert_eq!(
        message.as_deref(),
        Some(format!("call {{\"crash\":\"{kind}\"}}").as_str())
    );
    assert!(
        !backtrace.is_empty(),
        "{kind}: the report carries the guest backtrace"
    );
    let new_pid = t.wait_restart("faulty").await;
    assert_ne!(new_pid, pid);
    assert_eq!(t.call("faulty", json!("ping")).await, Ok(json!("pong")));
    (reason, backtrace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trap() {
    let mut t = start(FAULTY).await;
    let reason = crash_with(&mut t, "trap").await;
    assert!(
        reason.starts_with("trap: ") && reason.contains("unreachable"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic() {
    let mut t = start(FAULTY).await;
    let (reason, backtrace) = crash_reported(&mut t, "panic").await;
    assert!(
        reason.starts_with("panic: faulty: asked to panic"),
        "{reason}"
    );
    // The SDK names where it panicked.
    assert!(
        reason.ends_with(')') && reason.contains(" (at plugins/faulty/src/lib.rs:"),
        "{reason}"
    );
    // It ended through the host's `panicked` import, called by the SDK's
    // panic hook, not through a hardware trap; the plugin's frame is there.
    assert!(
        backtrace
            .iter()
            .any(|f| f.contains("overseer_guest::adapter::panics_through_the_host")),
        "{backtrace:#?}"
    );
    assert!(
        backtrace.iter().any(|f| f == "faulty::crash"),
        "{backtrace:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn div_zero() {
    let mut t = start(FAULTY).await;
    let reason = crash_with(&mut t, "div_zero").await;
    // Rust checks integer division, so it panics rather than trapping.
    assert!(reason.contains("divide by zero"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_loop_hits_the_cpu_deadline() {
    let mut t = start(FAULTY).await;
    let reason = crash_with(&mut t, "loop").await;
    assert_eq!(
        reason,
        "cpu deadline: callback ran past its 300 ms deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oom_hits_the_memory_limit() {
    let mut t = start(FAULTY).await;
    let reason = crash_with(&mut t, "oom").await;
    assert!(reason.starts_with("memory limit: "), "{reason}");
    assert!(reason.contains(&format!("limit {}", 16 << 20)), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_recursion_overflows_the_stack() {
    let mut t = start(FAULTY).await;
    let (reason, backtrace) = crash_reported(&mut t, "stack").await;
    assert!(reason.starts_with("stack overflow"), "{reason}");
    // Thousands of frames deep: the report names the innermost ones only,
    // each the recursing function.
    assert_eq!(backtrace.len(), BACKTRACE_FRAMES, "{backtrace:#?}");
    assert!(
        backtrace.iter().all(|frame| frame == "faulty::recurse"),
        "{backtrace:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_a_cast_restarts_too() {
    let mut t = start(FAULTY).await;
    let pid = t.pid("faulty");
    t.node
        .cast(&"faulty".into(), br#"{"crash":"trap"}"#.to_vec())
        .unwrap();
    assert!(t.wait_exit(pid).await.starts_with("trap: "));
    t.wait_restart("faulty").await;
    assert_eq!(t.call("faulty", json!("ping")).await, Ok(json!("pong")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_does_not_disturb_other_processes() {
    let mut t = start(&format!(
        "{FAULTY}[[supervisor.children]]\nid = \"counter\"\nplugin = \"counter.wasm\"\nname = \"counter\"\n"
    ))
    .await;
    assert_eq!(t.call("counter", json!("increment")).await, Ok(json!(1)));
    for kind in ["trap", "loop", "oom"] {
        let pid = t.pid("faulty");
        let _ = t.call("faulty", json!({"crash": kind})).await;
        t.wait_exit(pid).await;
        t.wait_restart("faulty").await;
    }
    assert_eq!(t.call("counter", json!("increment")).await, Ok(json!(2)));
}

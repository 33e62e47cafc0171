//! Elixir's DynamicSupervisor, driven with fake children (its
//! `dynamic_supervisor_test.exs`, "DS" in `otp-semantics.md` §2), and a
//! hundred thousand of them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::fake::{Fakes, Note, OnShutdown, OnStart, Sup};
use crate::process::{ExitReason, Pid};
use crate::supervisor::{
    ChildError, ChildSpec, ChildStatus, DynamicSupervisorSpec, Page, Restart, Shutdown,
};

fn died() -> ExitReason {
    ExitReason::Error("died".into())
}

async fn dynamic(f: &Fakes, spec: DynamicSupervisorSpec) -> Sup {
    let (tx, exits) = mpsc::unbounded_channel();
    let (sup, _abort) = f
        .supervision
        .start_dynamic(&spec, Some(tx))
        .await
        .expect("a dynamic supervisor starts");
    Sup { sup, exits }
}

fn spec(max_restarts: u32, max_children: Option<usize>) -> DynamicSupervisorSpec {
    DynamicSupervisorSpec {
        id: "dyn".into(),
        max_restarts,
        max_seconds: 3600,
        max_children,
        ..DynamicSupervisorSpec::default()
    }
}

async fn start(s: &Sup, child: ChildSpec) -> Pid {
    s.sup
        .start_child(child)
        .await
        .expect("starts")
        .expect("runs")
}

/// DS init/1 defaults: intensity 3 in 5 s, no max_children, no extra args.
#[test]
fn defaults_are_elixirs() {
    let spec = DynamicSupervisorSpec::default();
    assert_eq!(
        (spec.max_restarts, spec.max_seconds, spec.max_children),
        (3, 5, None)
    );
    assert!(spec.extra_args.is_none());
}

/// DS "with different returns": ignore keeps nothing; an error keeps
/// nothing; ids need not be unique.
#[tokio::test]
async fn start_child_returns_and_keeps_only_what_runs() {
    let f = Fakes::new();
    let s = dynamic(&f, spec(3, None)).await;
    let a = start(&s, f.worker("w")).await;
    let b = start(&s, f.worker("w")).await;
    assert_ne!(a, b);
    f.script("w", &[OnStart::Ignore]);
    assert!(matches!(s.sup.start_child(f.worker("w")).await, Ok(None)));
    f.script("w", &[OnStart::Fail]);
    let failed = s.sup.start_child(f.worker("w")).await;
    assert!(
        matches!(failed, Err(ChildError::StartFailed(_))),
        "{failed:?}"
    );
    assert_eq!(s.counts().await, [2, 2, 0, 2]);
}

/// DS "with max_children", "restarting on init children counted in
/// max_children": a child whose restart keeps failing still takes a place.
#[tokio::test]
async fn max_children_counts_restarting_children() {
    let f = Fakes::new();
    let s = dynamic(&f, spec(1_000_000, Some(1))).await;
    start(&s, f.worker("w")).await;
    let full = s.sup.start_child(f.worker("x")).await;
    assert!(matches!(full, Err(ChildError::MaxChildren(1))), "{full:?}");
    f.always_fail("w");
    f.crash("w", died());
    assert_eq!(s.counts().await, [1, 0, 0, 1]);
    let still = s.sup.start_child(f.worker("x")).await;
    assert!(
        matches!(still, Err(ChildError::MaxChildren(1))),
        "{still:?}"
    );
    let listed = s.children().await;
    assert_eq!(listed, [("w".into(), None, ChildStatus::Restarting)]);
}

/// DS restart types: a child that is not restarted is deleted, whatever its
/// type; permanent ones come back even after `shutdown`.
#[tokio::test]
async fn children_are_restarted_by_type_and_otherwise_deleted() {
    let cases = [
        (Restart::Permanent, ExitReason::Normal, true),
        (Restart::Permanent, ExitReason::Shutdown, true),
        (Restart::Permanent, died(), true),
        (Restart::Transient, ExitReason::Normal, false),
        (Restart::Transient, ExitReason::Shutdown, false),
        (
            Restart::Transient,
            ExitReason::ShutdownWith("x".into()),
            false,
        ),
        (Restart::Transient, ExitReason::Killed, true),
        (Restart::Transient, died(), true),
        (Restart::Temporary, ExitReason::Normal, false),
        (Restart::Temporary, ExitReason::Shutdown, false),
        (Restart::Temporary, died(), false),
    ];
    for (restart, reason, restarted) in cases {
        let f = Fakes::new();
        let s = dynamic(&f, spec(3, None)).await;
        let old = start(&s, f.worker("w").restart(restart)).await;
        f.exit(old, reason.clone());
        let children = s.children().await;
        let what = format!("{restart:?} after {reason}: {children:?}");
        if restarted {
            assert_eq!(children.len(), 1, "{what}");
            assert!(children[0].1.is_some_and(|p| p != old), "{what}");
            assert_eq!(s.counts().await, [1, 1, 0, 1], "{what}");
        } else {
            assert!(children.is_empty(), "{what}");
            assert_eq!(s.counts().await, [0, 0, 0, 0], "{what}");
        }
    }
}

/// DS "child is restarted with different values": a restart that returns
/// ignore deletes the child; one that fails leaves it restarting, counted
/// among the workers but not active.
#[tokio::test]
async fn a_restart_that_ignores_deletes_and_one_that_fails_retries() {
    let f = Fakes::new();
    let s = dynamic(&f, spec(1_000_000, None)).await;
    start(&s, f.worker("a")).await;
    start(&s, f.worker("b")).await;
    start(&s, f.worker("c")).await;
    f.script("a", &[OnStart::Ignore]);
    f.crash("a", died());
    assert_eq!(s.counts().await, [2, 2, 0, 2]);
    f.always_fail("b");
    f.crash("b", died());
    assert_eq!(s.counts().await, [2, 1, 0, 2]);
    let statuses: Vec<ChildStatus> = s.children().await.into_iter().map(|c| c.2).collect();
    assert_eq!(statuses, [ChildStatus::Restarting, ChildStatus::Running]);
}

/// DS "child triggers maximum restarts": past the intensity the supervisor
/// exits with `shutdown`, its children stopped.
#[tokio::test]
async fn past_the_intensity_the_supervisor_exits_with_shutdown() {
    let f = Fakes::new();
    let mut s = dynamic(&f, spec(1, None)).await;
    start(&s, f.worker("a")).await;
    start(&s, f.worker("b")).await;
    f.always_fail("a");
    f.crash("a", ExitReason::Shutdown);
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
    assert_eq!(f.alive(), 0);
}

/// DS "restarting a child with extra_arguments": the supervisor's extra
/// args reach the start and every restart.
#[tokio::test]
async fn extra_args_reach_every_start() {
    let f = Fakes::new();
    let s = dynamic(
        &f,
        DynamicSupervisorSpec {
            extra_args: Some(Arc::from(&b"extra"[..])),
            ..spec(3, None)
        },
    )
    .await;
    start(&s, f.worker("w").restart(Restart::Transient)).await;
    f.crash("w", died());
    s.children().await;
    assert_eq!(
        f.extra_of("w"),
        [Some(b"extra".to_vec()), Some(b"extra".to_vec())]
    );
}

/// DS terminate_child/2: ok, then not found; a restarting child can be
/// terminated too.
#[tokio::test]
async fn terminate_child_forgets_running_and_restarting_children() {
    let f = Fakes::new();
    let s = dynamic(&f, spec(1_000_000, None)).await;
    let a = start(&s, f.worker("a")).await;
    let b = start(&s, f.worker("b")).await;
    s.sup.terminate_child(a).await.expect("a stops");
    let again = s.sup.terminate_child(a).await;
    assert!(
        matches!(again, Err(ChildError::NotFound(p)) if p == a),
        "{again:?}"
    );
    f.always_fail("b");
    f.crash("b", died());
    assert_eq!(s.counts().await, [1, 0, 0, 1]);
    s.sup.terminate_child(b).await.expect("restarting b stops");
    assert_eq!(s.counts().await, [0, 0, 0, 0]);
}

/// SS simple_one_for_one_shutdown: on the way down every child is
/// signalled first, then all are waited for together; one that outlasts
/// its shutdown time is killed, the others keep their own reason.
#[tokio::test]
async fn shutdown_signals_every_child_first_and_kills_the_stuck_ones() {
    let f = Fakes::new();
    f.on_shutdown("slow", OnShutdown::Slow(Duration::from_millis(10)));
    f.on_shutdown("stuck", OnShutdown::Hang);
    let s = dynamic(&f, spec(3, None)).await;
    let slow1 = start(&s, f.worker("slow")).await;
    let slow2 = start(&s, f.worker("slow")).await;
    let stuck = start(
        &s,
        f.worker("stuck")
            .shutdown(Shutdown::Timeout(Duration::from_millis(30))),
    )
    .await;
    let brutal = start(&s, f.worker("brutal").shutdown(Shutdown::BrutalKill)).await;
    f.clear_log();
    s.sup.shutdown().await.expect("stops");
    let log = f.log();
    let first_exit = log
        .iter()
        .position(|n| matches!(n, Note::Exited(id, _, _) if *id != "brutal"))
        .expect("exits");
    let signalled = log[..first_exit]
        .iter()
        .filter(|n| matches!(n, Note::Signalled(..)))
        .count();
    assert_eq!(
        signalled, 3,
        "all signalled before any is waited for: {log:?}"
    );
    assert!(log.contains(&Note::Exited("slow", slow1, ExitReason::Shutdown)));
    assert!(log.contains(&Note::Exited("slow", slow2, ExitReason::Shutdown)));
    assert!(log.contains(&Note::Killed("stuck", stuck)));
    assert!(log.contains(&Note::Exited("brutal", brutal, ExitReason::Killed)));
    assert_eq!(f.alive(), 0);
}

/// On the way down each child has its own shutdown time: a child that
/// exits before its time is never killed, even when a child with an
/// earlier time and one with a later time are, each at its own time.
#[tokio::test]
async fn shutdown_kills_each_stuck_child_at_its_own_time() {
    let f = Fakes::new();
    f.on_shutdown("slow", OnShutdown::Slow(Duration::from_millis(5)));
    f.on_shutdown("early", OnShutdown::Hang);
    f.on_shutdown("late", OnShutdown::Hang);
    let s = dynamic(&f, spec(3, None)).await;
    let within = |ms| Shutdown::Timeout(Duration::from_millis(ms));
    let late = start(&s, f.worker("late").shutdown(within(200))).await;
    let slow = start(&s, f.worker("slow").shutdown(within(100))).await;
    let early = start(&s, f.worker("early").shutdown(within(50))).await;
    f.clear_log();
    s.sup.shutdown().await.expect("stops");
    let log = f.log();
    assert!(
        log.contains(&Note::Exited("slow", slow, ExitReason::Shutdown)),
        "{log:?}"
    );
    assert!(!log.contains(&Note::Killed("slow", slow)), "{log:?}");
    let killed: Vec<&Note> = log
        .iter()
        .filter(|n| matches!(n, Note::Killed(..)))
        .collect();
    assert_eq!(
        killed,
        [&Note::Killed("early", early), &Note::Killed("late", late)],
        "the earlier time first: {log:?}"
    );
    assert_eq!(f.alive(), 0);
}

/// Children listed by pid, restarting ones (no pid) first.
#[tokio::test]
async fn which_children_lists_by_pid() {
    let f = Fakes::new();
    let s = dynamic(&f, spec(1_000_000, None)).await;
    let mut pids = Vec::new();
    for _ in 0..5 {
        pids.push(start(&s, f.worker("w")).await);
    }
    let listed: Vec<Option<Pid>> = s.children().await.into_iter().map(|c| c.1).collect();
    assert_eq!(listed, pids.into_iter().map(Some).collect::<Vec<_>>());
}

/// A page of the children: the ones at its offset in pid order, and how
/// many there are in all, without listing the rest.
#[tokio::test]
async fn which_children_pages_by_pid() {
    let f = Fakes::new();
    let s = dynamic(&f, spec(1_000_000, None)).await;
    let mut pids = Vec::new();
    for _ in 0..10 {
        pids.push(start(&s, f.worker("w")).await);
    }
    let page = |offset, limit| {
        let sup = s.sup.clone();
        async move {
            let page = sup
                .which_children_page(Page { offset, limit })
                .await
                .expect("a page");
            let listed: Vec<Pid> = page.children.iter().filter_map(|c| c.pid).collect();
            (listed, page.total)
        }
    };
    assert_eq!(page(3, 4).await, (pids[3..7].to_vec(), 10));
    assert_eq!(page(8, 100).await, (pids[8..].to_vec(), 10));
    assert_eq!(page(10, 5).await, (vec![], 10));
    assert_eq!(page(99, 5).await, (vec![], 10));
    assert_eq!(page(0, 0).await, (vec![], 10));
}

/// A hundred thousand children through start, crash, normal exit and
/// terminate: every exit and every terminate costs the same as with one
/// child (children are kept by pid), so this runs in well under a second
/// in release.
#[tokio::test]
async fn a_hundred_thousand_children() {
    const N: usize = 100_000;
    let f = Fakes::new();
    let s = dynamic(&f, spec(u32::MAX, None)).await;
    let mut pids = Vec::with_capacity(N);
    for i in 0..N {
        let restart = if i % 2 == 0 {
            Restart::Permanent
        } else {
            Restart::Transient
        };
        pids.push(start(&s, f.worker("w").restart(restart)).await);
    }
    assert_eq!(s.counts().await, [N, N, 0, N]);
    // A thousand permanent children crash: each is restarted.
    for pid in pids.iter().step_by(2).take(1000) {
        f.exit(*pid, died());
    }
    // A thousand transient children end normally: each is deleted.
    for pid in pids.iter().skip(1).step_by(2).take(1000) {
        f.exit(*pid, ExitReason::Normal);
    }
    assert_eq!(s.counts().await, [N - 1000, N - 1000, 0, N - 1000]);
    // A thousand more are terminated.
    for pid in pids.iter().skip(2001).step_by(2).take(1000) {
        s.sup.terminate_child(*pid).await.expect("terminated");
    }
    assert_eq!(s.counts().await, [N - 2000, N - 2000, 0, N - 2000]);
    assert_eq!(f.alive(), N - 2000);
    assert_eq!(s.children().await.len(), N - 2000);
}

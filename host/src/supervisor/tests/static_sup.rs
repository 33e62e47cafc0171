//! A supervisor with a static child list, beyond the matrix: restart
//! intensity and its window, escalation, failed restarts, start failures,
//! ignore, child administration and shutdown. Each test names the
//! supervisor_SUITE case it ports.

use std::time::Duration;

use super::fake::{Fakes, Note, OnStart};
use crate::process::ExitReason;
use crate::supervisor::{
    ChildError, ChildSpec, ChildStatus, Restart, StartError, Strategy, SupervisorFlags,
    SupervisorSpec, SupervisorStart,
};

const SECOND: Duration = Duration::from_secs(1);

fn died() -> ExitReason {
    ExitReason::Error("died".into())
}

// ===== Restart intensity =====

/// SS one_for_one: {2, 3600}; two restarts are fine, the third exits the
/// supervisor with `shutdown`, its other children stopped.
#[tokio::test]
async fn the_restart_past_the_intensity_stops_the_supervisor() {
    let f = Fakes::new();
    let mut s = f
        .sup(
            Strategy::OneForOne,
            (2, 3600),
            vec![f.worker("c1"), f.worker("c2")],
        )
        .await;
    f.crash("c1", died());
    f.crash("c2", died());
    assert_eq!(s.counts().await, [2, 2, 0, 2]);
    let c2 = f.pid("c2").expect("c2 runs");
    f.crash("c1", died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
    assert!(
        f.log().contains(&Note::Signalled("c2", c2)),
        "c2 is stopped"
    );
    assert_eq!(f.alive(), 0);
}

/// Intensity 0: the first restart is one too many.
#[tokio::test]
async fn intensity_zero_gives_up_at_the_first_exit() {
    let f = Fakes::new();
    let mut s = f
        .sup(Strategy::OneForOne, (0, 5), vec![f.worker("c1")])
        .await;
    f.crash("c1", died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
    assert_eq!(f.starts_of("c1"), 1);
}

/// A group restart counts once, however many children it restarts.
#[tokio::test]
async fn a_group_restart_counts_as_one() {
    let f = Fakes::new();
    let mut s = f
        .sup(
            Strategy::OneForAll,
            (1, 3600),
            vec![f.worker("c1"), f.worker("c2"), f.worker("c3")],
        )
        .await;
    f.crash("c1", died());
    assert_eq!(s.counts().await, [3, 3, 0, 3]);
    f.crash("c2", died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
}

/// The window is inclusive: a restart exactly `max_seconds` after the
/// first still counts with it.
#[tokio::test]
async fn a_restart_at_the_edge_of_the_window_counts() {
    let f = Fakes::new();
    let mut s = f
        .sup(Strategy::OneForOne, (1, 1), vec![f.worker("c1")])
        .await;
    f.crash("c1", died());
    assert_eq!(s.counts().await, [1, 1, 0, 1]);
    f.clock.advance(SECOND);
    f.crash("c1", died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
}

/// SS multiple_restarts: intensity 1 in 1 s, four exits 2.1 s apart: each
/// restart is alone in its window.
#[tokio::test]
async fn restarts_older_than_the_window_are_forgotten() {
    let f = Fakes::new();
    let mut s = f
        .sup(Strategy::OneForOne, (1, 1), vec![f.worker("c1")])
        .await;
    for _ in 0..4 {
        f.crash("c1", died());
        assert_eq!(s.counts().await, [1, 1, 0, 1]);
        f.clock.advance(Duration::from_millis(2100));
    }
    assert_eq!(s.exit_reason().await, None);
    assert_eq!(f.starts_of("c1"), 5);
}

/// Just past the window, the oldest restart no longer counts.
#[tokio::test]
async fn one_millisecond_past_the_window_the_oldest_restart_is_gone() {
    let f = Fakes::new();
    let mut s = f
        .sup(Strategy::OneForOne, (1, 1), vec![f.worker("c1")])
        .await;
    f.crash("c1", died());
    s.children().await;
    f.clock.advance(SECOND + Duration::from_millis(1));
    f.crash("c1", died());
    assert_eq!(s.counts().await, [1, 1, 0, 1]);
    assert_eq!(s.exit_reason().await, None);
}

// ===== Escalation =====

fn nested(f: &std::sync::Arc<Fakes>, restart: Restart) -> ChildSpec {
    let spec = SupervisorSpec {
        id: "s".into(),
        name: None,
        flags: SupervisorFlags {
            strategy: Strategy::OneForOne,
            max_restarts: 0,
            max_seconds: 3600,
        },
        children: vec![f.worker("w")],
    };
    ChildSpec::supervisor("s", SupervisorStart::new(f.supervision.clone(), spec)).restart(restart)
}

/// A child supervisor that gives up exits with `shutdown`; a permanent one
/// is restarted by its parent, fresh, and that counts against the parent.
#[tokio::test]
async fn a_permanent_child_supervisor_that_gives_up_is_restarted() {
    let f = Fakes::new();
    let mut s = f
        .sup(
            Strategy::OneForOne,
            (1, 3600),
            vec![nested(&f, Restart::Permanent)],
        )
        .await;
    let first = s.children().await[0].1;
    let w = f.crash("w", died());
    let children = s.children().await;
    assert_ne!(children[0].1, first, "a new supervisor");
    assert_eq!(children[0].2, ChildStatus::Running);
    assert_ne!(f.pid("w"), Some(w), "with a new worker");
    assert_eq!(s.counts().await, [1, 1, 1, 0]);
    // The parent's own budget: one restart, then it gives up too.
    f.crash("w", died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
}

/// The exit of a supervisor that gave up is `shutdown`, a normal exit: a
/// transient parent spec does not restart it.
#[tokio::test]
async fn a_transient_child_supervisor_that_gives_up_stays_down() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForOne,
            (1, 3600),
            vec![nested(&f, Restart::Transient)],
        )
        .await;
    f.crash("w", died());
    let children = s.children().await;
    assert_eq!(children, [("s".into(), None, ChildStatus::Stopped)]);
    assert_eq!(s.counts().await, [1, 0, 1, 0]);
}

// ===== Failed restarts =====

/// SS one_for_one_escalation: every restart attempt counts, failed ones
/// too; {4, 3600} and a child that cannot start again: four failed
/// attempts, then the fifth is refused and the supervisor exits.
#[tokio::test]
async fn failed_restart_attempts_count_toward_intensity() {
    let f = Fakes::new();
    let mut s = f
        .sup(
            Strategy::OneForOne,
            (4, 3600),
            vec![f.worker("c1"), f.worker("c2")],
        )
        .await;
    f.always_fail("c1");
    f.crash("c1", died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
    assert_eq!(f.starts_of("c1"), 5, "one start, four failed restarts");
    assert_eq!(f.alive(), 0, "c2 was stopped");
}

/// SS one_for_all_other_child_fails_restart: in a group restart c1 starts
/// and c2 fails; the retry stops c1 again and restarts the whole group.
#[tokio::test]
async fn one_for_all_retries_the_whole_group() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForAll,
            (3, 3600),
            vec![f.worker("c1"), f.worker("c2")],
        )
        .await;
    f.script("c2", &[OnStart::Fail]);
    f.crash("c1", died());
    let children = s.settled().await;
    assert!(
        children.iter().all(|c| c.2 == ChildStatus::Running),
        "{children:?}"
    );
    assert_eq!(f.starts_of("c1"), 3, "started, restarted, restarted again");
    assert_eq!(f.starts_of("c2"), 3, "started, failed, started");
    let stopped_again = f
        .log()
        .iter()
        .filter(|n| matches!(n, Note::Exited("c1", _, ExitReason::Shutdown)))
        .count();
    assert_eq!(stopped_again, 1, "the first restart of c1 was stopped");
}

/// SS rest_for_one_other_child_fails_restart: the retry restarts from the
/// failed child on; c1 is not restarted a second time.
#[tokio::test]
async fn rest_for_one_retries_from_the_failed_child() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::RestForOne,
            (3, 3600),
            vec![f.worker("c1"), f.worker("c2")],
        )
        .await;
    f.script("c2", &[OnStart::Fail]);
    f.crash("c1", died());
    let children = s.settled().await;
    assert!(
        children.iter().all(|c| c.2 == ChildStatus::Running),
        "{children:?}"
    );
    assert_eq!(f.starts_of("c1"), 2);
    assert_eq!(f.starts_of("c2"), 3);
}

/// SS hanging_restart_loop: between attempts the supervisor answers: the
/// child shows as restarting (a spec and a worker, not active), a second
/// child with its id is already present, and a shutdown ends the loop.
#[tokio::test]
async fn a_child_in_a_restart_loop_shows_restarting_and_shutdown_ends_it() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForOne,
            (1_000_000, 3600),
            vec![f.worker("c1"), f.worker("c2")],
        )
        .await;
    f.always_fail("c1");
    let c2 = f.pid("c2");
    f.crash("c1", died());
    let children = s.children().await;
    assert_eq!(
        children,
        [
            ("c1".into(), None, ChildStatus::Restarting),
            ("c2".into(), c2, ChildStatus::Running),
        ]
    );
    assert_eq!(s.counts().await, [2, 1, 0, 2]);
    let again = s.sup.start_child(f.worker("c1")).await;
    assert!(matches!(again, Err(ChildError::AlreadyPresent(id)) if id == "c1"));
    s.sup.shutdown().await.expect("the loop ends");
    assert_eq!(f.alive(), 0);
}

// ===== Start =====

/// SS faulty_application_shutdown: a child that fails to start stops those
/// started before it (newest first), and the next is never started.
#[tokio::test]
async fn a_child_that_fails_to_start_stops_the_ones_before_it() {
    let f = Fakes::new();
    f.script("c2", &[OnStart::Fail]);
    let err = f
        .try_sup(
            Strategy::OneForOne,
            (3, 5),
            vec![
                f.worker("c0"),
                f.worker("c1"),
                f.worker("c2"),
                f.worker("c3"),
            ],
        )
        .await
        .err()
        .expect("the start fails");
    assert!(
        matches!(&err, StartError::FailedToStartChild { id, .. } if id == "c2"),
        "{err}"
    );
    let log = f.log();
    let order: Vec<&str> = log
        .iter()
        .filter_map(|n| match n {
            Note::Started(id, _) => Some(*id),
            Note::Signalled(id, _) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["c0", "c1", "c1", "c0"]);
    assert_eq!(f.starts_of("c3"), 0);
    assert_eq!(f.alive(), 0);
}

/// SS sup_start_ignore_child and sup_start_ignore_temporary_child: a
/// permanent child that returns ignore is kept, undefined; a temporary one
/// is dropped.
#[tokio::test]
async fn ignore_keeps_a_permanent_child_undefined_and_drops_a_temporary_one() {
    let f = Fakes::new();
    f.script("c1", &[OnStart::Ignore]);
    f.script("c3", &[OnStart::Ignore]);
    let s = f
        .sup(
            Strategy::OneForOne,
            (3, 5),
            vec![
                f.worker("c1"),
                f.worker("c2"),
                f.worker("c3").restart(Restart::Temporary),
            ],
        )
        .await;
    let c2 = f.pid("c2");
    assert_eq!(
        s.children().await,
        [
            ("c1".into(), None, ChildStatus::Undefined),
            ("c2".into(), c2, ChildStatus::Running),
        ]
    );
    assert_eq!(s.counts().await, [2, 1, 0, 2]);
}

/// SS child_adm, sup_start_child_returns_error: start_child on a static
/// supervisor.
#[tokio::test]
async fn start_child_adds_refuses_and_forgets() {
    let f = Fakes::new();
    let s = f
        .sup(Strategy::OneForOne, (3, 5), vec![f.worker("c1")])
        .await;
    let dup = s.sup.start_child(f.worker("c1")).await;
    assert!(
        matches!(dup, Err(ChildError::AlreadyStarted { .. })),
        "{dup:?}"
    );
    let c4 = s.sup.start_child(f.worker("c4")).await.expect("c4 starts");
    assert_eq!(c4, f.pid("c4"));
    f.script("c5", &[OnStart::Fail]);
    let failed = s.sup.start_child(f.worker("c5")).await;
    assert!(
        matches!(failed, Err(ChildError::StartFailed(_))),
        "{failed:?}"
    );
    f.script("c6", &[OnStart::Ignore]);
    let ignored = s
        .sup
        .start_child(f.worker("c6").restart(Restart::Temporary))
        .await;
    assert!(matches!(ignored, Ok(None)));
    f.script("c7", &[OnStart::Ignore]);
    assert!(matches!(s.sup.start_child(f.worker("c7")).await, Ok(None)));
    let ids: Vec<String> = s.children().await.into_iter().map(|c| c.0).collect();
    assert_eq!(ids, ["c1", "c4", "c7"]);
    assert_eq!(s.counts().await, [3, 2, 0, 3]);
}

/// terminate_child: a permanent child's spec is kept, stopped; a
/// temporary one is forgotten; an unknown pid is not found.
#[tokio::test]
async fn terminate_child_keeps_permanent_specs_and_forgets_temporary_ones() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForOne,
            (3, 5),
            vec![f.worker("c1"), f.worker("t").restart(Restart::Temporary)],
        )
        .await;
    let c1 = f.pid("c1").expect("c1 runs");
    let t = f.pid("t").expect("t runs");
    s.sup.terminate_child(c1).await.expect("c1 stops");
    s.sup.terminate_child(t).await.expect("t stops");
    assert_eq!(
        s.children().await,
        [("c1".into(), None, ChildStatus::Stopped)]
    );
    assert_eq!(s.counts().await, [1, 0, 0, 1]);
    let again = s.sup.terminate_child(c1).await;
    assert!(
        matches!(again, Err(ChildError::NotFound(p)) if p == c1),
        "{again:?}"
    );
    assert_eq!(f.alive(), 0);
}

// ===== Restart details =====

/// SS temporary_bystander: a temporary child stopped by a group restart is
/// forgotten, not restarted.
#[tokio::test]
async fn temporary_bystanders_are_forgotten() {
    for strategy in [Strategy::OneForAll, Strategy::RestForOne] {
        let f = Fakes::new();
        let mut s = f
            .sup(
                strategy,
                (2, 300),
                vec![f.worker("c1"), f.worker("c2").restart(Restart::Temporary)],
            )
            .await;
        f.crash("c1", ExitReason::Normal);
        let children = s.children().await;
        assert_eq!(children.len(), 1, "{strategy:?}: {children:?}");
        assert_eq!(children[0].0, "c1");
        assert_eq!(f.starts_of("c2"), 1, "{strategy:?}: c2 not restarted");
        assert_eq!(s.exit_reason().await, None);
    }
}

/// SS tree: a group restart also starts a non-temporary child that was
/// stopped before.
#[tokio::test]
async fn a_group_restart_starts_stopped_children_too() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForAll,
            (3, 3600),
            vec![f.worker("c1"), f.worker("c2").restart(Restart::Transient)],
        )
        .await;
    f.crash("c2", ExitReason::Normal);
    assert_eq!(s.children().await[1].2, ChildStatus::Stopped);
    f.crash("c1", died());
    let children = s.children().await;
    assert!(
        children.iter().all(|c| c.2 == ChildStatus::Running),
        "{children:?}"
    );
}

/// SS order_of_children: rest_for_one stops the later children newest
/// first, then starts them in order.
#[tokio::test]
async fn rest_for_one_stops_newest_first_and_starts_in_order() {
    let f = Fakes::new();
    let ids = ["ch7", "ch3", "ch10", "ch2", "ch5"];
    let s = f
        .sup(
            Strategy::RestForOne,
            (3, 3600),
            ids.iter().map(|id| f.worker(id)).collect(),
        )
        .await;
    f.clear_log();
    f.crash("ch10", died());
    s.children().await;
    let order: Vec<String> = f
        .log()
        .iter()
        .filter_map(|n| match n {
            Note::Signalled(id, _) => Some(format!("stop {id}")),
            Note::Started(id, _) => Some(format!("start {id}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            "stop ch5",
            "stop ch2",
            "start ch10",
            "start ch2",
            "start ch5"
        ]
    );
    let infos = s.sup.which_children().await.expect("children");
    let restarts: Vec<u32> = infos.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [0, 0, 1, 1, 1]);
}

/// A second notice for a child that already exited (a late duplicate)
/// changes nothing: no restart, nothing counted.
#[tokio::test]
async fn a_stale_exit_notice_is_ignored() {
    let f = Fakes::new();
    let mut s = f
        .sup(Strategy::OneForOne, (1, 5), vec![f.worker("c1")])
        .await;
    let first = f.crash("c1", died());
    s.children().await;
    f.notice(first, died());
    assert_eq!(s.counts().await, [1, 1, 0, 1]);
    assert_eq!(f.starts_of("c1"), 2);
    assert_eq!(s.exit_reason().await, None);
}

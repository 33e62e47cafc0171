//! Every strategy × restart type × exit reason (supervisor_SUITE's
//! `permanent_normal`, `transient_shutdown`, `temporary_abnormal`, and the
//! strategies' `one_for_one`, `one_for_all`, `rest_for_one`): three
//! children c1, c2, c3; c2 exits; who is restarted, who is stopped, in
//! what order, and what the supervisor reports after.
//!
//! What OTP does (`otp-semantics.md` §1.2, §1.3):
//!
//! | exit reason | permanent | transient | temporary |
//! |---|---|---|---|
//! | normal, shutdown, {shutdown, _} | restarted | kept, stopped | forgotten |
//! | abnormal, killed | restarted | restarted | forgotten |
//!
//! A restart stops and restarts: nothing else (one_for_one), every other
//! child newest first (one_for_all), or the children after it newest first
//! (rest_for_one); then starts them in order.

use super::fake::{Fakes, Note};
use crate::process::ExitReason;
use crate::supervisor::{ChildStatus, Restart, Strategy};

/// What happens to c2.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// Restarted, with its group per the strategy.
    Restarted,
    /// Not restarted; its spec is kept, stopped (a transient child).
    Stopped,
    /// Not restarted, and forgotten (a temporary child).
    Forgotten,
}

fn normal() -> ExitReason {
    ExitReason::Normal
}
fn shutdown() -> ExitReason {
    ExitReason::Shutdown
}
fn shutdown_with() -> ExitReason {
    ExitReason::ShutdownWith("info".into())
}
fn abnormal() -> ExitReason {
    ExitReason::Error("died".into())
}
fn killed() -> ExitReason {
    ExitReason::Killed
}

async fn case(strategy: Strategy, restart: Restart, reason: ExitReason, outcome: Outcome) {
    let f = Fakes::new();
    let s = f
        .sup(
            strategy,
            (10, 3600),
            vec![
                f.worker("c1"),
                f.worker("c2").restart(restart),
                f.worker("c3"),
            ],
        )
        .await;
    let [c1, c2, c3] = ["c1", "c2", "c3"].map(|id| f.pid(id).expect("started"));
    f.clear_log();
    f.crash("c2", reason.clone());
    let children = s.children().await;
    let log = f.log();
    match outcome {
        Outcome::Stopped | Outcome::Forgotten => {
            assert_eq!(
                log,
                [Note::Exited("c2", c2, reason)],
                "nothing else happens"
            );
            assert_eq!((f.pid("c1"), f.pid("c3")), (Some(c1), Some(c3)));
            if outcome == Outcome::Stopped {
                assert_eq!(
                    children,
                    [
                        ("c1".into(), Some(c1), ChildStatus::Running),
                        ("c2".into(), None, ChildStatus::Stopped),
                        ("c3".into(), Some(c3), ChildStatus::Running),
                    ]
                );
                assert_eq!(s.counts().await, [3, 2, 0, 3]);
            } else {
                assert_eq!(
                    children,
                    [
                        ("c1".into(), Some(c1), ChildStatus::Running),
                        ("c3".into(), Some(c3), ChildStatus::Running),
                    ]
                );
                assert_eq!(s.counts().await, [2, 2, 0, 2]);
            }
        }
        Outcome::Restarted => {
            let [n1, n2, n3] = ["c1", "c2", "c3"].map(|id| f.pid(id).expect("running"));
            assert_ne!(n2, c2, "c2 has a new pid");
            let (stopped, started): (&[(&str, _)], &[&str]) = match strategy {
                Strategy::OneForOne => (&[], &["c2"]),
                Strategy::OneForAll => (&[("c3", c3), ("c1", c1)], &["c1", "c2", "c3"]),
                Strategy::RestForOne => (&[("c3", c3)], &["c2", "c3"]),
            };
            let mut expected = vec![Note::Exited("c2", c2, reason)];
            for (id, pid) in stopped {
                expected.push(Note::Signalled(id, *pid));
                expected.push(Note::Exited(id, *pid, ExitReason::Shutdown));
            }
            for id in started {
                let now = f.pid(id).expect("running");
                expected.push(Note::Started(id, now));
            }
            assert_eq!(log, expected);
            assert_eq!(n1 != c1, strategy == Strategy::OneForAll, "c1 restarted?");
            assert_eq!(n3 != c3, strategy != Strategy::OneForOne, "c3 restarted?");
            assert_eq!(
                children,
                [
                    ("c1".into(), Some(n1), ChildStatus::Running),
                    ("c2".into(), Some(n2), ChildStatus::Running),
                    ("c3".into(), Some(n3), ChildStatus::Running),
                ]
            );
            assert_eq!(s.counts().await, [3, 3, 0, 3]);
        }
    }
}

macro_rules! matrix {
    ($($name:ident: $strategy:ident, $restart:ident, $reason:ident => $outcome:ident;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                case(
                    Strategy::$strategy,
                    Restart::$restart,
                    $reason(),
                    Outcome::$outcome,
                )
                .await;
            }
        )*
    };
}

matrix! {
    one_for_one_permanent_normal: OneForOne, Permanent, normal => Restarted;
    one_for_one_permanent_shutdown: OneForOne, Permanent, shutdown => Restarted;
    one_for_one_permanent_shutdown_with: OneForOne, Permanent, shutdown_with => Restarted;
    one_for_one_permanent_abnormal: OneForOne, Permanent, abnormal => Restarted;
    one_for_one_permanent_killed: OneForOne, Permanent, killed => Restarted;
    one_for_one_transient_normal: OneForOne, Transient, normal => Stopped;
    one_for_one_transient_shutdown: OneForOne, Transient, shutdown => Stopped;
    one_for_one_transient_shutdown_with: OneForOne, Transient, shutdown_with => Stopped;
    one_for_one_transient_abnormal: OneForOne, Transient, abnormal => Restarted;
    one_for_one_transient_killed: OneForOne, Transient, killed => Restarted;
    one_for_one_temporary_normal: OneForOne, Temporary, normal => Forgotten;
    one_for_one_temporary_shutdown: OneForOne, Temporary, shutdown => Forgotten;
    one_for_one_temporary_shutdown_with: OneForOne, Temporary, shutdown_with => Forgotten;
    one_for_one_temporary_abnormal: OneForOne, Temporary, abnormal => Forgotten;
    one_for_one_temporary_killed: OneForOne, Temporary, killed => Forgotten;

    one_for_all_permanent_normal: OneForAll, Permanent, normal => Restarted;
    one_for_all_permanent_shutdown: OneForAll, Permanent, shutdown => Restarted;
    one_for_all_permanent_shutdown_with: OneForAll, Permanent, shutdown_with => Restarted;
    one_for_all_permanent_abnormal: OneForAll, Permanent, abnormal => Restarted;
    one_for_all_permanent_killed: OneForAll, Permanent, killed => Restarted;
    one_for_all_transient_normal: OneForAll, Transient, normal => Stopped;
    one_for_all_transient_shutdown: OneForAll, Transient, shutdown => Stopped;
    one_for_all_transient_shutdown_with: OneForAll, Transient, shutdown_with => Stopped;
    one_for_all_transient_abnormal: OneForAll, Transient, abnormal => Restarted;
    one_for_all_transient_killed: OneForAll, Transient, killed => Restarted;
    one_for_all_temporary_normal: OneForAll, Temporary, normal => Forgotten;
    one_for_all_temporary_shutdown: OneForAll, Temporary, shutdown => Forgotten;
    one_for_all_temporary_shutdown_with: OneForAll, Temporary, shutdown_with => Forgotten;
    one_for_all_temporary_abnormal: OneForAll, Temporary, abnormal => Forgotten;
    one_for_all_temporary_killed: OneForAll, Temporary, killed => Forgotten;

    rest_for_one_permanent_normal: RestForOne, Permanent, normal => Restarted;
    rest_for_one_permanent_shutdown: RestForOne, Permanent, shutdown => Restarted;
    rest_for_one_permanent_shutdown_with: RestForOne, Permanent, shutdown_with => Restarted;
    rest_for_one_permanent_abnormal: RestForOne, Permanent, abnormal => Restarted;
    rest_for_one_permanent_killed: RestForOne, Permanent, killed => Restarted;
    rest_for_one_transient_normal: RestForOne, Transient, normal => Stopped;
    rest_for_one_transient_shutdown: RestForOne, Transient, shutdown => Stopped;
    rest_for_one_transient_shutdown_with: RestForOne, Transient, shutdown_with => Stopped;
    rest_for_one_transient_abnormal: RestForOne, Transient, abnormal => Restarted;
    rest_for_one_transient_killed: RestForOne, Transient, killed => Restarted;
    rest_for_one_temporary_normal: RestForOne, Temporary, normal => Forgotten;
    rest_for_one_temporary_shutdown: RestForOne, Temporary, shutdown => Forgotten;
    rest_for_one_temporary_shutdown_with: RestForOne, Temporary, shutdown_with => Forgotten;
    rest_for_one_temporary_abnormal: RestForOne, Temporary, abnormal => Forgotten;
    rest_for_one_temporary_killed: RestForOne, Temporary, killed => Forgotten;
}

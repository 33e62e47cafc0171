//! How a supervisor stops its children: newest first, each by its own
//! shutdown, each keeping its own exit reason (supervisor_SUITE's
//! `order_of_children`, `sup_stop_*`).

use std::time::Duration;

use super::fake::{Fakes, Note, OnShutdown};
use crate::process::ExitReason;
use crate::supervisor::{Shutdown, Strategy};

/// SS order_of_children: stopping the supervisor stops 5, 4, 3, 2, 1.
#[tokio::test]
async fn shutdown_stops_children_newest_first() {
    let f = Fakes::new();
    let ids = ["c1", "c2", "c3", "c4", "c5"];
    let s = f
        .sup(
            Strategy::OneForOne,
            (3, 5),
            ids.iter().map(|id| f.worker(id)).collect(),
        )
        .await;
    f.clear_log();
    s.sup.shutdown().await.expect("stops");
    let order: Vec<&str> = f
        .log()
        .iter()
        .filter_map(|n| match n {
            Note::Signalled(id, _) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["c5", "c4", "c3", "c2", "c1"]);
}

/// SS sup_stop_brutal_kill, sup_stop_timeout, sup_stop_infinity: each
/// child is stopped by its own shutdown.
#[tokio::test]
async fn each_child_stops_by_its_shutdown() {
    let f = Fakes::new();
    f.on_shutdown("stuck", OnShutdown::Hang);
    f.on_shutdown("slow", OnShutdown::Slow(Duration::from_millis(10)));
    let s = f
        .sup(
            Strategy::OneForOne,
            (3, 5),
            vec![
                f.worker("brutal").shutdown(Shutdown::BrutalKill),
                f.worker("stuck")
                    .shutdown(Shutdown::Timeout(Duration::from_millis(20))),
                f.worker("polite"),
                f.worker("slow").shutdown(Shutdown::Infinity),
            ],
        )
        .await;
    let pid = |id| f.pid(id).expect("running");
    let (brutal, stuck, polite, slow) = (pid("brutal"), pid("stuck"), pid("polite"), pid("slow"));
    f.clear_log();
    s.sup.shutdown().await.expect("stops");
    assert_eq!(
        f.log(),
        [
            Note::Signalled("slow", slow),
            Note::Exited("slow", slow, ExitReason::Shutdown),
            Note::Signalled("polite", polite),
            Note::Exited("polite", polite, ExitReason::Shutdown),
            Note::Signalled("stuck", stuck),
            Note::Killed("stuck", stuck),
            Note::Exited("stuck", stuck, ExitReason::Killed),
            Note::Killed("brutal", brutal),
            Note::Exited("brutal", brutal, ExitReason::Killed),
        ]
    );
}

/// SS sup_stop_race: a child that exits its own way while being stopped
/// keeps its reason, and the stop goes on.
#[tokio::test]
async fn a_child_stopping_its_own_way_keeps_its_reason() {
    let f = Fakes::new();
    let reason = ExitReason::ShutdownWith("test".into());
    f.on_shutdown("c1", OnShutdown::ExitWith(reason.clone()));
    let s = f
        .sup(
            Strategy::OneForOne,
            (3, 5),
            vec![f.worker("c1"), f.worker("c2")],
        )
        .await;
    let c1 = f.pid("c1").expect("c1 runs");
    s.sup.shutdown().await.expect("stops");
    assert!(f.log().contains(&Note::Exited("c1", c1, reason)));
    assert_eq!(f.alive(), 0);
}

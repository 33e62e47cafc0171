//! A static supervisor changing its own spec while it runs (what `overseer
//! apply` asks of it, as OTP's release handler does through a supervisor's
//! `code_change`): children inserted in place, replaced (and put back when
//! the new one fails), updated in place, removed; new flags.

use super::fake::{Fakes, OnStart};
use crate::process::ExitReason;
use crate::supervisor::{
    ChildError, ChildStatus, Restart, Shutdown, SpecChange, Strategy, SupervisorFlags,
};

fn ids(children: &[(String, Option<crate::process::Pid>, ChildStatus)]) -> Vec<&str> {
    children.iter().map(|c| c.0.as_str()).collect()
}

/// An inserted child starts in its place in start order (first, or after
/// a sibling), so rest_for_one and shutdown order follow the manifest; a
/// duplicate id is already_present and an unknown sibling not_found.
#[tokio::test]
async fn an_inserted_child_takes_its_place_in_start_order() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::RestForOne,
            (3, 5),
            vec![f.worker("a"), f.worker("c")],
        )
        .await;
    let b = s
        .sup
        .change_spec(SpecChange::Insert {
            after: Some("a".into()),
            spec: f.worker("b"),
        })
        .await
        .expect("b starts");
    assert_eq!(b, f.pid("b"));
    s.sup
        .change_spec(SpecChange::Insert {
            after: None,
            spec: f.worker("z"),
        })
        .await
        .expect("z starts");
    assert_eq!(ids(&s.children().await), ["z", "a", "b", "c"]);
    let dup = s
        .sup
        .change_spec(SpecChange::Insert {
            after: None,
            spec: f.worker("b"),
        })
        .await;
    assert!(matches!(dup, Err(ChildError::AlreadyPresent(_))), "{dup:?}");
    let lost = s
        .sup
        .change_spec(SpecChange::Insert {
            after: Some("nope".into()),
            spec: f.worker("d"),
        })
        .await;
    assert!(
        matches!(&lost, Err(ChildError::NoSuchId(id)) if id == "nope"),
        "{lost:?}"
    );
    // rest_for_one: b's crash restarts b and c, not z or a.
    let (z, a, c) = (f.pid("z"), f.pid("a"), f.pid("c"));
    f.crash("b", ExitReason::Error("died".into()));
    s.settled().await;
    assert_eq!((f.pid("z"), f.pid("a")), (z, a));
    assert_ne!(f.pid("c"), c);
}

/// An inserted child that fails to start is not kept.
#[tokio::test]
async fn an_inserted_child_that_fails_is_not_kept() {
    let f = Fakes::new();
    let s = f
        .sup(Strategy::OneForOne, (3, 5), vec![f.worker("a")])
        .await;
    f.always_fail("b");
    let failed = s
        .sup
        .change_spec(SpecChange::Insert {
            after: Some("a".into()),
            spec: f.worker("b"),
        })
        .await;
    assert!(
        matches!(failed, Err(ChildError::StartFailed(_))),
        "{failed:?}"
    );
    assert_eq!(ids(&s.children().await), ["a"]);
}

/// A replaced child is stopped and its new spec started in the same place;
/// when the new one fails to start, the old spec is back and running.
#[tokio::test]
async fn a_replaced_child_keeps_its_place_and_goes_back_when_it_fails() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForOne,
            (3, 5),
            vec![f.worker("a"), f.worker("b")],
        )
        .await;
    let a = f.pid("a");
    let replaced = s
        .sup
        .change_spec(SpecChange::Replace(
            f.worker("a").restart(Restart::Transient),
        ))
        .await
        .expect("replaced");
    assert!(
        replaced.is_some() && replaced != a,
        "a new pid: {replaced:?}"
    );
    assert_eq!(ids(&s.children().await), ["a", "b"]);
    // The new spec is in force: a transient child that ends normally stays
    // down.
    f.crash("a", ExitReason::Normal);
    let children = s.settled().await;
    assert_eq!(children[0].2, ChildStatus::Stopped, "{children:?}");

    let b = f.pid("b");
    f.script("b", &[OnStart::Fail]);
    let failed = s.sup.change_spec(SpecChange::Replace(f.worker("b"))).await;
    assert!(
        matches!(failed, Err(ChildError::StartFailed(_))),
        "{failed:?}"
    );
    let children = s.children().await;
    assert_eq!(ids(&children), ["a", "b"]);
    assert_eq!(children[1].2, ChildStatus::Running, "the old b runs again");
    assert_ne!(f.pid("b"), b);
}

/// An update changes restart and shutdown without a restart; a removed
/// child is stopped and forgotten; new flags take effect.
#[tokio::test]
async fn updates_removals_and_flags_take_effect_in_place() {
    let f = Fakes::new();
    let s = f
        .sup(
            Strategy::OneForOne,
            (1, 5),
            vec![f.worker("a"), f.worker("b")],
        )
        .await;
    let a = f.pid("a");
    let kept = s
        .sup
        .change_spec(SpecChange::Update {
            id: "a".into(),
            restart: Restart::Temporary,
            shutdown: Shutdown::BrutalKill,
        })
        .await
        .expect("updated");
    assert_eq!(kept, a, "the same process");
    f.crash("a", ExitReason::Error("died".into()));
    assert_eq!(ids(&s.settled().await), ["b"], "temporary: not restarted");

    s.sup
        .change_spec(SpecChange::Remove("b".into()))
        .await
        .expect("removed");
    assert_eq!(s.counts().await, [0, 0, 0, 0]);
    assert_eq!(f.alive(), 0);
    let gone = s.sup.change_spec(SpecChange::Remove("b".into())).await;
    assert!(matches!(gone, Err(ChildError::NoSuchId(_))), "{gone:?}");

    s.sup
        .change_spec(SpecChange::Flags(SupervisorFlags {
            strategy: Strategy::OneForAll,
            max_restarts: 5,
            max_seconds: 60,
        }))
        .await
        .expect("flags");
    let fill = s.sup.intensity().await.expect("intensity");
    assert_eq!((fill.max_restarts, fill.period.as_secs()), (5, 60));
    for id in ["c", "d"] {
        s.sup
            .change_spec(SpecChange::Insert {
                after: None,
                spec: f.worker(id),
            })
            .await
            .expect("starts");
    }
    let c = f.pid("c");
    f.crash("d", ExitReason::Error("died".into()));
    s.settled().await;
    assert_ne!(f.pid("c"), c, "one_for_all now");
}

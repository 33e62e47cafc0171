//! A static supervisor's children by id: `terminate_child`,
//! `restart_child`, `delete_child` and `start_child`, with OTP's answers
//! (`already_started`, `already_present`, `running`, `restarting`,
//! `not_found`). Each test names the supervisor_SUITE case it ports.

use super::fake::Fakes;
use crate::process::{ExitReason, Processes};
use crate::supervisor::{ChildError, ChildStatus, DynamicSupervisorSpec, Strategy, Supervision};

fn died() -> ExitReason {
    ExitReason::Error("died".into())
}

/// SS child_adm: start_child with a running child's spec is
/// already_started; terminate_child by id keeps the spec (twice is fine);
/// start_child is then already_present; restart_child starts it again,
/// and again is running; delete_child while running is running; once
/// terminated it deletes, and then it is not_found.
#[tokio::test]
async fn children_by_id_answer_as_otp() {
    let f = Fakes::new();
    let s = f
        .sup(Strategy::OneForOne, (3, 5), vec![f.worker("c1")])
        .await;
    let c1 = f.pid("c1").expect("c1 runs");
    let dup = s.sup.start_child(f.worker("c1")).await;
    assert!(
        matches!(&dup, Err(ChildError::AlreadyStarted { id, pid }) if id == "c1" && *pid == c1),
        "{dup:?}"
    );
    s.sup.terminate_child_by_id("c1").await.expect("c1 stops");
    s.sup
        .terminate_child_by_id("c1")
        .await
        .expect("twice is fine");
    assert_eq!(s.counts().await, [1, 0, 0, 1]);
    let present = s.sup.start_child(f.worker("c1")).await;
    assert!(
        matches!(present, Err(ChildError::AlreadyPresent(_))),
        "{present:?}"
    );
    let again = s.sup.restart_child("c1").await.expect("restarts");
    assert!(again.is_some() && again != Some(c1), "a new pid: {again:?}");
    let running = s.sup.restart_child("c1").await;
    assert!(
        matches!(&running, Err(ChildError::Running(id)) if id == "c1"),
        "{running:?}"
    );
    let running = s.sup.delete_child("c1").await;
    assert!(
        matches!(running, Err(ChildError::Running(_))),
        "{running:?}"
    );
    s.sup.terminate_child_by_id("c1").await.expect("stops");
    s.sup.delete_child("c1").await.expect("deleted");
    assert_eq!(s.counts().await, [0, 0, 0, 0]);
    for result in [
        s.sup.restart_child("c1").await.map(|_| ()),
        s.sup.delete_child("c1").await,
        s.sup.terminate_child_by_id("c1").await,
    ] {
        assert!(
            matches!(&result, Err(ChildError::NoSuchId(id)) if id == "c1"),
            "{result:?}"
        );
    }
    assert_eq!(f.alive(), 0);
}

/// SS hanging_restart_loop: a child whose restart keeps failing is
/// restarting to restart_child and delete_child; terminate_child stops the
/// loop and leaves it stopped. SS sup_start_restart_child_returns_error:
/// a restart_child whose start fails leaves the child stopped.
#[tokio::test]
async fn a_restarting_child_is_restarting_until_terminated() {
    let f = Fakes::new();
    let s = f
        .sup(Strategy::OneForOne, (1_000_000, 3600), vec![f.worker("c1")])
        .await;
    f.always_fail("c1");
    f.crash("c1", died());
    assert_eq!(s.children().await[0].2, ChildStatus::Restarting);
    let busy = s.sup.restart_child("c1").await;
    assert!(matches!(busy, Err(ChildError::Restarting(_))), "{busy:?}");
    let busy = s.sup.delete_child("c1").await;
    assert!(matches!(busy, Err(ChildError::Restarting(_))), "{busy:?}");
    s.sup
        .terminate_child_by_id("c1")
        .await
        .expect("the loop stops");
    assert_eq!(
        s.children().await,
        [("c1".into(), None, ChildStatus::Stopped)]
    );
    let failed = s.sup.restart_child("c1").await;
    assert!(
        matches!(failed, Err(ChildError::StartFailed(_))),
        "{failed:?}"
    );
    assert_eq!(s.children().await[0].2, ChildStatus::Stopped);
}

/// SS child_adm_simple: a DynamicSupervisor's children have no ids.
#[tokio::test]
async fn a_dynamic_supervisor_refuses_ids() {
    let supervision = Supervision::new(Processes::new(10, u64::MAX));
    let Ok((dynamic, _)) = supervision
        .start_dynamic(&DynamicSupervisorSpec::default(), None)
        .await
    else {
        panic!("a dynamic supervisor starts");
    };
    let refused = dynamic.restart_child("c1").await;
    assert!(
        matches!(refused, Err(ChildError::NotSupported(_))),
        "{refused:?}"
    );
}

//! A pool supervises its workers: dead ones are replaced under restart
//! intensity, and a worker that cannot start makes the pool give up as a
//! supervisor does, never loop or shrink in silence.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::fake::{Fakes, Note, OnStart, Sup};
use crate::process::{Event, ExitReason};
use crate::supervisor::{PoolError, PoolRef, PoolSpec, PoolStatus, PoolStrategy, StartError};

const SECOND: Duration = Duration::from_secs(1);

fn died() -> ExitReason {
    ExitReason::Error("died".into())
}

fn pool_spec(f: &Arc<Fakes>, size: usize, max_restarts: u32) -> PoolSpec {
    PoolSpec {
        name: "p".into(),
        worker: f.start("w"),
        size,
        max_overflow: 0,
        strategy: PoolStrategy::Lifo,
        max_restarts,
        max_seconds: 3600,
    }
}

async fn pool(f: &Arc<Fakes>, size: usize, max_restarts: u32) -> (Sup, PoolRef) {
    let (tx, exits) = mpsc::unbounded_channel();
    let (sup, _abort) = f
        .supervision
        .start_pool(pool_spec(f, size, max_restarts), Some(tx))
        .await
        .expect("the pool starts");
    let pool = f.supervision.pool("p").expect("found by name");
    (Sup { sup, exits }, pool)
}

fn idle(n: usize) -> PoolStatus {
    PoolStatus {
        idle: n,
        checked_out: 0,
        overflow: 0,
        waiting: 0,
    }
}

/// A worker that dies is replaced; the pool keeps its size.
#[tokio::test]
async fn a_dead_worker_is_replaced() {
    let f = Fakes::new();
    let (s, pool) = pool(&f, 3, 3).await;
    let w = pool.checkout(None, false, SECOND).await.expect("a worker");
    f.exit(w, died());
    assert_eq!(s.counts().await, [3, 3, 0, 3]);
    assert_eq!(
        pool.status().await,
        Ok(PoolStatus {
            idle: 3,
            checked_out: 0,
            overflow: 0,
            waiting: 0,
        })
    );
    assert_eq!(f.alive(), 3);
}

/// More replacements than the intensity allows: the pool stops its
/// workers, tells its waiters, says so, and exits with `shutdown`.
#[tokio::test]
async fn replacements_past_the_intensity_make_the_pool_give_up() {
    let f = Fakes::new();
    let mut events = f.supervision.processes().events().subscribe();
    let (mut s, pool) = pool(&f, 1, 2).await;
    let held = pool.checkout(None, true, SECOND).await.expect("the worker");
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.checkout(None, true, Duration::from_secs(5)).await })
    };
    // The waiter is queued before the worker dies.
    while pool.status().await.map(|s| s.waiting) != Ok(1) {
        tokio::task::yield_now().await;
    }
    f.exit(held, died());
    let handed = waiter.await.expect("the waiter");
    let replacement = handed.expect("the replacement goes to the waiter");
    f.exit(replacement, died());
    assert_eq!(pool.status().await, Ok(idle(1)));
    let last = f.pid("w").expect("a worker");
    f.exit(last, died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
    assert_eq!(f.alive(), 0);
    assert!(matches!(pool.status().await, Err(PoolError::NoPool(_))));
    assert!(
        f.supervision.pool("p").is_none(),
        "not found by name once gone"
    );
    let mut gave_up = false;
    while let Ok(event) = events.try_recv() {
        if let Event::RestartIntensityReached { supervisor, .. } = &*event {
            gave_up |= supervisor == "p";
        }
    }
    assert!(gave_up, "the give-up is an event");
}

/// A worker that cannot start again: each failed attempt counts and is
/// tried again, until the pool gives up; it never runs one worker short
/// in silence, nor retries for ever.
#[tokio::test]
async fn a_worker_that_cannot_start_makes_the_pool_give_up() {
    let f = Fakes::new();
    let mut events = f.supervision.processes().events().subscribe();
    let (mut s, _pool) = pool(&f, 2, 3).await;
    f.always_fail("w");
    let w = f.pid("w").expect("a worker");
    f.exit(w, died());
    assert_eq!(s.exit_reason().await, Some(ExitReason::Shutdown));
    assert_eq!(
        f.starts_of("w"),
        2 + 3,
        "two workers, then three failed attempts"
    );
    let failed = f
        .log()
        .iter()
        .filter(|n| matches!(n, Note::StartFailed("w")))
        .count();
    assert_eq!(failed, 3);
    let mut reported = 0;
    while let Ok(event) = events.try_recv() {
        if let Event::ChildStartFailed { supervisor, .. } = &*event {
            assert_eq!(supervisor, "p");
            reported += 1;
        }
    }
    assert_eq!(reported, 3, "every failed start is an event");
    assert_eq!(f.alive(), 0);
}

/// A worker that fails while the pool starts fails the pool's start, and
/// the workers started before it are stopped.
#[tokio::test]
async fn a_worker_that_fails_at_start_fails_the_pool() {
    let f = Fakes::new();
    f.script("w", &[OnStart::Ok, OnStart::Fail]);
    let started = f.supervision.start_pool(pool_spec(&f, 3, 3), None).await;
    let Err(err) = started else {
        panic!("the pool should not start")
    };
    assert!(
        matches!(&err, StartError::FailedToStartChild { id, .. } if id == "p"),
        "{err}"
    );
    assert_eq!(f.alive(), 0);
    assert!(f.supervision.pool("p").is_none());
}

//! A callback's wall-clock bound. The epoch ends a callback that computes
//! past its CPU deadline, but not one blocked inside the host on the
//! guest's behalf (a WASI sleep, a read): the watchdog ends those.
//! Waits the host excludes from the deadline (a call to another process,
//! a supervisor request) pause it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use super::coarse_clock;
use crate::sandbox::DeadlineExceeded;

/// Past the deadline, how long the watchdog leaves the epoch (which ends a
/// computing guest with its stack) to act first.
const GRACE: Duration = Duration::from_millis(100);

/// No deadline: the guest waits on the host's own business.
const PAUSED: u64 = u64::MAX;

/// When the running callback must be over, shared between the Store (which
/// moves it) and the watchdog (which reads it).
#[derive(Debug, Clone)]
pub(crate) struct WallDeadline(Arc<AtomicU64>);

impl Default for WallDeadline {
    fn default() -> Self {
        WallDeadline(Arc::new(AtomicU64::new(PAUSED)))
    }
}

impl WallDeadline {
    /// The callback must be over at `at_ns`, on the coarse clock.
    pub(crate) fn set(&self, at_ns: u64) {
        self.0.store(at_ns.min(PAUSED - 1), Ordering::Relaxed);
    }

    /// The guest waits on something the deadline does not count.
    pub(crate) fn pause(&self) {
        self.0.store(PAUSED, Ordering::Relaxed);
    }

    /// When the epoch's grace past the deadline is over, on the coarse
    /// clock; None while paused.
    fn grace_over(&self) -> Option<u64> {
        match self.0.load(Ordering::Relaxed) {
            PAUSED => None,
            at_ns => Some(at_ns.saturating_add(coarse_clock::nanos(GRACE))),
        }
    }
}

/// Run `call` (one callback into the guest) until it ends or its
/// `deadline` passes; then it is dropped, which unwinds the guest, and the
/// callback fails with [`DeadlineExceeded`] for `limit`.
pub(crate) async fn bounded<T>(
    call: impl Future<Output = wasmtime::Result<T>>,
    deadline: &WallDeadline,
    limit: Duration,
) -> wasmtime::Result<T> {
    let mut call = std::pin::pin!(call);
    // Most callbacks end in their first poll: they need no timer.
    let first = std::future::poll_fn(|cx| match call.as_mut().poll(cx) {
        Poll::Ready(out) => Poll::Ready(Some(out)),
        Poll::Pending => Poll::Ready(None),
    })
    .await;
    if let Some(out) = first {
        return out;
    }
    loop {
        // Paused: look again a deadline's length later.
        let check_in = deadline.grace_over().map_or(limit, coarse_clock::until);
        tokio::select! {
            biased;
            out = &mut call => return out,
            () = tokio::time::sleep(check_in) => {
                // Not yet if the deadline moved on meanwhile (a wait was
                // excluded) or paused: look again.
                if deadline
                    .grace_over()
                    .is_some_and(|over| coarse_clock::now_ns() >= over)
                {
                    return Err(wasmtime::Error::new(DeadlineExceeded { deadline: limit }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_blocked_callback_ends_at_its_deadline() {
        let deadline = WallDeadline::default();
        deadline.set(coarse_clock::deadline_after(
            coarse_clock::now_ns(),
            Duration::from_millis(20),
        ));
        let never = std::future::pending::<wasmtime::Result<()>>();
        let err = bounded(never, &deadline, Duration::from_millis(20))
            .await
            .expect_err("a pending callback is ended");
        assert!(err.downcast_ref::<DeadlineExceeded>().is_some());
    }

    #[tokio::test]
    async fn a_paused_deadline_lets_the_wait_run() {
        let deadline = WallDeadline::default();
        deadline.pause();
        let wait = async {
            tokio::time::sleep(Duration::from_millis(60)).await;
            Ok(7)
        };
        let out = bounded(wait, &deadline, Duration::from_millis(10)).await;
        assert_eq!(out.ok(), Some(7));
    }

    #[tokio::test]
    async fn a_quick_callback_is_untouched() {
        let deadline = WallDeadline::default();
        deadline.set(coarse_clock::now_ns());
        let out = bounded(async { Ok(1) }, &deadline, Duration::ZERO).await;
        assert_eq!(out.ok(), Some(1));
    }
}

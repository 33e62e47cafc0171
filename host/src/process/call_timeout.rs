//! A call's timeout that costs (almost) nothing when the answer comes
//! first, which is nearly always.
//!
//! Arming a tokio timer for every call and clearing it when the answer
//! came cost 120–140 ns of a 1.1 µs round trip (measured: the call bench
//! on one worker, 1.09–1.10 µs with the timer, 0.96–0.98 µs with none). So a
//! call first waits without a timer, its waker watched by the epoch thread
//! ([`NextTick`]); if it is still waiting at the next tick, it arms a timer
//! for the deadline it had from the start. A call answered before the tick
//! (microseconds, against a 10 ms tick) never arms one. The call's start
//! is read from the coarse clock (a few ns, against tens for a precise
//! reading), so the timer fires at the instant the call began plus its
//! timeout, or up to two steps of that clock (8 ms here) later: never
//! before. Timeouts too short to be sure a tick comes before them get
//! their timer at once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

use crate::runtime::coarse_clock;
use crate::runtime::{NextTick, Ticket};

/// How many ticks a timeout must span to wait for a tick before arming
/// its timer: the tick thread sleeps a tick and is itself scheduled, so
/// the first tick after a call begins may come later than one tick.
const TICKS_BEFORE_A_TIMER: u32 = 4;

/// The timeout passed before the answer came.
#[derive(Debug)]
pub(crate) struct Elapsed;

/// `answer`, or [`Elapsed`] once `timeout` has passed since the first poll.
pub(crate) fn call_timeout<'a, F: Future + Unpin>(
    next_tick: Option<&'a NextTick>,
    timeout: Duration,
    answer: F,
) -> CallTimeout<'a, F> {
    let waiting = match next_tick {
        Some(ticks) if timeout >= ticks.period() * TICKS_BEFORE_A_TIMER => Waiting::NotYet(ticks),
        _ => Waiting::Timed(Box::pin(tokio::time::sleep(timeout))),
    };
    CallTimeout {
        answer,
        timeout,
        waiting,
    }
}

/// The future of [`call_timeout`].
pub(crate) struct CallTimeout<'a, F> {
    answer: F,
    timeout: Duration,
    waiting: Waiting<'a>,
}

enum Waiting<'a> {
    /// Not polled yet.
    NotYet(&'a NextTick),
    /// Waiting for the answer or the next tick, whichever comes first.
    ForATick {
        ticks: &'a NextTick,
        ticket: Option<Ticket>,
        /// When the call began, on the coarse clock.
        began_ns: u64,
    },
    /// Waiting for the answer or the deadline.
    Timed(Pin<Box<Sleep>>),
}

impl<F> CallTimeout<'_, F> {
    /// Stop being watched (the answer came, or a timer took over).
    fn unwatch(&mut self) {
        if let Waiting::ForATick { ticks, ticket, .. } = &mut self.waiting
            && let Some(ticket) = ticket.take()
        {
            ticks.unwatch(ticket);
        }
    }
}

impl<F> Drop for CallTimeout<'_, F> {
    fn drop(&mut self) {
        self.unwatch();
    }
}

impl<F: Future + Unpin> Future for CallTimeout<'_, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(answer) = Pin::new(&mut this.answer).poll(cx) {
            this.unwatch();
            return Poll::Ready(Ok(answer));
        }
        let began_ns = match &mut this.waiting {
            Waiting::NotYet(ticks) => {
                let ticks = *ticks;
                this.waiting = Waiting::ForATick {
                    ticks,
                    ticket: Some(ticks.watch(cx.waker())),
                    began_ns: coarse_clock::now_ns(),
                };
                return Poll::Pending;
            }
            Waiting::ForATick {
                ticks,
                ticket: Some(ticket),
                began_ns,
            } => {
                if !ticks.passed(ticket) {
                    ticks.update(ticket, cx.waker());
                    return Poll::Pending;
                }
                *began_ns
            }
            Waiting::ForATick { began_ns, .. } => *began_ns,
            Waiting::Timed(sleep) => {
                return match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
                    Poll::Pending => Poll::Pending,
                };
            }
        };
        // A tick came and the answer did not: a timer takes over.
        this.unwatch();
        let deadline = coarse_clock::deadline_after(began_ns, this.timeout);
        let mut sleep = Box::pin(tokio::time::sleep(coarse_clock::until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed));
        }
        this.waiting = Waiting::Timed(sleep);
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use tokio::sync::oneshot;

    use super::*;

    /// A `NextTick` ticked every `period` by a thread of its own, until
    /// dropped.
    struct Ticker {
        ticks: Arc<NextTick>,
        stop: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Ticker {
        fn every(period: Duration) -> Ticker {
            let ticks = Arc::new(NextTick::new(period));
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (ticking, stopping) = (ticks.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(ticking.period());
                    ticking.tick();
                }
            });
            Ticker { ticks, stop }
        }
    }

    impl Drop for Ticker {
        fn drop(&mut self) {
            self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// `f`'s outcome; a test that would hang fails instead.
    async fn within_a_while<T>(f: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), f)
            .await
            .expect("the call ended (a tick or a timer woke it)")
    }

    /// The call timed out, and not before `ms` after `began`.
    fn timed_out_not_before<T: std::fmt::Debug>(
        outcome: Result<T, Elapsed>,
        began: Instant,
        ms: u64,
    ) {
        assert!(outcome.is_err(), "timed out: {outcome:?}");
        assert!(
            began.elapsed() >= Duration::from_millis(ms),
            "not before its deadline"
        );
    }

    #[tokio::test]
    async fn an_answer_before_the_tick_comes_back() {
        let never_ticked = NextTick::new(Duration::from_millis(10));
        let (reply, answer) = oneshot::channel();
        let call = call_timeout(Some(&never_ticked), Duration::from_secs(5), answer);
        let answering = tokio::spawn(async move { reply.send(7) });
        assert_eq!(call.await.ok().and_then(Result::ok), Some(7));
        answering.await.ok();
    }

    #[tokio::test]
    async fn no_answer_times_out_at_the_deadline_not_before() {
        let ticker = Ticker::every(Duration::from_millis(5));
        let (_reply, answer) = oneshot::channel::<u8>();
        let began = Instant::now();
        let call = call_timeout(Some(&ticker.ticks), Duration::from_millis(200), answer);
        timed_out_not_before(within_a_while(call).await, began, 200);
    }

    #[tokio::test]
    async fn an_answer_after_the_timer_took_over_comes_back() {
        let ticker = Ticker::every(Duration::from_millis(5));
        let (reply, answer) = oneshot::channel();
        let answering = tokio::spawn(async move {
            // Several ticks: the call has armed its timer by then.
            tokio::time::sleep(Duration::from_millis(100)).await;
            reply.send(7)
        });
        let outcome = call_timeout(Some(&ticker.ticks), Duration::from_secs(30), answer).await;
        assert_eq!(outcome.ok().and_then(Result::ok), Some(7));
        answering.await.ok();
    }

    #[tokio::test]
    async fn a_call_still_times_out_when_the_ticks_stop() {
        let ticks = NextTick::new(Duration::from_millis(5));
        let (_reply, answer) = oneshot::channel::<u8>();
        let began = Instant::now();
        let call = call_timeout(Some(&ticks), Duration::from_millis(100), answer);
        let stopping = async {
            tokio::task::yield_now().await;
            ticks.stop();
        };
        let (outcome, ()) = within_a_while(async { tokio::join!(call, stopping) }).await;
        timed_out_not_before(outcome, began, 100);
    }

    #[tokio::test]
    async fn a_short_timeout_or_no_ticks_arms_a_timer_at_once() {
        let never_ticked = NextTick::new(Duration::from_millis(10));
        let (_reply, answer) = oneshot::channel::<u8>();
        let short = call_timeout(Some(&never_ticked), Duration::from_millis(20), answer);
        assert!(matches!(short.waiting, Waiting::Timed(_)));
        assert!(short.await.is_err(), "timed out without a tick");
        let (_reply, answer) = oneshot::channel::<u8>();
        assert!(
            call_timeout(None, Duration::from_millis(20), answer)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_call_is_watched_until_answered_or_dropped() {
        let never_ticked = NextTick::new(Duration::from_millis(10));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let (_reply, answer) = oneshot::channel::<u8>();
        let mut dropped = call_timeout(Some(&never_ticked), Duration::from_secs(5), answer);
        assert!(Pin::new(&mut dropped).poll(&mut cx).is_pending());
        assert_eq!(never_ticked.watching(), 1);
        drop(dropped);
        assert_eq!(never_ticked.watching(), 0);
        let (reply, answer) = oneshot::channel();
        let mut answered = call_timeout(Some(&never_ticked), Duration::from_secs(5), answer);
        assert!(Pin::new(&mut answered).poll(&mut cx).is_pending());
        reply.send(7).ok();
        assert!(matches!(
            Pin::new(&mut answered).poll(&mut cx),
            Poll::Ready(Ok(Ok(7)))
        ));
        assert_eq!(never_ticked.watching(), 0);
    }
}

//! One timer always pending in tokio's timer wheel while a host lives, so
//! that a call's timeout does not wake a parked worker.
//!
//! A call whose answer does not come before the epoch's next tick, or
//! whose timeout is shorter than a few ticks, arms a timer (see
//! `call_timeout`; every call did before); so do sleeps, send-after and
//! the watchdog. When tokio's timer wheel is empty, the worker
//! parked on the driver sleeps with no deadline, and arming any timer must
//! wake it (a write to an eventfd, and on a VM an interrupt to another
//! core) so that it sleeps again with the new deadline. Between two calls
//! of a microsecond each the wheel is empty again, so every call paid that
//! wake-up, and the woken worker then stole the caller or the callee: a
//! chain of calls hopped between threads. With a timer that is always
//! pending and due sooner than a call's timeout, the parked worker's
//! deadline is already earlier than the new timer's, and arming it wakes
//! no one.

use std::sync::Weak;
use std::time::Duration;

/// How often the anchor fires: calls whose timeout is at least this long
/// arm their timer without waking anyone. A quarter second costs four
/// wake-ups a second on an idle host.
const PERIOD: Duration = Duration::from_millis(250);

/// Keep one timer pending for as long as `owner` lives. Does nothing
/// outside a tokio runtime.
pub(super) fn anchor_timer_wheel<T: Send + Sync + 'static>(owner: Weak<T>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        while owner.strong_count() > 0 {
            tokio::time::sleep(PERIOD).await;
        }
    });
}

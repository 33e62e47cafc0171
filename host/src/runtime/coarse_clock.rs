//! The kernel's coarse monotonic clock, for the deadlines on the message
//! path: a reading is a few ns from the vDSO against about 26 ns for a
//! precise one on this VM (measured: 3.5 against 53 ns a pair), and a call
//! took two precise readings, one to arm the callee's CPU deadline and one
//! for the caller's timeout. Both deadlines are checked a tick (10 ms) at a
//! time or later anyway, so the coarse clock's step (4 ms here) costs them
//! nothing: a deadline built with [`deadline_after`] never passes early,
//! and, read on the coarse clock, at most two steps late (the start may
//! lag by one, the reading that finds it passed by another).

use std::sync::OnceLock;
use std::time::Duration;

/// Now on `CLOCK_MONOTONIC_COARSE`, in nanoseconds. It lags the precise
/// clock by up to one [`step`].
pub(crate) fn now_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill in.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) };
    if status != 0 {
        return 0;
    }
    to_ns(&now)
}

/// How far apart the coarse clock's readings are: the kernel's tick.
pub(crate) fn step() -> Duration {
    static STEP: OnceLock<Duration> = OnceLock::new();
    *STEP.get_or_init(|| {
        let mut res = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `res` is a valid timespec for the call to fill in.
        let status = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut res) };
        if status == 0 {
            Duration::from_nanos(to_ns(&res))
        } else {
            // Unknown: the longest tick Linux is built with (100 Hz).
            Duration::from_millis(10)
        }
    })
}

/// The coarse instant by which `limit` has surely passed since `since_ns`
/// (a coarse reading): `limit` plus one step, since `since_ns` may lag the
/// true start by up to a step.
pub(crate) fn deadline_after(since_ns: u64, limit: Duration) -> u64 {
    since_ns
        .saturating_add(nanos(limit))
        .saturating_add(nanos(step()))
}

/// How long from now until the coarse instant `at_ns` (zero once past).
pub(crate) fn until(at_ns: u64) -> Duration {
    Duration::from_nanos(at_ns.saturating_sub(now_ns()))
}

/// `d` in nanoseconds, saturating.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn to_ns(t: &libc::timespec) -> u64 {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(t.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_never_passes_before_its_limit_on_the_precise_clock() {
        let precise = std::time::Instant::now();
        let limit = Duration::from_millis(30);
        let at = deadline_after(now_ns(), limit);
        // Wait on the coarse clock until the deadline passes.
        let give_up = precise + Duration::from_secs(30);
        while now_ns() < at {
            assert!(
                std::time::Instant::now() < give_up,
                "the coarse clock moves"
            );
            std::thread::yield_now();
        }
        assert!(precise.elapsed() >= limit, "not before the limit");
        assert!(until(at).is_zero());
    }

    #[test]
    fn the_step_is_a_kernel_tick() {
        let step = step();
        assert!(step > Duration::ZERO && step <= Duration::from_millis(10));
    }
}

//! Where a supervisor reads the time for its restart window: the monotonic
//! clock, or, in tests, a clock that moves only when told to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The time a supervisor's restart intensity is counted in. The default is
/// the monotonic clock; [`Clock::manual`] makes one that stands still until
/// [`advance`](Clock::advance)d, so that a test can put restarts a
/// second apart without waiting a second.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<ManualTime>>,
}

#[derive(Debug)]
struct ManualTime {
    start: Instant,
    elapsed_ns: AtomicU64,
}

impl Clock {
    /// A clock that starts now and moves only by [`advance`](Self::advance).
    pub fn manual() -> Clock {
        Clock {
            manual: Some(Arc::new(ManualTime {
                start: Instant::now(),
                elapsed_ns: AtomicU64::new(0),
            })),
        }
    }

    /// The time now.
    pub fn now(&self) -> Instant {
        match &self.manual {
            None => Instant::now(),
            Some(time) => {
                time.start + Duration::from_nanos(time.elapsed_ns.load(Ordering::Acquire))
            }
        }
    }

    /// Move a manual clock forward by `by`; a real clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(time) = &self.manual {
            let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            time.elapsed_ns.fetch_add(ns, Ordering::AcqRel);
        }
    }
}

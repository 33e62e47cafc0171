//! What processes have handled, as numbers that add up: one process's
//! counts since it last reported them, or a plugin's over all its
//! processes at one vsn.

use dashmap::DashMap;

/// The upper bounds of the call-duration buckets, in nanoseconds; a last
/// bucket takes the rest.
pub const CALL_BUCKETS_NS: [u64; 12] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];
pub(crate) const BUCKETS: usize = CALL_BUCKETS_NS.len() + 1;

/// What processes have handled, summed: by one process since it was last
/// reported, or by many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Calls handled.
    pub calls: u64,
    /// Casts handled.
    pub casts: u64,
    /// Messages, timers, signals and downs handled.
    pub infos: u64,
    /// Time in callbacks, in nanoseconds.
    pub busy_ns: u64,
    /// Calls timed, by duration bucket ([`CALL_BUCKETS_NS`], then the
    /// rest); only while call timing is on.
    pub call_buckets: [u64; BUCKETS],
    /// The timed calls' durations, summed, in nanoseconds.
    pub call_ns: u64,
}

impl Counts {
    /// Add `other` to these.
    pub fn add(&mut self, other: &Counts) {
        self.calls = self.calls.wrapping_add(other.calls);
        self.casts = self.casts.wrapping_add(other.casts);
        self.infos = self.infos.wrapping_add(other.infos);
        self.busy_ns = self.busy_ns.wrapping_add(other.busy_ns);
        for (mine, theirs) in self.call_buckets.iter_mut().zip(&other.call_buckets) {
            *mine = mine.wrapping_add(*theirs);
        }
        self.call_ns = self.call_ns.wrapping_add(other.call_ns);
    }

    pub(crate) fn minus(&self, earlier: &Counts) -> Counts {
        let mut call_buckets = [0; BUCKETS];
        for ((d, now), then) in call_buckets
            .iter_mut()
            .zip(&self.call_buckets)
            .zip(&earlier.call_buckets)
        {
            *d = now.wrapping_sub(*then);
        }
        Counts {
            calls: self.calls.wrapping_sub(earlier.calls),
            casts: self.casts.wrapping_sub(earlier.casts),
            infos: self.infos.wrapping_sub(earlier.infos),
            busy_ns: self.busy_ns.wrapping_sub(earlier.busy_ns),
            call_buckets,
            call_ns: self.call_ns.wrapping_sub(earlier.call_ns),
        }
    }
}

/// Counts already reported, by plugin and vsn.
#[derive(Default)]
pub(crate) struct Tallies(pub(crate) DashMap<(String, String), Counts>);

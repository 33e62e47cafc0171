//! Counters summed at scrape time from live processes and the tallies of
//! exited ones can, for an instant, miss a process that exits during the
//! scrape. Prometheus reads a counter that goes down as a reset; so each
//! series is exported as the largest value it has had.

use std::collections::HashMap;
use std::sync::Mutex;

/// The largest value each counter series has been exported with.
#[derive(Debug, Default)]
pub(super) struct Monotonic(Mutex<HashMap<String, u64>>);

impl Monotonic {
    /// `value` for series `key`, or the larger value it had before.
    pub(super) fn at_least(&self, key: String, value: u64) -> u64 {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let last = seen.entry(key).or_insert(0);
        *last = (*last).max(value);
        *last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_down() {
        let m = Monotonic::default();
        assert_eq!(m.at_least("a".into(), 5), 5);
        assert_eq!(m.at_least("a".into(), 3), 5);
        assert_eq!(m.at_least("a".into(), 7), 7);
        assert_eq!(m.at_least("b".into(), 1), 1);
    }
}

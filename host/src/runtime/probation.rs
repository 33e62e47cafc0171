//! Upgrade probation: how many crashes a new build may have before it is
//! rolled back. Pure bookkeeping, like restart intensity.

use std::time::{Duration, Instant};

/// The rule: after an upgrade, if processes of the new build crash more
/// than `max_crashes` times within `window`, the plugin goes back to the
/// build it had before. Probation ends `window` after the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbationPolicy {
    /// Crashes tolerated within the window. Default 3.
    pub max_crashes: u32,
    /// How long probation lasts after an upgrade. Default 30 s.
    pub window: Duration,
}

impl Default for ProbationPolicy {
    fn default() -> Self {
        ProbationPolicy {
            max_crashes: 3,
            window: Duration::from_secs(30),
        }
    }
}

/// One build on probation: when it was installed and its crashes so far.
#[derive(Debug, Clone)]
pub(crate) struct Probation {
    policy: ProbationPolicy,
    /// The content hash of the build on probation.
    pub(crate) hash: String,
    started: Instant,
    reasons: Vec<String>,
}

/// What one crash means for the build on probation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The crash is not the probationer's, or probation is over.
    NotOnProbation,
    /// Counted; still within the limit.
    Tolerated,
    /// Over the limit: roll back. The crash reasons, oldest first.
    RollBack(Vec<String>),
}

impl Probation {
    pub(crate) fn start(policy: ProbationPolicy, hash: String, now: Instant) -> Self {
        Probation {
            policy,
            hash,
            started: now,
            reasons: Vec::new(),
        }
    }

    /// A process of build `hash` crashed with `reason` at `now`.
    pub(crate) fn crashed(&mut self, hash: &str, reason: String, now: Instant) -> Verdict {
        if hash != self.hash || now.duration_since(self.started) > self.policy.window {
            return Verdict::NotOnProbation;
        }
        self.reasons.push(reason);
        if self.reasons.len() > self.policy.max_crashes as usize {
            Verdict::RollBack(std::mem::take(&mut self.reasons))
        } else {
            Verdict::Tolerated
        }
    }

    /// True once the window has passed.
    pub(crate) fn is_over(&self, now: Instant) -> bool {
        now.duration_since(self.started) > self.policy.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_crashes: u32, secs: u64) -> ProbationPolicy {
        ProbationPolicy {
            max_crashes,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn rolls_back_past_the_limit_within_the_window() {
        let t0 = Instant::now();
        let mut p = Probation::start(policy(2, 30), "new".into(), t0);
        assert_eq!(p.crashed("new", "a".into(), t0), Verdict::Tolerated);
        assert_eq!(p.crashed("new", "b".into(), t0), Verdict::Tolerated);
        assert_eq!(
            p.crashed("new", "c".into(), t0 + Duration::from_secs(1)),
            Verdict::RollBack(vec!["a".into(), "b".into(), "c".into()])
        );
    }

    #[test]
    fn other_builds_and_late_crashes_do_not_count() {
        let t0 = Instant::now();
        let mut p = Probation::start(policy(0, 30), "new".into(), t0);
        assert_eq!(p.crashed("old", "a".into(), t0), Verdict::NotOnProbation);
        let late = t0 + Duration::from_secs(31);
        assert!(p.is_over(late));
        assert_eq!(p.crashed("new", "b".into(), late), Verdict::NotOnProbation);
    }

    #[test]
    fn zero_tolerance_rolls_back_on_the_first_crash() {
        let t0 = Instant::now();
        let mut p = Probation::start(policy(0, 30), "new".into(), t0);
        assert_eq!(
            p.crashed("new", "boom".into(), t0),
            Verdict::RollBack(vec!["boom".into()])
        );
    }
}

//! Restart intensity: may a supervisor restart once more?

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The restarts of the last `period`, OTP's `add_restart/1`.
///
/// Every restart attempt is added before it is made, including retries after
/// a failed start. The window is inclusive. Unlike OTP, which truncates to
/// whole seconds, times here are exact.
#[derive(Debug, Clone)]
pub struct RestartIntensity {
    max_restarts: u32,
    period: Duration,
    restarts: VecDeque<Instant>,
}

/// How full a supervisor's restart window is: `restarts` of the last
/// `period` against the `max_restarts` it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntensityFill {
    /// Restarts within the last `period`.
    pub restarts: u32,
    /// The most allowed (one more and the supervisor gives up).
    pub max_restarts: u32,
    /// The window.
    pub period: Duration,
}

impl RestartIntensity {
    /// How full the window is at `now`.
    pub fn fill(&self, now: Instant) -> IntensityFill {
        let recent = self
            .restarts
            .iter()
            .filter(|at| now.saturating_duration_since(**at) <= self.period)
            .count();
        IntensityFill {
            restarts: u32::try_from(recent).unwrap_or(u32::MAX),
            max_restarts: self.max_restarts,
            period: self.period,
        }
    }

    /// At most `max_restarts` restarts within `period`.
    pub fn new(max_restarts: u32, period: Duration) -> Self {
        RestartIntensity {
            max_restarts,
            period,
            restarts: VecDeque::new(),
        }
    }

    /// Allow `max_restarts` within `period` from now on; the restarts
    /// counted so far stay counted.
    pub fn set_limits(&mut self, max_restarts: u32, period: Duration) {
        self.max_restarts = max_restarts;
        self.period = period;
    }

    /// Record a restart at `now`. False if it is one too many: the
    /// supervisor must shut down instead.
    pub fn add_restart(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.restarts.front() {
            if now.saturating_duration_since(oldest) > self.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.push_back(now);
        self.restarts.len() <= self.max_restarts as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_max_restarts_then_refuses_one_more() {
        let mut intensity = RestartIntensity::new(2, Duration::from_secs(5));
        let t = Instant::now();
        assert!(intensity.add_restart(t));
        assert!(intensity.add_restart(t + Duration::from_millis(10)));
        assert!(!intensity.add_restart(t + Duration::from_millis(20)));
    }

    #[test]
    fn zero_intensity_refuses_the_first_restart() {
        let mut intensity = RestartIntensity::new(0, Duration::from_secs(5));
        assert!(!intensity.add_restart(Instant::now()));
    }

    #[test]
    fn restarts_older_than_the_period_are_forgotten() {
        let mut intensity = RestartIntensity::new(1, Duration::from_secs(1));
        let t = Instant::now();
        assert!(intensity.add_restart(t));
        assert!(intensity.add_restart(t + Duration::from_millis(1001)));
        assert!(!intensity.add_restart(t + Duration::from_millis(1002)));
    }

    #[test]
    fn the_window_is_inclusive() {
        let mut intensity = RestartIntensity::new(1, Duration::from_secs(1));
        let t = Instant::now();
        assert!(intensity.add_restart(t));
        assert!(!intensity.add_restart(t + Duration::from_secs(1)));
    }
}

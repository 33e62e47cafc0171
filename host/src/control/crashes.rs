//! The recent crash reports of a host, and which child each belongs to
//! across restarts: a restarted child has a new pid, and `info` on it
//! shows the crash that ended its previous run.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::process::{Event, Pid};

/// Crash reports kept.
pub(crate) const KEPT_CRASHES: usize = 256;
/// Restarted children whose previous crash is remembered.
const KEPT_SUCCESSORS: usize = 65_536;

/// A bounded memory of crash reports.
#[derive(Default)]
pub(crate) struct Crashes {
    /// The last [`KEPT_CRASHES`] reports, oldest first, numbered.
    reports: VecDeque<(u64, Arc<Event>)>,
    /// A live child's pid → the pid of the run whose crash it follows.
    crashed_before: HashMap<Pid, Pid>,
    /// The keys of `crashed_before`, oldest first, to bound it.
    order: VecDeque<Pid>,
}

impl Crashes {
    /// Take note of `event` (numbered `seq`) if it is a crash report or a
    /// restart.
    pub(crate) fn record(&mut self, seq: u64, event: &Arc<Event>) {
        match &**event {
            Event::CrashReport { .. } => {
                self.reports.push_back((seq, event.clone()));
                if self.reports.len() > KEPT_CRASHES {
                    self.reports.pop_front();
                }
            }
            Event::ChildRestarted {
                old_pid: Some(old),
                new_pid: Some(new),
                ..
            } => {
                let crashed = if self.report_of(*old).is_some() {
                    Some(*old)
                } else {
                    self.crashed_before.get(old).copied()
                };
                self.crashed_before.remove(old);
                if let Some(crashed) = crashed {
                    self.crashed_before.insert(*new, crashed);
                    self.order.push_back(*new);
                    while self.order.len() > KEPT_SUCCESSORS {
                        if let Some(oldest) = self.order.pop_front() {
                            self.crashed_before.remove(&oldest);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The last crash report of the child now running as `pid` (its own,
    /// or its previous run's), if one is still kept.
    pub(crate) fn last_of(&self, pid: Pid) -> Option<Arc<Event>> {
        self.report_of(pid).or_else(|| {
            let crashed = self.crashed_before.get(&pid)?;
            self.report_of(*crashed)
        })
    }

    /// The newest `last` reports, oldest first, those of `plugin` only if
    /// given.
    pub(crate) fn recent(&self, plugin: Option<&str>, last: usize) -> Vec<(u64, Arc<Event>)> {
        let mut found: Vec<_> = self
            .reports
            .iter()
            .rev()
            .filter(|(_, event)| match (plugin, &**event) {
                (None, _) => true,
                (Some(wanted), Event::CrashReport { plugin, .. }) => plugin == wanted,
                _ => false,
            })
            .take(last)
            .cloned()
            .collect();
        found.reverse();
        found
    }

    fn report_of(&self, pid: Pid) -> Option<Arc<Event>> {
        self.reports
            .iter()
            .rev()
            .find(|(_, event)| matches!(&**event, Event::CrashReport { pid: p, .. } if *p == pid))
            .map(|(_, event)| event.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ExitReason;

    fn crash(pid: u64, plugin: &str) -> Arc<Event> {
        Arc::new(Event::CrashReport {
            pid: Pid(pid),
            id: "w".into(),
            plugin: plugin.into(),
            vsn: "1".into(),
            reason: ExitReason::Error("boom".into()),
            backtrace: Vec::new(),
            message: None,
            output: String::new(),
        })
    }

    fn restarted(old: u64, new: u64) -> Arc<Event> {
        Arc::new(Event::ChildRestarted {
            supervisor: "root".into(),
            id: "w".into(),
            plugin: "a".into(),
            old_pid: Some(Pid(old)),
            new_pid: Some(Pid(new)),
        })
    }

    fn pid_of(event: &Event) -> Pid {
        match event {
            Event::CrashReport { pid, .. } => *pid,
            _ => panic!("not a crash report"),
        }
    }

    #[test]
    fn a_restarted_child_keeps_its_last_crash_across_restarts() {
        let mut crashes = Crashes::default();
        crashes.record(1, &crash(10, "a"));
        crashes.record(2, &restarted(10, 11));
        assert_eq!(crashes.last_of(Pid(11)).map(|e| pid_of(&e)), Some(Pid(10)));
        // Stopped without a crash (a sibling's restart): still that crash.
        crashes.record(3, &restarted(11, 12));
        assert_eq!(crashes.last_of(Pid(12)).map(|e| pid_of(&e)), Some(Pid(10)));
        assert!(
            crashes.last_of(Pid(11)).is_none(),
            "forgotten once replaced"
        );
        crashes.record(4, &crash(12, "a"));
        crashes.record(5, &restarted(12, 13));
        assert_eq!(crashes.last_of(Pid(13)).map(|e| pid_of(&e)), Some(Pid(12)));
        assert!(crashes.last_of(Pid(99)).is_none());
    }

    #[test]
    fn keeps_the_newest_reports_and_filters_by_plugin() {
        let mut crashes = Crashes::default();
        for pid in 0..(KEPT_CRASHES as u64 + 10) {
            crashes.record(pid, &crash(pid, if pid % 2 == 0 { "even" } else { "odd" }));
        }
        let all = crashes.recent(None, usize::MAX);
        assert_eq!(all.len(), KEPT_CRASHES);
        assert_eq!(all.first().map(|(seq, _)| *seq), Some(10));
        let odd = crashes.recent(Some("odd"), 3);
        let pids: Vec<u64> = odd.iter().map(|(_, e)| pid_of(e).0).collect();
        assert_eq!(pids, vec![261, 263, 265]);
    }
}

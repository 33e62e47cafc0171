//! Monitors and links that processes take at run time, and what
//! happens to them when a process exits.
//!
//! - A monitor is one-way: when the monitored process exits, the watcher
//!   gets `info.down` with the reason (`noproc` at once if it was gone).
//! - A link is two-way: when either exits, the other gets the exit signal.
//!   A process that traps exits receives it as `info.exit`; any other exits
//!   with the same reason, unless the reason is normal, which it ignores.

use std::sync::atomic::{AtomicU64, Ordering};

use super::mailbox::Envelope;
use super::table::{Processes, Shared};
use super::{CallError, ExitNotice, ExitReason, ExitSender, Pid, Target};

/// Monitor references, unique within a host.
static NEXT_MONITOR: AtomicU64 = AtomicU64::new(1);

impl Processes {
    /// `watcher` monitors `target`; returns the monitor's reference. If
    /// `target` is gone, `watcher` gets a down message with reason `noproc`
    /// at once.
    pub fn monitor(&self, watcher: Pid, target: Pid) -> u64 {
        let monitor = NEXT_MONITOR.fetch_add(1, Ordering::Relaxed);
        let added = self.shared_of(target).is_some_and(|shared| {
            let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
            if watchers.exited {
                return false;
            }
            watchers.monitors.push((monitor, watcher));
            true
        });
        if added {
            self.held_by(watcher, |held| held.push((monitor, target)));
        } else {
            self.deliver_down(watcher, monitor, target, ExitReason::Error("noproc".into()));
        }
        monitor
    }

    /// Change the list of monitors `watcher` holds (for `info`); one
    /// watchers lock at a time, never two.
    fn held_by(&self, watcher: Pid, change: impl FnOnce(&mut Vec<(u64, Pid)>)) {
        if let Some(shared) = self.shared_of(watcher) {
            let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut watchers.monitoring);
        }
    }

    /// A monitor `watcher` may not take on `target`: its reference, and at
    /// once a down message whose reason is the refusal.
    pub(super) fn refused_monitor(&self, watcher: Pid, target: Pid, why: String) -> u64 {
        let monitor = NEXT_MONITOR.fetch_add(1, Ordering::Relaxed);
        self.deliver_down(watcher, monitor, target, ExitReason::Error(why));
        monitor
    }

    /// Send an [`ExitNotice`] on `to` when `pid` exits (at once if it is
    /// gone): a monitor for host-side parts that have no mailbox.
    pub fn notify_exit(&self, pid: Pid, to: ExitSender) {
        let added = self.shared_of(pid).is_some_and(|shared| {
            let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
            if watchers.exited {
                return false;
            }
            watchers.notify.push(to.clone());
            true
        });
        if !added {
            let _ = to.send(ExitNotice {
                pid,
                reason: ExitReason::Error("noproc".into()),
            });
        }
    }

    /// Remove monitor `monitor` that `watcher` holds on `target`. True if it
    /// was active.
    pub fn demonitor(&self, target: Pid, monitor: u64) -> bool {
        let removed = self.shared_of(target).and_then(|shared| {
            let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
            let at = watchers.monitors.iter().position(|(m, _)| *m == monitor)?;
            Some(watchers.monitors.swap_remove(at).1)
        });
        if let Some(watcher) = removed {
            self.held_by(watcher, |held| held.retain(|(m, _)| *m != monitor));
        }
        removed.is_some()
    }

    /// Link `a` and `b`.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] if either has exited.
    pub fn link(&self, a: Pid, b: Pid) -> Result<(), CallError> {
        if a == b {
            return Ok(());
        }
        let noproc = |pid| CallError::NoProc(Target::Pid(pid));
        let sa = self.shared_of(a).ok_or_else(|| noproc(a))?;
        let sb = self.shared_of(b).ok_or_else(|| noproc(b))?;
        // Lock in pid order, so that two links taken at once cannot deadlock.
        let (first, second) = if a < b { (&sa, &sb) } else { (&sb, &sa) };
        let mut w1 = first.watchers.lock().unwrap_or_else(|p| p.into_inner());
        let mut w2 = second.watchers.lock().unwrap_or_else(|p| p.into_inner());
        if w1.exited {
            return Err(noproc(first.pid));
        }
        if w2.exited {
            return Err(noproc(second.pid));
        }
        w1.links.insert(second.pid);
        w2.links.insert(first.pid);
        Ok(())
    }

    /// Remove the link between `a` and `b`, if any.
    pub fn unlink(&self, a: Pid, b: Pid) {
        for (this, other) in [(a, b), (b, a)] {
            if let Some(shared) = self.shared_of(this) {
                let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
                watchers.links.remove(&other);
            }
        }
    }

    /// Process `shared` has exited with `reason`: tell its monitors, and
    /// send the exit signal along its links.
    pub(super) fn signal_exit(&self, shared: &Shared, reason: &ExitReason) {
        let (monitors, links, notify) = {
            let mut watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
            watchers.exited = true;
            watchers.monitoring.clear();
            (
                std::mem::take(&mut watchers.monitors),
                std::mem::take(&mut watchers.links),
                std::mem::take(&mut watchers.notify),
            )
        };
        for to in notify {
            let _ = to.send(ExitNotice {
                pid: shared.pid,
                reason: reason.clone(),
            });
        }
        for (monitor, watcher) in monitors {
            self.held_by(watcher, |held| held.retain(|(m, _)| *m != monitor));
            self.deliver_down(watcher, monitor, shared.pid, reason.clone());
        }
        for linked in links {
            if let Some(other) = self.shared_of(linked) {
                other
                    .watchers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .links
                    .remove(&shared.pid);
            }
            self.link_exit(linked, shared.pid, reason.clone());
        }
    }

    fn deliver_down(&self, watcher: Pid, monitor: u64, pid: Pid, reason: ExitReason) {
        if let Some(mailbox) = self.mailbox_of(watcher) {
            mailbox.send(Envelope::Down {
                monitor,
                pid,
                reason,
            });
        }
    }

    /// An exit signal along a link: a message to a process that traps
    /// exits; otherwise the end of it, unless the reason is normal.
    fn link_exit(&self, target: Pid, from: Pid, reason: ExitReason) {
        let Some(shared) = self.shared_of(target) else {
            return;
        };
        if shared.trap_exit.load(Ordering::Relaxed) {
            self.exit_signal(target, from, reason);
        } else if !matches!(reason, ExitReason::Normal) {
            self.kill(target, reason);
        }
    }
}

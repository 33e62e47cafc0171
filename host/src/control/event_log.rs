//! The recent upgrade events a control client can read (every upgrade,
//! rejected build, failed upgrade and rollback, numbered), and the recent
//! crash reports.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::crashes::Crashes;
use crate::application::Node;
use crate::process::{Event, Pid};

/// How many events are kept.
const KEPT: usize = 512;

/// A ring of the last upgrade events of a node, fed by a task of its own.
#[derive(Clone)]
pub(crate) struct EventLog {
    ring: Arc<Mutex<Ring>>,
}

#[derive(Default)]
struct Ring {
    last: u64,
    events: VecDeque<(u64, Arc<Event>)>,
    crashes: Crashes,
}

impl EventLog {
    /// Start recording `node`'s upgrade events; the task ends with the node.
    pub(crate) fn start(node: &Node) -> EventLog {
        let log = EventLog {
            ring: Arc::default(),
        };
        let mut events = node.events().subscribe();
        let ring = Arc::downgrade(&log.ring);
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if !is_upgrade_event(&event) && !Crashes::concerns(&event) {
                    continue;
                }
                let Some(ring) = ring.upgrade() else { return };
                let mut ring = ring.lock().unwrap_or_else(|p| p.into_inner());
                ring.last += 1;
                let seq = ring.last;
                ring.crashes.record(seq, &event);
                if is_upgrade_event(&event) {
                    ring.events.push_back((seq, event));
                    if ring.events.len() > KEPT {
                        ring.events.pop_front();
                    }
                }
            }
        });
        log
    }

    /// The events numbered after `after`, as JSON with their `seq`, and the
    /// last number.
    pub(crate) fn after(&self, after: u64) -> (Vec<serde_json::Value>, u64) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let events = ring
            .events
            .iter()
            .filter(|(seq, _)| *seq > after)
            .filter_map(|(seq, event)| {
                let mut json = serde_json::to_value(&**event).ok()?;
                if let Some(object) = json.as_object_mut() {
                    object.insert("seq".into(), (*seq).into());
                }
                Some(json)
            })
            .collect();
        (events, ring.last)
    }
}

impl EventLog {
    /// The last crash report of the child running as `pid`, if one is
    /// kept.
    pub(crate) fn last_crash_of(&self, pid: Pid) -> Option<Arc<Event>> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.crashes.last_of(pid)
    }

    /// The newest `last` crash reports (of `plugin` only, if given),
    /// oldest first.
    pub(crate) fn crashes(&self, plugin: Option<&str>, last: usize) -> Vec<(u64, Arc<Event>)> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.crashes.recent(plugin, last)
    }
}

fn is_upgrade_event(event: &Event) -> bool {
    matches!(
        event,
        Event::UpgradeRejected { .. }
            | Event::UpgradeFailed { .. }
            | Event::ProcessCodeChangeFailed { .. }
            | Event::Upgraded { .. }
            | Event::RolledBack { .. }
            | Event::PluginLoaded { .. }
    )
}

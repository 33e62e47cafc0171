//! The recent events of a host, numbered, for control clients to read
//! (`GET /events`) or follow (`GET /events/stream`), and its recent crash
//! reports.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::crashes::Crashes;
use super::event_filter::EventFilter;
use crate::application::Node;
use crate::process::{Event, Pid};

/// How many events are kept.
pub(crate) const KEPT_EVENTS: usize = 4096;
/// How far a follower may fall behind before it misses events.
const FOLLOW_BACKLOG: usize = 4096;

/// An event with its number.
pub(crate) type Numbered = (u64, Arc<Event>);

/// A ring of the last events of a node, fed by a task of its own. Start
/// it before the application, so that the events of its start are kept.
#[derive(Clone)]
pub struct EventLog {
    ring: Arc<Mutex<Ring>>,
    live: broadcast::Sender<Numbered>,
}

#[derive(Default)]
struct Ring {
    last: u64,
    events: VecDeque<Numbered>,
    crashes: Crashes,
}

impl EventLog {
    /// Start recording `node`'s events; the task ends with the node.
    pub fn start(node: &Node) -> EventLog {
        let log = EventLog {
            ring: Arc::default(),
            live: broadcast::channel(FOLLOW_BACKLOG).0,
        };
        let mut events = node.events().subscribe();
        let ring = Arc::downgrade(&log.ring);
        let live = log.live.clone();
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let Some(ring) = ring.upgrade() else { return };
                let mut ring = ring.lock().unwrap_or_else(|p| p.into_inner());
                ring.last += 1;
                let seq = ring.last;
                ring.crashes.record(seq, &event);
                ring.events.push_back((seq, event.clone()));
                if ring.events.len() > KEPT_EVENTS {
                    ring.events.pop_front();
                }
                // Under the lock, so that a follower that takes the ring's
                // events and subscribes under it sees each event once.
                if live.receiver_count() > 0 {
                    let _ = live.send((seq, event));
                }
            }
        });
        log
    }

    /// The kept events numbered after `after` that `filter` passes, as
    /// JSON with their `seq`, and the last number.
    pub(crate) fn after(&self, after: u64, filter: &EventFilter) -> (Vec<serde_json::Value>, u64) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let events = ring
            .events
            .iter()
            .filter(|(seq, event)| *seq > after && filter.matches(event))
            .map(numbered_json)
            .collect();
        (events, ring.last)
    }

    /// The kept events numbered after `after` that `filter` passes, and
    /// every event from then on (unfiltered), none twice.
    pub(crate) fn follow(
        &self,
        after: u64,
        filter: &EventFilter,
    ) -> (Vec<Numbered>, broadcast::Receiver<Numbered>) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let kept = ring
            .events
            .iter()
            .filter(|(seq, event)| *seq > after && filter.matches(event))
            .cloned()
            .collect();
        (kept, self.live.subscribe())
    }

    /// The last crash report of the child running as `pid`, if one is
    /// kept.
    pub(crate) fn last_crash_of(&self, pid: Pid) -> Option<Arc<Event>> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.crashes.last_of(pid)
    }

    /// The newest `last` crash reports (of `plugin` only, if given),
    /// oldest first.
    pub(crate) fn crashes(&self, plugin: Option<&str>, last: usize) -> Vec<Numbered> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.crashes.recent(plugin, last)
    }
}

/// An event as JSON, with its number under `seq`.
pub(crate) fn numbered_json((seq, event): &Numbered) -> serde_json::Value {
    let mut json = serde_json::to_value(&**event).unwrap_or(serde_json::Value::Null);
    if let Some(object) = json.as_object_mut() {
        object.insert("seq".into(), (*seq).into());
    }
    json
}

//! What the processes of each plugin and vsn have handled, summed for
//! metrics: the counts of processes that exited or changed code are folded
//! into a tally when they do, and a scrape adds what the live ones have
//! not yet reported. Nothing here runs per message.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::counts::Counts;
use super::table::{Processes, Shared};

/// One plugin at one vsn, as metrics see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginCounts {
    /// The plugin.
    pub plugin: String,
    /// The vsn.
    pub vsn: String,
    /// Live processes running it.
    pub live: u64,
    /// Their linear memory, in bytes.
    pub memory_bytes: u64,
    /// What its processes, live and gone, have handled.
    pub counts: Counts,
}

impl Processes {
    /// Fold what `shared` has handled since it was last reported into its
    /// plugin's tally at `vsn`: at its exit, or before it changes code.
    pub(crate) fn fold_counts(&self, shared: &Shared, vsn: &str) {
        if shared.plugin.is_empty() {
            return;
        }
        let delta = shared.activity.take_unreported();
        if delta == Counts::default() {
            return;
        }
        self.inner
            .tallies
            .0
            .entry((shared.plugin.clone(), vsn.to_string()))
            .or_default()
            .add(&delta);
    }

    /// Every plugin and vsn that has or had processes: live processes,
    /// their memory, and the counts of all of them. The tallies are read
    /// before the live processes, so a process that exits meanwhile is
    /// missed by this reading rather than counted twice.
    pub fn plugin_counts(&self) -> Vec<PluginCounts> {
        let mut by_key: HashMap<(String, String), PluginCounts> = HashMap::new();
        for tally in self.inner.tallies.0.iter() {
            let (plugin, vsn) = tally.key().clone();
            let entry = by_key
                .entry((plugin.clone(), vsn.clone()))
                .or_insert_with(|| PluginCounts {
                    plugin,
                    vsn,
                    ..PluginCounts::default()
                });
            entry.counts.add(tally.value());
        }
        for entry in self.inner.entries.iter() {
            let shared = &entry.shared;
            if entry.mailbox.is_none() || shared.plugin.is_empty() {
                continue;
            }
            let vsn = shared.vsn();
            let counts = by_key
                .entry((shared.plugin.clone(), vsn.clone()))
                .or_insert_with(|| PluginCounts {
                    plugin: shared.plugin.clone(),
                    vsn,
                    ..PluginCounts::default()
                });
            counts.live += 1;
            counts.memory_bytes += shared.activity.memory_bytes();
            counts.counts.add(&shared.activity.unreported());
        }
        let mut all: Vec<PluginCounts> = by_key.into_values().collect();
        all.sort_by(|a, b| (&a.plugin, &a.vsn).cmp(&(&b.plugin, &b.vsn)));
        all
    }

    /// Time every call from now on (for the call-duration histogram), or
    /// stop. Off by default: it costs two clock reads per call.
    pub fn time_calls(&self, on: bool) {
        self.inner.time_calls.store(on, Ordering::Relaxed);
    }

    /// Whether calls are timed.
    pub(crate) fn times_calls(&self) -> bool {
        self.inner.time_calls.load(Ordering::Relaxed)
    }
}

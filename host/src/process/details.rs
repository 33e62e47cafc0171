//! Everything the process table knows of one process, as Erlang's
//! `process_info` tells it: what it runs, what it is doing, how full its
//! mailbox is, what it has cost, and who watches it. Read from shared
//! counters: a process busy in a long callback is never asked.

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::activity::{ActivityReport, Callback};
use super::mailbox::MailboxFill;
use super::table::Processes;
use super::{Pid, Target};

/// Items listed at most per relation (links, monitors, names); the rest
/// are counted.
pub const LISTED: usize = 100;

/// Where a process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessStatus {
    /// In `init`; its supervisor waits on it.
    Starting,
    /// Waiting for a message.
    Waiting,
    /// Running a callback.
    Running,
    /// Changing code (suspended for a hot swap).
    ChangingCode,
}

/// Some of a set, and how many there are: a process linked to 100,000
/// others is described in bounded space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed<T> {
    /// The first [`LISTED`], in order.
    pub items: Vec<T>,
    /// How many there are in all.
    pub total: usize,
}

impl<T: Ord> Listed<T> {
    fn of(mut items: Vec<T>) -> Listed<T> {
        let total = items.len();
        items.sort_unstable();
        items.truncate(LISTED);
        Listed { items, total }
    }
}

/// One process, described whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessDetails {
    /// Its pid.
    pub pid: Pid,
    /// Its child id.
    pub id: String,
    /// The name it was started under.
    pub name: Option<String>,
    /// Its plugin (empty for a supervisor).
    pub plugin: String,
    /// The vsn of the build it runs (empty for a supervisor).
    pub vsn: String,
    /// Its supervisor, or the process that started it.
    pub parent: Option<Pid>,
    /// True for a supervisor or a pool.
    pub supervisor: bool,
    /// Where it stands.
    pub status: ProcessStatus,
    /// Whether it traps exits.
    pub trap_exit: bool,
    /// What it does now and what it has done.
    #[serde(flatten)]
    pub activity: ActivityReport,
    /// Its linear memory limit, in bytes.
    pub memory_limit_bytes: u64,
    /// How full its mailbox is (none for a supervisor).
    pub mailbox: Option<MailboxFill>,
    /// Processes linked to it.
    pub links: Listed<Pid>,
    /// Processes it monitors.
    pub monitors: Listed<Pid>,
    /// Processes that monitor it.
    pub monitored_by: Listed<Pid>,
    /// The names and registry keys it holds, as a target names them
    /// (`name`, `via:REGISTRY/KEY`).
    pub registered: Listed<String>,
}

impl Processes {
    /// All that is known of live process `pid`; None if no such process
    /// lives.
    pub fn details(&self, pid: Pid) -> Option<ProcessDetails> {
        let entry = self.inner.entries.get(&pid)?;
        let shared = entry.shared.clone();
        let mailbox = entry.mailbox.as_ref().map(|m| m.fill());
        drop(entry);
        let (links, monitors, monitored_by) = {
            let watchers = shared.watchers.lock().unwrap_or_else(|p| p.into_inner());
            (
                watchers.links.iter().copied().collect(),
                watchers.monitoring.iter().map(|(_, pid)| *pid).collect(),
                watchers.monitors.iter().map(|(_, pid)| *pid).collect(),
            )
        };
        let registered = self
            .names()
            .map(|names| names.held_by(pid))
            .unwrap_or_default()
            .into_iter()
            .map(|held| match held {
                Target::Name(name) => name,
                Target::Via { registry, key } => format!("via:{registry}/{key}"),
                Target::Pid(pid) => pid.to_string(),
            })
            .collect();
        let activity = shared.activity.report();
        let status = match activity.callback {
            Some(Callback::Init) => ProcessStatus::Starting,
            _ if shared.starting.load(Ordering::Relaxed) => ProcessStatus::Starting,
            Some(Callback::CodeChange) => ProcessStatus::ChangingCode,
            Some(_) => ProcessStatus::Running,
            // A supervisor's own loop is not a guest's: it runs.
            None if mailbox.is_none() => ProcessStatus::Running,
            None => ProcessStatus::Waiting,
        };
        Some(ProcessDetails {
            pid,
            id: shared.id.clone(),
            name: shared.name.clone(),
            plugin: shared.plugin.clone(),
            vsn: shared.vsn(),
            parent: shared.parent,
            supervisor: mailbox.is_none(),
            status,
            trap_exit: shared.trap_exit.load(Ordering::Relaxed),
            activity,
            memory_limit_bytes: shared.limits.memory_bytes,
            mailbox,
            links: Listed::of(links),
            monitors: Listed::of(monitors),
            monitored_by: Listed::of(monitored_by),
            registered: Listed::of(registered),
        })
    }
}

//! Who watches a process: its monitors, its links, and host-side
//! watchers, cleared when it exits.

use std::collections::HashSet;

use super::{ExitSender, Pid};

/// Who watches a process. Once it has exited, `exited` is set and nothing
/// more is added: a monitor or link taken after that sees `noproc`.
#[derive(Debug, Default)]
pub(crate) struct Watchers {
    pub(super) exited: bool,
    /// (monitor reference, watching process).
    pub(super) monitors: Vec<(u64, Pid)>,
    /// The monitors this process holds on others: (reference, target).
    pub(super) monitoring: Vec<(u64, Pid)>,
    pub(super) links: HashSet<Pid>,
    /// Host-side watchers (a pool watching a worker's owner).
    pub(super) notify: Vec<ExitSender>,
}

//! What `which_children` and `count_children` tell about a supervisor's
//! children.

use serde::Serialize;

use super::spec::ChildType;
use crate::process::Pid;

/// Where a child stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Alive.
    Running,
    /// Its restart failed; the supervisor is trying again.
    Restarting,
    /// It exited and is not restarted (transient after a normal exit), or
    /// the supervisor stopped it.
    Stopped,
    /// Its start returned ignore.
    Undefined,
}

/// One child, as `which_children` reports it.
#[derive(Debug, Clone)]
pub struct ChildInfo {
    /// Its id.
    pub id: String,
    /// Its pid, while it runs.
    pub pid: Option<Pid>,
    /// Where it stands.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub child_type: ChildType,
    /// How many times it has been restarted.
    pub restarts: u32,
}

/// Which of a supervisor's children to list: `limit` of them, from the
/// `offset`-th, in `which_children`'s order. A supervisor of 250,000
/// children answers a page in bounded time and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many to skip.
    pub offset: usize,
    /// How many to list at most.
    pub limit: usize,
}

impl Page {
    /// Every child.
    pub const ALL: Page = Page {
        offset: 0,
        limit: usize::MAX,
    };

    /// The range of `total` items this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(total);
        start..start.saturating_add(self.limit).min(total)
    }

    /// This page of `keys` once sorted, and how many keys there were: a
    /// supervisor with children in a map sorts small keys, then describes
    /// only the children in the page.
    pub(super) fn of_sorted<K: Ord>(&self, mut keys: Vec<K>) -> (Vec<K>, usize) {
        keys.sort_unstable();
        let total = keys.len();
        let range = self.range(total);
        keys.truncate(range.end);
        keys.drain(..range.start);
        (keys, total)
    }
}

/// A page of children, and how many the supervisor has in all.
#[derive(Debug, Clone)]
pub struct ChildPage {
    /// The children in the page.
    pub children: Vec<ChildInfo>,
    /// All its children (specs held).
    pub total: usize,
}

/// `count_children`: OTP's `specs`, `active`, `supervisors`, `workers`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChildCount {
    /// Child specs held.
    pub specs: usize,
    /// Children alive.
    pub active: usize,
    /// Children of type supervisor, alive or not.
    pub supervisors: usize,
    /// Children of type worker, alive or not.
    pub workers: usize,
}

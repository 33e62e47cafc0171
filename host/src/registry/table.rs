//! One Elixir Registry: a named table of keys to processes. A key may be
//! unique (one live process) or duplicate (any number); every entry has a
//! value; the registry has metadata. Values are payloads (JSON by
//! convention), as messages are.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::process::{Pid, Processes};

/// Whether a key names one process or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keys {
    /// One live process per key; a second registration is refused.
    Unique,
    /// Any number of entries per key, even several from one process.
    Duplicate,
}

/// One registry.
#[derive(Debug)]
pub struct Registry {
    name: String,
    keys: Keys,
    state: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    entries: HashMap<String, Vec<(Pid, Vec<u8>)>>,
    meta: HashMap<String, Vec<u8>>,
}

/// A unique key held by a live process: who holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HeldBy(pub(super) Pid);

impl Registry {
    pub(super) fn new(name: &str, keys: Keys) -> Self {
        Registry {
            name: name.to_string(),
            keys,
            state: Mutex::new(Tables::default()),
        }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Unique or duplicate keys.
    pub fn keys(&self) -> Keys {
        self.keys
    }

    /// The entries under `key`: (pid, value), oldest first. At most one for
    /// a unique registry.
    pub fn lookup(&self, key: &str) -> Vec<(Pid, Vec<u8>)> {
        self.tables().entries.get(key).cloned().unwrap_or_default()
    }

    /// The pid under `key` that `alive` accepts, first registered first.
    pub(super) fn first_alive(&self, key: &str, alive: impl Fn(Pid) -> bool) -> Option<Pid> {
        self.tables()
            .entries
            .get(key)?
            .iter()
            .map(|(pid, _)| *pid)
            .find(|pid| alive(*pid))
    }

    /// How many entries the registry holds.
    pub fn count(&self) -> usize {
        self.tables().entries.values().map(Vec::len).sum()
    }

    /// The keys `pid` is registered under, sorted.
    pub fn keys_of(&self, pid: Pid) -> Vec<String> {
        let tables = self.tables();
        let mut keys: Vec<String> = tables
            .entries
            .iter()
            .flat_map(|(key, entries)| {
                entries
                    .iter()
                    .filter(move |(p, _)| *p == pid)
                    .map(move |_| key.clone())
            })
            .collect();
        keys.sort();
        keys
    }

    /// Metadata under `key`.
    pub fn meta(&self, key: &str) -> Option<Vec<u8>> {
        self.tables().meta.get(key).cloned()
    }

    /// Set metadata under `key`.
    pub fn put_meta(&self, key: &str, value: Vec<u8>) {
        self.tables().meta.insert(key.to_string(), value);
    }

    /// Add an entry for `pid`. A unique key held by a live process (as
    /// `processes` says) is refused with its holder; one whose holder has
    /// exited but is not cleaned up yet is taken over.
    pub(super) fn insert(
        &self,
        key: &str,
        pid: Pid,
        value: Vec<u8>,
        processes: &Processes,
    ) -> Result<(), HeldBy> {
        let mut tables = self.tables();
        let entries = tables.entries.entry(key.to_string()).or_default();
        if self.keys == Keys::Unique {
            entries.retain(|(holder, _)| processes.is_alive(*holder));
            if let Some((holder, _)) = entries.first() {
                return Err(HeldBy(*holder));
            }
        }
        entries.push((pid, value));
        Ok(())
    }

    /// Remove `pid`'s entries under `key`; true if there were any.
    pub(super) fn remove(&self, key: &str, pid: Pid) -> bool {
        let mut tables = self.tables();
        let Some(entries) = tables.entries.get_mut(key) else {
            return false;
        };
        let before = entries.len();
        entries.retain(|(p, _)| *p != pid);
        let removed = entries.len() != before;
        if entries.is_empty() {
            tables.entries.remove(key);
        }
        removed
    }
}

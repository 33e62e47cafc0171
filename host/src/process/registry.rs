//! Elixir's Registry: named key-value tables of processes. A key may be
//! unique (one live process) or duplicate (any number); every entry has a
//! value; a registry has metadata. Entries are removed when their process
//! exits, before anyone is told of the exit, so that after a restart the
//! key points at the new process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::node::Node;
use super::{Pid, Target};

/// Whether a key names one process or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keys {
    /// One live process per key; a second registration is refused.
    Unique,
    /// Any number of entries per key, even several from one process.
    Duplicate,
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// No registry has this name.
    #[error("no registry named '{0}'")]
    NoRegistry(String),
    /// A live process holds this unique key.
    #[error("key '{key}' in registry '{registry}' is already registered to pid {holder}")]
    Taken {
        /// The registry.
        registry: String,
        /// The key.
        key: String,
        /// Its holder.
        holder: Pid,
    },
    /// The process to register is gone.
    #[error("no such process: {0}")]
    NoProc(Pid),
    /// A registry of this name exists already.
    #[error("a registry named '{0}' exists already")]
    Exists(String),
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
    entries: HashMap<String, Vec<(Pid, Value)>>,
    meta: Map<String, Value>,
}

impl Registry {
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
    pub fn lookup(&self, key: &str) -> Vec<(Pid, Value)> {
        self.tables().entries.get(key).cloned().unwrap_or_default()
    }

    /// How many entries the registry holds.
    pub fn count(&self) -> usize {
        self.tables().entries.values().map(Vec::len).sum()
    }

    /// The keys `pid` is registered under.
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
    pub fn meta(&self, key: &str) -> Option<Value> {
        self.tables().meta.get(key).cloned()
    }

    /// Set metadata under `key`.
    pub fn put_meta(&self, key: &str, value: Value) {
        self.tables().meta.insert(key.to_string(), value);
    }

    fn remove_pid(&self, key: &str, pid: Pid) -> bool {
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

impl Node {
    /// Start a registry called `name` (Elixir's `Registry.start_link`).
    ///
    /// # Errors
    ///
    /// [`RegistryError::Exists`] if one has that name.
    pub fn start_registry(&self, name: &str, keys: Keys) -> Result<Arc<Registry>, RegistryError> {
        use dashmap::mapref::entry::Entry;
        match self.inner.registries.entry(name.to_string()) {
            Entry::Occupied(_) => Err(RegistryError::Exists(name.to_string())),
            Entry::Vacant(slot) => {
                let registry = Arc::new(Registry {
                    name: name.to_string(),
                    keys,
                    state: Mutex::new(Tables::default()),
                });
                slot.insert(registry.clone());
                Ok(registry)
            }
        }
    }

    /// The registry called `name`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoRegistry`].
    pub fn registry(&self, name: &str) -> Result<Arc<Registry>, RegistryError> {
        self.inner
            .registries
            .get(name)
            .map(|r| r.clone())
            .ok_or_else(|| RegistryError::NoRegistry(name.to_string()))
    }

    /// Register `pid` under `key` in `registry` with `value` (Elixir's
    /// `Registry.register`, for any process). The entry goes when `pid`
    /// exits.
    ///
    /// # Errors
    ///
    /// [`RegistryError`]: no such registry or process, or a unique key held
    /// by a live process (the error names it).
    pub fn registry_register(
        &self,
        registry: &str,
        key: &str,
        pid: Pid,
        value: Value,
    ) -> Result<(), RegistryError> {
        let reg = self.registry(registry)?;
        let shared = self
            .inner
            .processes
            .get(&pid)
            .map(|e| e.shared.clone())
            .ok_or(RegistryError::NoProc(pid))?;
        {
            let mut tables = reg.tables();
            let entries = tables.entries.entry(key.to_string()).or_default();
            if reg.keys == Keys::Unique {
                // A holder that has exited but is not cleaned up yet does
                // not count.
                entries.retain(|(holder, _)| self.inner.processes.contains_key(holder));
                if let Some((holder, _)) = entries.first() {
                    return Err(RegistryError::Taken {
                        registry: registry.to_string(),
                        key: key.to_string(),
                        holder: *holder,
                    });
                }
            }
            entries.push((pid, value));
        }
        shared
            .registrations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((registry.to_string(), key.to_string()));
        Ok(())
    }

    /// Remove `pid`'s entries under `key` in `registry`. True if there were
    /// any. (Elixir's `unregister` always returns `:ok`.)
    pub fn registry_unregister(&self, registry: &str, key: &str, pid: Pid) -> bool {
        let Ok(reg) = self.registry(registry) else {
            return false;
        };
        let removed = reg.remove_pid(key, pid);
        if let Some(entry) = self.inner.processes.get(&pid) {
            entry
                .shared
                .registrations
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(r, k)| !(r == registry && k == key));
        }
        removed
    }

    /// Send `msg` as a plain message to every process under `key` in
    /// `registry`; returns how many got it (none: nothing happens).
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoRegistry`].
    pub fn registry_dispatch(
        &self,
        registry: &str,
        key: &str,
        msg: &[u8],
    ) -> Result<usize, RegistryError> {
        let entries = self.registry(registry)?.lookup(key);
        Ok(entries
            .iter()
            .filter(|(pid, _)| self.send(&Target::Pid(*pid), msg.to_vec()).is_ok())
            .count())
    }

    /// Drop every registry entry of the process `pid` that is going away.
    pub(super) fn drop_registrations(&self, pid: Pid, registrations: Vec<(String, String)>) {
        for (registry, key) in registrations {
            if let Ok(reg) = self.registry(&registry) {
                reg.remove_pid(&key, pid);
            }
        }
    }

    /// The pid under unique `key` in `registry`, if alive (a via name).
    pub(super) fn whereis_via(&self, registry: &str, key: &str) -> Option<Pid> {
        let reg = self.registry(registry).ok()?;
        let entries = reg.lookup(key);
        entries
            .into_iter()
            .map(|(pid, _)| pid)
            .find(|pid| self.inner.processes.contains_key(pid))
    }
}

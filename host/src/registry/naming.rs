//! A host's names: registered names (`register/2`) and registries, and
//! what each process holds, released when it exits.

use std::sync::{Arc, Weak};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::table::{HeldBy, Keys, Registry};
use crate::process::{NameError, Names, Pid, PidMap, Processes, Target, ViaName};

/// Why a registry operation was refused.
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

impl From<RegistryError> for NameError {
    fn from(err: RegistryError) -> Self {
        match err {
            RegistryError::NoRegistry(name) | RegistryError::Exists(name) => {
                NameError::NoRegistry(name)
            }
            RegistryError::Taken {
                registry,
                key,
                holder,
            } => NameError::Taken {
                name: Target::Via { registry, key },
                holder,
            },
            RegistryError::NoProc(pid) => NameError::NoProc(pid),
        }
    }
}

/// Something a process holds until it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Held {
    Name(String),
    Key { registry: String, key: String },
}

/// The names and registries of one host. Implements the process table's
/// [`Names`]: the table resolves targets through it and tells it of every
/// exit, so that a restarted process finds its name free.
pub struct Naming {
    processes: Processes,
    names: DashMap<String, Pid>,
    registries: DashMap<String, Arc<Registry>>,
    /// What each process holds, so that an exit releases it without a scan.
    held: PidMap<Vec<Held>>,
    /// Names kept for the manifest's children.
    reserved: DashMap<String, ()>,
}

impl Naming {
    /// The names floor of `processes`, handed to it as its [`Names`].
    pub fn install(processes: &Processes) -> Arc<Naming> {
        let naming = Arc::new(Naming {
            processes: processes.clone(),
            names: DashMap::new(),
            registries: DashMap::new(),
            held: PidMap::default(),
            reserved: DashMap::new(),
        });
        let weak: Weak<Naming> = Arc::downgrade(&naming);
        processes.set_names(weak);
        naming
    }

    /// Keep `names` for the children the manifest gives them to: guests
    /// may not register them.
    pub fn reserve(&self, names: impl IntoIterator<Item = String>) {
        for name in names {
            self.reserved.insert(name, ());
        }
    }

    fn hold(&self, pid: Pid, held: Held) {
        self.held.entry(pid).or_default().push(held);
    }

    fn unhold(&self, pid: Pid, held: &Held) {
        if let Entry::Occupied(mut entry) = self.held.entry(pid) {
            entry.get_mut().retain(|h| h != held);
            if entry.get().is_empty() {
                entry.remove();
            }
        }
    }

    /// Start a registry called `name` (Elixir's `Registry.start_link`).
    ///
    /// # Errors
    ///
    /// [`RegistryError::Exists`] if one has that name.
    pub fn start_registry(&self, name: &str, keys: Keys) -> Result<Arc<Registry>, RegistryError> {
        match self.registries.entry(name.to_string()) {
            Entry::Occupied(_) => Err(RegistryError::Exists(name.to_string())),
            Entry::Vacant(slot) => {
                let registry = Arc::new(Registry::new(name, keys));
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
        self.registries
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
    pub fn register(
        &self,
        registry: &str,
        key: &str,
        pid: Pid,
        value: Vec<u8>,
    ) -> Result<(), RegistryError> {
        let reg = self.registry(registry)?;
        if !self.processes.is_alive(pid) {
            return Err(RegistryError::NoProc(pid));
        }
        reg.insert(key, pid, value, &self.processes)
            .map_err(|HeldBy(holder)| RegistryError::Taken {
                registry: registry.to_string(),
                key: key.to_string(),
                holder,
            })?;
        self.hold(
            pid,
            Held::Key {
                registry: registry.to_string(),
                key: key.to_string(),
            },
        );
        Ok(())
    }

    /// Remove `pid`'s entries under `key` in `registry`. True if there were
    /// any. (Elixir's `unregister` always returns `:ok`.)
    pub fn unregister(&self, registry: &str, key: &str, pid: Pid) -> bool {
        let Ok(reg) = self.registry(registry) else {
            return false;
        };
        let removed = reg.remove(key, pid);
        self.unhold(
            pid,
            &Held::Key {
                registry: registry.to_string(),
                key: key.to_string(),
            },
        );
        removed
    }

    /// Send `msg` as a plain message to every process under `key` in
    /// `registry`; returns how many got it (none: nothing happens).
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoRegistry`].
    pub fn dispatch(&self, registry: &str, key: &str, msg: &[u8]) -> Result<usize, RegistryError> {
        let entries = self.registry(registry)?.lookup(key);
        Ok(entries
            .iter()
            .filter(|(pid, _)| {
                self.processes
                    .lookup(&Target::Pid(*pid))
                    .and_then(|to| to.send(msg.to_vec()))
                    .is_ok()
            })
            .count())
    }
}

impl Names for Naming {
    fn is_reserved(&self, name: &str) -> bool {
        self.reserved.contains_key(name)
    }

    fn whereis_name(&self, name: &str) -> Option<Pid> {
        self.names.get(name).map(|pid| *pid)
    }

    fn whereis_via(&self, registry: &str, key: &str) -> Option<Pid> {
        self.registry(registry)
            .ok()?
            .first_alive(key, |pid| self.processes.is_alive(pid))
    }

    fn register_name(&self, pid: Pid, name: &str) -> Result<(), NameError> {
        match self.names.entry(name.to_string()) {
            Entry::Occupied(mut held) => {
                let holder = *held.get();
                if self.processes.is_alive(holder) {
                    return Err(NameError::Taken {
                        name: Target::Name(name.to_string()),
                        holder,
                    });
                }
                held.insert(pid);
            }
            Entry::Vacant(free) => {
                free.insert(pid);
            }
        }
        self.hold(pid, Held::Name(name.to_string()));
        Ok(())
    }

    fn unregister_name(&self, pid: Pid, name: &str) -> bool {
        let released = self
            .names
            .remove_if(name, |_, holder| *holder == pid)
            .is_some();
        self.unhold(pid, &Held::Name(name.to_string()));
        released
    }

    fn register_via(&self, pid: Pid, via: &ViaName) -> Result<(), NameError> {
        self.register(&via.registry, &via.key, pid, via.value.clone())
            .map_err(NameError::from)
    }

    fn held_by(&self, pid: Pid) -> Vec<Target> {
        let Some(held) = self.held.get(&pid) else {
            return Vec::new();
        };
        held.iter()
            .map(|item| match item {
                Held::Name(name) => Target::Name(name.clone()),
                Held::Key { registry, key } => Target::Via {
                    registry: registry.clone(),
                    key: key.clone(),
                },
            })
            .collect()
    }

    fn release(&self, pid: Pid) {
        let Some((_, held)) = self.held.remove(&pid) else {
            return;
        };
        for item in held {
            match item {
                Held::Name(name) => {
                    self.names.remove_if(&name, |_, holder| *holder == pid);
                }
                Held::Key { registry, key } => {
                    if let Ok(reg) = self.registry(&registry) {
                        reg.remove(&key, pid);
                    }
                }
            }
        }
    }
}

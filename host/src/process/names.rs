//! How a target that is not a pid finds its process: the seam between the
//! process table and the registry floor above it.
//!
//! The process table resolves pids itself. Registered names (`register/2`)
//! and registry keys (`{:via, Registry, {reg, key}}`) belong to the
//! [`registry`](crate::registry) floor, which implements [`Names`] and is
//! handed to the table once, when a host is put together. The table calls
//! it to resolve a [`Target`], to take the name a process starts under, and
//! to release everything a process held when it exits, before anyone is
//! told of the exit: so a restarted child finds its name free.

use super::{Pid, Target};

/// A process's key in a registry, taken when it starts and released when it
/// exits: Elixir's `name: {:via, Registry, {registry, key, value}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViaName {
    /// The registry.
    pub registry: String,
    /// The key.
    pub key: String,
    /// The entry's value, a payload (JSON by convention; `null` when none).
    pub value: Vec<u8>,
}

/// Why a name, or a registry key, could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// A live process holds it.
    #[error("{} is already registered to pid {holder}", describe(name))]
    Taken {
        /// The name or key asked for.
        name: Target,
        /// Its holder.
        holder: Pid,
    },
    /// No registry has this name.
    #[error("no registry named '{0}'")]
    NoRegistry(String),
    /// The process to register is gone.
    #[error("no such process: {0}")]
    NoProc(Pid),
    /// The manifest gives this name to one of its children.
    #[error("name '{0}' is reserved for a child of the manifest")]
    Reserved(String),
}

fn describe(name: &Target) -> String {
    match name {
        Target::Name(name) => format!("name '{name}'"),
        Target::Via { registry, key } => format!("key '{key}' in registry '{registry}'"),
        Target::Pid(pid) => format!("pid {pid}"),
    }
}

/// Names and registry keys, as the process table needs them. Implemented
/// by [`registry::Naming`](crate::registry::Naming).
pub trait Names: Send + Sync + 'static {
    /// The pid registered under `name`, if any.
    fn whereis_name(&self, name: &str) -> Option<Pid>;
    /// The live pid under unique `key` in `registry`, if any.
    fn whereis_via(&self, registry: &str, key: &str) -> Option<Pid>;
    /// Register `pid` under `name` until it exits or unregisters.
    ///
    /// # Errors
    ///
    /// [`NameError::Taken`] if a live process holds the name.
    fn register_name(&self, pid: Pid, name: &str) -> Result<(), NameError>;
    /// Release `name` if `pid` holds it. True if it did.
    fn unregister_name(&self, pid: Pid, name: &str) -> bool;
    /// Register `pid` under `via`'s key until it exits.
    ///
    /// # Errors
    ///
    /// [`NameError`]: no such registry, or a unique key a live process
    /// holds.
    fn register_via(&self, pid: Pid, via: &ViaName) -> Result<(), NameError>;
    /// `pid` has exited (or never started): drop every name and key it held.
    fn release(&self, pid: Pid);
    /// The names and registry keys `pid` holds now.
    fn held_by(&self, pid: Pid) -> Vec<Target>;
    /// Whether `name` is kept for a child the manifest names: a guest may
    /// not take it, so that a crashed child's restart finds it free.
    fn is_reserved(&self, name: &str) -> bool;
}

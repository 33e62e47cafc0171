//! Elixir's Registry from a plugin: keys that name one process (unique) or
//! many (duplicate), each entry with a value, and metadata per registry.
//! Registries are declared in the manifest (`[[app.registries]]`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::overseer::plugin::host as wit;
use crate::host::Pid;

fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> Vec<u8> {
    match serde_json::to_vec(value) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest::{what}: cannot encode the value as JSON: {err}"),
    }
}

/// Register this process under `key` in `registry`, with `value`, until it
/// exits or [`registry_unregister`]s.
///
/// # Errors
///
/// One line: `key 'k' in registry 'r' is already registered to pid N` (a
/// unique registry whose key a live process holds), `no registry named …`.
///
/// # Panics
///
/// If `value` cannot be encoded as JSON: a bug in the plugin.
pub fn registry_register<V: Serialize + ?Sized>(
    registry: &str,
    key: &str,
    value: &V,
) -> Result<(), String> {
    wit::registry_register(registry, key, &encode("registry_register", value))
}

/// Remove this process's entries under `key` in `registry`.
pub fn registry_unregister(registry: &str, key: &str) {
    wit::registry_unregister(registry, key);
}

/// The entries under `key`: (pid, value), oldest first; values that do not
/// decode as `V` are skipped. Empty when there are none, or no registry.
pub fn registry_lookup<V: DeserializeOwned>(registry: &str, key: &str) -> Vec<(Pid, V)> {
    wit::registry_lookup(registry, key)
        .into_iter()
        .filter_map(|(pid, value)| Some((pid, serde_json::from_slice(&value).ok()?)))
        .collect()
}

/// Send `msg` as a plain message to every process under `key`; returns
/// how many got it.
///
/// # Panics
///
/// If `msg` cannot be encoded as JSON.
pub fn registry_dispatch<M: Serialize + ?Sized>(registry: &str, key: &str, msg: &M) -> u32 {
    wit::registry_dispatch(registry, key, &encode("registry_dispatch", msg))
}

/// How many entries `registry` holds.
pub fn registry_count(registry: &str) -> u32 {
    wit::registry_count(registry)
}

/// The registry's metadata under `key`.
pub fn registry_meta(registry: &str, key: &str) -> Option<Value> {
    serde_json::from_slice(&wit::registry_meta(registry, key)?).ok()
}

/// Set the registry's metadata under `key`.
///
/// # Panics
///
/// If `value` cannot be encoded as JSON.
pub fn registry_put_meta<V: Serialize + ?Sized>(registry: &str, key: &str, value: &V) {
    wit::registry_put_meta(registry, key, &encode("registry_put_meta", value));
}

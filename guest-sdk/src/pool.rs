//! Worker pools from a plugin (poolboy): check a worker out, use it, check
//! it in; or a transaction that does all three. Pools are declared in the
//! manifest (`[[app.pools]]`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::overseer::plugin::host as wit;
use crate::host::Pid;

/// Check a worker out of `pool` for this process. With `block`, wait up to
/// `timeout_ms` for one; without, fail at once when the pool is full. If
/// this process exits, the worker goes back by itself.
///
/// # Errors
///
/// One line: `pool 'db' is full`, `no worker of pool 'db' came free within
/// 100 ms`, `no pool named …`.
pub fn pool_checkout(pool: &str, block: bool, timeout_ms: u32) -> Result<Pid, String> {
    wit::pool_checkout(pool, block, timeout_ms)
}

/// Give `worker` back to `pool`.
pub fn pool_checkin(pool: &str, worker: Pid) {
    wit::pool_checkin(pool, worker);
}

/// poolboy's `transaction`: check a worker out (blocking), call it with
/// `request`, check it back in whatever happened, and decode its reply.
///
/// # Errors
///
/// As for [`pool_checkout`], or the call's failure (`timed out after …`,
/// `the process exited before replying: …`), or a reply that does not
/// decode as `R`.
///
/// # Panics
///
/// If `request` cannot be encoded as JSON: a bug in the plugin.
pub fn pool_transaction<Q: Serialize + ?Sized, R: DeserializeOwned>(
    pool: &str,
    request: &Q,
    timeout_ms: u32,
) -> Result<R, String> {
    let payload = match serde_json::to_vec(request) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest::pool_transaction: cannot encode the request: {err}"),
    };
    let reply = wit::pool_transaction(pool, &payload, timeout_ms)?;
    serde_json::from_slice(&reply).map_err(|e| format!("cannot decode the reply: {e}"))
}

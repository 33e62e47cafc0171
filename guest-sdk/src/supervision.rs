//! Managing a supervisor's children from a plugin: Elixir's
//! `DynamicSupervisor.start_child/2` and friends.

use serde::Serialize;
use serde_json::Value;

use crate::bindings::overseer::plugin::host as wit;
use crate::host::Pid;
use crate::messaging::Target;

/// Start a child under supervisor `sup` (a pid or a registered name) from a
/// child spec: anything that serialises to `{"plugin": "counter", "args":
/// {...}, "id"?, "name"?, "restart"?, "shutdown"?, "limits"?}` (a
/// `serde_json::json!` value will do). Returns once the child's init has
/// returned: its pid, or `None` if init returned ignore.
///
/// # Errors
///
/// One line from the supervisor: `max_children reached (10)`, `failed to
/// start child: …`, `invalid child spec: …`, `no such supervisor: …`.
///
/// # Panics
///
/// If `spec` cannot be encoded as JSON: a bug in the plugin.
pub fn start_child<S: Serialize + ?Sized>(
    sup: impl Into<Target>,
    spec: &S,
) -> Result<Option<Pid>, String> {
    let payload = match serde_json::to_vec(spec) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest::start_child: cannot encode the spec as JSON: {err}"),
    };
    wit::start_child(&sup.into().into(), &payload)
}

/// Stop child `child` of supervisor `sup` (its shutdown, then a kill) and
/// forget it.
///
/// # Errors
///
/// `no such child: pid N`, `no such supervisor: …`.
pub fn terminate_child(sup: impl Into<Target>, child: Pid) -> Result<(), String> {
    wit::terminate_child(&sup.into().into(), child)
}

/// Stop static supervisor `sup`'s child `id`, keeping its spec for
/// [`restart_child`] (OTP's `terminate_child(Sup, Id)`).
///
/// # Errors
///
/// `"not_found"`, as OTP's; else one line (`no such supervisor: …`).
pub fn terminate_child_by_id(sup: impl Into<Target>, id: &str) -> Result<(), String> {
    wit::terminate_child_by_id(&sup.into().into(), id)
}

/// Start static supervisor `sup`'s stopped child `id` again (OTP's
/// `restart_child`): its pid, or `None` if its init returned ignore.
///
/// # Errors
///
/// `"running"`, `"restarting"`, `"not_found"`, as OTP's; else one line
/// (`failed to start child: …`).
pub fn restart_child(sup: impl Into<Target>, id: &str) -> Result<Option<Pid>, String> {
    wit::restart_child(&sup.into().into(), id)
}

/// Forget static supervisor `sup`'s stopped child `id` (OTP's
/// `delete_child`).
///
/// # Errors
///
/// `"running"`, `"restarting"`, `"not_found"`, as OTP's; else one line.
pub fn delete_child(sup: impl Into<Target>, id: &str) -> Result<(), String> {
    wit::delete_child(&sup.into().into(), id)
}

/// Supervisor `sup`'s children: `[{"id", "pid", "type", "status",
/// "restarts"}]`, in start order.
///
/// # Errors
///
/// `no such supervisor: …`.
pub fn which_children(sup: impl Into<Target>) -> Result<Value, String> {
    let payload = wit::which_children(&sup.into().into())?;
    serde_json::from_slice(&payload).map_err(|e| format!("cannot decode the children: {e}"))
}

/// Supervisor `sup`'s counts: `{"specs", "active", "supervisors",
/// "workers"}`.
///
/// # Errors
///
/// `no such supervisor: …`.
pub fn count_children(sup: impl Into<Target>) -> Result<Value, String> {
    let payload = wit::count_children(&sup.into().into())?;
    serde_json::from_slice(&payload).map_err(|e| format!("cannot decode the counts: {e}"))
}

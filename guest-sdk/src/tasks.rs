//! Running tasks from a plugin: Elixir's `Task.Supervisor.start_child`,
//! `async`, `async_nolink` and `Task.await`. A task is a component of the
//! `task` world (see the `overseer-task` crate), named by its file in the
//! plugin folder.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::overseer::plugin::host as wit;
use crate::host::Pid;
use crate::messaging::Target;

fn encode<T: Serialize + ?Sized>(input: &T) -> Vec<u8> {
    match serde_json::to_vec(input) {
        Ok(payload) => payload,
        Err(err) => panic!("overseer_guest: cannot encode the task's input as JSON: {err}"),
    }
}

/// Start task `plugin` on `input` under task supervisor `sup`, fire and
/// forget: its pid.
///
/// # Errors
///
/// One line: no such supervisor, a plugin that does not load,
/// `max_children reached (N)`.
///
/// # Panics
///
/// If `input` cannot be encoded as JSON: a bug in the plugin.
pub fn task_start_child<I: Serialize + ?Sized>(
    sup: impl Into<Target>,
    plugin: &str,
    input: &I,
) -> Result<Pid, String> {
    wit::task_start_child(&sup.into().into(), plugin, &encode(input))
}

/// Start task `plugin` on `input` under `sup`, to [`task_await`] its
/// result. With `link`, the task and this process are linked (Elixir's
/// `async`): if the task crashes, this process exits too unless it traps
/// exits. Without, nothing but the result connects them (`async_nolink`).
/// Returns the task's pid, the handle for [`task_await`].
///
/// # Errors
///
/// As for [`task_start_child`].
///
/// # Panics
///
/// If `input` cannot be encoded as JSON.
pub fn task_async<I: Serialize + ?Sized>(
    sup: impl Into<Target>,
    plugin: &str,
    input: &I,
    link: bool,
) -> Result<Pid, String> {
    wit::task_async(&sup.into().into(), plugin, &encode(input), link)
}

/// Wait up to `timeout_ms` for the result of task `task` (from
/// [`task_async`]). A timeout leaves the task running; it may be awaited
/// again.
///
/// # Errors
///
/// `timeout`, `exited: <reason>` (its `run` failed or it crashed),
/// `unknown task`, or a result that does not decode as `R`.
pub fn task_await<R: DeserializeOwned>(task: Pid, timeout_ms: u32) -> Result<R, String> {
    let output = wit::task_await(task, timeout_ms)?;
    serde_json::from_slice(&output).map_err(|e| format!("cannot decode the task's result: {e}"))
}

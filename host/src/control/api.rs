//! The control API's wire format: each route, and the JSON of its request
//! and reply. The server and the [`Client`](super::Client) both use these
//! types, so the two ends cannot drift apart.
//!
//! | route | request | reply (200) |
//! | --- | --- | --- |
//! | `POST /call` | [`CallRequest`] | [`CallReply`] |
//! | `POST /cast` | [`MessageRequest`] | [`Ack`] |
//! | `POST /send` | [`MessageRequest`] | [`Ack`] |
//! | `POST /state` | [`StateRequest`] | [`StateReply`] |
//! | `GET /tree` | [`TreeQuery`] (query string) | the root's [`TreeNode`](crate::supervisor::TreeNode) |
//! | `POST /stop` | none | [`Ack`], then the host shuts down |
//! | `POST /reload` | [`ReloadRequest`] | [`ReloadReply`] |
//! | `POST /release` | [`ReleaseRequest`] | [`ReleaseReply`] |
//! | `GET /versions` | none | a list of [`PluginVersions`] |
//! | `GET /events?after=N&kind=K&plugin=P` | [`EventsQuery`] (query string) | [`EventsReply`]: the kept events after sequence number N |
//! | `GET /events/stream?after=N&kind=K&plugin=P` | [`EventsQuery`] (query string) | server-sent events: the kept events after N, then each new one as it happens |
//! | `POST /task` | [`TaskRequest`] | [`TaskReply`] |
//! | `POST /start_child` | [`StartChildRequest`] | [`StartChildReply`] |
//! | `POST /terminate_child` | [`TerminateChildRequest`] | [`Ack`] |
//! | `POST /restart_child` | [`ChildIdRequest`] | [`StartChildReply`] |
//! | `POST /delete_child` | [`ChildIdRequest`] | [`Ack`] |
//! | `POST /which_children` | [`SupervisorRequest`] | a list of [`ChildListing`] |
//! | `POST /count_children` | [`SupervisorRequest`] | `{"specs", "active", "supervisors", "workers"}` |
//! | `POST /info` | [`InfoRequest`] | [`ProcessDetails`](crate::process::ProcessDetails) with `restarts` and `last_crash` |
//! | `GET /crashes?plugin=P&last=N` | [`CrashesQuery`] (query string) | [`CrashesReply`] |
//! | `POST /kill` | [`InfoRequest`] (a target) | [`Ack`] |
//! | `GET /stats` | none | a list of [`PluginStats`] |
//! | `GET /top?by=cpu&limit=N&window_ms=W` | [`TopQuery`] (query string) | [`TopReply`] |
//! | `GET /config?app=NAME` | [`ConfigQuery`] (query string) | [`ConfigReply`] |
//! | `POST /config/set` | [`ConfigSetRequest`] | [`ConfigChanged`](crate::application::ConfigChanged) |
//! | `POST /config/unset` | [`ConfigUnsetRequest`] | [`ConfigChanged`](crate::application::ConfigChanged) |
//! | `POST /apply` | [`ApplyRequest`] | [`Applied`](crate::deploy::Applied) |
//! | `GET /apps` | none | a list of [`AppStatus`](crate::application::AppStatus) |
//! | `POST /app/start`, `/app/stop`, `/app/restart` | [`AppRequest`] | [`AppChangeReply`] |
//!
//! Any failure is a non-2xx status with an [`ErrorReply`]: one line that
//! says what went wrong (`no such process: 'foo'`, `timed out after 100 ms`).
//!
//! # Payloads
//!
//! Guests speak JSON by convention, so requests and messages are sent to
//! them as the bytes of the JSON value given here. A guest's reply or state
//! is parsed back into JSON; bytes that are not JSON come back as a JSON
//! string (lossy UTF-8) rather than as an error, so that a guest that breaks
//! the convention can still be inspected.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The paths of the routes.
pub mod route {
    /// `POST`: a GenServer call.
    pub const CALL: &str = "/call";
    /// `POST`: a GenServer cast.
    pub const CAST: &str = "/cast";
    /// `POST`: a plain message, for `handle-info`.
    pub const SEND: &str = "/send";
    /// `POST`: a process's state, through `get-state`.
    pub const STATE: &str = "/state";
    /// `GET`: the supervision tree.
    pub const TREE: &str = "/tree";
    /// `POST`: a graceful shutdown of the host.
    pub const STOP: &str = "/stop";
    /// `POST`: read a plugin's build again and upgrade its processes.
    pub const RELOAD: &str = "/reload";
    /// `POST`: read every plugin's build again and upgrade those that
    /// changed, as one release.
    pub const RELEASE: &str = "/release";
    /// `GET`: each plugin's loaded builds and which processes run which.
    pub const VERSIONS: &str = "/versions";
    /// `GET`: recent events (starts, exits, crashes, restarts, upgrades…).
    pub const EVENTS: &str = "/events";
    /// `GET`: recent events, then every new one, as server-sent events.
    pub const EVENTS_STREAM: &str = "/events/stream";
    /// `POST`: run a task and wait for its result.
    pub const TASK: &str = "/task";
    /// `POST`: start a child under a supervisor.
    pub const START_CHILD: &str = "/start_child";
    /// `POST`: stop a supervisor's child.
    pub const TERMINATE_CHILD: &str = "/terminate_child";
    /// `POST`: start a static supervisor's stopped child again.
    pub const RESTART_CHILD: &str = "/restart_child";
    /// `POST`: forget a static supervisor's stopped child.
    pub const DELETE_CHILD: &str = "/delete_child";
    /// `POST`: a supervisor's children.
    pub const WHICH_CHILDREN: &str = "/which_children";
    /// `POST`: a supervisor's child counts.
    pub const COUNT_CHILDREN: &str = "/count_children";
    /// `POST`: everything known of one process.
    pub const INFO: &str = "/info";
    /// `GET`: recent crash reports, whole.
    pub const CRASHES: &str = "/crashes";
    /// `POST`: kill a process (its supervisor restarts it, as after a
    /// crash).
    pub const KILL: &str = "/kill";
    /// `GET`: what each plugin's processes have handled, by vsn.
    pub const STATS: &str = "/stats";
    /// `GET`: the busiest processes over a short window.
    pub const TOP: &str = "/top";
    /// `GET`: an application's effective configuration, with sources.
    pub const CONFIG: &str = "/config";
    /// `POST`: set a configuration key while the host runs.
    pub const CONFIG_SET: &str = "/config/set";
    /// `POST`: remove a configuration key while the host runs.
    pub const CONFIG_UNSET: &str = "/config/unset";
    /// `POST`: bring the running host to an edited manifest.
    pub const APPLY: &str = "/apply";
    /// `GET`: the applications, in start order.
    pub const APPS: &str = "/apps";
    /// `POST`: start an application (and those it depends on).
    pub const APP_START: &str = "/app/start";
    /// `POST`: stop an application (and those depending on it, first).
    pub const APP_STOP: &str = "/app/stop";
    /// `POST`: stop, then start again, an application (and those
    /// depending on it).
    pub const APP_RESTART: &str = "/app/restart";
}

/// How long a call or a state request waits for its reply when the request
/// does not say: 5 s, as `GenServer.call`'s default.
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

/// `POST /call`: call `target` with `request` and wait for the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRequest {
    /// A pid (all digits) or a registered name.
    pub target: String,
    /// The request, sent to the guest as JSON bytes.
    pub request: Value,
    /// How long to wait for the reply, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// The reply to a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallReply {
    /// The guest's reply (see [Payloads](self#payloads)).
    pub reply: Value,
}

/// `POST /cast` and `POST /send`: a message that gets no reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRequest {
    /// A pid (all digits) or a registered name.
    pub target: String,
    /// The message, sent to the guest as JSON bytes.
    pub msg: Value,
}

/// `POST /state`: the process's state, through its `get-state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRequest {
    /// A pid (all digits) or a registered name.
    pub target: String,
    /// How long to wait for the state, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// The state of a process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateReply {
    /// The guest's state (see [Payloads](self#payloads)).
    pub state: Value,
}

/// "Done": the reply to a cast, a send or a stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Always true.
    pub ok: bool,
}

/// The body of every failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// What went wrong, in one line.
    pub error: String,
}

/// One node of `GET /tree`, as a client reads it. The server sends a
/// [`TreeNode`](crate::supervisor::TreeNode); this mirror lets a client
/// render it without the library's internals, and ignores fields it does
/// not know, so a newer host still renders.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TreeView {
    /// The child id.
    pub id: String,
    /// `supervisor` or `worker`.
    #[serde(rename = "type")]
    pub node_type: String,
    /// Its pid while it runs.
    #[serde(default)]
    pub pid: Option<u64>,
    /// running, restarting, stopped or undefined.
    pub status: String,
    /// How many times it has been restarted.
    #[serde(default)]
    pub restarts: u32,
    /// Workers: the plugin's name.
    #[serde(default)]
    pub plugin: Option<String>,
    /// Workers: the plugin's vsn.
    #[serde(default)]
    pub vsn: Option<String>,
    /// Workers: the registered name.
    #[serde(default)]
    pub name: Option<String>,
    /// Supervisors: their children, in start order.
    #[serde(default)]
    pub children: Vec<TreeView>,
    /// Supervisors: children not listed (past the depth or the limit).
    #[serde(default)]
    pub omitted: usize,
}

/// `POST /reload`: upgrade `plugin` to the build in its file, or in `file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadRequest {
    /// The plugin's name.
    pub plugin: String,
    /// A build to put in place of the plugin's file (a path on the host).
    #[serde(default)]
    pub file: Option<String>,
}

/// `POST /release`: upgrade, as one release, every plugin whose build
/// changed: in its own file, or in folder `from`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRequest {
    /// A folder of builds (`NAME.wasm` for plugin `NAME`) to read instead
    /// of the plugins' own files (a path on the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `POST /app/start|stop|restart`: the application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRequest {
    /// Its name.
    pub name: String,
}

/// What `POST /app/start|stop|restart` did: the applications stopped,
/// then those started, each in the order it was done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppChangeReply {
    /// Stopped, in order (those depending on the one named first).
    pub stopped: Vec<String>,
    /// Started, in order (those it depends on first).
    pub started: Vec<String>,
}

/// `POST /apply`: bring the host to the manifest at `manifest` (a path on
/// the host), or with `dry_run` only say how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyRequest {
    /// The edited manifest.
    pub manifest: String,
    /// Plan only; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What `POST /release` did: the plugins upgraded as one release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseReply {
    /// The release's name; none when every plugin ran the build in its
    /// file already.
    pub release: Option<String>,
    /// Each plugin upgraded.
    pub plugins: Vec<ReloadReply>,
    /// The plugins whose file holds the build they run.
    pub unchanged: Vec<String>,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadReply {
    /// `unchanged` (the file holds the running build) or `upgraded`.
    pub outcome: String,
    /// The plugin.
    pub plugin: String,
    /// The vsn it ran.
    pub from: String,
    /// The vsn it runs now.
    pub to: String,
    /// True when the new build was loaded before the old one.
    #[serde(default)]
    pub downgrade: bool,
    /// `compiled`, `cached` (from the compile cache) or `loaded` (seen in
    /// this run).
    #[serde(default)]
    pub compiled: String,
    /// Processes that changed code.
    #[serde(default)]
    pub processes: usize,
    /// Processes that could not, and why (they stay on the old build).
    #[serde(default)]
    pub failed: Vec<FailedChange>,
    /// Median and longest per-process pause, in microseconds.
    #[serde(default)]
    pub pause_median_us: u64,
    /// See `pause_median_us`.
    #[serde(default)]
    pub pause_max_us: u64,
    /// From the first code change to the last, in microseconds.
    #[serde(default)]
    pub elapsed_us: u64,
}

/// A process that could not change code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedChange {
    /// Its pid.
    pub pid: u64,
    /// Why.
    pub reason: String,
}

/// `GET /versions`: one plugin's builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginVersions {
    /// The plugin.
    pub plugin: String,
    /// Its file.
    pub file: String,
    /// Every build loaded in this run, oldest first.
    pub versions: Vec<VersionInfo>,
}

/// One build of a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Its vsn.
    pub vsn: String,
    /// Its content hash (12 hex digits).
    pub hash: String,
    /// True for the build new processes start.
    pub current: bool,
    /// The live processes running it.
    pub processes: Vec<u64>,
}

/// `GET /events`: the kept events asked for, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsReply {
    /// The events, each with its sequence number under `seq`.
    pub events: Vec<Value>,
    /// The sequence number to ask `after` next time.
    pub last: u64,
}

/// `POST /task`: run task `plugin` (a `task`-world component in the plugin
/// folder) on `input`, under task supervisor `supervisor` if given, and
/// wait up to `timeout_ms` for its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    /// The task's plugin name (its file name without `.wasm`).
    pub plugin: String,
    /// Its input.
    pub input: Value,
    /// A task supervisor (pid or name) to run it under.
    #[serde(default)]
    pub supervisor: Option<String>,
    /// How long to wait for the result, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// A task's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReply {
    /// The task's pid.
    pub pid: u64,
    /// Its output (see [Payloads](self#payloads)).
    pub result: Value,
}

/// `POST /start_child`: start a child of `supervisor` from a JSON child
/// spec (`{"plugin", "args"?, "id"?, "name"?, "restart"?, "shutdown"?,
/// "limits"?}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartChildRequest {
    /// The supervisor: a pid or a registered name.
    pub supervisor: String,
    /// The child spec.
    pub spec: Value,
}

/// The started child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartChildReply {
    /// Its pid; none if its init returned ignore.
    pub pid: Option<u64>,
}

/// `POST /terminate_child`: stop a child of `supervisor`, by `pid` (a
/// DynamicSupervisor's child: it is forgotten) or by `id` (a static
/// supervisor's: its spec is kept, as OTP's `terminate_child(Sup, Id)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminateChildRequest {
    /// The supervisor: a pid or a registered name.
    pub supervisor: String,
    /// The child, by pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// The child, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `POST /restart_child` and `/delete_child`: a static supervisor's child,
/// by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildIdRequest {
    /// The supervisor: a pid or a registered name.
    pub supervisor: String,
    /// The child's id.
    pub id: String,
}

/// `POST /which_children` and `/count_children`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorRequest {
    /// The supervisor: a pid or a registered name.
    pub supervisor: String,
    /// `which_children`: children to skip (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// `which_children`: the most children to list (default
    /// [`DEFAULT_CHILDREN_LIMIT`]); `count_children` tells how many there
    /// are in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// How many children `which_children` lists, and `tree` lists under each
/// supervisor, unless asked for another number: at 250,000 processes a
/// whole listing is tens of MB.
pub const DEFAULT_CHILDREN_LIMIT: usize = 1000;

/// `GET /tree?app=A&depth=D&limit=N`: whose tree, and how much of it to
/// describe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeQuery {
    /// The application whose tree to describe. Default: the only one's;
    /// with several, one node (`overseer`) with each application's root
    /// under it, named after the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Supervisors this deep (the root's children are at depth 1) are
    /// listed without their children. Default: no limit.
    #[serde(default)]
    pub depth: Option<usize>,
    /// The most children listed under one supervisor (default
    /// [`DEFAULT_CHILDREN_LIMIT`]); the others are counted in `omitted`.
    #[serde(default)]
    pub limit: Option<usize>,
}

/// One child in the reply to `POST /which_children`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildListing {
    /// Its id.
    pub id: String,
    /// Its pid, while it runs.
    pub pid: Option<u64>,
    /// `worker` or `supervisor`.
    #[serde(rename = "type")]
    pub child_type: crate::supervisor::ChildType,
    /// running, restarting, stopped or undefined.
    pub status: crate::supervisor::ChildStatus,
    /// How many times it has been restarted.
    pub restarts: u32,
}

/// The bytes a guest receives for `value`: its compact JSON text.
pub fn json_to_payload(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// A guest's reply or state as JSON: parsed when it is JSON, else the bytes
/// as a (lossy UTF-8) JSON string.
pub fn payload_to_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_json() {
        let value = serde_json::json!({"add": 2});
        assert_eq!(payload_to_json(&json_to_payload(&value)), value);
    }

    #[test]
    fn a_payload_that_is_not_json_becomes_a_string() {
        assert_eq!(payload_to_json(b"hello"), Value::String("hello".into()));
    }

    #[test]
    fn timeout_defaults_when_absent() {
        let req: CallRequest =
            serde_json::from_str(r#"{"target":"c","request":1}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.timeout_ms, DEFAULT_TIMEOUT_MS);
    }
}

/// `POST /info`: what `Process.info` tells of `target`, read without
/// asking the process (it may be busy), with its child spec's restarts
/// (from its supervisor) and the last crash report of that child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoRequest {
    /// A pid (all digits), a registered name or `via:REGISTRY/KEY`.
    pub target: String,
}

/// How many crash reports `crashes` prints by default.
pub const DEFAULT_CRASHES: usize = 10;

fn default_crashes() -> usize {
    DEFAULT_CRASHES
}

/// `GET /crashes`: the newest `last` crash reports, of `plugin` only if
/// given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrashesQuery {
    /// Only this plugin's.
    #[serde(default)]
    pub plugin: Option<String>,
    /// How many, newest last (default [`DEFAULT_CRASHES`]).
    #[serde(default = "default_crashes")]
    pub last: usize,
}

/// Recent crash reports, oldest first: each a `crash_report` event with
/// its `seq` (reason, guest backtrace, the message being handled, the
/// guest's last output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrashesReply {
    /// The reports.
    pub crashes: Vec<Value>,
}

/// `GET /events` and `GET /events/stream`: which events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventsQuery {
    /// Only events numbered after this (each event carries its `seq`).
    #[serde(default)]
    pub after: u64,
    /// Comma-separated kinds or groups: `start`, `exit`, `crash`,
    /// `restart`, `intensity`, `upgrade`, `denied`, `log`, or an event's
    /// own kind (`child_start_failed`). None: every kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only events that name this plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
}

/// `GET /stats`: what one plugin's processes at one vsn have handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginStats {
    /// The plugin.
    pub plugin: String,
    /// The vsn.
    pub vsn: String,
    /// Live processes.
    pub live: u64,
    /// Their linear memory, in bytes.
    pub memory_bytes: u64,
    /// Calls handled, by processes live and gone.
    pub calls: u64,
    /// Casts handled.
    pub casts: u64,
    /// Messages, timers, signals and downs handled.
    pub infos: u64,
    /// Compute time in callbacks, in microseconds.
    pub busy_us: u64,
}

/// What `top` ranks processes by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopSort {
    /// Compute time in callbacks over the window.
    #[default]
    Cpu,
    /// Linear memory.
    Memory,
    /// Messages waiting.
    Mailbox,
    /// Messages handled per second over the window.
    Messages,
}

fn default_top_limit() -> usize {
    20
}

fn default_top_window_ms() -> u64 {
    1000
}

/// `GET /top`: the `limit` busiest processes by `by`, measured over
/// `window_ms` (at most 10 s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopQuery {
    /// The ranking.
    #[serde(default)]
    pub by: TopSort,
    /// How many rows (default 20, at most 1000).
    #[serde(default = "default_top_limit")]
    pub limit: usize,
    /// The window, in milliseconds (default 1000).
    #[serde(default = "default_top_window_ms")]
    pub window_ms: u64,
}

/// One process in `top`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopRow {
    /// Its pid.
    pub pid: crate::process::Pid,
    /// Its child id.
    pub id: String,
    /// Its plugin.
    pub plugin: String,
    /// Its vsn.
    pub vsn: String,
    /// Compute time in callbacks over the window, as a share of one core.
    pub cpu_percent: f64,
    /// Linear memory, in bytes.
    pub memory_bytes: u64,
    /// Messages waiting.
    pub mailbox: u64,
    /// Messages handled per second over the window.
    pub messages_per_s: f64,
    /// Restarts of its child spec, when its supervisor said.
    pub restarts: Option<u32>,
}

/// Crash reports of one plugin among the last 100 kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopCrashes {
    /// The plugin.
    pub plugin: String,
    /// Its crash reports among the last 100.
    pub count: usize,
}

/// The busiest processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopReply {
    /// The ranking used.
    pub by: TopSort,
    /// The window measured, in milliseconds.
    pub window_ms: u64,
    /// Live processes ranked.
    pub total: usize,
    /// The top rows, busiest first.
    pub processes: Vec<TopRow>,
    /// Which plugins crashed among the last 100 crash reports.
    pub recent_crashes: Vec<TopCrashes>,
}

/// `GET /config`: whose configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigQuery {
    /// The application (default: the one running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

/// An application's effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigReply {
    /// The application.
    pub app: String,
    /// The environment chosen with `--env`, if any.
    pub environment: Option<String>,
    /// Every value (a leaf of the tree), with where it came from; secrets
    /// are not shown.
    pub entries: Vec<ConfigEntryReply>,
}

/// One value of [`ConfigReply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigEntryReply {
    /// Its dotted path.
    pub key: String,
    /// Its value (`"<secret>"` for a secret).
    pub value: Value,
    /// Where it came from, in words (`app.toml:8 [app.env]`,
    /// `$OVERSEER_DEMO_LIMIT`, `--set`, `overseer config set`).
    pub source: String,
    /// The file a secret was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
}

/// `POST /config/set`: set `key` of `app`'s env to the value `value`
/// stands for (text, read as a variable's would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSetRequest {
    /// The application (default: the one running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The key: a dotted path.
    pub key: String,
    /// The value, as text.
    pub value: String,
}

/// `POST /config/unset`: remove `key` from `app`'s env.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigUnsetRequest {
    /// The application (default: the one running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The key: a dotted path.
    pub key: String,
}

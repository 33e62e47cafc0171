//! A running host: the runtime, the table of live processes, their names,
//! the application env and the event bus.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::code_change::{CodeChange, CodeChangeError, CodeChanged};
use super::events::{Event, EventBus};
use super::host_calls::ProcessHost;
use super::links::Watchers;
use super::mailbox::{Envelope, Mailbox};
use super::server::Server;
use super::{
    CallError, ExitNotice, ExitReason, ExitSender, Pid, SpawnError, SupervisorHandle, Target,
};
use crate::runtime::bindings::server::InitResult;
use crate::runtime::{Crash, Detached, Instance, Plugin, PluginVersion, Runtime};
use crate::sandbox::Limits;

/// A running Overseer host. Cheap to clone: every clone is the same host.
#[derive(Clone)]
pub struct Node {
    pub(super) inner: Arc<NodeInner>,
}

pub(super) struct NodeInner {
    runtime: Runtime,
    pub(super) processes: DashMap<Pid, Entry>,
    pub(super) names: DashMap<String, Pid>,
    plugins: DashMap<String, Arc<Plugin>>,
    pub(super) registries: DashMap<String, Arc<super::registry::Registry>>,
    pub(super) pools: DashMap<String, super::pool::PoolRef>,
    pub(super) tasks: DashMap<String, Arc<crate::runtime::TaskPlugin>>,
    /// Where plugins named at run time (a dynamic child's spec) are loaded
    /// from when the node does not know them yet.
    plugins_dir: RwLock<Option<std::path::PathBuf>>,
    /// Told the plugin's name whenever a probation rollback happens.
    rollbacks: Mutex<Vec<mpsc::UnboundedSender<String>>>,
    next_pid: AtomicU64,
    pub(super) live: AtomicUsize,
    pub(super) events: EventBus,
    env: RwLock<Arc<serde_json::Map<String, serde_json::Value>>>,
}

/// What the table knows of a live process.
#[derive(Clone)]
pub(super) struct Entry {
    /// None for a supervisor.
    pub(super) mailbox: Option<Mailbox>,
    pub(super) shared: Arc<Shared>,
    /// A supervisor's child-management API.
    pub(super) supervisor: Option<Arc<dyn SupervisorHandle>>,
}

/// What a process shares with the rest of the host.
pub(crate) struct Shared {
    pub(crate) pid: Pid,
    pub(crate) id: String,
    pub(crate) plugin: String,
    /// The plugin, for its probation (none for a supervisor).
    pub(crate) slot: Option<Arc<Plugin>>,
    /// The build it runs now; a code change replaces it.
    pub(super) version: Mutex<Option<Arc<PluginVersion>>>,
    pub(crate) limits: Limits,
    pub(crate) name: Option<String>,
    /// Names it registered itself, released when it exits.
    pub(crate) names: Mutex<Vec<String>>,
    /// Its registry entries: (registry, key), removed when it exits.
    pub(crate) registrations: Mutex<Vec<(String, String)>>,
    /// Its monitors and links.
    pub(crate) watchers: Mutex<Watchers>,
    pub(crate) parent: Option<Pid>,
    pub(crate) trap_exit: AtomicBool,
    /// Why the process is being killed, read when its task is aborted.
    pub(super) kill_reason: Mutex<Option<ExitReason>>,
    pub(super) abort: OnceLock<AbortHandle>,
}

impl Shared {
    /// A process `pid` with child id `id` and nothing else yet: no plugin,
    /// no name, no parent, not trapping exits.
    pub(super) fn new(pid: Pid, id: &str) -> Shared {
        Shared {
            pid,
            id: id.to_string(),
            plugin: String::new(),
            slot: None,
            version: Mutex::new(None),
            limits: Limits::default(),
            name: None,
            names: Mutex::new(Vec::new()),
            registrations: Mutex::new(Vec::new()),
            watchers: Mutex::new(Watchers::default()),
            parent: None,
            trap_exit: AtomicBool::new(false),
            kill_reason: Mutex::new(None),
            abort: OnceLock::new(),
        }
    }

    /// The build the process runs (none for a supervisor).
    pub(crate) fn version(&self) -> Option<Arc<PluginVersion>> {
        self.version
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Its vsn, or "" for a supervisor.
    pub(crate) fn vsn(&self) -> String {
        self.version()
            .map(|v| v.vsn().to_string())
            .unwrap_or_default()
    }

    pub(crate) fn set_version(&self, version: Arc<PluginVersion>) {
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = Some(version);
    }
}

/// What to start: a plugin, its init args, its identity and limits.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    /// The child id (for logs, crash reports and the tree).
    pub id: String,
    /// The plugin to run: its current build when the process starts.
    pub plugin: Arc<Plugin>,
    /// The payload passed to `init` (JSON; `null` when none).
    pub args: Vec<u8>,
    /// A name to register the process under while it lives.
    pub name: Option<String>,
    /// A registry key to register it under while it lives (a via name).
    pub via: Option<ViaName>,
    /// Memory and CPU limits.
    pub limits: Limits,
}

/// A process's key in a registry, taken when it starts and released when it
/// exits: Elixir's `name: {:via, Registry, {registry, key, value}}`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ViaName {
    /// The registry.
    pub registry: String,
    /// The key.
    pub key: String,
    /// The entry's value (JSON; null when absent).
    #[serde(default)]
    pub value: serde_json::Value,
}

/// A process started by [`Node::spawn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spawned {
    /// `init` returned ok: the process runs.
    Started(Pid),
    /// `init` returned ignore: there is no process.
    Ignored,
}

/// Public facts about a live process or supervisor.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Its pid.
    pub pid: Pid,
    /// Its child id.
    pub id: String,
    /// True for a supervisor.
    pub supervisor: bool,
    /// Its plugin's name (empty for a supervisor).
    pub plugin: String,
    /// Its plugin's vsn (empty for a supervisor).
    pub vsn: String,
    /// Its registered name.
    pub name: Option<String>,
}

impl Node {
    /// A host on `runtime`, with no processes.
    pub fn new(runtime: Runtime) -> Node {
        Node {
            inner: Arc::new(NodeInner {
                runtime,
                processes: DashMap::new(),
                names: DashMap::new(),
                plugins: DashMap::new(),
                registries: DashMap::new(),
                pools: DashMap::new(),
                tasks: DashMap::new(),
                rollbacks: Mutex::new(Vec::new()),
                plugins_dir: RwLock::new(None),
                next_pid: AtomicU64::new(1),
                live: AtomicUsize::new(0),
                events: EventBus::default(),
                env: RwLock::new(Arc::new(serde_json::Map::new())),
            }),
        }
    }

    /// The wasm runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// Replace the application env that guests read through `config`.
    pub fn set_env(&self, env: serde_json::Map<String, serde_json::Value>) {
        let mut slot = self.inner.env.write().unwrap_or_else(|p| p.into_inner());
        *slot = Arc::new(env);
    }

    /// The env value under `key`, as JSON bytes.
    pub fn env_value(&self, key: &str) -> Option<Vec<u8>> {
        let env = self
            .inner
            .env
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        env.get(key).and_then(|v| serde_json::to_vec(v).ok())
    }

    /// How many processes (workers) are alive.
    pub fn live_processes(&self) -> usize {
        self.inner.live.load(Ordering::Relaxed)
    }

    /// A fresh pid.
    pub fn alloc_pid(&self) -> Pid {
        Pid(self.inner.next_pid.fetch_add(1, Ordering::Relaxed))
    }

    /// Start a process: instantiate `spec.plugin`, run `init`, and on
    /// success serve its mailbox on a task of its own. Returns once `init`
    /// has returned, as OTP's `start_link` does. When the process exits,
    /// every sender in `watchers` receives an [`ExitNotice`].
    ///
    /// # Errors
    ///
    /// [`SpawnError`]: the process cap, a name held by a live process, an
    /// instantiation failure, or an `init` that stops or crashes. In every
    /// error case nothing is left registered.
    pub async fn spawn(
        &self,
        spec: &ProcessSpec,
        parent: Option<Pid>,
        watchers: Vec<ExitSender>,
    ) -> Result<Spawned, SpawnError> {
        let max = self.inner.runtime.config().max_processes;
        if self.inner.live.fetch_add(1, Ordering::Relaxed) >= max as usize {
            self.inner.live.fetch_sub(1, Ordering::Relaxed);
            return Err(SpawnError::TooManyProcesses(max));
        }
        let pid = self.alloc_pid();
        let version = spec.plugin.current();
        let shared = Arc::new(Shared {
            plugin: spec.plugin.name().to_string(),
            slot: Some(spec.plugin.clone()),
            version: Mutex::new(Some(version.clone())),
            limits: spec.limits,
            name: spec.name.clone(),
            parent,
            ..Shared::new(pid, &spec.id)
        });
        if let Err(err) = self.register_name(spec.name.as_deref(), pid) {
            self.inner.live.fetch_sub(1, Ordering::Relaxed);
            return Err(err);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.processes.insert(
            pid,
            Entry {
                mailbox: Some(tx.clone()),
                shared: shared.clone(),
                supervisor: None,
            },
        );
        if let Some(via) = &spec.via
            && let Err(err) =
                self.registry_register(&via.registry, &via.key, pid, via.value.clone())
        {
            self.forget(&shared);
            return Err(SpawnError::Registry(err));
        }
        let host = ProcessHost::new(self.clone(), shared.clone(), tx);
        let started = async {
            let mut instance = Instance::new(&version, Box::new(host), &spec.limits)
                .await
                .map_err(SpawnError::Instantiate)?;
            match instance.init(&spec.args).await {
                Ok(InitResult::Ok(timeout)) => Ok(Some((instance, timeout))),
                Ok(InitResult::Ignore) => Ok(None),
                Ok(InitResult::Stop(reason)) => {
                    let reason = ExitReason::from_wit(reason);
                    if !reason.is_normal() {
                        self.note_crash(&shared, &reason.to_string());
                    }
                    Err(SpawnError::InitStopped(reason))
                }
                Err(crash) => {
                    self.report_init_crash(&shared, &crash, &spec.args);
                    self.note_crash(&shared, &format!("init: {}", crash.cause));
                    Err(SpawnError::InitCrashed(crash))
                }
            }
        }
        .await;
        let (instance, timeout) = match started {
            Ok(Some(ready)) => ready,
            Ok(None) => {
                self.forget(&shared);
                return Ok(Spawned::Ignored);
            }
            Err(err) => {
                self.forget(&shared);
                return Err(err);
            }
        };
        let server = Server {
            node: self.clone(),
            shared: shared.clone(),
            instance,
            mailbox: rx,
            timeout: Server::deadline(timeout),
        };
        let guard = ExitGuard {
            node: self.clone(),
            shared: shared.clone(),
            watchers,
            reason: None,
        };
        let task = tokio::spawn(async move {
            let mut guard = guard;
            guard.reason = Some(server.run().await);
        });
        let _ = shared.abort.set(task.abort_handle());
        self.inner.events.publish(Event::ProcessStarted {
            pid,
            id: spec.id.clone(),
            plugin: shared.plugin.clone(),
            vsn: version.vsn().to_string(),
        });
        Ok(Spawned::Started(pid))
    }

    /// A process crashed (or stopped abnormally): count it against its
    /// build's probation, and roll the plugin back if that is over the limit.
    /// Runs before anyone is told of the exit, so that a restart already
    /// starts the build rolled back to.
    pub(crate) fn note_crash(&self, shared: &Shared, reason: &str) {
        let (Some(slot), Some(version)) = (&shared.slot, shared.version()) else {
            return;
        };
        if let Some(rolled_back) = slot.crashed(&version, reason) {
            let mut followers = self
                .inner
                .rollbacks
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            followers.retain(|f| f.send(slot.name().to_string()).is_ok());
            drop(followers);
            self.inner.events.publish(Event::RolledBack {
                plugin: slot.name().to_string(),
                from: rolled_back.from.vsn().to_string(),
                from_hash: rolled_back.from.short_hash().to_string(),
                to: rolled_back.to.vsn().to_string(),
                to_hash: rolled_back.to.short_hash().to_string(),
                reasons: rolled_back.reasons,
            });
        }
    }

    /// The names of plugins rolled back by probation, as it happens: whoever
    /// moves processes between builds follows this.
    pub fn rollbacks(&self) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner
            .rollbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        rx
    }

    /// Make `plugin` known by its name, for reloads and `versions`. A
    /// plugin of that name already known is kept and returned instead.
    pub fn register_plugin(&self, plugin: Arc<Plugin>) -> Arc<Plugin> {
        self.inner
            .plugins
            .entry(plugin.name().to_string())
            .or_insert(plugin)
            .clone()
    }

    /// The plugin called `name`.
    pub fn plugin(&self, name: &str) -> Option<Arc<Plugin>> {
        self.inner.plugins.get(name).map(|p| p.clone())
    }

    /// Set the folder that plugins named at run time are loaded from.
    pub fn set_plugins_dir(&self, dir: std::path::PathBuf) {
        *self
            .inner
            .plugins_dir
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(dir);
    }

    /// Enter a worker-like process in the table.
    pub(super) fn insert_process(&self, pid: Pid, mailbox: Mailbox, shared: Arc<Shared>) {
        self.inner.processes.insert(
            pid,
            Entry {
                mailbox: Some(mailbox),
                shared,
                supervisor: None,
            },
        );
    }

    /// The plugin folder (empty when none was set).
    pub(super) fn plugins_dir(&self) -> std::path::PathBuf {
        self.inner
            .plugins_dir
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default()
    }

    /// The plugin called `name`, loaded from the plugin folder (as
    /// `NAME.wasm`) if the node does not know it yet.
    ///
    /// # Errors
    ///
    /// A [`PluginError`](crate::runtime::PluginError) naming the file, or
    /// a missing-file error when the node has no plugin folder.
    pub async fn plugin_or_load(
        &self,
        name: &str,
    ) -> Result<Arc<Plugin>, crate::runtime::PluginError> {
        if let Some(plugin) = self.plugin(name) {
            return Ok(plugin);
        }
        self.load_plugin(&self.plugins_dir().join(format!("{name}.wasm")))
            .await
    }

    /// Load the plugin at `path`, make it known by its name, and say so (a
    /// `plugin_loaded` event).
    ///
    /// # Errors
    ///
    /// A [`PluginError`](crate::runtime::PluginError) naming the file.
    pub async fn load_plugin(
        &self,
        path: &std::path::Path,
    ) -> Result<Arc<Plugin>, crate::runtime::PluginError> {
        let version = PluginVersion::load(&self.inner.runtime, path).await?;
        let plugin = self.register_plugin(Plugin::new(version.clone()));
        self.inner.events.publish(Event::PluginLoaded {
            plugin: plugin.name().to_string(),
            vsn: version.vsn().to_string(),
            file: path.display().to_string(),
        });
        Ok(plugin)
    }

    /// Every known plugin, by name.
    pub fn plugins(&self) -> Vec<Arc<Plugin>> {
        let mut plugins: Vec<_> = self.inner.plugins.iter().map(|p| p.clone()).collect();
        plugins.sort_by(|a, b| a.name().cmp(b.name()));
        plugins
    }

    /// The live processes of plugin `name`, with the build each runs.
    pub fn processes_of(&self, name: &str) -> Vec<(Pid, Arc<PluginVersion>)> {
        let mut found: Vec<_> = self
            .inner
            .processes
            .iter()
            .filter(|e| e.mailbox.is_some() && e.shared.plugin == name)
            .filter_map(|e| Some((*e.key(), e.shared.version()?)))
            .collect();
        found.sort_by_key(|(pid, _)| *pid);
        found
    }

    /// Move process `pid` to build `to` at its next message boundary:
    /// `get-state` on the running instance, `code-change` on a fresh
    /// instance of `to`, swap. `downgrade` marks a change back to an older
    /// build. Waits at most `timeout` for the process to reach the change.
    ///
    /// # Errors
    ///
    /// [`CodeChangeError`]; in every case but `GetStateCrashed` the process
    /// keeps serving with its old build and state.
    pub async fn change_code(
        &self,
        pid: Pid,
        to: &Arc<PluginVersion>,
        extra: Vec<u8>,
        downgrade: bool,
        timeout: Duration,
    ) -> Result<CodeChanged, CodeChangeError> {
        let pending = self
            .begin_code_change(pid, to, extra, downgrade, None)
            .await?;
        pending.outcome(tokio::time::Instant::now() + timeout).await
    }

    /// The first half of [`change_code`](Self::change_code): make the new
    /// instance and queue the change, without waiting for it. Many changes
    /// can be queued before any outcome is read. `held` is dropped when the
    /// change is done or abandoned (a permit that bounds changes in flight).
    ///
    /// # Errors
    ///
    /// [`CodeChangeError::NoProc`] or [`CodeChangeError::Instantiate`].
    pub async fn begin_code_change(
        &self,
        pid: Pid,
        to: &Arc<PluginVersion>,
        extra: Vec<u8>,
        downgrade: bool,
        held: Option<Box<dyn Send + Sync>>,
    ) -> Result<PendingChange, CodeChangeError> {
        let entry = self
            .inner
            .processes
            .get(&pid)
            .map(|e| e.clone())
            .ok_or(CodeChangeError::NoProc)?;
        let mailbox = entry.mailbox.ok_or(CodeChangeError::NoProc)?;
        // Made before the process pauses: instantiation is not part of it.
        let instance = Instance::new(to, Box::new(Detached), &entry.shared.limits)
            .await
            .map_err(CodeChangeError::Instantiate)?;
        let (reply, answer) = oneshot::channel();
        mailbox
            .send(Envelope::CodeChange(Box::new(CodeChange {
                to: to.clone(),
                instance,
                extra,
                downgrade,
                reply,
                held,
            })))
            .map_err(|_| CodeChangeError::NoProc)?;
        Ok(PendingChange { pid, answer })
    }

    fn report_init_crash(&self, shared: &Shared, crash: &Crash, args: &[u8]) {
        self.inner.events.publish(Event::CrashReport {
            pid: shared.pid,
            id: shared.id.clone(),
            plugin: shared.plugin.clone(),
            vsn: shared.vsn(),
            reason: ExitReason::Crash(crash.cause.clone()),
            backtrace: crash.backtrace.clone(),
            message: Some(super::server::describe("init", args)),
            output: crash.output.clone(),
        });
    }

    pub(super) fn register_name(&self, name: Option<&str>, pid: Pid) -> Result<(), SpawnError> {
        let Some(name) = name else { return Ok(()) };
        match self.inner.names.entry(name.to_string()) {
            MapEntry::Occupied(mut held) => {
                let holder = *held.get();
                if self.inner.processes.contains_key(&holder) {
                    return Err(SpawnError::NameTaken {
                        name: name.to_string(),
                        holder,
                    });
                }
                held.insert(pid);
            }
            MapEntry::Vacant(free) => {
                free.insert(pid);
            }
        }
        Ok(())
    }

    /// Remove a process that is gone (or never started) from the table.
    fn forget(&self, shared: &Shared) {
        self.inner.processes.remove(&shared.pid);
        let own = std::mem::take(&mut *shared.names.lock().unwrap_or_else(|p| p.into_inner()));
        for name in shared.name.iter().chain(own.iter()) {
            self.inner
                .names
                .remove_if(name, |_, holder| *holder == shared.pid);
        }
        let registrations = std::mem::take(
            &mut *shared
                .registrations
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        self.drop_registrations(shared.pid, registrations);
        self.inner.live.fetch_sub(1, Ordering::Relaxed);
    }

    /// Enter a supervisor in the table, so that its pid (and `name`, if
    /// any) resolves and is never reused, and `handle` reaches it.
    ///
    /// # Errors
    ///
    /// [`SpawnError::NameTaken`] if a live process holds `name`.
    pub fn register_supervisor(
        &self,
        pid: Pid,
        id: &str,
        name: Option<&str>,
        handle: Arc<dyn SupervisorHandle>,
    ) -> Result<(), SpawnError> {
        self.register_name(name, pid)?;
        let shared = Arc::new(Shared {
            name: name.map(str::to_string),
            trap_exit: AtomicBool::new(true),
            ..Shared::new(pid, id)
        });
        self.inner.processes.insert(
            pid,
            Entry {
                mailbox: None,
                shared,
                supervisor: Some(handle),
            },
        );
        Ok(())
    }

    /// The supervisor behind `target`.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] if nothing answers to it, or it is a worker.
    pub fn supervisor(&self, target: &Target) -> Result<Arc<dyn SupervisorHandle>, CallError> {
        let pid = self
            .whereis(target)
            .ok_or_else(|| CallError::NoProc(target.clone()))?;
        self.inner
            .processes
            .get(&pid)
            .and_then(|e| e.supervisor.clone())
            .ok_or_else(|| CallError::NoProc(target.clone()))
    }

    /// Remove a supervisor that has exited from the table, and its name.
    pub fn unregister_supervisor(&self, pid: Pid) {
        if let Some((_, entry)) = self.inner.processes.remove(&pid)
            && let Some(name) = &entry.shared.name
        {
            self.inner.names.remove_if(name, |_, holder| *holder == pid);
        }
    }

    /// Facts about a live process or supervisor.
    pub fn process_info(&self, pid: Pid) -> Option<ProcessInfo> {
        let entry = self.inner.processes.get(&pid)?;
        let s = &entry.shared;
        Some(ProcessInfo {
            pid,
            id: s.id.clone(),
            supervisor: entry.mailbox.is_none(),
            plugin: s.plugin.clone(),
            vsn: s.vsn(),
            name: s.name.clone(),
        })
    }

    /// The pid behind a target, if it is alive.
    pub fn whereis(&self, target: &Target) -> Option<Pid> {
        let pid = match target {
            Target::Pid(pid) => *pid,
            Target::Name(name) => *self.inner.names.get(name)?,
            Target::Via { registry, key } => self.whereis_via(registry, key)?,
        };
        self.inner.processes.contains_key(&pid).then_some(pid)
    }

    /// A handle for sending to a live GenServer, resolved once.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] or [`CallError::NotAServer`].
    pub fn lookup(&self, target: &Target) -> Result<ProcessRef, CallError> {
        let pid = self
            .whereis(target)
            .ok_or_else(|| CallError::NoProc(target.clone()))?;
        let entry = self
            .inner
            .processes
            .get(&pid)
            .map(|e| e.clone())
            .ok_or_else(|| CallError::NoProc(target.clone()))?;
        let mailbox = entry
            .mailbox
            .ok_or_else(|| CallError::NotAServer(target.clone()))?;
        Ok(ProcessRef { pid, mailbox })
    }

    /// `GenServer.call(target, request, timeout)`.
    ///
    /// # Errors
    ///
    /// [`CallError`]: no such process, a timeout (the server carries on), or
    /// the server exited before replying.
    pub async fn call(
        &self,
        target: &Target,
        request: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        self.lookup(target)?.call(request, timeout).await
    }

    /// `GenServer.cast(target, msg)`.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when nothing answers to `target` (OTP's cast
    /// would drop it silently; a user at a terminal wants to know).
    pub fn cast(&self, target: &Target, msg: Vec<u8>) -> Result<(), CallError> {
        self.lookup(target)?.cast(msg)
    }

    /// `send(target, msg)`: a plain message, delivered to `handle-info`.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when nothing answers to `target`.
    pub fn send(&self, target: &Target, msg: Vec<u8>) -> Result<(), CallError> {
        self.lookup(target)?.send(msg)
    }

    /// The process's state, through its `get-state` (`sys:get_state`).
    ///
    /// # Errors
    ///
    /// As for [`Node::call`].
    pub async fn get_state(
        &self,
        target: &Target,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        self.lookup(target)?.get_state(timeout).await
    }

    /// Send an exit signal, as OTP's `exit(Pid, Reason)`: a process that
    /// traps exits gets it as a message (its parent's signal makes it
    /// terminate); any other process ends at once with `reason`, without
    /// running `terminate`. Does nothing if the process is gone.
    pub fn exit_signal(&self, pid: Pid, from: Pid, reason: ExitReason) {
        let Some(entry) = self.inner.processes.get(&pid).map(|e| e.clone()) else {
            return;
        };
        match &entry.mailbox {
            Some(mailbox) if entry.shared.trap_exit.load(Ordering::Relaxed) => {
                let _ = mailbox.send(Envelope::Exit { from, reason });
            }
            _ => kill_task(&entry.shared, reason),
        }
    }

    /// End a process at once with `reason` (`killed` for a brutal kill). Its
    /// `terminate` does not run. Does nothing if the process is gone.
    pub fn kill(&self, pid: Pid, reason: ExitReason) {
        if let Some(entry) = self.inner.processes.get(&pid).map(|e| e.clone()) {
            kill_task(&entry.shared, reason);
        }
    }
}

fn kill_task(shared: &Shared, reason: ExitReason) {
    let mut slot = shared.kill_reason.lock().unwrap_or_else(|p| p.into_inner());
    slot.get_or_insert(reason);
    drop(slot);
    if let Some(abort) = shared.abort.get() {
        abort.abort();
    }
}

/// A code change queued in a process's mailbox.
pub struct PendingChange {
    pid: Pid,
    answer: oneshot::Receiver<Result<CodeChanged, CodeChangeError>>,
}

impl PendingChange {
    /// The process.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Wait, until `deadline`, for the outcome. Past it the change is
    /// skipped if the process has not reached it yet.
    ///
    /// # Errors
    ///
    /// As for [`Node::change_code`].
    pub async fn outcome(
        self,
        deadline: tokio::time::Instant,
    ) -> Result<CodeChanged, CodeChangeError> {
        let waited = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout_at(deadline, self.answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(CodeChangeError::NoProc),
            Err(_) => Err(CodeChangeError::Timeout(waited.as_millis() as u64)),
        }
    }
}

/// A resolved handle to a live GenServer's mailbox: the fast path for
/// repeated calls (no name or table lookup per message).
#[derive(Clone, Debug)]
pub struct ProcessRef {
    pid: Pid,
    mailbox: Mailbox,
}

impl ProcessRef {
    /// The process's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// A call with a timeout. A timed-out caller's late reply is dropped.
    ///
    /// # Errors
    ///
    /// [`CallError`]: gone, timed out, or exited before replying.
    pub async fn call(&self, request: Vec<u8>, timeout: Duration) -> Result<Vec<u8>, CallError> {
        self.call_from(None, request, Some(timeout)).await
    }

    /// A call made by process `from` (the callee's caller handle carries
    /// it), waiting at most `timeout` (None: as long as it takes).
    ///
    /// # Errors
    ///
    /// As for [`ProcessRef::call`].
    pub async fn call_from(
        &self,
        from: Option<Pid>,
        request: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, CallError> {
        let (reply, answer) = oneshot::channel();
        self.mailbox
            .send(Envelope::Call {
                request,
                reply,
                from,
            })
            .map_err(|_| CallError::NoProc(Target::Pid(self.pid)))?;
        match timeout {
            Some(timeout) => self.await_answer(answer, timeout).await,
            None => answer
                .await
                .unwrap_or(Err(CallError::Exited(ExitReason::Killed))),
        }
    }

    /// A cast.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] if the process has exited.
    pub fn cast(&self, msg: Vec<u8>) -> Result<(), CallError> {
        self.mailbox
            .send(Envelope::Cast(msg))
            .map_err(|_| CallError::NoProc(Target::Pid(self.pid)))
    }

    /// A plain message to `handle-info`.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] if the process has exited.
    pub fn send(&self, msg: Vec<u8>) -> Result<(), CallError> {
        self.mailbox
            .send(Envelope::Info(msg))
            .map_err(|_| CallError::NoProc(Target::Pid(self.pid)))
    }

    /// The state, through `get-state`.
    ///
    /// # Errors
    ///
    /// As for [`ProcessRef::call`].
    pub async fn get_state(&self, timeout: Duration) -> Result<Vec<u8>, CallError> {
        let (reply, answer) = oneshot::channel();
        self.mailbox
            .send(Envelope::GetState(reply))
            .map_err(|_| CallError::NoProc(Target::Pid(self.pid)))?;
        self.await_answer(answer, timeout).await
    }

    async fn await_answer(
        &self,
        answer: oneshot::Receiver<Result<Vec<u8>, CallError>>,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => result,
            // Dropped without an answer: the process was killed.
            Ok(Err(_)) => Err(CallError::Exited(ExitReason::Killed)),
            Err(_) => Err(CallError::Timeout(timeout.as_millis() as u64)),
        }
    }
}

/// Tells the table and the watchers when a process's task ends, however it
/// ends: a return, a crash, or an abort (kill).
pub(super) struct ExitGuard {
    node: Node,
    shared: Arc<Shared>,
    watchers: Vec<ExitSender>,
    reason: Option<ExitReason>,
}

impl ExitGuard {
    pub(super) fn new(node: Node, shared: Arc<Shared>, watchers: Vec<ExitSender>) -> Self {
        ExitGuard {
            node,
            shared,
            watchers,
            reason: None,
        }
    }

    pub(super) fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    pub(super) fn set_reason(&mut self, reason: ExitReason) {
        self.reason = Some(reason);
    }
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let reason = self.reason.take().unwrap_or_else(|| {
            self.shared
                .kill_reason
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
                .unwrap_or(ExitReason::Killed)
        });
        self.node.forget(&self.shared);
        // The event before the notices: a supervisor reacts to a notice by
        // stopping or starting others, whose events must come after this one.
        self.node.inner.events.publish(Event::ProcessExited {
            pid: self.shared.pid,
            id: self.shared.id.clone(),
            reason: reason.clone(),
        });
        for watcher in &self.watchers {
            let _ = watcher.send(ExitNotice {
                pid: self.shared.pid,
                reason: reason.clone(),
            });
        }
        self.node.signal_exit(&self.shared, &reason);
    }
}

//! A running host, put together: one field per floor, and the few things
//! that take more than one floor (a call by name, a child started from
//! JSON).

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use super::child_spec::{SpecError, child_spec_from_json};
use super::config::ConfigError;
use super::env::{AppEnv, AppEnvs};
use super::start::{ChildSpecError, TaskStart};
use crate::process::{
    CallError, EventBus, ExitReason, Pid, ProcessRef, Processes, SpawnError, Target, TaskOutcome,
    TaskSpec,
};
use crate::registry::{Naming, Registry, RegistryError};
use crate::runtime::{Plugin, PluginError, PluginStore, Runtime};
use crate::sandbox::{Limits, Policy};
use crate::supervisor::{ChildError, PoolError, PoolRef, Supervision, SupervisorRef};

/// A running Overseer host. Cheap to clone: every clone is the same host.
///
/// It holds one part per floor, each reachable on its own: the
/// [`Runtime`], the [`PluginStore`], the [`Processes`] table, the names
/// ([`Naming`]), the supervisors and pools ([`Supervision`]) and the
/// application env ([`AppEnv`]).
#[derive(Clone)]
pub struct Node {
    inner: Arc<NodeInner>,
}

pub(super) struct NodeInner {
    runtime: Runtime,
    plugins: PluginStore,
    processes: Processes,
    naming: Arc<Naming>,
    supervision: Supervision,
    envs: AppEnvs,
    /// Itself, for the guest services (`services.rs`) to hand out owned
    /// handles; the process table holds the host as its services, weakly.
    pub(super) me: Weak<NodeInner>,
    /// Each plugin's policy, from the manifest (`[plugin.NAME]`); a plugin
    /// not named gets the default: nothing beyond its own process.
    policies: RwLock<HashMap<String, Arc<Policy>>>,
}

/// Why a child could not be started at run time (`start-child`).
#[derive(Debug, thiserror::Error)]
pub enum StartChildError {
    /// Nothing answers to the target, or it is not a supervisor.
    #[error("no such supervisor: {0}")]
    NoSupervisor(Target),
    /// The spec breaks a rule.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The spec cannot run on this host.
    #[error("invalid child spec: {0}")]
    Unrunnable(#[from] ChildSpecError),
    /// The supervisor refused it, or it did not start.
    #[error(transparent)]
    Child(#[from] ChildError),
}

/// Why a task did not start.
#[derive(Debug, thiserror::Error)]
pub enum TaskStartError {
    /// Nothing answers to the target, or it is not a supervisor.
    #[error("no such supervisor: {0}")]
    NoSupervisor(Target),
    /// The task build did not load.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The supervisor refused it (`max_children`), or it did not start.
    #[error(transparent)]
    Child(#[from] ChildError),
    /// It did not start outside a supervisor (the host is full).
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// Its start returned ignore.
    #[error("the task did not start")]
    Ignored,
}

impl Node {
    /// A host on `runtime`, with no processes.
    pub fn new(runtime: Runtime) -> Node {
        let processes = Processes::limited(
            runtime.config().max_processes,
            runtime.config().memory_budget(),
            runtime.map_limit(),
            Some(runtime.next_tick().clone()),
        );
        let naming = Naming::install(&processes);
        let inner = Arc::new_cyclic(|me: &Weak<NodeInner>| {
            processes.set_services(me.clone());
            NodeInner {
                plugins: PluginStore::new(runtime.clone()),
                supervision: Supervision::new(processes.clone()),
                processes,
                naming,
                envs: AppEnvs::default(),
                runtime,
                me: me.clone(),
                policies: RwLock::default(),
            }
        });
        Node { inner }
    }

    pub(super) fn from_inner(inner: Arc<NodeInner>) -> Node {
        Node { inner }
    }

    /// The wasm runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// The plugins, by name.
    pub fn plugins(&self) -> &PluginStore {
        &self.inner.plugins
    }

    /// The table of live processes.
    pub fn processes(&self) -> &Processes {
        &self.inner.processes
    }

    /// Registered names and registries.
    pub fn naming(&self) -> &Naming {
        &self.inner.naming
    }

    /// The supervisors and pools.
    pub fn supervision(&self) -> &Supervision {
        &self.inner.supervision
    }

    /// Application `app`'s env, which its processes read through
    /// `config`.
    pub fn env_of(&self, app: &str) -> Option<AppEnv> {
        self.inner.envs.of(app)
    }

    /// The env of application `app`, or of the only one when none is
    /// named (`overseer config`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnknownApplication`], or
    /// [`ConfigError::WhichApplication`] for none named among several.
    pub fn resolve_env(&self, app: Option<&str>) -> Result<AppEnv, ConfigError> {
        self.inner.envs.resolve(app)
    }

    /// Set the env of application `config.app()`.
    pub fn set_env(&self, config: super::config::EffectiveConfig) {
        self.inner.envs.set(config);
    }

    /// Set the policy of each plugin in `policies` (an application's
    /// `[plugin.NAME]` sections); a plugin never named gets the default
    /// (nothing beyond its own process).
    pub fn set_policies(&self, policies: impl IntoIterator<Item = (String, Policy)>) {
        let mut all = self
            .inner
            .policies
            .write()
            .unwrap_or_else(|p| p.into_inner());
        for (name, policy) in policies {
            all.insert(name, Arc::new(policy));
        }
    }

    /// Plugin `plugin`'s policy.
    pub fn policy(&self, plugin: &str) -> Arc<Policy> {
        self.inner
            .policies
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(plugin)
            .cloned()
            .unwrap_or_default()
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        self.inner.processes.events()
    }

    /// How many processes (GenServers and tasks) are alive.
    pub fn live_processes(&self) -> usize {
        self.inner.processes.live()
    }

    /// The pid behind a target, if it is alive.
    pub fn whereis(&self, target: &Target) -> Option<Pid> {
        self.inner.processes.whereis(target)
    }

    /// A handle for sending to a live GenServer, resolved once.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] or [`CallError::NotAServer`].
    pub fn lookup(&self, target: &Target) -> Result<ProcessRef, CallError> {
        self.inner.processes.lookup(target)
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

    /// End a process at once with `reason`. Does nothing if it is gone.
    pub fn kill(&self, pid: Pid, reason: ExitReason) {
        self.inner.processes.kill(pid, reason);
    }

    /// The registry called `name`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoRegistry`].
    pub fn registry(&self, name: &str) -> Result<Arc<Registry>, RegistryError> {
        self.inner.naming.registry(name)
    }

    /// The pool called `name`.
    ///
    /// # Errors
    ///
    /// [`PoolError::NoPool`].
    pub fn pool(&self, name: &str) -> Result<PoolRef, PoolError> {
        self.inner
            .supervision
            .pool(name)
            .ok_or_else(|| PoolError::NoPool(name.to_string()))
    }

    /// The supervisor behind `target`, if one runs there.
    pub fn supervisor(&self, target: &Target) -> Option<SupervisorRef> {
        self.inner.supervision.supervisor(target)
    }

    /// Load the plugin at `path`, make it known by its name, and say so (a
    /// `plugin_loaded` event).
    ///
    /// # Errors
    ///
    /// A [`PluginError`] naming the file.
    pub async fn load_plugin(&self, path: &std::path::Path) -> Result<Arc<Plugin>, PluginError> {
        let plugin = self.inner.plugins.load(path).await?;
        self.events().publish(crate::process::Event::PluginLoaded {
            plugin: plugin.name().to_string(),
            vsn: plugin.current().vsn().to_string(),
            file: path.display().to_string(),
        });
        Ok(plugin)
    }

    /// Start a child under supervisor `sup` from a JSON child spec (see
    /// [`ChildSpecConfig`](super::ChildSpecConfig)), for `owner` if a
    /// process asks. Its pid, or None if its init returned ignore.
    ///
    /// # Errors
    ///
    /// [`StartChildError`]: no such supervisor, a bad spec (naming the
    /// field), a plugin that does not load, or the supervisor's refusal.
    pub async fn start_child(
        &self,
        sup: &Target,
        spec: &[u8],
        owner: Option<Pid>,
    ) -> Result<Option<Pid>, StartChildError> {
        let sup_ref = self
            .supervisor(sup)
            .ok_or_else(|| StartChildError::NoSupervisor(sup.clone()))?;
        let decl = child_spec_from_json(spec)?;
        let spec = self.child_spec(&decl, owner).await?;
        Ok(sup_ref.start_child(spec).await?)
    }

    /// Start one run of task `plugin` (`NAME.wasm` in the plugin folder) on
    /// `input`: under supervisor `sup` as a temporary child, or on its own.
    /// Its outcome goes to `result`; it is linked to `link` before it runs
    /// (Elixir's `async`); `owner` is the process that asked, if one did.
    ///
    /// # Errors
    ///
    /// [`TaskStartError`].
    pub async fn start_task(
        &self,
        sup: Option<&Target>,
        plugin: &str,
        input: Vec<u8>,
        result: Option<oneshot::Sender<TaskOutcome>>,
        link: Option<Pid>,
        owner: Option<Pid>,
    ) -> Result<Pid, TaskStartError> {
        let sup_ref = match sup {
            Some(target) => Some(
                self.supervisor(target)
                    .ok_or_else(|| TaskStartError::NoSupervisor(target.clone()))?,
            ),
            None => None,
        };
        let spec = TaskSpec {
            policy: self.policy(plugin),
            plugin: self.inner.plugins.task(plugin).await?,
            input,
            owner,
            link,
            limits: self.capped_by_owner(Limits::default(), owner),
        };
        match sup_ref {
            Some(sup_ref) => {
                let start = TaskStart::new(self.processes().clone(), spec, result);
                match sup_ref.start_child(start.child_spec()).await? {
                    Some(pid) => Ok(pid),
                    None => Err(TaskStartError::Ignored),
                }
            }
            None => Ok(self
                .inner
                .processes
                .spawn_task(spec, None, Vec::new(), result)?),
        }
    }
}

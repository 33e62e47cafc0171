//! The table of live processes: who is alive, how to reach each one, and
//! how to signal or kill it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use dashmap::DashMap;
use serde::Serialize;
use tokio::task::AbortHandle;

use super::activity::Activity;
use super::counts::Tallies;
use super::events::EventBus;
use super::mailbox::{Envelope, Mailbox};
use super::names::{NameError, Names};
use super::services::GuestServices;
use super::watchers::Watchers;
use super::{CallError, ExitReason, Pid, PidMap, ProcessRef, Target};
use crate::runtime::capacity::MapLimit;
use crate::runtime::{NextTick, Plugin, PluginVersion};
use crate::sandbox::{Limits, Policy};

/// The live processes of one host. Cheap to clone: every clone is the same
/// table.
///
/// Processes with a mailbox are GenServers and tasks; entries without one
/// are supervisors and pools, entered so that their pids resolve, their
/// names are taken, and they can be monitored and linked.
#[derive(Clone)]
pub struct Processes {
    pub(super) inner: Arc<TableInner>,
}

pub(super) struct TableInner {
    pub(super) entries: PidMap<Entry>,
    next_pid: AtomicU64,
    /// Live GenServers and tasks (not supervisors).
    pub(super) live: AtomicUsize,
    pub(super) max_processes: u32,
    /// Set when the kernel's mapping limit is what set `max_processes`.
    map_limit: Option<MapLimit>,
    /// Memory limits of live processes, summed; bounded by `memory_budget`.
    reserved_memory: AtomicU64,
    memory_budget: u64,
    pub(super) events: EventBus,
    /// What exited processes handled, by plugin and vsn.
    pub(super) tallies: Tallies,
    /// Whether calls are timed, for metrics.
    pub(super) time_calls: AtomicBool,
    /// The epoch's ticks, which call timeouts wait for before arming a
    /// timer. None (a table without an engine): every call arms one.
    next_tick: Option<Arc<NextTick>>,
    /// Refusals already reported, by plugin and capability or quota key:
    /// each is reported once.
    pub(super) denials: DashMap<(String, &'static str), ()>,
    names: OnceLock<Weak<dyn Names>>,
    services: OnceLock<Weak<dyn GuestServices>>,
}

/// What the table knows of a live process.
#[derive(Clone)]
pub(super) struct Entry {
    /// None for a supervisor or a pool.
    pub(super) mailbox: Option<Mailbox>,
    pub(super) shared: Arc<Shared>,
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
    /// What its plugin may do beyond the process itself.
    pub(crate) policy: Arc<Policy>,
    /// The process that started it through a guest request (`start-child`,
    /// a task), if one did: a process may always stop, link to and monitor
    /// what it started, and what those started.
    pub(crate) owner: Option<Pid>,
    /// How many live processes its subtree holds (its `children` quota).
    pub(super) owned: Arc<AtomicUsize>,
    /// The subtree counts of its owner and the owner's owners, each of
    /// which counts it while it lives, with each one's `children` quota.
    pub(super) counted_by: Mutex<Vec<(Arc<AtomicUsize>, usize)>>,
    /// The name it was started under, if any.
    pub(crate) name: Option<String>,
    /// Its monitors and links.
    pub(crate) watchers: Mutex<Watchers>,
    pub(crate) parent: Option<Pid>,
    /// The application it belongs to (OTP's group leader): its parent's,
    /// else its owner's; a root supervisor's is given.
    pub(crate) group: Option<Arc<str>>,
    /// Still starting (a GenServer in `init`, a supervisor starting its
    /// children): its parent waits on it.
    pub(crate) starting: AtomicBool,
    pub(crate) trap_exit: AtomicBool,
    /// Why the process is being killed, read when its task is aborted.
    pub(super) kill_reason: Mutex<Option<ExitReason>>,
    pub(super) abort: OnceLock<AbortHandle>,
    /// What it is doing and has done, for `info`.
    pub(crate) activity: Activity,
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
            policy: Arc::new(Policy::default()),
            owner: None,
            owned: Arc::default(),
            counted_by: Mutex::default(),
            name: None,
            watchers: Mutex::new(Watchers::default()),
            parent: None,
            group: None,
            starting: AtomicBool::new(false),
            trap_exit: AtomicBool::new(false),
            kill_reason: Mutex::new(None),
            abort: OnceLock::new(),
            activity: Activity::default(),
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

    /// How many live processes it started, and they started, and so on.
    pub(crate) fn owned(&self) -> usize {
        self.owned.load(Ordering::Relaxed)
    }

    /// Whether it and every owner above it have room in their subtree
    /// for one more process; if not, the quota that is full.
    pub(crate) fn room_for_a_child(&self) -> Result<(), usize> {
        let own = self.policy.quotas.children;
        if self.owned() >= own {
            return Err(own);
        }
        let counted_by = self.counted_by.lock().unwrap_or_else(|p| p.into_inner());
        match counted_by
            .iter()
            .find(|(count, limit)| count.load(Ordering::Relaxed) >= *limit)
        {
            Some((_, limit)) => Err(*limit),
            None => Ok(()),
        }
    }

    /// How many links it holds.
    pub(crate) fn link_count(&self) -> usize {
        self.watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .links
            .len()
    }

    pub(crate) fn set_version(&self, version: Arc<PluginVersion>) {
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = Some(version);
    }
}

/// Public facts about a live process or supervisor.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Its pid.
    pub pid: Pid,
    /// Its child id.
    pub id: String,
    /// True for a supervisor (or a pool).
    pub supervisor: bool,
    /// Its plugin's name (empty for a supervisor).
    pub plugin: String,
    /// Its plugin's vsn (empty for a supervisor).
    pub vsn: String,
    /// The name it was started under.
    pub name: Option<String>,
    /// Monitors other processes hold on it.
    pub monitored_by: usize,
    /// Processes linked to it.
    pub links: usize,
}

impl Processes {
    /// An empty table for at most `max_processes` live GenServers and
    /// tasks, whose memory limits together stay within `memory_budget`
    /// bytes. It needs no wasm engine: supervisors can be run, and tested,
    /// on a table of their own.
    pub fn new(max_processes: u32, memory_budget: u64) -> Processes {
        Self::limited(max_processes, memory_budget, None, None)
    }

    /// [`new`](Self::new), for a cap that the kernel's mapping limit set
    /// (`map_limit`), which a start past the cap then names, and with the
    /// engine's ticks (`next_tick`), which make call timeouts cheap.
    pub fn limited(
        max_processes: u32,
        memory_budget: u64,
        map_limit: Option<MapLimit>,
        next_tick: Option<Arc<NextTick>>,
    ) -> Processes {
        let processes = Processes {
            inner: Arc::new(TableInner {
                entries: PidMap::default(),
                next_pid: AtomicU64::new(1),
                live: AtomicUsize::new(0),
                max_processes,
                map_limit,
                reserved_memory: AtomicU64::new(0),
                memory_budget,
                events: EventBus::default(),
                tallies: Tallies::default(),
                time_calls: AtomicBool::new(false),
                next_tick,
                denials: DashMap::new(),
                names: OnceLock::new(),
                services: OnceLock::new(),
            }),
        };
        super::wheel_anchor::anchor_timer_wheel(Arc::downgrade(&processes.inner));
        processes
    }

    /// Give the table the floor that resolves names and registry keys. Set
    /// once; later calls are ignored. Held weakly: the owner keeps it alive.
    pub fn set_names(&self, names: Weak<dyn Names>) {
        let _ = self.inner.names.set(names);
    }

    /// Give the table the services its guests may ask for. Set once; held
    /// weakly.
    pub fn set_services(&self, services: Weak<dyn GuestServices>) {
        let _ = self.inner.services.set(services);
    }

    /// The names floor, if the host has one.
    pub(crate) fn names(&self) -> Option<Arc<dyn Names>> {
        self.inner.names.get().and_then(Weak::upgrade)
    }

    /// The guest services, if the host has them.
    pub(crate) fn services(&self) -> Option<Arc<dyn GuestServices>> {
        self.inner.services.get().and_then(Weak::upgrade)
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// How many GenServers and tasks are alive.
    pub fn live(&self) -> usize {
        self.inner.live.load(Ordering::Relaxed)
    }

    /// The most that may be alive at once.
    pub fn max_processes(&self) -> u32 {
        self.inner.max_processes
    }

    /// A fresh pid, never used before in this table.
    pub fn alloc_pid(&self) -> Pid {
        Pid(self.inner.next_pid.fetch_add(1, Ordering::Relaxed))
    }

    /// Count one more live process, unless the cap is reached.
    pub(super) fn reserve(&self, memory_bytes: u64) -> Result<(), super::SpawnError> {
        let max = self.inner.max_processes;
        if self.inner.live.fetch_add(1, Ordering::Relaxed) >= max as usize {
            self.inner.live.fetch_sub(1, Ordering::Relaxed);
            return Err(match self.inner.map_limit {
                Some(limit) => super::SpawnError::MapLimit(limit),
                None => super::SpawnError::TooManyProcesses(max),
            });
        }
        let budget = self.inner.memory_budget;
        let before = self
            .inner
            .reserved_memory
            .fetch_add(memory_bytes, Ordering::Relaxed);
        if before.saturating_add(memory_bytes) > budget {
            self.unreserve(memory_bytes);
            return Err(super::SpawnError::MemoryBudget {
                asked: memory_bytes,
                reserved: before,
                budget,
            });
        }
        Ok(())
    }

    /// Give back what [`reserve`](Self::reserve) took.
    pub(super) fn unreserve(&self, memory_bytes: u64) {
        self.inner.live.fetch_sub(1, Ordering::Relaxed);
        self.inner
            .reserved_memory
            .fetch_sub(memory_bytes, Ordering::Relaxed);
    }

    /// Enter a process that has no mailbox (a supervisor or a pool), so
    /// that `pid` and `name` resolve to it and it can be monitored and
    /// linked. It traps exits, as a supervisor does.
    ///
    /// # Errors
    ///
    /// [`NameError::Taken`] if a live process holds `name`.
    pub fn enter(
        &self,
        pid: Pid,
        id: &str,
        name: Option<&str>,
        parent: Option<Pid>,
        group: Option<Arc<str>>,
    ) -> Result<(), NameError> {
        self.take_name(pid, name)?;
        let shared = Arc::new(Shared {
            name: name.map(str::to_string),
            trap_exit: AtomicBool::new(true),
            parent,
            group: group.or_else(|| self.group_of(parent, None)),
            starting: AtomicBool::new(true),
            ..Shared::new(pid, id)
        });
        self.inner.entries.insert(
            pid,
            Entry {
                mailbox: None,
                shared,
            },
        );
        Ok(())
    }

    /// The application a process started by `parent` (else `owner`)
    /// belongs to: theirs.
    pub(crate) fn group_of(&self, parent: Option<Pid>, owner: Option<Pid>) -> Option<Arc<str>> {
        parent
            .or(owner)
            .and_then(|pid| self.shared_of(pid))
            .and_then(|shared| shared.group.clone())
    }

    /// The application process `pid` belongs to, if any.
    pub fn application_of(&self, pid: Pid) -> Option<Arc<str>> {
        self.shared_of(pid).and_then(|shared| shared.group.clone())
    }

    /// How many live processes (supervisors included) belong to
    /// application `app`.
    pub fn count_of_application(&self, app: &str) -> usize {
        self.inner
            .entries
            .iter()
            .filter(|entry| entry.shared.group.as_deref() == Some(app))
            .count()
    }

    /// A process entered with [`enter`](Self::enter) has started all it
    /// starts: its parent no longer waits on it.
    pub fn started(&self, pid: Pid) {
        if let Some(shared) = self.shared_of(pid) {
            shared.starting.store(false, Ordering::Relaxed);
        }
    }

    /// Remove a process entered with [`enter`](Self::enter), its names and
    /// keys with it, and tell its monitors and links.
    pub fn leave(&self, pid: Pid, reason: &ExitReason) {
        if let Some((_, entry)) = self.inner.entries.remove(&pid) {
            self.release_names(pid);
            self.signal_exit(&entry.shared, reason);
        }
    }

    pub(super) fn take_name(&self, pid: Pid, name: Option<&str>) -> Result<(), NameError> {
        match (name, self.names()) {
            (Some(name), Some(names)) => names.register_name(pid, name),
            _ => Ok(()),
        }
    }

    pub(super) fn release_names(&self, pid: Pid) {
        if let Some(names) = self.names() {
            names.release(pid);
        }
    }

    pub(super) fn shared_of(&self, pid: Pid) -> Option<Arc<Shared>> {
        self.inner.entries.get(&pid).map(|e| e.shared.clone())
    }

    pub(super) fn mailbox_of(&self, pid: Pid) -> Option<Mailbox> {
        self.inner.entries.get(&pid).and_then(|e| e.mailbox.clone())
    }

    /// The limits process `pid` runs under, if it is alive.
    pub fn limits_of(&self, pid: Pid) -> Option<Limits> {
        self.shared_of(pid).map(|s| s.limits)
    }

    /// True while `pid` is in the table.
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.inner.entries.contains_key(&pid)
    }

    /// The pid behind a target, if it is alive.
    pub fn whereis(&self, target: &Target) -> Option<Pid> {
        let pid = match target {
            Target::Pid(pid) => *pid,
            Target::Name(name) => self.names()?.whereis_name(name)?,
            Target::Via { registry, key } => self.names()?.whereis_via(registry, key)?,
        };
        self.is_alive(pid).then_some(pid)
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
            .entries
            .get(&pid)
            .map(|e| e.clone())
            .ok_or_else(|| CallError::NoProc(target.clone()))?;
        let mailbox = entry
            .mailbox
            .ok_or_else(|| CallError::NotAServer(target.clone()))?;
        Ok(ProcessRef::new(pid, mailbox, self.inner.next_tick.clone()))
    }

    /// Facts about a live process or supervisor.
    pub fn info(&self, pid: Pid) -> Option<ProcessInfo> {
        let entry = self.inner.entries.get(&pid)?;
        let s = &entry.shared;
        let (monitored_by, links) = {
            let watchers = s.watchers.lock().unwrap_or_else(|p| p.into_inner());
            (watchers.monitors.len(), watchers.links.len())
        };
        Some(ProcessInfo {
            pid,
            id: s.id.clone(),
            supervisor: entry.mailbox.is_none(),
            plugin: s.plugin.clone(),
            vsn: s.vsn(),
            name: s.name.clone(),
            monitored_by,
            links,
        })
    }

    /// The pids and ids of the live supervisors and pools (entries without
    /// a mailbox), by pid.
    pub fn supervisors(&self) -> Vec<(Pid, String)> {
        let mut found: Vec<(Pid, String)> = self
            .inner
            .entries
            .iter()
            .filter(|e| e.mailbox.is_none())
            .map(|e| (*e.key(), e.shared.id.clone()))
            .collect();
        found.sort();
        found
    }

    /// The plugin live process `pid` runs ("" for a supervisor or a pid
    /// that is gone).
    pub fn plugin_of(&self, pid: Pid) -> String {
        self.inner
            .entries
            .get(&pid)
            .map(|e| e.shared.plugin.clone())
            .unwrap_or_default()
    }

    /// The live processes of plugin `name`, with the build each runs, by
    /// pid.
    pub fn of_plugin(&self, name: &str) -> Vec<(Pid, Arc<PluginVersion>)> {
        let mut found: Vec<_> = self
            .inner
            .entries
            .iter()
            .filter(|e| e.mailbox.is_some() && e.shared.plugin == name)
            .filter_map(|e| Some((*e.key(), e.shared.version()?)))
            .collect();
        found.sort_by_key(|(pid, _)| *pid);
        found
    }

    /// Send an exit signal, as OTP's `exit(Pid, Reason)`: a process that
    /// traps exits gets it as a message (its parent's signal makes it
    /// terminate); any other process ends at once with `reason`, without
    /// running `terminate`. Does nothing if the process is gone.
    pub fn exit_signal(&self, pid: Pid, from: Pid, reason: ExitReason) {
        let Some(entry) = self.inner.entries.get(&pid).map(|e| e.clone()) else {
            return;
        };
        match &entry.mailbox {
            Some(mailbox) if entry.shared.trap_exit.load(Ordering::Relaxed) => {
                mailbox.send(Envelope::Exit { from, reason });
            }
            _ => kill_task(&entry.shared, reason),
        }
    }

    /// End a process at once with `reason` (`killed` for a brutal kill). Its
    /// `terminate` does not run. Does nothing if the process is gone.
    pub fn kill(&self, pid: Pid, reason: ExitReason) {
        if let Some(shared) = self.shared_of(pid) {
            kill_task(&shared, reason);
        }
    }
}

pub(super) fn kill_task(shared: &Shared, reason: ExitReason) {
    let mut slot = shared.kill_reason.lock().unwrap_or_else(|p| p.into_inner());
    slot.get_or_insert(reason);
    drop(slot);
    if let Some(abort) = shared.abort.get() {
        abort.abort();
    }
}

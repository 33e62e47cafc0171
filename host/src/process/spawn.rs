//! Starting a GenServer process, and what happens when it ends.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::activity::Callback;
use super::mailbox::mailbox;

use super::events::Event;
use super::names::ViaName;
use super::process_host::ProcessHost;
use super::server::Server;
use super::table::{Entry, Processes, Shared};
use super::{ExitNotice, ExitReason, ExitSender, Pid, SpawnError};
use crate::runtime::bindings::server::InitResult;
use crate::runtime::{Crash, Plugin};
use crate::sandbox::{Limits, Policy};

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
    /// What its plugin may do beyond the process itself.
    pub policy: Arc<Policy>,
    /// The process that asked for it to be started (a guest's
    /// `start-child`), if one did.
    pub owner: Option<Pid>,
}

/// A process started by [`Processes::spawn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spawned {
    /// `init` returned ok: the process runs.
    Started(Pid),
    /// `init` returned ignore: there is no process.
    Ignored,
}

impl Processes {
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
        self.reserve(spec.limits.memory_bytes)?;
        let pid = self.alloc_pid();
        let version = spec.plugin.current();
        let shared = Arc::new(Shared {
            plugin: spec.plugin.name().to_string(),
            slot: Some(spec.plugin.clone()),
            version: Mutex::new(Some(version.clone())),
            limits: spec.limits,
            policy: spec.policy.clone(),
            owner: spec.owner,
            name: spec.name.clone(),
            parent,
            group: self.group_of(parent, spec.owner),
            starting: AtomicBool::new(true),
            ..Shared::new(pid, &spec.id)
        });
        if let Err(err) = self.take_name(pid, spec.name.as_deref()) {
            self.unreserve(spec.limits.memory_bytes);
            return Err(err.into());
        }
        self.own(&shared);
        let (tx, rx) = mailbox(&spec.policy.quotas);
        self.inner.entries.insert(
            pid,
            Entry {
                mailbox: Some(tx.clone()),
                shared: shared.clone(),
            },
        );
        if let Some(via) = &spec.via {
            let taken = match self.names() {
                Some(names) => names.register_via(pid, via),
                None => Err(super::NameError::NoRegistry(via.registry.clone())),
            };
            if let Err(err) = taken {
                self.forget(&shared);
                return Err(err.into());
            }
        }
        let host = ProcessHost::new(self.clone(), shared.clone(), tx);
        let started = async {
            let mut instance = version
                .instantiate(Box::new(host), &spec.limits, &spec.policy.wasi)
                .await
                .map_err(SpawnError::Instantiate)?;
            shared.activity.begin(Callback::Init, None);
            let init = instance.init(&spec.args).await;
            shared.activity.end(instance.memory_bytes());
            match init {
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
                    self.report_crash_at(&shared, &crash, "init", &spec.args);
                    self.note_crash(&shared, &format!("init: {}", crash.cause));
                    Err(SpawnError::InitCrashed {
                        file: version.path().display().to_string(),
                        crash,
                    })
                }
            }
        }
        .await;
        shared.starting.store(false, Ordering::Relaxed);
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
            processes: self.clone(),
            shared: shared.clone(),
            instance,
            mailbox: rx,
            timeout: Server::deadline(timeout),
        };
        let guard = ExitGuard::new(self.clone(), shared.clone(), watchers);
        let task = tokio::spawn(async move {
            let mut guard = guard;
            guard.set_reason(server.run().await);
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

    /// A crash report for a crash outside the GenServer loop: in `init`, or
    /// in a task's `run`.
    pub(super) fn report_crash_at(
        &self,
        shared: &Shared,
        crash: &Crash,
        kind: &str,
        payload: &[u8],
    ) {
        self.inner.events.publish(Event::CrashReport {
            pid: shared.pid,
            id: shared.id.clone(),
            plugin: shared.plugin.clone(),
            vsn: shared.vsn(),
            reason: ExitReason::Crash(crash.cause.clone()),
            backtrace: crash.backtrace.clone(),
            message: Some(super::server::describe(kind, payload)),
            output: crash.output.clone(),
        });
    }

    /// Remove a process that is gone (or never started) from the table,
    /// with its names and keys.
    pub(super) fn forget(&self, shared: &Shared) {
        self.inner.entries.remove(&shared.pid);
        self.disown(shared);
        self.release_names(shared.pid);
        self.unreserve(shared.limits.memory_bytes);
    }
}

impl Processes {
    /// Count `shared` against its owner's `children` quota, and its
    /// owner's owner's, up the chain: a quota bounds a whole subtree.
    pub(super) fn own(&self, shared: &Shared) {
        let mut counters = Vec::new();
        let mut owner = shared.owner;
        while let Some(pid) = owner {
            let Some(above) = self.shared_of(pid) else {
                break;
            };
            if counters.len() >= super::permits::MAX_OWNER_DEPTH {
                break;
            }
            above.owned.fetch_add(1, Ordering::Relaxed);
            counters.push((above.owned.clone(), above.policy.quotas.children));
            owner = above.owner;
        }
        *shared.counted_by.lock().unwrap_or_else(|p| p.into_inner()) = counters;
    }

    /// `shared` is gone: its owners may start another.
    fn disown(&self, shared: &Shared) {
        let counters =
            std::mem::take(&mut *shared.counted_by.lock().unwrap_or_else(|p| p.into_inner()));
        for (counter, _) in counters {
            counter.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Tells the table and the watchers when a process's task ends, however it
/// ends: a return, a crash, or an abort (kill).
pub(super) struct ExitGuard {
    processes: Processes,
    shared: Arc<Shared>,
    watchers: Vec<ExitSender>,
    reason: Option<ExitReason>,
}

impl ExitGuard {
    pub(super) fn new(
        processes: Processes,
        shared: Arc<Shared>,
        watchers: Vec<ExitSender>,
    ) -> Self {
        ExitGuard {
            processes,
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
        let version = self.shared.version();
        let vsn = version.as_ref().map_or("", |v| v.vsn());
        self.processes.fold_counts(&self.shared, vsn);
        self.processes.forget(&self.shared);
        // The event before the notices: a supervisor reacts to a notice by
        // stopping or starting others, whose events must come after this one.
        self.processes.inner.events.publish(Event::ProcessExited {
            pid: self.shared.pid,
            id: self.shared.id.clone(),
            plugin: self.shared.plugin.clone(),
            reason: reason.clone(),
        });
        for watcher in &self.watchers {
            let _ = watcher.send(ExitNotice {
                pid: self.shared.pid,
                reason: reason.clone(),
            });
        }
        self.processes.signal_exit(&self.shared, &reason);
    }
}

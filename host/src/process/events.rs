//! What happens in a host, as events: logged in one place, and broadcast to
//! whoever listens (tests, the control API).

use std::sync::{Arc, RwLock};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use super::{ExitReason, Pid};

/// Something that happened to a process or a supervisor.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A worker process finished `init` and is running.
    ProcessStarted {
        /// Its pid.
        pid: Pid,
        /// Its child id.
        id: String,
        /// The plugin it runs.
        plugin: String,
        /// The plugin's vsn.
        vsn: String,
    },
    /// A worker process exited.
    ProcessExited {
        /// Its pid.
        pid: Pid,
        /// Its child id.
        id: String,
        /// The plugin it ran.
        plugin: String,
        /// Why.
        reason: ExitReason,
    },
    /// A worker exited abnormally: everything known about why.
    CrashReport {
        /// Its pid.
        pid: Pid,
        /// Its child id.
        id: String,
        /// The plugin it ran.
        plugin: String,
        /// The plugin's vsn.
        vsn: String,
        /// Why it exited.
        reason: ExitReason,
        /// Guest function names, innermost first.
        backtrace: Vec<String>,
        /// The message it was handling, if any (truncated).
        message: Option<String>,
        /// The tail of the guest's stdout/stderr.
        output: String,
    },
    /// A guest wrote a log line through the `log` import.
    GuestLog {
        /// Its pid.
        pid: Pid,
        /// Its child id.
        id: String,
        /// trace, debug, info, warn or error.
        level: &'static str,
        /// The line.
        message: String,
    },
    /// A guest asked for something its plugin is not granted. Reported once
    /// per plugin and capability; every refusal is an error to the guest.
    CapabilityDenied {
        /// The process that asked.
        pid: Pid,
        /// Its plugin.
        plugin: String,
        /// The capability it lacks (its key in `[plugin.NAME]`).
        capability: &'static str,
        /// The refusal, as the guest read it.
        message: String,
    },
    /// A process went over one of its plugin's quotas. Reported once per
    /// plugin and quota; the process is told (or crashes) every time.
    QuotaExceeded {
        /// The process.
        pid: Pid,
        /// Its plugin.
        plugin: String,
        /// The quota (its key in `[plugin.NAME.quotas]`).
        quota: &'static str,
        /// What the process was told.
        message: String,
    },
    /// A supervisor started, with all its children.
    SupervisorStarted {
        /// Its pid.
        pid: Pid,
        /// Its id.
        id: String,
    },
    /// A supervisor exited.
    SupervisorExited {
        /// Its pid.
        pid: Pid,
        /// Its id.
        id: String,
        /// Why.
        reason: ExitReason,
    },
    /// A supervisor restarted a child.
    ChildRestarted {
        /// The supervisor's id.
        supervisor: String,
        /// The child's id.
        id: String,
        /// The plugin the child runs now (empty for a supervisor, or when
        /// its start returned ignore).
        plugin: String,
        /// The child's previous pid.
        old_pid: Option<Pid>,
        /// Its new pid (none if it returned ignore).
        new_pid: Option<Pid>,
    },
    /// A supervisor could not start (or restart) a child.
    ChildStartFailed {
        /// The supervisor's id.
        supervisor: String,
        /// The child's id.
        id: String,
        /// Why.
        reason: String,
    },
    /// A supervisor saw more restarts than `max_restarts` within
    /// `max_seconds`, and is shutting down.
    RestartIntensityReached {
        /// The supervisor's id.
        supervisor: String,
        /// The child whose exit went over the limit.
        child: String,
    },
    /// A new build of a plugin was read and rejected before any process
    /// was touched: unreadable, not a component, another world, a vsn that
    /// traps. Nothing changed.
    UpgradeRejected {
        /// The plugin.
        plugin: String,
        /// The file.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An upgrade (or downgrade) was abandoned: the first process's
    /// `code-change` refused or crashed. Every process still runs the old
    /// build with its state, and restarts start the old build.
    UpgradeFailed {
        /// The plugin.
        plugin: String,
        /// The vsn that goes on serving.
        from: String,
        /// The vsn that was refused.
        to: String,
        /// The process whose code change failed.
        pid: Pid,
        /// Why.
        reason: String,
    },
    /// One process changed code (logged at debug level: there may be
    /// thousands).
    ProcessCodeChanged {
        /// Its pid.
        pid: Pid,
        /// The plugin.
        plugin: String,
        /// The vsn it ran.
        from: String,
        /// The vsn it runs now.
        to: String,
        /// How long its mailbox waited, in microseconds.
        pause_us: u64,
    },
    /// One process could not change code; it goes on with its old build.
    ProcessCodeChangeFailed {
        /// Its pid.
        pid: Pid,
        /// The plugin.
        plugin: String,
        /// The vsn it runs.
        from: String,
        /// The vsn it did not move to.
        to: String,
        /// Why.
        reason: String,
    },
    /// A plugin moved to a new build: every live process was asked to
    /// change code; restarts now start the new build.
    Upgraded {
        /// The plugin.
        plugin: String,
        /// The vsn it ran.
        from: String,
        /// The vsn it runs now.
        to: String,
        /// The new build's content hash (12 hex digits).
        hash: String,
        /// True when the new build is one loaded before the old one.
        downgrade: bool,
        /// Processes that changed code.
        processes: usize,
        /// Processes that could not, and stay on the old build.
        failed: usize,
        /// From the first code change to the last, in microseconds.
        elapsed_us: u64,
    },
    /// A new build failed its probation: its processes crashed too often,
    /// so the plugin went back to the build it had before.
    RolledBack {
        /// The plugin.
        plugin: String,
        /// The vsn that failed.
        from: String,
        /// Its content hash (12 hex digits).
        from_hash: String,
        /// The vsn current again.
        to: String,
        /// Its content hash (12 hex digits).
        to_hash: String,
        /// The crash reasons that decided it, oldest first.
        reasons: Vec<String>,
    },
    /// A plugin file appeared that no running plugin had: it is loaded and
    /// known by name.
    PluginLoaded {
        /// The plugin.
        plugin: String,
        /// Its vsn.
        vsn: String,
        /// The file.
        file: String,
    },
    /// Several plugins upgraded as one release (`overseer reload --all`):
    /// every canary changed, then the rest. Each plugin's own `upgraded`
    /// follows.
    Released {
        /// The release's name.
        release: String,
        /// Each plugin of it, as `plugin from -> to`.
        plugins: Vec<String>,
    },
    /// A release abandoned: a build was rejected or a canary failed, and
    /// every plugin runs what it ran before (canaries already changed went
    /// back).
    ReleaseAbandoned {
        /// The release's name.
        release: String,
        /// The plugin whose build or canary failed.
        plugin: String,
        /// Why, in one line.
        reason: String,
    },
    /// An application's tree started (at `run`, or `overseer app start`).
    ApplicationStarted {
        /// The application.
        app: String,
    },
    /// An application stopped: asked to, or because its root supervisor
    /// gave up.
    ApplicationStopped {
        /// The application.
        app: String,
        /// Why: `stopped` when asked to, else its root's exit reason.
        reason: String,
        /// Whether the host goes down with it (its type says so).
        takes_the_host: bool,
    },
    /// A running host was brought to an edited manifest (`overseer
    /// apply`).
    Applied {
        /// The application.
        app: String,
        /// Each step made, as the plan printed it.
        steps: Vec<String>,
    },
    /// An apply whose step failed: the steps before it were undone.
    ApplyUndone {
        /// The application.
        app: String,
        /// The step that failed.
        step: String,
        /// Why, and what undoing did, in one line.
        reason: String,
    },
    /// A plugin of a release failed its probation, so every plugin of the
    /// release went back to the build it ran before.
    ReleaseRolledBack {
        /// The release's name.
        release: String,
        /// The plugin whose probation failed.
        plugin: String,
        /// The other plugins rolled back with it.
        plugins: Vec<String>,
    },
}

/// A broadcast of [`Event`]s. Every event is also written to the log
/// (`tracing`), so `overseer run` shows them without a subscriber.
///
/// Subscribers ([`subscribe`](Self::subscribe)) may fall behind and miss
/// events; followers ([`follow`](Self::follow)) never miss the kinds they
/// follow, for parts of the host that must act on every one (a rollback).
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    followers: Arc<RwLock<Vec<Follower>>>,
}

/// A follower: which events it wants, and where they go.
struct Follower {
    wants: fn(&Event) -> bool,
    to: mpsc::UnboundedSender<Arc<Event>>,
}

/// How many events a slow subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 1 << 16;

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(EVENT_BACKLOG).0,
            followers: Arc::default(),
        }
    }
}

impl EventBus {
    /// Log `event` and send it to every subscriber.
    pub fn publish(&self, event: Event) {
        log(&event);
        let event = Arc::new(event);
        self.tell_followers(&event);
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(event);
        }
    }

    /// Events from now on. A subscriber that falls more than 65,536 events
    /// behind misses some (and is told so by the receiver).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Every event from now on that `wants` picks, none missed. Ends when
    /// the receiver is dropped.
    pub fn follow(&self, wants: fn(&Event) -> bool) -> mpsc::UnboundedReceiver<Arc<Event>> {
        let (to, rx) = mpsc::unbounded_channel();
        self.followers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Follower { wants, to });
        rx
    }

    fn tell_followers(&self, event: &Arc<Event>) {
        let followers = self.followers.read().unwrap_or_else(|p| p.into_inner());
        if followers.is_empty() {
            return;
        }
        let mut gone = false;
        for follower in followers.iter() {
            if (follower.wants)(event) {
                gone |= follower.to.send(event.clone()).is_err();
            }
        }
        drop(followers);
        if gone {
            self.followers
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|f| !f.to.is_closed());
        }
    }
}

fn log(event: &Event) {
    match event {
        Event::ProcessStarted {
            pid,
            id,
            plugin,
            vsn,
        } => {
            tracing::info!(%pid, %id, %plugin, %vsn, "started")
        }
        Event::ProcessExited {
            pid, id, reason, ..
        } => {
            tracing::info!(%pid, %id, %reason, "exited")
        }
        Event::CrashReport {
            pid,
            id,
            plugin,
            vsn,
            reason,
            backtrace,
            message,
            output,
        } => tracing::error!(
            %pid,
            %id,
            %plugin,
            %vsn,
            %reason,
            backtrace = %backtrace.join(" <- "),
            handling = message.as_deref().unwrap_or("-"),
            output = output.trim_end(),
            "crash report"
        ),
        Event::GuestLog {
            pid,
            id,
            level,
            message,
        } => match *level {
            "error" => tracing::error!(%pid, %id, "{message}"),
            "warn" => tracing::warn!(%pid, %id, "{message}"),
            "info" => tracing::info!(%pid, %id, "{message}"),
            "debug" => tracing::debug!(%pid, %id, "{message}"),
            _ => tracing::trace!(%pid, %id, "{message}"),
        },
        Event::CapabilityDenied {
            pid,
            plugin,
            capability,
            message,
        } => tracing::warn!(%pid, %plugin, %capability, "{message}"),
        Event::QuotaExceeded {
            pid,
            plugin,
            quota,
            message,
        } => tracing::warn!(%pid, %plugin, %quota, "{message}"),
        Event::SupervisorStarted { pid, id } => tracing::info!(%pid, %id, "supervisor started"),
        Event::SupervisorExited { pid, id, reason } => {
            tracing::info!(%pid, %id, %reason, "supervisor exited")
        }
        Event::ChildRestarted {
            supervisor,
            id,
            old_pid,
            new_pid,
            ..
        } => tracing::info!(
            %supervisor,
            %id,
            old_pid = %old_pid.map_or("-".to_string(), |p| p.to_string()),
            new_pid = %new_pid.map_or("-".to_string(), |p| p.to_string()),
            "restarted"
        ),
        Event::ChildStartFailed {
            supervisor,
            id,
            reason,
        } => tracing::error!(%supervisor, %id, %reason, "child failed to start"),
        Event::RestartIntensityReached { supervisor, child } => tracing::error!(
            %supervisor,
            %child,
            "reached max restart intensity; shutting down"
        ),
        Event::UpgradeRejected {
            plugin,
            file,
            reason,
        } => tracing::error!(%plugin, %file, "new build rejected, nothing changed: {reason}"),
        Event::UpgradeFailed {
            plugin,
            from,
            to,
            pid,
            reason,
        } => tracing::error!(
            %plugin, %from, %to, %pid,
            "upgrade abandoned, {from} goes on serving: {reason}"
        ),
        Event::ProcessCodeChanged {
            pid,
            plugin,
            from,
            to,
            pause_us,
        } => tracing::debug!(%pid, %plugin, %from, %to, pause_us, "code changed"),
        Event::ProcessCodeChangeFailed {
            pid,
            plugin,
            from,
            to,
            reason,
        } => {
            tracing::warn!(%pid, %plugin, %from, %to, "code change failed, process stays on {from}: {reason}")
        }
        Event::Upgraded {
            plugin,
            from,
            to,
            hash,
            downgrade,
            processes,
            failed,
            elapsed_us,
        } => tracing::info!(
            %plugin, %from, %to, %hash, downgrade, processes, failed, elapsed_us,
            "{}", if *downgrade { "downgraded" } else { "upgraded" }
        ),
        Event::RolledBack {
            plugin,
            from,
            to,
            reasons,
            ..
        } => tracing::error!(
            %plugin, %from, %to,
            reasons = %reasons.join("; "),
            "new build failed its probation: rolled back"
        ),
        Event::PluginLoaded { plugin, vsn, file } => {
            tracing::info!(%plugin, %vsn, %file, "new plugin loaded")
        }
        Event::Released { release, plugins } => {
            tracing::info!(%release, plugins = %plugins.join(", "), "release upgraded")
        }
        Event::ReleaseAbandoned {
            release,
            plugin,
            reason,
        } => tracing::error!(%release, %plugin, "release abandoned, nothing changed: {reason}"),
        Event::ApplicationStarted { app } => tracing::info!(%app, "application started"),
        Event::ApplicationStopped {
            app,
            reason,
            takes_the_host,
        } => {
            if *takes_the_host {
                tracing::error!(%app, %reason, "application stopped: the host stops with it")
            } else if reason == "stopped" {
                tracing::info!(%app, "application stopped")
            } else {
                tracing::warn!(%app, %reason, "application stopped: its root supervisor gave up")
            }
        }
        Event::Applied { app, steps } => {
            tracing::info!(%app, steps = %steps.join("; "), "manifest applied")
        }
        Event::ApplyUndone { app, step, reason } => {
            tracing::error!(%app, %step, "apply failed and was undone: {reason}")
        }
        Event::ReleaseRolledBack {
            release,
            plugin,
            plugins,
        } => tracing::error!(
            %release, %plugin, others = %plugins.join(", "),
            "a plugin of the release failed its probation: the whole release rolled back"
        ),
    }
}

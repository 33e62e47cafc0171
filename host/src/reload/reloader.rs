//! `reload(plugin)`: the upgrade protocol across every process of a plugin.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use serde::Serialize;
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::application::Node;
use crate::process::{CodeChangeError, CodeChanged, Event, PendingChange, Pid};
use crate::runtime::{Plugin, PluginError, PluginVersion, ProbationPolicy, content_hash};

/// How upgrades run.
#[derive(Debug, Clone)]
pub struct UpgradePolicy {
    /// The probation a new build is on; none: no automatic rollback.
    pub probation: Option<ProbationPolicy>,
    /// How many code changes may be queued at once (each holds a spare
    /// instance slot until it is done). Default 4: on two cores a shallow
    /// pipeline keeps both busy (1,000 processes in ~16 ms) with the
    /// shortest tail; 64 was slower and paused some processes for ms.
    pub concurrency: usize,
    /// How long one process may take to reach its code change before it is
    /// skipped (it stays on the old build). Default 5 s.
    pub timeout: Duration,
    /// The `extra` argument passed to every `code-change` (JSON).
    pub extra: Vec<u8>,
}

impl Default for UpgradePolicy {
    fn default() -> Self {
        UpgradePolicy {
            probation: Some(ProbationPolicy::default()),
            concurrency: 4,
            timeout: Duration::from_secs(5),
            extra: b"null".to_vec(),
        }
    }
}

/// What a reload did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reloaded {
    /// The file holds the build already running: nothing to do.
    Unchanged {
        /// The plugin.
        plugin: String,
        /// Its vsn.
        vsn: String,
    },
    /// The plugin moved to the new build.
    Upgraded(UpgradeReport),
}

/// A plugin's move to another build, process by process.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    /// The plugin.
    pub plugin: String,
    /// The vsn it ran.
    pub from: String,
    /// The vsn it runs now.
    pub to: String,
    /// The new build's content hash.
    pub hash: String,
    /// True when the new build is one loaded before the old one.
    pub downgrade: bool,
    /// Whether the build was compiled now or read from the compile cache,
    /// or already loaded (a rollback to a build seen in this run).
    pub compiled: &'static str,
    /// How long loading the build took (zero when already loaded).
    pub load_time: Duration,
    /// Every process that changed code, with its pause.
    pub changed: Vec<CodeChanged>,
    /// Processes that could not, and why; they stay on the old build.
    pub failed: Vec<(Pid, String)>,
    /// From the first code change to the last.
    pub elapsed: Duration,
}

impl UpgradeReport {
    /// A report with nothing changed yet. A build that was `loaded` already
    /// cost no load time.
    fn new(
        plugin: &str,
        from: &PluginVersion,
        to: &PluginVersion,
        downgrade: bool,
        compiled: &'static str,
    ) -> Self {
        UpgradeReport {
            plugin: plugin.to_string(),
            from: from.vsn().to_string(),
            to: to.vsn().to_string(),
            hash: to.hash().to_string(),
            downgrade,
            compiled,
            load_time: if compiled == "loaded" {
                Duration::ZERO
            } else {
                to.load_time()
            },
            changed: Vec::new(),
            failed: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Why a reload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// No plugin has that name.
    #[error("no plugin named '{0}'")]
    UnknownPlugin(String),
    /// The new build was rejected before any process was touched.
    #[error(transparent)]
    Rejected(#[from] PluginError),
    /// A release folder (`reload --all --from DIR`) that cannot be read,
    /// or that holds a build no running plugin is named after.
    #[error("release folder {dir}: {reason}")]
    ReleaseFolder {
        /// The folder.
        dir: String,
        /// What is wrong.
        reason: String,
    },
    /// The first process's code change failed; every process still runs the
    /// old build.
    #[error("{plugin}: upgrade from {from} to {to} abandoned: pid {pid}: {reason}")]
    Failed {
        /// The plugin.
        plugin: String,
        /// The vsn still serving.
        from: String,
        /// The vsn refused.
        to: String,
        /// The process whose change failed.
        pid: Pid,
        /// Why.
        reason: String,
    },
}

/// The release last upgraded, remembered so that a rollback of one of its
/// plugins takes the others back.
pub(super) struct ActiveRelease {
    /// Its name.
    pub(super) name: String,
    /// (plugin, the build it ran, the build of the release).
    pub(super) members: Vec<(String, Arc<PluginVersion>, Arc<PluginVersion>)>,
}

/// A plugin whose canary has changed, waiting for its build to be
/// installed and the rest of its processes changed.
pub(super) struct Canaried {
    /// The build it ran.
    pub(super) from: Arc<PluginVersion>,
    /// The build it moves to.
    pub(super) to: Arc<PluginVersion>,
    downgrade: bool,
    started: Instant,
    pending: Vec<Pid>,
    report: UpgradeReport,
}

/// Runs upgrades for the plugins of a node. Cheap to clone.
#[derive(Clone)]
pub struct Reloader {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) node: Node,
    pub(super) policy: UpgradePolicy,
    /// The last release upgraded as one, while a rollback of one of its
    /// plugins should take the others back too.
    pub(super) release: std::sync::Mutex<Option<ActiveRelease>>,
    /// One upgrade at a time per plugin.
    locks: DashMap<String, Arc<Mutex<()>>>,
    /// Bounds the code changes in flight, host-wide.
    slots: Arc<Semaphore>,
}

impl Reloader {
    /// A reloader for `node`'s plugins. It also follows probation
    /// rollbacks: when one happens, the live processes of the failed build
    /// change code back to the build rolled back to. Call from within a
    /// tokio runtime.
    pub fn new(node: &Node, policy: UpgradePolicy) -> Reloader {
        let spare = node.runtime().config().spare_slots.max(1) as usize;
        let permits = policy.concurrency.clamp(1, spare);
        let inner = Arc::new(Inner {
            node: node.clone(),
            policy,
            locks: DashMap::new(),
            slots: Arc::new(Semaphore::new(permits)),
            release: std::sync::Mutex::new(None),
        });
        let rollbacks = node
            .events()
            .follow(|e| matches!(e, Event::RolledBack { .. }));
        tokio::spawn(follow_rollbacks(rollbacks, Arc::downgrade(&inner)));
        Reloader { inner }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    pub(super) fn lock(&self, plugin: &str) -> Arc<Mutex<()>> {
        self.inner
            .locks
            .entry(plugin.to_string())
            .or_default()
            .clone()
    }

    /// Read plugin `plugin`'s file again (or `file`, a build to put in its
    /// place) and, if it holds another build, upgrade every process of the
    /// plugin to it. A build loaded before (a rollback) is not compiled
    /// again.
    ///
    /// # Errors
    ///
    /// [`ReloadError`]; in every case nothing changed. Rejections and
    /// failures are also published as events.
    pub async fn reload(&self, plugin: &str, file: Option<&Path>) -> Result<Reloaded, ReloadError> {
        let node = &self.inner.node;
        let slot = node
            .plugins()
            .get(plugin)
            .ok_or_else(|| ReloadError::UnknownPlugin(plugin.to_string()))?;
        let lock = self.lock(plugin);
        let _one_at_a_time = lock.lock().await;
        let path = file.map_or_else(|| slot.path().to_path_buf(), Path::to_path_buf);
        let version = match self.read_build(&slot, &path).await {
            Ok(Some(version)) => version,
            Ok(None) => {
                return Ok(Reloaded::Unchanged {
                    plugin: plugin.to_string(),
                    vsn: slot.current().vsn().to_string(),
                });
            }
            Err(err) => {
                self.rejected(plugin, &path, &err);
                return Err(err.into());
            }
        };
        self.upgrade(&slot, version).await.map(Reloaded::Upgraded)
    }

    /// Say that `plugin`'s build in `path` was rejected, and why.
    pub(super) fn rejected(&self, plugin: &str, path: &Path, err: &PluginError) {
        self.inner.node.events().publish(Event::UpgradeRejected {
            plugin: plugin.to_string(),
            file: path.display().to_string(),
            reason: err.to_string(),
        });
    }

    /// The build in `path`, unless it is the one running (None). A build
    /// loaded before is reused.
    pub(super) async fn read_build(
        &self,
        slot: &Plugin,
        path: &Path,
    ) -> Result<Option<(Arc<PluginVersion>, &'static str)>, PluginError> {
        let bytes = PluginVersion::read(path).await?;
        let hash = content_hash(&bytes);
        if hash == slot.current().hash() {
            return Ok(None);
        }
        if let Some(known) = slot.known(&hash) {
            return Ok(Some((known, "loaded")));
        }
        let runtime = self.inner.node.runtime();
        let version =
            PluginVersion::from_bytes(runtime, slot.name(), path, bytes, Some(hash)).await?;
        let how = match version.compiled() {
            crate::runtime::Compiled::Fresh => "compiled",
            crate::runtime::Compiled::Cached => "cached",
        };
        Ok(Some((version, how)))
    }

    /// Load a plugin the node does not know yet (a new file in the plugin
    /// folder), so that it can be named and reloaded from now on.
    ///
    /// # Errors
    ///
    /// [`PluginError`] if the file is not a gen-server component.
    pub async fn load_new(&self, path: &Path) -> Result<Arc<Plugin>, PluginError> {
        self.inner.node.load_plugin(path).await
    }

    /// The live processes of `plugin` that do not run build `to`, oldest
    /// first.
    fn strays(&self, plugin: &str, to: &PluginVersion) -> Vec<(Pid, Arc<PluginVersion>)> {
        self.inner
            .node
            .processes()
            .of_plugin(plugin)
            .into_iter()
            .filter(|(_, running)| running.hash() != to.hash())
            .collect()
    }

    async fn upgrade(
        &self,
        slot: &Arc<Plugin>,
        (to, compiled): (Arc<PluginVersion>, &'static str),
    ) -> Result<UpgradeReport, ReloadError> {
        let canaried = self.canary(slot, to, compiled).await?;
        slot.install(canaried.to.clone(), self.inner.policy.probation);
        Ok(self.finish(slot, canaried).await)
    }

    /// The canary: one process of `slot` changes to `to` first. If the new
    /// build cannot take over a state, it is abandoned (and said so)
    /// before anything else changes.
    pub(super) async fn canary(
        &self,
        slot: &Arc<Plugin>,
        to: Arc<PluginVersion>,
        compiled: &'static str,
    ) -> Result<Canaried, ReloadError> {
        let from = slot.current();
        let downgrade = slot.is_downgrade(&from, &to);
        let started = Instant::now();
        let mut pending: Vec<Pid> = self
            .strays(slot.name(), &to)
            .into_iter()
            .map(|(pid, _)| pid)
            .collect();
        pending.reverse(); // popped oldest first
        let mut report = UpgradeReport::new(slot.name(), &from, &to, downgrade, compiled);
        while let Some(pid) = pending.pop() {
            match self.change_one(pid, &to, downgrade).await {
                Ok(changed) => {
                    self.changed(&report, &changed);
                    report.changed.push(changed);
                    break;
                }
                Err(
                    err @ (CodeChangeError::Refused(_)
                    | CodeChangeError::Crashed(_)
                    | CodeChangeError::Instantiate(_)),
                ) => return Err(self.abandon(&report, pid, &err)),
                Err(CodeChangeError::NoProc) => {}
                Err(err) => self.failed(&mut report, pid, &err),
            }
        }
        Ok(Canaried {
            from,
            to,
            downgrade,
            started,
            pending,
            report,
        })
    }

    /// After the canary and the install: the rest of `slot`'s processes,
    /// concurrently; then once more for processes that started on the old
    /// build meanwhile.
    pub(super) async fn finish(&self, slot: &Arc<Plugin>, canaried: Canaried) -> UpgradeReport {
        let Canaried {
            to,
            downgrade,
            started,
            mut pending,
            mut report,
            ..
        } = canaried;
        let mut tried: HashSet<Pid> = report.changed.iter().map(|c| c.pid).collect();
        tried.extend(report.failed.iter().map(|(pid, _)| *pid));
        for _round in 0..3 {
            let batch: Vec<Pid> = pending.drain(..).filter(|pid| tried.insert(*pid)).collect();
            if batch.is_empty() {
                break;
            }
            self.change_all(batch, &to, downgrade, &mut report).await;
            pending = self
                .strays(slot.name(), &to)
                .into_iter()
                .map(|(pid, _)| pid)
                .filter(|pid| !tried.contains(pid))
                .collect();
        }
        report.elapsed = started.elapsed();
        self.upgraded(&report, &to);
        report
    }

    /// Put a canary that changed back on the build it ran: a release
    /// abandoned after this plugin's canary passed.
    pub(super) async fn undo_canary(&self, canaried: &Canaried) {
        for changed in &canaried.report.changed {
            let _ = self
                .change_one(changed.pid, &canaried.from, !canaried.downgrade)
                .await;
        }
    }

    async fn change_one(
        &self,
        pid: Pid,
        to: &Arc<PluginVersion>,
        downgrade: bool,
    ) -> Result<CodeChanged, CodeChangeError> {
        let inner = &self.inner;
        let _slot = inner.slots.acquire().await;
        inner
            .node
            .processes()
            .change_code(
                pid,
                to,
                inner.policy.extra.clone(),
                downgrade,
                inner.policy.timeout,
            )
            .await
    }

    /// Change every process in `pids`, concurrently. Two lanes (one per
    /// core of the machine this was tuned on) make new instances and queue
    /// the changes without waiting for each; the processes change code on
    /// their own tasks meanwhile. The slot permits bound changes in flight:
    /// each is released by the process when its change is done.
    async fn change_all(
        &self,
        pids: Vec<Pid>,
        to: &Arc<PluginVersion>,
        downgrade: bool,
        report: &mut UpgradeReport,
    ) {
        const LANES: usize = 2;
        let mut lanes = JoinSet::new();
        for lane in 0..LANES {
            let mine: Vec<Pid> = pids.iter().skip(lane).step_by(LANES).copied().collect();
            let this = self.clone();
            let to = to.clone();
            lanes.spawn(async move { this.queue_changes(mine, &to, downgrade).await });
        }
        let mut queued = Vec::with_capacity(pids.len());
        let mut refused = Vec::new();
        while let Some(joined) = lanes.join_next().await {
            if let Ok((lane_queued, lane_refused)) = joined {
                queued.extend(lane_queued);
                refused.extend(lane_refused);
            }
        }
        for (pid, err) in refused {
            self.failed(report, pid, &err);
        }
        let deadline = tokio::time::Instant::now() + self.inner.policy.timeout;
        for pending in queued {
            let pid = pending.pid();
            match pending.outcome(deadline).await {
                Ok(changed) => {
                    self.changed(report, &changed);
                    report.changed.push(changed);
                }
                Err(CodeChangeError::NoProc) => {}
                Err(err) => self.failed(report, pid, &err),
            }
        }
    }

    /// One lane of [`change_all`](Self::change_all): the changes queued,
    /// and the processes whose change could not be queued.
    async fn queue_changes(
        &self,
        pids: Vec<Pid>,
        to: &Arc<PluginVersion>,
        downgrade: bool,
    ) -> (Vec<PendingChange>, Vec<(Pid, CodeChangeError)>) {
        let inner = &self.inner;
        let mut queued = Vec::with_capacity(pids.len());
        let mut refused = Vec::new();
        for pid in pids {
            let Ok(permit) = inner.slots.clone().acquire_owned().await else {
                break; // never closed
            };
            let held: Box<dyn Send + Sync> = Box::new(permit);
            match inner
                .node
                .processes()
                .begin_code_change(pid, to, inner.policy.extra.clone(), downgrade, Some(held))
                .await
            {
                Ok(pending) => queued.push(pending),
                Err(CodeChangeError::NoProc) => {}
                Err(err) => refused.push((pid, err)),
            }
        }
        (queued, refused)
    }

    fn upgraded(&self, report: &UpgradeReport, to: &PluginVersion) {
        self.inner.node.events().publish(Event::Upgraded {
            plugin: report.plugin.clone(),
            from: report.from.clone(),
            to: report.to.clone(),
            hash: to.short_hash().to_string(),
            downgrade: report.downgrade,
            processes: report.changed.len(),
            failed: report.failed.len(),
            elapsed_us: report.elapsed.as_micros() as u64,
        });
    }

    fn changed(&self, report: &UpgradeReport, changed: &CodeChanged) {
        self.inner.node.events().publish(Event::ProcessCodeChanged {
            pid: changed.pid,
            plugin: report.plugin.clone(),
            from: changed.from.clone(),
            to: changed.to.clone(),
            pause_us: changed.pause.as_micros() as u64,
        });
    }

    fn failed(&self, report: &mut UpgradeReport, pid: Pid, err: &CodeChangeError) {
        self.inner
            .node
            .events()
            .publish(Event::ProcessCodeChangeFailed {
                pid,
                plugin: report.plugin.clone(),
                from: report.from.clone(),
                to: report.to.clone(),
                reason: err.to_string(),
            });
        report.failed.push((pid, err.to_string()));
    }

    fn abandon(&self, report: &UpgradeReport, pid: Pid, err: &CodeChangeError) -> ReloadError {
        self.inner.node.events().publish(Event::UpgradeFailed {
            plugin: report.plugin.clone(),
            from: report.from.clone(),
            to: report.to.clone(),
            pid,
            reason: err.to_string(),
        });
        ReloadError::Failed {
            plugin: report.plugin.clone(),
            from: report.from.clone(),
            to: report.to.clone(),
            pid,
            reason: err.to_string(),
        }
    }

    /// Move every live process of `plugin` that does not run its current
    /// build to it: after a rollback, the processes of the failed build go
    /// back (a downgrade, through the old build's `code-change`).
    pub async fn converge(&self, plugin: &str) -> Option<UpgradeReport> {
        let node = &self.inner.node;
        let slot = node.plugins().get(plugin)?;
        let lock = self.lock(plugin);
        let _one_at_a_time = lock.lock().await;
        let to = slot.current();
        let strays = self.strays(plugin, &to);
        let from = strays.first()?.1.clone();
        let downgrade = slot.is_downgrade(&from, &to);
        let started = Instant::now();
        let mut report = UpgradeReport::new(plugin, &from, &to, downgrade, "loaded");
        let pids = strays.into_iter().map(|(pid, _)| pid).collect();
        self.change_all(pids, &to, downgrade, &mut report).await;
        report.elapsed = started.elapsed();
        self.upgraded(&report, &to);
        Some(report)
    }

    /// The folder-relative plugin name a file stands for.
    pub(crate) fn plugin_name(path: &Path) -> Option<String> {
        if path.extension()? != "wasm" {
            return None;
        }
        Some(path.file_stem()?.to_string_lossy().into_owned())
    }
}

/// After a rollback, move the failed build's live processes back. Ends
/// when the node is gone or the reloader is dropped.
async fn follow_rollbacks(
    mut rollbacks: mpsc::UnboundedReceiver<Arc<Event>>,
    reloader: Weak<Inner>,
) {
    while let Some(event) = rollbacks.recv().await {
        let Event::RolledBack { plugin, .. } = &*event else {
            continue;
        };
        let plugin = plugin.clone();
        let Some(inner) = reloader.upgrade() else {
            return;
        };
        let this = Reloader { inner };
        tokio::spawn(async move {
            this.converge(&plugin).await;
            this.roll_back_release(&plugin).await;
        });
    }
}

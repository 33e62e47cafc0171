//! A plugin by name: which build new processes of it start, which builds it
//! has had, and the probation of the latest upgrade. OTP's code server, for
//! one module.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::plugin::PluginVersion;
use super::probation::{Probation, ProbationPolicy, Verdict};

/// A plugin: a name, the file it is loaded from, and its current build.
/// Child specs hold this, not a build, so that a restart after an upgrade
/// starts the new build, and one after a rollback the old one.
pub struct Plugin {
    name: String,
    path: PathBuf,
    state: Mutex<SlotState>,
}

struct SlotState {
    current: Arc<PluginVersion>,
    /// What a rollback returns to: the build before the last upgrade.
    previous: Option<Arc<PluginVersion>>,
    /// Every distinct build loaded, oldest first.
    loaded: Vec<Arc<PluginVersion>>,
    probation: Option<Probation>,
}

/// A rollback that a crash set off: the plugin's current build is `to`
/// again.
#[derive(Debug, Clone)]
pub struct RolledBack {
    /// The build that failed its probation.
    pub from: Arc<PluginVersion>,
    /// The build now current again.
    pub to: Arc<PluginVersion>,
    /// The crash reasons that decided it, oldest first.
    pub reasons: Vec<String>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("current", &self.current().vsn())
            .finish()
    }
}

impl Plugin {
    /// A plugin whose first build is `version`; its name and file are the
    /// build's.
    pub fn new(version: Arc<PluginVersion>) -> Arc<Plugin> {
        Arc::new(Plugin {
            name: version.name().to_string(),
            path: version.path().to_path_buf(),
            state: Mutex::new(SlotState {
                current: version.clone(),
                previous: None,
                loaded: vec![version],
                probation: None,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file new builds are read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The build a process of this plugin starts now.
    pub fn current(&self) -> Arc<PluginVersion> {
        self.state().current.clone()
    }

    /// Every distinct build loaded so far, oldest first.
    pub fn versions(&self) -> Vec<Arc<PluginVersion>> {
        self.state().loaded.clone()
    }

    /// The build with content hash `hash`, if it was loaded before: a
    /// rollback to it needs no compile at all.
    pub fn known(&self, hash: &str) -> Option<Arc<PluginVersion>> {
        self.state()
            .loaded
            .iter()
            .find(|v| v.hash() == hash)
            .cloned()
    }

    /// True when going from `from` to `to` goes back to a build loaded
    /// before `from`: OTP's downgrade.
    pub fn is_downgrade(&self, from: &PluginVersion, to: &PluginVersion) -> bool {
        let state = self.state();
        let position = |hash: &str| state.loaded.iter().position(|v| v.hash() == hash);
        matches!((position(from.hash()), position(to.hash())), (Some(f), Some(t)) if t < f)
    }

    /// Make `version` current (an upgrade that has passed its canary). The
    /// build it replaces becomes the rollback target, and `version` is on
    /// probation under `policy` (none: no probation).
    pub fn install(&self, version: Arc<PluginVersion>, policy: Option<ProbationPolicy>) {
        let mut state = self.state();
        if !state.loaded.iter().any(|v| v.hash() == version.hash()) {
            state.loaded.push(version.clone());
        }
        state.probation =
            policy.map(|p| Probation::start(p, version.hash().to_string(), Instant::now()));
        let replaced = std::mem::replace(&mut state.current, version);
        state.previous = Some(replaced);
    }

    /// Put `version` back as the current build, with no probation and no
    /// rollback target: a release rolled back as a whole. False if it was
    /// current already.
    pub fn revert(&self, version: Arc<PluginVersion>) -> bool {
        let mut state = self.state();
        if state.current.hash() == version.hash() {
            return false;
        }
        state.probation = None;
        state.previous = None;
        state.current = version;
        true
    }

    /// A process running `version` crashed with `reason`. Past the probation
    /// limit this rolls the plugin back at once, before anyone restarts the
    /// process, and says so.
    pub fn crashed(&self, version: &PluginVersion, reason: &str) -> Option<RolledBack> {
        let mut state = self.state();
        let now = Instant::now();
        let probation = state.probation.as_mut()?;
        match probation.crashed(version.hash(), reason.to_string(), now) {
            Verdict::NotOnProbation => {
                if probation.is_over(now) {
                    state.probation = None;
                }
                None
            }
            Verdict::Tolerated => None,
            Verdict::RollBack(reasons) => {
                state.probation = None;
                let to = state.previous.take()?;
                let from = std::mem::replace(&mut state.current, to.clone());
                Some(RolledBack { from, to, reasons })
            }
        }
    }
}

//! A release: several plugins upgraded as one (`overseer reload --all`),
//! as OTP's release handler does with several modules. Every build is
//! loaded and checked first, then each plugin's canary changes, then the
//! rest; a rejected build or a failed canary changes nothing (canaries
//! already changed go back), and a rollback of one plugin on probation
//! takes the whole release back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::reloader::{ActiveRelease, Canaried, ReloadError, Reloader, UpgradeReport};
use crate::process::Event;
use crate::runtime::{Plugin, content_hash};

/// What `reload --all` did.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseReport {
    /// The release's name (`release-` and 12 hex digits of its builds'
    /// hashes); none when every plugin already ran the build in its file.
    pub release: Option<String>,
    /// Each plugin upgraded, as [`Reloader::reload`] reports it.
    pub upgraded: Vec<UpgradeReport>,
    /// The plugins whose file holds the build they run.
    pub unchanged: Vec<String>,
}

impl Reloader {
    /// Read every plugin's file again and upgrade, as one release, every
    /// plugin whose file holds another build: all builds loaded and checked
    /// first, then one canary per plugin, then the builds installed and
    /// the rest of the processes changed. With `from`, the builds are
    /// read from that folder instead (`NAME.wasm` for plugin `NAME`; a
    /// plugin with no file there is left as it is), as `reload --file`
    /// does for one plugin.
    ///
    /// # Errors
    ///
    /// [`ReloadError`]: a folder that cannot be read or that holds a build
    /// no plugin is named after, a build rejected, or a canary failed. In
    /// every case nothing changed (canaries already changed went back).
    pub async fn reload_all(&self, from: Option<&Path>) -> Result<ReleaseReport, ReloadError> {
        let node = self.node().clone();
        let mut slots = node.plugins().all();
        slots.sort_by(|a, b| a.name().cmp(b.name()));
        let files = match from {
            Some(dir) => Some(release_files(dir, &slots)?),
            None => None,
        };
        // Every plugin's lock, in name order, for the whole release.
        let locks: Vec<_> = slots.iter().map(|slot| self.lock(slot.name())).collect();
        let mut held = Vec::with_capacity(locks.len());
        for lock in &locks {
            held.push(lock.lock().await);
        }
        let mut builds = Vec::new();
        let mut unchanged = Vec::new();
        for slot in &slots {
            let path = match &files {
                Some(files) => match files.get(slot.name()) {
                    Some(path) => path.clone(),
                    None => {
                        unchanged.push(slot.name().to_string());
                        continue;
                    }
                },
                None => slot.path().to_path_buf(),
            };
            match self.read_build(slot, &path).await {
                Ok(Some(build)) => builds.push((slot.clone(), build)),
                Ok(None) => unchanged.push(slot.name().to_string()),
                Err(err) => {
                    self.rejected(slot.name(), &path, &err);
                    node.events().publish(Event::ReleaseAbandoned {
                        release: "(not named: a build was rejected)".into(),
                        plugin: slot.name().to_string(),
                        reason: err.to_string(),
                    });
                    return Err(err.into());
                }
            }
        }
        if builds.is_empty() {
            return Ok(ReleaseReport {
                release: None,
                upgraded: Vec::new(),
                unchanged,
            });
        }
        let named: String = builds
            .iter()
            .map(|(slot, (to, _))| format!("{}:{};", slot.name(), to.hash()))
            .collect();
        let release = format!("release-{}", &content_hash(named.as_bytes())[..12]);

        let mut canaried: Vec<Canaried> = Vec::with_capacity(builds.len());
        for (slot, (to, compiled)) in &builds {
            match self.canary(slot, to.clone(), compiled).await {
                Ok(done) => canaried.push(done),
                Err(err) => {
                    for done in canaried.iter().rev() {
                        self.undo_canary(done).await;
                    }
                    node.events().publish(Event::ReleaseAbandoned {
                        release,
                        plugin: slot.name().to_string(),
                        reason: err.to_string(),
                    });
                    return Err(err);
                }
            }
        }
        for ((slot, _), done) in builds.iter().zip(&canaried) {
            slot.install(done.to.clone(), self.inner.policy.probation);
        }
        let members = builds
            .iter()
            .zip(&canaried)
            .map(|((slot, _), done)| (slot.name().to_string(), done.from.clone(), done.to.clone()))
            .collect();
        *self.inner.release.lock().unwrap_or_else(|p| p.into_inner()) = Some(ActiveRelease {
            name: release.clone(),
            members,
        });
        let mut upgraded = Vec::with_capacity(builds.len());
        for ((slot, _), done) in builds.iter().zip(canaried) {
            upgraded.push(self.finish(slot, done).await);
        }
        node.events().publish(Event::Released {
            release: release.clone(),
            plugins: upgraded
                .iter()
                .map(|r| format!("{} {} -> {}", r.plugin, r.from, r.to))
                .collect(),
        });
        Ok(ReleaseReport {
            release: Some(release),
            upgraded,
            unchanged,
        })
    }

    /// `plugin` was rolled back on probation: if it belongs to the last
    /// release, every other plugin of it that still runs the release's
    /// build goes back to the build it ran before, processes included.
    /// The plugins whose file in the plugin folder holds another build
    /// than the one they run (or cannot be read), in name order: what
    /// [`reload_all`](Self::reload_all) would upgrade.
    pub async fn changed_plugins(&self) -> Vec<String> {
        let mut slots = self.node().plugins().all();
        slots.sort_by(|a, b| a.name().cmp(b.name()));
        let mut changed = Vec::new();
        for slot in slots {
            let differs = match crate::runtime::PluginVersion::read(slot.path()).await {
                Ok(bytes) => content_hash(&bytes) != slot.current().hash(),
                Err(_) => true,
            };
            if differs {
                changed.push(slot.name().to_string());
            }
        }
        changed
    }

    pub(super) async fn roll_back_release(&self, plugin: &str) {
        let active = {
            let mut release = self.inner.release.lock().unwrap_or_else(|p| p.into_inner());
            match release.as_ref() {
                Some(active) if active.members.iter().any(|(name, ..)| name == plugin) => {
                    release.take()
                }
                _ => None,
            }
        };
        let Some(active) = active else {
            return;
        };
        let node = self.node().clone();
        let mut others = Vec::new();
        for (name, from, to) in &active.members {
            if name == plugin {
                continue;
            }
            let Some(slot) = node.plugins().get(name) else {
                continue;
            };
            if slot.current().hash() != to.hash() {
                continue; // upgraded again since, or rolled back already
            }
            if slot.revert(from.clone()) {
                others.push(name.clone());
            }
        }
        node.events().publish(Event::ReleaseRolledBack {
            release: active.name.clone(),
            plugin: plugin.to_string(),
            plugins: others.clone(),
        });
        for name in others {
            self.converge(&name).await;
        }
    }
}

/// The builds in release folder `dir`, by plugin: every `NAME.wasm` in it
/// must be named after a running plugin.
fn release_files(
    dir: &Path,
    slots: &[Arc<Plugin>],
) -> Result<BTreeMap<String, PathBuf>, ReloadError> {
    let entries = std::fs::read_dir(dir).map_err(|err| ReloadError::ReleaseFolder {
        dir: dir.display().to_string(),
        reason: err.to_string(),
    })?;
    let mut files = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = Reloader::plugin_name(&path) else {
            continue;
        };
        if !slots.iter().any(|slot| slot.name() == name) {
            return Err(ReloadError::ReleaseFolder {
                dir: dir.display().to_string(),
                reason: format!("{} names no running plugin", path.display()),
            });
        }
        files.insert(name, path);
    }
    Ok(files)
}

//! Hot code swap for one application, as its manifest's `[app.upgrade]`
//! asks: a reloader with the application's probation, and a watcher on its
//! plugin folder unless `watch = false`.

use super::{Reloader, UpgradePolicy, WatchError, Watcher};
use crate::application::{Manifest, Node};

/// An application's hot code swap. Dropping it stops watching the folder;
/// `reload` by hand still works through a clone of its [`Reloader`].
pub struct HotSwap {
    reloader: Reloader,
    _watcher: Option<Watcher>,
}

impl HotSwap {
    /// Start upgrading `manifest`'s plugins on `node`: by hand through
    /// [`reloader`](Self::reloader), and (unless `[app.upgrade] watch =
    /// false`) whenever a build in the plugin folder changes. Call from
    /// within a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`WatchError`] if the plugin folder cannot be watched.
    pub fn start(node: &Node, manifest: &Manifest) -> Result<HotSwap, WatchError> {
        let reloader = Reloader::new(
            node,
            UpgradePolicy {
                probation: manifest.upgrade.probation,
                ..UpgradePolicy::default()
            },
        );
        let watcher = if manifest.upgrade.watch {
            Some(Watcher::start(reloader.clone(), &manifest.plugins_dir)?)
        } else {
            None
        };
        Ok(HotSwap {
            reloader,
            _watcher: watcher,
        })
    }

    /// What upgrades the application's plugins.
    pub fn reloader(&self) -> &Reloader {
        &self.reloader
    }
}

//! Why `overseer apply` changed nothing.

use crate::application::config::ConfigError;
use crate::application::{ChildSpecError, ManifestError};

/// An apply that did not happen, or that was undone: one line each.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The edited manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The run's configuration layers do not fit the edited manifest.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A change `apply` does not make to a running host.
    #[error(
        "apply cannot change {0} of a running host; nothing was changed (stop the host and run the new manifest)"
    )]
    Unsupported(String),
    /// A child of the edited manifest cannot run here (its plugin does not
    /// load, its limits are over the host's): found before any change.
    #[error("{0}; nothing was changed")]
    Child(#[from] ChildSpecError),
    /// A step failed; the steps before it were undone.
    #[error("{step}: {reason}; {undo}")]
    Failed {
        /// The step, as the plan printed it.
        step: String,
        /// Why it failed.
        reason: String,
        /// What undoing the steps before it did.
        undo: String,
    },
    /// The edited manifest names an application this host does not run.
    #[error("no application '{name}' on this host (it has: {known}); nothing was changed")]
    UnknownApp {
        /// The manifest's application.
        name: String,
        /// The host's.
        known: String,
    },
    /// The application is stopped (`overseer app stop`).
    #[error("application '{0}' is not running: start it first (overseer app start {0})")]
    NotRunning(String),
    /// The host was not started from a manifest (a library host).
    #[error("this host was not started from a manifest: nothing to apply to")]
    NoManifest,
}

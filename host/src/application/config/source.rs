//! Where a configuration value came from.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// The layer that set a value, for `overseer config` ("where did this come
/// from?"), as OTP users ask of `config/*.exs` and `runtime.exs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum ConfigSource {
    /// `[app.env]` of the manifest, at this line.
    Manifest {
        /// The manifest file.
        file: PathBuf,
        /// Its 1-based line.
        line: usize,
    },
    /// `[env.NAME]` of the manifest, chosen with `--env NAME`.
    Overlay {
        /// The environment's name.
        environment: String,
        /// The manifest file.
        file: PathBuf,
        /// Its 1-based line.
        line: usize,
    },
    /// An environment variable, `OVERSEER_<APP>_<KEY>`.
    Variable {
        /// The variable's name.
        name: String,
    },
    /// `overseer run --set KEY=VALUE`.
    Set,
    /// `overseer config set` (or unset), while the host ran.
    Changed,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Manifest { file, line } => {
                write!(f, "{}:{line} [app.env]", file.display())
            }
            ConfigSource::Overlay {
                environment,
                file,
                line,
            } => write!(f, "{}:{line} [env.{environment}]", file.display()),
            ConfigSource::Variable { name } => write!(f, "${name}"),
            ConfigSource::Set => f.write_str("--set"),
            ConfigSource::Changed => f.write_str("overseer config set"),
        }
    }
}

//! What a manifest declares for configuration, and the layers a run puts
//! over it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

/// One table of configuration as the manifest writes it: each top-level
/// key with its value and its 1-based line.
pub type EnvironmentDecl = Vec<(String, Value, usize)>;

/// The configuration a manifest declares: `[app.env]` and each
/// `[env.NAME]` overlay.
#[derive(Debug, Clone, Default)]
pub struct ConfigDecl {
    /// The manifest file (shown as each value's source).
    pub file: PathBuf,
    /// The folder secret files are read from: the manifest's.
    pub dir: PathBuf,
    /// `[app.env]`.
    pub base: EnvironmentDecl,
    /// `[env.NAME]`, by name.
    pub environments: BTreeMap<String, EnvironmentDecl>,
}

/// What a run puts over the manifest's `[app.env]`, in increasing
/// precedence: the overlay of one environment, `OVERSEER_<APP>_<KEY>`
/// variables, then `--set KEY=VALUE`.
#[derive(Debug, Clone, Default)]
pub struct ConfigLayers {
    /// `--env NAME`: the `[env.NAME]` overlay to apply.
    pub environment: Option<String>,
    /// Environment variables, (name, value); those that are not
    /// `OVERSEER_<APP>_…` for the application are ignored.
    pub variables: Vec<(String, String)>,
    /// `--set KEY=VALUE`, in order (a later one wins); KEY may be a dotted
    /// path into a table (`db.pool=10`).
    pub sets: Vec<String>,
}

impl ConfigLayers {
    /// These layers as application `app` takes them: a `--set
    /// APP:KEY=VALUE` applies to application APP alone (the prefix
    /// dropped), a `--set KEY=VALUE` to every application.
    pub fn for_app(&self, app: &str) -> ConfigLayers {
        let sets = self
            .sets
            .iter()
            .filter_map(|set| {
                let key = set.split_once('=').map_or(set.as_str(), |(key, _)| key);
                match key.split_once(':') {
                    Some((only, _)) if only == app => Some(set[only.len() + 1..].to_string()),
                    Some(_) => None,
                    None => Some(set.clone()),
                }
            })
            .collect();
        ConfigLayers {
            sets,
            ..self.clone()
        }
    }

    /// The layers of a run: `environment`, `sets`, and this process's
    /// `OVERSEER_…` environment variables.
    pub fn of_this_process(environment: Option<String>, sets: Vec<String>) -> ConfigLayers {
        let variables = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(name, _)| name.starts_with("OVERSEER_"))
            .collect();
        ConfigLayers {
            environment,
            variables,
            sets,
        }
    }
}

/// A configuration that cannot be put together: one line naming the file
/// and line, the variable or the `--set` at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `--env NAME` names no `[env.NAME]` of the manifest.
    #[error("--env {name}: {file} has no [env.{name}] section ({known})")]
    UnknownEnvironment {
        /// The environment asked for.
        name: String,
        /// The manifest.
        file: String,
        /// The environments it has, as a phrase.
        known: String,
    },
    /// A `--set` that is not `KEY=VALUE`.
    #[error("--set '{0}': expected KEY=VALUE (KEY may be a dotted path, e.g. db.pool=10)")]
    BadSet(String),
    /// A variable whose key part is empty (`OVERSEER_APP_`).
    #[error("${0}: no key after the application's prefix")]
    EmptyVariable(String),
    /// A key path runs through a value that is not a table.
    #[error("{origin}: {path} is not a table, so it has no keys")]
    NotATable {
        /// The layer that tried: `--set db.pool=1`, `$OVERSEER_…`, a manifest line.
        origin: String,
        /// The dotted path that is not a table.
        path: String,
    },
    /// A secret file that cannot be read.
    #[error("{origin}: {key}: cannot read secret file {file}: {message}")]
    Secret {
        /// Where the secret reference was written.
        origin: String,
        /// The value's dotted path.
        key: String,
        /// The file named.
        file: String,
        /// Why.
        message: String,
    },
    /// A change to an application that is not running here.
    #[error("no application '{name}' (running: {running})")]
    UnknownApplication {
        /// The name asked for.
        name: String,
        /// The applications that are running.
        running: String,
    },
    /// No application named, with several on the host.
    #[error("name the application: this host runs {running}")]
    WhichApplication {
        /// The applications that are running.
        running: String,
    },
    /// An empty key.
    #[error("a key cannot be empty")]
    EmptyKey,
    /// `config unset` of a key that is not there.
    #[error("application '{app}' has no config key '{key}'")]
    NoSuchKey {
        /// The application.
        app: String,
        /// The key asked for.
        key: String,
    },
}

/// `name` as a variable name part: upper case, anything but letters and
/// digits as `_`.
pub(super) fn shout(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

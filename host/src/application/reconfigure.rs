//! Changing a running application's env, and telling its processes
//! (`overseer config set|unset`), as OTP's application controller does
//! with `config_change/3`.

use serde::{Deserialize, Serialize};

use super::config::{ConfigError, EffectiveConfig};
use super::node::Node;
use crate::process::ConfigChange;

/// A change asked of a running application's env.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigEdit {
    /// Set `key` (a dotted path) to the value `text` stands for (read as
    /// a variable's would be: see [`text_value`](super::config::text_value)).
    Set {
        /// The key.
        key: String,
        /// The value, as text.
        text: String,
    },
    /// Remove `key` (a dotted path).
    Unset {
        /// The key.
        key: String,
    },
}

/// What a change of the env did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigChanged {
    /// The application.
    pub app: String,
    /// The top-level key that changed (what guests read).
    pub key: String,
    /// Whether that key is gone.
    pub removed: bool,
    /// How many processes were told: those whose plugin may read the key.
    pub told: usize,
}

impl Node {
    /// Change the env of application `app` (the one running when none is
    /// named): from now on `config` returns the new value, and every
    /// process of the application that may read the key gets
    /// `config-change`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`]: an application that is not running here, an empty
    /// key, a path through a value that is not a table, or (unset) a key
    /// that is not there. The env is then unchanged.
    pub fn change_config(
        &self,
        app: Option<&str>,
        edit: ConfigEdit,
    ) -> Result<ConfigChanged, ConfigError> {
        let env = self.resolve_env(app)?;
        let current_app = env.current().app().to_string();
        let processes = self.processes();
        let mut told = 0;
        let (key, removed) = env
            .update(
                |current: &EffectiveConfig| {
                    let (changed, key, removed) = match &edit {
                        ConfigEdit::Set { key, text } => {
                            let (changed, top) = current.with_value(key, text)?;
                            (changed, top, false)
                        }
                        ConfigEdit::Unset { key } => {
                            current.without(key).ok_or_else(|| ConfigError::NoSuchKey {
                                app: current.app().to_string(),
                                key: key.clone(),
                            })?
                        }
                    };
                    let value = changed
                        .get(&key)
                        .and_then(|value| serde_json::to_vec(value).ok());
                    let change = match value {
                        Some(value) if !removed => ConfigChange {
                            changed: vec![(key.clone(), value)],
                            removed: Vec::new(),
                        },
                        _ => ConfigChange {
                            changed: Vec::new(),
                            removed: vec![key.clone()],
                        },
                    };
                    Ok((changed, (key, removed, change)))
                },
                // Told while the new env is in place and no other change can
                // come between.
                |(_, _, change)| told = processes.config_changed(&current_app, change.clone()),
            )
            .map(|(key, removed, _)| (key, removed))?;
        Ok(ConfigChanged {
            app: current_app,
            key,
            removed,
            told,
        })
    }
}

impl Node {
    /// Take top-level `keys` from `from` into the running env (values,
    /// sources and secrets; a key `from` lacks is removed), and tell every
    /// process that may read one of them, in one `config-change` each.
    /// Returns how many processes were told. What `overseer apply` does
    /// with the keys an edited manifest changed.
    pub fn adopt_config(&self, from: &EffectiveConfig, keys: &[String]) -> usize {
        let Some(env) = self.env_of(from.app()).filter(|_| !keys.is_empty()) else {
            return 0;
        };
        let processes = self.processes();
        let mut told = 0;
        let adopted: Result<ConfigChange, std::convert::Infallible> = env.update(
            |current| {
                let adopted = current.adopt(from, keys);
                let mut change = ConfigChange {
                    changed: Vec::new(),
                    removed: Vec::new(),
                };
                for key in keys {
                    match adopted.get(key).and_then(|v| serde_json::to_vec(v).ok()) {
                        Some(value) => change.changed.push((key.clone(), value)),
                        None => change.removed.push(key.clone()),
                    }
                }
                Ok((adopted, change))
            },
            |change| told = processes.config_changed(from.app(), change.clone()),
        );
        let Ok(_) = adopted;
        told
    }
}

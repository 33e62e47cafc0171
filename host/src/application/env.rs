//! The application env (`[app.env]` and the layers over it): what guests
//! read through `config`, as OTP's `Application.get_env`; one per
//! application of a host.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::config::{ConfigError, EffectiveConfig};

/// The env of one application. Cheap to clone; every clone is the same
/// env. Replacing it is seen by every later `config` read.
#[derive(Clone, Default)]
pub struct AppEnv {
    config: Arc<RwLock<Arc<EffectiveConfig>>>,
}

impl AppEnv {
    /// Replace the whole env.
    pub fn set(&self, config: EffectiveConfig) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }

    /// Replace the env by what `change` makes of the current one, then run
    /// `then` on what `change` returned besides, with no other change in
    /// between: two changes are told in the order they were made.
    ///
    /// # Errors
    ///
    /// `change`'s error, leaving the env as it was.
    pub fn update<T, E>(
        &self,
        change: impl FnOnce(&EffectiveConfig) -> Result<(EffectiveConfig, T), E>,
        then: impl FnOnce(&T),
    ) -> Result<T, E> {
        let mut config = self.config.write().unwrap_or_else(|p| p.into_inner());
        let (changed, result) = change(&config)?;
        *config = Arc::new(changed);
        then(&result);
        Ok(result)
    }

    /// The env as it is now, with where each value came from.
    pub fn current(&self) -> Arc<EffectiveConfig> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The value under `key`, as JSON bytes.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.current()
            .get(key)
            .and_then(|v| serde_json::to_vec(v).ok())
    }
}

/// The env of every application a host has run, by name.
#[derive(Default)]
pub(super) struct AppEnvs {
    envs: RwLock<BTreeMap<String, AppEnv>>,
}

impl AppEnvs {
    /// Set application `config.app()`'s env, making it known.
    pub(super) fn set(&self, config: EffectiveConfig) {
        let app = config.app().to_string();
        let env = self
            .envs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(app)
            .or_default()
            .clone();
        env.set(config);
    }

    /// Application `app`'s env.
    pub(super) fn of(&self, app: &str) -> Option<AppEnv> {
        self.envs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(app)
            .cloned()
    }

    /// The env of application `app`, or of the only one when none is named.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnknownApplication`] for a name not known here;
    /// [`ConfigError::WhichApplication`] for none when there are several.
    pub(super) fn resolve(&self, app: Option<&str>) -> Result<AppEnv, ConfigError> {
        let envs = self.envs.read().unwrap_or_else(|p| p.into_inner());
        let known = || {
            let names: Vec<&str> = envs.keys().map(String::as_str).collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        match app {
            Some(name) => envs
                .get(name)
                .cloned()
                .ok_or_else(|| ConfigError::UnknownApplication {
                    name: name.to_string(),
                    running: known(),
                }),
            None if envs.len() == 1 => Ok(envs.values().next().cloned().unwrap_or_default()),
            None => Err(ConfigError::WhichApplication { running: known() }),
        }
    }
}

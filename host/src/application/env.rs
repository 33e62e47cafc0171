//! The application env (`[app.env]` and the layers over it): what guests
//! read through `config`, as OTP's `Application.get_env`.

use std::sync::{Arc, RwLock};

use super::config::EffectiveConfig;

/// The env of the application a host runs. Cheap to clone; every clone is
/// the same env. Replacing it is seen by every later `config` read.
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

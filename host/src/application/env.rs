//! The application env (`[app.env]`): what guests read through `config`,
//! as OTP's `Application.get_env`.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

/// The env of the application a host runs. Cheap to clone; every clone is
/// the same env. Replacing it is seen by every later `config` read.
#[derive(Clone, Default)]
pub struct AppEnv {
    values: Arc<RwLock<Arc<Map<String, Value>>>>,
}

impl AppEnv {
    /// Replace the whole env.
    pub fn set(&self, env: Map<String, Value>) {
        *self.values.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(env);
    }

    /// The value under `key`, as JSON bytes.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let env = self
            .values
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        env.get(key).and_then(|v| serde_json::to_vec(v).ok())
    }
}

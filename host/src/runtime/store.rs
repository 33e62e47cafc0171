//! The plugins a host knows, by name: loaded once from the plugin folder,
//! compiled (or read from the compile cache), and shared by every process
//! and task that runs them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use dashmap::DashMap;

use super::{Plugin, PluginError, PluginVersion, Runtime, TaskPlugin};

/// The plugins and task builds of one host, and the folder that plugins
/// named at run time are loaded from. Cheap to clone: every clone is the
/// same store.
#[derive(Clone)]
pub struct PluginStore {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    runtime: Runtime,
    plugins: DashMap<String, Arc<Plugin>>,
    tasks: DashMap<String, Arc<TaskPlugin>>,
    dir: RwLock<Option<PathBuf>>,
}

impl PluginStore {
    /// An empty store that compiles on `runtime`.
    pub fn new(runtime: Runtime) -> PluginStore {
        PluginStore {
            inner: Arc::new(StoreInner {
                runtime,
                plugins: DashMap::new(),
                tasks: DashMap::new(),
                dir: RwLock::new(None),
            }),
        }
    }

    /// The runtime builds are compiled for.
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// Set the folder that plugins named at run time are loaded from.
    pub fn set_dir(&self, dir: PathBuf) {
        *self.inner.dir.write().unwrap_or_else(|p| p.into_inner()) = Some(dir);
    }

    /// The plugin folder (empty when none was set).
    pub fn dir(&self) -> PathBuf {
        self.inner
            .dir
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default()
    }

    /// The file plugin `name` (`NAME` or `NAME.wasm`) is read from:
    /// `NAME.wasm` in the plugin folder, never anywhere else.
    ///
    /// # Errors
    ///
    /// [`PluginError::BadName`] if `name` is not a plugin name.
    pub fn file_of(&self, name: &str) -> Result<PathBuf, PluginError> {
        let name = plugin_name_of(name).ok_or_else(|| PluginError::BadName(name.to_string()))?;
        Ok(self.dir().join(format!("{name}.wasm")))
    }

    /// Make `plugin` known by its name. A plugin of that name already known
    /// is kept and returned instead.
    pub fn register(&self, plugin: Arc<Plugin>) -> Arc<Plugin> {
        self.inner
            .plugins
            .entry(plugin.name().to_string())
            .or_insert(plugin)
            .clone()
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Plugin>> {
        self.inner.plugins.get(name).map(|p| p.clone())
    }

    /// Every known plugin, by name.
    pub fn all(&self) -> Vec<Arc<Plugin>> {
        let mut plugins: Vec<_> = self.inner.plugins.iter().map(|p| p.clone()).collect();
        plugins.sort_by(|a, b| a.name().cmp(b.name()));
        plugins
    }

    /// Load the plugin at `path` and make it known by its name (the file's
    /// stem). A plugin of that name already known is kept and returned.
    ///
    /// # Errors
    ///
    /// A [`PluginError`] naming the file.
    pub async fn load(&self, path: &Path) -> Result<Arc<Plugin>, PluginError> {
        let version = PluginVersion::load(&self.inner.runtime, path).await?;
        Ok(self.register(Plugin::new(version)))
    }

    /// The task build called `name`, loaded from the plugin folder on
    /// first use.
    ///
    /// # Errors
    ///
    /// A [`PluginError`] naming the file.
    pub async fn task(&self, name: &str) -> Result<Arc<TaskPlugin>, PluginError> {
        let file = self.file_of(name)?;
        // One entry per plugin, however it was spelled.
        let name = plugin_name_of(name).unwrap_or(name);
        if let Some(plugin) = self.inner.tasks.get(name) {
            return Ok(plugin.clone());
        }
        let plugin = TaskPlugin::load(&self.inner.runtime, &file).await?;
        Ok(self
            .inner
            .tasks
            .entry(name.to_string())
            .or_insert(plugin)
            .clone())
    }
}

/// The plugin name in `spec` (`NAME` or `NAME.wasm`), if it is one.
pub fn plugin_name_of(spec: &str) -> Option<&str> {
    let name = spec.strip_suffix(".wasm").unwrap_or(spec);
    is_plugin_name(name).then_some(name)
}

/// Whether `name` is a plugin name: letters, digits, `_` and `-`, at most
/// 64 of them. A name from a guest, the CLI or the control API is never a
/// path.
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

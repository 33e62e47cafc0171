//! A plugin build, compiled once and ready to instantiate many times.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::Component;

use super::bindings::{GenServer, GenServerPre};
use super::host::{Caller, HostCalls, LogLevel};
use super::instance::{Instance, StoreData};
use super::{PluginError, Runtime};
use crate::sandbox::Limits;

/// One compiled version of a plugin: the component and its pre-linked
/// `InstancePre`, shared by every process that runs it. Compiling costs tens
/// of milliseconds; instantiating from it costs microseconds.
pub struct PluginVersion {
    name: String,
    path: PathBuf,
    vsn: String,
    engine: Engine,
    pre: GenServerPre<StoreData>,
}

impl std::fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVersion")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("vsn", &self.vsn)
            .finish()
    }
}

impl PluginVersion {
    /// Read, check and compile the plugin at `path`, then ask it its vsn.
    /// Compilation runs on a blocking thread, never on a runtime worker.
    ///
    /// # Errors
    ///
    /// A [`PluginError`] naming the file and what is wrong with it: missing,
    /// not WebAssembly, a core module instead of a component, a component of
    /// another world, or a `vsn` that traps.
    pub async fn load(runtime: &Runtime, path: &Path) -> Result<Arc<PluginVersion>, PluginError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| PluginError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        check_header(path, &bytes)?;
        let engine = runtime.engine().clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &bytes))
            .await
            .map_err(|e| PluginError::Compile {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
            .map_err(|e| PluginError::Compile {
                path: path.to_path_buf(),
                message: first_line(&e),
            })?;
        let wrong_world = |e: wasmtime::Error| PluginError::WrongWorld {
            path: path.to_path_buf(),
            message: first_line(&e),
        };
        let instance_pre = runtime
            .linker()
            .instantiate_pre(&component)
            .map_err(wrong_world)?;
        let pre = GenServerPre::new(instance_pre).map_err(wrong_world)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut plugin = PluginVersion {
            name,
            path: path.to_path_buf(),
            vsn: String::new(),
            engine: runtime.engine().clone(),
            pre,
        };
        let mut probe = Instance::new(&plugin, Box::new(NoProcess), &Limits::default())
            .await
            .map_err(|crash| PluginError::Vsn {
                path: path.to_path_buf(),
                reason: crash.to_string(),
            })?;
        plugin.vsn = probe.vsn().await.map_err(|crash| PluginError::Vsn {
            path: path.to_path_buf(),
            reason: crash.to_string(),
        })?;
        Ok(Arc::new(plugin))
    }

    /// The plugin's name: its file name without the extension.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the plugin's `vsn()` returned.
    pub fn vsn(&self) -> &str {
        &self.vsn
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn pre(&self) -> &GenServerPre<StoreData> {
        &self.pre
    }
}

/// Compile-time check that the bindings' world type is the one we link.
const _: fn(&GenServer) = |_| {};

fn check_header(path: &Path, bytes: &[u8]) -> Result<(), PluginError> {
    const MAGIC: &[u8] = b"\0asm";
    const COMPONENT: &[u8] = &[0x0d, 0x00, 0x01, 0x00];
    const CORE_MODULE: &[u8] = &[0x01, 0x00, 0x00, 0x00];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(PluginError::NotWasm {
            path: path.to_path_buf(),
            len: bytes.len(),
        });
    }
    if &bytes[4..8] == CORE_MODULE {
        return Err(PluginError::CoreModule {
            path: path.to_path_buf(),
        });
    }
    if &bytes[4..8] != COMPONENT {
        return Err(PluginError::Compile {
            path: path.to_path_buf(),
            message: format!(
                "unsupported WebAssembly version bytes {:02x?}",
                &bytes[4..8]
            ),
        });
    }
    Ok(())
}

fn first_line(err: &wasmtime::Error) -> String {
    let text = format!("{err:#}");
    text.lines().next().unwrap_or("").to_string()
}

/// Host side for an instance that is no process: it answers `vsn` only.
struct NoProcess;

impl HostCalls for NoProcess {
    fn self_pid(&mut self) -> u64 {
        0
    }
    fn send_after(&mut self, _msg: Vec<u8>, _ms: u32) -> u64 {
        0
    }
    fn cancel_timer(&mut self, _timer: u64) -> bool {
        false
    }
    fn reply(&mut self, _to: Caller, _msg: Vec<u8>) {}
    fn trap_exit(&mut self, _enabled: bool) {}
    fn log(&mut self, _level: LogLevel, _msg: String) {}
    fn config(&mut self, _key: String) -> Option<Vec<u8>> {
        None
    }
}

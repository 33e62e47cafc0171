//! A plugin build, compiled once and ready to instantiate many times.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::batch::find_handle_casts;
use super::bindings::GenServerIndices;
use super::cache::{Compiled, content_hash};
use super::crash::Crash;
use super::detached::Detached;
use super::instance::{HostCallsAny, Instance, Linked, StoreData};
use super::{PluginError, Runtime};
use crate::sandbox::{Limits, WasiGrants};

/// One compiled version of a plugin: the component and its pre-linked
/// `InstancePre`, shared by every process that runs it. Compiling costs tens
/// of milliseconds; instantiating from it costs microseconds.
pub struct PluginVersion {
    name: String,
    path: PathBuf,
    vsn: String,
    hash: String,
    compiled: Compiled,
    load_time: Duration,
    engine: Engine,
    linked: Linked,
}

impl std::fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVersion")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("vsn", &self.vsn)
            .field("hash", &self.hash)
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
        let bytes = Self::read(path).await?;
        Self::from_bytes(runtime, &file_stem(path), path, bytes, None).await
    }

    /// The bytes of the build at `path`.
    ///
    /// # Errors
    ///
    /// [`PluginError::Read`], naming the file.
    pub async fn read(path: &Path) -> Result<Vec<u8>, PluginError> {
        tokio::fs::read(path)
            .await
            .map_err(|source| PluginError::Read {
                path: path.to_path_buf(),
                source,
            })
    }

    /// As [`load`](Self::load), for a build of plugin `name` already read
    /// from `path`, whose [`content_hash`](super::content_hash) the caller
    /// may know already (it is computed otherwise).
    ///
    /// # Errors
    ///
    /// As for [`load`](Self::load).
    pub async fn from_bytes(
        runtime: &Runtime,
        name: &str,
        path: &Path,
        bytes: Vec<u8>,
        hash: Option<String>,
    ) -> Result<Arc<PluginVersion>, PluginError> {
        let started = Instant::now();
        let (component, compiled, hash) = compile(runtime, path, bytes, hash).await?;
        let linked = link(runtime, path, &component, "gen-server", |pre| {
            Ok(Linked {
                indices: GenServerIndices::new(&pre)?,
                handle_casts: find_handle_casts(pre.component()),
                pre,
            })
        })?;
        let mut plugin = PluginVersion {
            name: name.to_string(),
            path: path.to_path_buf(),
            vsn: String::new(),
            hash,
            compiled,
            load_time: Duration::ZERO,
            engine: component.engine().clone(),
            linked,
        };
        let mut probe = plugin
            .instantiate(
                Box::new(Detached),
                &Limits::default(),
                &WasiGrants::default(),
            )
            .await
            .map_err(|crash| PluginError::Vsn {
                path: path.to_path_buf(),
                reason: crash.to_string(),
            })?;
        plugin.vsn = probe.vsn().await.map_err(|crash| PluginError::Vsn {
            path: path.to_path_buf(),
            reason: crash.to_string(),
        })?;
        check_vsn(path, &plugin.vsn)?;
        probe
            .check_handle_casts()
            .map_err(|message| PluginError::WrongWorld {
                path: path.to_path_buf(),
                world: "gen-server-batched",
                message,
            })?;
        plugin.load_time = started.elapsed();
        Ok(Arc::new(plugin))
    }

    /// The plugin's name: its file name without the extension, unless it
    /// was loaded as a new build of another plugin.
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

    /// The SHA-256 of the build, in hex: two versions are the same build
    /// exactly when their hashes are equal.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The first 12 hex digits of [`hash`](Self::hash), for people.
    pub fn short_hash(&self) -> &str {
        &self.hash[..self.hash.len().min(12)]
    }

    /// Whether the component was compiled now or read from the cache.
    pub fn compiled(&self) -> Compiled {
        self.compiled
    }

    /// How long loading took: compile (or cache read), link, vsn probe.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A new instance of this build in a Store of its own, `host` answering
    /// its imports, under `limits`, with WASI as `grants` allow: a
    /// process's start.
    ///
    /// # Errors
    ///
    /// A [`Crash`] if instantiation fails: the pool is exhausted, the
    /// guest's start function traps, or its initial memory exceeds `limits`.
    pub async fn instantiate(
        &self,
        host: Box<dyn HostCallsAny>,
        limits: &Limits,
        grants: &WasiGrants,
    ) -> Result<Instance, Crash> {
        Instance::new(self.engine(), &self.linked, host, limits, grants).await
    }
}

/// Check that `bytes` (read from `path`) is a component, and compile it on
/// a blocking thread, through the compile cache if the host has one. The
/// content hash is computed there too, unless the caller has it.
/// How long a compile runs before the host says it is compiling.
const SLOW_COMPILE: Duration = Duration::from_secs(1);

pub(crate) async fn compile(
    runtime: &Runtime,
    path: &Path,
    bytes: Vec<u8>,
    hash: Option<String>,
) -> Result<(Component, Compiled, String), PluginError> {
    check_header(path, &bytes)?;
    let engine = runtime.engine_for(bytes.len()).clone();
    let cache = runtime.cache().cloned();
    let size = bytes.len();
    let mut compiling = tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| content_hash(&bytes));
        let compiled = match &cache {
            Some(cache) => cache.load_or_compile(&engine, &bytes, &hash),
            None => Component::new(&engine, &bytes).map(|c| (c, Compiled::Fresh)),
        };
        compiled.map(|(component, how)| (component, how, hash))
    });
    // A Python or JavaScript build takes seconds to compile (once: then
    // the cache serves it): say so, rather than look hung.
    let started = Instant::now();
    let done = match tokio::time::timeout(SLOW_COMPILE, &mut compiling).await {
        Ok(done) => done,
        Err(_) => {
            tracing::info!(
                "compiling {} ({:.1} MB), once: the compile cache keeps it",
                path.display(),
                size as f64 / 1e6
            );
            let done = compiling.await;
            tracing::info!(
                "compiled {} in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
            done
        }
    };
    done.map_err(|e| PluginError::Compile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?
    .map_err(|e| PluginError::Compile {
        path: path.to_path_buf(),
        message: first_line(&e),
    })
}

/// Link `component` against the host's imports and build its typed
/// `InstancePre` with `typed` (the bindings' `…Pre::new`). Any mismatch is
/// [`PluginError::WrongWorld`] for `world`.
pub(crate) fn link<P>(
    runtime: &Runtime,
    path: &Path,
    component: &Component,
    world: &'static str,
    typed: impl FnOnce(wasmtime::component::InstancePre<StoreData>) -> wasmtime::Result<P>,
) -> Result<P, PluginError> {
    let wrong_world = |e: wasmtime::Error| PluginError::WrongWorld {
        path: path.to_path_buf(),
        world,
        message: first_line(&e),
    };
    let instance_pre = runtime
        .linker(component.engine())
        .instantiate_pre(component)
        .map_err(wrong_world)?;
    typed(instance_pre).map_err(wrong_world)
}

/// The plugin name a file stands for: its name without the extension.
pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

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

pub(crate) fn first_line(err: &wasmtime::Error) -> String {
    let text = format!("{err:#}");
    text.lines().next().unwrap_or("").to_string()
}

/// The longest vsn a plugin may have.
const MAX_VSN_LEN: usize = 64;

/// Check a vsn a plugin returned: `1.0.0`, `2024.1-rc+3`.
fn check_vsn(path: &Path, vsn: &str) -> Result<(), PluginError> {
    let fine = !vsn.is_empty()
        && vsn.len() <= MAX_VSN_LEN
        && vsn
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'));
    if fine {
        Ok(())
    } else {
        Err(PluginError::BadVsn {
            path: path.to_path_buf(),
            vsn: vsn.chars().take(80).collect(),
        })
    }
}

//! Tasks: components of the `task` world, one-shot jobs (Elixir's Task).
//! A task build is compiled once, like a GenServer plugin, and each run is
//! a fresh instance in its own Store, under the same limits and deadline.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Store;

use super::instance::{HostCallsAny, StoreData, new_store};
use super::plugin::{compile, file_stem, link};
use super::watchdog::bounded;
use super::{Crash, PluginError, Runtime};
use crate::sandbox::{Limits, WasiGrants};

mod bindings {
    wasmtime::component::bindgen!({
        world: "task",
        path: "../wit",
        exports: { default: async },
        with: {
            "overseer:plugin/types": crate::runtime::bindings::overseer::plugin::types,
            "overseer:plugin/host": crate::runtime::bindings::overseer::plugin::host,
        },
    });
}

use bindings::TaskPre;

/// A compiled task build.
pub struct TaskPlugin {
    name: String,
    path: PathBuf,
    hash: String,
    engine: wasmtime::Engine,
    pre: TaskPre<StoreData>,
}

impl std::fmt::Debug for TaskPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskPlugin")
            .field("name", &self.name)
            .field("path", &self.path)
            .finish()
    }
}

impl TaskPlugin {
    /// Read, check and compile the task build at `path` (off the runtime
    /// threads).
    ///
    /// # Errors
    ///
    /// A [`PluginError`] naming the file: unreadable, not a component, or
    /// not of the `overseer:plugin/task` world.
    pub async fn load(runtime: &Runtime, path: &Path) -> Result<Arc<TaskPlugin>, PluginError> {
        let bytes = super::PluginVersion::read(path).await?;
        let (component, _, hash) = compile(runtime, path, bytes, None).await?;
        let pre = link(runtime, path, &component, "task", TaskPre::new)?;
        Ok(Arc::new(TaskPlugin {
            name: file_stem(path),
            path: path.to_path_buf(),
            hash,
            engine: component.engine().clone(),
            pre,
        }))
    }

    /// The task's name: its file name without `.wasm`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SHA-256 of the build.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Run the task once on `input`, in a fresh instance whose imports
    /// `host` answers. Ok(Err) is the task's own failure; Err is a crash.
    ///
    /// # Errors
    ///
    /// A [`Crash`]: the instance could not be made, or `run` trapped, ran
    /// past its deadline or its memory limit.
    pub async fn run(
        &self,
        host: Box<dyn HostCallsAny>,
        limits: &Limits,
        grants: &WasiGrants,
        input: &[u8],
    ) -> Result<Result<Vec<u8>, String>, Crash> {
        let mut store: Store<StoreData> = new_store(&self.engine, host, limits, grants)?;
        let crash = |store: &Store<StoreData>, err: wasmtime::Error| {
            Crash::from_wasmtime(&err, store.data().output_tail())
        };
        let task = match self.pre.instantiate_async(&mut store).await {
            Ok(task) => task,
            Err(err) => return Err(crash(&store, err)),
        };
        store.data_mut().arm();
        let input = input.to_vec();
        let (wall, deadline) = store.data().watchdog();
        match bounded(task.call_run(&mut store, &input), &wall, deadline).await {
            Ok(outcome) => Ok(outcome),
            Err(err) => Err(crash(&store, err)),
        }
    }
}

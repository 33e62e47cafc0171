//! How bytes become a running instance, and how to call into it.
//!
//! - [`Runtime`]: the one wasmtime `Engine` of a host, with the pooling
//!   allocator, epoch interruption and the linker of host imports.
//! - [`PluginVersion`]: a compiled plugin build and its `InstancePre`,
//!   shared by every process that runs it.
//! - [`Plugin`]: a plugin by name, the build its processes start now, and
//!   the probation of its latest upgrade; [`CompileCache`] keeps compiled
//!   builds on disk; [`PluginStore`] holds a host's plugins and task builds
//!   by name and loads new ones from the plugin folder.
//! - [`Instance`]: one Store and one component instance; typed calls to the
//!   GenServer exports, whose failures come back as a [`Crash`].
//!
//! The runtime knows nothing about pids or mailboxes: host imports go to a
//! [`HostCalls`] implementation that the `process` module provides.

mod batch;
pub mod bindings;
mod cache;
pub mod capacity;
pub(crate) mod coarse_clock;
mod crash;
mod detached;
mod engine;
mod frame_names;
mod host;
mod imports;
mod instance;
mod next_tick;
mod output;
mod plugin;
mod probation;
mod slot;
mod store;
mod task;
mod wasi_ctx;
mod watchdog;

use std::path::PathBuf;

pub use batch::{Casts, MAX_BATCH_BYTES, MAX_BATCH_LEN};
pub use cache::{CompileCache, Compiled, content_hash};
pub use crash::{BACKTRACE_FRAMES, Crash, CrashCause};
pub(crate) use detached::Detached;
pub use engine::{HostConfig, Runtime};
pub use host::{
    Caller, ChildByIdOp, GuestCallError, GuestTarget, HostCalls, LogLevel, PendingCall,
    PendingSupervisor, Timeout,
};
pub use instance::{HostCallsAny, Instance, StoreData};
pub use next_tick::{NextTick, Ticket};
pub use output::GuestOutput;
pub use plugin::PluginVersion;
pub use probation::ProbationPolicy;
pub use slot::{Plugin, RolledBack};
pub use store::{PluginStore, is_plugin_name, plugin_name_of};
pub use task::TaskPlugin;

/// The engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// wasmtime refused the configuration.
    #[error("cannot start the wasm engine: {0}")]
    Engine(String),
    /// The kernel's mapping limit leaves room for no process.
    #[error("cannot start the host: {0}")]
    NoRoom(capacity::MapLimit),
}

impl RuntimeError {
    fn engine(err: wasmtime::Error) -> Self {
        RuntimeError::Engine(format!("{err:#}"))
    }
}

/// A plugin file could not be loaded. Each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// A plugin named with something that is not a plugin name (a path).
    #[error(
        "'{0}' is not a plugin name: letters, digits, _ and - only (at most 64), optionally ending in .wasm"
    )]
    BadName(String),
    /// The file could not be read (missing, unreadable).
    #[error("{}: cannot read plugin: {source}", path.display())]
    Read {
        /// The plugin file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not start with the WebAssembly magic number.
    #[error("{}: not a WebAssembly file ({len} bytes, no \\0asm header)", path.display())]
    NotWasm {
        /// The plugin file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// The file is a core module; plugins must be components.
    #[error(
        "{}: a core WebAssembly module, not a component: build the plugin for wasm32-wasip2",
        path.display()
    )]
    CoreModule {
        /// The plugin file.
        path: PathBuf,
    },
    /// wasmtime could not compile the component (truncated, corrupt).
    #[error("{}: invalid component: {message}", path.display())]
    Compile {
        /// The plugin file.
        path: PathBuf,
        /// wasmtime's reason.
        message: String,
    },
    /// The component does not implement the world it is loaded as
    /// (`gen-server` or `task`): a missing export, an import the host does
    /// not provide.
    #[error("{}: not a component of the overseer:plugin/{world} world: {message}", path.display())]
    WrongWorld {
        /// The plugin file.
        path: PathBuf,
        /// The world it was expected to implement.
        world: &'static str,
        /// What does not match.
        message: String,
    },
    /// Instantiating the plugin or calling its `vsn` failed.
    #[error("{}: cannot read the plugin's vsn: {reason}", path.display())]
    Vsn {
        /// The plugin file.
        path: PathBuf,
        /// The crash reason.
        reason: String,
    },
    /// The plugin's `vsn` is empty, too long, or not printable: it is shown
    /// in logs and handed to the next build's `code-change`.
    #[error(
        "{}: vsn {vsn:?} is not a version: 1 to 64 of letters, digits and . _ + -",
        path.display()
    )]
    BadVsn {
        /// The plugin file.
        path: PathBuf,
        /// What it returned, escaped and cut to 80 characters.
        vsn: String,
    },
}

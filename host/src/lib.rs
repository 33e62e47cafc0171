//! Overseer: OTP for WebAssembly.
//!
//! Overseer runs workers written in any language that compiles to a
//! WebAssembly component of the `overseer:plugin/gen-server` world (see
//! `wit/`), supervises them as Erlang/OTP supervises processes, and keeps
//! each one in its own sandbox. A trap, a panic, a runaway loop or a memory
//! limit is a crash: the process exits, its supervisor decides what happens
//! next, and the host carries on.
//!
//! ```no_run
//! use std::path::Path;
//! use std::time::Duration;
//! use overseer::application::{Application, Node, load_manifest};
//! use overseer::process::Target;
//! use overseer::runtime::{HostConfig, Runtime};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let node = Node::new(Runtime::new(HostConfig::default())?);
//! let manifest = load_manifest(Path::new("examples/demo.toml"))?;
//! let app = Application::start(&node, &manifest).await?;
//! let reply = node
//!     .call(&Target::Name("counter".into()), br#""increment""#.to_vec(), Duration::from_secs(5))
//!     .await?;
//! assert_eq!(reply, b"101");
//! app.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Core concepts
//!
//! - [`Runtime`](runtime::Runtime): one wasmtime `Engine` per host, with the
//!   pooling allocator (a slot per live process, reserved up front) and the
//!   epoch thread that enforces CPU deadlines.
//! - [`PluginVersion`](runtime::PluginVersion): a plugin build, compiled
//!   once (tens of milliseconds) and pre-linked; every process of it
//!   instantiates from it (tens of microseconds). The
//!   [`PluginStore`](runtime::PluginStore) keeps a host's plugins by name.
//! - A process: one Store, one tokio task, one mailbox; about 75 KB of RSS.
//!   Addressed by [`Pid`](process::Pid), a `Copy` u64 never reused, found
//!   in the [`Processes`](process::Processes) table.
//! - [`Naming`](registry::Naming): registered names and Elixir registries,
//!   released when their process exits.
//! - [`SupervisorRef`](supervisor::SupervisorRef): a supervisor task with
//!   OTP's strategies, restart types, intensity and ordered shutdown; a
//!   DynamicSupervisor, or a worker pool. It drives children through
//!   [`StartChild`](supervisor::StartChild) and knows nothing of wasm.
//! - [`Node`](application::Node): a host put together from one part per
//!   floor; [`Application`](application::Application): a manifest's tree,
//!   started on it.
//! - [`Plugin`](runtime::Plugin): a plugin by name and the build its
//!   processes start now; [`Reloader`](reload::Reloader) moves every process
//!   of a plugin to a new build through `code-change`, and the
//!   [`Watcher`](reload::Watcher) does it when a file in the plugin folder
//!   changes.
//! - [`Deployment`](deploy::Deployment): a host running a manifest, brought
//!   to an edited one by a plan of steps (`overseer apply`).
//! - [`control`]: the HTTP + JSON control socket the `overseer` CLI uses.
//!
//! Modules are floors, each using only those below it:
//! `sandbox → runtime → process → registry → supervisor → application →
//! reload → deploy → metrics → control`. A lower floor reaches a higher one only through a
//! trait it defines (`runtime::HostCalls`, `process::Names`,
//! `process::GuestServices`, `supervisor::StartChild`).

pub mod sandbox;

pub mod runtime;

pub mod process;

pub mod registry;

pub mod supervisor;

pub mod application;

pub mod reload;

pub mod deploy;

pub mod metrics;

pub mod control;

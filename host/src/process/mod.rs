//! What one live worker is, and how it receives, replies, times out,
//! crashes and exits.
//!
//! A process is one [`Instance`](crate::runtime::Instance) in its own Store,
//! served by one tokio task from one mailbox, strictly one message at a
//! time. The [`Node`] is the table of live processes: it starts them,
//! resolves pids and names, and routes calls, casts and plain messages.
//!
//! # Choosing a message
//!
//! - **call** waits for a reply (default timeout 5 s in the CLI). On timeout
//!   the caller gets an error; the server is not affected and its late reply
//!   is dropped.
//! - **cast** returns at once; the server handles it in `handle-cast`.
//! - **send** is a plain message, for `handle-info`.
//!
//! # Exits
//!
//! A process exits when a callback returns stop (after its `terminate`),
//! when it crashes (trap, panic, CPU deadline, memory limit; `terminate`
//! cannot run on a trapped instance), or when it is killed. Whoever watches
//! it gets an [`ExitNotice`] with the [`ExitReason`].

mod code_change;
mod error;
mod events;
mod exit;
mod host_calls;
mod links;
mod mailbox;
mod node;
mod pid;
mod pool;
mod registry;
mod server;
mod supervisor_handle;
mod task;

pub use code_change::{CodeChange, CodeChangeError, CodeChanged};
pub use error::{CallError, RegisterError, SpawnError};
pub use events::{Event, EventBus};
pub use exit::{ExitNotice, ExitReason, ExitSender};
pub use mailbox::{Envelope, Mailbox, ReplySender};
pub use node::{Node, PendingChange, ProcessInfo, ProcessRef, ProcessSpec, Spawned, ViaName};
pub use pid::{Pid, Target};
pub use pool::{PoolError, PoolRef, PoolSpec, PoolStatus, PoolStrategy};
pub use registry::{Keys, Registry, RegistryError};
pub use supervisor_handle::{HandleFuture, SupervisorHandle};
pub use task::TaskOutcome;

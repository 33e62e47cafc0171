//! What one live worker is, and how it receives, replies, times out,
//! crashes and exits.
//!
//! A process is one [`Instance`](crate::runtime::Instance) in its own Store,
//! served by one tokio task from one mailbox, strictly one message at a
//! time. [`Processes`] is the table of live processes: it starts them
//! ([`Processes::spawn`]), resolves pids, and signals and kills them. It
//! knows nothing of supervisors, registries or applications: names and
//! registry keys are resolved through the [`Names`] the registry floor
//! gives it, and what guests ask of the floors above goes through
//! [`GuestServices`].
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
//! it gets an [`ExitNotice`] with the [`ExitReason`]. Its names and
//! registry keys are released before anyone is told.

mod activity;
mod call_timeout;
mod cast_run;
mod change_code;
mod change_config;
mod code_change;
mod config_change;
mod counts;
mod details;
mod error;
mod event_kind;
mod events;
mod exit;
mod guest_log;
mod host_calls;
mod links;
mod mailbox;
mod names;
mod permits;
mod pid;
mod process_host;
mod process_ref;
mod sample;
mod server;
mod services;
mod spawn;
mod table;
mod tally;
mod task;
mod watchers;
mod wheel_anchor;

pub use activity::{ActivityReport, Callback};
pub use cast_run::CastRun;
pub use change_code::PendingChange;
pub use code_change::{CodeChange, CodeChangeError, CodeChanged};
pub use config_change::ConfigChange;
pub use counts::{CALL_BUCKETS_NS, Counts};
pub use details::{LISTED, Listed, ProcessDetails, ProcessStatus};
pub use error::{CallError, SpawnError};
pub use events::{Event, EventBus};
pub use exit::{ExitNotice, ExitReason, ExitSender, TaskOutcome};
pub use mailbox::{Envelope, Mailbox, MailboxFill, ReplySender};
pub use names::{NameError, Names, ViaName};
pub use pid::{Pid, PidHasher, PidMap, Target};
pub use process_ref::ProcessRef;
pub use sample::ProcessSample;
pub use services::{GuestServices, NoServices, ServiceError, ServiceFuture};
pub use spawn::{ProcessSpec, Spawned};
pub use table::{ProcessInfo, Processes};
pub use tally::PluginCounts;
pub use task::TaskSpec;

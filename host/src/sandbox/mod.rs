//! What a guest may use, and how much.
//!
//! Every process carries its plugin's [`Policy`]: the capabilities the
//! manifest grants it ([`Grants`], default none beyond its own process),
//! checked where a guest's request enters the host; a refusal is a
//! [`Denied`] the guest reads as one line.
//!
//! Every process runs in its own wasmtime `Store` with two limits:
//!
//! - **memory**: the most linear memory the instance may grow to
//!   ([`Limits::memory_bytes`], default 64 MiB). Growing past it traps at
//!   once, so the process exits with a reason that names the limit instead of
//!   failing an allocation somewhere deep in the guest.
//! - **CPU time per callback**: [`Limits::cpu_deadline`] (default 5 s). A
//!   callback that runs longer is interrupted through wasmtime's epoch
//!   interruption and the process exits as crashed.
//!
//! Guests get an empty WASI context unless their plugin's [`WasiGrants`]
//! say otherwise: no files, no environment, no sockets, no inherited stdio.
//! Their stdout and stderr go to a small per-process buffer whose tail
//! appears in crash reports.
//!
//! Quotas ([`Quotas`]) bound what a process holds in the host on its
//! behalf: mailbox, timers, monitors, links, names, children, log output.
//!
//! # What is not contained
//!
//! - Host memory spent on a guest's behalf outside its Store (messages in
//!   its mailbox, timers) counts against its quotas, not its memory limit.
//! - A guest that spins uses a core until its deadline; the epoch makes it
//!   yield every tick, but gives no fair share.
//! - A `trusted` plugin has every capability.

mod grants;
mod limits;
mod policy;
mod private_dir;
mod quotas;
mod wasi;

pub use grants::{Capability, Denied, Grants, NameSet};
pub use limits::{DeadlineExceeded, Limits, MemoryLimitExceeded, MemoryLimiter};
pub use policy::Policy;
pub use private_dir::{
    NotPrivate, create_new_private, host_uid, open_no_follow, private_dir, private_key,
};
pub use quotas::{QuotaExceeded, Quotas};
pub use wasi::{BadOutbound, DirGrant, OutboundRule, Protocol, WasiGrants};

//! Given this exit, what happens next: restart whom, escalate, or stop?
//!
//! A supervisor starts its children in order, watches them, restarts them
//! by its [`Strategy`] and each child's [`Restart`] type, and stops them in
//! reverse order. It knows nothing about WebAssembly: a child is whatever a
//! [`StartChild`] starts, as in OTP's `{M, F, A}`, stopped through its
//! [`ChildControl`]. That is also how the unit tests drive it, with fake
//! children, in milliseconds.
//!
//! # Choosing a supervisor
//!
//! - A **supervisor** ([`SupervisorSpec`], OTP's `supervisor` with a static
//!   child list) for children known up front, with one of three strategies:
//!   - `one_for_one`: children are independent; restart only the one that
//!     exited.
//!   - `one_for_all`: children depend on each other; restart all of them.
//!   - `rest_for_one`: later children depend on earlier ones; restart the
//!     one that exited and those started after it.
//! - A **DynamicSupervisor** ([`DynamicSupervisorSpec`], Elixir's) for
//!   children started and stopped at run time, many of the same kind: one
//!   per session, per connection, per job. Children are kept by pid; one
//!   that is not restarted is forgotten. Task.Supervisor is one of these.
//! - A **pool** ([`PoolSpec`], poolboy's) for a fixed set of identical
//!   workers checked out one user at a time.
//!
//! # Restart intensity
//!
//! More than `max_restarts` restarts within `max_seconds` (defaults 3 and
//! 5, as in Elixir) and the supervisor stops all its children, newest first,
//! and exits with reason `shutdown`. Its parent then applies the
//! supervisor's own restart type: a permanent child supervisor is restarted
//! (counting against the parent's intensity), a transient one is left down.
//! Failed restart attempts count too; between attempts the supervisor keeps
//! answering requests.
//!
//! # Shutdown
//!
//! Children stop in reverse start order, each by its [`Shutdown`]:
//! `brutal_kill` kills at once; a time in ms sends a shutdown signal and
//! kills the child if it has not exited by then; `infinity` waits. A worker
//! that traps exits runs its `terminate` on the signal; one that does not
//! ends at once, as in OTP. A DynamicSupervisor signals all its children
//! first and then waits for them together.

mod child;
mod clock;
mod dynamic;
mod error;
mod handle;
mod inbox;
mod info;
mod intensity;
mod machine;
mod pool;
mod shutdown;
mod spec;
mod spec_change;
mod start;
mod static_sup;
mod supervision;
mod tree;

#[cfg(test)]
mod tests;

pub use child::{
    BoxFuture, ChildControl, ProcessControl, RunningChild, StartChild, StartContext, Started,
};
pub use clock::Clock;
pub use error::{ChildError, NoSupervisor, StartChildError, StartError};
pub use handle::{SupervisorKind, SupervisorRef};
pub use info::{ChildCount, ChildInfo, ChildPage, ChildStatus, Page};
pub use intensity::{IntensityFill, RestartIntensity};
pub use pool::{PoolError, PoolRef, PoolSpec, PoolStatus, PoolStrategy};
pub use spec::{
    ChildSpec, ChildType, DEFAULT_MAX_RESTARTS, DEFAULT_MAX_SECONDS, DEFAULT_WORKER_SHUTDOWN,
    DynamicSupervisorSpec, Restart, Shutdown, Strategy, SupervisorFlags, SupervisorSpec,
};
pub use spec_change::SpecChange;
pub use start::{PoolStart, SupervisorStart};
pub use supervision::Supervision;
pub use tree::{TreeLimits, TreeNode};

//! A change of a running static supervisor's own spec, as OTP's release
//! handler makes one when a new release changes a supervisor's `init/1`
//! (`overseer apply`): children added, removed, replaced or updated in
//! place, and new flags.

use super::spec::{ChildSpec, Restart, Shutdown, SupervisorFlags};

/// One change of a static supervisor's spec, made between two of its
/// messages, so that no exit or request sees it half made.
#[derive(Debug, Clone)]
pub enum SpecChange {
    /// New strategy and restart intensity; the restarts already counted
    /// stay counted against the new limit.
    Flags(SupervisorFlags),
    /// Add `spec` right after child `after` (first when None) and start
    /// it. A child that fails to start is not kept.
    Insert {
        /// The sibling it follows in start order.
        after: Option<String>,
        /// The child.
        spec: ChildSpec,
    },
    /// Change child `id`'s restart type and shutdown; it keeps running.
    Update {
        /// The child.
        id: String,
        /// Its new restart type.
        restart: Restart,
        /// Its new shutdown.
        shutdown: Shutdown,
    },
    /// Stop the child with `spec`'s id, put `spec` in its place and start
    /// it. If it fails to start, the old spec is put back and started
    /// again.
    Replace(ChildSpec),
    /// Stop child `id` and forget it (`terminate_child` then
    /// `delete_child`).
    Remove(String),
}

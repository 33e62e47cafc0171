//! What every kind of supervisor is to the task that runs it: a start,
//! then a loop that ends with an exit reason.

use super::child::BoxFuture;
use super::clock::Clock;
use super::error::StartError;
use crate::process::{ExitReason, Processes};

/// What every state machine is given: the process table (for its events)
/// and the clock its restart intensity is counted by.
pub(super) struct MachineContext {
    pub(super) processes: Processes,
    pub(super) clock: Clock,
}

/// A supervisor's state machine: a static supervisor, a DynamicSupervisor
/// or a pool, run by [`Supervision::launch`](super::Supervision).
pub(super) trait Machine: Send + 'static {
    /// Start the children; on an error, those started are stopped again.
    fn init(&mut self) -> BoxFuture<'_, Result<(), StartError>>;
    /// Serve until told to stop or until restart intensity is exceeded;
    /// the supervisor's exit reason.
    fn run(&mut self) -> BoxFuture<'_, ExitReason>;
}

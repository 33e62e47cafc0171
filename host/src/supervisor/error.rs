//! What can go wrong when a supervisor starts, or is asked to start or
//! stop a child.

use crate::process::{NameError, Pid, SpawnError};

/// A supervisor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A child's start failed; the children started before it were stopped.
    #[error("failed to start child '{id}': {reason}")]
    FailedToStartChild {
        /// The child's id.
        id: String,
        /// Why.
        reason: Box<StartChildError>,
    },
    /// Its name is held by a live process.
    #[error(transparent)]
    Name(#[from] NameError),
    /// Its task ended before it had started (the host is going down).
    #[error("the supervisor's task ended while starting")]
    Aborted,
}

/// A supervisor request that could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("supervisor {0} is not running")]
pub struct NoSupervisor(pub Pid);

/// Why `start_child` or `terminate_child` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    /// The supervisor has `max_children` children already.
    #[error("max_children reached ({0})")]
    MaxChildren(usize),
    /// A static supervisor already has a child with this id.
    #[error("a child with id '{0}' is already present")]
    AlreadyPresent(String),
    /// The child's start failed (its init stopped or crashed…); it is not
    /// kept.
    #[error("failed to start child: {0}")]
    StartFailed(StartChildError),
    /// No child has this pid.
    #[error("no such child: pid {0}")]
    NotFound(Pid),
    /// No child has this id (OTP's `not_found`).
    #[error("no child with id '{0}'")]
    NoSuchId(String),
    /// A child with this id runs already (OTP's `already_started`).
    #[error("child '{id}' is already started as pid {pid}")]
    AlreadyStarted {
        /// The id.
        id: String,
        /// The child's pid.
        pid: Pid,
    },
    /// The child runs: stop it first (OTP's `running`).
    #[error("child '{0}' is running: terminate it first")]
    Running(String),
    /// The supervisor is retrying the child's restart (OTP's
    /// `restarting`).
    #[error("child '{0}' is restarting")]
    Restarting(String),
    /// This kind of supervisor does not take the request (a pool starts
    /// its workers itself).
    #[error("{0}")]
    NotSupported(&'static str),
    /// The supervisor is gone.
    #[error(transparent)]
    NoSupervisor(#[from] NoSupervisor),
}

/// Why a child did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartChildError {
    /// A process did not start: its init stopped or crashed, its name was
    /// taken, the host is full.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// A nested supervisor did not start.
    #[error(transparent)]
    Supervisor(#[from] Box<StartError>),
    /// Another kind of child did not start (a pool, a start function of
    /// the caller's own); the error inside says why.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl StartChildError {
    /// Wrap an error of a start function's own.
    pub fn other(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StartChildError::Other(Box::new(err))
    }
}

//! Child specs and supervisor flags, with their defaults in one place.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::child::StartChild;

/// Which children a supervisor restarts when one of them must be restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Restart only the child that exited (default).
    #[default]
    OneForOne,
    /// Stop every other child (in reverse start order), then start all.
    OneForAll,
    /// Stop the children started after it, then restart it and them.
    RestForOne,
}

/// When a child that exited is restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// Always (default).
    #[default]
    Permanent,
    /// Only after an abnormal exit (not `normal`, `shutdown`,
    /// `shutdown: …`).
    Transient,
    /// Never; the child is forgotten when it exits.
    Temporary,
}

/// How a child is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Killed at once; `terminate` does not run.
    BrutalKill,
    /// Sent a shutdown signal, then killed if it has not exited after this
    /// long. Default for workers: 5,000 ms.
    Timeout(Duration),
    /// Sent a shutdown signal and waited for, however long it takes.
    /// Default for supervisors.
    Infinity,
}

impl fmt::Display for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shutdown::BrutalKill => f.write_str("brutal_kill"),
            Shutdown::Timeout(d) => write!(f, "{}", d.as_millis()),
            Shutdown::Infinity => f.write_str("infinity"),
        }
    }
}

/// A worker or a supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildType {
    /// A GenServer process.
    Worker,
    /// A nested supervisor.
    Supervisor,
}

/// Default shutdown time for a worker, as in OTP.
pub const DEFAULT_WORKER_SHUTDOWN: Duration = Duration::from_millis(5000);
/// Default restart intensity: restarts allowed within the period (Elixir's
/// default, which the seed uses; OTP's own is 1).
pub const DEFAULT_MAX_RESTARTS: u32 = 3;
/// Default restart period, in seconds.
pub const DEFAULT_MAX_SECONDS: u32 = 5;

/// How to start one child and what to do when it exits.
#[derive(Clone)]
pub struct ChildSpec {
    /// Unique among its siblings.
    pub id: String,
    /// What starts it (OTP's `{M, F, A}`).
    pub start: Arc<dyn StartChild>,
    /// When it is restarted. Default permanent.
    pub restart: Restart,
    /// How it is stopped. Default 5,000 ms for a worker, infinity for a
    /// supervisor.
    pub shutdown: Shutdown,
    /// Worker or supervisor.
    pub child_type: ChildType,
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("child_type", &self.child_type)
            .finish()
    }
}

impl ChildSpec {
    /// A permanent worker with a 5,000 ms shutdown.
    pub fn worker(id: impl Into<String>, start: Arc<dyn StartChild>) -> Self {
        ChildSpec {
            id: id.into(),
            start,
            restart: Restart::Permanent,
            shutdown: Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN),
            child_type: ChildType::Worker,
        }
    }

    /// A permanent supervisor with an infinite shutdown.
    pub fn supervisor(id: impl Into<String>, start: Arc<dyn StartChild>) -> Self {
        ChildSpec {
            id: id.into(),
            start,
            restart: Restart::Permanent,
            shutdown: Shutdown::Infinity,
            child_type: ChildType::Supervisor,
        }
    }

    /// With another restart type.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// With another shutdown.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }
}

/// How a supervisor restarts, and how often it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisorFlags {
    /// Default one_for_one.
    pub strategy: Strategy,
    /// More restarts than this within `max_seconds` and the supervisor
    /// gives up: it stops its children and exits with `shutdown`. Default 3.
    pub max_restarts: u32,
    /// The window, in seconds. Default 5.
    pub max_seconds: u32,
    /// The most children it may have at once, restarting ones included;
    /// `start_child` past it fails (DynamicSupervisor's `max_children`).
    /// None: no limit, the default.
    pub max_children: Option<usize>,
}

impl Default for SupervisorFlags {
    fn default() -> Self {
        SupervisorFlags {
            strategy: Strategy::OneForOne,
            max_restarts: DEFAULT_MAX_RESTARTS,
            max_seconds: DEFAULT_MAX_SECONDS,
            max_children: None,
        }
    }
}

/// A supervisor: its id, flags and children in start order.
#[derive(Debug, Clone, Default)]
pub struct SupervisorSpec {
    /// Its id (for logs and the tree).
    pub id: String,
    /// A name to register it under while it runs, so that `start-child`
    /// and the CLI can reach it.
    pub name: Option<String>,
    /// Strategy and intensity.
    pub flags: SupervisorFlags,
    /// Children, started in this order and stopped in reverse.
    pub children: Vec<ChildSpec>,
    /// A DynamicSupervisor: it starts with no children (any here are
    /// started first, as for a static one), children come and go with
    /// `start_child` and `terminate_child`, and their ids need not be
    /// unique. Its strategy is always one_for_one.
    pub dynamic: bool,
    /// Merged into the init args of every child started from a JSON spec
    /// (Elixir's `extra_arguments`; a child's own args win on a clash).
    pub extra_args: serde_json::Map<String, serde_json::Value>,
}

//! Child specs and supervisor flags, with their defaults in one place.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::child::StartChild;

/// Which children a supervisor restarts when one of them must be restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

impl Shutdown {
    /// A worker's default: 5,000 ms, as in OTP.
    pub const WORKER_DEFAULT: Shutdown = Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN);

    /// The default for a child of `child_type`: 5,000 ms for a worker,
    /// infinity for a supervisor.
    pub fn default_for(child_type: ChildType) -> Shutdown {
        match child_type {
            ChildType::Worker => Shutdown::WORKER_DEFAULT,
            ChildType::Supervisor => Shutdown::Infinity,
        }
    }
}

/// What a shutdown value may be, for error messages.
const SHUTDOWN_VALUES: &str = "milliseconds ≥ 0, \"brutal_kill\" or \"infinity\"";

impl<'de> Deserialize<'de> for Shutdown {
    /// Milliseconds (an integer ≥ 0), `"brutal_kill"` or `"infinity"`.
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Shutdown;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(SHUTDOWN_VALUES)
            }
            fn visit_u64<E: serde::de::Error>(self, ms: u64) -> Result<Shutdown, E> {
                Ok(Shutdown::Timeout(Duration::from_millis(ms)))
            }
            fn visit_i64<E: serde::de::Error>(self, ms: i64) -> Result<Shutdown, E> {
                match u64::try_from(ms) {
                    Ok(ms) => self.visit_u64(ms),
                    Err(_) => Err(E::custom(format!("expected {SHUTDOWN_VALUES}, found {ms}"))),
                }
            }
            fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<Shutdown, E> {
                match word {
                    "brutal_kill" => Ok(Shutdown::BrutalKill),
                    "infinity" => Ok(Shutdown::Infinity),
                    _ => Err(E::custom(format!(
                        "expected {SHUTDOWN_VALUES}, found \"{word}\""
                    ))),
                }
            }
        }
        de.deserialize_any(Visitor)
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl Default for SupervisorFlags {
    fn default() -> Self {
        SupervisorFlags {
            strategy: Strategy::OneForOne,
            max_restarts: DEFAULT_MAX_RESTARTS,
            max_seconds: DEFAULT_MAX_SECONDS,
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
}

/// A DynamicSupervisor: it starts with no children; children come and go
/// with `start_child` and `terminate_child`, their ids need not be unique,
/// and a child that is not restarted is forgotten, whatever its restart
/// type (Elixir's DynamicSupervisor). Its strategy is one_for_one.
#[derive(Debug, Clone)]
pub struct DynamicSupervisorSpec {
    /// Its id (for logs and the tree).
    pub id: String,
    /// A name to register it under while it runs.
    pub name: Option<String>,
    /// More restarts than this within `max_seconds` and it gives up.
    /// Default 3.
    pub max_restarts: u32,
    /// The window, in seconds. Default 5.
    pub max_seconds: u32,
    /// The most children it may have at once, restarting ones included;
    /// `start_child` past it fails. None: no limit, the default.
    pub max_children: Option<usize>,
    /// Handed to every start of every child, restarts included (Elixir's
    /// `extra_arguments`): a payload the start function merges into the
    /// child's own arguments. None: nothing extra, the default.
    pub extra_args: Option<Arc<[u8]>>,
}

impl Default for DynamicSupervisorSpec {
    fn default() -> Self {
        DynamicSupervisorSpec {
            id: String::new(),
            name: None,
            max_restarts: DEFAULT_MAX_RESTARTS,
            max_seconds: DEFAULT_MAX_SECONDS,
            max_children: None,
            extra_args: None,
        }
    }
}

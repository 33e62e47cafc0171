//! Process identifiers and how a process is addressed.

use std::fmt;
use std::str::FromStr;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};

/// How maps keyed by pid hash: a pid is the host's own number (a guest
/// may look one up, never choose one to insert), so a fast hash with a
/// random seed is enough. std's SipHash cost about 100 instructions a
/// lookup, and a restart makes about ten.
pub type PidHasher = foldhash::fast::RandomState;

/// A concurrent map keyed by pid, hashed with [`PidHasher`].
pub type PidMap<V> = DashMap<Pid, V, PidHasher>;

/// A process identifier: unique within one host run, never reused. Copy it
/// freely; it is a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pid(pub u64);

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who a message is for: a pid, a registered name, or a unique key in a
/// registry (Elixir's `{:via, Registry, {registry, key}}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A process by pid.
    Pid(Pid),
    /// A process by registered name.
    Name(String),
    /// The process under a unique key of a registry.
    Via {
        /// The registry.
        registry: String,
        /// The key.
        key: String,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Pid(pid) => write!(f, "pid {pid}"),
            Target::Name(name) => write!(f, "'{name}'"),
            Target::Via { registry, key } => write!(f, "'{key}' in registry '{registry}'"),
        }
    }
}

impl FromStr for Target {
    type Err = std::convert::Infallible;

    /// All digits: a pid; `via:REGISTRY/KEY`: a registry key; anything
    /// else: a name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(via) = s.strip_prefix("via:")
            && let Some((registry, key)) = via.split_once('/')
        {
            return Ok(Target::Via {
                registry: registry.to_string(),
                key: key.to_string(),
            });
        }
        Ok(match s.parse::<u64>() {
            Ok(n) => Target::Pid(Pid(n)),
            Err(_) => Target::Name(s.to_string()),
        })
    }
}

impl From<Pid> for Target {
    fn from(pid: Pid) -> Self {
        Target::Pid(pid)
    }
}

impl From<&str> for Target {
    fn from(name: &str) -> Self {
        Target::Name(name.to_string())
    }
}

//! What a plugin may do beyond its own process: the capabilities a manifest
//! grants it, default none.
//!
//! A process may always reply to its callers, receive, set timers, log,
//! and stop the children it started itself. Anything that reaches another
//! process or a shared part of the host needs a grant: messaging a name,
//! using a registry, a pool, a supervisor or a task plugin, taking a name,
//! reading an env key, linking to or monitoring a process it did not start.
//! A `trusted` plugin has every capability (quotas still apply).

use std::fmt;

use serde::{Deserialize, Deserializer};

/// The names a grant covers: exact names, prefixes (`session-*`), or `*`
/// for any. Empty: none, the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameSet {
    patterns: Vec<String>,
}

impl NameSet {
    /// Every name.
    pub fn any() -> Self {
        NameSet {
            patterns: vec!["*".into()],
        }
    }

    /// The names given: each exact, or a prefix when it ends in `*`.
    pub fn of<S: Into<String>>(patterns: impl IntoIterator<Item = S>) -> Self {
        NameSet {
            patterns: patterns.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether `name` is covered.
    pub fn allows(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => p == name,
        })
    }

    /// Whether every name is covered.
    pub fn is_any(&self) -> bool {
        self.patterns.iter().any(|p| p == "*")
    }
}

impl<'de> Deserialize<'de> for NameSet {
    /// A list of names (`["counter", "session-*"]`), or `"*"` for any.
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            One(String),
            Many(Vec<String>),
        }
        let patterns = match Written::deserialize(de)? {
            Written::One(one) => vec![one],
            Written::Many(many) => many,
        };
        for pattern in &patterns {
            let stem = pattern.strip_suffix('*').unwrap_or(pattern);
            if stem.contains('*') || (stem.is_empty() && pattern.is_empty()) {
                return Err(serde::de::Error::custom(format!(
                    "'{pattern}' is not a name pattern: a name, a prefix ending in *, or *"
                )));
            }
        }
        Ok(NameSet { patterns })
    }
}

/// The capabilities a manifest grants one plugin (`[plugin.NAME]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Every capability.
    #[serde(default)]
    pub trusted: bool,
    /// Registered names it may send to, cast to and call (and the pids
    /// that hold them).
    #[serde(default)]
    pub message: NameSet,
    /// Registries it may use (register, look up, dispatch, metadata), and
    /// whose keys it may message.
    #[serde(default)]
    pub registries: NameSet,
    /// Supervisors (by registered name) it may start children under, list
    /// and count, and terminate children of.
    #[serde(default)]
    pub supervisors: NameSet,
    /// Pools it may check workers out of.
    #[serde(default)]
    pub pools: NameSet,
    /// Task plugins it may run.
    #[serde(default)]
    pub tasks: NameSet,
    /// Names it may register itself under.
    #[serde(default)]
    pub register: NameSet,
    /// `[app.env]` keys it may read with `config`.
    #[serde(default)]
    pub env: NameSet,
    /// Whether it may link to, or monitor, processes it did not start.
    #[serde(default)]
    pub link_outside: bool,
}

/// A capability, as named in a refusal and in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Message a target.
    Message,
    /// Use a registry.
    Registry,
    /// Manage a supervisor's children.
    Supervisor,
    /// Use a pool.
    Pool,
    /// Run a task plugin.
    Task,
    /// Register a name.
    Register,
    /// Read an env key.
    Env,
    /// Link to or monitor a process it did not start.
    LinkOutside,
}

impl Capability {
    /// Its key in `[plugin.NAME]`.
    pub fn key(self) -> &'static str {
        match self {
            Capability::Message => "message",
            Capability::Registry => "registries",
            Capability::Supervisor => "supervisors",
            Capability::Pool => "pools",
            Capability::Task => "tasks",
            Capability::Register => "register",
            Capability::Env => "env",
            Capability::LinkOutside => "link_outside",
        }
    }
}

impl Grants {
    /// Everything.
    pub fn trusted() -> Self {
        Grants {
            trusted: true,
            ..Grants::default()
        }
    }

    /// Whether `capability` covers `name`.
    pub fn allows(&self, capability: Capability, name: &str) -> bool {
        if self.trusted {
            return true;
        }
        match capability {
            Capability::Message => self.message.allows(name),
            Capability::Registry => self.registries.allows(name),
            Capability::Supervisor => self.supervisors.allows(name),
            Capability::Pool => self.pools.allows(name),
            Capability::Task => self.tasks.allows(name),
            Capability::Register => self.register.allows(name),
            Capability::Env => self.env.allows(name),
            Capability::LinkOutside => self.link_outside,
        }
    }
}

/// A guest asked for something its plugin was not granted. Its one line is
/// what the guest reads: `not permitted: plugin 'x' may not message 'y'
/// (grant it with message = ["y"] in [plugin.x])`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Denied {
    /// The plugin asking.
    pub plugin: String,
    /// What it lacks.
    pub capability: Capability,
    /// What it asked for (a name, a pid, a key).
    pub what: String,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.capability {
            Capability::Message => "message",
            Capability::Registry => "use registry",
            Capability::Supervisor => "manage the children of",
            Capability::Pool => "use pool",
            Capability::Task => "run task",
            Capability::Register => "register as",
            Capability::Env => "read env key",
            Capability::LinkOutside => "link to or monitor",
        };
        let key = self.capability.key();
        let hint = match self.capability {
            Capability::LinkOutside => "link_outside = true".to_string(),
            _ if self.what.starts_with("pid ") => format!("{key} = [a name it runs under]"),
            _ => format!("{key} = [\"{}\"]", self.what.trim_matches('\'')),
        };
        let hint = format!("{hint} in [plugin.{}]", self.plugin);
        write!(
            f,
            "not permitted: plugin '{}' may not {verb} {} (grant it with {hint})",
            self.plugin, self.what
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_names_prefixes_and_anything() {
        let set = NameSet::of(["counter", "session-*"]);
        assert!(set.allows("counter"));
        assert!(!set.allows("counter2"));
        assert!(set.allows("session-42"));
        assert!(!set.allows("sessions"));
        assert!(NameSet::any().allows("whatever"));
        assert!(!NameSet::default().allows("x"));
    }

    #[test]
    fn nothing_is_granted_by_default_and_trusted_is_everything() {
        let none = Grants::default();
        let all = Grants::trusted();
        for capability in [
            Capability::Message,
            Capability::Registry,
            Capability::Supervisor,
            Capability::Pool,
            Capability::Task,
            Capability::Register,
            Capability::Env,
            Capability::LinkOutside,
        ] {
            assert!(!none.allows(capability, "x"), "{capability:?}");
            assert!(all.allows(capability, "x"), "{capability:?}");
        }
    }

    #[test]
    fn a_refusal_says_what_to_grant() {
        let denied = Denied {
            plugin: "m".into(),
            capability: Capability::Message,
            what: "'counter'".into(),
        };
        assert_eq!(
            denied.to_string(),
            "not permitted: plugin 'm' may not message 'counter' (grant it with message = [\"counter\"] in [plugin.m])"
        );
    }
}

//! What `overseer apply` will do, step by step, in the order it does it:
//! each step one line of the plan a user reads before anything changes.

use std::fmt;

use serde::Serialize;

use crate::application::{ChildDecl, ChildKind};
use crate::supervisor::{Restart, Shutdown, SupervisorFlags};

/// A supervisor of the tree, by the ids from the root down (`root`,
/// `root/workers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupPath(pub Vec<String>);

impl fmt::Display for SupPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

/// One change of a running host, and what it takes to make it.
#[derive(Debug, Clone)]
pub enum Step {
    /// Take these top-level env keys from the new manifest (a key it no
    /// longer has is removed), and tell the processes that may read them.
    Config {
        /// The keys set (changed or new).
        set: Vec<String>,
        /// The keys removed.
        removed: Vec<String>,
    },
    /// New strategy or restart intensity for a supervisor.
    Flags {
        /// The supervisor.
        sup: SupPath,
        /// Its flags now.
        from: SupervisorFlags,
        /// Its flags to be.
        to: SupervisorFlags,
    },
    /// Stop a child the new manifest no longer has, and forget it.
    Remove {
        /// Its supervisor.
        sup: SupPath,
        /// The child, as it runs (to put it back if a later step fails).
        old: ChildDecl,
        /// The sibling it follows in start order (first when None).
        after: Option<String>,
    },
    /// Stop a child whose spec changed and start the new spec in its place.
    Replace {
        /// Its supervisor.
        sup: SupPath,
        /// The child as it runs.
        old: ChildDecl,
        /// The child as the manifest now says.
        new: ChildDecl,
    },
    /// Change a child's restart type or shutdown, leaving it running.
    Update {
        /// Its supervisor.
        sup: SupPath,
        /// The child.
        id: String,
        /// Restart and shutdown now.
        from: (Restart, Shutdown),
        /// Restart and shutdown to be.
        to: (Restart, Shutdown),
    },
    /// Start a child the manifest added, in its place.
    Add {
        /// Its supervisor.
        sup: SupPath,
        /// The sibling it follows in start order (first when None).
        after: Option<String>,
        /// The child.
        new: ChildDecl,
    },
    /// Upgrade, as one release, the plugins whose file holds another build
    /// than the one they run (the hot-swap path: canaries first).
    Upgrade {
        /// The plugins.
        plugins: Vec<String>,
    },
}

/// The steps of an apply, in the order they are made: config, flags,
/// children removed (newest first), changed, added (in start order), then
/// the plugins' builds.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The steps.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// One line per step, as `overseer apply` prints them.
    pub fn lines(&self) -> Vec<String> {
        self.steps.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Config { set, removed } => {
                f.write_str("config:")?;
                if !set.is_empty() {
                    write!(f, " set {}", set.join(", "))?;
                }
                if !removed.is_empty() {
                    if !set.is_empty() {
                        f.write_str(";")?;
                    }
                    write!(f, " remove {}", removed.join(", "))?;
                }
                f.write_str(" (config-change to the processes that may read them)")
            }
            Step::Flags { sup, from, to } => write!(
                f,
                "supervisor {sup}: flags {} -> {}",
                flags(from),
                flags(to)
            ),
            Step::Remove { sup, old, .. } => {
                write!(f, "stop {} '{}' of {sup} (removed)", kind(old), old.id)
            }
            Step::Replace { sup, old, new } => write!(
                f,
                "replace {} '{}' of {sup} ({} changed: stopped{}, then started anew)",
                kind(new),
                new.id,
                changes(old, new).join(", "),
                match old.kind {
                    ChildKind::Worker(_) => "",
                    ChildKind::Supervisor(_) => " with its children",
                    ChildKind::Dynamic(_) => " with every child it started",
                }
            ),
            Step::Update { sup, id, from, to } => {
                write!(f, "update '{id}' of {sup} in place:")?;
                if from.0 != to.0 {
                    write!(f, " restart {} -> {}", snake(from.0), snake(to.0))?;
                }
                if from.1 != to.1 {
                    write!(f, " shutdown {} -> {}", from.1, to.1)?;
                }
                Ok(())
            }
            Step::Add { sup, after, new } => {
                write!(f, "start {} '{}' of {sup}", kind(new), new.id)?;
                match after {
                    Some(after) => write!(f, " (after '{after}')"),
                    None => f.write_str(" (first)"),
                }
            }
            Step::Upgrade { plugins } => write!(
                f,
                "upgrade {} (new build in the plugin folder), as one release",
                plugins.join(", ")
            ),
        }
    }
}

fn kind(decl: &ChildDecl) -> &'static str {
    match decl.kind {
        ChildKind::Worker(_) => "worker",
        ChildKind::Supervisor(_) => "supervisor",
        ChildKind::Dynamic(_) => "dynamic supervisor",
    }
}

fn flags(flags: &SupervisorFlags) -> String {
    format!(
        "{} {}/{}s",
        snake(flags.strategy),
        flags.max_restarts,
        flags.max_seconds
    )
}

/// A unit enum as its manifest spelling (`one_for_one`, `transient`).
fn snake(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The fields of a child's spec that differ, by their manifest names.
pub(super) fn changes(old: &ChildDecl, new: &ChildDecl) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if old.restart != new.restart {
        changed.push("restart");
    }
    if old.shutdown != new.shutdown {
        changed.push("shutdown");
    }
    match (&old.kind, &new.kind) {
        (ChildKind::Worker(a), ChildKind::Worker(b)) => {
            for (field, differs) in [
                ("plugin", a.plugin != b.plugin),
                ("args", a.args != b.args),
                ("name", a.name != b.name),
                ("via", a.via != b.via),
                ("limits", a.limits != b.limits),
            ] {
                if differs {
                    changed.push(field);
                }
            }
        }
        (ChildKind::Supervisor(a), ChildKind::Supervisor(b)) => {
            if a.name != b.name {
                changed.push("name");
            }
        }
        (ChildKind::Dynamic(a), ChildKind::Dynamic(b)) => {
            for (field, differs) in [
                ("name", a.name != b.name),
                ("max_restarts", a.max_restarts != b.max_restarts),
                ("max_seconds", a.max_seconds != b.max_seconds),
                ("max_children", a.max_children != b.max_children),
                ("extra_args", a.extra_args != b.extra_args),
            ] {
                if differs {
                    changed.push(field);
                }
            }
        }
        _ => changed.push("type"),
    }
    changed
}

//! From two manifests to a plan: what changed in the tree, the env and
//! the plugin builds, and what `apply` refuses to change while the host
//! runs.

use super::error::ApplyError;
use super::plan::{Plan, Step, SupPath};
use crate::application::{ChildDecl, ChildKind, Manifest, SupervisorDecl};

/// The plan that takes a host running `old` to `new`, `upgrades` naming
/// the plugins whose file holds a new build.
///
/// # Errors
///
/// [`ApplyError::Unsupported`] for a change `apply` does not make to a
/// running host (its dependencies or type, the plugin folder, upgrade
/// settings, registries, pools, plugin policies, `[host]`, the root
/// supervisor's name, children reordered).
pub(super) fn plan(
    old: &Manifest,
    new: &Manifest,
    upgrades: Vec<String>,
) -> Result<Plan, ApplyError> {
    refuse_unsupported(old, new)?;
    let mut diff = TreeDiff::default();
    let after_pools = old.pools.last().map(|pool| pool.name.clone());
    diff.supervisor(
        &SupPath(vec![old.root.id.clone()]),
        &old.root,
        &new.root,
        after_pools,
    )?;
    let mut steps = Vec::new();
    let keys = old.env.differing_keys(&new.env);
    if !keys.is_empty() {
        let (set, removed) = keys.into_iter().partition(|key| new.env.get(key).is_some());
        steps.push(Step::Config { set, removed });
    }
    steps.extend(diff.flags);
    steps.extend(diff.removed);
    steps.extend(diff.changed);
    steps.extend(diff.added);
    if !upgrades.is_empty() {
        steps.push(Step::Upgrade { plugins: upgrades });
    }
    Ok(Plan { steps })
}

fn refuse_unsupported(old: &Manifest, new: &Manifest) -> Result<(), ApplyError> {
    let refuse = |what: &str| Err(ApplyError::Unsupported(what.to_string()));
    if old.depends_on != new.depends_on {
        return refuse("app.depends_on");
    }
    if old.app_type != new.app_type {
        return refuse("app.type");
    }
    if old.plugins_dir != new.plugins_dir {
        return refuse("the plugin folder");
    }
    if old.upgrade != new.upgrade {
        return refuse("[app.upgrade]");
    }
    if old.registries != new.registries {
        return refuse("the registries");
    }
    if old.pools != new.pools {
        return refuse("the pools");
    }
    if let Some(plugin) = old
        .policies
        .keys()
        .chain(new.policies.keys())
        .find(|plugin| old.policies.get(*plugin) != new.policies.get(*plugin))
    {
        return refuse(&format!("[plugin.{plugin}]"));
    }
    if old.host != new.host {
        return refuse("[host]");
    }
    if old.root.id != new.root.id || old.root.name != new.root.name {
        return refuse("the root supervisor's id or name");
    }
    Ok(())
}

/// The steps found in the tree, by kind, each in the order it is made.
#[derive(Default)]
struct TreeDiff {
    flags: Vec<Step>,
    removed: Vec<Step>,
    changed: Vec<Step>,
    added: Vec<Step>,
}

impl TreeDiff {
    /// Compare supervisor `path` as it runs (`old`) with the manifest
    /// (`new`). `first_after` is the sibling its first child follows (the
    /// root's pools).
    fn supervisor(
        &mut self,
        path: &SupPath,
        old: &SupervisorDecl,
        new: &SupervisorDecl,
        first_after: Option<String>,
    ) -> Result<(), ApplyError> {
        if old.flags != new.flags {
            self.flags.push(Step::Flags {
                sup: path.clone(),
                from: old.flags,
                to: new.flags,
            });
        }
        let find = |children: &'_ [ChildDecl], id: &str| children.iter().position(|c| c.id == id);
        let kept_old: Vec<&str> = old
            .children
            .iter()
            .filter(|c| find(&new.children, &c.id).is_some())
            .map(|c| c.id.as_str())
            .collect();
        let kept_new: Vec<&str> = new
            .children
            .iter()
            .filter(|c| find(&old.children, &c.id).is_some())
            .map(|c| c.id.as_str())
            .collect();
        if kept_old != kept_new {
            return Err(ApplyError::Unsupported(format!(
                "the order of the children of {path} ({} to {})",
                kept_old.join(", "),
                kept_new.join(", ")
            )));
        }
        let before = |children: &[ChildDecl], i: usize| match i.checked_sub(1) {
            Some(prev) => Some(children[prev].id.clone()),
            None => first_after.clone(),
        };
        for (i, child) in old.children.iter().enumerate().rev() {
            if find(&new.children, &child.id).is_none() {
                self.removed.push(Step::Remove {
                    sup: path.clone(),
                    old: child.clone(),
                    after: before(&old.children, i),
                });
            }
        }
        for (i, child) in new.children.iter().enumerate() {
            match find(&old.children, &child.id).map(|j| &old.children[j]) {
                None => self.added.push(Step::Add {
                    sup: path.clone(),
                    after: before(&new.children, i),
                    new: child.clone(),
                }),
                Some(running) if running == child => {}
                Some(running) => self.child(path, running, child)?,
            }
        }
        Ok(())
    }

    /// A child in both, with another spec: updated in place when only its
    /// restart or shutdown changed, a supervisor compared child by child
    /// (keeping its name), anything else replaced.
    fn child(
        &mut self,
        path: &SupPath,
        old: &ChildDecl,
        new: &ChildDecl,
    ) -> Result<(), ApplyError> {
        let update = Step::Update {
            sup: path.clone(),
            id: new.id.clone(),
            from: (old.restart, old.shutdown),
            to: (new.restart, new.shutdown),
        };
        let same_but_restart_and_shutdown = ChildDecl {
            restart: new.restart,
            shutdown: new.shutdown,
            ..old.clone()
        } == *new;
        match (&old.kind, &new.kind) {
            _ if same_but_restart_and_shutdown => self.changed.push(update),
            (ChildKind::Supervisor(a), ChildKind::Supervisor(b)) if a.name == b.name => {
                if (old.restart, old.shutdown) != (new.restart, new.shutdown) {
                    self.changed.push(update);
                }
                let mut inner = path.clone();
                inner.0.push(new.id.clone());
                self.supervisor(&inner, a, b, None)?;
            }
            _ => self.changed.push(Step::Replace {
                sup: path.clone(),
                old: old.clone(),
                new: new.clone(),
            }),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::application::parse_manifest;

    fn manifest(children: &str) -> Manifest {
        let text = format!("[app]\nname = \"shop\"\n[supervisor]\n{children}");
        parse_manifest(Path::new("app.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn lines(old: &str, new: &str) -> Result<Vec<String>, String> {
        plan(&manifest(old), &manifest(new), Vec::new())
            .map(|plan| plan.lines())
            .map_err(|e| e.to_string())
    }

    const TREE: &str = r#"[[supervisor.children]]
id = "jobs"
type = "dynamic_supervisor"
max_children = 10
[[supervisor.children]]
id = "w"
plugin = "counter"
[[supervisor.children]]
id = "inner"
type = "supervisor"
[[supervisor.children.children]]
id = "x"
plugin = "counter"
"#;

    #[test]
    fn the_same_manifest_is_no_step() {
        assert_eq!(lines(TREE, TREE), Ok(Vec::new()));
    }

    #[test]
    fn a_dynamic_supervisor_or_a_change_of_type_is_replaced_and_says_what_it_loses() {
        let new = TREE
            .replace("max_children = 10", "max_children = 20")
            .replace(
                "id = \"w\"\nplugin = \"counter\"",
                "id = \"w\"\ntype = \"supervisor\"",
            );
        assert_eq!(
            lines(TREE, &new),
            Ok(vec![
                "replace dynamic supervisor 'jobs' of root (max_children changed: stopped with every child it started, then started anew)".to_string(),
                "replace supervisor 'w' of root (shutdown, type changed: stopped, then started anew)".to_string(),
            ])
        );
    }

    #[test]
    fn a_nested_supervisor_is_compared_child_by_child_unless_its_name_changes() {
        let nested = TREE.replace(
            "id = \"x\"\nplugin = \"counter\"",
            "id = \"x\"\nplugin = \"counter\"\nargs = { n = 1 }",
        );
        assert_eq!(
            lines(TREE, &nested),
            Ok(vec![
                "replace worker 'x' of root/inner (args changed: stopped, then started anew)"
                    .to_string()
            ])
        );
        let renamed = TREE.replace(
            "id = \"inner\"\ntype = \"supervisor\"",
            "id = \"inner\"\ntype = \"supervisor\"\nname = \"in\"",
        );
        assert_eq!(
            lines(TREE, &renamed),
            Ok(vec![
                "replace supervisor 'inner' of root (name changed: stopped with its children, then started anew)".to_string()
            ])
        );
    }

    #[test]
    fn only_restart_or_shutdown_is_an_update_in_place() {
        let new = TREE.replace(
            "id = \"w\"\nplugin = \"counter\"",
            "id = \"w\"\nplugin = \"counter\"\nshutdown = \"brutal_kill\"",
        );
        assert_eq!(
            lines(TREE, &new),
            Ok(vec![
                "update 'w' of root in place: shutdown 5000 -> brutal_kill".to_string()
            ])
        );
    }
}

//! Applying a plan to the running host, step by step, undoing the steps
//! made when one fails.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::diff;
use super::error::ApplyError;
use super::plan::{Plan, Step, SupPath};
use crate::application::config::{ConfigLayers, EffectiveConfig};
use crate::application::{Applications, ChildDecl, Node, load_manifest};
use crate::process::{Event, Target};
use crate::reload::Reloader;
use crate::supervisor::{ChildSpec, SpecChange, SupervisorRef};

/// A host running applications from manifests, ready to bring one to an
/// edited manifest (`overseer apply`). Cheap to clone; applies are made
/// one at a time.
#[derive(Clone)]
pub struct Deployment {
    inner: Arc<Inner>,
}

struct Inner {
    reloader: Reloader,
    apps: Applications,
    /// The run's layers, per application.
    layers: ConfigLayers,
    /// Held while an apply runs.
    applying: Mutex<()>,
}

/// What an apply did, or would do (`--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The application.
    pub app: String,
    /// The plan, one line per step, in the order made.
    pub plan: Vec<String>,
    /// Whether the steps were made (false for a dry run or an empty plan).
    pub applied: bool,
    /// How many processes were told of a config change.
    pub told: usize,
    /// The release the plugin upgrades were made as, if any.
    pub release: Option<String>,
}

impl Deployment {
    /// The host of `reloader`, running `apps` (configured with `layers`,
    /// which an edited manifest gets too).
    pub fn new(reloader: Reloader, apps: Applications, layers: ConfigLayers) -> Deployment {
        Deployment {
            inner: Arc::new(Inner {
                reloader,
                apps,
                layers,
                applying: Mutex::new(()),
            }),
        }
    }

    /// The applications it brings to their edited manifests.
    pub fn applications(&self) -> &Applications {
        &self.inner.apps
    }

    fn node(&self) -> &Node {
        self.inner.reloader.node()
    }

    /// Bring the host to the manifest at `path`: its plan, made unless
    /// `dry_run`. Children's plugins are loaded and checked before any
    /// change; a step that fails undoes the steps before it.
    ///
    /// # Errors
    ///
    /// [`ApplyError`]: a bad manifest, a change `apply` does not make, a
    /// child that cannot run, or a failed step (the others undone).
    pub async fn apply(&self, path: &Path, dry_run: bool) -> Result<Applied, ApplyError> {
        let mut new = load_manifest(path)?;
        new.configure(&self.inner.layers.for_app(&new.name))?;
        let _applying = self.inner.applying.lock().await;
        let apps = &self.inner.apps;
        let running = apps
            .manifest_of(&new.name)
            .await
            .ok_or_else(|| ApplyError::UnknownApp {
                name: new.name.clone(),
                known: apps.names().join(", "),
            })?;
        let root = apps
            .root_of(&new.name)
            .await
            .ok_or_else(|| ApplyError::NotRunning(new.name.clone()))?;
        let upgrades = self.inner.reloader.changed_plugins().await;
        let plan = diff::plan(&running, &new, upgrades)?;
        let mut applied = Applied {
            app: new.name.clone(),
            plan: plan.lines(),
            applied: false,
            told: 0,
            release: None,
        };
        if dry_run || plan.is_empty() {
            return Ok(applied);
        }
        let prepared = self.prepare(&plan).await?;
        let mut made: Vec<&Step> = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            match self
                .make(&root, step, &new.env, &prepared, &mut applied)
                .await
            {
                Ok(()) => made.push(step),
                Err(reason) => {
                    let undo = self.undo(&root, &made, &running.env).await;
                    let err = ApplyError::Failed {
                        step: step.to_string(),
                        reason,
                        undo,
                    };
                    self.node().events().publish(Event::ApplyUndone {
                        app: new.name.clone(),
                        step: step.to_string(),
                        reason: err.to_string(),
                    });
                    return Err(err);
                }
            }
        }
        self.node().naming().reserve(new.root.names());
        self.node().events().publish(Event::Applied {
            app: new.name.clone(),
            steps: applied.plan.clone(),
        });
        applied.applied = true;
        apps.set_manifest(new).await;
        Ok(applied)
    }

    /// The start functions of every child the plan starts, their plugins
    /// loaded and limits checked, by id path.
    async fn prepare(&self, plan: &Plan) -> Result<HashMap<String, ChildSpec>, ApplyError> {
        let mut specs = HashMap::new();
        for step in &plan.steps {
            if let Step::Add { sup, new, .. } | Step::Replace { sup, new, .. } = step {
                let spec = self.node().child_spec(new, None).await?;
                specs.insert(child_key(sup, &new.id), spec);
            }
        }
        Ok(specs)
    }

    /// Make one step.
    async fn make(
        &self,
        root: &SupervisorRef,
        step: &Step,
        env: &EffectiveConfig,
        prepared: &HashMap<String, ChildSpec>,
        applied: &mut Applied,
    ) -> Result<(), String> {
        let change = match step {
            Step::Config { set, removed } => {
                let keys: Vec<String> = set.iter().chain(removed).cloned().collect();
                applied.told += self.node().adopt_config(env, &keys);
                return Ok(());
            }
            Step::Upgrade { .. } => {
                let report = self
                    .inner
                    .reloader
                    .reload_all(None)
                    .await
                    .map_err(|e| e.to_string())?;
                applied.release = report.release;
                return Ok(());
            }
            Step::Flags { to, .. } => SpecChange::Flags(*to),
            Step::Remove { old, .. } => SpecChange::Remove(old.id.clone()),
            Step::Update { id, to, .. } => SpecChange::Update {
                id: id.clone(),
                restart: to.0,
                shutdown: to.1,
            },
            Step::Replace { sup, new, .. } => {
                SpecChange::Replace(prepared_spec(prepared, sup, new)?)
            }
            Step::Add { sup, after, new } => SpecChange::Insert {
                after: after.clone(),
                spec: prepared_spec(prepared, sup, new)?,
            },
        };
        self.change(root, step, change).await
    }

    /// Undo `made`, newest first; what happened, in words.
    async fn undo(
        &self,
        root: &SupervisorRef,
        made: &[&Step],
        env_before: &EffectiveConfig,
    ) -> String {
        let mut failures = Vec::new();
        for step in made.iter().rev() {
            if let Err(reason) = self.unmake(root, step, env_before).await {
                failures.push(format!("undoing '{step}' failed: {reason}"));
            }
        }
        match (made.len(), failures.is_empty()) {
            (0, _) => "nothing was changed".to_string(),
            (n, true) => format!("the {n} step(s) before it were undone: nothing was changed"),
            (_, false) => failures.join("; "),
        }
    }

    async fn unmake(
        &self,
        root: &SupervisorRef,
        step: &Step,
        env_before: &EffectiveConfig,
    ) -> Result<(), String> {
        let change = match step {
            Step::Config { set, removed } => {
                let keys: Vec<String> = set.iter().chain(removed).cloned().collect();
                self.node().adopt_config(env_before, &keys);
                return Ok(());
            }
            // The last step: when it fails, it has changed nothing.
            Step::Upgrade { .. } => return Ok(()),
            Step::Flags { from, .. } => SpecChange::Flags(*from),
            Step::Remove { old, after, .. } => SpecChange::Insert {
                after: after.clone(),
                spec: self.spec_of(old).await?,
            },
            Step::Update { id, from, .. } => SpecChange::Update {
                id: id.clone(),
                restart: from.0,
                shutdown: from.1,
            },
            Step::Replace { old, .. } => SpecChange::Replace(self.spec_of(old).await?),
            Step::Add { new, .. } => SpecChange::Remove(new.id.clone()),
        };
        self.change(root, step, change).await
    }

    async fn spec_of(&self, decl: &ChildDecl) -> Result<ChildSpec, String> {
        self.node()
            .child_spec(decl, None)
            .await
            .map_err(|e| e.to_string())
    }

    /// Ask the supervisor a tree step names to change its spec.
    async fn change(
        &self,
        root: &SupervisorRef,
        step: &Step,
        change: SpecChange,
    ) -> Result<(), String> {
        let sup = match step {
            Step::Flags { sup, .. }
            | Step::Remove { sup, .. }
            | Step::Update { sup, .. }
            | Step::Replace { sup, .. }
            | Step::Add { sup, .. } => sup,
            Step::Config { .. } | Step::Upgrade { .. } => return Ok(()),
        };
        self.supervisor(root, sup)
            .await?
            .change_spec(change)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The running supervisor at `path`.
    async fn supervisor(
        &self,
        root: &SupervisorRef,
        path: &SupPath,
    ) -> Result<SupervisorRef, String> {
        let mut sup = root.clone();
        for id in path.0.iter().skip(1) {
            let children = sup.which_children().await.map_err(|e| e.to_string())?;
            let pid = children
                .into_iter()
                .find(|child| child.id == *id)
                .and_then(|child| child.pid)
                .ok_or_else(|| format!("supervisor '{id}' of {} is not running", sup.id()))?;
            sup = self
                .node()
                .supervisor(&Target::Pid(pid))
                .ok_or_else(|| format!("supervisor '{id}' is not running"))?;
        }
        Ok(sup)
    }
}

fn child_key(sup: &SupPath, id: &str) -> String {
    format!("{sup}/{id}")
}

fn prepared_spec(
    prepared: &HashMap<String, ChildSpec>,
    sup: &SupPath,
    decl: &ChildDecl,
) -> Result<ChildSpec, String> {
    prepared
        .get(&child_key(sup, &decl.id))
        .cloned()
        .ok_or_else(|| format!("child '{}' was not prepared", decl.id))
}

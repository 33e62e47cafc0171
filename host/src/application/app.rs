//! A running application: its plugins loaded, its tree started.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::manifest::{ChildDecl, ChildKind, Manifest, ManifestError, PoolDecl, SupervisorDecl};
use crate::process::{ExitNotice, Node, PoolError, PoolRef, PoolSpec, ProcessSpec};
use crate::reload::{Reloader, UpgradePolicy, WatchError, Watcher};
use crate::runtime::{Plugin, PluginError, PluginVersion};
use crate::supervisor::{
    ChildSpec, ChildType, StartError, SupervisorRef, SupervisorSpec, SupervisorStart, WorkerStart,
    start_supervisor,
};

/// Why an application did not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A plugin file could not be loaded.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// A child asks for more memory than the host allows.
    #[error("child '{id}': memory limit {asked} bytes exceeds the host's maximum of {max} bytes")]
    Limit {
        /// The child.
        id: String,
        /// Its limit.
        asked: u64,
        /// The host's.
        max: u64,
    },
    /// The supervision tree did not start.
    #[error("the application did not start: {0}")]
    Start(#[from] StartError),
    /// The plugin folder cannot be watched.
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// A worker pool did not start.
    #[error(transparent)]
    Pool(PoolError),
}

/// A started application: the root supervisor of its tree.
pub struct Application {
    name: String,
    root: SupervisorRef,
    root_exits: mpsc::UnboundedReceiver<ExitNotice>,
    reloader: Reloader,
    pools: Vec<PoolRef>,
    _watcher: Option<Watcher>,
}

impl Application {
    /// Load every plugin the manifest names (each file once), set the
    /// application env, start the tree, and (unless `[app.upgrade] watch =
    /// false`) watch the plugin folder for new builds. Returns when every
    /// child has started.
    ///
    /// # Errors
    ///
    /// [`AppError`]: a plugin that does not load, a limit over the host's,
    /// or a child that fails to start (the others are stopped again).
    pub async fn start(node: &Node, manifest: &Manifest) -> Result<Application, AppError> {
        let mut plugins = HashMap::new();
        load_plugins(node, &manifest.root, &mut plugins).await?;
        node.set_env(manifest.env.clone());
        node.set_plugins_dir(manifest.plugins_dir.clone());
        for (name, keys) in &manifest.registries {
            // A registry that exists already (another app on this node) is
            // shared.
            let _ = node.start_registry(name, *keys);
        }
        let mut pools = Vec::new();
        for decl in &manifest.pools {
            match start_pool(node, decl, &mut plugins).await {
                Ok(pool) => pools.push(pool),
                Err(err) => {
                    for pool in &pools {
                        pool.stop().await;
                    }
                    return Err(err);
                }
            }
        }
        let spec = supervisor_spec(node, &manifest.root, &plugins)?;
        let (exits_tx, root_exits) = mpsc::unbounded_channel();
        let (root, _abort) = match start_supervisor(node, &spec, Some(exits_tx)).await {
            Ok(started) => started,
            Err(err) => {
                for pool in &pools {
                    pool.stop().await;
                }
                return Err(err.into());
            }
        };
        let reloader = Reloader::new(
            node,
            UpgradePolicy {
                probation: manifest.upgrade.probation,
                ..UpgradePolicy::default()
            },
        );
        let watcher = if manifest.upgrade.watch {
            Some(Watcher::start(reloader.clone(), &manifest.plugins_dir)?)
        } else {
            None
        };
        Ok(Application {
            name: manifest.name.clone(),
            root,
            root_exits,
            reloader,
            pools,
            _watcher: watcher,
        })
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The root supervisor.
    pub fn root(&self) -> &SupervisorRef {
        &self.root
    }

    /// What upgrades this application's plugins: `reload` by hand, as the
    /// watcher does.
    pub fn reloader(&self) -> &Reloader {
        &self.reloader
    }

    /// Wait until the root supervisor exits on its own (its restart
    /// intensity was exceeded); returns why.
    pub async fn exited(&mut self) -> Option<ExitNotice> {
        self.root_exits.recv().await
    }

    /// Stop the tree: every child in reverse start order, recursively;
    /// then the pools.
    pub async fn stop(&self) {
        let _ = self.root.shutdown().await;
        for pool in &self.pools {
            pool.stop().await;
        }
    }
}

async fn start_pool(
    node: &Node,
    decl: &PoolDecl,
    plugins: &mut HashMap<PathBuf, Arc<Plugin>>,
) -> Result<PoolRef, AppError> {
    let plugin = match plugins.get(&decl.worker.plugin) {
        Some(plugin) => plugin.clone(),
        None => {
            let version = PluginVersion::load(node.runtime(), &decl.worker.plugin).await?;
            let plugin = node.register_plugin(Plugin::new(version));
            plugins.insert(decl.worker.plugin.clone(), plugin.clone());
            plugin
        }
    };
    let spec = PoolSpec {
        name: decl.name.clone(),
        worker: ProcessSpec {
            id: decl.name.clone(),
            plugin,
            args: decl.worker.args.clone(),
            name: None,
            via: None,
            limits: decl.worker.limits,
        },
        size: decl.size,
        max_overflow: decl.max_overflow,
        strategy: decl.strategy,
    };
    node.start_pool(spec).await.map_err(AppError::Pool)
}

fn load_plugins<'a>(
    node: &'a Node,
    sup: &'a SupervisorDecl,
    plugins: &'a mut HashMap<PathBuf, Arc<Plugin>>,
) -> crate::supervisor::BoxFuture<'a, Result<(), AppError>> {
    Box::pin(async move {
        for child in &sup.children {
            match &child.kind {
                ChildKind::Worker(worker) => {
                    if !plugins.contains_key(&worker.plugin) {
                        let version = PluginVersion::load(node.runtime(), &worker.plugin).await?;
                        let plugin = node.register_plugin(Plugin::new(version));
                        plugins.insert(worker.plugin.clone(), plugin);
                    }
                }
                ChildKind::Supervisor(nested) => load_plugins(node, nested, plugins).await?,
            }
        }
        Ok(())
    })
}

fn supervisor_spec(
    node: &Node,
    sup: &SupervisorDecl,
    plugins: &HashMap<PathBuf, Arc<Plugin>>,
) -> Result<SupervisorSpec, AppError> {
    let children = sup
        .children
        .iter()
        .map(|child| child_spec(node, child, plugins))
        .collect::<Result<_, _>>()?;
    Ok(SupervisorSpec {
        id: sup.id.clone(),
        name: sup.name.clone(),
        flags: sup.flags,
        children,
        dynamic: sup.dynamic,
        extra_args: sup.extra_args.clone(),
    })
}

fn child_spec(
    node: &Node,
    child: &ChildDecl,
    plugins: &HashMap<PathBuf, Arc<Plugin>>,
) -> Result<ChildSpec, AppError> {
    let (start, child_type): (Arc<dyn crate::supervisor::StartChild>, _) = match &child.kind {
        ChildKind::Worker(worker) => {
            let max = node.runtime().config().max_memory_bytes;
            if worker.limits.memory_bytes > max {
                return Err(AppError::Limit {
                    id: child.id.clone(),
                    asked: worker.limits.memory_bytes,
                    max,
                });
            }
            let plugin = plugins
                .get(&worker.plugin)
                .cloned()
                .ok_or_else(|| PluginError::Read {
                    path: worker.plugin.clone(),
                    source: std::io::Error::other("plugin was not loaded"),
                })?;
            let spec = ProcessSpec {
                id: child.id.clone(),
                plugin,
                args: worker.args.clone(),
                name: worker.name.clone(),
                via: worker.via.clone(),
                limits: worker.limits,
            };
            (WorkerStart::new(node.clone(), spec), ChildType::Worker)
        }
        ChildKind::Supervisor(nested) => (
            SupervisorStart::new(node.clone(), supervisor_spec(node, nested, plugins)?),
            ChildType::Supervisor,
        ),
    };
    Ok(ChildSpec {
        id: child.id.clone(),
        start,
        restart: child.restart,
        shutdown: child.shutdown,
        child_type,
    })
}

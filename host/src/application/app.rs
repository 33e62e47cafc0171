//! A running application: its plugins loaded, its pools and tree started.

use tokio::sync::mpsc;

use super::manifest::{Manifest, ManifestError, PoolDecl};
use super::node::Node;
use super::start::{ChildSpecError, WorkerStart};
use crate::process::ExitNotice;
use crate::supervisor::{
    ChildSpec, ChildType, PoolSpec, PoolStart, Restart, Shutdown, StartError, SupervisorRef,
};

/// Why an application did not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A child cannot run here: its plugin does not load, or its limits are
    /// over the host's.
    #[error(transparent)]
    Child(#[from] ChildSpecError),
    /// The supervision tree did not start.
    #[error("the application did not start: {0}")]
    Start(#[from] StartError),
}

/// A started application: the root supervisor of its tree.
pub struct Application {
    name: String,
    root: SupervisorRef,
    root_exits: mpsc::UnboundedReceiver<ExitNotice>,
}

impl Application {
    /// Load every plugin the manifest names (each file once, before any
    /// process starts), set the application env, start its registries,
    /// then the root supervisor: its pools first, then its children.
    /// Returns when every child has started.
    ///
    /// # Errors
    ///
    /// [`AppError`]: a plugin that does not load, a limit over the host's,
    /// or a child that fails to start (the others are stopped again).
    pub async fn start(node: &Node, manifest: &Manifest) -> Result<Application, AppError> {
        node.plugins().set_dir(manifest.plugins_dir.clone());
        node.set_env(manifest.env.clone());
        for (name, keys) in &manifest.registries {
            // A registry that exists already (another app on this node) is
            // shared.
            let _ = node.naming().start_registry(name, *keys);
        }
        node.set_policies(manifest.policies.clone());
        node.naming().reserve(manifest.root.names());
        let mut spec = node.supervisor_spec(&manifest.root, None).await?;
        let mut pools = Vec::with_capacity(manifest.pools.len());
        for decl in &manifest.pools {
            pools.push(pool_child(node, decl).await?);
        }
        spec.children.splice(0..0, pools);
        let (exits_tx, root_exits) = mpsc::unbounded_channel();
        let (root, _abort) = node
            .supervision()
            .in_group(&manifest.name)
            .start(&spec, Some(exits_tx))
            .await?;
        Ok(Application {
            name: manifest.name.clone(),
            root,
            root_exits,
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

    /// Wait until the root supervisor exits on its own (its restart
    /// intensity was exceeded); returns why.
    pub async fn exited(&mut self) -> Option<ExitNotice> {
        self.root_exits.recv().await
    }

    /// Stop the tree: every child in reverse start order, recursively (the
    /// pools last).
    pub async fn stop(&self) {
        let _ = self.root.shutdown().await;
    }
}

/// A pool as a child of the root: permanent, a supervisor of its workers.
async fn pool_child(node: &Node, decl: &PoolDecl) -> Result<ChildSpec, ChildSpecError> {
    let process = node.process_spec(&decl.name, &decl.worker, None).await?;
    let spec = PoolSpec {
        name: decl.name.clone(),
        worker: WorkerStart::new(node.processes().clone(), process),
        size: decl.size,
        max_overflow: decl.max_overflow,
        strategy: decl.strategy,
        max_restarts: decl.max_restarts,
        max_seconds: decl.max_seconds,
    };
    Ok(ChildSpec {
        id: decl.name.clone(),
        start: PoolStart::new(node.supervision().clone(), spec),
        restart: Restart::Permanent,
        shutdown: Shutdown::Infinity,
        child_type: ChildType::Supervisor,
    })
}

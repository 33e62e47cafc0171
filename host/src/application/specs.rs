//! From a checked child spec to what a supervisor can start: plugins
//! loaded (each once), limits checked against the host's, start functions
//! made.

use std::sync::Arc;

use super::child_spec::{ChildDecl, ChildKind, DynamicDecl, SupervisorDecl, WorkerDecl};
use super::node::Node;
use super::start::{ChildSpecError, WorkerStart};
use crate::process::ProcessSpec;
use crate::runtime::Plugin;
use crate::supervisor::{
    BoxFuture, ChildSpec, ChildType, DynamicSupervisorSpec, StartChild, SupervisorSpec,
    SupervisorStart,
};

impl Node {
    /// The supervisor's view of `decl`: a start function, and OTP's
    /// restart, shutdown and type. Loads its plugins (each once).
    ///
    /// # Errors
    ///
    /// [`ChildSpecError`]: a plugin that does not load, or a limit over
    /// the host's.
    pub fn child_spec<'a>(
        &'a self,
        decl: &'a ChildDecl,
    ) -> BoxFuture<'a, Result<ChildSpec, ChildSpecError>> {
        Box::pin(async move {
            let (start, child_type): (Arc<dyn StartChild>, _) = match &decl.kind {
                ChildKind::Worker(worker) => (
                    WorkerStart::new(
                        self.processes().clone(),
                        self.process_spec(&decl.id, worker).await?,
                    ),
                    ChildType::Worker,
                ),
                ChildKind::Supervisor(sup) => (
                    SupervisorStart::new(
                        self.supervision().clone(),
                        self.supervisor_spec(sup).await?,
                    ),
                    ChildType::Supervisor,
                ),
                ChildKind::Dynamic(sup) => (
                    SupervisorStart::dynamic(self.supervision().clone(), dynamic_spec(sup)),
                    ChildType::Supervisor,
                ),
            };
            Ok(ChildSpec {
                id: decl.id.clone(),
                start,
                restart: decl.restart,
                shutdown: decl.shutdown,
                child_type,
            })
        })
    }

    /// A supervisor's spec, its children's plugins loaded.
    ///
    /// # Errors
    ///
    /// As for [`child_spec`](Self::child_spec).
    pub async fn supervisor_spec(
        &self,
        decl: &SupervisorDecl,
    ) -> Result<SupervisorSpec, ChildSpecError> {
        let mut children = Vec::with_capacity(decl.children.len());
        for child in &decl.children {
            children.push(self.child_spec(child).await?);
        }
        Ok(SupervisorSpec {
            id: decl.id.clone(),
            name: decl.name.clone(),
            flags: decl.flags,
            children,
        })
    }

    /// What a worker runs: its plugin (loaded if new), args, names and
    /// limits.
    ///
    /// # Errors
    ///
    /// As for [`child_spec`](Self::child_spec).
    pub async fn process_spec(
        &self,
        id: &str,
        worker: &WorkerDecl,
    ) -> Result<ProcessSpec, ChildSpecError> {
        let max = self.runtime().config().max_memory_bytes;
        if worker.limits.memory_bytes > max {
            return Err(ChildSpecError::Limit {
                id: id.to_string(),
                asked: worker.limits.memory_bytes,
                max,
            });
        }
        Ok(ProcessSpec {
            id: id.to_string(),
            plugin: self.plugin(worker).await?,
            args: worker.args.clone(),
            name: worker.name.clone(),
            via: worker.via.clone(),
            limits: worker.limits,
        })
    }

    async fn plugin(&self, worker: &WorkerDecl) -> Result<Arc<Plugin>, ChildSpecError> {
        let name = worker.plugin_name();
        if let Some(plugin) = self.plugins().get(name) {
            return Ok(plugin);
        }
        self.plugins()
            .load(&self.plugins().file_of(&worker.plugin))
            .await
            .map_err(|source| ChildSpecError::Plugin {
                plugin: name.to_string(),
                source,
            })
    }
}

fn dynamic_spec(decl: &DynamicDecl) -> DynamicSupervisorSpec {
    DynamicSupervisorSpec {
        id: decl.id.clone(),
        name: decl.name.clone(),
        max_restarts: decl.max_restarts,
        max_seconds: decl.max_seconds,
        max_children: decl.max_children,
        extra_args: decl.extra_args.as_deref().map(Arc::from),
    }
}

//! From a checked child spec to what a supervisor can start: plugins
//! loaded (each once), limits checked against the host's, start functions
//! made.

use std::sync::Arc;

use super::child_spec::{ChildDecl, ChildKind, DynamicDecl, SupervisorDecl, WorkerDecl};
use super::node::Node;
use super::start::{ChildSpecError, WorkerStart};
use crate::process::{NameError, Names, Pid, ProcessSpec};
use crate::runtime::Plugin;
use crate::sandbox::Limits;
use crate::supervisor::{
    BoxFuture, ChildSpec, ChildType, DynamicSupervisorSpec, StartChild, SupervisorSpec,
    SupervisorStart,
};

impl Node {
    /// The supervisor's view of `decl`: a start function, and OTP's
    /// restart, shutdown and type. Loads its plugins (each once). `owner`
    /// is the process that asks for it (a guest's `start-child`): it may
    /// stop what it started, and its own limits cap its children's.
    ///
    /// # Errors
    ///
    /// [`ChildSpecError`]: a plugin that does not load, or a limit over
    /// the host's.
    pub fn child_spec<'a>(
        &'a self,
        decl: &'a ChildDecl,
        owner: Option<Pid>,
    ) -> BoxFuture<'a, Result<ChildSpec, ChildSpecError>> {
        Box::pin(async move {
            if let Some(name) = decl.name().filter(|_| owner.is_some())
                && self.naming().is_reserved(name)
            {
                return Err(ChildSpecError::Name(NameError::Reserved(name.to_string())));
            }
            let (start, child_type): (Arc<dyn StartChild>, _) = match &decl.kind {
                ChildKind::Worker(worker) => (
                    WorkerStart::new(
                        self.processes().clone(),
                        self.process_spec(&decl.id, worker, owner).await?,
                    ),
                    ChildType::Worker,
                ),
                ChildKind::Supervisor(sup) => (
                    SupervisorStart::new(
                        self.supervision().clone(),
                        self.supervisor_spec(sup, owner).await?,
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
        owner: Option<Pid>,
    ) -> Result<SupervisorSpec, ChildSpecError> {
        let mut children = Vec::with_capacity(decl.children.len());
        for child in &decl.children {
            children.push(self.child_spec(child, owner).await?);
        }
        Ok(SupervisorSpec {
            id: decl.id.clone(),
            name: decl.name.clone(),
            flags: decl.flags,
            children,
        })
    }

    /// What a worker runs: its plugin (loaded if new), its plugin's
    /// policy, args, names and limits; `owner`'s limits cap its own.
    ///
    /// # Errors
    ///
    /// As for [`child_spec`](Self::child_spec).
    pub async fn process_spec(
        &self,
        id: &str,
        worker: &WorkerDecl,
        owner: Option<Pid>,
    ) -> Result<ProcessSpec, ChildSpecError> {
        let max = self.runtime().config().max_memory_bytes;
        if worker.limits.memory_bytes > max {
            return Err(ChildSpecError::Limit {
                id: id.to_string(),
                asked: worker.limits.memory_bytes,
                max,
            });
        }
        let max_cpu = self.runtime().config().max_cpu_deadline;
        if worker.limits.cpu_deadline > max_cpu {
            return Err(ChildSpecError::CpuLimit {
                id: id.to_string(),
                asked_ms: worker.limits.cpu_deadline.as_millis(),
                max_ms: max_cpu.as_millis(),
            });
        }
        let limits = self.capped_by_owner(worker.limits, owner);
        Ok(ProcessSpec {
            id: id.to_string(),
            plugin: self.plugin(worker).await?,
            args: worker.args.clone(),
            name: worker.name.clone(),
            via: worker.via.clone(),
            limits,
            policy: self.policy(worker.plugin_name()),
            owner,
        })
    }

    /// `limits`, each no higher than `owner`'s own: what a guest starts
    /// gets no more than it has.
    pub(super) fn capped_by_owner(&self, mut limits: Limits, owner: Option<Pid>) -> Limits {
        if let Some(theirs) = owner.and_then(|o| self.processes().limits_of(o)) {
            limits.memory_bytes = limits.memory_bytes.min(theirs.memory_bytes);
            limits.cpu_deadline = limits.cpu_deadline.min(theirs.cpu_deadline);
        }
        limits
    }

    async fn plugin(&self, worker: &WorkerDecl) -> Result<Arc<Plugin>, ChildSpecError> {
        let name = worker.plugin_name();
        if let Some(plugin) = self.plugins().get(name) {
            return Ok(plugin);
        }
        let plugin_error = |source| ChildSpecError::Plugin {
            plugin: name.to_string(),
            source,
        };
        let file = self
            .plugins()
            .file_of(&worker.plugin)
            .map_err(plugin_error)?;
        self.plugins().load(&file).await.map_err(plugin_error)
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

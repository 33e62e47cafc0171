//! Start functions for children that are supervisors: a nested
//! supervisor, a DynamicSupervisor, a pool.

use std::sync::Arc;

use tokio::task::AbortHandle;

use super::child::{BoxFuture, ChildControl, RunningChild, StartChild, StartContext, Started};
use super::error::StartChildError;
use super::handle::SupervisorRef;
use super::pool::PoolSpec;
use super::spec::{DynamicSupervisorSpec, SupervisorSpec};
use super::supervision::Supervision;
use crate::process::Pid;

/// What a nested supervisor is.
#[derive(Clone)]
enum Nested {
    Static(SupervisorSpec),
    Dynamic(DynamicSupervisorSpec),
}

/// Starts a nested supervisor as a child.
pub struct SupervisorStart {
    supervision: Supervision,
    spec: Nested,
}

impl SupervisorStart {
    /// A start function for the supervisor `spec`.
    pub fn new(supervision: Supervision, spec: SupervisorSpec) -> Arc<Self> {
        Arc::new(SupervisorStart {
            supervision,
            spec: Nested::Static(spec),
        })
    }

    /// A start function for the DynamicSupervisor `spec`.
    pub fn dynamic(supervision: Supervision, spec: DynamicSupervisorSpec) -> Arc<Self> {
        Arc::new(SupervisorStart {
            supervision,
            spec: Nested::Dynamic(spec),
        })
    }
}

impl StartChild for SupervisorStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>> {
        let supervision = self.supervision.child_of(ctx.parent);
        let spec = self.spec.clone();
        Box::pin(async move {
            let started = match &spec {
                Nested::Static(spec) => supervision.start(spec, Some(ctx.exits)).await,
                Nested::Dynamic(spec) => supervision.start_dynamic(spec, Some(ctx.exits)).await,
            };
            let (sup_ref, abort) = started.map_err(|e| StartChildError::Supervisor(Box::new(e)))?;
            Ok(Started::Running(RunningChild {
                pid: sup_ref.pid(),
                control: Arc::new(SupervisorControl { sup_ref, abort }),
            }))
        })
    }
}

/// Stops a nested supervisor (or pool).
struct SupervisorControl {
    sup_ref: SupervisorRef,
    abort: AbortHandle,
}

impl ChildControl for SupervisorControl {
    fn shutdown(&self, _from: Pid) {
        self.sup_ref.shutdown_now();
    }

    fn kill(&self) {
        self.abort.abort();
    }
}

/// Starts a pool as a child of a supervisor (its type is supervisor: its
/// children are its workers).
pub struct PoolStart {
    supervision: Supervision,
    spec: PoolSpec,
}

impl PoolStart {
    /// A start function for pool `spec`.
    pub fn new(supervision: Supervision, spec: PoolSpec) -> Arc<Self> {
        Arc::new(PoolStart { supervision, spec })
    }
}

impl StartChild for PoolStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>> {
        let supervision = self.supervision.child_of(ctx.parent);
        let spec = self.spec.clone();
        Box::pin(async move {
            let (sup_ref, abort) = supervision
                .start_pool(spec, Some(ctx.exits))
                .await
                .map_err(|e| StartChildError::Supervisor(Box::new(e)))?;
            Ok(Started::Running(RunningChild {
                pid: sup_ref.pid(),
                control: Arc::new(SupervisorControl { sup_ref, abort }),
            }))
        })
    }
}

//! What a guest may ask of the host beyond its own process, answered by
//! the floors that own each thing: config, registries, pools, supervisors
//! and tasks. Errors stay typed until the guest reads them as one line.

use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;

use super::node::{Node, NodeInner, StartChildError};
use crate::process::{GuestServices, Pid, ServiceError, ServiceFuture, Target, TaskOutcome};
use crate::runtime::ChildByIdOp;
use crate::supervisor::ChildError;

/// The host is shutting down: nothing to serve.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the host is shutting down")]
struct HostGone;

impl NodeInner {
    /// An owned handle on this host, for a service that waits.
    fn node(&self) -> Result<Node, ServiceError> {
        self.me
            .upgrade()
            .map(Node::from_inner)
            .ok_or_else(|| Box::new(HostGone) as ServiceError)
    }
}

/// OTP's own answer, for a guest to match on: `running`, `restarting`,
/// `not_found`.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{0}")]
struct OtpAnswer(&'static str);

/// A by-id refusal as OTP answers it; any other error as its one line.
fn otp_answer(err: ChildError) -> ServiceError {
    match err {
        ChildError::Running(_) => boxed(OtpAnswer("running")),
        ChildError::Restarting(_) => boxed(OtpAnswer("restarting")),
        ChildError::NoSuchId(_) => boxed(OtpAnswer("not_found")),
        other => boxed(other),
    }
}

fn boxed<E: std::error::Error + Send + Sync + 'static>(err: E) -> ServiceError {
    Box::new(err)
}

/// The host answers its guests' service imports; the process table holds
/// it weakly, as its [`GuestServices`].
impl GuestServices for NodeInner {
    fn config(&self, app: &str, key: &str) -> Option<Vec<u8>> {
        self.node().ok()?.env_of(app)?.get(key)
    }

    fn registry_register(
        &self,
        pid: Pid,
        registry: &str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), ServiceError> {
        self.node()?
            .naming()
            .register(registry, key, pid, value)
            .map_err(boxed)
    }

    fn registry_unregister(&self, pid: Pid, registry: &str, key: &str) {
        if let Ok(node) = self.node() {
            node.naming().unregister(registry, key, pid);
        }
    }

    fn registry_lookup(&self, registry: &str, key: &str) -> Vec<(Pid, Vec<u8>)> {
        self.node()
            .ok()
            .and_then(|node| node.registry(registry).ok())
            .map(|r| r.lookup(key))
            .unwrap_or_default()
    }

    fn registry_dispatch(&self, registry: &str, key: &str, msg: &[u8]) -> usize {
        self.node()
            .ok()
            .and_then(|node| node.naming().dispatch(registry, key, msg).ok())
            .unwrap_or(0)
    }

    fn registry_count(&self, registry: &str) -> usize {
        self.node()
            .ok()
            .and_then(|node| node.registry(registry).ok())
            .map_or(0, |r| r.count())
    }

    fn registry_meta(&self, registry: &str, key: &str) -> Option<Vec<u8>> {
        self.node().ok()?.registry(registry).ok()?.meta(key)
    }

    fn registry_put_meta(&self, registry: &str, key: &str, value: Vec<u8>) {
        if let Ok(reg) = self
            .node()
            .and_then(|n| n.registry(registry).map_err(boxed))
        {
            reg.put_meta(key, value);
        }
    }

    fn pool_checkout(
        &self,
        owner: Pid,
        pool: &str,
        block: bool,
        timeout: Duration,
    ) -> ServiceFuture<Pid> {
        let pool = self.node().and_then(|n| n.pool(pool).map_err(boxed));
        Box::pin(async move {
            pool?
                .checkout(Some(owner), block, timeout)
                .await
                .map_err(boxed)
        })
    }

    fn pool_checkin(&self, pool: &str, worker: Pid) {
        if let Ok(pool) = self.node().and_then(|n| n.pool(pool).map_err(boxed)) {
            pool.checkin(worker);
        }
    }

    fn pool_transaction(
        &self,
        owner: Pid,
        pool: &str,
        request: Vec<u8>,
        timeout: Duration,
    ) -> ServiceFuture<Vec<u8>> {
        let found = self
            .node()
            .and_then(|n| Ok((n.pool(pool).map_err(boxed)?, n.processes().clone())));
        Box::pin(async move {
            let (pool, processes) = found?;
            pool.transaction(&processes, Some(owner), request, timeout)
                .await
                .map_err(boxed)
        })
    }

    fn start_task(
        &self,
        caller: Pid,
        sup: Target,
        plugin: &str,
        input: Vec<u8>,
        result: Option<oneshot::Sender<TaskOutcome>>,
        link: Option<Pid>,
    ) -> ServiceFuture<Pid> {
        let node = self.node();
        let plugin = plugin.to_string();
        Box::pin(async move {
            node?
                .start_task(Some(&sup), &plugin, input, result, link, Some(caller))
                .await
                .map_err(boxed)
        })
    }

    fn start_child(&self, caller: Pid, sup: Target, spec: Vec<u8>) -> ServiceFuture<Option<Pid>> {
        let node = self.node();
        Box::pin(async move {
            node?
                .start_child(&sup, &spec, Some(caller))
                .await
                .map_err(boxed)
        })
    }

    fn terminate_child(&self, sup: Target, child: Pid) -> ServiceFuture<()> {
        let found = self.supervisor(&sup);
        Box::pin(async move { found?.terminate_child(child).await.map_err(boxed) })
    }

    fn child_by_id(&self, sup: Target, op: ChildByIdOp, id: String) -> ServiceFuture<Option<Pid>> {
        let found = self.supervisor(&sup);
        Box::pin(async move {
            let sup = found?;
            let done = match op {
                ChildByIdOp::Terminate => sup.terminate_child_by_id(&id).await.map(|()| None),
                ChildByIdOp::Restart => sup.restart_child(&id).await,
                ChildByIdOp::Delete => sup.delete_child(&id).await.map(|()| None),
            };
            done.map_err(otp_answer)
        })
    }

    fn which_children(&self, sup: Target) -> ServiceFuture<Vec<u8>> {
        let found = self.supervisor(&sup);
        Box::pin(async move {
            let children = found?.which_children().await.map_err(boxed)?;
            let listing: Vec<_> = children
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "pid": c.pid.map(|p| p.0),
                        "type": c.child_type,
                        "status": c.status,
                        "restarts": c.restarts,
                    })
                })
                .collect();
            Ok(serde_json::to_vec(&listing).unwrap_or_default())
        })
    }

    fn count_children(&self, sup: Target) -> ServiceFuture<Vec<u8>> {
        let found = self.supervisor(&sup);
        Box::pin(async move {
            let count = found?.count_children().await.map_err(boxed)?;
            Ok(serde_json::to_vec(&count).unwrap_or_default())
        })
    }
}

impl NodeInner {
    fn supervisor(&self, sup: &Target) -> Result<crate::supervisor::SupervisorRef, ServiceError> {
        self.node()?
            .supervisor(sup)
            .ok_or_else(|| boxed(StartChildError::NoSupervisor(sup.clone())))
    }
}

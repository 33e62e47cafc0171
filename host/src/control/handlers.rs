//! What each route of the control API does, on the public API of the
//! floors below.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{Method, StatusCode, Uri};
use tokio::sync::{Notify, watch};

use super::api::{
    self, Ack, CallReply, CallRequest, ChildIdRequest, ChildListing, DEFAULT_CHILDREN_LIMIT,
    FailedChange, MessageRequest, PluginVersions, ReleaseReply, ReleaseRequest, ReloadReply,
    ReloadRequest, StartChildReply, StartChildRequest, StateReply, StateRequest, SupervisorRequest,
    TaskReply, TaskRequest, TerminateChildRequest, VersionInfo,
};
use super::api_error::{ApiError, one_line};
use super::event_log::EventLog;
use crate::application::Node;
use crate::deploy::Deployment;
use crate::process::{Pid, Target};
use crate::reload::{Reloaded, Reloader, UpgradeReport};
use crate::supervisor::{ChildCount, Page, SupervisorRef};

/// What the handlers share.
#[derive(Clone)]
pub(super) struct Control {
    pub(super) node: Node,
    pub(super) root: SupervisorRef,
    pub(super) reloader: Reloader,
    /// The manifest the host runs, for `apply`; none for a host not
    /// started from one.
    pub(super) deployment: Option<Deployment>,
    pub(super) events: EventLog,
    pub(super) stop_requested: Arc<Notify>,
    /// Becomes true when the server shuts down: long-lived replies (event
    /// streams) end.
    pub(super) closing: watch::Receiver<bool>,
}

pub(super) async fn call(
    State(control): State<Control>,
    body: Result<Json<CallRequest>, JsonRejection>,
) -> Result<Json<CallReply>, ApiError> {
    let Json(req) = body?;
    let timeout = Duration::from_millis(req.timeout_ms);
    let request = api::json_to_payload(&req.request);
    // `pool:NAME`: a transaction on the pool (checkout, call, checkin).
    let reply = if let Some(pool) = req.target.strip_prefix("pool:") {
        let pool = control.node.pool(pool)?;
        pool.transaction(control.node.processes(), None, request, timeout)
            .await?
    } else {
        control
            .node
            .call(&target(&req.target), request, timeout)
            .await?
    };
    Ok(Json(CallReply {
        reply: api::payload_to_json(&reply),
    }))
}

pub(super) async fn cast(
    State(control): State<Control>,
    body: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    control
        .node
        .cast(&target(&req.target), api::json_to_payload(&req.msg))?;
    Ok(Json(Ack { ok: true }))
}

pub(super) async fn send(
    State(control): State<Control>,
    body: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    control
        .node
        .send(&target(&req.target), api::json_to_payload(&req.msg))?;
    Ok(Json(Ack { ok: true }))
}

pub(super) async fn state(
    State(control): State<Control>,
    body: Result<Json<StateRequest>, JsonRejection>,
) -> Result<Json<StateReply>, ApiError> {
    let Json(req) = body?;
    let timeout = Duration::from_millis(req.timeout_ms);
    let state = control
        .node
        .get_state(&target(&req.target), timeout)
        .await?;
    Ok(Json(StateReply {
        state: api::payload_to_json(&state),
    }))
}

pub(super) async fn stop(State(control): State<Control>) -> Json<Ack> {
    // notify_one keeps a permit when nobody waits yet, so a stop that
    // races the host's start is not lost.
    control.stop_requested.notify_one();
    Json(Ack { ok: true })
}

pub(super) async fn reload(
    State(control): State<Control>,
    body: Result<Json<ReloadRequest>, JsonRejection>,
) -> Result<Json<ReloadReply>, ApiError> {
    let Json(req) = body?;
    let file = req.file.as_deref().map(Path::new);
    let reply = match control.reloader.reload(&req.plugin, file).await? {
        Reloaded::Unchanged { plugin, vsn } => ReloadReply {
            outcome: "unchanged".into(),
            plugin,
            from: vsn.clone(),
            to: vsn,
            downgrade: false,
            compiled: String::new(),
            processes: 0,
            failed: Vec::new(),
            pause_median_us: 0,
            pause_max_us: 0,
            elapsed_us: 0,
        },
        Reloaded::Upgraded(report) => reload_reply(report),
    };
    Ok(Json(reply))
}

/// A plugin's upgrade as the API reports it: counts and pauses.
fn reload_reply(report: UpgradeReport) -> ReloadReply {
    let mut pauses: Vec<u64> = report
        .changed
        .iter()
        .map(|c| c.pause.as_micros() as u64)
        .collect();
    pauses.sort_unstable();
    ReloadReply {
        outcome: "upgraded".into(),
        plugin: report.plugin,
        from: report.from,
        to: report.to,
        downgrade: report.downgrade,
        compiled: report.compiled.into(),
        processes: report.changed.len(),
        failed: report
            .failed
            .into_iter()
            .map(|(pid, reason)| FailedChange { pid: pid.0, reason })
            .collect(),
        pause_median_us: pauses.get(pauses.len() / 2).copied().unwrap_or(0),
        pause_max_us: pauses.last().copied().unwrap_or(0),
        elapsed_us: report.elapsed.as_micros() as u64,
    }
}

pub(super) async fn release(
    State(control): State<Control>,
    body: Result<Json<ReleaseRequest>, JsonRejection>,
) -> Result<Json<ReleaseReply>, ApiError> {
    let Json(req) = body?;
    let report = control
        .reloader
        .reload_all(req.from.as_deref().map(Path::new))
        .await?;
    Ok(Json(ReleaseReply {
        release: report.release,
        plugins: report.upgraded.into_iter().map(reload_reply).collect(),
        unchanged: report.unchanged,
    }))
}

pub(super) async fn versions(State(control): State<Control>) -> Json<Vec<PluginVersions>> {
    let node = &control.node;
    let listing = node
        .plugins()
        .all()
        .into_iter()
        .map(|plugin| {
            let current = plugin.current();
            let running = node.processes().of_plugin(plugin.name());
            PluginVersions {
                plugin: plugin.name().to_string(),
                file: plugin.path().display().to_string(),
                versions: plugin
                    .versions()
                    .iter()
                    .map(|version| VersionInfo {
                        vsn: version.vsn().to_string(),
                        hash: version.short_hash().to_string(),
                        current: version.hash() == current.hash(),
                        processes: running
                            .iter()
                            .filter(|(_, v)| v.hash() == version.hash())
                            .map(|(pid, _)| pid.0)
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    Json(listing)
}

fn supervisor_of(control: &Control, name: &str) -> Result<SupervisorRef, ApiError> {
    control
        .node
        .supervisor(&target(name))
        .ok_or_else(|| ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("no such supervisor: '{name}'"),
        })
}

pub(super) async fn task(
    State(control): State<Control>,
    body: Result<Json<TaskRequest>, JsonRejection>,
) -> Result<Json<TaskReply>, ApiError> {
    let Json(req) = body?;
    let input = api::json_to_payload(&req.input);
    let (result, outcome) = tokio::sync::oneshot::channel();
    let sup = req.supervisor.as_deref().map(target);
    let pid = control
        .node
        .start_task(sup.as_ref(), &req.plugin, input, Some(result), None, None)
        .await?;
    let timeout = Duration::from_millis(req.timeout_ms);
    match tokio::time::timeout(timeout, outcome).await {
        Ok(Ok(Ok(output))) => Ok(Json(TaskReply {
            pid: pid.0,
            result: api::payload_to_json(&output),
        })),
        Ok(Ok(Err(reason))) => Err(ApiError {
            status: StatusCode::BAD_GATEWAY,
            message: one_line(&format!("task {pid} failed: {reason}")),
        }),
        Ok(Err(_)) => Err(ApiError {
            status: StatusCode::BAD_GATEWAY,
            message: format!("task {pid} was killed"),
        }),
        Err(_) => Err(ApiError {
            status: StatusCode::GATEWAY_TIMEOUT,
            message: format!(
                "task {pid} gave no result within {} ms (it runs on)",
                req.timeout_ms
            ),
        }),
    }
}

pub(super) async fn start_child(
    State(control): State<Control>,
    body: Result<Json<StartChildRequest>, JsonRejection>,
) -> Result<Json<StartChildReply>, ApiError> {
    let Json(req) = body?;
    let spec = api::json_to_payload(&req.spec);
    let pid = control
        .node
        .start_child(&target(&req.supervisor), &spec, None)
        .await?;
    Ok(Json(StartChildReply {
        pid: pid.map(|p| p.0),
    }))
}

pub(super) async fn terminate_child(
    State(control): State<Control>,
    body: Result<Json<TerminateChildRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    match (req.pid, req.id) {
        (Some(pid), None) => sup.terminate_child(Pid(pid)).await?,
        (None, Some(id)) => sup.terminate_child_by_id(&id).await?,
        _ => {
            return Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                message: "name the child by its pid or by its id, not both".into(),
            });
        }
    }
    Ok(Json(Ack { ok: true }))
}

pub(super) async fn restart_child(
    State(control): State<Control>,
    body: Result<Json<ChildIdRequest>, JsonRejection>,
) -> Result<Json<StartChildReply>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    let pid = sup.restart_child(&req.id).await?;
    Ok(Json(StartChildReply {
        pid: pid.map(|p| p.0),
    }))
}

pub(super) async fn delete_child(
    State(control): State<Control>,
    body: Result<Json<ChildIdRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    sup.delete_child(&req.id).await?;
    Ok(Json(Ack { ok: true }))
}

pub(super) async fn which_children(
    State(control): State<Control>,
    body: Result<Json<SupervisorRequest>, JsonRejection>,
) -> Result<Json<Vec<ChildListing>>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    let page = Page {
        offset: req.offset.unwrap_or(0),
        limit: req.limit.unwrap_or(DEFAULT_CHILDREN_LIMIT),
    };
    let children = sup.which_children_page(page).await?.children;
    Ok(Json(
        children
            .into_iter()
            .map(|c| ChildListing {
                id: c.id,
                pid: c.pid.map(|p| p.0),
                child_type: c.child_type,
                status: c.status,
                restarts: c.restarts,
            })
            .collect(),
    ))
}

pub(super) async fn count_children(
    State(control): State<Control>,
    body: Result<Json<SupervisorRequest>, JsonRejection>,
) -> Result<Json<ChildCount>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    Ok(Json(sup.count_children().await?))
}

pub(super) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("no such route: {method} {}", uri.path()),
    }
}

pub(super) async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!("{} does not take {method}", uri.path()),
    }
}

pub(super) fn target(text: &str) -> Target {
    match Target::from_str(text) {
        Ok(target) => target,
        Err(never) => match never {},
    }
}

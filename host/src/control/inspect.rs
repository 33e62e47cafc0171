//! The routes that look inside a running host: one process whole
//! (`/info`), and the recent crash reports (`/crashes`).

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use serde_json::Value;

use super::api::{Ack, CrashesQuery, CrashesReply, InfoRequest, PluginStats};
use super::api_error::ApiError;
use super::event_log::numbered_json;
use super::handlers::{Control, target};
use crate::process::{CallError, ExitReason, Target};

/// How long `info` waits for the supervisor to tell the child's restarts;
/// a supervisor busy restarting others answers without them.
const SUPERVISOR_WAIT: Duration = Duration::from_millis(500);

pub(super) async fn info(
    State(control): State<Control>,
    body: Result<Json<InfoRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) = body?;
    let target = target(&req.target);
    let no_proc = || CallError::NoProc(target.clone());
    let pid = control.node.whereis(&target).ok_or_else(no_proc)?;
    let details = control.node.processes().details(pid).ok_or_else(no_proc)?;
    let supervisor = details
        .parent
        .and_then(|parent| control.node.supervisor(&Target::Pid(parent)));
    let restarts = match supervisor {
        Some(sup) => tokio::time::timeout(SUPERVISOR_WAIT, sup.child_of(pid))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
            .map(|child| child.restarts),
        None => None,
    };
    let last_crash = control
        .events
        .last_crash_of(pid)
        .map(|event| to_json(&*event));
    let mut reply = to_json(&details);
    if let Some(object) = reply.as_object_mut() {
        object.insert("restarts".into(), restarts.into());
        object.insert("last_crash".into(), last_crash.unwrap_or(Value::Null));
    }
    Ok(Json(reply))
}

pub(super) async fn kill(
    State(control): State<Control>,
    body: Result<Json<InfoRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    let target = target(&req.target);
    let pid = control
        .node
        .whereis(&target)
        .ok_or_else(|| CallError::NoProc(target.clone()))?;
    control.node.kill(pid, ExitReason::Killed);
    Ok(Json(Ack { ok: true }))
}

pub(super) async fn stats(State(control): State<Control>) -> Json<Vec<PluginStats>> {
    let stats = control
        .node
        .processes()
        .plugin_counts()
        .into_iter()
        .map(|p| PluginStats {
            plugin: p.plugin,
            vsn: p.vsn,
            live: p.live,
            memory_bytes: p.memory_bytes,
            calls: p.counts.calls,
            casts: p.counts.casts,
            infos: p.counts.infos,
            busy_us: p.counts.busy_ns / 1000,
        })
        .collect();
    Json(stats)
}

pub(super) async fn crashes(
    State(control): State<Control>,
    query: Result<Query<CrashesQuery>, QueryRejection>,
) -> Result<Json<CrashesReply>, ApiError> {
    let Query(query) = query?;
    let crashes = control
        .events
        .crashes(query.plugin.as_deref(), query.last)
        .iter()
        .map(numbered_json)
        .collect();
    Ok(Json(CrashesReply { crashes }))
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

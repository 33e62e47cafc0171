//! `overseer apps` and `overseer app start|stop|restart`: the host's
//! applications, and the tree of one or all of them.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::api::{AppChangeReply, AppRequest, DEFAULT_CHILDREN_LIMIT, TreeQuery};
use super::api_error::ApiError;
use super::handlers::Control;
use crate::application::{AppStatus, Applications, ControllerError};
use crate::supervisor::{ChildStatus, ChildType, TreeLimits, TreeNode};

impl From<ControllerError> for ApiError {
    fn from(err: ControllerError) -> Self {
        let status = match err {
            ControllerError::Unknown { .. } => StatusCode::NOT_FOUND,
            ControllerError::AlreadyRunning(_) | ControllerError::NotRunning(_) => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: err.to_string(),
        }
    }
}

fn applications(control: &Control) -> Result<&Applications, ApiError> {
    control
        .deployment
        .as_ref()
        .map(|d| d.applications())
        .ok_or_else(|| ApiError {
            status: StatusCode::CONFLICT,
            message: "this host was not started from manifests: it has no applications".into(),
        })
}

pub(super) async fn apps(State(control): State<Control>) -> Result<Json<Vec<AppStatus>>, ApiError> {
    Ok(Json(applications(&control)?.list().await))
}

pub(super) async fn start(
    State(control): State<Control>,
    body: Result<Json<AppRequest>, JsonRejection>,
) -> Result<Json<AppChangeReply>, ApiError> {
    let Json(req) = body?;
    let started = applications(&control)?.start_app(&req.name).await?;
    Ok(Json(AppChangeReply {
        stopped: Vec::new(),
        started,
    }))
}

pub(super) async fn stop(
    State(control): State<Control>,
    body: Result<Json<AppRequest>, JsonRejection>,
) -> Result<Json<AppChangeReply>, ApiError> {
    let Json(req) = body?;
    let stopped = applications(&control)?.stop_app(&req.name).await?;
    Ok(Json(AppChangeReply {
        stopped,
        started: Vec::new(),
    }))
}

pub(super) async fn restart(
    State(control): State<Control>,
    body: Result<Json<AppRequest>, JsonRejection>,
) -> Result<Json<AppChangeReply>, ApiError> {
    let Json(req) = body?;
    let (stopped, started) = applications(&control)?.restart_app(&req.name).await?;
    Ok(Json(AppChangeReply { stopped, started }))
}

/// `GET /tree`: the tree the query asks for, as much of it as it asks.
pub(super) async fn tree_route(
    State(control): State<Control>,
    query: Result<Query<TreeQuery>, QueryRejection>,
) -> Result<Json<TreeNode>, ApiError> {
    let Query(query) = query?;
    let limits = TreeLimits {
        depth: query.depth,
        children: query.limit.unwrap_or(DEFAULT_CHILDREN_LIMIT),
    };
    Ok(Json(tree(&control, &query, limits).await?))
}

/// The tree `query` asks for: one application's, the only one's, or, with
/// several, a node `overseer` with each application's root under it (a
/// stopped one's as a stopped node).
async fn tree(
    control: &Control,
    query: &TreeQuery,
    limits: TreeLimits,
) -> Result<TreeNode, ApiError> {
    let supervision = control.node.supervision();
    let Some(deployment) = &control.deployment else {
        return Ok(supervision.tree_within(&control.root, limits).await?);
    };
    let apps = deployment.applications();
    let roots = apps.roots().await;
    let named = |name: &str| roots.iter().find(|(app, _)| app == name);
    let one = match (&query.app, roots.as_slice()) {
        (Some(name), _) => Some(named(name).ok_or_else(|| {
            ApiError::from(ControllerError::Unknown {
                name: name.clone(),
                known: apps.names().join(", "),
            })
        })?),
        (None, [only]) => Some(only),
        (None, _) => None,
    };
    if let Some((name, root)) = one {
        let root = root
            .as_ref()
            .ok_or_else(|| ApiError::from(ControllerError::NotRunning(name.clone())))?;
        return Ok(supervision.tree_within(root, limits).await?);
    }
    let mut children = Vec::with_capacity(roots.len());
    for (name, root) in &roots {
        let node = match root {
            Some(root) => TreeNode {
                id: name.clone(),
                ..supervision.tree_within(root, limits).await?
            },
            None => node_of(name.clone(), ChildStatus::Stopped, Vec::new()),
        };
        children.push(node);
    }
    Ok(node_of("overseer".into(), ChildStatus::Running, children))
}

/// A node of the tree that is no running supervisor of its own: the host
/// above its applications, or a stopped application.
fn node_of(id: String, status: ChildStatus, children: Vec<TreeNode>) -> TreeNode {
    TreeNode {
        id,
        node_type: ChildType::Supervisor,
        pid: None,
        status,
        restarts: 0,
        plugin: None,
        vsn: None,
        name: None,
        children,
        omitted: 0,
    }
}

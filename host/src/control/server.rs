//! The control socket and the server that answers on it.

use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use axum::extract::Query;

use super::api::{
    self, Ack, CallReply, CallRequest, ErrorReply, EventsReply, FailedChange, MessageRequest,
    PluginVersions, ReloadReply, ReloadRequest, StartChildReply, StartChildRequest, StateReply,
    StateRequest, SupervisorRequest, TaskReply, TaskRequest, TerminateChildRequest, VersionInfo,
    route,
};
use super::event_log::EventLog;
use crate::process::{CallError, Node, Target};
use crate::reload::{ReloadError, Reloaded, Reloader};
use crate::supervisor::{NoSupervisor, SupervisorRef, TreeNode};

/// How long [`ControlServer::shutdown`] lets requests in flight finish
/// before it drops their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

// ===== Binding =====

/// The control socket could not be bound. Each variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// A host answers on the socket already.
    #[error("another overseer is already running on {}", path.display())]
    AlreadyRunning {
        /// The socket.
        path: PathBuf,
    },
    /// The path is taken by something that is not a socket; it is left
    /// alone rather than deleted.
    #[error("{} exists and is not a socket", path.display())]
    NotASocket {
        /// The path.
        path: PathBuf,
    },
    /// The socket's folder could not be created.
    #[error("cannot create {}: {source}", path.display())]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A stale socket could not be removed.
    #[error("cannot remove the stale control socket {}: {source}", path.display())]
    RemoveStale {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `bind` or the chmod after it failed.
    #[error("cannot bind the control socket {}: {source}", path.display())]
    Bind {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// A bound control socket, not yet served. Its file is removed when it is
/// dropped (or, once served, when the [`ControlServer`] is).
pub struct ControlSocket {
    listener: UnixListener,
    file: SocketFile,
}

impl ControlSocket {
    /// Bind `path`, mode 0600, creating its folder (mode 0700) if needed.
    /// A socket file nobody answers on is stale (its host died without
    /// cleaning up) and is replaced.
    ///
    /// # Errors
    ///
    /// [`BindError`]: another host answers on `path`, the path is not a
    /// socket, or the file system refused.
    pub async fn bind(path: &Path) -> Result<ControlSocket, BindError> {
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(|source| BindError::CreateFolder {
                    path: folder.to_path_buf(),
                    source,
                })?;
        }
        remove_stale(path).await?;
        let bind_error = |source| BindError::Bind {
            path: path.to_path_buf(),
            source,
        };
        let listener = UnixListener::bind(path).map_err(bind_error)?;
        // From here on the file is ours: the guard removes it on any error.
        let file = SocketFile::new(path).map_err(|source| {
            let _ = std::fs::remove_file(path);
            bind_error(source)
        })?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(bind_error)?;
        Ok(ControlSocket { listener, file })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

/// Remove a socket file that no host answers on; refuse one that a host
/// does, and anything that is not a socket.
async fn remove_stale(path: &Path) -> Result<(), BindError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(BindError::NotASocket {
            path: path.to_path_buf(),
        });
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(BindError::AlreadyRunning {
            path: path.to_path_buf(),
        });
    }
    std::fs::remove_file(path).map_err(|source| BindError::RemoveStale {
        path: path.to_path_buf(),
        source,
    })
}

/// Removes the socket file when dropped, unless another host has replaced
/// it since (same path, different inode): that socket is not ours.
struct SocketFile {
    path: PathBuf,
    inode: (u64, u64),
}

impl SocketFile {
    fn new(path: &Path) -> io::Result<Self> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            inode: (meta.dev(), meta.ino()),
        })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|meta| (meta.dev(), meta.ino()) == self.inode);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

// ===== Serving =====

/// A control server answering on its socket, on a task of its own.
/// Dropping it stops accepting connections and removes the socket file;
/// [`ControlServer::shutdown`] also waits for requests in flight.
pub struct ControlServer {
    stop_serving: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
    file: SocketFile,
}

/// What the handlers share.
#[derive(Clone)]
struct Control {
    node: Node,
    root: SupervisorRef,
    reloader: Reloader,
    events: EventLog,
    stop_requested: Arc<Notify>,
}

/// Serve the control API on `socket` for the tree under `root`, with
/// `reloader` behind `POST /reload`. `POST /stop` wakes `stop_requested`
/// and does nothing else: the owner of the application decides how to stop
/// it.
pub fn serve(
    socket: ControlSocket,
    root: SupervisorRef,
    reloader: Reloader,
    stop_requested: Arc<Notify>,
) -> ControlServer {
    let node = reloader.node().clone();
    let control = Control {
        events: EventLog::start(&node),
        node,
        root,
        reloader,
        stop_requested,
    };
    let router = Router::new()
        .route(route::CALL, post(call))
        .route(route::CAST, post(cast))
        .route(route::SEND, post(send))
        .route(route::STATE, post(state))
        .route(route::TREE, get(tree))
        .route(route::STOP, post(stop))
        .route(route::RELOAD, post(reload))
        .route(route::VERSIONS, get(versions))
        .route(route::EVENTS, get(events))
        .route(route::TASK, post(task))
        .route(route::START_CHILD, post(start_child))
        .route(route::TERMINATE_CHILD, post(terminate_child))
        .route(route::WHICH_CHILDREN, post(which_children))
        .route(route::COUNT_CHILDREN, post(count_children))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(control);
    let (stop_serving, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(socket.listener, router)
            .with_graceful_shutdown(async move {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            })
            .await
    });
    ControlServer {
        stop_serving,
        task,
        file: socket.file,
    }
}

impl ControlServer {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Stop accepting connections, let requests in flight finish (for up to
    /// two seconds), then remove the socket file.
    pub async fn shutdown(self) {
        let ControlServer {
            stop_serving,
            mut task,
            file,
        } = self;
        let _ = stop_serving.send(());
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        drop(file);
    }
}

// ===== Handlers =====

async fn call(
    State(control): State<Control>,
    body: Result<Json<CallRequest>, JsonRejection>,
) -> Result<Json<CallReply>, ApiError> {
    let Json(req) = body?;
    let timeout = Duration::from_millis(req.timeout_ms);
    let request = api::json_to_payload(&req.request);
    // `pool:NAME`: a transaction on the pool (checkout, call, checkin).
    let reply = if let Some(pool) = req.target.strip_prefix("pool:") {
        let pool = control.node.pool(pool)?;
        pool.transaction(&control.node, None, request, timeout)
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

async fn cast(
    State(control): State<Control>,
    body: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    control
        .node
        .cast(&target(&req.target), api::json_to_payload(&req.msg))?;
    Ok(Json(Ack { ok: true }))
}

async fn send(
    State(control): State<Control>,
    body: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    control
        .node
        .send(&target(&req.target), api::json_to_payload(&req.msg))?;
    Ok(Json(Ack { ok: true }))
}

async fn state(
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

async fn tree(State(control): State<Control>) -> Result<Json<TreeNode>, ApiError> {
    Ok(Json(control.root.tree(&control.node).await?))
}

async fn stop(State(control): State<Control>) -> Json<Ack> {
    // notify_one keeps a permit when nobody waits yet, so a stop that
    // races the host's start is not lost.
    control.stop_requested.notify_one();
    Json(Ack { ok: true })
}

async fn reload(
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
        Reloaded::Upgraded(report) => {
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
    };
    Ok(Json(reply))
}

async fn versions(State(control): State<Control>) -> Json<Vec<PluginVersions>> {
    let node = &control.node;
    let listing = node
        .plugins()
        .into_iter()
        .map(|plugin| {
            let current = plugin.current();
            let running = node.processes_of(plugin.name());
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

/// `?after=N`.
#[derive(serde::Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

async fn events(State(control): State<Control>, Query(after): Query<After>) -> Json<EventsReply> {
    let (events, last) = control.events.after(after.after);
    Json(EventsReply { events, last })
}

fn supervisor_of(
    control: &Control,
    name: &str,
) -> Result<Arc<dyn crate::process::SupervisorHandle>, ApiError> {
    control
        .node
        .supervisor(&target(name))
        .map_err(|_| ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("no such supervisor: '{name}'"),
        })
}

/// A supervisor's refusal (`max_children reached (2)`, `no such child`…).
fn refused(message: String) -> ApiError {
    let status = if message.starts_with("no such child") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError {
        status,
        message: one_line(&message),
    }
}

async fn task(
    State(control): State<Control>,
    body: Result<Json<TaskRequest>, JsonRejection>,
) -> Result<Json<TaskReply>, ApiError> {
    let Json(req) = body?;
    let plugin = control
        .node
        .task_plugin(&req.plugin)
        .await
        .map_err(|e| ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: one_line(&e.to_string()),
        })?;
    let input = api::json_to_payload(&req.input);
    let (result, outcome) = tokio::sync::oneshot::channel();
    let pid = match &req.supervisor {
        Some(sup) => {
            let sup = supervisor_of(&control, sup)?;
            sup.start_task(plugin, input, Some(result), None)
                .await
                .map_err(refused)?
        }
        None => control
            .node
            .spawn_task(plugin, input, None, Vec::new(), Some(result), None)
            .map_err(|e| ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: e.to_string(),
            })?,
    };
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

async fn start_child(
    State(control): State<Control>,
    body: Result<Json<StartChildRequest>, JsonRejection>,
) -> Result<Json<StartChildReply>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    let pid = sup.start_child(req.spec).await.map_err(refused)?;
    Ok(Json(StartChildReply {
        pid: pid.map(|p| p.0),
    }))
}

async fn terminate_child(
    State(control): State<Control>,
    body: Result<Json<TerminateChildRequest>, JsonRejection>,
) -> Result<Json<Ack>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    sup.terminate_child(crate::process::Pid(req.pid))
        .await
        .map_err(refused)?;
    Ok(Json(Ack { ok: true }))
}

async fn which_children(
    State(control): State<Control>,
    body: Result<Json<SupervisorRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    Ok(Json(sup.which_children().await.map_err(refused)?))
}

async fn count_children(
    State(control): State<Control>,
    body: Result<Json<SupervisorRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(req) = body?;
    let sup = supervisor_of(&control, &req.supervisor)?;
    Ok(Json(sup.count_children().await.map_err(refused)?))
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("no such route: {method} {}", uri.path()),
    }
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!("{} does not take {method}", uri.path()),
    }
}

fn target(text: &str) -> Target {
    match Target::from_str(text) {
        Ok(target) => target,
        Err(never) => match never {},
    }
}

// ===== Errors =====

/// A failed request, as its status and one line of JSON.
struct ApiError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorReply {
            error: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<CallError> for ApiError {
    fn from(err: CallError) -> Self {
        let status = match &err {
            CallError::NoProc(_) => StatusCode::NOT_FOUND,
            CallError::NotAServer(_) => StatusCode::CONFLICT,
            CallError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            CallError::Exited(_) => StatusCode::BAD_GATEWAY,
        };
        ApiError {
            status,
            message: one_line(&err.to_string()),
        }
    }
}

impl From<ReloadError> for ApiError {
    fn from(err: ReloadError) -> Self {
        let status = match &err {
            ReloadError::UnknownPlugin(_) => StatusCode::NOT_FOUND,
            ReloadError::Rejected(_) | ReloadError::Failed { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        ApiError {
            status,
            message: one_line(&err.to_string()),
        }
    }
}

impl From<crate::process::PoolError> for ApiError {
    fn from(err: crate::process::PoolError) -> Self {
        use crate::process::PoolError;
        match err {
            PoolError::Call(call) => call.into(),
            PoolError::NoPool(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: err.to_string(),
            },
            PoolError::Timeout { .. } => ApiError {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: err.to_string(),
            },
            PoolError::Full(_) | PoolError::Start { .. } => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: one_line(&err.to_string()),
            },
        }
    }
}

impl From<NoSupervisor> for ApiError {
    fn from(err: NoSupervisor) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: err.to_string(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError {
            status: rejection.status(),
            message: one_line(&rejection.body_text()),
        }
    }
}

/// Crash reasons may carry a multi-line cause; the API promises one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

//! The server that answers on the control socket: its routes, and how it
//! stops.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::JoinHandle;

use super::api::route;
use super::app_routes;
use super::apply_routes;
use super::config_routes;
use super::event_log::EventLog;
use super::event_routes;
use super::handlers::{self, Control};
use super::inspect;
use super::listener::GuardedListener;
use super::socket::{ControlSocket, SocketFile};
use super::top;
use crate::deploy::Deployment;
use crate::reload::Reloader;
use crate::supervisor::SupervisorRef;

/// How long [`ControlServer::shutdown`] lets requests in flight finish
/// before it drops their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The largest request body the control API reads (a message, a child
/// spec): past it, 413.
pub const MAX_REQUEST_BYTES: usize = 2 << 20;

/// A control server answering on its socket, on a task of its own.
/// Dropping it stops accepting connections and removes the socket file;
/// [`ControlServer::shutdown`] also waits for requests in flight.
pub struct ControlServer {
    stop_serving: oneshot::Sender<()>,
    closing: watch::Sender<bool>,
    /// What the handlers share, for the dashboard to serve too.
    pub(super) control: Control,
    task: JoinHandle<io::Result<()>>,
    file: SocketFile,
}

/// Serve the control API on `socket` for the tree under `root`, with
/// `reloader` behind `POST /reload`, `deployment` (the manifest the host
/// runs) behind `POST /apply` and `events` behind `GET /events`. `POST /stop` wakes `stop_requested`
/// and does nothing else: the owner of the application decides how to stop
/// it.
pub fn serve(
    socket: ControlSocket,
    root: SupervisorRef,
    reloader: Reloader,
    deployment: Option<Deployment>,
    stop_requested: Arc<Notify>,
    events: EventLog,
) -> ControlServer {
    let node = reloader.node().clone();
    let (closing, closing_seen) = watch::channel(false);
    let control = Control {
        events,
        node,
        root,
        reloader,
        deployment,
        stop_requested,
        closing: closing_seen,
    };
    let router = api_router(control.clone());
    let (stop_serving, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(GuardedListener::new(socket.listener), router)
            .with_graceful_shutdown(async move {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            })
            .await
    });
    ControlServer {
        stop_serving,
        closing,
        control,
        task,
        file: socket.file,
    }
}

/// Every route of the control API, on `control`: served on the socket, and
/// under `/api` by the dashboard.
pub(super) fn api_router(control: Control) -> Router {
    Router::new()
        .route(route::CALL, post(handlers::call))
        .route(route::CAST, post(handlers::cast))
        .route(route::SEND, post(handlers::send))
        .route(route::STATE, post(handlers::state))
        .route(route::TREE, get(app_routes::tree_route))
        .route(route::STOP, post(handlers::stop))
        .route(route::RELOAD, post(handlers::reload))
        .route(route::RELEASE, post(handlers::release))
        .route(route::VERSIONS, get(handlers::versions))
        .route(route::EVENTS, get(event_routes::events))
        .route(route::EVENTS_STREAM, get(event_routes::stream))
        .route(route::TASK, post(handlers::task))
        .route(route::START_CHILD, post(handlers::start_child))
        .route(route::TERMINATE_CHILD, post(handlers::terminate_child))
        .route(route::RESTART_CHILD, post(handlers::restart_child))
        .route(route::DELETE_CHILD, post(handlers::delete_child))
        .route(route::WHICH_CHILDREN, post(handlers::which_children))
        .route(route::COUNT_CHILDREN, post(handlers::count_children))
        .route(route::INFO, post(inspect::info))
        .route(route::CRASHES, get(inspect::crashes))
        .route(route::KILL, post(inspect::kill))
        .route(route::STATS, get(inspect::stats))
        .route(route::TOP, get(top::top))
        .route(route::CONFIG, get(config_routes::config))
        .route(route::CONFIG_SET, post(config_routes::set))
        .route(route::CONFIG_UNSET, post(config_routes::unset))
        .route(route::APPLY, post(apply_routes::apply))
        .route(route::APPS, get(app_routes::apps))
        .route(route::APP_START, post(app_routes::start))
        .route(route::APP_STOP, post(app_routes::stop))
        .route(route::APP_RESTART, post(app_routes::restart))
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::wrong_method)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(control)
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
            closing,
            mut task,
            file,
            ..
        } = self;
        let _ = closing.send(true);
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

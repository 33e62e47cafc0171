//! The HTTP listener behind `overseer run --metrics ADDR`: `GET /metrics`
//! and nothing else.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Metrics;

/// The content type of OpenMetrics text, which Prometheus reads.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A metrics listener on a task of its own; dropping it stops it.
pub struct MetricsServer {
    address: SocketAddr,
    _stop: oneshot::Sender<()>,
    _task: JoinHandle<()>,
}

impl MetricsServer {
    /// The address it listens on (the port chosen, when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Serve `metrics` at `http://ADDRESS/metrics`.
///
/// # Errors
///
/// The address cannot be bound (in use, not this host's).
pub async fn serve_metrics(address: SocketAddr, metrics: Metrics) -> io::Result<MetricsServer> {
    let listener = TcpListener::bind(address).await?;
    let address = listener.local_addr()?;
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(err) = served {
            tracing::warn!("metrics listener stopped: {err}");
        }
    });
    Ok(MetricsServer {
        address,
        _stop: stop,
        _task: task,
    })
}

async fn scrape(State(metrics): State<Metrics>) -> impl IntoResponse {
    ([(CONTENT_TYPE, OPENMETRICS)], metrics.scrape().await)
}

//! The web dashboard: `overseer run --dashboard ADDR` serves one page
//! (embedded in the binary, no build step) and the control API under
//! `/api`, on TCP. Unlike the socket, TCP is open to every local user, so
//! every `/api` request must carry the token printed at start: in the
//! `x-overseer-token` header, or as `token=` in the query (an
//! `EventSource` cannot set headers).

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::api_error::ApiError;
use super::server::{ControlServer, api_router};

/// The page, whole: HTML, CSS and script.
const PAGE: &str = include_str!("page.html");

/// The header that carries the token.
pub const TOKEN_HEADER: &str = "x-overseer-token";

/// A dashboard listening on a task of its own; dropping it stops it.
pub struct Dashboard {
    address: SocketAddr,
    token: String,
    _stop: oneshot::Sender<()>,
    _task: JoinHandle<()>,
}

impl Dashboard {
    /// The address it listens on (the port chosen, when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The token `/api` requests must carry.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The page's address, with the token for the page to use.
    pub fn url(&self) -> String {
        format!("http://{}/#token={}", self.address, self.token)
    }
}

impl ControlServer {
    /// Serve the dashboard for this host on `address`, with a new token.
    ///
    /// # Errors
    ///
    /// The address cannot be bound, or no random token can be drawn.
    pub async fn dashboard(&self, address: SocketAddr) -> io::Result<Dashboard> {
        let token = new_token()?;
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let api = api_router(self.control.clone())
            .layer(middleware::from_fn_with_state(token.clone(), check_token));
        let router = Router::new().route("/", get(page)).nest("/api", api);
        let (stop, stopped) = oneshot::channel::<()>();
        let mut closing = self.control.closing.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    tokio::select! {
                        _ = stopped => {}
                        _ = closing.wait_for(|closing| *closing) => {}
                    }
                })
                .await;
            if let Err(err) = served {
                tracing::warn!("dashboard stopped: {err}");
            }
        });
        Ok(Dashboard {
            address,
            token,
            _stop: stop,
            _task: task,
        })
    }
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// Refuse an `/api` request without the token, in one line.
async fn check_token(State(token): State<String>, request: Request, next: Next) -> Response {
    let from_header = request
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    let from_query = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
    });
    let given = from_header.or(from_query).unwrap_or_default();
    if same(given.as_bytes(), token.as_bytes()) {
        return next.run(request).await;
    }
    ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: "this request needs the dashboard's token (printed by overseer run)".into(),
    }
    .into_response()
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 128 random bits, as hex.
fn new_token() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_compared_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
        let token = new_token().expect("random");
        assert_eq!(token.len(), 32);
        assert_ne!(token, new_token().expect("random"));
    }
}

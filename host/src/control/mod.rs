//! How the outside world inspects and steers a running node.
//!
//! `overseer run` serves a small HTTP + JSON API on a Unix socket; every
//! other subcommand (`call`, `cast`, `send`, `state`, `tree`, `stop`,
//! `reload`, `versions`, `events`, `info`, `crashes`, …) is a
//! [`Client`] of it. HTTP keeps the protocol debuggable with `curl
//! --unix-socket`; a Unix socket keeps it local, and its file mode (0600)
//! is the access control: whoever may open the socket may steer the node.
//!
//! - [`api`]: the routes and the JSON of each request and reply, shared by
//!   both ends.
//! - [`ControlSocket`] binds the socket (refusing one that another host
//!   still answers on, replacing a stale one); [`serve`] answers on it until
//!   [`ControlServer::shutdown`], which also removes the socket file.
//! - [`Client`] opens one connection per request.
//!
//! # Where the socket is
//!
//! [`default_socket`]: `.overseer/control.sock` in the manifest's folder
//! for `run`, in the current folder for the client subcommands. Both ends
//! accept another path (`--control PATH`, `OVERSEER_CONTROL`).
//!
//! # Stopping
//!
//! `POST /stop` answers 200 at once and wakes the [`Notify`] the server was
//! given; whoever owns the application then stops the tree in order and
//! shuts the server down. The server never stops the application itself:
//! it only knows the public API of the floors below.
//!
//! [`Notify`]: tokio::sync::Notify

pub mod api;
mod api_error;
mod app_client;
mod app_routes;
mod apply_client;
mod apply_routes;
mod client;
mod config_client;
mod config_routes;
mod crashes;
mod dashboard;
mod event_filter;
mod event_log;
mod event_routes;
mod follow;
mod handlers;
mod inspect;
mod listener;
mod server;
mod socket;
mod top;

use std::path::{Path, PathBuf};

pub use client::{Client, ClientError};
pub use dashboard::{Dashboard, TOKEN_HEADER};
pub use event_filter::KIND_GROUPS;
pub use event_log::EventLog;
pub use listener::MAX_CONNECTIONS;
pub use server::{ControlServer, MAX_REQUEST_BYTES, serve};
pub use socket::{BindError, ControlSocket};

/// The socket's path relative to its folder: `.overseer/control.sock`.
pub const SOCKET_RELATIVE_PATH: &str = ".overseer/control.sock";

/// The default control socket for a host run from `folder` (the manifest's
/// folder for `run`, the current folder for a client).
pub fn default_socket(folder: &Path) -> PathBuf {
    folder.join(SOCKET_RELATIVE_PATH)
}

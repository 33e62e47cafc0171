//! The client side of the control API: one connection per request.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::net::UnixStream;

use super::api::{
    Ack, CallReply, CallRequest, ChildIdRequest, CrashesQuery, CrashesReply, ErrorReply,
    EventsQuery, EventsReply, InfoRequest, MessageRequest, PluginVersions, ReleaseReply,
    ReleaseRequest, ReloadReply, ReloadRequest, StartChildReply, StartChildRequest, StateReply,
    StateRequest, SupervisorRequest, TaskReply, TaskRequest, TerminateChildRequest, TopQuery,
    TopReply, TreeQuery, route,
};

/// How long a request without a timeout of its own (cast, send, tree,
/// stop) may take before the client gives up on the host.
pub(super) const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// How long a reload may take: compile, then every process's code change.
pub(super) const RELOAD_DEADLINE: Duration = Duration::from_secs(120);

/// How much longer than the guest's own timeout a call or state request
/// waits, so that the host's "timed out after N ms" arrives first.
const DEADLINE_SLACK: Duration = Duration::from_secs(5);

/// A request through the control socket that failed. Each Display is one
/// line.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing exists at the socket's path: no host runs there.
    #[error("no control socket at {}", path.display())]
    NoSocket {
        /// The path tried.
        path: PathBuf,
    },
    /// The socket exists but could not be connected to: typically a host
    /// that died without removing it.
    #[error("cannot connect to the control socket {}: {source}; is its overseer still running?", path.display())]
    Connect {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The connection broke, or the answer was not HTTP.
    #[error("the control socket {} failed: {message}", path.display())]
    Transport {
        /// The socket.
        path: PathBuf,
        /// What happened.
        message: String,
    },
    /// The host did not answer in time.
    #[error("the host did not answer within {} ms", after.as_millis())]
    NoAnswer {
        /// How long the client waited.
        after: Duration,
    },
    /// The host answered with an error: its message, as is (`no such
    /// process: 'foo'`, `timed out after 100 ms`).
    #[error("{message}")]
    Failed {
        /// The HTTP status.
        status: StatusCode,
        /// The host's one-line message.
        message: String,
    },
    /// The host answered 2xx with a body this client does not understand
    /// (a host of another version?).
    #[error("unexpected answer from the host: {0}")]
    BadAnswer(String),
}

/// A client of one host's control socket.
#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
}

impl Client {
    /// A client for the socket at `socket`.
    ///
    /// # Errors
    ///
    /// [`ClientError::NoSocket`] when nothing exists at `socket`, so that
    /// the user hears about a wrong path before anything is sent.
    pub fn new(socket: &Path) -> Result<Client, ClientError> {
        if std::fs::symlink_metadata(socket).is_err() {
            return Err(ClientError::NoSocket {
                path: socket.to_path_buf(),
            });
        }
        Ok(Client {
            socket: socket.to_path_buf(),
        })
    }

    /// The socket's path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Call `target` with `request`; its reply.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; [`ClientError::Failed`] carries the host's reason
    /// (no such process, timed out, exited before replying).
    pub async fn call(
        &self,
        target: &str,
        request: Value,
        timeout: Duration,
    ) -> Result<Value, ClientError> {
        let body = CallRequest {
            target: target.to_string(),
            request,
            timeout_ms: millis(timeout),
        };
        let reply: CallReply = self
            .request(
                Method::POST,
                route::CALL,
                Some(&body),
                timeout.saturating_add(DEADLINE_SLACK),
            )
            .await?;
        Ok(reply.reply)
    }

    /// Cast `msg` to `target`.
    ///
    /// # Errors
    ///
    /// [`ClientError`], e.g. no such process.
    pub async fn cast(&self, target: &str, msg: Value) -> Result<(), ClientError> {
        self.message(route::CAST, target, msg).await
    }

    /// Send `msg` to `target` as a plain message (its `handle-info`).
    ///
    /// # Errors
    ///
    /// [`ClientError`], e.g. no such process.
    pub async fn send(&self, target: &str, msg: Value) -> Result<(), ClientError> {
        self.message(route::SEND, target, msg).await
    }

    /// The state of `target`, through its `get-state`.
    ///
    /// # Errors
    ///
    /// As for [`Client::call`].
    pub async fn state(&self, target: &str, timeout: Duration) -> Result<Value, ClientError> {
        let body = StateRequest {
            target: target.to_string(),
            timeout_ms: millis(timeout),
        };
        let reply: StateReply = self
            .request(
                Method::POST,
                route::STATE,
                Some(&body),
                timeout.saturating_add(DEADLINE_SLACK),
            )
            .await?;
        Ok(reply.state)
    }

    /// The supervision tree, as the host's JSON (see
    /// [`TreeView`](super::api::TreeView) to read it).
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn tree(&self, query: TreeQuery) -> Result<Value, ClientError> {
        let path = self.with_query(route::TREE, &query)?;
        self.request::<(), Value>(Method::GET, &path, None, REQUEST_DEADLINE)
            .await
    }

    /// Ask the host to shut down gracefully. Returns once the host has
    /// accepted; see [`Client::answers`] to wait until it is gone.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn stop(&self) -> Result<(), ClientError> {
        let _: Ack = self
            .request::<(), _>(Method::POST, route::STOP, None, REQUEST_DEADLINE)
            .await?;
        Ok(())
    }

    /// Upgrade `plugin` to the build in its file, or in `file` (a path on
    /// the host). Upgrading thousands of processes takes a while: waits up
    /// to a minute.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; [`ClientError::Failed`] carries why nothing changed
    /// (an unknown plugin, a rejected build, a failed code change).
    pub async fn reload(
        &self,
        plugin: &str,
        file: Option<&str>,
    ) -> Result<ReloadReply, ClientError> {
        let body = ReloadRequest {
            plugin: plugin.to_string(),
            file: file.map(str::to_string),
        };
        self.request(Method::POST, route::RELOAD, Some(&body), RELOAD_DEADLINE)
            .await
    }

    /// Read every plugin's file again (or its build in folder `from`) and
    /// upgrade, as one release, those whose build changed (see
    /// [`route::RELEASE`]).
    ///
    /// # Errors
    ///
    /// [`ClientError`], with the host's one line: a rejected build or a
    /// failed canary, after which nothing changed.
    pub async fn release(&self, from: Option<&str>) -> Result<ReleaseReply, ClientError> {
        let body = ReleaseRequest {
            from: from.map(str::to_string),
        };
        self.request(Method::POST, route::RELEASE, Some(&body), RELOAD_DEADLINE)
            .await
    }

    /// Each plugin's loaded builds and which processes run which.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn versions(&self) -> Result<Vec<PluginVersions>, ClientError> {
        self.request::<(), _>(Method::GET, route::VERSIONS, None, REQUEST_DEADLINE)
            .await
    }

    /// Everything known of one process (see [`route::INFO`]).
    ///
    /// # Errors
    ///
    /// [`ClientError`]; `no such process` if none answers to `target`.
    pub async fn info(&self, target: &str) -> Result<Value, ClientError> {
        let body = InfoRequest {
            target: target.to_string(),
        };
        self.request(Method::POST, route::INFO, Some(&body), REQUEST_DEADLINE)
            .await
    }

    /// The busiest processes (see [`route::TOP`]); takes `query.window_ms`.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn top(&self, query: &TopQuery) -> Result<TopReply, ClientError> {
        let path = self.with_query(route::TOP, query)?;
        self.request::<(), _>(Method::GET, &path, None, REQUEST_DEADLINE)
            .await
    }

    /// The newest `last` crash reports, of `plugin` only if given.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn crashes(
        &self,
        plugin: Option<&str>,
        last: usize,
    ) -> Result<CrashesReply, ClientError> {
        let query = CrashesQuery {
            plugin: plugin.map(str::to_string),
            last,
        };
        let path = self.with_query(route::CRASHES, &query)?;
        self.request::<(), _>(Method::GET, &path, None, REQUEST_DEADLINE)
            .await
    }

    /// The kept events numbered after `query.after` that its kinds and
    /// plugin pass.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; an unknown kind is [`ClientError::Failed`] with one
    /// line.
    pub async fn events(&self, query: &EventsQuery) -> Result<EventsReply, ClientError> {
        let path = self.with_query(route::EVENTS, query)?;
        self.request::<(), _>(Method::GET, &path, None, REQUEST_DEADLINE)
            .await
    }

    /// `path?query`, the query in URL form.
    pub(super) fn with_query<Q: Serialize>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<String, ClientError> {
        let query = serde_urlencoded::to_string(query)
            .map_err(|err| self.transport(&format!("cannot encode the query: {err}")))?;
        Ok(format!("{path}?{query}"))
    }

    /// Run task `plugin` on `input` (under `supervisor` if given) and wait
    /// up to `timeout` for its result.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; [`ClientError::Failed`] carries why (the task
    /// failed or crashed, timed out, or its plugin does not load).
    pub async fn task(
        &self,
        plugin: &str,
        input: Value,
        supervisor: Option<&str>,
        timeout: Duration,
    ) -> Result<TaskReply, ClientError> {
        let body = TaskRequest {
            plugin: plugin.to_string(),
            input,
            supervisor: supervisor.map(str::to_string),
            timeout_ms: millis(timeout),
        };
        self.request(
            Method::POST,
            route::TASK,
            Some(&body),
            timeout.saturating_add(DEADLINE_SLACK),
        )
        .await
    }

    /// Start a child of `supervisor` from a JSON child spec; its pid (None
    /// if its init returned ignore).
    ///
    /// # Errors
    ///
    /// [`ClientError`]; [`ClientError::Failed`] carries the supervisor's
    /// refusal (`max_children reached (2)`, `failed to start child: …`).
    pub async fn start_child(
        &self,
        supervisor: &str,
        spec: Value,
    ) -> Result<Option<u64>, ClientError> {
        let body = StartChildRequest {
            supervisor: supervisor.to_string(),
            spec,
        };
        let reply: StartChildReply = self
            .request(
                Method::POST,
                route::START_CHILD,
                Some(&body),
                REQUEST_DEADLINE,
            )
            .await?;
        Ok(reply.pid)
    }

    /// Stop child `pid` of `supervisor`.
    ///
    /// # Errors
    ///
    /// [`ClientError`], e.g. no such child.
    pub async fn terminate_child(&self, supervisor: &str, pid: u64) -> Result<(), ClientError> {
        self.terminate(supervisor, Some(pid), None).await
    }

    /// Stop the child `id` of a static supervisor, keeping its spec.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; `no child with id 'x'` if there is none.
    pub async fn terminate_child_by_id(
        &self,
        supervisor: &str,
        id: &str,
    ) -> Result<(), ClientError> {
        self.terminate(supervisor, None, Some(id.to_string())).await
    }

    /// Start again the stopped child `id` of a static supervisor: its pid,
    /// or none if its start returned ignore.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; `child 'x' is running`, `… is restarting`, `no
    /// child with id 'x'`, or why its start failed.
    pub async fn restart_child(
        &self,
        supervisor: &str,
        id: &str,
    ) -> Result<Option<u64>, ClientError> {
        let body = ChildIdRequest {
            supervisor: supervisor.to_string(),
            id: id.to_string(),
        };
        let reply: StartChildReply = self
            .request(
                Method::POST,
                route::RESTART_CHILD,
                Some(&body),
                REQUEST_DEADLINE,
            )
            .await?;
        Ok(reply.pid)
    }

    /// Forget the stopped child `id` of a static supervisor.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; `child 'x' is running`, `… is restarting`, `no
    /// child with id 'x'`.
    pub async fn delete_child(&self, supervisor: &str, id: &str) -> Result<(), ClientError> {
        let body = ChildIdRequest {
            supervisor: supervisor.to_string(),
            id: id.to_string(),
        };
        let _: Ack = self
            .request(
                Method::POST,
                route::DELETE_CHILD,
                Some(&body),
                REQUEST_DEADLINE,
            )
            .await?;
        Ok(())
    }

    async fn terminate(
        &self,
        supervisor: &str,
        pid: Option<u64>,
        id: Option<String>,
    ) -> Result<(), ClientError> {
        let body = TerminateChildRequest {
            supervisor: supervisor.to_string(),
            pid,
            id,
        };
        let _: Ack = self
            .request(
                Method::POST,
                route::TERMINATE_CHILD,
                Some(&body),
                REQUEST_DEADLINE,
            )
            .await?;
        Ok(())
    }

    /// `which_children` (`children = false`) or `count_children` of
    /// `supervisor`, as the host's JSON.
    ///
    /// # Errors
    ///
    /// [`ClientError`], e.g. no such supervisor.
    pub async fn children(&self, supervisor: &str, counts: bool) -> Result<Value, ClientError> {
        self.children_page(supervisor, counts, None).await
    }

    /// [`children`](Self::children), for `which_children` a `page` of
    /// them: (offset, limit).
    ///
    /// # Errors
    ///
    /// [`ClientError`], e.g. no such supervisor.
    pub async fn children_page(
        &self,
        supervisor: &str,
        counts: bool,
        page: Option<(usize, usize)>,
    ) -> Result<Value, ClientError> {
        let body = SupervisorRequest {
            supervisor: supervisor.to_string(),
            offset: page.map(|(offset, _)| offset),
            limit: page.map(|(_, limit)| limit),
        };
        let path = if counts {
            route::COUNT_CHILDREN
        } else {
            route::WHICH_CHILDREN
        };
        self.request(Method::POST, path, Some(&body), REQUEST_DEADLINE)
            .await
    }

    /// Whether a host still answers on the socket: false once it has
    /// closed its listener or removed the file.
    pub async fn answers(&self) -> bool {
        UnixStream::connect(&self.socket).await.is_ok()
    }

    async fn message(&self, path: &str, target: &str, msg: Value) -> Result<(), ClientError> {
        let body = MessageRequest {
            target: target.to_string(),
            msg,
        };
        let _: Ack = self
            .request(Method::POST, path, Some(&body), REQUEST_DEADLINE)
            .await?;
        Ok(())
    }

    /// One request on a fresh connection, with a deadline for all of it.
    pub(super) async fn request<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        deadline: Duration,
    ) -> Result<R, ClientError> {
        let exchange = self.exchange(method, path, body);
        let (status, bytes) = tokio::time::timeout(deadline, exchange)
            .await
            .map_err(|_| ClientError::NoAnswer { after: deadline })??;
        if !status.is_success() {
            let message = match serde_json::from_slice::<ErrorReply>(&bytes) {
                Ok(reply) => reply.error,
                Err(_) => format!("the host answered {status}"),
            };
            return Err(ClientError::Failed { status, message });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer(e.to_string()))
    }

    async fn exchange<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let response = self.open(method, path, body).await?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| self.transport(&e))?
            .to_bytes();
        Ok((status, bytes))
    }

    /// A transport failure on this client's socket.
    pub(super) fn transport(&self, e: &dyn std::fmt::Display) -> ClientError {
        ClientError::Transport {
            path: self.socket.clone(),
            message: e.to_string(),
        }
    }

    /// Send one request on a fresh connection; the response, its body not
    /// yet read.
    pub(super) async fn open<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, ClientError> {
        let stream =
            UnixStream::connect(&self.socket)
                .await
                .map_err(|source| match source.kind() {
                    io::ErrorKind::NotFound => ClientError::NoSocket {
                        path: self.socket.clone(),
                    },
                    _ => ClientError::Connect {
                        path: self.socket.clone(),
                        source,
                    },
                })?;
        let transport = |e: &dyn std::fmt::Display| self.transport(e);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| transport(&e))?;
        // The connection is driven on its own task and ends when the
        // response has been read and `sender` is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let body = match body {
            Some(body) => serde_json::to_vec(body).map_err(|e| transport(&e))?,
            None => Vec::new(),
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, "overseer")
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| transport(&e))?;
        sender
            .send_request(request)
            .await
            .map_err(|e| transport(&e))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

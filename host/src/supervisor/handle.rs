//! A running supervisor's public face: each method sends one request to
//! the supervisor's task and waits for its answer.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::error::{ChildError, NoSupervisor};
use super::info::{ChildCount, ChildInfo, ChildPage, Page};
use super::intensity::IntensityFill;
use super::spec::ChildSpec;
use super::spec_change::SpecChange;
use crate::process::Pid;

/// What a supervisor's task is asked to do. Every kind of supervisor
/// answers every request (a pool refuses to start children it was not
/// asked for).
pub(super) enum Request {
    WhichChildren(Page, oneshot::Sender<ChildPage>),
    CountChildren(oneshot::Sender<ChildCount>),
    /// How full its restart window is.
    Intensity(oneshot::Sender<IntensityFill>),
    /// The child running as this pid, if one does.
    ChildOf(Pid, oneshot::Sender<Option<ChildInfo>>),
    /// Stop all children, then exit with `shutdown`.
    Shutdown(oneshot::Sender<()>),
    /// Add a child and start it.
    StartChild(ChildSpec, oneshot::Sender<Result<Option<Pid>, ChildError>>),
    /// Stop a child and forget it.
    TerminateChild(Pid, oneshot::Sender<Result<(), ChildError>>),
    /// Stop, restart or delete a static supervisor's child by id.
    ById(
        ById,
        String,
        oneshot::Sender<Result<Option<Pid>, ChildError>>,
    ),
    /// Change a static supervisor's spec.
    ChangeSpec(SpecChange, oneshot::Sender<Result<Option<Pid>, ChildError>>),
}

/// What to do with a child named by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ById {
    /// `terminate_child(Sup, Id)`.
    Terminate,
    /// `restart_child(Sup, Id)`.
    Restart,
    /// `delete_child(Sup, Id)`.
    Delete,
}

/// Which state machine runs behind a [`SupervisorRef`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisorKind {
    /// A supervisor with a static child list and a strategy.
    Static,
    /// A DynamicSupervisor (or Task.Supervisor).
    Dynamic,
    /// A worker pool.
    Pool,
}

/// A handle to a running supervisor. Cheap to clone.
#[derive(Clone)]
pub struct SupervisorRef {
    pid: Pid,
    id: Arc<str>,
    kind: SupervisorKind,
    requests: mpsc::UnboundedSender<Request>,
}

impl std::fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisorRef")
            .field("pid", &self.pid)
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish()
    }
}

impl SupervisorRef {
    pub(super) fn new(
        pid: Pid,
        id: &str,
        kind: SupervisorKind,
        requests: mpsc::UnboundedSender<Request>,
    ) -> Self {
        SupervisorRef {
            pid,
            id: id.into(),
            kind,
            requests,
        }
    }

    /// Its pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Static, dynamic, or a pool.
    pub fn kind(&self) -> SupervisorKind {
        self.kind
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Request,
    ) -> Result<T, NoSupervisor> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(make(tx))
            .map_err(|_| NoSupervisor(self.pid))?;
        rx.await.map_err(|_| NoSupervisor(self.pid))
    }

    /// The children: a static supervisor's in start order, a dynamic one's
    /// by pid.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, NoSupervisor> {
        Ok(self.which_children_page(Page::ALL).await?.children)
    }

    /// How full its restart-intensity window is now.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn intensity(&self) -> Result<IntensityFill, NoSupervisor> {
        self.ask(Request::Intensity).await
    }

    /// The child running as `pid`, as [`which_children`](Self::which_children)
    /// would list it (its restarts, its status), without listing the rest.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn child_of(&self, pid: Pid) -> Result<Option<ChildInfo>, NoSupervisor> {
        self.ask(|tx| Request::ChildOf(pid, tx)).await
    }

    /// A page of [`which_children`](Self::which_children), and how many
    /// children there are in all: bounded work for the supervisor however
    /// many children it has.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn which_children_page(&self, page: Page) -> Result<ChildPage, NoSupervisor> {
        self.ask(|tx| Request::WhichChildren(page, tx)).await
    }

    /// Counts of its children.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it has exited.
    pub async fn count_children(&self) -> Result<ChildCount, NoSupervisor> {
        self.ask(Request::CountChildren).await
    }

    /// Stop its children (in reverse order; a dynamic supervisor's all at
    /// once), then the supervisor itself. Returns when all have exited.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if it had already exited.
    pub async fn shutdown(&self) -> Result<(), NoSupervisor> {
        self.ask(Request::Shutdown).await
    }

    /// Ask it to shut down without waiting for it (a parent stopping a
    /// child supervisor watches for its exit notice instead).
    pub(super) fn shutdown_now(&self) {
        let (tx, _rx) = oneshot::channel();
        let _ = self.requests.send(Request::Shutdown(tx));
    }

    /// Add a child and start it (`DynamicSupervisor.start_child`, or
    /// `supervisor:start_child` on a static one). Returns its pid, or None
    /// if its init returned ignore. Returns once the child's init has
    /// returned.
    ///
    /// # Errors
    ///
    /// [`ChildError`]: `max_children`, a duplicate id on a static
    /// supervisor, a failed start, or a supervisor that is gone.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        self.ask(|reply| Request::StartChild(spec, reply)).await?
    }

    /// Stop child `pid` as a shutdown would (its `shutdown` time, then a
    /// kill) and forget it (`DynamicSupervisor.terminate_child`; a static
    /// supervisor keeps a permanent or transient child's spec, stopped).
    ///
    /// # Errors
    ///
    /// [`ChildError::NotFound`] if no child has this pid.
    pub async fn terminate_child(&self, pid: Pid) -> Result<(), ChildError> {
        self.ask(|reply| Request::TerminateChild(pid, reply))
            .await?
    }

    /// Stop the child `id` of a static supervisor and keep its spec (a
    /// temporary child's is forgotten), as OTP's `terminate_child(Sup,
    /// Id)`. A child being restarted is stopped too.
    ///
    /// # Errors
    ///
    /// [`ChildError::NoSuchId`]; [`ChildError::NotSupported`] from a
    /// DynamicSupervisor or a pool, whose children have no ids.
    pub async fn terminate_child_by_id(&self, id: &str) -> Result<(), ChildError> {
        self.by_id(ById::Terminate, id).await.map(|_| ())
    }

    /// Start again the stopped child `id` of a static supervisor, as OTP's
    /// `restart_child`: its pid, or none if its start returned ignore.
    ///
    /// # Errors
    ///
    /// [`ChildError::Running`], [`ChildError::Restarting`],
    /// [`ChildError::NoSuchId`], [`ChildError::StartFailed`] (the child
    /// stays stopped).
    pub async fn restart_child(&self, id: &str) -> Result<Option<Pid>, ChildError> {
        self.by_id(ById::Restart, id).await
    }

    /// Forget the stopped child `id` of a static supervisor, as OTP's
    /// `delete_child`.
    ///
    /// # Errors
    ///
    /// [`ChildError::Running`], [`ChildError::Restarting`],
    /// [`ChildError::NoSuchId`].
    pub async fn delete_child(&self, id: &str) -> Result<(), ChildError> {
        self.by_id(ById::Delete, id).await.map(|_| ())
    }

    /// Change a static supervisor's own spec while it runs (see
    /// [`SpecChange`]): the pid of the child it started, if it started one.
    ///
    /// # Errors
    ///
    /// [`ChildError::NoSuchId`], [`ChildError::AlreadyPresent`],
    /// [`ChildError::StartFailed`] (the child is not kept, or its old spec
    /// is back); [`ChildError::NotSupported`] from a DynamicSupervisor or a
    /// pool, whose specs are not a list of children.
    pub async fn change_spec(&self, change: SpecChange) -> Result<Option<Pid>, ChildError> {
        self.ask(|reply| Request::ChangeSpec(change, reply)).await?
    }

    async fn by_id(&self, what: ById, id: &str) -> Result<Option<Pid>, ChildError> {
        self.ask(|reply| Request::ById(what, id.to_string(), reply))
            .await?
    }
}

//! A static supervisor changing its own spec while it runs (see
//! [`SpecChange`]).

use std::time::Duration;

use super::{Child, StaticSup};
use crate::process::Pid;
use crate::supervisor::error::ChildError;
use crate::supervisor::info::ChildStatus;
use crate::supervisor::spec::ChildSpec;
use crate::supervisor::spec_change::SpecChange;

impl StaticSup {
    /// Make `change`; the pid of the child started, if one was.
    pub(super) async fn change_spec(
        &mut self,
        change: SpecChange,
    ) -> Result<Option<Pid>, ChildError> {
        match change {
            SpecChange::Flags(flags) => {
                self.strategy = flags.strategy;
                self.intensity.set_limits(
                    flags.max_restarts,
                    Duration::from_secs(u64::from(flags.max_seconds)),
                );
                Ok(None)
            }
            SpecChange::Insert { after, spec } => self.insert_child(after.as_deref(), spec).await,
            SpecChange::Update {
                id,
                restart,
                shutdown,
            } => {
                let j = self.existing(&id)?;
                let child = &mut self.children[j];
                child.spec.restart = restart;
                child.spec.shutdown = shutdown;
                Ok(child.running.as_ref().map(|r| r.pid))
            }
            SpecChange::Replace(spec) => self.replace_child(spec).await,
            SpecChange::Remove(id) => {
                let j = self.existing(&id)?;
                self.shutdown_child(j).await;
                self.children.remove(j);
                Ok(None)
            }
        }
    }

    fn existing(&self, id: &str) -> Result<usize, ChildError> {
        self.index_of(id)
            .ok_or_else(|| ChildError::NoSuchId(id.to_string()))
    }

    /// Add `spec` after sibling `after` and start it; not kept if it fails.
    async fn insert_child(
        &mut self,
        after: Option<&str>,
        spec: ChildSpec,
    ) -> Result<Option<Pid>, ChildError> {
        if self.index_of(&spec.id).is_some() {
            return Err(ChildError::AlreadyPresent(spec.id));
        }
        let at = match after {
            Some(id) => self.existing(id)? + 1,
            None => 0,
        };
        let row = self.row(spec);
        self.children.insert(at, row);
        self.start_kept(at).await.inspect_err(|_| {
            self.children.remove(at);
        })
    }

    /// Stop child `spec.id`, start `spec` in its place; on a failed start,
    /// the old spec goes back and is started again.
    async fn replace_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        let j = self.existing(&spec.id)?;
        self.shutdown_child(j).await;
        let old = std::mem::replace(&mut self.children[j].spec, spec);
        self.children[j].status = ChildStatus::Undefined;
        match self.start_kept(j).await {
            Ok(pid) => Ok(pid),
            Err(err) => {
                self.children[j].spec = old;
                if self.start_kept(j).await.is_err() {
                    // Neither build starts: the row stays, stopped, for
                    // `restart_child` to try again.
                    self.children[j].status = ChildStatus::Stopped;
                }
                Err(err)
            }
        }
    }

    /// Start child `j`; an ignored temporary one is dropped. Its pid.
    pub(super) async fn start_kept(&mut self, j: usize) -> Result<Option<Pid>, ChildError> {
        match self.start_child(j).await {
            Ok(keep) => {
                let pid = self.children[j].running.as_ref().map(|r| r.pid);
                if !keep {
                    self.children.remove(j);
                }
                Ok(pid)
            }
            Err(reason) => Err(ChildError::StartFailed(reason)),
        }
    }

    /// A new row of the child table for `spec`, stopped.
    pub(super) fn row(&mut self, spec: ChildSpec) -> Child {
        self.next_key += 1;
        Child {
            key: self.next_key,
            spec,
            running: None,
            status: ChildStatus::Undefined,
            restarts: 0,
        }
    }
}

//! A task as a process: one run of a `task` component, with a pid, exit
//! notices, monitors and links like any process, and its outcome sent to
//! whoever awaits it.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::mailbox::mailbox;

use super::process_host::ProcessHost;
use super::spawn::ExitGuard;
use super::table::{Entry, Processes, Shared};
use super::{Event, ExitReason, ExitSender, Pid, SpawnError, TaskOutcome};
use crate::runtime::TaskPlugin;
use crate::sandbox::{Limits, Policy};

/// One run of a task: what to run, on what, under which policy.
#[derive(Clone)]
pub struct TaskSpec {
    /// The task build.
    pub plugin: Arc<TaskPlugin>,
    /// Its input (JSON).
    pub input: Vec<u8>,
    /// What the task plugin may do beyond its own process.
    pub policy: Arc<Policy>,
    /// The process that asked for it (a guest's `task-async`), if one did.
    pub owner: Option<Pid>,
    /// A process to link it to before it runs (Elixir's `async`).
    pub link: Option<Pid>,
    /// Its sandbox limits.
    pub limits: Limits,
}

impl Processes {
    /// Start one run of `spec.plugin` on `spec.input`, as a process.
    /// Returns its pid at once; the outcome goes to `result` (if any) when
    /// it ends, and every sender in `watchers` gets its exit notice:
    /// `normal` on success, `error(<reason>)` when `run` fails, the crash
    /// reason when it traps.
    ///
    /// # Errors
    ///
    /// [`SpawnError::TooManyProcesses`].
    pub fn spawn_task(
        &self,
        spec: TaskSpec,
        parent: Option<Pid>,
        watchers: Vec<ExitSender>,
        result: Option<oneshot::Sender<TaskOutcome>>,
    ) -> Result<Pid, SpawnError> {
        let TaskSpec {
            plugin,
            input,
            policy,
            owner,
            link,
            limits,
        } = spec;
        self.reserve(limits.memory_bytes)?;
        let pid = self.alloc_pid();
        let shared = Arc::new(Shared {
            plugin: plugin.name().to_string(),
            policy,
            group: self.group_of(parent, owner),
            owner,
            parent,
            limits,
            ..Shared::new(pid, plugin.name())
        });
        self.own(&shared);
        // A task takes no messages; the mailbox is there so that its pid
        // resolves like any process's.
        let (tx, mailbox) = mailbox(&shared.policy.quotas);
        self.inner.entries.insert(
            pid,
            Entry {
                mailbox: Some(tx.clone()),
                shared: shared.clone(),
            },
        );
        if let Some(caller) = link {
            // Before the task runs, so that even an instant crash reaches
            // the caller. A caller that is gone already is no link.
            let _ = self.link(caller, pid);
        }
        let host = ProcessHost::new(self.clone(), shared.clone(), tx);
        let guard = ExitGuard::new(self.clone(), shared.clone(), watchers);
        let processes = self.clone();
        let wasi = shared.policy.wasi.clone();
        let task = tokio::spawn(async move {
            let mut guard = guard;
            let _mailbox = mailbox;
            let outcome = plugin.run(Box::new(host), &limits, &wasi, &input).await;
            let (reason, outcome) = match outcome {
                Ok(Ok(output)) => (ExitReason::Normal, Ok(output)),
                Ok(Err(message)) => {
                    let reason = ExitReason::Error(message);
                    (reason.clone(), Err(reason))
                }
                Err(crash) => {
                    processes.report_crash_at(&guard.shared(), &crash, "task", &input);
                    let reason = ExitReason::Crash(crash.cause);
                    (reason.clone(), Err(reason))
                }
            };
            if let Some(result) = result {
                let _ = result.send(outcome);
            }
            guard.set_reason(reason);
        });
        let _ = shared.abort.set(task.abort_handle());
        self.inner.events.publish(Event::ProcessStarted {
            pid,
            id: shared.id.clone(),
            plugin: shared.plugin.clone(),
            vsn: String::new(),
        });
        Ok(pid)
    }
}

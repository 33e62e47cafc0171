//! A task as a process: one run of a `task` component, with a pid, exit
//! notices, monitors and links like any process, and its outcome sent to
//! whoever awaits it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, oneshot};

use super::host_calls::ProcessHost;
use super::node::{ExitGuard, Node, Shared};
use super::{Event, ExitReason, ExitSender, Pid, SpawnError};
use crate::runtime::{Crash, TaskPlugin};
use crate::sandbox::Limits;

/// What a task came to: its output (JSON), or why it has none (its own
/// error as `error(…)`, or a crash).
pub type TaskOutcome = Result<Vec<u8>, ExitReason>;

impl Node {
    /// Start one run of `plugin` on `input`, as a process. Returns its pid at
    /// once; the outcome goes to `result` (if any) when it ends, and every
    /// sender in `watchers` gets its exit notice: `normal` on success,
    /// `error(<reason>)` when `run` fails, the crash reason when it traps.
    ///
    /// # Errors
    ///
    /// [`SpawnError::TooManyProcesses`].
    pub fn spawn_task(
        &self,
        plugin: Arc<TaskPlugin>,
        input: Vec<u8>,
        parent: Option<Pid>,
        watchers: Vec<ExitSender>,
        result: Option<oneshot::Sender<TaskOutcome>>,
        link: Option<Pid>,
    ) -> Result<Pid, SpawnError> {
        let max = self.runtime().config().max_processes;
        if self.inner.live.fetch_add(1, Ordering::Relaxed) >= max as usize {
            self.inner.live.fetch_sub(1, Ordering::Relaxed);
            return Err(SpawnError::TooManyProcesses(max));
        }
        let pid = self.alloc_pid();
        let shared = Arc::new(Shared {
            plugin: plugin.name().to_string(),
            parent,
            ..Shared::new(pid, plugin.name())
        });
        // A task takes no messages; the mailbox is there so that its pid
        // resolves like any process's.
        let (tx, mailbox) = mpsc::unbounded_channel();
        self.insert_process(pid, tx.clone(), shared.clone());
        if let Some(caller) = link {
            // Before the task runs, so that even an instant crash reaches
            // the caller. A caller that is gone already is no link.
            let _ = self.link(caller, pid);
        }
        let host = ProcessHost::new(self.clone(), shared.clone(), tx);
        let guard = ExitGuard::new(self.clone(), shared.clone(), watchers);
        let node = self.clone();
        let task = tokio::spawn(async move {
            let mut guard = guard;
            let _mailbox = mailbox;
            let outcome = plugin.run(Box::new(host), &Limits::default(), &input).await;
            let (reason, outcome) = match outcome {
                Ok(Ok(output)) => (ExitReason::Normal, Ok(output)),
                Ok(Err(message)) => {
                    let reason = ExitReason::Error(message);
                    (reason.clone(), Err(reason))
                }
                Err(crash) => {
                    node.report_task_crash(&guard_shared(&guard), &crash, &input);
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

    fn report_task_crash(&self, shared: &Shared, crash: &Crash, input: &[u8]) {
        self.inner.events.publish(Event::CrashReport {
            pid: shared.pid,
            id: shared.id.clone(),
            plugin: shared.plugin.clone(),
            vsn: String::new(),
            reason: ExitReason::Crash(crash.cause.clone()),
            backtrace: crash.backtrace.clone(),
            message: Some(super::server::describe("task", input)),
            output: crash.output.clone(),
        });
    }

    /// The task build called `name`, loaded from the plugin folder (as
    /// `NAME.wasm`) on first use.
    ///
    /// # Errors
    ///
    /// A [`PluginError`](crate::runtime::PluginError) naming the file.
    pub async fn task_plugin(
        &self,
        name: &str,
    ) -> Result<Arc<TaskPlugin>, crate::runtime::PluginError> {
        if let Some(plugin) = self.inner.tasks.get(name) {
            return Ok(plugin.clone());
        }
        let path = self.plugins_dir().join(format!("{name}.wasm"));
        let plugin = TaskPlugin::load(self.runtime(), &path).await?;
        self.inner.tasks.insert(name.to_string(), plugin.clone());
        Ok(plugin)
    }
}

fn guard_shared(guard: &ExitGuard) -> Arc<Shared> {
    guard.shared()
}

//! Start functions that run wasm: a GenServer process from a plugin, one
//! run of a task (OTP's `{M, F, A}` for a plugin).

use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::oneshot;

use crate::process::NameError;
use crate::process::{ProcessSpec, Processes, Spawned, TaskOutcome, TaskSpec};
use crate::runtime::PluginError;
use crate::supervisor::{
    BoxFuture, ChildSpec, ChildType, ProcessControl, Restart, RunningChild, Shutdown, StartChild,
    StartChildError, StartContext, Started,
};

/// A child spec that cannot run on this host.
#[derive(Debug, thiserror::Error)]
pub enum ChildSpecError {
    /// Its plugin did not load.
    #[error("plugin '{plugin}': {source}")]
    Plugin {
        /// The plugin, as the spec names it.
        plugin: String,
        /// Why.
        source: PluginError,
    },
    /// It asks for more memory than the host allows any process.
    #[error("child '{id}': memory limit {asked} bytes exceeds the host's maximum of {max} bytes")]
    Limit {
        /// The child.
        id: String,
        /// Its limit.
        asked: u64,
        /// The host's.
        max: u64,
    },
    /// It asks for a longer CPU deadline than the host allows any callback.
    #[error("child '{id}': cpu deadline {asked_ms} ms exceeds the host's maximum of {max_ms} ms")]
    CpuLimit {
        /// The child.
        id: String,
        /// Its deadline, in ms.
        asked_ms: u128,
        /// The host's, in ms.
        max_ms: u128,
    },
    /// A guest asked for a name it may not have.
    #[error(transparent)]
    Name(#[from] NameError),
}

/// Why a start function could not merge its supervisor's extra args.
#[derive(Debug, thiserror::Error)]
#[error("args must be an object to take the supervisor's extra_args, found {0}")]
pub struct ArgsError(String);

/// Starts a GenServer process from a [`ProcessSpec`].
pub struct WorkerStart {
    processes: Processes,
    /// Shared with every start it makes: a restart copies the spec only
    /// when its supervisor adds extra args.
    spec: Arc<ProcessSpec>,
}

impl WorkerStart {
    /// A start function for `spec` on `processes`.
    pub fn new(processes: Processes, spec: ProcessSpec) -> Arc<Self> {
        Arc::new(WorkerStart {
            processes,
            spec: Arc::new(spec),
        })
    }
}

impl StartChild for WorkerStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>> {
        let processes = self.processes.clone();
        let mut spec = self.spec.clone();
        Box::pin(async move {
            if let Some(extra) = &ctx.extra_args {
                let args = merge_args(&spec.args, extra).map_err(StartChildError::other)?;
                Arc::make_mut(&mut spec).args = args;
            }
            match processes
                .spawn(&spec, Some(ctx.parent), vec![ctx.exits])
                .await?
            {
                Spawned::Started(pid) => Ok(Started::Running(RunningChild {
                    pid,
                    control: ProcessControl::new(processes, pid),
                })),
                Spawned::Ignored => Ok(Started::Ignore),
            }
        })
    }
}

/// Elixir's `extra_arguments`, for JSON args: the supervisor's object with
/// the child's own keys over it.
fn merge_args(args: &[u8], extra: &[u8]) -> Result<Vec<u8>, ArgsError> {
    let Ok(Value::Object(mut merged)) = serde_json::from_slice::<Value>(extra) else {
        return Ok(args.to_vec());
    };
    match serde_json::from_slice::<Value>(args) {
        Ok(Value::Null) => {}
        Ok(Value::Object(own)) => merged.extend(own),
        Ok(other) => return Err(ArgsError(other.to_string())),
        Err(_) => return Err(ArgsError(String::from_utf8_lossy(args).into_owned())),
    }
    Ok(Value::Object(merged).to_string().into_bytes())
}

/// Starts one run of a task (Task.Supervisor's children). The first start's
/// outcome goes to whoever awaits it; a restarted task (restart permanent or
/// transient) reports to no one.
pub struct TaskStart {
    processes: Processes,
    spec: TaskSpec,
    result: Mutex<Option<oneshot::Sender<TaskOutcome>>>,
}

impl TaskStart {
    /// A start function for task `spec`, reporting to `result` (the first
    /// run only).
    pub fn new(
        processes: Processes,
        spec: TaskSpec,
        result: Option<oneshot::Sender<TaskOutcome>>,
    ) -> Arc<Self> {
        Arc::new(TaskStart {
            processes,
            spec,
            result: Mutex::new(result),
        })
    }

    /// A temporary child running this task, stopped within 5 s.
    pub fn child_spec(self: Arc<Self>) -> ChildSpec {
        ChildSpec {
            id: self.spec.plugin.name().to_string(),
            start: self,
            restart: Restart::Temporary,
            shutdown: Shutdown::WORKER_DEFAULT,
            child_type: ChildType::Worker,
        }
    }
}

impl StartChild for TaskStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>> {
        let result = self.result.lock().unwrap_or_else(|p| p.into_inner()).take();
        let spawned =
            self.processes
                .spawn_task(self.spec.clone(), Some(ctx.parent), vec![ctx.exits], result);
        let processes = self.processes.clone();
        Box::pin(async move {
            let pid = spawned?;
            Ok(Started::Running(RunningChild {
                pid,
                control: ProcessControl::new(processes, pid),
            }))
        })
    }
}

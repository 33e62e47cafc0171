//! A supervisor reached through JSON: how guests (the `start-child`
//! import) and the control API manage children without the library's
//! types.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    ChildSpec, ChildType, DEFAULT_WORKER_SHUTDOWN, Restart, Shutdown, SupervisorRef,
    SupervisorSpec, WorkerStart,
};
use tokio::sync::oneshot;

use super::child::TaskStart;
use crate::process::{
    HandleFuture, Node, Pid, ProcessSpec, SupervisorHandle, TaskOutcome, ViaName,
};
use crate::runtime::TaskPlugin;
use crate::sandbox::Limits;

/// A child spec as JSON: `{"plugin": "counter", "args": {...}, "id": "c1",
/// "name": "c1", "via": {"registry": "r", "key": "k", "value": …},
/// "restart": "transient", "shutdown": 1000 | "brutal_kill" |
/// "infinity", "limits": {"memory_mb": 16, "cpu_ms": 500}}`. Only `plugin`
/// is required: a plugin the host has loaded, named without `.wasm`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonChildSpec {
    plugin: String,
    #[serde(default)]
    args: Value,
    id: Option<String>,
    name: Option<String>,
    via: Option<ViaName>,
    #[serde(default)]
    restart: Restart,
    shutdown: Option<Value>,
    limits: Option<JsonLimits>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLimits {
    memory_mb: Option<u64>,
    cpu_ms: Option<u64>,
}

/// Build a worker's [`ChildSpec`] from a JSON child spec (see the control
/// API's `start_child`), with `extra_args` merged into its init args (the
/// spec's own keys win).
///
/// # Errors
///
/// One line that names the problem: JSON that is not a child spec, an
/// plugin that is neither loaded nor in the plugin folder, args that are
/// not an object when there are extra args,
/// a bad shutdown value.
pub async fn child_spec_from_json(
    node: &Node,
    spec: Value,
    extra_args: &Map<String, Value>,
) -> Result<ChildSpec, String> {
    let spec: JsonChildSpec =
        serde_json::from_value(spec).map_err(|e| format!("invalid child spec: {e}"))?;
    let name = spec.plugin.trim_end_matches(".wasm");
    let plugin = node
        .plugin_or_load(name)
        .await
        .map_err(|e| format!("invalid child spec: plugin '{name}': {e}"))?;
    let args = merge_args(spec.args, extra_args)?;
    let shutdown = match spec.shutdown {
        None => Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN),
        Some(Value::Number(ms)) if ms.as_u64().is_some() => {
            Shutdown::Timeout(Duration::from_millis(ms.as_u64().unwrap_or_default()))
        }
        Some(Value::String(word)) if word == "brutal_kill" => Shutdown::BrutalKill,
        Some(Value::String(word)) if word == "infinity" => Shutdown::Infinity,
        Some(other) => {
            return Err(format!(
                "invalid child spec: shutdown: expected milliseconds ≥ 0, \"brutal_kill\" or \"infinity\", found {other}"
            ));
        }
    };
    let mut limits = Limits::default();
    if let Some(asked) = spec.limits {
        if let Some(mb) = asked.memory_mb {
            limits.memory_bytes = mb << 20;
        }
        if let Some(ms) = asked.cpu_ms {
            limits.cpu_deadline = Duration::from_millis(ms);
        }
    }
    let max = node.runtime().config().max_memory_bytes;
    if limits.memory_bytes > max {
        return Err(format!(
            "invalid child spec: memory limit {} bytes exceeds the host's maximum of {max} bytes",
            limits.memory_bytes
        ));
    }
    let id = spec.id.unwrap_or_else(|| name.to_string());
    let process = ProcessSpec {
        id: id.clone(),
        plugin,
        args: args.to_string().into_bytes(),
        name: spec.name,
        via: spec.via,
        limits,
    };
    Ok(ChildSpec {
        id,
        start: WorkerStart::new(node.clone(), process),
        restart: spec.restart,
        shutdown,
        child_type: ChildType::Worker,
    })
}

fn merge_args(args: Value, extra: &Map<String, Value>) -> Result<Value, String> {
    if extra.is_empty() {
        return Ok(args);
    }
    let mut merged = extra.clone();
    match args {
        Value::Null => {}
        Value::Object(own) => merged.extend(own),
        other => {
            return Err(format!(
                "invalid child spec: args must be an object to take the supervisor's extra_args, found {other}"
            ));
        }
    }
    Ok(Value::Object(merged))
}

/// The [`SupervisorHandle`] of one supervisor.
pub(crate) struct JsonControl {
    node: Node,
    sup: SupervisorRef,
    extra_args: Arc<Map<String, Value>>,
}

impl JsonControl {
    pub(crate) fn new(node: Node, sup: SupervisorRef, spec: &SupervisorSpec) -> Self {
        JsonControl {
            node,
            sup,
            extra_args: Arc::new(spec.extra_args.clone()),
        }
    }
}

impl SupervisorHandle for JsonControl {
    fn start_child(&self, spec: Value) -> HandleFuture<Option<Pid>> {
        let node = self.node.clone();
        let extra = self.extra_args.clone();
        let sup = self.sup.clone();
        Box::pin(async move {
            let spec = child_spec_from_json(&node, spec, &extra).await?;
            sup.start_child(spec).await.map_err(|e| e.to_string())
        })
    }

    fn terminate_child(&self, pid: Pid) -> HandleFuture<()> {
        let sup = self.sup.clone();
        Box::pin(async move { sup.terminate_child(pid).await.map_err(|e| e.to_string()) })
    }

    fn which_children(&self) -> HandleFuture<Value> {
        let sup = self.sup.clone();
        Box::pin(async move {
            let children = sup.which_children().await.map_err(|e| e.to_string())?;
            Ok(Value::Array(
                children
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "pid": c.pid.map(|p| p.0),
                            "type": c.child_type,
                            "status": c.status,
                            "restarts": c.restarts,
                        })
                    })
                    .collect(),
            ))
        })
    }

    fn start_task(
        &self,
        plugin: Arc<TaskPlugin>,
        input: Vec<u8>,
        result: Option<oneshot::Sender<TaskOutcome>>,
        link: Option<Pid>,
    ) -> HandleFuture<Pid> {
        let spec = ChildSpec {
            id: plugin.name().to_string(),
            start: TaskStart::new(self.node.clone(), plugin, input, result, link),
            restart: Restart::Temporary,
            shutdown: Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN),
            child_type: ChildType::Worker,
        };
        let sup = self.sup.clone();
        Box::pin(async move {
            match sup.start_child(spec).await {
                Ok(Some(pid)) => Ok(pid),
                Ok(None) => Err("the task did not start".into()),
                Err(err) => Err(err.to_string()),
            }
        })
    }

    fn count_children(&self) -> HandleFuture<Value> {
        let sup = self.sup.clone();
        Box::pin(async move {
            let count = sup.count_children().await.map_err(|e| e.to_string())?;
            serde_json::to_value(count).map_err(|e| e.to_string())
        })
    }
}

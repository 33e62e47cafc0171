//! The child spec, as users write it: one type, read from a manifest's
//! `[[supervisor.children]]` (TOML) and from `start-child` (JSON, from the
//! CLI, the control API and guests) by the same code, checked by the same
//! rules, with the field path in every error.
//!
//! ```text
//! { "plugin": "counter", "id": "c1", "name": "c1", "args": {...},
//!   "via": {"registry": "r", "key": "k", "value": ...},
//!   "restart": "transient", "shutdown": 1000 | "brutal_kill" | "infinity",
//!   "limits": {"memory_mb": 16, "cpu_ms": 500} }
//! { "id": "db", "type": "supervisor", "strategy": "rest_for_one",
//!   "max_restarts": 3, "max_seconds": 5, "children": [...] }
//! { "id": "jobs", "type": "dynamic_supervisor" | "task_supervisor",
//!   "max_children": 100, "extra_args": {...} }
//! ```

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::located::Located;
use crate::process::ViaName;
use crate::runtime::{PluginError, plugin_name_of};
use crate::sandbox::Limits;
use crate::supervisor::{
    DEFAULT_MAX_RESTARTS, DEFAULT_MAX_SECONDS, Restart, Shutdown, Strategy, SupervisorFlags,
};

/// A child spec as written: the keys of a manifest child, in TOML or JSON
/// (`{"plugin": "counter", "restart": "transient", …}`); see the
/// README's manifest reference for each key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildSpecConfig {
    id: Option<String>,
    #[serde(rename = "type", default)]
    kind: KindName,
    plugin: Option<String>,
    name: Option<String>,
    via: Option<ViaConfig>,
    args: Option<Value>,
    #[serde(default)]
    restart: Restart,
    shutdown: Option<Shutdown>,
    limits: Option<LimitsConfig>,
    strategy: Option<Strategy>,
    max_restarts: Option<u32>,
    max_seconds: Option<u32>,
    children: Option<Vec<Located<ChildSpecConfig>>>,
    max_children: Option<usize>,
    extra_args: Option<Map<String, Value>>,
}

/// `type`: what the child is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindName {
    #[default]
    Worker,
    Supervisor,
    DynamicSupervisor,
    /// A DynamicSupervisor for tasks (Task.Supervisor): the same, named
    /// for what it runs.
    TaskSupervisor,
}

/// `via = { registry, key, value }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViaConfig {
    registry: String,
    key: String,
    value: Option<Value>,
}

/// `limits = { memory_mb, cpu_ms }`: a worker's sandbox limits, each
/// defaulting to [`Limits::default`].
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest linear memory, in MiB.
    memory_mb: Option<u64>,
    /// CPU deadline per callback, in ms.
    cpu_ms: Option<u64>,
}

impl LimitsConfig {
    /// The limits these ask for.
    ///
    /// # Errors
    ///
    /// A [`SpecError`] for a memory size too large to count in bytes.
    pub(super) fn limits(&self, field: &str) -> Result<Limits, SpecError> {
        let mut limits = Limits::default();
        if let Some(mb) = self.memory_mb {
            limits.memory_bytes = mb
                .checked_mul(1 << 20)
                .ok_or_else(|| SpecError::new(format!("{field}.memory_mb"), "too large"))?;
        }
        if let Some(ms) = self.cpu_ms {
            limits.cpu_deadline = Duration::from_millis(ms);
        }
        Ok(limits)
    }
}

/// A child spec that breaks a rule: which field, where (in TOML), and
/// what is wrong. `invalid child spec: limits.cpu_ms: invalid type: string
/// "x", expected u64`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// The field, as a path (`children[2].restart`); empty for the whole.
    pub field: String,
    /// Where in the source, in bytes, when the format tells.
    pub span: Option<Range<usize>>,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    pub(super) fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        SpecError {
            field: field.into(),
            span: None,
            message: message.to_string(),
        }
    }

    fn at(mut self, span: &Option<Range<usize>>) -> Self {
        if self.span.is_none() {
            self.span = span.clone();
        }
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid child spec: ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// A child spec that follows every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildDecl {
    /// Its id.
    pub id: String,
    /// permanent, transient or temporary.
    pub restart: Restart,
    /// How it is stopped.
    pub shutdown: Shutdown,
    /// What it is.
    pub kind: ChildKind,
}

/// A worker or one of the kinds of supervisor.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildKind {
    /// A GenServer plugin.
    Worker(WorkerDecl),
    /// A supervisor with children of its own.
    Supervisor(SupervisorDecl),
    /// A DynamicSupervisor (or Task.Supervisor).
    Dynamic(DynamicDecl),
}

impl ChildDecl {
    /// The name this child registers under, if any.
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            ChildKind::Worker(worker) => worker.name.as_deref(),
            ChildKind::Supervisor(sup) => sup.name.as_deref(),
            ChildKind::Dynamic(sup) => sup.name.as_deref(),
        }
    }
}

impl SupervisorDecl {
    /// Every name this supervisor and the tree below it register under.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.name.iter().cloned().collect();
        for child in &self.children {
            if let ChildKind::Supervisor(sup) = &child.kind {
                names.extend(sup.names());
            } else if let Some(name) = child.name() {
                names.push(name.to_string());
            }
        }
        names
    }
}

/// A worker's plugin, args, name and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerDecl {
    /// The plugin: a name (`counter`) or a file in the plugin folder
    /// (`counter.wasm`).
    pub plugin: String,
    /// The registered name.
    pub name: Option<String>,
    /// A registry key it takes while it runs.
    pub via: Option<ViaName>,
    /// `init` args, as JSON (`null` when absent).
    pub args: Vec<u8>,
    /// Memory and CPU limits.
    pub limits: Limits,
}

impl WorkerDecl {
    /// The plugin's name: its file's stem.
    pub fn plugin_name(&self) -> &str {
        Path::new(&self.plugin)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&self.plugin)
    }
}

/// A supervisor and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorDecl {
    /// Its id (`root` for the top one).
    pub id: String,
    /// Its registered name, if any.
    pub name: Option<String>,
    /// Strategy and intensity.
    pub flags: SupervisorFlags,
    /// Its children in start order.
    pub children: Vec<ChildDecl>,
}

/// A DynamicSupervisor.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicDecl {
    /// Its id.
    pub id: String,
    /// Its registered name, if any.
    pub name: Option<String>,
    /// Restart intensity.
    pub max_restarts: u32,
    /// Its window, in seconds.
    pub max_seconds: u32,
    /// Children at most, restarting ones included.
    pub max_children: Option<usize>,
    /// Merged into every child's args (a JSON object).
    pub extra_args: Option<Vec<u8>>,
}

/// Read one child spec from JSON bytes (`start-child`).
///
/// # Errors
///
/// A [`SpecError`] naming the field: not JSON, a field of the wrong type,
/// an unknown field, or a rule broken.
pub fn child_spec_from_json(json: &[u8]) -> Result<ChildDecl, SpecError> {
    // Parsed to a value first: serde_json's errors from a value carry no
    // "at line 1 column 40", which a path says better.
    let value: Value =
        serde_json::from_slice(json).map_err(|e| SpecError::new("", format!("not JSON: {e}")))?;
    let config: Located<ChildSpecConfig> = serde_path_to_error::deserialize(value)
        .map_err(|e| SpecError::new(field_path(&e.path().to_string()), e.inner()))?;
    config.validate("")
}

/// A serde path as a field path: `.` for the root is empty.
pub(super) fn field_path(path: &str) -> String {
    // `Located` shows up in toml's path as a private field; hide it.
    let path = path.replace(".$__serde_spanned_private_value", "");
    if path == "." { String::new() } else { path }
}

fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

impl Located<ChildSpecConfig> {
    /// Check every rule; `field` is where this spec sits (`children[2]`).
    ///
    /// # Errors
    ///
    /// The first rule broken, as a [`SpecError`].
    pub fn validate(&self, field: &str) -> Result<ChildDecl, SpecError> {
        self.value.validate(field).map_err(|e| e.at(&self.span))
    }
}

impl ChildSpecConfig {
    fn validate(&self, field: &str) -> Result<ChildDecl, SpecError> {
        let is_supervisor = self.kind != KindName::Worker;
        let shutdown = self.shutdown.unwrap_or(if is_supervisor {
            Shutdown::Infinity
        } else {
            Shutdown::WORKER_DEFAULT
        });
        let kind = match self.kind {
            KindName::Worker => ChildKind::Worker(self.worker(field)?),
            KindName::Supervisor => ChildKind::Supervisor(self.supervisor(field)?),
            KindName::DynamicSupervisor | KindName::TaskSupervisor => {
                ChildKind::Dynamic(self.dynamic(field)?)
            }
        };
        let id = match (&self.id, &kind) {
            (Some(id), _) => id.clone(),
            (None, ChildKind::Worker(worker)) => worker.plugin_name().to_string(),
            (None, _) => {
                return Err(SpecError::new(
                    join(field, "id"),
                    "missing: a supervisor needs an id",
                ));
            }
        };
        Ok(ChildDecl {
            id,
            restart: self.restart,
            shutdown,
            kind,
        })
    }

    fn worker(&self, field: &str) -> Result<WorkerDecl, SpecError> {
        if self.children.is_some()
            || self.strategy.is_some()
            || self.max_children.is_some()
            || self.extra_args.is_some()
            || self.max_restarts.is_some()
            || self.max_seconds.is_some()
        {
            return Err(SpecError::new(
                field,
                "a worker has no children, strategy, max_restarts, max_seconds, max_children or extra_args (did you mean a supervisor type?)",
            ));
        }
        let Some(plugin) = &self.plugin else {
            return Err(SpecError::new(
                join(field, "plugin"),
                "missing: a worker needs a plugin",
            ));
        };
        if plugin_name_of(plugin).is_none() {
            return Err(SpecError::new(
                join(field, "plugin"),
                PluginError::BadName(plugin.clone()),
            ));
        }
        let via = self.via.as_ref().map(|via| ViaName {
            registry: via.registry.clone(),
            key: via.key.clone(),
            value: payload(via.value.as_ref()),
        });
        Ok(WorkerDecl {
            plugin: plugin.clone(),
            name: self.name.clone(),
            via,
            args: payload(self.args.as_ref()),
            limits: self
                .limits
                .unwrap_or_default()
                .limits(&join(field, "limits"))?,
        })
    }

    fn no_worker_keys(&self, field: &str) -> Result<(), SpecError> {
        if self.plugin.is_some()
            || self.args.is_some()
            || self.limits.is_some()
            || self.via.is_some()
        {
            return Err(SpecError::new(
                field,
                "a supervisor takes no plugin, args, limits or via",
            ));
        }
        Ok(())
    }

    fn supervisor(&self, field: &str) -> Result<SupervisorDecl, SpecError> {
        self.no_worker_keys(field)?;
        if self.max_children.is_some() || self.extra_args.is_some() {
            return Err(SpecError::new(
                field,
                "max_children and extra_args are for type = \"dynamic_supervisor\"",
            ));
        }
        supervisor_decl(
            self.id.clone().unwrap_or_default(),
            self.name.clone(),
            self.strategy.unwrap_or_default(),
            (self.max_restarts, self.max_seconds),
            self.children.as_deref().unwrap_or_default(),
            field,
        )
    }

    fn dynamic(&self, field: &str) -> Result<DynamicDecl, SpecError> {
        self.no_worker_keys(field)?;
        if self.strategy.is_some() || self.children.is_some() {
            return Err(SpecError::new(
                field,
                "a dynamic supervisor has no strategy (always one_for_one) and starts with no children",
            ));
        }
        Ok(DynamicDecl {
            id: self.id.clone().unwrap_or_default(),
            name: self.name.clone(),
            max_restarts: self.max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS),
            max_seconds: max_seconds(self.max_seconds, field)?,
            max_children: self.max_children,
            extra_args: self
                .extra_args
                .as_ref()
                .map(|extra| Value::Object(extra.clone()).to_string().into_bytes()),
        })
    }
}

/// A supervisor's flags and children, checked: a period of at least one
/// second, unique child ids.
pub(super) fn supervisor_decl(
    id: String,
    name: Option<String>,
    strategy: Strategy,
    (max_restarts, seconds): (Option<u32>, Option<u32>),
    children: &[Located<ChildSpecConfig>],
    field: &str,
) -> Result<SupervisorDecl, SpecError> {
    let flags = SupervisorFlags {
        strategy,
        max_restarts: max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS),
        max_seconds: max_seconds(seconds, field)?,
    };
    let mut seen = HashSet::new();
    let mut decls = Vec::with_capacity(children.len());
    for (i, child) in children.iter().enumerate() {
        let field = join(field, &format!("children[{i}]"));
        let decl = child.validate(&field)?;
        if !seen.insert(decl.id.clone()) {
            return Err(SpecError::new(
                join(&field, "id"),
                format!("duplicate child id '{}'", decl.id),
            )
            .at(&child.span));
        }
        decls.push(decl);
    }
    Ok(SupervisorDecl {
        id,
        name,
        flags,
        children: decls,
    })
}

fn max_seconds(seconds: Option<u32>, field: &str) -> Result<u32, SpecError> {
    match seconds.unwrap_or(DEFAULT_MAX_SECONDS) {
        0 => Err(SpecError::new(
            join(field, "max_seconds"),
            "must be at least 1",
        )),
        seconds => Ok(seconds),
    }
}

/// A JSON value as a payload; `null` when absent.
pub(super) fn payload(value: Option<&Value>) -> Vec<u8> {
    value.map_or_else(|| b"null".to_vec(), |v| v.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_error(spec: &str) -> String {
        child_spec_from_json(spec.as_bytes())
            .expect_err("an invalid spec")
            .to_string()
    }

    #[test]
    fn a_wrong_type_names_its_field_path() {
        assert_eq!(
            json_error(r#"{"plugin":"counter","limits":{"cpu_ms":"x"}}"#),
            r#"invalid child spec: limits.cpu_ms: invalid type: string "x", expected u64"#
        );
    }

    #[test]
    fn nested_children_have_their_index_in_the_path() {
        let err = json_error(
            r#"{"id":"s","type":"supervisor","children":[{"plugin":"c"},{"plugin":"c","restart":"always"}]}"#,
        );
        assert!(
            err.starts_with("invalid child spec: children[1].restart: unknown variant `always`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_and_broken_rules_are_named() {
        assert!(
            json_error(r#"{"plugin":"c","restrat":"permanent"}"#)
                .contains("unknown field `restrat`"),
        );
        assert_eq!(
            json_error(r#"{"name":"x"}"#),
            "invalid child spec: plugin: missing: a worker needs a plugin"
        );
        assert_eq!(
            json_error(r#"{"type":"supervisor"}"#),
            "invalid child spec: id: missing: a supervisor needs an id"
        );
        assert_eq!(
            json_error(r#"{"plugin":"c","shutdown":-10}"#),
            r#"invalid child spec: shutdown: expected milliseconds ≥ 0, "brutal_kill" or "infinity", found -10"#
        );
        assert_eq!(
            json_error(r#"{"plugin":"c","limits":{"memory_mb":18446744073709551615}}"#),
            "invalid child spec: limits.memory_mb: too large"
        );
        assert_eq!(
            json_error(r#"{"id":"d","type":"dynamic_supervisor","children":[]}"#),
            "invalid child spec: a dynamic supervisor has no strategy (always one_for_one) and starts with no children"
        );
        assert!(json_error("{not json").starts_with("invalid child spec: not JSON: "));
    }

    #[test]
    fn toml_and_json_read_the_same_spec_the_same_way() {
        let from_json = child_spec_from_json(
            br#"{"plugin":"counter.wasm","restart":"transient","shutdown":"brutal_kill","args":{"n":1},"limits":{"memory_mb":8}}"#,
        )
        .expect("valid");
        let from_toml: Located<ChildSpecConfig> = toml::from_str(
            "plugin = \"counter.wasm\"\nrestart = \"transient\"\nshutdown = \"brutal_kill\"\nargs = { n = 1 }\nlimits = { memory_mb = 8 }\n",
        )
        .expect("parses");
        assert!(from_toml.span.is_some(), "TOML tells where");
        let from_toml = from_toml.validate("").expect("valid");
        assert_eq!(from_json.id, "counter", "the id defaults to the plugin");
        assert_eq!(from_toml.id, from_json.id);
        assert_eq!(from_toml.restart, from_json.restart);
        assert_eq!(from_toml.shutdown, Shutdown::BrutalKill);
        let (ChildKind::Worker(a), ChildKind::Worker(b)) = (&from_json.kind, &from_toml.kind)
        else {
            panic!("workers")
        };
        assert_eq!(a, b);
        assert_eq!(a.args, br#"{"n":1}"#);
        assert_eq!(a.limits.memory_bytes, 8 << 20);
    }

    #[test]
    fn defaults_follow_the_child_type() {
        let worker = child_spec_from_json(br#"{"plugin":"c"}"#).expect("valid");
        assert_eq!(worker.restart, Restart::Permanent);
        assert_eq!(worker.shutdown, Shutdown::WORKER_DEFAULT);
        let sup = child_spec_from_json(br#"{"id":"s","type":"supervisor"}"#).expect("valid");
        assert_eq!(sup.shutdown, Shutdown::Infinity);
        let ChildKind::Supervisor(decl) = sup.kind else {
            panic!("a supervisor")
        };
        assert_eq!(
            (decl.flags.max_restarts, decl.flags.max_seconds),
            (DEFAULT_MAX_RESTARTS, DEFAULT_MAX_SECONDS)
        );
    }
}

//! The application manifest (TOML): parsed, validated, with errors that
//! name the file, the line and the field.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::process::{Keys, PoolStrategy, ViaName};
use crate::runtime::ProbationPolicy;
use crate::sandbox::Limits;
use crate::supervisor::{
    DEFAULT_MAX_RESTARTS, DEFAULT_MAX_SECONDS, DEFAULT_WORKER_SHUTDOWN, Restart, Shutdown,
    Strategy, SupervisorFlags,
};

/// A manifest that does not parse or does not make sense: one line that
/// says where and what, e.g.
/// `app.toml:12: supervisor.children[2].restart: unknown variant "always", expected one of …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ManifestError {
    /// The manifest file.
    pub path: PathBuf,
    /// The 1-based line the problem is on (0 when unknown).
    pub line: usize,
    /// The field, as a path (`supervisor.children[2].restart`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        f.write_str(": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// A validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// `app.name`.
    pub name: String,
    /// The plugin folder, resolved against the manifest's folder.
    pub plugins_dir: PathBuf,
    /// `[app.env]`, as JSON.
    pub env: serde_json::Map<String, serde_json::Value>,
    /// `[app.upgrade]`: hot code swap settings.
    pub upgrade: UpgradeDecl,
    /// `[[app.registries]]`: the registries to start, (name, keys).
    pub registries: Vec<(String, Keys)>,
    /// `[[app.pools]]`: the worker pools to start.
    pub pools: Vec<PoolDecl>,
    /// The root supervisor.
    pub root: SupervisorDecl,
}

/// `[app.upgrade]`: whether new builds are picked up by themselves, and
/// the probation a new build is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeDecl {
    /// Watch the plugin folder and upgrade when a build changes
    /// (`watch`, default true).
    pub watch: bool,
    /// Roll a new build back when its processes crash more than
    /// `probation_crashes` times within `probation_ms` of the upgrade
    /// (defaults 3 and 30000); none when `probation = false`.
    pub probation: Option<ProbationPolicy>,
}

impl Default for UpgradeDecl {
    fn default() -> Self {
        UpgradeDecl {
            watch: true,
            probation: Some(ProbationPolicy::default()),
        }
    }
}

/// A worker pool as the manifest declares it (`[[app.pools]]`).
#[derive(Debug, Clone)]
pub struct PoolDecl {
    /// Its name (`overseer call pool:NAME …`).
    pub name: String,
    /// The workers' plugin, args and limits.
    pub worker: WorkerDecl,
    /// Workers kept (default 5).
    pub size: usize,
    /// Extra workers on demand (default 10).
    pub max_overflow: usize,
    /// lifo (default) or fifo.
    pub strategy: PoolStrategy,
}

/// A supervisor as the manifest declares it.
#[derive(Debug, Clone)]
pub struct SupervisorDecl {
    /// Its id (`root` for the top one).
    pub id: String,
    /// Its registered name, if any.
    pub name: Option<String>,
    /// Strategy, intensity and `max_children`.
    pub flags: SupervisorFlags,
    /// Its children in start order.
    pub children: Vec<ChildDecl>,
    /// `type = "dynamic_supervisor"`: children come at run time.
    pub dynamic: bool,
    /// A dynamic supervisor's `extra_args`, merged into its children's args.
    pub extra_args: serde_json::Map<String, serde_json::Value>,
}

/// A child as the manifest declares it.
#[derive(Debug, Clone)]
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

/// A worker or a nested supervisor.
#[derive(Debug, Clone)]
pub enum ChildKind {
    /// A GenServer plugin.
    Worker(WorkerDecl),
    /// A nested supervisor.
    Supervisor(SupervisorDecl),
}

/// A worker's plugin, args, name and limits.
#[derive(Debug, Clone)]
pub struct WorkerDecl {
    /// The plugin file, resolved against the plugin folder.
    pub plugin: PathBuf,
    /// The registered name.
    pub name: Option<String>,
    /// A registry key it takes while it runs (`via = { registry, key,
    /// value }`).
    pub via: Option<ViaName>,
    /// `init` args, as JSON (`null` when absent).
    pub args: Vec<u8>,
    /// Memory and CPU limits.
    pub limits: Limits,
}

// ===== The file's shape =====

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    app: AppSection,
    supervisor: SupervisorSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppSection {
    name: String,
    #[serde(default = "default_plugins")]
    plugins: String,
    #[serde(default)]
    env: toml::Table,
    #[serde(default)]
    upgrade: UpgradeSection,
    #[serde(default)]
    registries: Vec<RegistrySection>,
    #[serde(default)]
    pools: Vec<Spanned<PoolSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolSection {
    name: String,
    plugin: String,
    args: Option<toml::Value>,
    #[serde(default = "default_pool_size")]
    size: usize,
    #[serde(default = "default_max_overflow")]
    max_overflow: usize,
    #[serde(default)]
    strategy: PoolStrategy,
    limits: Option<LimitsSection>,
}

fn default_pool_size() -> usize {
    5
}

fn default_max_overflow() -> usize {
    10
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpgradeSection {
    #[serde(default = "yes")]
    watch: bool,
    #[serde(default = "yes")]
    probation: bool,
    #[serde(default = "default_probation_crashes")]
    probation_crashes: u32,
    #[serde(default = "default_probation_ms")]
    probation_ms: u64,
}

impl Default for UpgradeSection {
    fn default() -> Self {
        UpgradeSection {
            watch: true,
            probation: true,
            probation_crashes: default_probation_crashes(),
            probation_ms: default_probation_ms(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_probation_crashes() -> u32 {
    ProbationPolicy::default().max_crashes
}

fn default_probation_ms() -> u64 {
    ProbationPolicy::default().window.as_millis() as u64
}

fn default_plugins() -> String {
    "plugins".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SupervisorSection {
    #[serde(default)]
    strategy: StrategyName,
    max_restarts: Option<u32>,
    max_seconds: Option<u32>,
    #[serde(default)]
    children: Vec<Spanned<ChildSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildSection {
    id: String,
    #[serde(rename = "type", default)]
    child_type: ChildTypeName,
    plugin: Option<String>,
    name: Option<String>,
    via: Option<ViaSection>,
    args: Option<toml::Value>,
    #[serde(default)]
    restart: RestartName,
    shutdown: Option<ShutdownValue>,
    limits: Option<LimitsSection>,
    // A child supervisor's own flags and children.
    strategy: Option<StrategyName>,
    max_restarts: Option<u32>,
    max_seconds: Option<u32>,
    children: Option<Vec<Spanned<ChildSection>>>,
    // A dynamic supervisor's.
    max_children: Option<usize>,
    extra_args: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViaSection {
    registry: String,
    key: String,
    value: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrySection {
    name: String,
    keys: Keys,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum StrategyName {
    #[default]
    OneForOne,
    OneForAll,
    RestForOne,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum ChildTypeName {
    #[default]
    Worker,
    Supervisor,
    DynamicSupervisor,
    /// A dynamic supervisor for tasks (Task.Supervisor): the same, named
    /// for what it runs.
    TaskSupervisor,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RestartName {
    #[default]
    Permanent,
    Transient,
    Temporary,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ShutdownValue {
    Ms(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    /// Largest linear memory, in MiB.
    memory_mb: Option<u64>,
    /// CPU deadline per callback, in ms.
    cpu_ms: Option<u64>,
}

// ===== Loading =====

/// Read and validate the manifest at `path`.
///
/// # Errors
///
/// A [`ManifestError`] naming the file, line and field.
pub fn load_manifest(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
        path: path.to_path_buf(),
        line: 0,
        field: String::new(),
        message: format!("cannot read manifest: {e}"),
    })?;
    parse_manifest(path, &text)
}

/// Validate manifest `text`, read from `path`.
///
/// # Errors
///
/// A [`ManifestError`] naming the file, line and field.
pub fn parse_manifest(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
    let ctx = Context { path, text };
    let file: File = {
        let de = toml::de::Deserializer::parse(text).map_err(|e| ctx.toml_error("", &e))?;
        serde_path_to_error::deserialize(de)
            .map_err(|e| ctx.toml_error(&e.path().to_string(), e.inner()))?
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let plugins_dir = base.join(&file.app.plugins);
    let env = match serde_json::to_value(&file.app.env) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let root = ctx.supervisor(
        "root".into(),
        "supervisor",
        file.supervisor.strategy,
        file.supervisor.max_restarts,
        file.supervisor.max_seconds,
        &file.supervisor.children,
        &plugins_dir,
    )?;
    let pools = file
        .app
        .pools
        .iter()
        .enumerate()
        .map(|(i, pool)| ctx.pool(i, pool, &plugins_dir))
        .collect::<Result<_, _>>()?;
    let upgrade = &file.app.upgrade;
    let upgrade = UpgradeDecl {
        watch: upgrade.watch,
        probation: upgrade.probation.then(|| ProbationPolicy {
            max_crashes: upgrade.probation_crashes,
            window: Duration::from_millis(upgrade.probation_ms),
        }),
    };
    Ok(Manifest {
        path: path.to_path_buf(),
        name: file.app.name,
        plugins_dir,
        env,
        upgrade,
        pools,
        registries: file
            .app
            .registries
            .iter()
            .map(|r| (r.name.clone(), r.keys))
            .collect(),
        root,
    })
}

struct Context<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Context<'_> {
    fn line_of(&self, span: Option<Range<usize>>) -> usize {
        match span {
            Some(span) => {
                self.text[..span.start.min(self.text.len())]
                    .matches('\n')
                    .count()
                    + 1
            }
            None => 0,
        }
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        message: impl fmt::Display,
    ) -> ManifestError {
        ManifestError {
            path: self.path.to_path_buf(),
            line: self.line_of(span),
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    fn toml_error(&self, field: &str, err: &toml::de::Error) -> ManifestError {
        // `Spanned` shows up in serde's path as a private field; hide it.
        let field = field.replace(".$__serde_spanned_private_value", "");
        let field = if field == "." { "" } else { field.as_str() };
        self.error(err.span(), field, err.message().trim().replace('\n', " "))
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per level of the tree"
    )]
    fn supervisor(
        &self,
        id: String,
        field: &str,
        strategy: StrategyName,
        max_restarts: Option<u32>,
        max_seconds: Option<u32>,
        children: &[Spanned<ChildSection>],
        plugins_dir: &Path,
    ) -> Result<SupervisorDecl, ManifestError> {
        let flags = SupervisorFlags {
            strategy: match strategy {
                StrategyName::OneForOne => Strategy::OneForOne,
                StrategyName::OneForAll => Strategy::OneForAll,
                StrategyName::RestForOne => Strategy::RestForOne,
            },
            max_restarts: max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS),
            max_seconds: max_seconds.unwrap_or(DEFAULT_MAX_SECONDS),
            max_children: None,
        };
        if flags.max_seconds == 0 {
            return Err(self.error(None, &format!("{field}.max_seconds"), "must be at least 1"));
        }
        let mut seen = HashSet::new();
        let mut decls = Vec::with_capacity(children.len());
        for (i, child) in children.iter().enumerate() {
            let field = format!("{field}.children[{i}]");
            let span = Some(child.span());
            let child = child.get_ref();
            if !seen.insert(child.id.clone()) {
                return Err(self.error(
                    span,
                    &format!("{field}.id"),
                    format!("duplicate child id '{}'", child.id),
                ));
            }
            decls.push(self.child(child, span, &field, plugins_dir)?);
        }
        Ok(SupervisorDecl {
            id,
            name: None,
            flags,
            children: decls,
            dynamic: false,
            extra_args: serde_json::Map::new(),
        })
    }

    fn pool(
        &self,
        i: usize,
        pool: &Spanned<PoolSection>,
        plugins_dir: &Path,
    ) -> Result<PoolDecl, ManifestError> {
        let span = Some(pool.span());
        let field = format!("app.pools[{i}]");
        let pool = pool.get_ref();
        let args = match &pool.args {
            None => b"null".to_vec(),
            Some(args) => serde_json::to_vec(args)
                .map_err(|e| self.error(span.clone(), &format!("{field}.args"), e))?,
        };
        let mut limits = Limits::default();
        if let Some(l) = &pool.limits {
            if let Some(mb) = l.memory_mb {
                limits.memory_bytes = mb << 20;
            }
            if let Some(ms) = l.cpu_ms {
                limits.cpu_deadline = Duration::from_millis(ms);
            }
        }
        Ok(PoolDecl {
            name: pool.name.clone(),
            worker: WorkerDecl {
                plugin: plugins_dir.join(&pool.plugin),
                name: None,
                via: None,
                args,
                limits,
            },
            size: pool.size,
            max_overflow: pool.max_overflow,
            strategy: pool.strategy,
        })
    }

    fn child(
        &self,
        child: &ChildSection,
        span: Option<Range<usize>>,
        field: &str,
        plugins_dir: &Path,
    ) -> Result<ChildDecl, ManifestError> {
        let restart = match child.restart {
            RestartName::Permanent => Restart::Permanent,
            RestartName::Transient => Restart::Transient,
            RestartName::Temporary => Restart::Temporary,
        };
        let is_dynamic = matches!(
            child.child_type,
            ChildTypeName::DynamicSupervisor | ChildTypeName::TaskSupervisor
        );
        let is_supervisor = child.child_type == ChildTypeName::Supervisor || is_dynamic;
        let shutdown = match &child.shutdown {
            None if is_supervisor => Shutdown::Infinity,
            None => Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN),
            Some(ShutdownValue::Ms(ms)) if *ms >= 0 => {
                Shutdown::Timeout(Duration::from_millis(*ms as u64))
            }
            Some(ShutdownValue::Word(w)) if w == "brutal_kill" => Shutdown::BrutalKill,
            Some(ShutdownValue::Word(w)) if w == "infinity" => Shutdown::Infinity,
            Some(ShutdownValue::Ms(ms)) => {
                return Err(self.error(
                    span,
                    &format!("{field}.shutdown"),
                    format!(
                        "expected milliseconds ≥ 0, \"brutal_kill\" or \"infinity\", found {ms}"
                    ),
                ));
            }
            Some(ShutdownValue::Word(w)) => {
                return Err(self.error(
                    span,
                    &format!("{field}.shutdown"),
                    format!(
                        "expected milliseconds ≥ 0, \"brutal_kill\" or \"infinity\", found \"{w}\""
                    ),
                ));
            }
        };
        let kind = if is_supervisor {
            if child.plugin.is_some()
                || child.args.is_some()
                || child.limits.is_some()
                || child.via.is_some()
            {
                return Err(self.error(
                    span,
                    field,
                    "a supervisor takes no plugin, args, limits or via",
                ));
            }
            if is_dynamic && (child.strategy.is_some() || child.children.is_some()) {
                return Err(self.error(
                    span,
                    field,
                    "a dynamic supervisor has no strategy (always one_for_one) and starts with no children",
                ));
            }
            if !is_dynamic && (child.max_children.is_some() || child.extra_args.is_some()) {
                return Err(self.error(
                    span,
                    field,
                    "max_children and extra_args are for type = \"dynamic_supervisor\"",
                ));
            }
            let mut decl = self.supervisor(
                child.id.clone(),
                field,
                child.strategy.unwrap_or_default(),
                child.max_restarts,
                child.max_seconds,
                child.children.as_deref().unwrap_or_default(),
                plugins_dir,
            )?;
            decl.name = child.name.clone();
            decl.dynamic = is_dynamic;
            decl.flags.max_children = child.max_children;
            if let Some(extra) = &child.extra_args {
                decl.extra_args = match serde_json::to_value(extra) {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => serde_json::Map::new(),
                };
            }
            ChildKind::Supervisor(decl)
        } else {
            if child.children.is_some()
                || child.strategy.is_some()
                || child.max_children.is_some()
                || child.extra_args.is_some()
            {
                return Err(self.error(
                    span,
                    field,
                    "a worker has no children, strategy, max_children or extra_args (did you mean a supervisor type?)",
                ));
            }
            let Some(plugin) = &child.plugin else {
                return Err(self.error(
                    span,
                    &format!("{field}.plugin"),
                    "missing: a worker needs a plugin file",
                ));
            };
            let args = match &child.args {
                None => b"null".to_vec(),
                Some(args) => serde_json::to_vec(args)
                    .map_err(|e| self.error(span.clone(), &format!("{field}.args"), e))?,
            };
            let mut limits = Limits::default();
            if let Some(l) = &child.limits {
                if let Some(mb) = l.memory_mb {
                    limits.memory_bytes = mb << 20;
                }
                if let Some(ms) = l.cpu_ms {
                    limits.cpu_deadline = Duration::from_millis(ms);
                }
            }
            let via = match &child.via {
                None => None,
                Some(via) => Some(ViaName {
                    registry: via.registry.clone(),
                    key: via.key.clone(),
                    value: match &via.value {
                        None => serde_json::Value::Null,
                        Some(v) => serde_json::to_value(v)
                            .map_err(|e| self.error(span.clone(), &format!("{field}.via"), e))?,
                    },
                }),
            };
            ChildKind::Worker(WorkerDecl {
                plugin: plugins_dir.join(plugin),
                name: child.name.clone(),
                via,
                args,
                limits,
            })
        };
        Ok(ChildDecl {
            id: child.id.clone(),
            restart,
            shutdown,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        parse_manifest(Path::new("app.toml"), text)
    }

    const HEAD: &str = "[app]\nname = \"t\"\n[supervisor]\n";

    #[test]
    fn a_bad_restart_names_line_and_field() {
        let text = format!(
            "{HEAD}[[supervisor.children]]\nid = \"a\"\nplugin = \"a.wasm\"\nrestart = \"always\"\n"
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(err.line, 7, "{err}");
        assert_eq!(err.field, "supervisor.children[0].restart");
        assert!(
            err.to_string()
                .starts_with("app.toml:7: supervisor.children[0].restart: "),
            "{err}"
        );
        assert!(err.message.contains("always"), "{err}");
    }

    #[test]
    fn upgrade_settings_default_and_parse() {
        let defaults = parse(HEAD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(defaults.upgrade, UpgradeDecl::default());
        let text = "[app]\nname = \"t\"\n[app.upgrade]\nwatch = false\nprobation_crashes = 1\nprobation_ms = 500\n[supervisor]\n";
        let manifest = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(!manifest.upgrade.watch);
        assert_eq!(
            manifest.upgrade.probation,
            Some(ProbationPolicy {
                max_crashes: 1,
                window: Duration::from_millis(500)
            })
        );
        let off = "[app]\nname = \"t\"\n[app.upgrade]\nprobation = false\n[supervisor]\n";
        assert_eq!(parse(off).map(|m| m.upgrade.probation), Ok(None));
    }

    #[test]
    fn pools_registries_and_dynamic_supervisors_parse() {
        let text = "[app]\nname = \"t\"\n[[app.registries]]\nname = \"r\"\nkeys = \"duplicate\"\n[[app.pools]]\nname = \"db\"\nplugin = \"c.wasm\"\nsize = 2\nstrategy = \"fifo\"\n[supervisor]\n[[supervisor.children]]\nid = \"d\"\ntype = \"dynamic_supervisor\"\nname = \"d\"\nmax_children = 4\nextra_args = { a = 1 }\n[[supervisor.children]]\nid = \"t\"\ntype = \"task_supervisor\"\n[[supervisor.children]]\nid = \"w\"\nplugin = \"c.wasm\"\nvia = { registry = \"r\", key = \"k\" }\n";
        let manifest = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            manifest.registries,
            vec![("r".to_string(), Keys::Duplicate)]
        );
        assert_eq!(manifest.pools.len(), 1);
        assert_eq!(
            (manifest.pools[0].size, manifest.pools[0].max_overflow),
            (2, 10)
        );
        assert_eq!(manifest.pools[0].strategy, PoolStrategy::Fifo);
        let ChildKind::Supervisor(d) = &manifest.root.children[0].kind else {
            panic!("d is a supervisor")
        };
        assert!(d.dynamic);
        assert_eq!(d.flags.max_children, Some(4));
        assert_eq!(d.extra_args.get("a"), Some(&serde_json::json!(1)));
        assert_eq!(d.name.as_deref(), Some("d"));
        let ChildKind::Worker(w) = &manifest.root.children[2].kind else {
            panic!("w is a worker")
        };
        assert_eq!(w.via.as_ref().map(|v| v.key.as_str()), Some("k"));
    }

    #[test]
    fn misplaced_supervisor_keys_are_refused() {
        let dynamic_children = format!(
            "{HEAD}[[supervisor.children]]\nid = \"d\"\ntype = \"dynamic_supervisor\"\nstrategy = \"one_for_all\"\n"
        );
        let err = parse(&dynamic_children).unwrap_err();
        assert!(
            err.message.contains("a dynamic supervisor has no strategy"),
            "{err}"
        );
        let static_max = format!(
            "{HEAD}[[supervisor.children]]\nid = \"s\"\ntype = \"supervisor\"\nmax_children = 2\n"
        );
        let err = parse(&static_max).unwrap_err();
        assert!(
            err.message.contains("max_children and extra_args are for"),
            "{err}"
        );
        let bad_pool = "[app]\nname = \"t\"\n[[app.pools]]\nname = \"p\"\nplugin = \"c.wasm\"\nstrategy = \"random\"\n[supervisor]\n";
        let err = parse(bad_pool).unwrap_err();
        assert_eq!(
            (err.line, err.field.as_str()),
            (6, "app.pools[0].strategy"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_upgrade_key_names_line_and_field() {
        let text = "[app]\nname = \"t\"\n[app.upgrade]\nwatched = true\n[supervisor]\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            (err.line, err.field.as_str()),
            (4, "app.upgrade.watched"),
            "{err}"
        );
    }

    #[test]
    fn a_duplicate_id_is_refused() {
        let text = format!(
            "{HEAD}[[supervisor.children]]\nid = \"a\"\nplugin = \"a.wasm\"\n[[supervisor.children]]\nid = \"a\"\nplugin = \"b.wasm\"\n"
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(err.field, "supervisor.children[1].id");
        assert_eq!(err.line, 7, "{err}");
    }

    #[test]
    fn a_worker_needs_a_plugin() {
        let text = format!("{HEAD}[[supervisor.children]]\nid = \"a\"\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.field, "supervisor.children[0].plugin");
    }

    #[test]
    fn nested_supervisors_and_defaults() {
        let text = format!(
            "{HEAD}strategy = \"rest_for_one\"\n[[supervisor.children]]\nid = \"db\"\ntype = \"supervisor\"\nchildren = [{{ id = \"c1\", plugin = \"c.wasm\", shutdown = \"brutal_kill\" }}]\n"
        );
        let m = parse(&text).unwrap();
        assert_eq!(m.root.flags.strategy, Strategy::RestForOne);
        assert_eq!(m.root.flags.max_restarts, 3);
        let ChildKind::Supervisor(db) = &m.root.children[0].kind else {
            panic!("not a supervisor")
        };
        assert_eq!(m.root.children[0].shutdown, Shutdown::Infinity);
        assert_eq!(db.children[0].shutdown, Shutdown::BrutalKill);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse("[app]\nname = \n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }
}

//! The application manifest (TOML): parsed, validated, with errors that
//! name the file, the line and the field.

mod plugin;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use self::plugin::PluginSection;
use super::app_type::AppType;
use super::child_spec::{
    ChildSpecConfig, LimitsConfig, SpecError, SupervisorDecl, WorkerDecl, field_path, payload,
    supervisor_decl,
};
use super::config::{ConfigDecl, ConfigError, ConfigLayers, EffectiveConfig, EnvironmentDecl};
use super::located::Located;
use crate::registry::Keys;
use crate::runtime::{ProbationPolicy, is_plugin_name};
use crate::sandbox::Policy;
use crate::supervisor::{DEFAULT_MAX_RESTARTS, DEFAULT_MAX_SECONDS, PoolStrategy, Strategy};

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
    /// `app.depends_on`: the applications that must run before this one
    /// starts, and that it stops before.
    pub depends_on: Vec<String>,
    /// `app.type`: what the host does when this application's root
    /// supervisor gives up.
    pub app_type: AppType,
    /// The plugin folder, resolved against the manifest's folder.
    pub plugins_dir: PathBuf,
    /// `[app.env]` and the `[env.NAME]` overlays, as written.
    pub config: ConfigDecl,
    /// The configuration the application runs with: `[app.env]` alone,
    /// until [`configure`](Self::configure) puts a run's layers over it.
    pub env: EffectiveConfig,
    /// `[app.upgrade]`: hot code swap settings.
    pub upgrade: UpgradeDecl,
    /// `[[app.registries]]`: the registries to start, (name, keys).
    pub registries: Vec<(String, Keys)>,
    /// `[[app.pools]]`: the worker pools to start.
    pub pools: Vec<PoolDecl>,
    /// `[plugin.NAME]`: what each plugin may do beyond its own process. A
    /// plugin not named here may do nothing beyond it.
    pub policies: BTreeMap<String, Policy>,
    /// The root supervisor.
    pub root: SupervisorDecl,
    /// `[host]`: what the host running this application holds.
    pub host: HostDecl,
}

/// `[host]`: the host's capacity, for the application that runs on it.
/// `overseer run`'s options override it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostDecl {
    /// The most processes alive at once (default 10,000).
    pub max_processes: Option<u32>,
    /// What freed pool slots may keep resident, all together, in MiB
    /// (default 1024, or 20 KiB a slot where that is more).
    pub resident_budget_mb: Option<u64>,
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

/// A worker pool as the manifest declares it (`[[app.pools]]`). Pools are
/// children of the root supervisor, started before the `[supervisor]`
/// children (and stopped after them).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolDecl {
    /// Its name (`overseer call pool:NAME …`), and its id in the tree.
    pub name: String,
    /// The workers' plugin, args and limits.
    pub worker: WorkerDecl,
    /// Workers kept (default 5).
    pub size: usize,
    /// Extra workers on demand (default 10).
    pub max_overflow: usize,
    /// lifo (default) or fifo.
    pub strategy: PoolStrategy,
    /// Worker restarts allowed within `max_seconds` before the pool gives
    /// up (default 3).
    pub max_restarts: u32,
    /// The window, in seconds (default 5).
    pub max_seconds: u32,
}

// ===== The file's shape =====

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    app: AppSection,
    supervisor: SupervisorSection,
    #[serde(default)]
    plugin: BTreeMap<String, Spanned<PluginSection>>,
    host: Option<Spanned<HostDecl>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppSection {
    name: String,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
    #[serde(default, rename = "type")]
    app_type: AppType,
    #[serde(default = "default_plugins")]
    plugins: String,
    #[serde(default)]
    env: BTreeMap<String, Spanned<toml::Value>>,
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
    args: Option<serde_json::Value>,
    #[serde(default = "default_pool_size")]
    size: usize,
    #[serde(default = "default_max_overflow")]
    max_overflow: usize,
    #[serde(default)]
    strategy: PoolStrategy,
    limits: Option<LimitsConfig>,
    max_restarts: Option<u32>,
    max_seconds: Option<u32>,
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
    strategy: Strategy,
    max_restarts: Option<u32>,
    max_seconds: Option<u32>,
    #[serde(default)]
    children: Vec<Located<ChildSpecConfig>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrySection {
    name: String,
    keys: Keys,
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
    let mut environments = BTreeMap::new();
    for (name, table) in &file.env {
        if !is_plugin_name(name) {
            return Err(ctx.error(
                Some(table.span()),
                &format!("env.{name}"),
                "an environment's name is letters, digits, _ and - only",
            ));
        }
        environments.insert(name.clone(), ctx.env_table(table.get_ref()));
    }
    let config = ConfigDecl {
        file: path.to_path_buf(),
        dir: base.to_path_buf(),
        base: ctx.env_table(&file.app.env),
        environments,
    };
    let env =
        EffectiveConfig::build(&file.app.name, &config, &ConfigLayers::default()).map_err(|e| {
            match e {
                ConfigError::Secret {
                    key, file, message, ..
                } => {
                    let top = key.split('.').next().unwrap_or_default();
                    let line = config
                        .base
                        .iter()
                        .find(|(k, ..)| k == top)
                        .map_or(0, |(.., line)| *line);
                    ManifestError {
                        path: path.to_path_buf(),
                        line,
                        field: format!("app.env.{key}"),
                        message: format!("cannot read secret file {file}: {message}"),
                    }
                }
                other => ctx.error(None, "app.env", other),
            }
        })?;
    let root = supervisor_decl(
        "root".into(),
        None,
        file.supervisor.strategy,
        (file.supervisor.max_restarts, file.supervisor.max_seconds),
        &file.supervisor.children,
        "supervisor",
    )
    .map_err(|e| ctx.spec_error(e))?;
    let pools: Vec<PoolDecl> = file
        .app
        .pools
        .iter()
        .enumerate()
        .map(|(i, pool)| ctx.pool(i, pool))
        .collect::<Result<_, _>>()?;
    for (i, pool) in pools.iter().enumerate() {
        if root.children.iter().any(|c| c.id == pool.name)
            || pools[..i].iter().any(|p| p.name == pool.name)
        {
            return Err(ctx.error(
                Some(file.app.pools[i].span()),
                &format!("app.pools[{i}].name"),
                format!(
                    "'{}' is taken: pools are children of the root supervisor, so their names must differ from each other and from the root's child ids",
                    pool.name
                ),
            ));
        }
    }
    let mut policies = BTreeMap::new();
    for (name, section) in &file.plugin {
        if !is_plugin_name(name) {
            return Err(ctx.error(
                Some(section.span()),
                &format!("plugin.{name}"),
                "a plugin name is letters, digits, _ and - only",
            ));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let policy = section.get_ref().policy(base).map_err(|e| {
            ctx.error(
                Some(section.span()),
                &format!("plugin.{name}.{}", e.field),
                e.message,
            )
        })?;
        policies.insert(name.clone(), policy);
    }
    let upgrade = &file.app.upgrade;
    let upgrade = UpgradeDecl {
        watch: upgrade.watch,
        probation: upgrade.probation.then(|| ProbationPolicy {
            max_crashes: upgrade.probation_crashes,
            window: Duration::from_millis(upgrade.probation_ms),
        }),
    };
    let host = match &file.host {
        Some(host) if host.get_ref().max_processes == Some(0) => {
            return Err(ctx.error(
                Some(host.span()),
                "host.max_processes",
                "must be at least 1",
            ));
        }
        Some(host) => host.get_ref().clone(),
        None => HostDecl::default(),
    };
    let depends_on = ctx.depends_on(&file.app)?;
    Ok(Manifest {
        host,
        path: path.to_path_buf(),
        depends_on,
        app_type: file.app.app_type,
        name: file.app.name,
        plugins_dir,
        config,
        env,
        upgrade,
        pools,
        policies,
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

impl Manifest {
    /// Put a run's layers (`--env`, `OVERSEER_<APP>_<KEY>`, `--set`) over
    /// `[app.env]`: [`env`](Self::env) is then what the application runs
    /// with.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the environment, variable or `--set` at
    /// fault.
    pub fn configure(&mut self, layers: &ConfigLayers) -> Result<(), ConfigError> {
        self.env = EffectiveConfig::build(&self.name, &self.config, layers)?;
        Ok(())
    }
}

impl Context<'_> {
    /// `app.depends_on`, each a name other than the application's own.
    fn depends_on(&self, app: &AppSection) -> Result<Vec<String>, ManifestError> {
        let mut names = Vec::with_capacity(app.depends_on.len());
        for (i, name) in app.depends_on.iter().enumerate() {
            let field = format!("app.depends_on[{i}]");
            if !is_plugin_name(name.get_ref()) {
                return Err(self.error(
                    Some(name.span()),
                    &field,
                    "an application's name is letters, digits, _ and - only",
                ));
            }
            if *name.get_ref() == app.name {
                return Err(self.error(
                    Some(name.span()),
                    &field,
                    "an application cannot depend on itself",
                ));
            }
            names.push(name.get_ref().clone());
        }
        Ok(names)
    }

    /// A table of configuration: each key with its value as JSON and its
    /// line.
    fn env_table(&self, table: &BTreeMap<String, Spanned<toml::Value>>) -> EnvironmentDecl {
        table
            .iter()
            .map(|(key, value)| {
                let json = serde_json::to_value(value.get_ref()).unwrap_or(serde_json::Value::Null);
                (key.clone(), json, self.line_of(Some(value.span())))
            })
            .collect()
    }

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
        self.error(
            err.span(),
            &field_path(field),
            err.message().trim().replace('\n', " "),
        )
    }

    fn spec_error(&self, err: SpecError) -> ManifestError {
        self.error(err.span, &err.field, err.message)
    }

    fn pool(&self, i: usize, pool: &Spanned<PoolSection>) -> Result<PoolDecl, ManifestError> {
        let span = Some(pool.span());
        let field = format!("app.pools[{i}]");
        let pool = pool.get_ref();
        let limits = pool
            .limits
            .unwrap_or_default()
            .limits(&format!("{field}.limits"))
            .map_err(|e| self.error(span.clone(), &e.field, e.message))?;
        let max_seconds = pool.max_seconds.unwrap_or(DEFAULT_MAX_SECONDS);
        if max_seconds == 0 {
            return Err(self.error(span, &format!("{field}.max_seconds"), "must be at least 1"));
        }
        Ok(PoolDecl {
            name: pool.name.clone(),
            worker: WorkerDecl {
                plugin: pool.plugin.clone(),
                name: None,
                via: None,
                args: payload(pool.args.as_ref()),
                limits,
            },
            size: pool.size,
            max_overflow: pool.max_overflow,
            strategy: pool.strategy,
            max_restarts: pool.max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS),
            max_seconds,
        })
    }
}

#[cfg(test)]
mod tests;

//! The configuration an application runs with: every layer applied, each
//! value's source remembered.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::layers::{ConfigDecl, ConfigError, ConfigLayers, EnvironmentDecl, shout};
use super::merge::{NotATable, Sources, put, remove, source_of};
use super::secret::resolve_secrets;
use super::source::ConfigSource;
use super::text_value::text_value;

/// An application's configuration as its guests read it (`config`), with
/// where each value came from.
#[derive(Debug, Clone, Default)]
pub struct EffectiveConfig {
    app: String,
    environment: Option<String>,
    values: Map<String, Value>,
    sources: Sources,
    /// The values read from secret files, with the file each names.
    secrets: BTreeMap<Vec<String>, String>,
}

/// One value of a configuration, as `overseer config` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigEntry {
    /// Its dotted path (`db.pool`).
    pub key: String,
    /// Its value; a secret's is not shown (`"<secret>"`).
    pub value: Value,
    /// Where it came from.
    pub source: Option<ConfigSource>,
    /// The file a secret was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
}

impl EffectiveConfig {
    /// Put together the configuration of application `app`: the
    /// manifest's `[app.env]`, then the overlay, the variables and the
    /// `--set`s of `layers`, then the secrets read.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the environment, variable, `--set` or
    /// secret at fault.
    pub fn build(
        app: &str,
        decl: &ConfigDecl,
        layers: &ConfigLayers,
    ) -> Result<EffectiveConfig, ConfigError> {
        let mut config = EffectiveConfig {
            app: app.to_string(),
            environment: layers.environment.clone(),
            ..EffectiveConfig::default()
        };
        config.apply_decl(&decl.base, |line| ConfigSource::Manifest {
            file: decl.file.clone(),
            line,
        })?;
        if let Some(name) = &layers.environment {
            let Some(overlay) = decl.environments.get(name) else {
                let known: Vec<&str> = decl.environments.keys().map(String::as_str).collect();
                return Err(ConfigError::UnknownEnvironment {
                    name: name.clone(),
                    file: decl.file.display().to_string(),
                    known: if known.is_empty() {
                        "it has none".into()
                    } else {
                        format!("it has: {}", known.join(", "))
                    },
                });
            };
            config.apply_decl(overlay, |line| ConfigSource::Overlay {
                environment: name.clone(),
                file: decl.file.clone(),
                line,
            })?;
        }
        let prefix = format!("OVERSEER_{}_", shout(app));
        let mut variables: Vec<&(String, String)> = layers
            .variables
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .collect();
        variables.sort();
        for (name, text) in variables {
            let path = config.variable_path(&name[prefix.len()..]);
            if path.iter().any(String::is_empty) {
                return Err(ConfigError::EmptyVariable(name.clone()));
            }
            let source = ConfigSource::Variable { name: name.clone() };
            config.set_text(&path, text, &source, || format!("${name}"))?;
        }
        for set in &layers.sets {
            let Some((key, text)) = set.split_once('=') else {
                return Err(ConfigError::BadSet(set.clone()));
            };
            let path = dotted(key);
            if path.iter().any(String::is_empty) {
                return Err(ConfigError::BadSet(set.clone()));
            }
            config.set_text(&path, text, &ConfigSource::Set, || format!("--set {set}"))?;
        }
        config.secrets =
            resolve_secrets(&mut config.values, &decl.dir).map_err(|e| ConfigError::Secret {
                origin: source_of(&config.sources, &e.path)
                    .map_or_else(|| decl.file.display().to_string(), ToString::to_string),
                key: e.path.join("."),
                file: e.file,
                message: e.message,
            })?;
        Ok(config)
    }

    fn apply_decl(
        &mut self,
        decl: &EnvironmentDecl,
        source: impl Fn(usize) -> ConfigSource,
    ) -> Result<(), ConfigError> {
        for (key, value, line) in decl {
            let source = source(*line);
            put(
                &mut self.values,
                std::slice::from_ref(key),
                value.clone(),
                &source,
                &mut self.sources,
            )
            .map_err(|NotATable(path)| ConfigError::NotATable {
                origin: source.to_string(),
                path,
            })?;
        }
        Ok(())
    }

    /// The path a variable's key part names: `__` separates the levels,
    /// and each level is the existing key it spells (`MAX_RATE` is
    /// `max-rate` if the config has that), else its lower case.
    fn variable_path(&self, rest: &str) -> Vec<String> {
        let mut path = Vec::new();
        let mut level = Some(&self.values);
        for part in rest.split("__") {
            let existing = level.and_then(|map| map.keys().find(|key| shout(key) == part));
            let key = existing
                .cloned()
                .unwrap_or_else(|| part.to_ascii_lowercase());
            level = level
                .and_then(|map| map.get(&key))
                .and_then(Value::as_object);
            path.push(key);
        }
        path
    }

    fn value_at(&self, path: &[String]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.values.get(first)?, |value, key| value.get(key))
    }

    fn set_text(
        &mut self,
        path: &[String],
        text: &str,
        source: &ConfigSource,
        origin: impl Fn() -> String,
    ) -> Result<(), ConfigError> {
        let value = text_value(self.value_at(path), text);
        put(&mut self.values, path, value, source, &mut self.sources).map_err(|NotATable(path)| {
            ConfigError::NotATable {
                origin: origin(),
                path,
            }
        })
    }

    /// This configuration with `key` (a dotted path) set to `text`, as
    /// `overseer config set` does: the value read as a variable's would
    /// be. Returns the new configuration and the top-level key that
    /// changed.
    ///
    /// # Errors
    ///
    /// [`ConfigError::EmptyKey`], or [`ConfigError::NotATable`].
    pub fn with_value(
        &self,
        key: &str,
        text: &str,
    ) -> Result<(EffectiveConfig, String), ConfigError> {
        let path = dotted(key);
        if path.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyKey);
        }
        let mut changed = self.clone();
        changed.set_text(&path, text, &ConfigSource::Changed, || {
            format!("config set {key}")
        })?;
        changed
            .secrets
            .retain(|secret, _| !secret.starts_with(&path));
        Ok((changed, path[0].clone()))
    }

    /// This configuration without `key` (a dotted path), as `overseer
    /// config unset` does; None if it had no such key. Returns the new
    /// configuration and the top-level key that changed, and whether that
    /// top-level key is gone (removed) or only changed.
    pub fn without(&self, key: &str) -> Option<(EffectiveConfig, String, bool)> {
        let path = dotted(key);
        let mut changed = self.clone();
        if !remove(&mut changed.values, &path, &mut changed.sources) {
            return None;
        }
        changed
            .secrets
            .retain(|secret, _| !secret.starts_with(&path));
        let top = path[0].clone();
        let gone = !changed.values.contains_key(&top);
        if !gone {
            changed
                .sources
                .insert(vec![top.clone()], ConfigSource::Changed);
        }
        Some((changed, top, gone))
    }

    /// The application's name.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The environment chosen with `--env`, if any.
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// Every top-level key with its value: what guests read.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// The value under top-level `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// Every value, as a leaf of the tree (tables are walked; a list is one
    /// value), with its source; secrets not shown.
    pub fn entries(&self) -> Vec<ConfigEntry> {
        let mut entries = Vec::new();
        let mut path = Vec::new();
        self.walk(&self.values, &mut path, &mut entries);
        entries
    }

    fn walk(&self, map: &Map<String, Value>, path: &mut Vec<String>, out: &mut Vec<ConfigEntry>) {
        for (key, value) in map {
            path.push(key.clone());
            match value {
                Value::Object(inner) if !inner.is_empty() => self.walk(inner, path, out),
                _ => {
                    let secret_file = self.secrets.get(path.as_slice()).cloned();
                    out.push(ConfigEntry {
                        key: path.join("."),
                        value: if secret_file.is_some() {
                            Value::String("<secret>".into())
                        } else {
                            value.clone()
                        },
                        source: source_of(&self.sources, path).cloned(),
                        secret_file,
                    });
                }
            }
            path.pop();
        }
    }
}

fn dotted(key: &str) -> Vec<String> {
    key.split('.').map(str::to_string).collect()
}

mod adopt;

#[cfg(test)]
mod tests;

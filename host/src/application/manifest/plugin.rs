//! `[plugin.NAME]`: what one plugin may do beyond its own process, as the
//! manifest writes it, turned into a [`Policy`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::sandbox::{DirGrant, Grants, NameSet, Policy, Quotas, WasiGrants};

/// `[plugin.NAME]`: a plugin's grants.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PluginSection {
    #[serde(default)]
    trusted: bool,
    #[serde(default)]
    message: NameSet,
    #[serde(default)]
    registries: NameSet,
    #[serde(default)]
    supervisors: NameSet,
    #[serde(default)]
    pools: NameSet,
    #[serde(default)]
    tasks: NameSet,
    #[serde(default)]
    register: NameSet,
    #[serde(default)]
    env: NameSet,
    #[serde(default)]
    link_outside: bool,
    #[serde(default)]
    quotas: Quotas,
    #[serde(default)]
    wasi: WasiSection,
}

/// `[plugin.NAME.wasi]`: what of the machine it reaches through WASI.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WasiSection {
    #[serde(default)]
    dirs: Vec<DirSection>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
}

/// `{ host = "data", guest = "/data", write = false }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirSection {
    host: String,
    guest: String,
    #[serde(default)]
    write: bool,
}

/// A field of `[plugin.NAME]` that is wrong, and why.
pub(super) struct PluginFieldError {
    pub(super) field: String,
    pub(super) message: String,
}

impl PluginSection {
    /// The policy this section grants; folders are resolved against
    /// `base` (the manifest's folder) and must exist.
    pub(super) fn policy(&self, base: &Path) -> Result<Policy, PluginFieldError> {
        Ok(Policy {
            grants: Grants {
                trusted: self.trusted,
                message: self.message.clone(),
                registries: self.registries.clone(),
                supervisors: self.supervisors.clone(),
                pools: self.pools.clone(),
                tasks: self.tasks.clone(),
                register: self.register.clone(),
                env: self.env.clone(),
                link_outside: self.link_outside,
            },
            quotas: self.quotas,
            wasi: self.wasi.grants(base)?,
        })
    }
}

impl WasiSection {
    fn grants(&self, base: &Path) -> Result<WasiGrants, PluginFieldError> {
        let error = |field: String, message: String| PluginFieldError { field, message };
        let mut dirs = Vec::with_capacity(self.dirs.len());
        for (i, dir) in self.dirs.iter().enumerate() {
            let host = base.join(&dir.host);
            if !host.is_dir() {
                return Err(error(
                    format!("wasi.dirs[{i}].host"),
                    format!("{} is not a folder", host.display()),
                ));
            }
            if !dir.guest.starts_with('/') {
                return Err(error(
                    format!("wasi.dirs[{i}].guest"),
                    format!("'{}' must be an absolute path, like /data", dir.guest),
                ));
            }
            dirs.push(DirGrant {
                host,
                guest: dir.guest.clone(),
                write: dir.write,
            });
        }
        let outbound = self
            .allowed_outbound_hosts
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                rule.parse()
                    .map_err(|e| error(format!("wasi.allowed_outbound_hosts[{i}]"), format!("{e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(WasiGrants {
            dirs,
            env: self.env.clone(),
            outbound,
        })
    }
}

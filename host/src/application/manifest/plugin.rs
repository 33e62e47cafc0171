//! `[plugin.NAME]`: what one plugin may do beyond its own process, as the
//! manifest writes it, turned into a [`Policy`].

use serde::Deserialize;

use crate::sandbox::{Grants, NameSet, Policy, Quotas};

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
}

impl PluginSection {
    pub(super) fn policy(&self) -> Policy {
        Policy {
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
        }
    }
}

//! Everything a manifest says one plugin may do and use, in one value that
//! every process of the plugin carries.

use super::grants::Grants;
use super::quotas::Quotas;
use super::wasi::WasiGrants;

/// A plugin's policy: its capabilities and its quotas. The default grants
/// nothing beyond the process itself, with the default quotas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// What it may reach beyond its own process.
    pub grants: Grants,
    /// How much of the host each of its processes may hold.
    pub quotas: Quotas,
    /// What of the machine its guests reach through WASI.
    pub wasi: WasiGrants,
}

impl Policy {
    /// A policy with every capability, and the default quotas.
    pub fn trusted() -> Self {
        Policy {
            grants: Grants::trusted(),
            ..Policy::default()
        }
    }
}

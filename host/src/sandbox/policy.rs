//! Everything a manifest says one plugin may do and use, in one value that
//! every process of the plugin carries.

use super::grants::Grants;

/// A plugin's policy: its capabilities. The default grants nothing beyond
/// the process itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// What it may reach beyond its own process.
    pub grants: Grants,
}

impl Policy {
    /// A policy with every capability.
    pub fn trusted() -> Self {
        Policy {
            grants: Grants::trusted(),
        }
    }
}

//! What the applications of one host must agree on: it has one plugin
//! folder, one hot-swap policy, one `[host]`, one pool of each name and
//! one policy per plugin.

use super::error::ControllerError;
use crate::application::{HostDecl, Manifest};

/// Check that `manifests` can run on one host together. A later
/// manifest may leave `[host]` out: the first one's holds.
///
/// # Errors
///
/// [`ControllerError::Mismatch`], naming the first manifest and the one
/// that differs.
pub(super) fn agree(manifests: &[Manifest]) -> Result<(), ControllerError> {
    let Some((first, rest)) = manifests.split_first() else {
        return Ok(());
    };
    let mismatch = |what: &str, other: &Manifest| {
        Err(ControllerError::Mismatch {
            what: what.to_string(),
            first: first.path.display().to_string(),
            second: other.path.display().to_string(),
        })
    };
    for (i, manifest) in rest.iter().enumerate() {
        if manifest.plugins_dir != first.plugins_dir {
            return mismatch("the plugin folder ([app] plugins)", manifest);
        }
        if manifest.upgrade != first.upgrade {
            return mismatch("[app.upgrade]", manifest);
        }
        if manifest.host != first.host && manifest.host != HostDecl::default() {
            return mismatch("[host]", manifest);
        }
        for earlier in &manifests[..=i] {
            if let Some(pool) = manifest
                .pools
                .iter()
                .find(|p| earlier.pools.iter().any(|q| q.name == p.name))
            {
                return mismatch(
                    &format!("pool '{}' (pool names are host-wide)", pool.name),
                    manifest,
                );
            }
            if let Some(plugin) = manifest.policies.iter().find_map(|(name, policy)| {
                earlier
                    .policies
                    .get(name)
                    .filter(|theirs| *theirs != policy)
                    .map(|_| name)
            }) {
                return mismatch(
                    &format!("[plugin.{plugin}] (a plugin has one policy on a host)"),
                    manifest,
                );
            }
        }
    }
    Ok(())
}

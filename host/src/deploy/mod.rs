//! `overseer apply`: bring a running host to an edited manifest without
//! restarting it, as OTP's release handler does with supervisors' child
//! specs and `kubectl apply` does with a cluster. The two manifests are
//! compared into a [`Plan`] (config, flags, children removed, changed and
//! added, plugin builds), printed first, then made in that order; a step
//! that fails undoes the ones before it.

mod apply;
mod diff;
mod error;
mod plan;

pub use apply::{Applied, Deployment};
pub use error::ApplyError;
pub use plan::{Plan, Step, SupPath};

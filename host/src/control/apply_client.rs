//! The client side of `overseer apply`.

use hyper::Method;

use super::api::{ApplyRequest, route};
use super::client::{Client, ClientError, RELOAD_DEADLINE};
use crate::deploy::Applied;

impl Client {
    /// Bring the host to the manifest at `manifest` (a path the host can
    /// read), or with `dry_run` only get the plan.
    ///
    /// # Errors
    ///
    /// [`ClientError`], with the host's one line: a bad manifest, a change
    /// apply does not make, or a failed step (the others undone).
    pub async fn apply(&self, manifest: &str, dry_run: bool) -> Result<Applied, ClientError> {
        let body = ApplyRequest {
            manifest: manifest.to_string(),
            dry_run,
        };
        self.request(Method::POST, route::APPLY, Some(&body), RELOAD_DEADLINE)
            .await
    }
}

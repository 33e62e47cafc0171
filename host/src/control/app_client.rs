//! The client side of `overseer apps` and `overseer app start|stop|restart`.

use hyper::Method;

use super::api::{AppChangeReply, AppRequest, route};
use super::client::{Client, ClientError, RELOAD_DEADLINE, REQUEST_DEADLINE};
use crate::application::AppStatus;

impl Client {
    /// The host's applications, in start order.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn apps(&self) -> Result<Vec<AppStatus>, ClientError> {
        self.request::<(), _>(Method::GET, route::APPS, None, REQUEST_DEADLINE)
            .await
    }

    /// Start (`route::APP_START`), stop or restart application `name`;
    /// what was stopped and started, in order.
    ///
    /// # Errors
    ///
    /// [`ClientError`], with the host's one line: an unknown application,
    /// one already running or not running, one that did not start.
    pub async fn app(&self, route: &str, name: &str) -> Result<AppChangeReply, ClientError> {
        let body = AppRequest {
            name: name.to_string(),
        };
        self.request(Method::POST, route, Some(&body), RELOAD_DEADLINE)
            .await
    }
}

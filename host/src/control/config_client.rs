//! The client side of `overseer config`.

use hyper::Method;

use super::api::{ConfigQuery, ConfigReply, ConfigSetRequest, ConfigUnsetRequest, route};
use super::client::{Client, ClientError, REQUEST_DEADLINE};
use crate::application::ConfigChanged;

impl Client {
    /// Application `app`'s effective configuration (the running one's when
    /// none is named), with where each value came from.
    ///
    /// # Errors
    ///
    /// [`ClientError`]; `no application` for a name that is not running.
    pub async fn config(&self, app: Option<&str>) -> Result<ConfigReply, ClientError> {
        let query = ConfigQuery {
            app: app.map(str::to_string),
        };
        let path = self.with_query(route::CONFIG, &query)?;
        self.request::<(), _>(Method::GET, &path, None, REQUEST_DEADLINE)
            .await
    }

    /// Set `key` of `app`'s env to what `value` stands for, and tell its
    /// processes.
    ///
    /// # Errors
    ///
    /// [`ClientError`], with the host's one line.
    pub async fn config_set(
        &self,
        app: Option<&str>,
        key: &str,
        value: &str,
    ) -> Result<ConfigChanged, ClientError> {
        let body = ConfigSetRequest {
            app: app.map(str::to_string),
            key: key.to_string(),
            value: value.to_string(),
        };
        self.request(
            Method::POST,
            route::CONFIG_SET,
            Some(&body),
            REQUEST_DEADLINE,
        )
        .await
    }

    /// Remove `key` from `app`'s env, and tell its processes.
    ///
    /// # Errors
    ///
    /// [`ClientError`], with the host's one line.
    pub async fn config_unset(
        &self,
        app: Option<&str>,
        key: &str,
    ) -> Result<ConfigChanged, ClientError> {
        let body = ConfigUnsetRequest {
            app: app.map(str::to_string),
            key: key.to_string(),
        };
        self.request(
            Method::POST,
            route::CONFIG_UNSET,
            Some(&body),
            REQUEST_DEADLINE,
        )
        .await
    }
}

//! `overseer config`: an application's effective configuration, and
//! changes to it while it runs.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::api::{
    ConfigEntryReply, ConfigQuery, ConfigReply, ConfigSetRequest, ConfigUnsetRequest,
};
use super::api_error::ApiError;
use super::handlers::Control;
use crate::application::config::ConfigError;
use crate::application::{ConfigChanged, ConfigEdit};

impl From<ConfigError> for ApiError {
    fn from(err: ConfigError) -> Self {
        let status = match err {
            ConfigError::UnknownApplication { .. }
            | ConfigError::WhichApplication { .. }
            | ConfigError::NoSuchKey { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: err.to_string(),
        }
    }
}

pub(super) async fn config(
    State(control): State<Control>,
    query: Result<Query<ConfigQuery>, QueryRejection>,
) -> Result<Json<ConfigReply>, ApiError> {
    let Query(query) = query?;
    let config = control.node.resolve_env(query.app.as_deref())?.current();
    Ok(Json(ConfigReply {
        app: config.app().to_string(),
        environment: config.environment().map(str::to_string),
        entries: config
            .entries()
            .into_iter()
            .map(|entry| ConfigEntryReply {
                key: entry.key,
                value: entry.value,
                source: entry
                    .source
                    .map_or_else(|| "unknown".to_string(), |s| s.to_string()),
                secret_file: entry.secret_file,
            })
            .collect(),
    }))
}

pub(super) async fn set(
    State(control): State<Control>,
    body: Result<Json<ConfigSetRequest>, JsonRejection>,
) -> Result<Json<ConfigChanged>, ApiError> {
    let Json(req) = body?;
    let edit = ConfigEdit::Set {
        key: req.key,
        text: req.value,
    };
    Ok(Json(control.node.change_config(req.app.as_deref(), edit)?))
}

pub(super) async fn unset(
    State(control): State<Control>,
    body: Result<Json<ConfigUnsetRequest>, JsonRejection>,
) -> Result<Json<ConfigChanged>, ApiError> {
    let Json(req) = body?;
    let edit = ConfigEdit::Unset { key: req.key };
    Ok(Json(control.node.change_config(req.app.as_deref(), edit)?))
}

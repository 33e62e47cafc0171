//! `overseer apply`: the running host brought to an edited manifest.

use std::path::Path;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;

use super::api::ApplyRequest;
use super::api_error::ApiError;
use super::handlers::Control;
use crate::deploy::{Applied, ApplyError};

impl From<ApplyError> for ApiError {
    fn from(err: ApplyError) -> Self {
        let status = match err {
            ApplyError::Failed { .. } | ApplyError::NoManifest => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: err.to_string(),
        }
    }
}

pub(super) async fn apply(
    State(control): State<Control>,
    body: Result<Json<ApplyRequest>, JsonRejection>,
) -> Result<Json<Applied>, ApiError> {
    let Json(req) = body?;
    let deployment = control.deployment.as_ref().ok_or(ApplyError::NoManifest)?;
    Ok(Json(
        deployment
            .apply(Path::new(&req.manifest), req.dry_run)
            .await?,
    ))
}

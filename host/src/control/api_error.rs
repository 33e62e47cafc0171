//! A failed control request: its HTTP status, and the one line of JSON
//! that says why.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::api::ErrorReply;
use crate::application::{StartChildError, TaskStartError};
use crate::process::CallError;
use crate::reload::ReloadError;
use crate::supervisor::{ChildError, NoSupervisor, PoolError};

/// A failed request, as its status and one line of JSON.
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    pub(super) message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorReply {
            error: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<CallError> for ApiError {
    fn from(err: CallError) -> Self {
        let status = match &err {
            CallError::NoProc(_) => StatusCode::NOT_FOUND,
            CallError::NotAServer(_) => StatusCode::CONFLICT,
            CallError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            CallError::Exited(_) => StatusCode::BAD_GATEWAY,
            CallError::MailboxFull(..) => StatusCode::SERVICE_UNAVAILABLE,
            CallError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        };
        ApiError {
            status,
            message: one_line(&err.to_string()),
        }
    }
}

impl From<ReloadError> for ApiError {
    fn from(err: ReloadError) -> Self {
        let status = match &err {
            ReloadError::UnknownPlugin(_) => StatusCode::NOT_FOUND,
            ReloadError::Rejected(_)
            | ReloadError::Failed { .. }
            | ReloadError::ReleaseFolder { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: one_line(&err.to_string()),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Call(call) => call.into(),
            PoolError::NoPool(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: err.to_string(),
            },
            PoolError::Timeout { .. } => ApiError {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: err.to_string(),
            },
            PoolError::Full(_) | PoolError::Start { .. } | PoolError::GaveUp(_) => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: one_line(&err.to_string()),
            },
        }
    }
}

impl From<ChildError> for ApiError {
    fn from(err: ChildError) -> Self {
        let status = match &err {
            ChildError::NotFound(_) | ChildError::NoSuchId(_) => StatusCode::NOT_FOUND,
            ChildError::AlreadyStarted { .. }
            | ChildError::Running(_)
            | ChildError::Restarting(_) => StatusCode::CONFLICT,
            ChildError::NoSupervisor(_) => StatusCode::SERVICE_UNAVAILABLE,
            ChildError::MaxChildren(_)
            | ChildError::AlreadyPresent(_)
            | ChildError::StartFailed(_)
            | ChildError::NotSupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: one_line(&err.to_string()),
        }
    }
}

impl From<StartChildError> for ApiError {
    fn from(err: StartChildError) -> Self {
        match err {
            StartChildError::Child(child) => child.into(),
            StartChildError::NoSupervisor(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: err.to_string(),
            },
            StartChildError::Spec(_) | StartChildError::Unrunnable(_) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: one_line(&err.to_string()),
            },
        }
    }
}

impl From<TaskStartError> for ApiError {
    fn from(err: TaskStartError) -> Self {
        let status = match &err {
            TaskStartError::Child(child) => return ApiError::from_child(child, &err),
            TaskStartError::NoSupervisor(_) => StatusCode::NOT_FOUND,
            TaskStartError::Plugin(_) | TaskStartError::Ignored => StatusCode::UNPROCESSABLE_ENTITY,
            TaskStartError::Spawn(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError {
            status,
            message: one_line(&err.to_string()),
        }
    }
}

impl ApiError {
    /// A child error's status, with the message of the error that wraps it.
    fn from_child(child: &ChildError, outer: &dyn std::fmt::Display) -> ApiError {
        let status = match child {
            ChildError::NotFound(_) => StatusCode::NOT_FOUND,
            ChildError::NoSupervisor(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: one_line(&outer.to_string()),
        }
    }
}

impl From<NoSupervisor> for ApiError {
    fn from(err: NoSupervisor) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: err.to_string(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError {
            status: rejection.status(),
            message: one_line(&rejection.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError {
            status: rejection.status(),
            message: one_line(&rejection.body_text()),
        }
    }
}

/// Crash reasons may carry a multi-line cause; the API promises one line.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

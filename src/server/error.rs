//! The one error type of the HTTP service and its one JSON shape.
//!
//! Every error a client sees — a bad parameter, an unknown id, a wrong method, a body too large,
//! a timeout — is `{"code": "...", "description": "...", "status": N}` with `application/json`,
//! the `code`s being those of OGC API – Features' exception schema where one fits. Internal
//! details are logged, never sent.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer of the service.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is unknown, repeated, malformed or out of range (400).
    #[error("{0}")]
    InvalidParameter(String),
    /// A request body that is not valid for the operation (400).
    #[error("{0}")]
    InvalidBody(String),
    /// An id, collection or path that does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not for this method (405).
    #[error("{0}: method not allowed")]
    MethodNotAllowed(String),
    /// A body in a media type the operation does not take (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request body is larger than the service accepts (413).
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The project has no data for this operation (e.g. no roads layer for catchments) (409).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: a bug or a resource problem. Logged in full, answered without detail (500).
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A bad value for the parameter `name`.
    pub fn param(name: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::InvalidParameter(format!("parameter {name:?}: {message}"))
    }

    /// The HTTP status of this error; the one place where errors map to statuses.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter(_) | ApiError::InvalidBody(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidParameter(_) => "InvalidParameterValue",
            ApiError::InvalidBody(_) => "InvalidRequestBody",
            ApiError::NotFound(_) => "NotFound",
            ApiError::MethodNotAllowed(_) => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::PayloadTooLarge(_) => "PayloadTooLarge",
            ApiError::Unavailable(_) => "NotAvailable",
            ApiError::Internal(_) => "InternalError",
        }
    }
}

/// The JSON error body for a status and description (also used for errors made by middleware).
pub fn error_response(status: StatusCode, code: &str, description: &str) -> Response {
    let body = json!({"code": code, "description": description, "status": status.as_u16()});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let description = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error; the server log has the details".to_string()
            }
            other => other.to_string(),
        };
        error_response(status, self.code(), &description)
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match &r {
            J::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "the body must be JSON with Content-Type: application/json".into(),
            ),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(super::BODY_LIMIT_BYTES)
            }
            _ => ApiError::InvalidBody(r.body_text()),
        }
    }
}

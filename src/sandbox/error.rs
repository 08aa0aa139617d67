//! Errors in WSO2's shapes: `{code, message, description, traceId}` for the server APIs, SCIM's
//! `{schemas, status, scimType, detail}` under `/scim2`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
    pub description: String,
    pub scim: bool,
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        message: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            message,
            description: description.into(),
            scim: false,
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Invalid input", description)
    }

    pub fn not_found(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code,
            "Resource not found",
            description,
        )
    }

    pub fn conflict(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            code,
            "Resource already exists",
            description,
        )
    }

    pub fn unauthorized(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "SANDBOX-401",
            "Unauthorized",
            description,
        )
    }

    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "SANDBOX-403",
            "Operation is not permitted",
            description,
        )
    }

    pub fn injected(status: StatusCode, retry_after: Option<u64>) -> Self {
        let mut err = Self::new(
            status,
            "SANDBOX-FAULT",
            "Injected fault",
            format!("the sandbox was told to answer {status}"),
        );
        err.retry_after = retry_after;
        err
    }

    pub fn scim(mut self) -> Self {
        self.scim = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = if self.scim {
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": self.status.as_u16().to_string(),
                "scimType": self.code,
                "detail": self.description,
            })
        } else {
            json!({
                "code": self.code,
                "message": self.message,
                "description": self.description,
                "traceId": uuid::Uuid::new_v4().to_string(),
            })
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

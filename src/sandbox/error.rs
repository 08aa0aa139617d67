//! Errors in WSO2's shapes: `{code, message, description, traceId}` for the server APIs, SCIM's
//! `{schemas, status, scimType, detail}` under `/scim2` (charon: `status` a string, `scimType`
//! only when set), and the authentication valve's, which answers 401 and 403 before any
//! endpoint runs (an integer `code` or, under `/scim2`, an integer `status`;
//! identity-carbon-auth-rest `APIErrorResponseHandler`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use std::borrow::Cow;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// The management API's `code`, or SCIM's `scimType` (empty: none, as charon leaves it out
    /// when unset).
    pub code: Cow<'static, str>,
    pub message: &'static str,
    pub description: String,
    pub scim: bool,
    /// Answered by the authentication valve, in its shape.
    pub valve: bool,
    pub retry_after: Option<u64>,
}

/// What charon puts in `detail` when a one-argument `BadRequestException` carried the message
/// as its `scimType` (`BadRequestException.java:30-36`).
pub const SCIM_GENERIC_DETAIL: &str =
    "Request is unparsable, syntactically incorrect, or violates schema.";

impl ApiError {
    fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message,
            description: description.into(),
            scim: false,
            valve: false,
            retry_after: None,
        }
    }

    /// A SCIM error as charon builds it from a one-argument `BadRequestException`: the message
    /// in `scimType`, the generic sentence in `detail`.
    pub fn scim_message(status: StatusCode, message: impl Into<String>) -> Self {
        let mut err = Self::new(status, message.into(), "", SCIM_GENERIC_DETAIL);
        err.scim = true;
        err
    }

    /// A SCIM error with `detail` only (a `ConflictException`, a `NotFoundException`).
    pub fn scim_detail(status: StatusCode, detail: impl Into<String>) -> Self {
        let mut err = Self::new(status, "", "", detail);
        err.scim = true;
        err
    }

    /// Any status with a management API code (403 APP-60008, 501 API-RESOURCE-60006).
    pub fn with_status(
        status: StatusCode,
        code: &'static str,
        message: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self::new(status, code, message, description)
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

    /// The valve's 401.
    pub fn unauthorized(description: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::UNAUTHORIZED, "", "Unauthorized", description);
        err.valve = true;
        err
    }

    /// The valve's 403 (a token without the operation's scope).
    pub fn forbidden(description: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::FORBIDDEN, "", "Forbidden", description);
        err.valve = true;
        err
    }

    /// A 403 an endpoint answers itself (a management API's code).
    pub fn forbidden_operation(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, "Forbidden", description)
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
        let body = if self.valve && self.scim {
            json!({
                "status": self.status.as_u16(),
                "detail": self.description,
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            })
        } else if self.valve {
            json!({
                "code": self.status.as_u16(),
                "message": self.message,
                "description": self.description,
                "traceId": uuid::Uuid::new_v4().to_string(),
            })
        } else if self.scim {
            let mut body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": self.status.as_u16().to_string(),
                "detail": self.description,
            });
            if !self.code.is_empty() {
                body["scimType"] = json!(self.code);
            }
            body
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

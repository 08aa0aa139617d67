//! What went wrong with an upstream call, classified so that a tool can say what to do.

use std::time::Duration;

use progenitor_client::Error;
use serde::Serialize;

use super::local_failure::{
    LIMIT_HEADER, LOCAL_FAILURE_HEADER, LocalFailure, OPERATION_HEADER, URL_HEADER, WRITE_HEADER,
};
use super::operation_scopes;
use super::token::TOKEN_ENDPOINT_HEADER;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The upstream answered with this HTTP status.
    Status(u16),
    /// No answer within the time limit.
    Timeout,
    /// Could not connect (refused, DNS, TLS).
    Connect,
    /// The connection dropped before the whole answer arrived.
    Dropped,
    /// The call was cancelled before the request was sent.
    Cancelled,
    /// The call's deadline passed before the request could be sent.
    Deadline,
    /// The answer arrived but could not be read as the API's model.
    Decode,
    /// The request could not be built (a bug or an argument the API cannot carry).
    InvalidRequest,
    /// A dry run held the write back: it was not sent.
    HeldBack,
}

/// A failed upstream call: its kind, the upstream's own words, and what it concerned.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    pub kind: FailureKind,
    /// The upstream's message (WSO2's `description`/`message`, SCIM's `detail`), if any.
    pub detail: String,
    /// The operation that failed (from the seam's header).
    pub operation: Option<String>,
    /// The server's `Retry-After`, only when it sent one.
    pub retry_after: Option<Duration>,
    /// Set when the failure came from the token endpoint rather than the API.
    pub token_endpoint: Option<String>,
    pub url: Option<String>,
    /// The time limit that ran out.
    pub limit: Option<Duration>,
    /// A write went out and no answer came: it may have happened.
    pub write_unknown: bool,
}

impl ApiFailure {
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            FailureKind::Status(s) => Some(s),
            _ => None,
        }
    }

    /// The scopes the failed operation requires.
    pub fn required_scopes(&self) -> &'static [&'static str] {
        self.operation.as_deref().map_or(&[], operation_scopes)
    }

    pub async fn from_error<E: Serialize>(error: Error<E>) -> Self {
        match error {
            Error::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = serde_json::to_value(response.into_inner()).unwrap_or_default();
                Self::from_parts(status, &headers, detail_of(&body))
            }
            Error::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let text = response.text().await.unwrap_or_default();
                let detail = serde_json::from_str(&text)
                    .map(|v| detail_of(&v))
                    .unwrap_or_else(|_| text.chars().take(300).collect());
                Self::from_parts(status, &headers, detail)
            }
            Error::CommunicationError(err) | Error::ResponseBodyError(err) => {
                let kind = if err.is_timeout() {
                    FailureKind::Timeout
                } else if err.is_connect() {
                    FailureKind::Connect
                } else {
                    FailureKind::Dropped
                };
                let mut failure = Self::bare(kind, super::local_failure::source_chain(&err));
                failure.url = err.url().map(ToString::to_string);
                failure
            }
            Error::InvalidResponsePayload(_, err) => {
                Self::bare(FailureKind::Decode, err.to_string())
            }
            Error::InvalidRequest(msg) | Error::Custom(msg) => {
                Self::bare(FailureKind::InvalidRequest, msg)
            }
            Error::InvalidUpgrade(err) => Self::bare(FailureKind::Dropped, err.to_string()),
        }
    }

    pub fn bare(kind: FailureKind, detail: String) -> Self {
        Self {
            kind,
            detail,
            operation: None,
            retry_after: None,
            token_endpoint: None,
            url: None,
            limit: None,
            write_unknown: false,
        }
    }

    fn from_parts(status: u16, headers: &reqwest::header::HeaderMap, detail: String) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let kind = match header(LOCAL_FAILURE_HEADER).and_then(|k| LocalFailure::parse(&k)) {
            None => FailureKind::Status(status),
            Some(LocalFailure::Cancelled) => FailureKind::Cancelled,
            Some(LocalFailure::Deadline) => FailureKind::Deadline,
            Some(LocalFailure::Timeout) => FailureKind::Timeout,
            Some(LocalFailure::Connect) => FailureKind::Connect,
            Some(LocalFailure::Dropped) => FailureKind::Dropped,
            Some(LocalFailure::Client) => FailureKind::InvalidRequest,
            Some(LocalFailure::HeldBack) => FailureKind::HeldBack,
        };
        Self {
            kind,
            detail,
            operation: header(OPERATION_HEADER),
            retry_after: super::local_failure::retry_after(headers),
            token_endpoint: header(TOKEN_ENDPOINT_HEADER),
            url: header(URL_HEADER),
            limit: header(LIMIT_HEADER)
                .and_then(|v| v.parse().ok())
                .map(Duration::from_millis),
            write_unknown: header(WRITE_HEADER).is_some(),
        }
    }
}

/// The most useful message in a WSO2 or SCIM error body.
fn detail_of(body: &serde_json::Value) -> String {
    ["description", "detail", "message", "error_description"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_str()))
        .find(|s| !s.trim().is_empty())
        .unwrap_or_default()
        .to_owned()
}

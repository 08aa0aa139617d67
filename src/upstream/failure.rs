//! What went wrong with an upstream call, classified so that a tool can say what to do.

use std::time::Duration;

use progenitor_client::Error;
use serde::Serialize;

use super::token::TOKEN_ENDPOINT_HEADER;
use super::{OPERATION_HEADER, operation_scopes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The upstream answered with this HTTP status.
    Status(u16),
    Timeout,
    /// Could not connect (refused, DNS, TLS).
    Connect,
    /// The upstream's answer did not have the shape the API documents.
    Decode,
    /// The request could not be built (a bug or an argument the API cannot carry).
    InvalidRequest,
}

/// A failed upstream call: its kind, the upstream's own words, and what it concerned.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    pub kind: FailureKind,
    /// The upstream's message (WSO2's `description`/`message`, SCIM's `detail`), if any.
    pub detail: String,
    /// The operation that failed (from the seam's header).
    pub operation: Option<String>,
    pub retry_after: Option<Duration>,
    /// Set when the failure came from the token endpoint rather than the API.
    pub token_endpoint: Option<String>,
    pub url: Option<String>,
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
                Self::from_parts(
                    FailureKind::Status(status),
                    &headers,
                    detail_of(&body),
                    None,
                )
            }
            Error::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let url = Some(response.url().to_string());
                let text = response.text().await.unwrap_or_default();
                let detail = serde_json::from_str(&text)
                    .map(|v| detail_of(&v))
                    .unwrap_or_else(|_| text.chars().take(300).collect());
                Self::from_parts(FailureKind::Status(status), &headers, detail, url)
            }
            Error::CommunicationError(err) | Error::ResponseBodyError(err) => {
                let kind = if err.is_timeout() {
                    FailureKind::Timeout
                } else if err.is_connect() {
                    FailureKind::Connect
                } else {
                    FailureKind::Decode
                };
                let url = err.url().map(ToString::to_string);
                Self {
                    kind,
                    detail: source_chain(&err),
                    operation: None,
                    retry_after: None,
                    token_endpoint: None,
                    url,
                }
            }
            Error::InvalidResponsePayload(_, err) => {
                Self::bare(FailureKind::Decode, err.to_string())
            }
            Error::InvalidRequest(msg) | Error::Custom(msg) => {
                Self::bare(FailureKind::InvalidRequest, msg)
            }
            Error::InvalidUpgrade(err) => Self::bare(FailureKind::Decode, err.to_string()),
        }
    }

    fn bare(kind: FailureKind, detail: String) -> Self {
        Self {
            kind,
            detail,
            operation: None,
            retry_after: None,
            token_endpoint: None,
            url: None,
        }
    }

    fn from_parts(
        kind: FailureKind,
        headers: &reqwest::header::HeaderMap,
        detail: String,
        url: Option<String>,
    ) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            kind,
            detail,
            operation: header(OPERATION_HEADER),
            retry_after: header("retry-after")
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_secs),
            token_endpoint: header(TOKEN_ENDPOINT_HEADER),
            url,
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

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

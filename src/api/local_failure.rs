//! What the seam answers for a request that got no usable answer from the server (cancelled,
//! out of time, refused, dropped): a local response marked with [`LOCAL_FAILURE_HEADER`], so
//! the generated clients report it through their ordinary error path, and the headers that
//! carry what a failure concerns.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{ResponseBuilderExt, StatusCode};

/// The response header the seam adds to every failed response, naming the operation, so that
/// an error can say which scopes that operation needs.
pub const OPERATION_HEADER: &str = "x-asgardeo-mcp-operation";
/// Marks a response the seam made itself: its value is the [`LocalFailure`] kind.
pub const LOCAL_FAILURE_HEADER: &str = "x-asgardeo-mcp-failure";
/// The URL a local failure concerns.
pub const URL_HEADER: &str = "x-asgardeo-mcp-url";
/// The time limit that ran out, in milliseconds.
pub const LIMIT_HEADER: &str = "x-asgardeo-mcp-limit-ms";
/// Whether a write may have reached the server before its local failure (`unknown`).
pub const WRITE_HEADER: &str = "x-asgardeo-mcp-write";
/// The status a local response carries: outside what any WSO2 operation documents.
const LOCAL_STATUS: u16 = 599;

/// Why a request ended without an answer from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalFailure {
    /// The call was cancelled before the request was sent.
    Cancelled,
    /// The call's deadline passed before the request could be sent.
    Deadline,
    /// No answer within the time limit.
    Timeout,
    /// Could not connect (refused, DNS, TLS).
    Connect,
    /// The connection dropped before the whole answer arrived.
    Dropped,
    /// The HTTP client could not be set up or the request could not be built.
    Client,
    /// A dry run: the write was kept as the plan, not sent.
    HeldBack,
}

impl LocalFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            LocalFailure::Cancelled => "cancelled",
            LocalFailure::Deadline => "deadline",
            LocalFailure::Timeout => "timeout",
            LocalFailure::Connect => "connect",
            LocalFailure::Dropped => "dropped",
            LocalFailure::Client => "client",
            LocalFailure::HeldBack => "held_back",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            LocalFailure::Cancelled,
            LocalFailure::Deadline,
            LocalFailure::Timeout,
            LocalFailure::Connect,
            LocalFailure::Dropped,
            LocalFailure::Client,
            LocalFailure::HeldBack,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A response the seam makes for a failure that has no HTTP status of its own.
pub(crate) fn local_failure(
    kind: LocalFailure,
    operation: &'static str,
    url: &str,
    detail: &str,
    limit: Option<Duration>,
    write_may_have_happened: bool,
) -> reqwest::Response {
    let body =
        serde_json::json!({ "code": "LOCAL", "message": kind.as_str(), "description": detail });
    let mut builder = http::Response::builder()
        .status(LOCAL_STATUS)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(OPERATION_HEADER, operation)
        .header(LOCAL_FAILURE_HEADER, kind.as_str());
    if let Ok(value) = HeaderValue::from_str(url) {
        builder = builder.header(URL_HEADER, value);
    }
    if let Some(limit) = limit {
        builder = builder.header(LIMIT_HEADER, limit.as_millis().to_string());
    }
    if write_may_have_happened {
        builder = builder.header(WRITE_HEADER, "unknown");
    }
    if let Ok(parsed) = reqwest::Url::parse(url) {
        builder = builder.url(parsed);
    }
    builder
        .body(body.to_string())
        .map(reqwest::Response::from)
        .unwrap_or_else(|_| reqwest::Response::from(http::Response::new(String::new())))
}

pub(crate) trait StatusNote {
    fn with_status_note(self, status: StatusCode) -> Self;
}

impl StatusNote for reqwest::Response {
    /// Keeps the status the server did send beside a dropped body.
    fn with_status_note(mut self, status: StatusCode) -> Self {
        if let Ok(value) = HeaderValue::from_str(status.as_str()) {
            self.headers_mut().insert("x-asgardeo-mcp-status", value);
        }
        self
    }
}

/// Names the operation on a failed response, so that its error can name the scopes it needs.
pub(crate) fn mark_failure(
    mut response: reqwest::Response,
    operation: &'static str,
) -> reqwest::Response {
    if !response.status().is_success() {
        let url = HeaderValue::from_str(response.url().as_str()).ok();
        let headers = response.headers_mut();
        headers.insert(OPERATION_HEADER, HeaderValue::from_static(operation));
        if let Some(url) = url {
            headers.entry(URL_HEADER).or_insert(url);
        }
    }
    response
}

/// `Retry-After` in seconds (WSO2 and the sandbox send seconds, not dates).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

pub(crate) fn source_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

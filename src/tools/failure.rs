//! Tool failures a user or model can act on. Each becomes a tool result with `isError: true`
//! and one sentence saying what happened and what to do; none is a protocol error.

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};

use crate::upstream::{ApiFailure, FailureKind};

#[derive(Debug, Clone)]
pub struct ToolError {
    pub message: String,
}

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// A bad argument: which one, and why.
    pub fn invalid(argument: &str, why: &str) -> Self {
        Self::new(format!("Invalid argument `{argument}`: {why}."))
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(format!("Not found: {what}."))
    }

    /// An upstream failure, explained for `doing` ("creating application `x`").
    pub async fn upstream<E: serde::Serialize>(
        doing: &str,
        error: progenitor_client::Error<E>,
        base_url: &str,
    ) -> Self {
        Self::explain(doing, &ApiFailure::from_error(error).await, base_url)
    }

    pub fn explain(doing: &str, failure: &ApiFailure, base_url: &str) -> Self {
        let detail = if failure.detail.is_empty() {
            String::new()
        } else {
            format!(" The server said: {}", failure.detail.trim_end_matches('.')) + "."
        };
        let message = match (&failure.kind, failure.status()) {
            (_, Some(401)) if failure.token_endpoint.is_some() => format!(
                "Authentication failed while {doing}: the token endpoint {} rejected the client credentials.{detail} Check CLIENT_ID and CLIENT_SECRET, and that BASE_URL ({base_url}) is your organization's URL (https://api.asgardeo.io/t/<org> or https://<host>/t/<tenant>).",
                failure.token_endpoint.as_deref().unwrap_or("/oauth2/token")
            ),
            (_, Some(401)) => format!(
                "Authentication failed while {doing}: the API rejected a freshly issued token.{detail} Check CLIENT_ID, CLIENT_SECRET and BASE_URL ({base_url}), and that the M2M application is still active."
            ),
            (_, Some(403)) => {
                let scopes = failure.required_scopes();
                let needed = if scopes.is_empty() {
                    "the required scope".to_owned()
                } else {
                    format!("the scope(s) {}", scopes.join(", "))
                };
                format!(
                    "Permission denied while {doing}: the M2M application behind CLIENT_ID lacks {needed}.{detail} Authorize the application for the management API that grants {} (Console > Applications > your M2M app > API Authorization), then retry.",
                    if scopes.is_empty() {
                        "it".to_owned()
                    } else {
                        scopes.join(", ")
                    }
                )
            }
            (_, Some(404)) => format!(
                "Not found while {doing}.{detail} Check the identifier; list tools show what exists."
            ),
            (_, Some(409)) => format!(
                "Conflict while {doing}: it already exists.{detail} Use a different name, or read the existing one instead."
            ),
            (_, Some(400)) => format!(
                "The server rejected the request while {doing}.{detail} Correct the arguments and retry."
            ),
            (_, Some(429)) => format!(
                "Rate limited while {doing}. Retry after {} seconds.{detail}",
                failure.retry_after.map_or(30, |d| d.as_secs())
            ),
            (_, Some(status)) if status >= 500 => format!(
                "The server failed ({status}) while {doing}.{detail} This is on the server's side; retry{}.",
                failure
                    .retry_after
                    .map_or(" in a little while".to_owned(), |d| format!(
                        " after {} seconds",
                        d.as_secs()
                    ))
            ),
            (_, Some(status)) => format!("Unexpected status {status} while {doing}.{detail}"),
            (FailureKind::Timeout, _) => format!(
                "No answer from {} in time while {doing}. The server may be slow or unreachable; retry, or check BASE_URL.",
                failure.url.as_deref().unwrap_or(base_url)
            ),
            (FailureKind::Connect, _) => format!(
                "Could not connect to {} while {doing}: {}. Check BASE_URL, the network, and TLS trust (CERT_PATH for a private CA).",
                failure.url.as_deref().unwrap_or(base_url),
                failure.detail
            ),
            (FailureKind::Decode, _) => format!(
                "The server's answer while {doing} did not have the documented shape: {}. Retry; if it persists, report it with the server version.",
                failure.detail
            ),
            (FailureKind::InvalidRequest, _) => format!(
                "The request could not be built while {doing}: {}.",
                failure.detail
            ),
            (FailureKind::Status(_), None) => format!("Failed while {doing}.{detail}"),
        };
        Self::new(message)
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(self.message)]).into())
    }
}

//! One result pipeline for every tool: failures a user or model can act on become a tool
//! result with `isError: true` and one sentence saying what happened and what to do, and a
//! generated client's result is turned into either its value or that sentence by
//! [`OrExplain::or_explain`], so no tool writes the matching by hand.

use std::fmt::Display;

use progenitor_client::{Error, ResponseValue};
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;

use crate::api::{ApiFailure, CallScope, FailureKind, IntendedChange, WriteOutcome};

#[derive(Debug, Clone)]
pub struct ToolError {
    pub message: String,
    /// The upstream failure's code, when the error explains one (`APP-60509`, a SCIM
    /// `scimType`): what a tool matches on to say more.
    pub code: Option<String>,
}

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: None,
        }
    }

    /// A bad argument: which one, and why.
    pub fn invalid(argument: &str, why: &str) -> Self {
        Self::new(format!("Invalid argument `{argument}`: {why}."))
    }

    pub fn not_found(what: impl Display) -> Self {
        Self::new(format!("Not found: {what}."))
    }

    /// A field the tool cannot work without is missing from the server's answer.
    pub fn missing(field: &str, operation: &str) -> Self {
        Self::new(format!(
            "The server's answer to {operation} has no `{field}`, which this tool cannot work without. Nothing was changed by this call; report this with the server's version."
        ))
    }

    /// An upstream failure, explained for `doing` ("creating application `x`").
    pub fn explain(doing: &str, failure: &ApiFailure, base_url: &str) -> Self {
        let detail = if failure.detail.is_empty() {
            String::new()
        } else {
            format!(" The server said: {}", failure.detail.trim_end_matches('.')) + "."
        };
        let url = failure.url.as_deref().unwrap_or(base_url);
        let limit = failure
            .limit
            .map(|l| format!(" within {} seconds", trim_seconds(l)))
            .unwrap_or_default();
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
                let (needed, grant) = if scopes.is_empty() {
                    ("the required scope".to_owned(), "it".to_owned())
                } else {
                    (
                        format!("the scope(s) {}", scopes.join(", ")),
                        scopes.join(", "),
                    )
                };
                format!(
                    "Permission denied while {doing}: the M2M application behind CLIENT_ID lacks {needed}.{detail} Authorize the application for the management API that grants {grant} (Console > Applications > your M2M app > API Authorization), then retry."
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
            (_, Some(429)) => match failure.retry_after {
                Some(wait) => format!(
                    "Rate limited while {doing}. Retry after {} seconds, as the server asks.{detail}",
                    wait.as_secs()
                ),
                None => format!(
                    "Rate limited while {doing}. The server did not say for how long; wait a minute before retrying.{detail}"
                ),
            },
            (_, Some(501)) => format!(
                "The server does not support this (501 Not Implemented) while {doing}.{detail} This server version lacks the feature; do it in the Console, or on a newer version."
            ),
            (_, Some(status)) if status >= 500 => format!(
                "The server failed ({status}) while {doing}.{detail} This is on the server's side; {}.",
                failure
                    .retry_after
                    .map_or("retry in a little while".to_owned(), |d| format!(
                        "it asks to retry after {} seconds",
                        d.as_secs()
                    ))
            ),
            (_, Some(status)) => format!(
                "Unexpected status {status} while {doing}.{detail} Nothing was changed by this request; check the arguments against the server's version, and report this if it persists."
            ),
            (FailureKind::Timeout, _) if failure.write_unknown => format!(
                "No answer from {url}{limit} while {doing}. The request was sent, so the change may or may not have happened: check its current state before trying again."
            ),
            (FailureKind::Timeout, _) => format!(
                "No answer from {url}{limit} while {doing}. The server may be slow or unreachable; retry, or check BASE_URL."
            ),
            (FailureKind::Deadline, _) => format!(
                "Out of time{limit} while {doing}: the call's time limit ran out before the request to {url} could be sent, so it was not sent. Retry, or raise --call-timeout."
            ),
            (FailureKind::Cancelled, _) => {
                format!("Cancelled while {doing}; the request to {url} was not sent.")
            }
            (FailureKind::Connect, _) => format!(
                "Could not connect to {url} while {doing}: {}. Check BASE_URL, the network, and TLS trust (CERT_PATH for a private CA).",
                failure.detail
            ),
            (FailureKind::Dropped, _) if failure.write_unknown => format!(
                "The connection to {url} dropped while {doing}, after the request was sent: the change may or may not have happened. Check its current state before trying again. ({})",
                failure.detail
            ),
            (FailureKind::Dropped, _) => format!(
                "The connection to {url} dropped while {doing} ({}). Retry.",
                failure.detail
            ),
            (FailureKind::Decode, _) => format!(
                "The server's answer while {doing} could not be read: {}. Report this with the server's version.",
                failure.detail
            ),
            (FailureKind::InvalidRequest, _) => format!(
                "The request could not be built while {doing}: {}.",
                failure.detail
            ),
            (FailureKind::HeldBack, _) => {
                format!("Dry run: the request for {doing} was not sent.")
            }
            (FailureKind::Status(_), None) => format!("Failed while {doing}.{detail}"),
        };
        Self::new(message)
    }
}

fn trim_seconds(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if (secs - secs.round()).abs() < 0.05 {
        format!("{}", secs.round() as u64)
    } else {
        format!("{secs:.1}")
    }
}

impl Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(self.message)]).into())
    }
}

/// What a write returned: its decoded body, or, when the server performed the write but its
/// answer could not be read, where the server said the result is.
#[derive(Debug)]
pub enum Written<T> {
    Read(T),
    /// The server answered 2xx; the body was unreadable (malformed, the connection dropped, or
    /// a success status its code is not known to send).
    Unreadable {
        location: Option<String>,
        detail: String,
    },
}

/// What a write whose body the server sends on some statuses or configurations only
/// (`optional` in `openapi/server-code.toml`) returned.
#[derive(Debug)]
pub enum Answered<T> {
    Written(Written<T>),
    /// The server answered 2xx without a body: 202 when a workflow holds the change for an
    /// approver, 204 when it is configured not to echo the resource.
    Empty {
        status: u16,
        location: Option<String>,
    },
}

impl<T> From<Written<T>> for Answered<T> {
    fn from(written: Written<T>) -> Self {
        Answered::Written(written)
    }
}

/// The largest optional body read.
const MAX_OPTIONAL_BODY: usize = 4 << 20;

/// Reads a success whose body the server sends on some statuses or configurations only.
async fn read_optional<T: serde::de::DeserializeOwned>(
    response: ResponseValue<progenitor_client::ByteStream>,
) -> Answered<T> {
    use futures::StreamExt;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let mut stream = response.into_inner().into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() <= MAX_OPTIONAL_BODY => {
                bytes.extend_from_slice(&chunk);
            }
            Ok(_) => {
                return Written::Unreadable {
                    location,
                    detail: format!("the answer is larger than {MAX_OPTIONAL_BODY} bytes"),
                }
                .into();
            }
            Err(e) => {
                return Written::Unreadable {
                    location,
                    detail: format!("the connection dropped while the answer was read: {e}"),
                }
                .into();
            }
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Answered::Empty { status, location };
    }
    match serde_json::from_slice(&bytes) {
        Ok(value) => Written::Read(value).into(),
        Err(e) => Written::Unreadable {
            location,
            detail: e.to_string(),
        }
        .into(),
    }
}

/// Turns a generated client's result into its value or an explained [`ToolError`].
#[allow(async_fn_in_trait)]
pub trait OrExplain<T> {
    /// The value, or a sentence saying what went wrong while `doing` and what to do.
    async fn or_explain(self, doing: impl Display + Send) -> Result<T, ToolError>;

    /// For a write: also tells a performed write with an unreadable answer from a failure.
    async fn or_explain_write(self, doing: impl Display + Send) -> Result<Written<T>, ToolError>;

    /// Like `or_explain`, but a 404 is `None`.
    async fn or_absent(self, doing: impl Display + Send) -> Result<Option<T>, ToolError>;

    /// The whole response (headers too), or the classified failure for the tool to weigh.
    async fn or_failure(self) -> Result<ResponseValue<T>, ApiFailure>;
}

impl<T, E: Serialize> OrExplain<T> for Result<ResponseValue<T>, Error<E>> {
    async fn or_explain(self, doing: impl Display + Send) -> Result<T, ToolError> {
        match self {
            Ok(value) => Ok(value.into_inner()),
            Err(error) => Err(explain(&doing.to_string(), error).await),
        }
    }

    async fn or_explain_write(self, doing: impl Display + Send) -> Result<Written<T>, ToolError> {
        match self {
            Ok(value) => Ok(Written::Read(value.into_inner())),
            Err(error) => performed_anyway(&doing.to_string(), error).await,
        }
    }

    async fn or_failure(self) -> Result<ResponseValue<T>, ApiFailure> {
        match self {
            Ok(value) => Ok(value),
            Err(error) => Err(ApiFailure::from_error(error).await),
        }
    }

    async fn or_absent(self, doing: impl Display + Send) -> Result<Option<T>, ToolError> {
        match self {
            Ok(value) => Ok(Some(value.into_inner())),
            Err(error) => {
                let failure = ApiFailure::from_error(error).await;
                if failure.kind == FailureKind::Status(404) {
                    return Ok(None);
                }
                Err(ToolError::from_failure(&doing.to_string(), &failure))
            }
        }
    }
}

/// A write's error that is no failure: the server answered 2xx (a status its code is not known
/// to send, or a body that could not be read), or the connection dropped after a 2xx arrived.
/// Never reported as failed: a retry would only meet "already exists", or do it twice.
async fn performed_anyway<T, E: Serialize>(
    doing: &str,
    error: Error<E>,
) -> Result<Written<T>, ToolError> {
    let failure = ApiFailure::from_error(error).await;
    let last_write = CallScope::current().and_then(|s| s.writes().pop());
    let answered_success = last_write
        .as_ref()
        .is_some_and(|w| matches!(w.outcome, WriteOutcome::Ok { .. }));
    let performed = match failure.kind {
        FailureKind::Status(status) => (200..300).contains(&status),
        FailureKind::Decode | FailureKind::Dropped => answered_success,
        _ => false,
    };
    if performed {
        let detail = match failure.status() {
            Some(status) => {
                format!("the server answered {status}, a success this tool did not expect")
            }
            None => failure.detail,
        };
        return Ok(Written::Unreadable {
            location: last_write.and_then(|w| w.location),
            detail,
        });
    }
    Err(ToolError::from_failure(doing, &failure))
}

/// For a write whose answer carries a body on some statuses or configurations only (the
/// client hands over the bytes): the decoded body, or the success without one.
#[allow(async_fn_in_trait)]
pub trait OrExplainOptional {
    async fn or_explain_optional<B: serde::de::DeserializeOwned>(
        self,
        doing: impl Display + Send,
    ) -> Result<Answered<B>, ToolError>;
}

impl<E: Serialize> OrExplainOptional
    for Result<ResponseValue<progenitor_client::ByteStream>, Error<E>>
{
    async fn or_explain_optional<B: serde::de::DeserializeOwned>(
        self,
        doing: impl Display + Send,
    ) -> Result<Answered<B>, ToolError> {
        match self {
            Ok(value) => Ok(read_optional(value).await),
            Err(error) => performed_anyway(&doing.to_string(), error)
                .await
                .map(Answered::Written),
        }
    }
}

async fn explain<E: Serialize>(doing: &str, error: Error<E>) -> ToolError {
    let failure = ApiFailure::from_error(error).await;
    ToolError::from_failure(doing, &failure)
}

impl ToolError {
    /// `explain` with the tenant URL the failure itself shows.
    pub fn from_failure(doing: &str, failure: &ApiFailure) -> Self {
        let mut err = Self::explain(doing, failure, tenant_of(failure));
        err.code = failure.code.clone();
        err
    }
}

/// The tenant's base URL as far as a failure shows it: the URL up to `/t/<org>`.
fn tenant_of(failure: &ApiFailure) -> &str {
    let Some(url) = failure.url.as_deref() else {
        return "BASE_URL";
    };
    match url.find("/t/") {
        Some(at) => {
            let rest = &url[at + 3..];
            let end = rest.find('/').map_or(url.len(), |e| at + 3 + e);
            &url[..end]
        }
        None => url,
    }
}

/// Declares, before the tool's first write, what it is about to change: `summary` says it in
/// words (`Delete application "shop" (id …)`), `before` and `after` are the resource as it is
/// and as the tool will leave it (`()` for none). A dry run shows them; a confirmation is bound
/// to `before`, and a confirmed call whose resource changed since is refused here, before
/// anything is written.
pub fn intend(
    summary: impl Into<String>,
    before: &impl Serialize,
    after: &impl Serialize,
) -> Result<(), ToolError> {
    let Some(scope) = CallScope::current() else {
        return Ok(());
    };
    let change = IntendedChange {
        summary: summary.into(),
        before: serde_json::to_value(before).unwrap_or_default(),
        after: serde_json::to_value(after).unwrap_or_default(),
    };
    scope.intend(change).map_err(|changed| {
        ToolError::new(format!(
            "Not done: {} was confirmed, but the resource has changed since (someone else edited it). Nothing was changed by this call; call the tool again to see the new plan and confirm it.",
            changed.summary
        ))
    })
}

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
    /// The upstream's message (WSO2's `description`/`message`, SCIM's `detail` and a
    /// `scimType` that carries words), if any.
    pub detail: String,
    /// The server's error code: a management API's `code` (`APP-60509`), or SCIM's `scimType`
    /// (a keyword of RFC 7644 §3.12, or, where WSO2 builds the error with one argument, its
    /// message: `Invalid user store name.`).
    pub code: Option<String>,
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

    /// The server answered a success status its code is not known to send (so the generated
    /// client called it unexpected): the request was performed, never a failure.
    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
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
                let (detail, code) = words_of(&body);
                Self::from_parts(status, &headers, detail, code)
            }
            Error::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let text = response.text().await.unwrap_or_default();
                let (detail, code) = match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(body) => words_of(&body),
                    Err(_) => (plain_text(&text), None),
                };
                Self::from_parts(status, &headers, detail, code)
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
            code: None,
            operation: None,
            retry_after: None,
            token_endpoint: None,
            url: None,
            limit: None,
            write_unknown: false,
        }
    }

    fn from_parts(
        status: u16,
        headers: &reqwest::header::HeaderMap,
        detail: String,
        code: Option<String>,
    ) -> Self {
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
            code,
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

/// RFC 7644 §3.12's `scimType` keywords; WSO2 also puts whole messages there.
const SCIM_TYPES: [&str; 10] = [
    "invalidFilter",
    "tooMany",
    "uniqueness",
    "mutability",
    "invalidSyntax",
    "invalidPath",
    "noTarget",
    "invalidValue",
    "invalidVers",
    "sensitive",
];

/// The server's words in an error body, and its code. Management APIs answer `{code, message,
/// description, traceId}` (the authentication valve with an integer `code`); SCIM answers
/// `{schemas, scimType, detail, status}` (`status` a string from charon, an integer from the
/// valve), and charon's one-argument errors put the message in `scimType` and a generic
/// sentence in `detail`: both are kept, the message first.
fn words_of(body: &serde_json::Value) -> (String, Option<String>) {
    let text = |key: &str| {
        body.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "null")
            .map(str::to_owned)
    };
    let code = text("code").or_else(|| text("scimType"));
    let scim_words = text("scimType").filter(|t| {
        !SCIM_TYPES
            .iter()
            .any(|k| k.eq_ignore_ascii_case(t.trim_end_matches('.')))
    });
    let mut parts: Vec<String> = Vec::new();
    if let Some(words) = scim_words {
        parts.push(words);
    }
    for key in ["description", "detail", "message", "error_description"] {
        if let Some(words) = text(key)
            && !parts.iter().any(|p| same_words(p, &words))
        {
            parts.push(words);
            break;
        }
    }
    let detail = match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!(
            "{} ({})",
            first.trim_end_matches('.'),
            rest.join("; ").trim_end_matches('.')
        ),
    };
    (detail, code)
}

fn same_words(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// A body that is not JSON (a gateway's HTML page, plain text): its first words, tags dropped.
fn plain_text(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    words.join(" ").chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_management_error_gives_its_description_and_code() {
        let (detail, code) = words_of(&json!({
            "code": "APP-60509", "message": "API resource already authorized.",
            "description": "API resource with id: x is already authorized for the application with id: y.",
            "traceId": "t" }));
        assert_eq!(
            detail,
            "API resource with id: x is already authorized for the application with id: y."
        );
        assert_eq!(code.as_deref(), Some("APP-60509"));
    }

    #[test]
    fn a_scim_message_in_scim_type_comes_first_and_the_generic_detail_stays() {
        let (detail, code) = words_of(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "scimType": "Invalid user store name.",
            "detail": "Request is unparsable, syntactically incorrect, or violates schema.",
            "status": "400" }));
        assert_eq!(
            detail,
            "Invalid user store name (Request is unparsable, syntactically incorrect, or violates schema)"
        );
        assert_eq!(code.as_deref(), Some("Invalid user store name."));
        let (detail, code) = words_of(&json!({ "scimType": "invalidValue",
            "detail": "Application: a does not have Application role audience type", "status": "400" }));
        assert_eq!(
            detail,
            "Application: a does not have Application role audience type"
        );
        assert_eq!(code.as_deref(), Some("invalidValue"));
    }

    #[test]
    fn the_valves_integer_status_and_code_are_read() {
        let (detail, _) = words_of(&json!({ "status": 403,
            "detail": "Operation is not permitted. You do not have permissions to make this request.",
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"] }));
        assert!(detail.starts_with("Operation is not permitted"), "{detail}");
        let (detail, code) = words_of(&json!({ "code": 401, "message": "Unauthorized",
            "description": "Authentication required" }));
        assert_eq!(detail, "Authentication required");
        assert_eq!(code, None);
    }

    #[test]
    fn an_html_page_is_read_as_words() {
        assert_eq!(
            plain_text("<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"),
            "502 Bad Gateway nginx"
        );
    }
}

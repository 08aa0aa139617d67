//! Bearer-token and scope checks for every management route, derived from the scopes each
//! operation declares in `openapi/` (the same table the server reads).

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

use super::AppState;
use super::error::ApiError;
use crate::api;

/// (base path + path template, method) → the operation's scopes.
fn operation_scopes(template: &str, method: &str) -> Option<&'static [&'static str]> {
    // Several APIs share a base path, so every one is searched.
    api::ALL.iter().find_map(|spec| {
        let rest = template.strip_prefix(spec.base_path)?;
        spec.operations
            .iter()
            .find(|(_, m, p, _)| *m == method && *p == rest)
            .map(|(.., scopes)| *scopes)
    })
}

/// The scopes the request's token grants, for handlers whose checks go beyond the operation's
/// own scopes (a PATCH that carries an adaptive script).
#[derive(Debug, Clone, Default)]
pub struct Granted(pub std::collections::BTreeSet<String>);

impl Granted {
    pub fn has(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }
}

/// The valve's words (identity-carbon-auth-rest `APIErrorResponseHandler`).
const UNAUTHORIZED: &str =
    "Authorization failure. Authorization information was invalid or missing from your request.";
const FORBIDDEN: &str =
    "Operation is not permitted. You do not have permissions to make this request.";

pub async fn require_scopes(
    State(shared): State<AppState>,
    matched: MatchedPath,
    mut request: Request,
    next: Next,
) -> Response {
    shared
        .stats
        .api_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scim = matched.as_str().contains("/scim2/");
    let fail = |e: ApiError| {
        if scim {
            e.scim().into_response()
        } else {
            e.into_response()
        }
    };
    let prefix = format!("/t/{}", shared.store().org);
    let template = matched
        .as_str()
        .strip_prefix(&prefix)
        .unwrap_or(matched.as_str());
    let Some(required) = operation_scopes(template, request.method().as_str()) else {
        return fail(ApiError::not_found(
            "SANDBOX-NOROUTE",
            "the sandbox serves no such operation",
        ));
    };
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = token else {
        return fail(ApiError::unauthorized(UNAUTHORIZED));
    };
    {
        let store = shared.store();
        let Some(issued) = store.tokens.get(&token) else {
            return fail(ApiError::unauthorized(UNAUTHORIZED));
        };
        if issued.expires_at <= Instant::now() {
            return fail(ApiError::unauthorized(UNAUTHORIZED));
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|s| !issued.scopes.contains(*s))
            .collect();
        if !missing.is_empty() {
            // The valve does not say which scope is missing; the tools know it from the
            // operation.
            tracing::debug!(missing = missing.join(" "), "sandbox: scope missing");
            return fail(ApiError::forbidden(FORBIDDEN));
        }
        request
            .extensions_mut()
            .insert(Granted(issued.scopes.clone()));
    }
    next.run(request).await
}

//! What tests and benchmarks can see of the sandbox from outside: request counters, the most
//! requests it served at once, the scopes the last token was asked for (`GET /sandbox/stats`),
//! and a log of every management API request with the status it got (`GET /sandbox/requests`,
//! `DELETE` clears), the ground truth an audit trail is checked against.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;

#[derive(Default)]
pub struct Stats {
    pub token_requests: AtomicU64,
    pub api_requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    requested_scopes: Mutex<Option<String>>,
    log: Mutex<Vec<LoggedRequest>>,
}

/// One management API request as the sandbox received and answered it.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The connection was dropped after the status: the client saw no answer.
    pub dropped: bool,
}

impl Stats {
    /// Logs a served management API request (the fault layer calls this as soon as the
    /// status is known, before any answer delay).
    pub fn log(&self, method: &str, path: &str, status: u16, dropped: bool) {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(LoggedRequest {
                method: method.to_owned(),
                path: path.to_owned(),
                status,
                dropped,
            });
    }

    pub fn token_requested(&self, scopes: &str) {
        self.token_requests.fetch_add(1, Relaxed);
        *self
            .requested_scopes
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(scopes.to_owned());
    }
}

/// Counts the requests in flight, and the most there ever were at once.
pub async fn record(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let stats = &shared.stats;
    let now = stats.in_flight.fetch_add(1, Relaxed) + 1;
    stats.max_in_flight.fetch_max(now, Relaxed);
    // Decremented even when the client goes away and this future is dropped.
    let _leaving = Leaving(&stats.in_flight);
    next.run(request).await
}

struct Leaving<'a>(&'a AtomicU64);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

pub async fn stats(State(shared): State<AppState>) -> Json<Value> {
    let stats = &shared.stats;
    let scopes = stats
        .requested_scopes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Json(json!({
        "token_requests": stats.token_requests.load(Relaxed),
        "api_requests": stats.api_requests.load(Relaxed),
        "max_in_flight": stats.max_in_flight.load(Relaxed),
        "last_requested_scopes": scopes.map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>()),
    }))
}

pub async fn requests(State(shared): State<AppState>) -> Json<Vec<LoggedRequest>> {
    Json(
        shared
            .stats
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
    )
}

pub async fn clear_requests(State(shared): State<AppState>) -> StatusCode {
    shared
        .stats
        .log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    shared.stats.max_in_flight.store(0, Relaxed);
    StatusCode::NO_CONTENT
}

/// `GET /sandbox/connections/{id}`: which properties a connection was given, with the values
/// of those that are not secret (a test's view of what a tool sent; the API never shows them).
pub async fn connection(
    axum::extract::State(shared): axum::extract::State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let store = shared.store();
    let Some(idp) = store.idps.iter().find(|i| i.id == id) else {
        return super::ApiError::not_found("SANDBOX-NOIDP", "no such connection").into_response();
    };
    let mut properties = serde_json::Map::new();
    for (key, value) in &idp.properties {
        properties.insert(key.clone(), serde_json::Value::String(value.clone()));
    }
    let mut properties = serde_json::Value::Object(properties);
    crate::api::redact_secrets(&mut properties);
    axum::Json(serde_json::json!({
        "name": idp.name,
        "authenticator": idp.authenticator,
        "properties": properties,
    }))
    .into_response()
}

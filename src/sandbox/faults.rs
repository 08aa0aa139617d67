//! Fault and latency injection, set at start (flags) or at run time (`POST /sandbox/faults`):
//! added latency, a status for a count or a fraction of requests (429 with `Retry-After`,
//! 500, 503), dropped connections, malformed JSON, and a whole answer given by the test (a body
//! a real server sent). Deterministic for a given seed.

use std::sync::Mutex;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;

/// What to inject. Every field is optional; an empty plan injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// Latency added to every matching request, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// The status to answer instead (e.g. 429, 500, 503).
    #[serde(default)]
    pub status: Option<u16>,
    /// Answer `status` to this many matching requests, then stop.
    #[serde(default)]
    pub count: Option<u32>,
    /// Or answer `status` to this fraction (0..=1) of matching requests.
    #[serde(default)]
    pub fraction: Option<f64>,
    /// The `Retry-After` seconds sent with the status.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Close the connection mid-response instead of answering.
    #[serde(default)]
    pub drop_connection: bool,
    /// Answer 200 with a body that is not JSON.
    #[serde(default)]
    pub malformed_json: bool,
    /// Only requests whose path contains this string match (default: every API request).
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Only requests whose path ends with this string match.
    #[serde(default)]
    pub path_ends_with: Option<String>,
    /// Serve the request, then wait this long before answering (a client that times out
    /// meanwhile never learns that its write happened).
    #[serde(default)]
    pub answer_delay_ms: u64,
    /// Only requests with this method match (e.g. `POST`).
    #[serde(default)]
    pub method: Option<String>,
    /// Answer this body (JSON) instead, with `status` (default 200), without serving the
    /// request: what a real server answered, replayed.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

pub struct Faults {
    plan: Mutex<(FaultPlan, u32)>,
    rng: Mutex<StdRng>,
}

impl Faults {
    pub fn new(plan: FaultPlan, seed: u64) -> Self {
        Self {
            plan: Mutex::new((plan, 0)),
            rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x5eed)),
        }
    }

    fn set(&self, plan: FaultPlan) {
        *self.plan.lock().unwrap_or_else(|p| p.into_inner()) = (plan, 0);
    }

    /// The latency, the failure (if any) and the answer delay for a request to `path`.
    fn decide(&self, method: &str, path: &str) -> (Duration, Option<Injected>, Duration) {
        let mut guard = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        let (plan, fired) = &mut *guard;
        let other_path = plan
            .path_contains
            .as_deref()
            .is_some_and(|p| !path.contains(p))
            || plan
                .path_ends_with
                .as_deref()
                .is_some_and(|p| !path.ends_with(p));
        let other_method = plan
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method));
        if other_path || other_method {
            return (Duration::ZERO, None, Duration::ZERO);
        }
        let latency = Duration::from_millis(plan.latency_ms);
        let answer_delay = Duration::from_millis(plan.answer_delay_ms);
        let wants_failure = plan.status.is_some()
            || plan.drop_connection
            || plan.malformed_json
            || plan.body.is_some();
        let fire = wants_failure
            && match (plan.count, plan.fraction) {
                (Some(n), _) => *fired < n,
                (None, Some(f)) => self
                    .rng
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .random_bool(f.clamp(0.0, 1.0)),
                (None, None) => true,
            };
        if !fire {
            return (latency, None, answer_delay);
        }
        *fired += 1;
        let injected = if plan.drop_connection {
            Injected::Drop
        } else if plan.malformed_json {
            Injected::Malformed
        } else if let Some(body) = &plan.body {
            let status = plan
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            Injected::Answer(status, body.clone())
        } else {
            let status = plan
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Injected::Status(status, plan.retry_after)
        };
        (latency, Some(injected), answer_delay)
    }
}

enum Injected {
    Status(StatusCode, Option<u64>),
    Answer(StatusCode, serde_json::Value),
    Drop,
    Malformed,
}

pub async fn inject(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let (latency, injected, answer_delay) = shared.faults.decide(&method, &path);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match injected {
        Some(Injected::Status(status, retry_after)) => {
            ApiError::injected(status, retry_after).into_response()
        }
        Some(Injected::Answer(status, ref body)) => (status, Json(body.clone())).into_response(),
        // Malformed and dropped answers come from a request that was served: its write happened.
        None | Some(Injected::Malformed) | Some(Injected::Drop) => next.run(request).await,
    };
    let status = response.status();
    if !path.ends_with("/oauth2/token") {
        shared.stats.log(
            &method,
            &path,
            status.as_u16(),
            matches!(injected, Some(Injected::Drop)),
        );
    }
    if !answer_delay.is_zero() {
        // Served, but slow to answer: a client that gives up now never learns the outcome.
        tokio::time::sleep(answer_delay).await;
    }
    // The served answer keeps its status and headers (`Location` included); only its body is
    // spoiled.
    let body = match injected {
        Some(Injected::Malformed) => Body::from("{\"truncated\": ["),
        Some(Injected::Drop) => Body::from_stream(futures::stream::once(async {
            Err::<bytes::Bytes, _>(std::io::Error::other("connection dropped by the sandbox"))
        })),
        _ => return response,
    };
    let (mut parts, _) = response.into_parts();
    if parts.status == StatusCode::NO_CONTENT {
        parts.status = StatusCode::OK;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, body)
}

pub async fn configure(State(shared): State<AppState>, body: bytes::Bytes) -> Response {
    match super::parse_body::<FaultPlan>(&body, "fault plan") {
        Ok(plan) => {
            tracing::info!(?plan, "sandbox faults set");
            shared.faults.set(plan.clone());
            Json(plan).into_response()
        }
        Err(err) => err.into_response(),
    }
}

pub async fn clear(State(shared): State<AppState>) -> StatusCode {
    shared.faults.set(FaultPlan::default());
    StatusCode::NO_CONTENT
}

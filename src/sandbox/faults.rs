//! Fault and latency injection, set at start (flags) or at run time (`POST /sandbox/faults`):
//! added latency, a status for a count or a fraction of requests (429 with `Retry-After`,
//! 500, 503), dropped connections and malformed JSON. Deterministic for a given seed.

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

    /// The latency and the failure (if any) for a request to `path`.
    fn decide(&self, path: &str) -> (Duration, Option<Injected>) {
        let mut guard = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        let (plan, fired) = &mut *guard;
        if plan
            .path_contains
            .as_deref()
            .is_some_and(|p| !path.contains(p))
        {
            return (Duration::ZERO, None);
        }
        let latency = Duration::from_millis(plan.latency_ms);
        let wants_failure = plan.status.is_some() || plan.drop_connection || plan.malformed_json;
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
            return (latency, None);
        }
        *fired += 1;
        let injected = if plan.drop_connection {
            Injected::Drop
        } else if plan.malformed_json {
            Injected::Malformed
        } else {
            let status = plan
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Injected::Status(status, plan.retry_after)
        };
        (latency, Some(injected))
    }
}

enum Injected {
    Status(StatusCode, Option<u64>),
    Drop,
    Malformed,
}

pub async fn inject(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let (latency, injected) = shared.faults.decide(request.uri().path());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match injected {
        None => next.run(request).await,
        Some(Injected::Status(status, retry_after)) => {
            ApiError::injected(status, retry_after).into_response()
        }
        Some(Injected::Malformed) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"truncated\": [",
        )
            .into_response(),
        Some(Injected::Drop) => {
            let broken = futures::stream::once(async {
                Err::<bytes::Bytes, _>(std::io::Error::other("connection dropped by the sandbox"))
            });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                Body::from_stream(broken),
            )
                .into_response()
        }
    }
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

//! The one seam around the HTTP client: base URL per API, the bearer token, retries, timeouts,
//! the per-process request cap, TLS, and the call's journal all happen here, for every
//! generated client alike. Failures that never reached an HTTP status (cancelled, out of time,
//! refused, dropped) come back as local responses marked with [`LOCAL_FAILURE_HEADER`], so the
//! generated clients report them through their ordinary error path.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Method, ResponseBuilderExt, StatusCode};
use tokio::sync::Semaphore;

use super::all_operations;
use super::call::{CallScope, WriteOutcome, WriteRecord};
use super::token::{GrantedToken, TokenError, TokenSource};

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
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// How to reach one tenant.
#[derive(Clone)]
pub struct UpstreamSettings {
    /// The tenant's base URL, e.g. `https://api.asgardeo.io/t/myorg` (no trailing slash).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// PEM certificates trusted in addition to the system's roots (`CERT_PATH`).
    pub extra_ca_pem: Option<Vec<u8>>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Retries of idempotent requests answered 429/503; the wait is the server's `Retry-After`.
    pub max_retries: u32,
    /// The longest `Retry-After` the seam waits out itself; longer ones go back to the caller.
    pub max_retry_wait: Duration,
    /// Requests in flight at once, across every call of the process.
    pub max_concurrent_requests: usize,
    /// Idle connections kept per host.
    pub max_idle_connections: usize,
    /// The scopes the token is requested with (least privilege: those of the exposed tools).
    pub scopes: Vec<String>,
}

impl UpstreamSettings {
    pub fn new(base_url: &str, client_id: &str, client_secret: &str) -> Self {
        let mut scopes: Vec<String> = all_operations()
            .flat_map(|(_, _, _, s)| s.iter().map(|s| (*s).to_owned()))
            .collect();
        scopes.sort();
        scopes.dedup();
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            extra_ca_pem: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_retries: 2,
            max_retry_wait: Duration::from_secs(5),
            max_concurrent_requests: 16,
            max_idle_connections: 4,
            scopes,
        }
    }

    /// Asks the token endpoint for exactly these scopes.
    pub fn with_scopes<'a>(mut self, scopes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut scopes: Vec<String> = scopes.into_iter().map(str::to_owned).collect();
        scopes.sort();
        scopes.dedup();
        self.scopes = scopes;
        self
    }
}

impl std::fmt::Debug for UpstreamSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamSettings")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("CERT_PATH does not hold a PEM certificate: {0}")]
    Certificate(reqwest::Error),
    #[error("could not build the HTTP client: {0}")]
    Client(reqwest::Error),
}

/// A handle on one tenant's management APIs. Cheap to clone; every generated client carries one.
#[derive(Clone)]
pub struct Upstream {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("base_url", &self.shared.settings.base_url)
            .finish_non_exhaustive()
    }
}

struct Shared {
    /// Builds requests for the generated clients; it never connects anywhere.
    builder: reqwest::Client,
    /// Sends them: made on first use, so that a start touches neither the network nor, for a
    /// plain-http tenant, the system certificate store.
    transport: OnceLock<Result<reqwest::Client, String>>,
    extra_roots: Vec<reqwest::Certificate>,
    settings: UpstreamSettings,
    tokens: TokenSource,
    permits: Semaphore,
}

impl Upstream {
    pub fn new(settings: UpstreamSettings) -> Result<Self, SetupError> {
        // reqwest is built without a default crypto provider so that ring, not aws-lc, is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let extra_roots = match &settings.extra_ca_pem {
            Some(pem) => {
                reqwest::Certificate::from_pem_bundle(pem).map_err(SetupError::Certificate)?
            }
            None => Vec::new(),
        };
        let builder = reqwest::Client::builder()
            .tls_certs_only(Vec::new())
            .build()
            .map_err(SetupError::Client)?;
        let tokens = TokenSource::new(
            format!("{}/oauth2/token", settings.base_url),
            settings.client_id.clone(),
            settings.client_secret.clone(),
            settings.scopes.clone(),
            settings.request_timeout,
        );
        Ok(Self {
            shared: Arc::new(Shared {
                builder,
                transport: OnceLock::new(),
                extra_roots,
                permits: Semaphore::new(settings.max_concurrent_requests.max(1)),
                settings,
                tokens,
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.shared.settings.base_url
    }

    pub fn token_url(&self) -> &str {
        self.shared.tokens.url()
    }

    /// The scopes the token is requested with.
    pub fn requested_scopes(&self) -> &[String] {
        &self.shared.settings.scopes
    }

    pub fn settings(&self) -> &UpstreamSettings {
        &self.shared.settings
    }

    /// The HTTP client that talks to the tenant, made on first use.
    fn transport(&self) -> Result<&reqwest::Client, String> {
        self.shared
            .transport
            .get_or_init(|| {
                let settings = &self.shared.settings;
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(settings.connect_timeout)
                    .timeout(settings.request_timeout)
                    .pool_max_idle_per_host(settings.max_idle_connections)
                    .pool_idle_timeout(Duration::from_secs(30))
                    .user_agent(concat!("asgardeo-mcp/", env!("CARGO_PKG_VERSION")));
                if settings.base_url.starts_with("http://") {
                    // Nothing is fetched over TLS, so no certificate store is loaded.
                    builder = builder.tls_certs_only(Vec::new());
                } else if !self.shared.extra_roots.is_empty() {
                    builder = builder.tls_certs_merge(self.shared.extra_roots.clone());
                }
                builder
                    .build()
                    .map_err(|e| format!("could not build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A token (cached, or minted now) and the scopes it grants.
    pub async fn token(&self) -> Result<GrantedToken, TokenError> {
        let transport = self.transport().map_err(|detail| TokenError::Transport {
            url: self.token_url().to_owned(),
            timed_out: None,
            detail,
        })?;
        self.shared.tokens.get(transport, None).await
    }

    fn url_for(&self, base_path: &str) -> String {
        format!("{}{base_path}", self.shared.settings.base_url)
    }

    /// Sends one request with a bearer token within the call's scope: refuses to start once
    /// the call is cancelled or out of time, re-mints once on 401, waits out short 429/503s on
    /// idempotent requests, buffers the answer, and records every write with its outcome.
    async fn execute(
        &self,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let scope = CallScope::current();
        let method = request.method().clone();
        let url = request.url().clone();
        let path = url
            .path()
            .strip_prefix(
                reqwest::Url::parse(&self.shared.settings.base_url)
                    .map(|u| u.path().to_owned())
                    .unwrap_or_default()
                    .as_str(),
            )
            .unwrap_or(url.path())
            .to_owned();
        let write = !matches!(method, Method::GET | Method::HEAD);
        let journal = |outcome: WriteOutcome, location: Option<String>| {
            if let (true, Some(scope)) = (write, &scope) {
                scope.record(WriteRecord {
                    operation,
                    method: method.to_string(),
                    path: path.clone(),
                    outcome,
                    location,
                });
            }
        };
        let local = |kind: LocalFailure, detail: String, limit: Option<Duration>, sent: bool| {
            local_failure(kind, operation, url.as_str(), &detail, limit, write && sent)
        };

        // Only writes stop at a cancellation: once a write has gone out, the reads that report
        // what it did must still run.
        if let Some(scope) = &scope
            && write
            && scope.is_cancelled()
        {
            journal(
                WriteOutcome::NotSent {
                    reason: "cancelled".into(),
                },
                None,
            );
            return Ok(local(
                LocalFailure::Cancelled,
                "the call was cancelled before this request was sent".into(),
                None,
                false,
            ));
        }
        let Some(_permit) = self.permit(scope.as_ref(), write).await else {
            let limit = scope.as_ref().and_then(CallScope::limit);
            journal(
                WriteOutcome::NotSent {
                    reason: "out of time".into(),
                },
                None,
            );
            return Ok(local(
                LocalFailure::Deadline,
                "the call ran out of time before this request could be sent".into(),
                limit,
                false,
            ));
        };
        let transport = match self.transport() {
            Ok(t) => t,
            Err(detail) => {
                journal(
                    WriteOutcome::NotSent {
                        reason: detail.clone(),
                    },
                    None,
                );
                return Ok(local(LocalFailure::Client, detail, None, false));
            }
        };
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        let mut reminted = false;
        let mut retries = 0;
        loop {
            let remaining = scope.as_ref().and_then(CallScope::remaining);
            if remaining.is_some_and(|r| r.is_zero()) {
                journal(
                    WriteOutcome::NotSent {
                        reason: "out of time".into(),
                    },
                    None,
                );
                return Ok(local(
                    LocalFailure::Deadline,
                    "the call ran out of time before this request could be sent".into(),
                    scope.as_ref().and_then(CallScope::limit),
                    false,
                ));
            }
            let token = match self.shared.tokens.get(transport, scope.as_ref()).await {
                Ok(token) => token,
                Err(err) => {
                    journal(
                        WriteOutcome::NotSent {
                            reason: "no token".into(),
                        },
                        None,
                    );
                    return Ok(err.into_response(operation));
                }
            };
            let Some(mut attempt) = request.try_clone() else {
                // Streaming bodies cannot be replayed; the generated clients never send one.
                return Ok(local(
                    LocalFailure::Client,
                    "the request body cannot be replayed".into(),
                    None,
                    false,
                ));
            };
            // A write is checked once more right before it goes: the token may have taken a
            // while, and nothing may be sent after the call was cancelled.
            if write && scope.as_ref().is_some_and(CallScope::is_cancelled) {
                journal(
                    WriteOutcome::NotSent {
                        reason: "cancelled".into(),
                    },
                    None,
                );
                return Ok(local(
                    LocalFailure::Cancelled,
                    "the call was cancelled before this request was sent".into(),
                    None,
                    false,
                ));
            }
            attempt
                .headers_mut()
                .insert(AUTHORIZATION, token.header_value());
            let limit = remaining.map_or(self.shared.settings.request_timeout, |r| {
                r.min(self.shared.settings.request_timeout)
            });
            *attempt.timeout_mut() = Some(limit);
            let started = std::time::Instant::now();
            let response = match transport.execute(attempt).await {
                Ok(response) => response,
                Err(err) => {
                    let not_sent = err.is_connect();
                    let kind = if err.is_timeout() && !not_sent {
                        LocalFailure::Timeout
                    } else if not_sent {
                        LocalFailure::Connect
                    } else {
                        LocalFailure::Dropped
                    };
                    let detail = source_chain(&err);
                    journal(
                        if not_sent {
                            WriteOutcome::NotSent {
                                reason: detail.clone(),
                            }
                        } else {
                            WriteOutcome::Unknown {
                                reason: detail.clone(),
                            }
                        },
                        None,
                    );
                    tracing::debug!(operation, method = %method, path, kind = kind.as_str(), "upstream call failed");
                    return Ok(local(kind, detail, Some(limit), !not_sent));
                }
            };
            let status = response.status();
            tracing::debug!(operation, method = %method, path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "upstream call");
            if status == StatusCode::UNAUTHORIZED && !reminted {
                reminted = true;
                self.shared.tokens.invalidate(&token).await;
                continue;
            }
            if (status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE)
                && idempotent
                && retries < self.shared.settings.max_retries
            {
                let wait = retry_after(response.headers())
                    .unwrap_or(Duration::from_millis(200 << retries));
                let in_time = scope
                    .as_ref()
                    .and_then(CallScope::remaining)
                    .is_none_or(|r| r > wait);
                if wait <= self.shared.settings.max_retry_wait && in_time {
                    retries += 1;
                    tracing::debug!(
                        operation,
                        wait_ms = wait.as_millis() as u64,
                        "retrying after {status}"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            let headers = response.headers().clone();
            let version = response.version();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(err) => {
                    // The status arrived, so a write's fate is known even though its body is lost.
                    journal(write_outcome(status), location);
                    return Ok(local(
                        LocalFailure::Dropped,
                        format!(
                            "the connection dropped after the server answered {status}: {}",
                            source_chain(&err)
                        ),
                        None,
                        false,
                    )
                    .with_status_note(status));
                }
            };
            journal(write_outcome(status), location);
            let mut rebuilt = http::Response::builder()
                .status(status)
                .version(version)
                .url(url.clone());
            if let Some(h) = rebuilt.headers_mut() {
                *h = headers;
            }
            let rebuilt = rebuilt
                .body(body)
                .map(reqwest::Response::from)
                .unwrap_or_else(|_| {
                    local(
                        LocalFailure::Client,
                        "could not rebuild the response".into(),
                        None,
                        false,
                    )
                });
            return Ok(mark_failure(rebuilt, operation));
        }
    }

    /// A place among the requests in flight, or `None` once the call is out of time or
    /// cancelled while waiting.
    async fn permit(
        &self,
        scope: Option<&CallScope>,
        write: bool,
    ) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let wait = self.shared.permits.acquire();
        match scope {
            None => wait.await.ok(),
            Some(scope) => {
                let remaining = scope.remaining().unwrap_or(Duration::from_secs(3600));
                let cancelled = async {
                    if write {
                        scope.cancellation().cancelled().await;
                    } else {
                        std::future::pending::<()>().await;
                    }
                };
                tokio::select! {
                    permit = wait => permit.ok(),
                    () = tokio::time::sleep(remaining) => None,
                    () = cancelled => None,
                }
            }
        }
    }
}

fn write_outcome(status: StatusCode) -> WriteOutcome {
    if status.is_success() {
        WriteOutcome::Ok {
            status: status.as_u16(),
        }
    } else {
        WriteOutcome::Failed {
            status: status.as_u16(),
        }
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

trait StatusNote {
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
fn mark_failure(mut response: reqwest::Response, operation: &'static str) -> reqwest::Response {
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

macro_rules! client_seam {
    ($($name:ident),* $(,)?) => {$(
        impl progenitor_client::ClientHooks<Upstream> for super::$name::Client {
            async fn exec(&self, request: reqwest::Request, info: &progenitor_client::OperationInfo) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                let operation = super::$name::METHOD_NAMES.iter().find(|(rust, _)| *rust == info.operation_id).map_or(info.operation_id, |(_, id)| *id);
                self.inner().execute(request, operation).await
            }
        }

        impl Upstream {
            pub fn $name(&self) -> super::$name::Client {
                super::$name::Client::new_with_client(&self.url_for(super::$name::BASE_PATH), self.shared.builder.clone(), self.clone())
            }
        }
    )*};
}

client_seam!(
    applications,
    api_resources,
    claims,
    identity_providers,
    authenticators,
    oidc_scopes,
    users,
    roles
);

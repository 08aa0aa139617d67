//! The one seam around the HTTP client: base URL per API, the bearer token, retries, timeouts,
//! the per-process request cap, TLS, and the call's journal all happen here, for every
//! generated client alike. Failures that never reached an HTTP status come back as local
//! responses (see `local_failure`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, LOCATION};
use reqwest::{Method, ResponseBuilderExt, StatusCode};
use tokio::sync::Semaphore;

use super::call::{CallMode, CallScope, PlannedRequest, WriteOutcome, WriteRecord};
use super::local_failure::{
    LOCAL_FAILURE_HEADER, LocalFailure, OPERATION_HEADER, StatusNote, local_failure, mark_failure,
    retry_after, source_chain,
};
use super::redact::redact_secrets;
use super::settings::UpstreamSettings;
use super::token::{GrantedToken, TokenError, TokenSource};

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
    /// Builds requests for the generated clients; it never connects anywhere (no TLS roots).
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

    /// Reads a public JSON document outside the tenant (an identity provider's OpenID
    /// discovery document): no token or credentials go with it, the answer is bounded to
    /// `max_bytes`, and the call's deadline applies. The URL must already be checked.
    pub async fn fetch_public_json(
        &self,
        url: &url::Url,
        max_bytes: usize,
    ) -> Result<serde_json::Value, String> {
        let transport = self.transport()?;
        let limit = CallScope::current()
            .and_then(|s| s.remaining())
            .map_or(self.shared.settings.request_timeout, |r| {
                r.min(self.shared.settings.request_timeout)
            });
        let mut response = transport
            .get(url.as_str())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(limit)
            .send()
            .await
            .map_err(|e| format!("could not fetch {url}: {}", source_chain(&e)))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading {url}: {}", source_chain(&e)))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > max_bytes {
                return Err(format!("{url} answered more than {max_bytes} bytes"));
            }
        }
        serde_json::from_slice(&body).map_err(|e| format!("{url} did not answer JSON: {e}"))
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
        // A request this seam decided not to send: journalled (if a write) and explained.
        let unsent = |kind: LocalFailure, detail: String| {
            let limit = match kind {
                LocalFailure::Deadline => scope.as_ref().and_then(CallScope::limit),
                _ => None,
            };
            journal(
                WriteOutcome::NotSent {
                    reason: detail.clone(),
                },
                None,
            );
            Ok(local(kind, detail, limit, false))
        };
        let cancelled = || {
            unsent(
                LocalFailure::Cancelled,
                "the call was cancelled before this request was sent".into(),
            )
        };
        let out_of_time = || {
            unsent(
                LocalFailure::Deadline,
                "the call ran out of time before this request could be sent".into(),
            )
        };

        if write && scope.as_ref().is_some_and(|s| s.mode() == CallMode::DryRun) {
            let body = request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .map(|bytes| {
                    let mut body = serde_json::from_slice(bytes).unwrap_or_else(|_| {
                        serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())
                    });
                    redact_secrets(&mut body);
                    body
                });
            let path_and_query = match url.query() {
                Some(query) => format!("{path}?{query}"),
                None => path.clone(),
            };
            if let Some(scope) = &scope {
                scope.plan(PlannedRequest {
                    operation,
                    method: method.to_string(),
                    path: path_and_query,
                    body,
                });
            }
            return Ok(held_back(operation, &url));
        }
        // Only writes stop at a cancellation: once a write has gone out, the reads that report
        // what it did must still run.
        if write && scope.as_ref().is_some_and(CallScope::is_cancelled) {
            return cancelled();
        }
        let Some(_permit) = self.permit(scope.as_ref(), write).await else {
            return if scope.as_ref().is_some_and(CallScope::is_cancelled) {
                cancelled()
            } else {
                out_of_time()
            };
        };
        let transport = match self.transport() {
            Ok(t) => t,
            Err(detail) => return unsent(LocalFailure::Client, detail),
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
                return out_of_time();
            }
            let token = match self.shared.tokens.get(transport, scope.as_ref()).await {
                Ok(token) => token,
                Err(err) => {
                    journal(
                        WriteOutcome::NotSent {
                            reason: format!("no token: {err}"),
                        },
                        None,
                    );
                    return Ok(err.into_response(operation));
                }
            };
            let Some(mut attempt) = request.try_clone() else {
                // Streaming bodies cannot be replayed; the generated clients never send one.
                return unsent(
                    LocalFailure::Client,
                    "the request body cannot be replayed".into(),
                );
            };
            // A write is checked once more right before it goes: the token may have taken a
            // while, and nothing may be sent after the call was cancelled.
            if write && scope.as_ref().is_some_and(CallScope::is_cancelled) {
                return cancelled();
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
            let body = if status.is_success() {
                without_nulls(body)
            } else {
                body
            };
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

/// A JSON answer with its `null` members removed. A member set to `null` means the same as
/// one left out, and servers differ here: from IS 7.1 the REST layer leaves nulls out
/// (`CustomJacksonJsonProvider`, NON_NULL), before that Jackson's default writes them. The
/// generated models read an absent list as empty but refuse a `null` one, so nulls go here,
/// once, for every API.
fn without_nulls(body: bytes::Bytes) -> bytes::Bytes {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    if !body.windows(4).any(|w| w == b"null") {
        return body;
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(mut value) => {
            strip(&mut value);
            serde_json::to_vec(&value).map_or(body, bytes::Bytes::from)
        }
        Err(_) => body,
    }
}

/// The answer to a write a dry run held back: `204 No Content`, so a tool whose write
/// documents 204 goes on to its next write and each one lands in the plan; any other write's
/// client reports it as a failure of the `held_back` kind, which ends the tool there.
fn held_back(operation: &'static str, url: &reqwest::Url) -> reqwest::Response {
    let response = http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(LOCAL_FAILURE_HEADER, LocalFailure::HeldBack.as_str())
        .header(OPERATION_HEADER, operation)
        .url(url.clone())
        .body(String::new())
        .unwrap_or_else(|_| http::Response::new(String::new()));
    reqwest::Response::from(response)
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

#[cfg(test)]
mod tests {
    use super::without_nulls;

    #[test]
    fn null_members_are_absent_members() {
        let body = bytes::Bytes::from_static(
            br#"{"a":null,"b":[{"c":null,"d":1},null],"e":"null","f":{"g":null}}"#,
        );
        let out: serde_json::Value = serde_json::from_slice(&without_nulls(body)).unwrap();
        assert_eq!(
            out,
            serde_json::json!({ "b": [{ "d": 1 }, null], "e": "null", "f": {} })
        );
        let plain = bytes::Bytes::from_static(b"not json but null");
        assert_eq!(without_nulls(plain.clone()), plain);
    }
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

for_each_api!(client_seam);

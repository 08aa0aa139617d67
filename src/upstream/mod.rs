//! The one seam around the HTTP client: base URL per API, the bearer token, retries, timeouts,
//! TLS and request tracing all happen here, for every generated client alike.

mod failure;
mod token;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};

pub use failure::{ApiFailure, FailureKind};
pub use token::{GrantedToken, TokenError};

use crate::api;

/// The response header the seam adds to every failed response, naming the operation, so that
/// an error can say which scopes that operation needs.
pub const OPERATION_HEADER: &str = "x-asgardeo-mcp-operation";

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
}

impl UpstreamSettings {
    pub fn new(base_url: &str, client_id: &str, client_secret: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            extra_ca_pem: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_retries: 2,
            max_retry_wait: Duration::from_secs(5),
        }
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
    http: reqwest::Client,
    settings: UpstreamSettings,
    tokens: token::TokenSource,
}

impl Upstream {
    pub fn new(settings: UpstreamSettings) -> Result<Self, SetupError> {
        // reqwest is built without a default crypto provider so that ring, not aws-lc, is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(concat!("asgardeo-mcp/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &settings.extra_ca_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(SetupError::Certificate)?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(SetupError::Client)?;
        let tokens = token::TokenSource::new(
            format!("{}/oauth2/token", settings.base_url),
            settings.client_id.clone(),
            settings.client_secret.clone(),
            all_required_scopes(),
        );
        Ok(Self {
            shared: Arc::new(Shared {
                http,
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

    /// A token (cached, or minted now) and the scopes it grants.
    pub async fn token(&self) -> Result<GrantedToken, TokenError> {
        self.shared.tokens.get(&self.shared.http).await
    }

    fn url_for(&self, base_path: &str) -> String {
        format!("{}{base_path}", self.shared.settings.base_url)
    }

    /// Sends one request with a bearer token; re-mints once on 401, waits out short 429/503s
    /// on idempotent requests. Token failures come back as the token endpoint's status.
    async fn execute(
        &self,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let idempotent = matches!(
            *request.method(),
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        let mut reminted = false;
        let mut retries = 0;
        loop {
            let token = match self.token().await {
                Ok(token) => token,
                Err(TokenError::Transport(err)) => return Err(err),
                Err(rejected) => return Ok(rejected.into_response(operation)),
            };
            let Some(mut attempt) = request.try_clone() else {
                // Streaming bodies cannot be replayed; the generated clients never send one.
                return self.send_once(request, &token, operation).await;
            };
            attempt
                .headers_mut()
                .insert(AUTHORIZATION, token.header_value());
            let started = std::time::Instant::now();
            let response = self.shared.http.execute(attempt).await?;
            let status = response.status();
            tracing::debug!(operation, method = %request.method(), path = request.url().path(), status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "upstream call");
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
                let wait = retry_after(&response).unwrap_or(Duration::from_millis(200 << retries));
                if wait <= self.shared.settings.max_retry_wait {
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
            return Ok(mark_failure(response, operation));
        }
    }

    async fn send_once(
        &self,
        mut request: reqwest::Request,
        token: &GrantedToken,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, token.header_value());
        let response = self.shared.http.execute(request).await?;
        Ok(mark_failure(response, operation))
    }
}

/// Names the operation on a failed response, so that its error can name the scopes it needs.
fn mark_failure(mut response: reqwest::Response, operation: &'static str) -> reqwest::Response {
    if !response.status().is_success() {
        response
            .headers_mut()
            .insert(OPERATION_HEADER, HeaderValue::from_static(operation));
    }
    response
}

/// `Retry-After` in seconds (WSO2 and the sandbox send seconds, not dates).
pub fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Every (API, operation, method, scopes) the generated clients can call.
pub fn all_operations() -> impl Iterator<
    Item = (
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    ),
> {
    api::ALL.iter().flat_map(|spec| {
        spec.operations
            .iter()
            .map(move |(id, method, _, scopes)| (spec.name, *id, *method, *scopes))
    })
}

/// The scopes of one operation, by operationId.
pub fn operation_scopes(operation: &str) -> &'static [&'static str] {
    all_operations()
        .find(|(_, id, _, _)| *id == operation)
        .map_or(&[], |(_, _, _, scopes)| scopes)
}

/// The union of every operation's scopes: what the server asks the token endpoint for.
pub fn all_required_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = all_operations()
        .flat_map(|(_, _, _, s)| s.iter().map(|s| (*s).to_owned()))
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

macro_rules! client_seam {
    ($($name:ident),* $(,)?) => {$(
        impl progenitor_client::ClientHooks<Upstream> for api::$name::Client {
            async fn exec(&self, request: reqwest::Request, info: &progenitor_client::OperationInfo) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                let operation = api::$name::METHOD_NAMES.iter().find(|(rust, _)| *rust == info.operation_id).map_or(info.operation_id, |(_, id)| *id);
                self.inner().execute(request, operation).await
            }
        }

        impl Upstream {
            pub fn $name(&self) -> api::$name::Client {
                api::$name::Client::new_with_client(&self.url_for(api::$name::BASE_PATH), self.shared.http.clone(), self.clone())
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

//! Client-credentials tokens: minted at `<BASE_URL>/oauth2/token` with the scopes the exposed
//! tools need, cached until shortly before expiry, one mint at a time however many calls need
//! one, re-minted when the API says 401. A mint that times out is not retried within the call.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::call::CallScope;
use super::local_failure::{LIMIT_HEADER, LOCAL_FAILURE_HEADER, OPERATION_HEADER, URL_HEADER};

/// The response header naming the token endpoint on a synthesized token failure.
pub const TOKEN_ENDPOINT_HEADER: &str = "x-asgardeo-mcp-token-endpoint";

/// A bearer token and what it grants. Its Debug output never shows the token.
#[derive(Clone)]
pub struct GrantedToken {
    secret: Arc<str>,
    expires_at: Instant,
    pub scopes: BTreeSet<String>,
}

impl GrantedToken {
    pub fn header_value(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.secret))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
        value.set_sensitive(true);
        value
    }

    fn is_fresh(&self) -> bool {
        Instant::now() < self.expires_at
    }
}

impl std::fmt::Debug for GrantedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantedToken")
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("could not reach the token endpoint {url}: {detail}")]
    Transport {
        url: String,
        /// The time limit that ran out, for a timeout.
        timed_out: Option<Duration>,
        detail: String,
    },
    #[error("the token endpoint {url} answered {status}: {error} {description}")]
    Rejected {
        url: String,
        status: u16,
        error: String,
        description: String,
    },
    #[error("the token endpoint {url} sent a response that is not a token: {detail}")]
    Malformed { url: String, detail: String },
}

impl TokenError {
    pub fn url(&self) -> &str {
        match self {
            TokenError::Transport { url, .. }
            | TokenError::Rejected { url, .. }
            | TokenError::Malformed { url, .. } => url,
        }
    }

    /// A token failure as the response the API call would have had, so that every generated
    /// client reports it through its ordinary error path (401 stays 401).
    pub fn into_response(self, operation: &'static str) -> reqwest::Response {
        let message = self.to_string();
        let (status, local, limit) = match &self {
            TokenError::Rejected { status, .. } => (*status, None, None),
            TokenError::Malformed { .. } => (502, None, None),
            TokenError::Transport {
                timed_out: Some(limit),
                ..
            } => (599, Some("timeout"), Some(*limit)),
            TokenError::Transport { .. } => (599, Some("connect"), None),
        };
        let body = serde_json::json!({ "code": "TOKEN", "message": "token request failed", "description": message });
        let mut builder = http::Response::builder()
            .status(status)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(OPERATION_HEADER, operation);
        if let Ok(value) = HeaderValue::from_str(self.url()) {
            builder = builder
                .header(TOKEN_ENDPOINT_HEADER, value.clone())
                .header(URL_HEADER, value);
        }
        if let Some(kind) = local {
            builder = builder.header(LOCAL_FAILURE_HEADER, kind);
        }
        if let Some(limit) = limit {
            builder = builder.header(LIMIT_HEADER, limit.as_millis().to_string());
        }
        let response = builder
            .body(body.to_string())
            .unwrap_or_else(|_| http::Response::new(String::new()));
        reqwest::Response::from(response)
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

pub struct TokenSource {
    url: String,
    request_timeout: Duration,
    client_id: String,
    client_secret: String,
    scopes: String,
    cached: Mutex<Option<GrantedToken>>,
}

impl TokenSource {
    pub fn new(
        url: String,
        client_id: String,
        client_secret: String,
        scopes: Vec<String>,
        request_timeout: Duration,
    ) -> Self {
        Self {
            url,
            request_timeout,
            client_id,
            client_secret,
            scopes: scopes.join(" "),
            cached: Mutex::new(None),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn timed_out(&self, limit: Duration) -> TokenError {
        TokenError::Transport {
            url: self.url.clone(),
            timed_out: Some(limit),
            detail: format!("no answer within {} seconds", limit.as_secs_f32()),
        }
    }

    /// The cached token if fresh; otherwise one mint, which concurrent callers wait for and
    /// share. Within a call, waiting and minting end at the call's deadline, and a mint that
    /// timed out earlier in the call is not tried again.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        scope: Option<&CallScope>,
    ) -> Result<GrantedToken, TokenError> {
        if let Some(url) = scope.and_then(CallScope::token_timed_out) {
            return Err(TokenError::Transport {
                url,
                timed_out: scope.and_then(CallScope::limit),
                detail: "it did not answer earlier in this call".into(),
            });
        }
        let remaining = scope.and_then(CallScope::remaining);
        let mut cached = match remaining {
            None => self.cached.lock().await,
            Some(left) => match tokio::time::timeout(left, self.cached.lock()).await {
                Ok(guard) => guard,
                Err(_) => return Err(self.timed_out(left)),
            },
        };
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh()) {
            return Ok(token.clone());
        }
        let result = self.mint(http, remaining).await;
        if let (
            Err(TokenError::Transport {
                timed_out: Some(_), ..
            }),
            Some(scope),
        ) = (&result, scope)
        {
            scope.mark_token_timed_out(&self.url);
        }
        let token = result?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Forgets `rejected` unless another call already replaced it.
    pub async fn invalidate(&self, rejected: &GrantedToken) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(&t.secret, &rejected.secret))
        {
            *cached = None;
        }
    }

    async fn mint(
        &self,
        http: &reqwest::Client,
        remaining: Option<Duration>,
    ) -> Result<GrantedToken, TokenError> {
        let started = Instant::now();
        let mut request = http
            .post(&self.url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", self.scopes.as_str()),
            ]);
        // The call's time left, when it is shorter than the client's own request timeout.
        let limit = remaining.map_or(self.request_timeout, |r| r.min(self.request_timeout));
        request = request.timeout(limit);
        let transport = |err: reqwest::Error| {
            if err.is_timeout() {
                self.timed_out(limit)
            } else {
                TokenError::Transport {
                    url: self.url.clone(),
                    timed_out: None,
                    detail: super::local_failure::source_chain(&err),
                }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        tracing::debug!(url = %self.url, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "token request");
        if !status.is_success() {
            let err: OAuthError = serde_json::from_slice(&body).unwrap_or_default();
            return Err(TokenError::Rejected {
                url: self.url.clone(),
                status: status.as_u16(),
                error: err.error,
                description: err.error_description,
            });
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| TokenError::Malformed {
                url: self.url.clone(),
                detail: e.to_string(),
            })?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        // Renew a minute early, or at half-life for short-lived tokens.
        let margin = (lifetime / 2).min(Duration::from_secs(60));
        Ok(GrantedToken {
            secret: Arc::from(parsed.access_token),
            expires_at: started + lifetime - margin,
            scopes: parsed
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }
}

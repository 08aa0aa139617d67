//! Client-credentials tokens: minted at `<BASE_URL>/oauth2/token`, cached until shortly before
//! expiry, one mint at a time however many calls need one, re-minted when the API says 401.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::OPERATION_HEADER;

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

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("could not reach the token endpoint: {0}")]
    Transport(reqwest::Error),
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
    /// A token failure as the response the API call would have had, so that every generated
    /// client reports it through its ordinary error path (401 stays 401).
    pub fn into_response(self, operation: &'static str) -> reqwest::Response {
        let (status, url, message) = match &self {
            TokenError::Rejected { url, status, .. } => (*status, url.clone(), self.to_string()),
            TokenError::Malformed { url, .. } => (502, url.clone(), self.to_string()),
            TokenError::Transport(_) => (502, String::new(), self.to_string()),
        };
        let body = serde_json::json!({ "code": "TOKEN", "message": "token request failed", "description": message });
        let mut builder = http::Response::builder()
            .status(status)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(OPERATION_HEADER, operation);
        if let Ok(value) = HeaderValue::from_str(&url) {
            builder = builder.header(TOKEN_ENDPOINT_HEADER, value);
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
    client_id: String,
    client_secret: String,
    scopes: String,
    cached: Mutex<Option<GrantedToken>>,
}

impl TokenSource {
    pub fn new(url: String, client_id: String, client_secret: String, scopes: Vec<String>) -> Self {
        Self {
            url,
            client_id,
            client_secret,
            scopes: scopes.join(" "),
            cached: Mutex::new(None),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cached token if fresh; otherwise one mint, which concurrent callers wait for and share.
    pub async fn get(&self, http: &reqwest::Client) -> Result<GrantedToken, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh()) {
            return Ok(token.clone());
        }
        let token = self.mint(http).await?;
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

    async fn mint(&self, http: &reqwest::Client) -> Result<GrantedToken, TokenError> {
        let started = Instant::now();
        let response = http
            .post(&self.url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", self.scopes.as_str()),
            ])
            .send()
            .await
            .map_err(TokenError::Transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(TokenError::Transport)?;
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

//! How to reach one tenant: its URL, the M2M credentials, trust, time limits, retries, the
//! request cap, and the scopes the token is asked for.

use std::time::Duration;

use super::all_operations;

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
            .chain(super::UNDOCUMENTED_SCOPES.iter().map(|s| (*s).to_owned()))
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

//! Shared test fixtures: a sandbox on a free loopback port and clients for it.
#![allow(dead_code)]

use std::time::Duration;

use asgardeo_mcp::api::{Upstream, UpstreamSettings};
use asgardeo_mcp::sandbox::{Sandbox, SandboxConfig};

pub struct Fixture {
    pub sandbox: Sandbox,
    pub upstream: Upstream,
    pub http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Fixture {
    pub async fn start(config: SandboxConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (sandbox, serve) = Sandbox::serve(listener, config, async move {
            let _ = rx.await;
        })
        .expect("sandbox");
        tokio::spawn(serve);
        let upstream = Upstream::new(fast(UpstreamSettings::new(
            &sandbox.base_url,
            &sandbox.credentials.client_id,
            &sandbox.credentials.client_secret,
        )))
        .expect("upstream");
        Self {
            sandbox,
            upstream,
            http: reqwest::Client::new(),
            _shutdown: tx,
        }
    }

    pub async fn default() -> Self {
        Self::start(SandboxConfig::default()).await
    }

    /// The sandbox's own control endpoints live beside the tenant, at the server root.
    pub fn control(&self, path: &str) -> String {
        format!("http://{}{path}", self.sandbox.addr)
    }

    pub async fn set_faults(&self, plan: serde_json::Value) {
        let status = self
            .http
            .post(self.control("/sandbox/faults"))
            .json(&plan)
            .send()
            .await
            .expect("faults")
            .status();
        assert!(status.is_success(), "setting faults answered {status}");
    }

    pub async fn clear_faults(&self) {
        self.http
            .delete(self.control("/sandbox/faults"))
            .send()
            .await
            .expect("clear faults");
    }

    pub async fn stats(&self) -> serde_json::Value {
        self.http
            .get(self.control("/sandbox/stats"))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    }

    /// Every management API request the sandbox served: method, path, status, dropped.
    pub async fn requests(&self) -> Vec<serde_json::Value> {
        self.http
            .get(self.control("/sandbox/requests"))
            .send()
            .await
            .expect("requests")
            .json()
            .await
            .expect("requests json")
    }

    /// The writes (anything but GET) among `requests`.
    pub async fn writes(&self) -> Vec<serde_json::Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r["method"] != "GET")
            .collect()
    }

    pub async fn clear_requests(&self) {
        self.http
            .delete(self.control("/sandbox/requests"))
            .send()
            .await
            .expect("clear requests");
    }

    /// An upstream to the same sandbox with its own settings.
    pub fn upstream_with(&self, adjust: impl FnOnce(&mut UpstreamSettings)) -> Upstream {
        let mut settings = fast(UpstreamSettings::new(
            &self.sandbox.base_url,
            &self.sandbox.credentials.client_id,
            &self.sandbox.credentials.client_secret,
        ));
        adjust(&mut settings);
        Upstream::new(settings).expect("upstream")
    }

    /// An upstream authenticating as a new client allowed exactly `scopes`.
    pub async fn client_with_scopes(&self, scopes: &[&str]) -> (Upstream, String, String) {
        let created: serde_json::Value = self
            .http
            .post(self.control("/sandbox/clients"))
            .json(&serde_json::json!({ "scopes": scopes }))
            .send()
            .await
            .expect("add client")
            .json()
            .await
            .expect("client json");
        let id = created["client_id"].as_str().expect("client_id").to_owned();
        let secret = created["client_secret"]
            .as_str()
            .expect("client_secret")
            .to_owned();
        let upstream = Upstream::new(fast(UpstreamSettings::new(
            &self.sandbox.base_url,
            &id,
            &secret,
        )))
        .expect("upstream");
        (upstream, id, secret)
    }
}

/// The records of a JSON-lines audit file.
pub fn audit_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Waits (bounded) until the audit file holds `count` records.
pub async fn audit_settles(path: &std::path::Path, count: usize) -> Vec<serde_json::Value> {
    for _ in 0..200 {
        let lines = audit_lines(path);
        if lines.len() >= count {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the audit log never reached {count} records: {:?}",
        audit_lines(path)
    );
}

/// Short timeouts and retry waits: tests exercise the logic, not the patience.
pub fn fast(mut settings: UpstreamSettings) -> UpstreamSettings {
    settings.request_timeout = Duration::from_secs(10);
    settings.max_retry_wait = Duration::from_secs(2);
    settings
}
pub mod mcp;

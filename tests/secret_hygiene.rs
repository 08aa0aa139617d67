//! Secrets never reach the logs: the suite's write scenarios run with debug logging (ours and
//! the HTTP stack's), and the captured output is scanned for every secret the sandbox issued.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use asgardeo_mcp::api::{Upstream, UpstreamSettings};
use asgardeo_mcp::server::{AuditLog, ServerOptions, ToolFilter};
use common::Fixture;
use common::mcp::McpClient;
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The access token the server currently holds.
async fn bearer(f: &Fixture) -> String {
    let token = f.upstream.token().await.unwrap();
    token
        .header_value()
        .to_str()
        .unwrap()
        .trim_start_matches("Bearer ")
        .to_owned()
}

#[tokio::test]
async fn debug_logs_hold_no_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    let (filter, _) = asgardeo_mcp::cli::log_filter(Some("trace"));
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_filter(filter),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let f = Fixture::default().await;
    let client = McpClient::connect(
        f.upstream.clone(),
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await;
    let mut secrets = vec![f.sandbox.credentials.client_secret.clone()];
    let web = client
        .ok(
            "create_webapp_with_ssr",
            json!({ "application_name": "Web", "redirect_url": "https://w.example.com/cb" }),
        )
        .await;
    secrets.push(web["client_secret"].as_str().unwrap().to_owned());
    let m2m = client
        .ok("create_m2m_app", json!({ "application_name": "M2M" }))
        .await;
    secrets.push(m2m["client_secret"].as_str().unwrap().to_owned());
    let password = "Corr3ctHorseBattery";
    client.ok("create_user", json!({ "username": "pat", "password": password, "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee" })).await;
    secrets.push(password.to_owned());
    client.err("create_user", json!({ "username": "pat", "password": password, "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee" })).await;
    client
        .ok(
            "update_application_oauth_config",
            json!({ "id": web["id"], "user_access_token_expiry_time": 900 }),
        )
        .await;
    client
        .ok(
            "get_application_by_name",
            json!({ "application_name": "Web" }),
        )
        .await;
    let first_token = bearer(&f).await;
    f.http
        .post(f.control("/sandbox/tokens/expire"))
        .send()
        .await
        .unwrap();
    client.ok("list_applications", json!({})).await;
    let second_token = bearer(&f).await;
    assert_ne!(first_token, second_token, "the scenario re-minted a token");
    secrets.push(first_token);
    secrets.push(second_token);
    let wrong = Upstream::new(UpstreamSettings::new(
        &f.sandbox.base_url,
        &f.sandbox.credentials.client_id,
        "WrongSecretValue123",
    ))
    .unwrap();
    McpClient::connect(
        wrong,
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await
    .err("list_claims", json!({}))
    .await;
    secrets.push("WrongSecretValue123".to_owned());

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("upstream call") && logs.contains("token request"),
        "debug logging was captured"
    );
    for secret in &secrets {
        if let Some(at) = logs.find(secret.as_str()) {
            panic!(
                "a secret reached the logs: {}",
                &logs[at.saturating_sub(300)..at]
            );
        }
    }
}

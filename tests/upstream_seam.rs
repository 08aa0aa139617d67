//! The seam around the HTTP client: one token for many concurrent calls, timeouts that name
//! the URL, and `doctor`'s verdicts.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

mod common;

use std::time::Duration;

use asgardeo_mcp::api::{ApiFailure, FailureKind, Upstream, UpstreamSettings};
use asgardeo_mcp::cli::doctor;
use common::Fixture;
use serde_json::json;

async fn stats(f: &Fixture) -> serde_json::Value {
    f.http
        .get(f.control("/sandbox/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_one_token_request() {
    let f = Fixture::default().await;
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let upstream = f.upstream.clone();
            tokio::spawn(async move {
                upstream
                    .applications()
                    .get_all_applications()
                    .send()
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("call");
    }
    let counted = stats(&f).await;
    assert_eq!(counted["token_requests"], 1);
    assert_eq!(counted["api_requests"], 20);
}

#[tokio::test]
async fn a_slow_upstream_times_out_and_the_failure_names_the_url() {
    let f = Fixture::default().await;
    let mut settings = UpstreamSettings::new(
        &f.sandbox.base_url,
        &f.sandbox.credentials.client_id,
        &f.sandbox.credentials.client_secret,
    );
    settings.request_timeout = Duration::from_millis(300);
    let upstream = Upstream::new(settings).unwrap();
    upstream.token().await.unwrap();
    f.set_faults(json!({ "latency_ms": 2000, "path_contains": "/applications" }))
        .await;
    let err = match upstream.applications().get_all_applications().send().await {
        Ok(_) => panic!("expected a timeout"),
        Err(e) => ApiFailure::from_error(e).await,
    };
    assert_eq!(err.kind, FailureKind::Timeout);
    assert!(
        err.url
            .as_deref()
            .is_some_and(|u| u.contains("/api/server/v1/applications")),
        "{err:?}"
    );
}

#[tokio::test]
async fn doctor_reports_usable_tools_and_what_the_others_lack() {
    let f = Fixture::default().await;
    let report = doctor::diagnose(&f.upstream).await;
    assert!(report.healthy(), "{report:?}");
    assert!(report.tools.iter().all(|t| t.usable));

    let (limited, ..) = f
        .client_with_scopes(&["internal_application_mgt_view", "internal_claim_meta_view"])
        .await;
    let report = doctor::diagnose(&limited).await;
    assert!(report.healthy());
    let create_user = report
        .tools
        .iter()
        .find(|t| t.tool == "create_user")
        .unwrap();
    assert!(!create_user.usable);
    assert_eq!(create_user.missing_scopes, ["internal_user_mgt_create"]);
    assert!(
        report
            .tools
            .iter()
            .find(|t| t.tool == "list_claims")
            .unwrap()
            .usable
    );

    let wrong = Upstream::new(UpstreamSettings::new(&f.sandbox.base_url, "who", "nope")).unwrap();
    let report = doctor::diagnose(&wrong).await;
    assert!(!report.healthy());
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == "credentials" && !c.ok && c.detail.contains("CLIENT_SECRET"))
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = Upstream::new(UpstreamSettings::new(
        &format!("http://127.0.0.1:{port}/t/x"),
        "a",
        "b",
    ))
    .unwrap();
    let report = doctor::diagnose(&nowhere).await;
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == "reachability and TLS"
                && !c.ok
                && c.detail.contains(&port.to_string()))
    );
}

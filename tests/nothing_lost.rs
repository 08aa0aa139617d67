//! Nothing lost: concurrent updates of one application all survive; a cancelled create either
//! changed nothing or is named in the audit; a create the server performed is reported as done
//! even when reading it back fails or its answer never came; every write the sandbox served is
//! in the audit with its outcome; requests in flight are capped; oversized or disguised input
//! never reaches the server.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]
// The tests report the figures they measured.
#![allow(clippy::print_stderr)]

mod common;

use std::time::Duration;

use asgardeo_mcp::sandbox::SandboxConfig;
use asgardeo_mcp::server::{AuditLog, ServerOptions};
use common::mcp::{McpClient, Setup, text};
use common::{Fixture, audit_lines, audit_settles};
use rmcp::model::{CallToolRequestParams, ClientRequest, Request};
use rmcp::service::PeerRequestOptions;
use serde_json::{Value, json};

#[tokio::test]
async fn concurrent_updates_of_different_fields_all_survive() {
    let f = Fixture::default().await;
    let server = McpClient::server(f.upstream.clone(), Setup::default());
    // Two sessions of one process, as a host with two conversations would have.
    let one = McpClient {
        service: asgardeo_mcp::server::connect_in_process(server.clone(), ())
            .await
            .unwrap(),
        server: server.clone(),
    };
    let two = McpClient {
        service: asgardeo_mcp::server::connect_in_process(server.clone(), ())
            .await
            .unwrap(),
        server,
    };
    let spa = one
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Busy", "redirect_url": "https://busy.example.com/cb" }),
        )
        .await;
    let id = spa["id"].clone();
    f.set_faults(json!({ "latency_ms": 50 })).await;
    let rounds = 4;
    let mut changes = 0;
    for round in 0..rounds {
        let n = 1000 + round * 10;
        let calls = vec![
            (
                "update_application_oauth_config",
                json!({ "id": id, "user_access_token_expiry_time": n + 1 }),
            ),
            (
                "update_application_oauth_config",
                json!({ "id": id, "application_access_token_expiry_time": n + 2 }),
            ),
            (
                "update_application_oauth_config",
                json!({ "id": id, "refresh_token_expiry_time": n + 3 }),
            ),
            (
                "update_application_oauth_config",
                json!({ "id": id, "revoke_tokens_when_idp_session_terminated": round % 2 == 0 }),
            ),
            (
                "update_application_oauth_config",
                json!({ "id": id, "access_token_attributes": [format!("attr{round}")] }),
            ),
            (
                "update_application_oauth_config",
                json!({ "id": id, "allowed_origins": [format!("https://o{round}.example.com")] }),
            ),
            (
                "update_application_basic_info",
                json!({ "id": id, "description": format!("round {round}") }),
            ),
            (
                "update_application_claim_config",
                json!({ "id": id, "claims": if round % 2 == 0 { json!(["email"]) } else { json!(["username"]) } }),
            ),
        ];
        changes += calls.len();
        let results =
            futures::future::join_all(calls.iter().enumerate().map(|(i, (tool, args))| {
                let client = if i % 2 == 0 { &one } else { &two };
                client.call(tool, args.clone())
            }))
            .await;
        for (result, (tool, _)) in results.iter().zip(&calls) {
            assert_ne!(result.is_error, Some(true), "{tool}: {}", text(result));
        }
        let now = one
            .ok(
                "get_application_by_client_id",
                json!({ "client_id": spa["client_id"] }),
            )
            .await;
        let tokens = &now["oauth"]["tokens"];
        assert_eq!(
            tokens["user_access_token_expiry_time"],
            n + 1,
            "round {round}"
        );
        assert_eq!(
            tokens["application_access_token_expiry_time"],
            n + 2,
            "round {round}"
        );
        assert_eq!(tokens["refresh_token_expiry_time"], n + 3, "round {round}");
        assert_eq!(
            tokens["revoke_tokens_when_idp_session_terminated"],
            round % 2 == 0
        );
        assert_eq!(
            tokens["access_token_attributes"],
            json!([format!("attr{round}")])
        );
        assert_eq!(
            now["oauth"]["allowed_origins"],
            json!([format!("https://o{round}.example.com")])
        );
        assert_eq!(now["description"], format!("round {round}"));
        let claim = if round % 2 == 0 {
            "emailaddress"
        } else {
            "username"
        };
        assert_eq!(
            now["requested_claims"],
            json!([format!("http://wso2.org/claims/{claim}")])
        );
        // The redirect URL was never touched by any of them.
        assert_eq!(
            now["oauth"]["redirect_urls"],
            json!(["https://busy.example.com/cb"])
        );
    }
    eprintln!("{rounds} rounds, {changes} concurrent changes over two sessions, 0 lost");
}

/// Sends `tool(args)` and cancels it after `after`; returns whether a response arrived first.
async fn call_and_cancel(client: &McpClient, tool: &str, args: Value, after: Duration) -> bool {
    let Value::Object(args) = args else {
        unreachable!()
    };
    let request = ClientRequest::CallToolRequest(Request::new(
        CallToolRequestParams::new(tool.to_owned()).with_arguments(args),
    ));
    let handle = client
        .service
        .send_cancellable_request(request, PeerRequestOptions::with_timeout(after))
        .await
        .unwrap();
    handle.await_response().await.is_ok()
}

#[tokio::test]
async fn a_cancelled_create_either_changed_nothing_or_is_in_the_audit() {
    // (where the latency sits, so that the cancellation lands before, during, or after the write)
    let points = [
        (
            "before the write",
            json!({ "latency_ms": 600, "path_contains": "/oauth2/token" }),
        ),
        (
            "during the write",
            json!({ "latency_ms": 600, "method": "POST", "path_contains": "/applications" }),
        ),
        (
            "during the read-back",
            json!({ "latency_ms": 600, "method": "GET", "path_contains": "/inbound-protocols" }),
        ),
    ];
    let mut existing = 0;
    for (i, (point, faults)) in points.iter().enumerate() {
        let f = Fixture::default().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        f.set_faults(faults.clone()).await;
        let client = McpClient::start(
            f.upstream.clone(),
            Setup {
                audit: AuditLog::to_file(&path).unwrap(),
                options: ServerOptions {
                    keep_unauthorized_tools: true,
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await;
        let name = format!("Cancelled {i}");
        let answered = call_and_cancel(
            &client,
            "create_webapp_with_ssr",
            json!({ "application_name": name, "redirect_url": "https://c.example.com/cb" }),
            Duration::from_millis(200),
        )
        .await;
        assert!(!answered, "{point}: the client gave up first");
        let lines = audit_settles(&path, 1).await;
        f.clear_faults().await;
        let found = f
            .upstream
            .applications()
            .get_all_applications()
            .filter(format!("name eq \"{name}\""))
            .send()
            .await
            .unwrap()
            .into_inner()
            .applications;
        let record = &lines[0];
        match found.first() {
            Some(app) => {
                existing += 1;
                assert_eq!(
                    record["created"],
                    json!([app.id.clone().unwrap()]),
                    "{point}: the created application is named in the audit: {record}"
                );
                assert_eq!(record["outcome"], "ok", "{point}: {record}");
            }
            None => assert!(
                matches!(record["outcome"].as_str(), Some("not_sent" | "none")),
                "{point}: nothing exists, so nothing was sent: {record}"
            ),
        }
        if *point == "before the write" {
            assert!(
                found.is_empty(),
                "a write after the cancellation was not sent"
            );
        } else {
            assert!(!found.is_empty(), "{point}: the write had gone out");
        }
    }
    eprintln!("3 cancellation points, {existing} writes that had gone out, 0 unreported");
}

#[tokio::test]
async fn a_create_the_server_performed_is_reported_done() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let client = McpClient::start(
        f.upstream_with(|s| s.request_timeout = Duration::from_millis(500)),
        Setup {
            audit: AuditLog::to_file(&path).unwrap(),
            ..Default::default()
        },
    )
    .await;
    client.ok("list_applications", json!({})).await;

    // Reading the new client back fails: the create is still a success, with its id, and says
    // what was lost (a confidential client's secret) and how to get a new one.
    f.set_faults(json!({ "status": 500, "method": "GET", "path_contains": "/inbound-protocols" }))
        .await;
    let web = client
        .ok(
            "create_webapp_with_ssr",
            json!({ "application_name": "Unread", "redirect_url": "https://u.example.com/cb" }),
        )
        .await;
    f.clear_faults().await;
    assert!(web["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(web.get("client_secret").is_none());
    let note = web["note"].as_str().unwrap();
    assert!(
        note.contains("could not be read") && note.contains("Regenerate"),
        "{note}"
    );

    // The answer to the create never comes (it is served, then held past the timeout): the
    // tool finds the application and reports it created, not failed.
    f.set_faults(
        json!({ "answer_delay_ms": 1500, "method": "POST", "path_contains": "/applications" }),
    )
    .await;
    let late = client
        .ok("create_m2m_app", json!({ "application_name": "Late" }))
        .await;
    f.clear_faults().await;
    assert!(late["note"].as_str().unwrap().contains("exists"), "{late}");
    let lines = audit_lines(&path);
    let record = lines.last().unwrap();
    assert_eq!(record["outcome"], "ok", "{record}");
    assert_eq!(record["writes"][0]["outcome"], "confirmed", "{record}");

    // A create whose body is malformed but whose status was 201 is a success too.
    f.set_faults(
        json!({ "malformed_json": true, "method": "POST", "path_contains": "/scim2/Users" }),
    )
    .await;
    let user = client
        .ok(
            "create_user",
            json!({ "username": "unreadable", "email": "u@example.com", "first_name": "U", "last_name": "R" }),
        )
        .await;
    f.clear_faults().await;
    assert!(
        user["note"].as_str().unwrap().contains("was created"),
        "{user}"
    );
    assert_ne!(user["id"], "unknown");
}

#[tokio::test]
async fn the_audit_accounts_for_every_write_the_sandbox_served() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let client = McpClient::start(
        f.upstream_with(|s| s.max_retries = 0),
        Setup {
            audit: AuditLog::to_file(&path).unwrap(),
            ..Default::default()
        },
    )
    .await;
    let target = client
        .ok("create_m2m_app", json!({ "application_name": "Target" }))
        .await;
    f.clear_requests().await;
    let before = audit_lines(&path).len();
    let mut calls = 0;
    for (faults, tool) in [
        (
            json!({ "status": 500, "fraction": 0.4, "method": "POST" }),
            "create",
        ),
        (
            json!({ "status": 503, "fraction": 0.4, "method": "PATCH" }),
            "patch",
        ),
        (
            json!({ "drop_connection": true, "fraction": 0.4, "method": "POST" }),
            "create",
        ),
        (
            json!({ "status": 409, "fraction": 0.3, "method": "PUT" }),
            "put",
        ),
    ] {
        f.set_faults(faults).await;
        for i in 0..8 {
            calls += 1;
            let _ = match tool {
                "create" => {
                    client
                        .call(
                            "create_m2m_app",
                            json!({ "application_name": format!("Faulty {calls} {i}") }),
                        )
                        .await
                }
                "patch" => {
                    client
                        .call(
                            "update_application_basic_info",
                            json!({ "id": target["id"], "description": format!("d{calls}") }),
                        )
                        .await
                }
                _ => client
                    .call(
                        "update_application_oauth_config",
                        json!({ "id": target["id"], "user_access_token_expiry_time": 600 + calls }),
                    )
                    .await,
            };
        }
    }
    f.clear_faults().await;
    let records: Vec<Value> = audit_settles(&path, before + calls).await[before..].to_vec();
    assert_eq!(records.len(), calls, "one audit record per call");
    let served = f.writes().await;
    let audited: Vec<&Value> = records
        .iter()
        .flat_map(|r| r["writes"].as_array().unwrap().iter())
        .collect();
    let mut unreported = 0;
    for write in &served {
        let path = write["path"].as_str().unwrap();
        let found = audited.iter().any(|a| {
            a["method"] == write["method"]
                && path.ends_with(a["path"].as_str().unwrap())
                && (a["status"] == write["status"] || a["outcome"] == "confirmed")
        });
        if !found {
            unreported += 1;
            eprintln!("not in the audit: {write}");
        }
    }
    assert_eq!(
        unreported, 0,
        "every served write is audited with its status"
    );
    for write in &audited {
        if write["outcome"] == "not_sent" {
            assert!(
                !served.iter().any(|s| s["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(write["path"].as_str().unwrap())
                    && s["method"] == write["method"]
                    && s["status"] == write["status"]),
                "a write audited as not sent reached the server: {write}"
            );
        }
    }
    let failed = records.iter().filter(|r| r["outcome"] == "failed").count();
    eprintln!(
        "{calls} calls under injected faults, {} writes served, {failed} audited as failed, {unreported} unreported",
        served.len()
    );
}

#[tokio::test]
async fn requests_in_flight_are_capped() {
    let f = Fixture::start(SandboxConfig {
        seed_apps: 20,
        ..Default::default()
    })
    .await;
    let client = McpClient::start(
        f.upstream_with(|s| s.max_concurrent_requests = 4),
        Setup::default(),
    )
    .await;
    client.ok("list_applications", json!({})).await;
    f.set_faults(json!({ "latency_ms": 30 })).await;
    f.clear_requests().await;
    let calls = (0..64).map(|_| client.call("list_applications", json!({ "limit": 5 })));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.is_error != Some(true)));
    let max = f.stats().await["max_in_flight"].as_u64().unwrap();
    assert!(max <= 4, "{max} requests in flight at once, the cap is 4");
    eprintln!("64 concurrent calls, at most {max} requests in flight");
}

#[tokio::test]
async fn oversized_or_disguised_input_never_reaches_the_server() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Guarded" }))
        .await;
    f.clear_requests().await;
    let huge = "A1a".repeat((10 << 20) / 3);
    let cases = [
        (
            "create_user",
            json!({ "username": "big", "password": huge, "email": "b@example.com", "first_name": "B", "last_name": "G" }),
            "`password`",
        ),
        (
            "update_application_basic_info",
            json!({ "id": app["id"], "description": "x".repeat(1025) }),
            "1024",
        ),
        (
            "create_m2m_app",
            json!({ "application_name": "Good\u{202E}ppa" }),
            "bidirectional",
        ),
        (
            "create_user",
            json!({ "username": "ev\u{2066}il", "email": "e@example.com", "first_name": "E", "last_name": "V" }),
            "bidirectional",
        ),
        (
            "update_application_basic_info",
            json!({ "id": app["id"], "description": "bad\u{7}bell" }),
            "control",
        ),
        (
            "list_applications",
            json!({ "cursor": "99999999999999999999999" }),
            "`cursor`",
        ),
        (
            "list_api_resources",
            json!({ "after": "x".repeat(600) }),
            "`after`",
        ),
        (
            "update_application_claim_config",
            json!({ "id": app["id"], "claims": vec!["email"; 101] }),
            "at most 100",
        ),
    ];
    for (tool, args, says) in cases {
        let message = client.err(tool, args).await;
        assert!(message.contains(says), "{tool}: {message}");
    }
    assert_eq!(f.writes().await.len(), 0, "nothing was sent");
    let listed = f
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/applications"))
        .count();
    assert_eq!(listed, 0, "the bad cursor was refused here, not upstream");
}

#[tokio::test]
async fn every_tool_that_writes_is_audited_whatever_happens() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let client = McpClient::start(
        f.upstream.clone(),
        Setup {
            audit: AuditLog::to_file(&path).unwrap(),
            ..Default::default()
        },
    )
    .await;
    let writers: Vec<String> = client
        .tools()
        .await
        .into_iter()
        .filter(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) != Some(true))
        .map(|t| t.name.to_string())
        .collect();
    assert!(!writers.is_empty());
    for tool in &writers {
        // Empty arguments: most fail validation before anything is sent, which is audited too.
        client.call(tool, json!({})).await;
    }
    let lines = audit_settles(&path, writers.len()).await;
    let audited: Vec<&str> = lines.iter().map(|l| l["tool"].as_str().unwrap()).collect();
    assert_eq!(
        audited,
        writers.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        lines
            .iter()
            .all(|l| l["outcome"] == "none" && l["error"] == true)
    );
}

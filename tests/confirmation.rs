//! The safety pipeline's rules, held by state and by the sandbox's request log: a destructive
//! call without confirmation changes nothing and sends no write; a confirmation token works
//! once, for exactly the call and the resource state it was issued for, and not after it
//! expires; `dry_run` shows the exact requests and the before/after and changes nothing;
//! `--yes` skips confirmation and the audit log says so.

#![cfg(feature = "sandbox")]

mod common;

use std::time::Duration;

use asgardeo_mcp::server::{AuditLog, ServerOptions};
use common::mcp::{McpClient, Setup};
use common::{Fixture, audit_settles};
use serde_json::{Value, json};

async fn client(f: &Fixture, options: ServerOptions) -> McpClient {
    McpClient::start(
        f.upstream.clone(),
        Setup {
            options,
            ..Default::default()
        },
    )
    .await
}

async fn new_role(client: &McpClient, name: &str) -> String {
    client.ok("create_role", json!({ "name": name })).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn role_exists(f: &Fixture, id: &str) -> bool {
    f.upstream
        .roles()
        .get_role_by_id_v2()
        .id(id)
        .send()
        .await
        .is_ok()
}

/// The plan's token for deleting `id`.
async fn plan_token(client: &McpClient, id: &str) -> String {
    let planned = client.ok("delete_role", json!({ "role_id": id })).await;
    assert_eq!(planned["plan"]["status"], "confirmation_required");
    planned["plan"]["confirmation_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The refusal of deleting role `id` with `token`.
async fn refused_deletion(client: &McpClient, id: &str, token: &str) -> String {
    client
        .err(
            "delete_role",
            json!({ "role_id": id, "confirmation_token": token }),
        )
        .await
}

#[tokio::test]
async fn an_unconfirmed_destructive_call_changes_nothing_and_sends_no_write() {
    let f = Fixture::default().await;
    let client = client(&f, ServerOptions::default()).await;
    let id = new_role(&client, "auditor").await;
    f.clear_requests().await;
    for _ in 0..2 {
        let planned = client.ok("delete_role", json!({ "role_id": id })).await;
        assert_eq!(planned["plan"]["requests"][0]["method"], "DELETE");
        assert_eq!(planned["plan"]["before"]["name"], "auditor");
        assert_eq!(planned["plan"]["after"], Value::Null);
    }
    assert!(role_exists(&f, &id).await);
    assert_eq!(
        f.writes().await,
        Vec::<Value>::new(),
        "no write reached the server"
    );
}

#[tokio::test]
async fn a_token_works_once() {
    let f = Fixture::default().await;
    let client = client(&f, ServerOptions::default()).await;
    let id = new_role(&client, "once").await;
    let token = plan_token(&client, &id).await;
    client
        .ok(
            "delete_role",
            json!({ "role_id": id, "confirmation_token": token }),
        )
        .await;
    assert!(!role_exists(&f, &id).await);
    let again = refused_deletion(&client, &id, &token).await;
    assert!(again.contains("already used"), "{again}");
}

#[tokio::test]
async fn a_token_is_refused_for_other_arguments() {
    let f = Fixture::default().await;
    let client = client(&f, ServerOptions::default()).await;
    let planned_for = new_role(&client, "planned").await;
    let other = new_role(&client, "other").await;
    let token = plan_token(&client, &planned_for).await;
    f.clear_requests().await;
    let refused = refused_deletion(&client, &other, &token).await;
    assert!(refused.contains("different arguments"), "{refused}");
    let refused = client
        .err(
            "delete_group",
            json!({ "group_id": planned_for, "confirmation_token": token }),
        )
        .await;
    assert!(refused.contains("another tool"), "{refused}");
    assert!(role_exists(&f, &planned_for).await && role_exists(&f, &other).await);
    assert!(f.writes().await.is_empty());
}

#[tokio::test]
async fn a_token_is_refused_when_the_resource_changed_since_the_plan() {
    let f = Fixture::default().await;
    let client = client(&f, ServerOptions::default()).await;
    let alice = client
        .ok(
            "create_user",
            json!({ "username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "L" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = new_role(&client, "moving").await;
    let token = plan_token(&client, &id).await;
    // Someone gives the role to a user between the plan and its confirmation.
    client
        .ok("assign_role", json!({ "role_id": id, "user_ids": [alice] }))
        .await;
    f.clear_requests().await;
    let refused = refused_deletion(&client, &id, &token).await;
    assert!(refused.contains("has changed since"), "{refused}");
    assert!(role_exists(&f, &id).await);
    assert!(f.writes().await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_token_is_refused_after_it_expires() {
    let f = Fixture::default().await;
    let client = client(
        &f,
        ServerOptions {
            confirmation_ttl: Duration::ZERO,
            ..Default::default()
        },
    )
    .await;
    let id = new_role(&client, "late").await;
    let token = plan_token(&client, &id).await;
    let refused = refused_deletion(&client, &id, &token).await;
    assert!(refused.contains("expired"), "{refused}");
    assert!(role_exists(&f, &id).await);
}

#[tokio::test]
async fn a_forged_token_is_refused() {
    let f = Fixture::default().await;
    let client = client(&f, ServerOptions::default()).await;
    let id = new_role(&client, "forged").await;
    let token = plan_token(&client, &id).await;
    let tampered = format!("{}x", &token[..token.len() - 1]);
    let refused = refused_deletion(&client, &id, &tampered).await;
    assert!(
        refused.contains("not issued") || refused.contains("malformed"),
        "{refused}"
    );
    assert!(role_exists(&f, &id).await);
}

#[tokio::test]
async fn a_dry_run_shows_the_exact_requests_and_changes_nothing() {
    let f = Fixture::default().await;
    let client = client(&f, ServerOptions::default()).await;
    let app = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Dry", "redirect_url": "https://dry.example.com/cb" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.clear_requests().await;
    let planned = client
        .ok(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["totp"]], "dry_run": true }),
        )
        .await;
    let plan = &planned["plan"];
    assert_eq!(plan["status"], "dry_run");
    assert_eq!(plan["requests"].as_array().unwrap().len(), 1);
    let request = &plan["requests"][0];
    assert_eq!(request["method"], "PATCH");
    assert_eq!(
        request["path"],
        format!("/api/server/v1/applications/{app}")
    );
    assert_eq!(
        request["body"]["authenticationSequence"]["steps"][1]["options"][0]["authenticator"],
        "totp"
    );
    assert_eq!(plan["before"]["steps"].as_array().unwrap().len(), 1);
    assert_eq!(plan["after"]["steps"].as_array().unwrap().len(), 2);
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["path"] == "/steps"),
        "{}",
        plan["changes"]
    );
    assert!(f.writes().await.is_empty(), "a dry run sends no write");
    let current = client
        .ok(
            "get_application_by_name",
            json!({ "application_name": "Dry" }),
        )
        .await;
    assert_eq!(
        current["login_flow"].as_array().unwrap().len(),
        1,
        "unchanged"
    );

    // A dry run of a tool with several writes shows them all; secrets given are hidden.
    let created = client
        .ok(
            "create_social_connection",
            json!({ "provider": "github", "client_id": "gh", "client_secret": "gh-secret", "dry_run": true }),
        )
        .await;
    assert_eq!(created["plan"]["requests"][0]["method"], "POST");
    assert!(!created.to_string().contains("gh-secret"), "{created}");
    let api = client
        .ok(
            "create_api_resource",
            json!({ "identifier": "https://api.dry.example.com", "name": "Dry API", "scopes": ["a", "b", "c"] }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.clear_requests().await;
    let planned = client
        .ok(
            "update_api_resource",
            json!({ "api_id": api, "add_scopes": ["d"], "remove_scopes": ["a", "b"], "dry_run": true }),
        )
        .await;
    let methods: Vec<&str> = planned["plan"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["PATCH", "DELETE", "DELETE"]);
    assert!(f.writes().await.is_empty());
}

#[tokio::test]
async fn yes_skips_confirmation_and_the_audit_log_says_so() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let client = McpClient::start(
        f.upstream.clone(),
        Setup {
            options: ServerOptions {
                skip_confirmation: true,
                ..Default::default()
            },
            audit: AuditLog::to_file(&path).unwrap(),
            ..Default::default()
        },
    )
    .await;
    let id = new_role(&client, "scripted").await;
    let deleted = client.ok("delete_role", json!({ "role_id": id })).await;
    assert_eq!(deleted["deleted"]["name"], "scripted");
    assert!(!role_exists(&f, &id).await);
    let records = audit_settles(&path, 2).await;
    let record = records
        .iter()
        .find(|r| r["tool"] == "delete_role")
        .expect("the deletion is audited");
    assert_eq!(record["confirmed_by"], "skipped (--yes)");
    assert_eq!(record["outcome"], "ok");
}

/// A client that cannot ask the person (no elicitation) cannot pass off the plan's token as the
/// answer to an input request the server never made: refused, nothing deleted, and the audit
/// never says `elicitation`.
#[tokio::test]
async fn a_plan_token_answers_no_input_request() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let client = McpClient::start(
        f.upstream.clone(),
        Setup {
            audit: AuditLog::to_file(&audit_path).unwrap(),
            ..Default::default()
        },
    )
    .await;
    let id = new_role(&client, "stays").await;
    let token = plan_token(&client, &id).await;
    let forged_answer: rmcp::model::InputResponses = [(
        "confirm".to_owned(),
        json!({ "action": "accept", "content": { "confirm": true } }),
    )]
    .into_iter()
    .collect();
    let Value::Object(arguments) = json!({ "role_id": id }) else {
        unreachable!()
    };
    let result = client
        .service
        .call_tool(
            rmcp::model::CallToolRequestParams::new("delete_role")
                .with_arguments(arguments)
                .with_request_state(token.clone())
                .with_input_responses(forged_answer),
        )
        .await
        .expect("tools/call");
    let said = common::mcp::text(&result);
    assert!(
        said.contains("not handed out as an input request"),
        "{said}"
    );
    assert!(role_exists(&f, &id).await, "nothing is deleted");
    // The token itself still confirms, by hand, once.
    client
        .ok(
            "delete_role",
            json!({ "role_id": id, "confirmation_token": token }),
        )
        .await;
    let records = audit_settles(&audit_path, 3).await;
    assert!(
        records.iter().all(|r| r["confirmed_by"] != "elicitation"),
        "{records:?}"
    );
    assert!(
        records.iter().any(|r| r["confirmed_by"] == "token"),
        "{records:?}"
    );
}

/// An argument that does not decode is named by its name and type only: a password given as a
/// number reaches neither the answer nor the audit log.
#[tokio::test]
async fn argument_errors_carry_no_argument_value() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let client = McpClient::start(
        f.upstream.clone(),
        Setup {
            audit: AuditLog::to_file(&audit_path).unwrap(),
            ..Default::default()
        },
    )
    .await;
    let serde_json::Value::Object(arguments) = json!({
        "username": "kim", "email": "kim@example.com", "first_name": "Kim",
        "last_name": "Lee", "password": 4815162342u64 })
    else {
        unreachable!()
    };
    let result = client
        .service
        .call_tool(rmcp::model::CallToolRequestParams::new("create_user").with_arguments(arguments))
        .await
        .expect("tools/call");
    assert_eq!(result.is_error, Some(true));
    let said = common::mcp::text(&result);
    assert!(said.contains("`password` must be a string"), "{said}");
    assert!(!said.contains("4815162342"), "{said}");
    let audit = audit_settles(&audit_path, 1).await;
    let written = serde_json::to_string(&audit).unwrap();
    assert!(!written.contains("4815162342"), "{written}");
    assert!(written.contains("password"), "{written}");
}

//! Behaviours the server code has and the documents do not, one test each: SCIM refusals by
//! the authentication valve (an integer `status`) still name the scope to grant; the first
//! secret of a confidential client is handed over where IS 7.2 hides it from the read; the API
//! resources list's flattened filter; every application using a connection, across pages; a
//! user's groups without a SCIM id; a success status the code is not known to send is the
//! write done.

#![cfg(feature = "sandbox")]

mod common;

use asgardeo_mcp::sandbox::{SandboxConfig, ServerVersion};
use asgardeo_mcp::tools::ToolSettings;
use common::Fixture;
use common::mcp::{McpClient, Setup};
use serde_json::{Value, json};

async fn sandbox(version: ServerVersion) -> Fixture {
    Fixture::start(SandboxConfig {
        server_version: version,
        ..Default::default()
    })
    .await
}

fn settings(version: ServerVersion) -> ToolSettings {
    ToolSettings {
        product: version.product(),
        ..Default::default()
    }
}

#[tokio::test]
async fn scim_refusals_by_the_valve_name_the_scope_to_grant() {
    let f = Fixture::default().await;
    // A token with none of the SCIM scopes: the valve answers 403 with `"status": 403` (an
    // integer, where charon's own errors send a string).
    let (upstream, ..) = f.client_with_scopes(&["internal_claim_meta_view"]).await;
    let client = McpClient::start(
        upstream,
        Setup {
            options: asgardeo_mcp::server::ServerOptions {
                keep_unauthorized_tools: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    for (tool, args, scope) in [
        ("list_users", json!({}), "internal_user_mgt_list"),
        ("list_groups", json!({}), "internal_group_mgt_view"),
        ("list_roles", json!({}), "internal_role_mgt_view"),
        (
            "create_role",
            json!({ "name": "editor" }),
            "internal_role_mgt_create",
        ),
        (
            "create_user",
            json!({ "username": "kim", "email": "kim@example.com", "first_name": "K", "last_name": "L" }),
            "internal_user_mgt_create",
        ),
    ] {
        let message = client.err(tool, args).await;
        assert!(
            message.starts_with("Permission denied") && message.contains(scope),
            "{tool}: {message}"
        );
        if tool == "create_role" {
            assert!(message.contains("SCIM2 Roles V2 API"), "{message}");
        }
        assert!(
            message.contains("Operation is not permitted"),
            "{tool}: the server's own words are kept: {message}"
        );
    }
}

#[tokio::test]
async fn a_confidential_clients_first_secret_is_handed_over_where_the_read_hides_it() {
    for version in [ServerVersion::Is7_1, ServerVersion::Is7_2] {
        let f = sandbox(version).await;
        // An M2M application for the server without the secret-view scope.
        let mut scopes: Vec<&str> = asgardeo_mcp::api::all_operations()
            .flat_map(|(.., s)| s.iter().copied())
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        let (upstream, ..) = f.client_with_scopes(&scopes).await;
        let client = McpClient::start(
            upstream,
            Setup {
                tools: settings(version),
                ..Default::default()
            },
        )
        .await;
        let created = client
            .ok("create_m2m_app", json!({ "application_name": "Batch" }))
            .await;
        let secret = created["client_secret"].as_str().unwrap_or_default();
        assert!(!secret.is_empty(), "{version}: {created}");
        let regenerated = f.requests().await.iter().any(|r| {
            r["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/regenerate-secret")
        });
        // 7.1 answers the secret to any reader; 7.2 only with the view scope, so the tool issues
        // the first one itself and says so.
        assert_eq!(regenerated, version == ServerVersion::Is7_2, "{version}");
        if version == ServerVersion::Is7_2 {
            assert!(
                created["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("internal_application_mgt_client_secret_view")),
                "{created}"
            );
            // The secret handed over is the one the server holds now.
            let token = f
                .http
                .post(format!("{}/oauth2/token", f.sandbox.base_url))
                .basic_auth(created["client_id"].as_str().unwrap(), Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            assert_eq!(token.status(), 200, "{version}");
        }
    }
}

#[tokio::test]
async fn the_api_resources_filter_is_and_only_as_the_server_reads_it() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    for name in ["Orders", "Billing"] {
        client
            .ok(
                "create_api_resource",
                json!({ "identifier": format!("https://{}.example.com", name.to_lowercase()), "name": name }),
            )
            .await;
    }
    let refused = client
        .err(
            "list_api_resources",
            json!({ "filter": "name eq \"Orders\" or name eq \"Billing\"" }),
        )
        .await;
    assert!(refused.contains("no `or` or `not`"), "{refused}");
    let refused = client
        .err(
            "list_api_resources",
            json!({ "filter": "description eq \"x\"" }),
        )
        .await;
    assert!(refused.contains("not `description`"), "{refused}");
    let found = client
        .ok(
            "list_api_resources",
            json!({ "filter": "name sw \"Ord\" and identifier co \"orders\"" }),
        )
        .await;
    assert_eq!(
        found.to_string().matches("\"Orders\"").count(),
        1,
        "{found}"
    );
    // The sandbox reads a filter as the server does: `or` is lost, every term must hold.
    let raw: Value = f
        .http
        .get(format!(
            "{}/api/server/v1/api-resources?filter={}",
            f.sandbox.base_url,
            url::form_urlencoded::byte_serialize(b"name eq Orders or name eq Billing")
                .collect::<String>()
        ))
        .header(
            reqwest::header::AUTHORIZATION,
            f.upstream.token().await.unwrap().header_value(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["totalResults"], 0, "{raw}");
}

#[tokio::test]
async fn every_application_using_a_connection_is_found_across_pages() {
    let f = Fixture::default().await;
    let client = McpClient::start(
        f.upstream.clone(),
        Setup {
            options: asgardeo_mcp::server::ServerOptions {
                skip_confirmation: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let google = client
        .ok(
            "create_social_connection",
            json!({ "provider": "google", "client_id": "g", "client_secret": "s" }),
        )
        .await;
    let google_id = google["id"].as_str().unwrap().to_owned();
    // More than a page of 100 (the server's maximum) use it.
    const APPS: usize = 103;
    for i in 0..APPS {
        let app = client
            .ok(
                "create_m2m_app",
                json!({ "application_name": format!("App {i}") }),
            )
            .await;
        client
            .ok(
                "set_login_flow",
                json!({ "app_id": app["id"], "steps": [["Google"]] }),
            )
            .await;
    }
    let details = client
        .ok("get_connection", json!({ "connection_id": google_id }))
        .await;
    assert_eq!(
        details["used_by_applications"].as_array().unwrap().len(),
        APPS,
        "{details}"
    );
    let pages = f
        .requests()
        .await
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/connected-apps")
        })
        .count();
    assert_eq!(pages, 2, "two pages of at most 100");
}

#[tokio::test]
async fn a_users_groups_without_a_scim_id_are_kept_by_name() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let users = client
        .ok("list_users", json!({ "username_starts_with": "admin" }))
        .await;
    let admin = users["users"][0]["id"].as_str().unwrap().to_owned();
    let user = client.ok("get_user", json!({ "user_id": admin })).await;
    let groups = user["groups"].as_array().unwrap();
    assert!(
        groups
            .iter()
            .any(|g| g["name"] == "Internal/console-admins" && g.get("id").is_none()),
        "{user}"
    );
}

#[tokio::test]
async fn a_success_the_code_is_not_known_to_send_is_the_write_done() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Batch" }))
        .await;
    let api = client
        .ok(
            "create_api_resource",
            json!({ "identifier": "https://orders.example.com", "name": "Orders", "scopes": [{ "name": "read:orders" }] }),
        )
        .await;
    // The document's 201 where the code sends 200: a server that sends it anyway (a proxy, a
    // future version) still gets the authorization reported done, once.
    f.set_faults(json!({ "status": 201, "body": {}, "path_contains": "/authorized-apis", "method": "POST", "count": 1 }))
        .await;
    let authorized = client
        .ok(
            "authorize_api",
            json!({ "appId": app["id"], "id": api["id"], "scopes": ["read:orders"] }),
        )
        .await;
    assert_eq!(authorized["scopes"], json!(["read:orders"]));
}

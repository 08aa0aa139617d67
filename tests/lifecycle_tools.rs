//! The remaining new tools, each checked in the sandbox through the generated clients:
//! enterprise OIDC connections from a discovery URL, connection listing and deletion, users
//! updated and deleted (leaving their groups), group members added and removed, authorized
//! scopes changed and revoked, API resource scopes removed one by one, and an API resource
//! deleted. Confirmation is skipped (`--yes`) here: `confirmation.rs` covers it.

#![cfg(feature = "sandbox")]

mod common;

use asgardeo_mcp::server::ServerOptions;
use common::Fixture;
use common::mcp::{McpClient, Setup};
use serde_json::{Value, json};

async fn scripted(f: &Fixture) -> McpClient {
    McpClient::start(
        f.upstream.clone(),
        Setup {
            options: ServerOptions {
                skip_confirmation: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn an_enterprise_oidc_connection_is_made_from_its_discovery_url() {
    let f = Fixture::default().await;
    let client = scripted(&f).await;
    let discovery = format!(
        "{}/oauth2/token/.well-known/openid-configuration",
        f.sandbox.base_url
    );
    let created = client
        .ok(
            "create_oidc_connection",
            json!({ "name": "Corporate SSO", "discovery_url": discovery, "client_id": "corp", "client_secret": "corp-secret" }),
        )
        .await;
    assert_eq!(created["authenticator"], "OpenIDConnectAuthenticator");
    let sent: Value = f
        .http
        .get(f.control(&format!("/sandbox/connections/{}", id(&created))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let base = &f.sandbox.base_url;
    assert_eq!(
        sent["properties"]["OAuth2AuthzEPUrl"],
        format!("{base}/oauth2/authorize")
    );
    assert_eq!(
        sent["properties"]["OAuth2TokenEPUrl"],
        format!("{base}/oauth2/token")
    );
    assert_eq!(sent["properties"]["ClientSecret"], "<redacted>");
    let listed = client.ok("list_connections", json!({})).await;
    assert_eq!(listed["connections"][0]["sign_in_option"], "Corporate SSO");
    let options = client.ok("list_login_options", json!({})).await;
    assert!(
        options["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["option"] == "Corporate SSO" && o["kind"] == "connection")
    );
    // Not an OpenID Provider: the tool says so and creates nothing.
    let refused = client
        .err(
            "create_oidc_connection",
            json!({ "name": "Bad", "discovery_url": format!("{base}/oauth2/jwks-nowhere"), "client_id": "x", "client_secret": "y" }),
        )
        .await;
    assert!(refused.contains("discovery document"), "{refused}");
    let deleted = client
        .ok(
            "delete_connection",
            json!({ "connection_id": id(&created) }),
        )
        .await;
    assert_eq!(deleted["deleted"]["name"], "Corporate SSO");
    let after = client.ok("list_connections", json!({})).await;
    assert_eq!(after["connections"], json!([]));
}

#[tokio::test]
async fn users_are_found_updated_and_deleted_and_leave_their_groups() {
    let f = Fixture::default().await;
    let client = scripted(&f).await;
    let bob = client
        .ok(
            "create_user",
            json!({ "username": "bob", "email": "bob@example.com", "first_name": "Bob", "last_name": "Stone" }),
        )
        .await;
    let found = client
        .ok("list_users", json!({ "username_starts_with": "bo" }))
        .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["id"], bob["id"]);
    let page = client.ok("list_users", json!({ "limit": 1 })).await;
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    let next = client
        .ok(
            "list_users",
            json!({ "limit": 1, "cursor": page["next_cursor"] }),
        )
        .await;
    assert_ne!(
        next["users"][0]["id"], page["users"][0]["id"],
        "the cursor moves on"
    );

    let updated = client
        .ok(
            "update_user",
            json!({ "user_id": bob["id"], "first_name": "Robert", "email": "robert@example.com" }),
        )
        .await;
    assert_eq!(updated["previous"]["given_name"], "Bob");
    let stored = f
        .upstream
        .users()
        .get_user_by_id()
        .id(id(&bob))
        .send()
        .await
        .unwrap()
        .into_inner();
    let name = stored.name.unwrap();
    assert_eq!(name.given_name.as_deref(), Some("Robert"));
    assert_eq!(
        name.family_name.as_deref(),
        Some("Stone"),
        "what was not named stays"
    );
    assert_eq!(
        stored.emails[0]["value"], "robert@example.com",
        "{:?}",
        stored.emails
    );

    let group = client
        .ok(
            "create_group",
            json!({ "name": "ops", "user_ids": [bob["id"]] }),
        )
        .await;
    client
        .ok("delete_user", json!({ "user_id": bob["id"] }))
        .await;
    let left = f
        .upstream
        .groups()
        .get_group_by_id()
        .id(id(&group))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        left.members.is_empty(),
        "a deleted user leaves their groups"
    );
}

#[tokio::test]
async fn group_members_are_added_and_removed() {
    let f = Fixture::default().await;
    let client = scripted(&f).await;
    let mut users = Vec::new();
    for name in ["ann", "ben", "cid"] {
        users.push(id(&client
            .ok(
                "create_user",
                json!({ "username": name, "email": format!("{name}@example.com"), "first_name": name, "last_name": "X" }),
            )
            .await));
    }
    let group = client.ok("create_group", json!({ "name": "crew" })).await;
    let added = client
        .ok(
            "add_group_members",
            json!({ "group_id": group["id"], "user_ids": users }),
        )
        .await;
    assert_eq!(added["current"]["members"].as_array().unwrap().len(), 3);
    let removed = client
        .ok(
            "remove_group_members",
            json!({ "group_id": group["id"], "user_ids": [users[1]] }),
        )
        .await;
    assert_eq!(removed["previous"]["members"].as_array().unwrap().len(), 3);
    let stored = f
        .upstream
        .groups()
        .get_group_by_id()
        .id(id(&group))
        .send()
        .await
        .unwrap()
        .into_inner();
    let members: Vec<String> = stored.members.into_iter().filter_map(|m| m.value).collect();
    assert_eq!(members, [users[0].clone(), users[2].clone()]);
    let stranger = client
        .err(
            "remove_group_members",
            json!({ "group_id": group["id"], "user_ids": [users[1]] }),
        )
        .await;
    assert!(stranger.contains("not a member"), "{stranger}");
    let listed = client
        .ok("list_groups", json!({ "name_starts_with": "cr" }))
        .await;
    assert_eq!(listed["groups"][0]["members"].as_array().unwrap().len(), 2);
    client
        .ok("delete_group", json!({ "group_id": group["id"] }))
        .await;
    assert_eq!(client.ok("list_groups", json!({})).await["total"], 0);
}

#[tokio::test]
async fn authorized_scopes_are_changed_and_revoked_and_api_scopes_removed() {
    let f = Fixture::default().await;
    let client = scripted(&f).await;
    let api = client
        .ok(
            "create_api_resource",
            json!({ "identifier": "https://api.orders.example.com", "name": "Orders", "scopes": ["read:orders", "write:orders", "admin:orders"] }),
        )
        .await;
    let app = client
        .ok(
            "create_m2m_app",
            json!({ "application_name": "orders-worker" }),
        )
        .await;
    client
        .ok(
            "authorize_api",
            json!({ "appId": app["id"], "id": api["id"], "scopes": ["read:orders"] }),
        )
        .await;
    let changed = client
        .ok(
            "update_authorized_scopes",
            json!({ "app_id": app["id"], "api_id": api["id"], "add_scopes": ["write:orders"], "remove_scopes": ["read:orders"] }),
        )
        .await;
    assert_eq!(changed["scopes"], json!(["write:orders"]));
    let authorized = |f: &Fixture, app: String| {
        let upstream = f.upstream.clone();
        async move {
            upstream
                .applications()
                .get_authorized_apis()
                .application_id(app)
                .send()
                .await
                .unwrap()
                .into_inner()
        }
    };
    let now = authorized(&f, id(&app)).await;
    let scopes: Vec<String> = now[0]
        .authorized_scopes
        .iter()
        .filter_map(|s| s.name.clone())
        .collect();
    assert_eq!(scopes, ["write:orders"]);

    // Scopes leave an API resource one DELETE each (servers refuse `removedScopes`).
    let updated = client
        .ok(
            "update_api_resource",
            json!({ "api_id": api["id"], "remove_scopes": ["admin:orders"], "add_scopes": ["audit:orders"], "description": "The orders API" }),
        )
        .await;
    let names: Vec<&str> = updated["current"]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["read:orders", "write:orders", "audit:orders"]);

    let revoked = client
        .ok(
            "revoke_api_authorization",
            json!({ "app_id": app["id"], "api_id": api["id"] }),
        )
        .await;
    assert_eq!(revoked["revoked"]["scopes"], json!(["write:orders"]));
    assert!(authorized(&f, id(&app)).await.is_empty());

    let deleted = client
        .ok("delete_api_resource", json!({ "api_id": api["id"] }))
        .await;
    assert_eq!(
        deleted["deleted"]["identifier"],
        "https://api.orders.example.com"
    );
    let system = client.ok("list_api_resources", json!({})).await["api_resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = client
        .err("delete_api_resource", json!({ "api_id": system }))
        .await;
    assert!(refused.contains("cannot be deleted"), "{refused}");
}

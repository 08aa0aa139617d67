//! Every write tool against the sandbox answering as WSO2's server code does, in every server
//! variant that changes a tool's path (IS 7.0, 7.1, 7.2 and Asgardeo; a group PATCH that
//! answers 204 without the group): each call succeeds (or, where that server cannot do it,
//! says so), the organization ends in the state the tool reported, no write is sent twice, and
//! every status the sandbox answered is one `openapi/server-code.toml` says the code sends.

#![cfg(feature = "sandbox")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use asgardeo_mcp::sandbox::{SandboxConfig, ServerVersion};
use asgardeo_mcp::server::ServerOptions;
use asgardeo_mcp::tools::ToolSettings;
use common::Fixture;
use common::mcp::{McpClient, Setup};
use serde_json::{Value, json};

/// The success statuses the server code sends, per operation (from `server-code.toml`).
fn success_statuses() -> BTreeMap<String, Vec<u16>> {
    #[derive(serde::Deserialize)]
    struct Table {
        operation: Vec<Row>,
    }
    #[derive(serde::Deserialize)]
    struct Row {
        id: String,
        success: Vec<u16>,
    }
    let text = include_str!("../openapi/server-code.toml");
    let table: Table = toml::from_str(text).expect("server-code.toml");
    table
        .operation
        .into_iter()
        .map(|r| (r.id, r.success))
        .collect()
}

/// The operation a request to `path` (under the tenant) with `method` is.
fn operation_of(method: &str, path: &str) -> Option<&'static str> {
    let rest = path.split_once("/t/").map(|(_, r)| r)?;
    let rest = &rest[rest.find('/')?..];
    asgardeo_mcp::api::ALL.iter().find_map(|spec| {
        let under = rest.strip_prefix(spec.base_path)?;
        spec.operations
            .iter()
            .find(|(_, m, template, _)| m.eq_ignore_ascii_case(method) && fits(template, under))
            .map(|(id, ..)| *id)
    })
}

fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

struct Org {
    f: Fixture,
    client: McpClient,
    version: ServerVersion,
    statuses: BTreeMap<String, Vec<u16>>,
}

impl Org {
    async fn new(version: ServerVersion, group_patch_returns_group: bool) -> Self {
        let f = Fixture::start(SandboxConfig {
            server_version: version,
            group_patch_returns_group,
            login_flow_duration: Duration::from_millis(100),
            ..Default::default()
        })
        .await;
        let client = McpClient::start(
            f.upstream.clone(),
            Setup {
                options: ServerOptions {
                    skip_confirmation: true,
                    ..Default::default()
                },
                tools: ToolSettings {
                    product: version.product(),
                    login_flow_poll_interval: Duration::from_millis(20),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await;
        Self {
            f,
            client,
            version,
            statuses: success_statuses(),
        }
    }

    /// Calls a tool that must succeed; then checks the writes it sent.
    async fn ok(&self, tool: &str, args: Value) -> Value {
        self.f.clear_requests().await;
        let result = self.client.ok(tool, args).await;
        self.check_writes(tool).await;
        result
    }

    /// Calls a tool that must fail with a message containing `says`; nothing may be written.
    async fn refused(&self, tool: &str, args: Value, says: &str) -> String {
        self.f.clear_requests().await;
        let message = self.client.err(tool, args).await;
        assert!(
            message.contains(says),
            "{tool} on {}: {message}",
            self.version
        );
        let writes: Vec<Value> = self
            .f
            .writes()
            .await
            .into_iter()
            .filter(|w| {
                w["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
            })
            .collect();
        assert!(
            writes.is_empty(),
            "{tool} on {}: refused, yet wrote {writes:?}",
            self.version
        );
        message
    }

    /// No write twice; every status one the server's code sends for that operation.
    async fn check_writes(&self, tool: &str) {
        let requests = self.f.requests().await;
        let mut seen = BTreeSet::new();
        for request in &requests {
            let method = request["method"].as_str().unwrap_or_default();
            let path = request["path"].as_str().unwrap_or_default();
            let status = request["status"].as_u64().unwrap_or_default() as u16;
            let Some(operation) = operation_of(method, path) else {
                continue;
            };
            if (200..300).contains(&status) {
                let allowed = &self.statuses[operation];
                assert!(
                    allowed.contains(&status),
                    "{tool} on {}: {operation} answered {status}, which server-code.toml does not list ({allowed:?})",
                    self.version
                );
            }
            if method != "GET" {
                assert!(
                    seen.insert(format!("{method} {path}")),
                    "{tool} on {}: {method} {path} sent twice ({requests:?})",
                    self.version
                );
            }
        }
    }
}

/// The whole set of write tools, in an order that builds what the next one needs.
async fn every_write_tool(version: ServerVersion, group_patch_returns_group: bool) {
    let org = Org::new(version, group_patch_returns_group).await;
    let v = version;

    // Applications.
    let spa = org
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Shop", "redirect_url": "https://shop.example.com/cb" }),
        )
        .await;
    let spa_id = spa["id"].as_str().unwrap().to_owned();
    let web = org
        .ok(
            "create_webapp_with_ssr",
            json!({ "application_name": "Portal", "redirect_url": "https://portal.example.com/cb" }),
        )
        .await;
    assert!(
        web["client_secret"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}: a confidential client's secret is handed over: {web}"
    );
    let web_id = web["id"].as_str().unwrap().to_owned();
    org.ok(
        "create_mobile_app",
        json!({ "application_name": "Phone", "redirect_url": "com.example.phone://cb" }),
    )
    .await;
    let m2m = org
        .ok("create_m2m_app", json!({ "application_name": "Batch" }))
        .await;
    assert!(m2m["client_secret"].as_str().is_some_and(|s| !s.is_empty()));
    let m2m_id = m2m["id"].as_str().unwrap().to_owned();

    let renamed = org
        .ok(
            "update_application_basic_info",
            json!({ "id": spa_id, "description": "The shop front" }),
        )
        .await;
    assert_eq!(renamed["current"]["description"], "The shop front", "{v}");
    // The OIDC update: IS 7.0 and 7.1 refuse a PUT without the stored secret, 7.2 keeps it.
    let oauth = org
        .ok(
            "update_application_oauth_config",
            json!({ "id": web_id, "refresh_token_expiry_time": 7200 }),
        )
        .await;
    assert_eq!(
        oauth["current"]["tokens"]["refresh_token_expiry_time"], 7200,
        "{v}"
    );
    let claims = org
        .ok(
            "update_application_claim_config",
            json!({ "id": spa_id, "claims": ["email"] }),
        )
        .await;
    assert!(claims.to_string().contains("email"), "{v}: {claims}");

    // API resources and authorization.
    let api = org
        .ok(
            "create_api_resource",
            json!({ "identifier": "https://orders.example.com", "name": "Orders",
                    "scopes": [{ "name": "read:orders" }, { "name": "write:orders" }, { "name": "ship:orders" }] }),
        )
        .await;
    let api_id = api["id"].as_str().unwrap().to_owned();
    let authorized = org
        .ok(
            "authorize_api",
            json!({ "appId": m2m_id, "id": api_id, "scopes": ["read:orders"] }),
        )
        .await;
    assert_eq!(authorized["scopes"], json!(["read:orders"]), "{v}");
    // A second authorization of the same pair meets the server's 409 and says so.
    org.refused(
        "authorize_api",
        json!({ "appId": m2m_id, "id": api_id, "scopes": ["read:orders"] }),
        "already authorized",
    )
    .await;
    let scopes = org
        .ok(
            "update_authorized_scopes",
            json!({ "app_id": m2m_id, "api_id": api_id, "add_scopes": ["write:orders"] }),
        )
        .await;
    assert_eq!(
        scopes["scopes"],
        json!(["read:orders", "write:orders"]),
        "{v}"
    );
    let updated = org
        .ok(
            "update_api_resource",
            json!({ "api_id": api_id, "description": "Orders and shipping", "remove_scopes": ["ship:orders"] }),
        )
        .await;
    assert!(
        !updated.to_string().contains("\"ship:orders\"")
            || updated["previous"].to_string().contains("ship:orders"),
        "{v}: {updated}"
    );
    org.ok(
        "authorize_api",
        json!({ "appId": spa_id, "id": api_id, "scopes": ["read:orders", "write:orders"] }),
    )
    .await;

    // Roles: an application role needs the application to take its own roles, and scopes the
    // application is authorized for.
    org.refused(
        "create_role",
        json!({ "name": "clerk", "audience": "application", "app_id": spa_id, "permissions": ["read:orders"] }),
        "switch_application_audience",
    )
    .await;
    org.refused(
        "create_role",
        json!({ "name": "clerk", "audience": "application", "app_id": m2m_id,
                "permissions": ["read:orders", "admin:everything"], "switch_application_audience": true }),
        "not authorized for the scope(s) admin:everything",
    )
    .await;
    let clerk = org
        .ok(
            "create_role",
            json!({ "name": "clerk", "audience": "application", "app_id": spa_id,
                    "permissions": ["read:orders"], "switch_application_audience": true }),
        )
        .await;
    assert_eq!(clerk["audience"], "application", "{v}: {clerk}");
    assert_eq!(clerk["permissions"], json!(["read:orders"]), "{v}");
    let editor = org
        .ok(
            "create_role",
            json!({ "name": "editor", "permissions": ["write:orders"] }),
        )
        .await;
    let editor_id = editor["id"].as_str().unwrap().to_owned();

    // Users and groups.
    let kim = org
        .ok(
            "create_user",
            json!({ "username": "kim", "email": "kim@example.com", "first_name": "Kim", "last_name": "Lee" }),
        )
        .await;
    let expected_store = if v == ServerVersion::Asgardeo {
        "DEFAULT"
    } else {
        "PRIMARY"
    };
    assert_eq!(kim["userstore_domain"], expected_store, "{v}");
    let kim_id = kim["id"].as_str().unwrap().to_owned();
    if v != ServerVersion::Asgardeo {
        // A stock IS has no DEFAULT store: the server's words, and what to do.
        let message = org
            .refused(
                "create_user",
                json!({ "username": "lee", "email": "lee@example.com", "first_name": "Lee", "last_name": "Kim", "userstore_domain": "DEFAULT" }),
                "no user store `DEFAULT`",
            )
            .await;
        assert!(message.contains("omit userstore_domain"), "{message}");
    }
    let sam = org
        .ok(
            "create_user",
            json!({ "username": "sam", "email": "sam@example.com", "first_name": "Sam", "last_name": "Ray", "password": "Sandbox-Sam-1" }),
        )
        .await;
    let sam_id = sam["id"].as_str().unwrap().to_owned();
    let changed = org
        .ok(
            "update_user",
            json!({ "user_id": sam_id, "last_name": "Rae" }),
        )
        .await;
    assert!(changed.to_string().contains("Rae"), "{v}: {changed}");
    let group = org
        .ok(
            "create_group",
            json!({ "name": "clerks", "user_ids": [kim_id] }),
        )
        .await;
    let group_id = group["id"].as_str().unwrap().to_owned();
    let added = org
        .ok(
            "add_group_members",
            json!({ "group_id": group_id, "user_ids": [sam_id] }),
        )
        .await;
    let members: Vec<&str> = added["current"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(
        members.contains(&kim_id.as_str()) && members.contains(&sam_id.as_str()),
        "{v}: {added}"
    );
    let removed = org
        .ok(
            "remove_group_members",
            json!({ "group_id": group_id, "user_ids": [kim_id] }),
        )
        .await;
    assert_eq!(
        removed["current"]["members"].as_array().unwrap().len(),
        1,
        "{v}"
    );
    let assigned = org
        .ok(
            "assign_role",
            json!({ "role_id": editor_id, "user_ids": [kim_id], "group_ids": [group_id] }),
        )
        .await;
    assert_eq!(
        assigned["current"]["users"][0]["id"],
        kim_id.as_str(),
        "{v}"
    );
    let unassigned = org
        .ok(
            "unassign_role",
            json!({ "role_id": editor_id, "user_ids": [kim_id] }),
        )
        .await;
    assert!(
        unassigned["current"]["users"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{v}"
    );

    // Login flows and connections.
    let google = org
        .ok(
            "create_social_connection",
            json!({ "provider": "google", "client_id": "google-client", "client_secret": "google-secret" }),
        )
        .await;
    let google_id = google["id"].as_str().unwrap().to_owned();
    let discovery = format!(
        "{}/oauth2/token/.well-known/openid-configuration",
        org.f.sandbox.base_url
    );
    let okta = org
        .ok(
            "create_oidc_connection",
            json!({ "name": "Okta", "discovery_url": discovery, "client_id": "okta-client", "client_secret": "okta-secret" }),
        )
        .await;
    let okta_id = okta["id"].as_str().unwrap().to_owned();
    org.ok(
        "set_login_flow",
        json!({ "app_id": spa_id, "steps": [["password", "Google"], ["email_otp"]] }),
    )
    .await;
    if v == ServerVersion::Is7_0 {
        // IS 7.0 has no login-flow generation: the tool says so, and what to use instead.
        org.refused(
            "update_login_flow",
            json!({ "app_id": web_id, "user_prompt": "password then email OTP" }),
            "set_login_flow",
        )
        .await;
    } else {
        org.ok(
            "update_login_flow",
            json!({ "app_id": web_id, "user_prompt": "password then email OTP" }),
        )
        .await;
    }
    org.refused(
        "delete_connection",
        json!({ "connection_id": google_id }),
        "set_login_flow",
    )
    .await;
    org.ok("delete_connection", json!({ "connection_id": okta_id }))
        .await;

    // Destructive tools.
    let rotated = org
        .ok("regenerate_client_secret", json!({ "app_id": m2m_id }))
        .await;
    assert!(
        rotated["client_secret"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && Some(s) != m2m["client_secret"].as_str())
    );
    org.ok(
        "revoke_api_authorization",
        json!({ "app_id": m2m_id, "api_id": api_id }),
    )
    .await;
    org.ok("delete_role", json!({ "role_id": editor_id })).await;
    org.ok("delete_group", json!({ "group_id": group_id }))
        .await;
    org.ok("delete_user", json!({ "user_id": sam_id })).await;
    org.ok("delete_application", json!({ "app_id": m2m_id }))
        .await;
    // The application's role went with its switch of audience only as far as the server does:
    // the SPA's own role is still there.
    let roles = org.client.ok("list_roles", json!({})).await;
    assert!(roles.to_string().contains("clerk"), "{v}: {roles}");
    org.ok("delete_application", json!({ "app_id": spa_id }))
        .await;
    let roles = org.client.ok("list_roles", json!({})).await;
    assert!(
        !roles.to_string().contains("clerk"),
        "{v}: an application's roles go with it"
    );
    org.ok("delete_api_resource", json!({ "api_id": api_id }))
        .await;
    let gone = org
        .client
        .err(
            "get_api_resource_by_identifier",
            json!({ "identifier": "https://orders.example.com" }),
        )
        .await;
    assert!(gone.starts_with("Not found"), "{v}: {gone}");
}

#[tokio::test]
async fn every_write_tool_works_on_asgardeo() {
    every_write_tool(ServerVersion::Asgardeo, true).await;
}

#[tokio::test]
async fn every_write_tool_works_on_is_7_2() {
    every_write_tool(ServerVersion::Is7_2, true).await;
}

#[tokio::test]
async fn every_write_tool_works_on_is_7_1() {
    every_write_tool(ServerVersion::Is7_1, true).await;
}

#[tokio::test]
async fn every_write_tool_works_on_is_7_0() {
    every_write_tool(ServerVersion::Is7_0, true).await;
}

#[tokio::test]
async fn every_write_tool_works_where_a_group_patch_answers_204() {
    every_write_tool(ServerVersion::Is7_2, false).await;
}

/// The table covers every operation any tool may send, derived from the catalogue: a tool that
/// starts calling an operation nobody read the server code for fails here.
#[test]
fn every_operation_a_tool_sends_says_how_the_server_code_answers_it() {
    let statuses = success_statuses();
    let text = include_str!("../openapi/server-code.toml");
    let table: toml::Value = toml::from_str(text).unwrap();
    let rows = table["operation"].as_array().unwrap();
    for entry in asgardeo_mcp::tools::CATALOG {
        for operation in entry
            .operations
            .iter()
            .chain(entry.optional_operations.iter())
        {
            assert!(
                statuses.contains_key(*operation),
                "{}: {operation} is not in server-code.toml",
                entry.name
            );
            let row = rows
                .iter()
                .find(|r| r["id"].as_str() == Some(operation))
                .unwrap();
            let source = row["source"].as_str().unwrap_or_default();
            assert!(
                source.chars().any(|c| c.is_ascii_digit()),
                "{operation}: its source names no line: {source}"
            );
        }
    }
}

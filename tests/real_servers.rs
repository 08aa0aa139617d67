//! Correct against what real servers send and accept, not only what the documents say: names
//! that WSO2's filter grammar would misread, client ids only on request, answers in older or
//! other shapes, the URL policy, least-privilege tokens, scope-hidden tools that say why, no
//! hang when the network does, bounded login-flow waits, and input schemas every host reads.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

mod common;

use std::time::Duration;

use asgardeo_mcp::api::Upstream;
use asgardeo_mcp::sandbox::SandboxConfig;
use asgardeo_mcp::server::{AsgardeoServer, Product, ServerOptions, ToolFilter, tool_definitions};
use asgardeo_mcp::tools::ToolSettings;
use common::Fixture;
use common::mcp::{McpClient, Setup};
use serde_json::{Value, json};

async fn full(f: &Fixture) -> McpClient {
    McpClient::start(f.upstream.clone(), Setup::default()).await
}

#[tokio::test]
async fn names_the_filter_grammar_would_misread_are_found_exactly() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let names = [
        "Research and Development",
        "Research",
        "Sales or Marketing",
        "not mine",
        "R&D",
        "R D",
        "He said \"hi\"",
        "back\\slash",
        "(parenthesised) app",
        "naïve café 日本語 🚀",
        "Tom eq Jerry",
        "50% off_sale",
    ];
    let mut ids = Vec::new();
    for name in names {
        let created = client
            .ok("create_m2m_app", json!({ "application_name": name }))
            .await;
        ids.push(created["id"].clone());
    }
    for (name, id) in names.iter().zip(&ids) {
        let found = client
            .ok(
                "get_application_by_name",
                json!({ "application_name": name }),
            )
            .await;
        assert_eq!(&found["id"], id, "{name}");
        assert_eq!(found["name"], json!(name));
    }
    let near = client
        .err(
            "get_application_by_name",
            json!({ "application_name": "research and development" }),
        )
        .await;
    // Names are compared exactly, whatever collation the server's database uses.
    assert!(near.starts_with("Not found"), "{near}");
}

#[tokio::test]
async fn client_ids_are_asked_for_because_servers_send_them_only_then() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let spa = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Ids", "redirect_url": "https://ids.example.com/cb" }),
        )
        .await;
    let raw = f
        .upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        raw.applications.iter().all(|a| a.client_id.is_none()),
        "the sandbox, like the server, leaves client ids out unless asked"
    );
    let listed = client.ok("list_applications", json!({})).await;
    let entry = listed["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == spa["id"])
        .unwrap();
    assert_eq!(entry["client_id"], spa["client_id"]);
    // An inbound protocol comes without the `name` the document requires.
    let app = f
        .upstream
        .applications()
        .get_application()
        .application_id(spa["id"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    let protocols = serde_json::to_value(app.inbound_protocols).unwrap();
    assert!(protocols[0].get("name").is_none(), "{protocols}");
}

#[tokio::test]
async fn answers_in_other_shapes_still_read() {
    let f = Fixture::start(SandboxConfig {
        legacy_token_binding: true,
        ..Default::default()
    })
    .await;
    let client = full(&f).await;
    // SCIM answers the untyped email as a plain string; the user was created and says so.
    let user = client
        .ok(
            "create_user",
            json!({ "username": "kim", "email": "kim@gmail.com", "first_name": "Kim", "last_name": "Lee" }),
        )
        .await;
    let raw = f
        .upstream
        .users()
        .get_user_by_id()
        .id(user["id"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(raw.emails, [json!("kim@gmail.com")]);
    // An older server's top-level token binding is reported, and survives an update.
    let spa = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Legacy", "redirect_url": "https://legacy.example.com/cb" }),
        )
        .await;
    let details = client
        .ok(
            "get_application_by_name",
            json!({ "application_name": "Legacy" }),
        )
        .await;
    assert_eq!(details["oauth"]["tokens"]["binding_type"], "sso-session");
    let updated = client
        .ok(
            "update_application_oauth_config",
            json!({ "id": spa["id"], "user_access_token_expiry_time": 900 }),
        )
        .await;
    assert_eq!(updated["current"]["tokens"]["binding_type"], "sso-session");
    assert_eq!(
        updated["current"]["tokens"]["user_access_token_expiry_time"],
        900
    );
}

#[tokio::test]
async fn urls_follow_one_policy_per_field() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    for (tool, url) in [
        ("create_single_page_app", "http://evil.example.com/cb"),
        ("create_webapp_with_ssr", "myapp://callback"),
        (
            "create_single_page_app",
            "https://user:pw@app.example.com/cb",
        ),
        ("create_mobile_app", "javascript://alert(1)"),
        ("create_single_page_app", "https://app.example.com/cb#frag"),
    ] {
        let message = client
            .err(
                tool,
                json!({ "application_name": "Bad URL", "redirect_url": url }),
            )
            .await;
        assert!(
            message.contains("`redirect_url`"),
            "{tool} {url}: {message}"
        );
    }
    client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Local", "redirect_url": "http://127.0.0.1:5173/cb" }),
        )
        .await;
    let mobile = client
        .ok(
            "create_mobile_app",
            json!({ "application_name": "Phone", "redirect_url": "com.example.phone:/cb" }),
        )
        .await;
    let message = client
        .err(
            "update_application_basic_info",
            json!({ "id": mobile["id"], "access_url": "http://evil.example.com" }),
        )
        .await;
    assert!(message.contains("`access_url`"), "{message}");
    let message = client
        .err(
            "update_application_oauth_config",
            json!({ "id": mobile["id"], "allowed_origins": ["https://app.example.com/path"] }),
        )
        .await;
    assert!(message.contains("not an origin"), "{message}");
}

#[tokio::test]
async fn the_token_asks_only_for_what_the_exposed_tools_need() {
    let f = Fixture::default().await;
    let read_only = ToolFilter {
        read_only: true,
        ..Default::default()
    };
    let scopes = AsgardeoServer::scopes_for_filter(&read_only).unwrap();
    assert!(
        scopes
            .iter()
            .all(|s| s.ends_with("_view") || s.ends_with("_list")),
        "{scopes:?}"
    );
    let upstream = f.upstream_with(|s| *s = s.clone().with_scopes(scopes.iter().copied()));
    let client = McpClient::start(
        upstream,
        Setup {
            filter: read_only,
            ..Default::default()
        },
    )
    .await;
    client.ok("list_applications", json!({})).await;
    let requested: Vec<String> =
        serde_json::from_value(f.stats().await["last_requested_scopes"].clone()).unwrap();
    assert!(!requested.is_empty());
    assert!(
        requested
            .iter()
            .all(|s| s.ends_with("_view") || s.ends_with("_list")),
        "a read-only server asked for {requested:?}"
    );
    let claims_only = ToolFilter {
        include: vec!["claims".into()],
        ..Default::default()
    };
    assert_eq!(
        AsgardeoServer::scopes_for_filter(&claims_only).unwrap(),
        ["internal_claim_meta_view"]
    );
}

#[tokio::test]
async fn a_tool_hidden_for_a_missing_scope_says_which_and_how_to_grant_it() {
    let f = Fixture::default().await;
    let (upstream, ..) = f
        .client_with_scopes(&["internal_application_mgt_view", "internal_claim_meta_view"])
        .await;
    let client = McpClient::start(upstream, Setup::default()).await;
    let names: Vec<String> = client
        .tools()
        .await
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(!names.contains(&"create_user".to_owned()));
    let message = client
        .err(
            "create_user",
            json!({ "username": "x", "email": "x@example.com", "first_name": "a", "last_name": "b" }),
        )
        .await;
    assert!(
        message.contains("internal_user_mgt_create")
            && message.contains("API Authorization")
            && message.contains("--keep-unauthorized-tools"),
        "{message}"
    );
}

/// A token endpoint that accepts connections and never answers.
async fn silent_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

#[tokio::test]
async fn a_silent_network_never_hangs_the_host() {
    let addr = silent_server().await;
    let mut settings = asgardeo_mcp::api::UpstreamSettings::new(
        &format!("http://{addr}/t/silent"),
        "id",
        "secret",
    );
    settings.request_timeout = Duration::from_secs(30);
    let upstream = Upstream::new(settings).unwrap();
    let server = McpClient::server(
        upstream,
        Setup {
            options: ServerOptions {
                call_timeout: Duration::from_millis(800),
                discovery_wait: Duration::from_millis(200),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    // `initialize` (in connect) and `tools/list` do not wait for the token endpoint: a hang
    // here would trip the generous bound below, which is a liveness check, not a timing.
    let bounded = Duration::from_secs(20);
    let session = tokio::time::timeout(
        bounded,
        asgardeo_mcp::server::connect_in_process(server, ()),
    )
    .await
    .expect("initialize answered without the network")
    .unwrap();
    let tools = tokio::time::timeout(bounded, session.list_all_tools())
        .await
        .expect("tools/list answered")
        .unwrap();
    assert_eq!(
        tools.len(),
        asgardeo_mcp::tools::CATALOG.len(),
        "every tool listed while the scopes are unknown"
    );
    let Value::Object(args) = json!({}) else {
        unreachable!()
    };
    let result = tokio::time::timeout(
        bounded,
        session
            .call_tool(rmcp::model::CallToolRequestParams::new("list_claims").with_arguments(args)),
    )
    .await
    .expect("the call ends at its deadline")
    .unwrap();
    let message = common::mcp::text(&result);
    assert_eq!(result.is_error, Some(true));
    assert!(
        message.contains(&addr.to_string()) && message.contains("0.8 seconds"),
        "names the URL and the limit: {message}"
    );
}

#[tokio::test]
async fn login_flow_waits_without_spinning_when_the_result_lags_the_status() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(200),
        login_flow_result_delay: Duration::from_millis(600),
        ..Default::default()
    })
    .await;
    let client = McpClient::with_tools(
        &f,
        ToolSettings {
            login_flow_poll_interval: Duration::from_millis(50),
            ..Default::default()
        },
    )
    .await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Lagging" }))
        .await;
    let before = f.stats().await["api_requests"].as_u64().unwrap();
    let flow = client
        .ok(
            "update_login_flow",
            json!({ "app_id": app["id"], "user_prompt": "password, then TOTP" }),
        )
        .await;
    assert_eq!(flow["steps"].as_array().unwrap().len(), 2);
    let requests = f.stats().await["api_requests"].as_u64().unwrap() - before;
    // 800 ms of waiting at one poll per 50 ms is about 16 polls and as many result reads; a
    // spinning loop makes thousands.
    assert!(requests < 60, "{requests} requests");
}

#[tokio::test]
async fn messages_fit_what_happened() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    client
        .ok("create_m2m_app", json!({ "application_name": "Taken" }))
        .await;
    let other = client
        .ok("create_m2m_app", json!({ "application_name": "Other" }))
        .await;
    let rename = client
        .err(
            "update_application_basic_info",
            json!({ "id": other["id"], "name": "Taken" }),
        )
        .await;
    assert!(
        rename.contains("already has that name") && rename.contains("not renamed"),
        "{rename}"
    );
    f.set_faults(json!({ "drop_connection": true, "path_contains": "/claim-dialects" }))
        .await;
    let dropped = client.err("list_claims", json!({})).await;
    assert!(
        dropped.contains("dropped") && !dropped.contains("shape"),
        "{dropped}"
    );
    f.clear_faults().await;
    f.set_faults(json!({ "status": 429, "count": 5, "path_contains": "/claim-dialects" }))
        .await;
    let limited = client.err("list_claims", json!({})).await;
    assert!(
        limited.contains("did not say for how long") && !limited.contains("30 seconds"),
        "{limited}"
    );
}

#[test]
fn input_schemas_are_plain_for_every_host() {
    fn walk(tool: &str, at: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                assert!(
                    !map.contains_key("$ref") && !map.contains_key("$defs"),
                    "{tool}{at}: $ref"
                );
                if let Some(Value::Array(types)) = map.get("type") {
                    panic!("{tool}{at}: a union type {types:?}");
                }
                for key in ["anyOf", "oneOf"] {
                    if let Some(Value::Array(members)) = map.get(key) {
                        assert!(
                            members
                                .iter()
                                .all(|m| m.get("type") != Some(&json!("null"))),
                            "{tool}{at}: nullable {key}"
                        );
                    }
                }
                if map.get("type") == Some(&json!("integer")) {
                    assert!(
                        map.contains_key("minimum") && map.contains_key("maximum"),
                        "{tool}{at}: an integer input without its bounds"
                    );
                }
                for (k, v) in map {
                    walk(tool, &format!("{at}/{k}"), v);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(tool, at, v)),
            _ => {}
        }
    }
    let tools = tool_definitions(Product::Asgardeo);
    for tool in &tools {
        walk(&tool.name, "", &Value::Object((*tool.input_schema).clone()));
    }
    let authorize = tools.iter().find(|t| t.name == "authorize_api").unwrap();
    assert_eq!(
        authorize.input_schema["properties"]["policyIdentifier"]["enum"],
        json!(["RBAC", "No Policy"])
    );
}

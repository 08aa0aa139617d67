//! The MCP tools end to end in one process: the whole tool list's invariants and snapshots,
//! filtering, input hardening, upstream failures as tool results, restore-by-previous-value,
//! the reference's example prompts verified with the generated clients, and secret hygiene.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use asgardeo_mcp::sandbox::SandboxConfig;
use asgardeo_mcp::server::{AuditLog, Product, ServerOptions, ToolFilter, tool_definitions};
use asgardeo_mcp::tools::{Access, CATALOG, TOOLSETS, ToolSettings, required_scopes};
use common::Fixture;
use common::mcp::McpClient;
use serde_json::{Value, json};

/// The reference server's tools and their parameter names.
const REFERENCE: [(&str, &[&str]); 19] = [
    ("list_applications", &[]),
    (
        "create_single_page_app",
        &["application_name", "redirect_url"],
    ),
    (
        "create_webapp_with_ssr",
        &["application_name", "redirect_url"],
    ),
    ("create_mobile_app", &["application_name", "redirect_url"]),
    ("create_m2m_app", &["application_name"]),
    ("get_application_by_name", &["application_name"]),
    ("get_application_by_client_id", &["client_id"]),
    (
        "update_application_basic_info",
        &[
            "id",
            "name",
            "description",
            "image_url",
            "access_url",
            "logout_return_url",
        ],
    ),
    (
        "update_application_oauth_config",
        &[
            "id",
            "redirect_urls",
            "allowed_origins",
            "user_access_token_expiry_time",
            "application_access_token_expiry_time",
            "refresh_token_expiry_time",
            "revoke_tokens_when_idp_session_terminated",
            "access_token_attributes",
        ],
    ),
    ("update_application_claim_config", &["id", "claims"]),
    (
        "authorize_api",
        &["appId", "id", "policyIdentifier", "scopes"],
    ),
    ("list_authorized_api", &["app_id"]),
    ("update_login_flow", &["app_id", "user_prompt"]),
    (
        "list_api_resources",
        &["filter", "limit", "before", "after"],
    ),
    ("search_api_resources_by_name", &["name"]),
    ("get_api_resource_by_identifier", &["identifier"]),
    (
        "create_api_resource",
        &["identifier", "name", "requiresAuthorization", "scopes"],
    ),
    (
        "create_user",
        &[
            "username",
            "password",
            "email",
            "first_name",
            "last_name",
            "userstore_domain",
        ],
    ),
    ("list_claims", &[]),
];

async fn client_for(f: &Fixture, filter: ToolFilter) -> McpClient {
    McpClient::connect(
        f.upstream.clone(),
        filter,
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await
}

async fn full(f: &Fixture) -> McpClient {
    client_for(f, ToolFilter::default()).await
}

fn properties(tool: &rmcp::model::Tool) -> BTreeSet<String> {
    tool.input_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every array in a schema declares its items.
fn arrays_without_items(schema: &Value, at: &str, found: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            let is_array = map.get("type") == Some(&json!("array"))
                || map
                    .get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.contains(&json!("array")));
            if is_array && !map.contains_key("items") {
                found.push(at.to_owned());
            }
            for (k, v) in map {
                arrays_without_items(v, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| arrays_without_items(v, &format!("{at}/{i}"), found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_tool_list_matches_the_reference_and_every_tool_is_complete() {
    let f = Fixture::default().await;
    let tools = full(&f).await.tools().await;
    let names: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    let reference: BTreeSet<String> = REFERENCE.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert!(
        reference.is_subset(&names),
        "every reference tool keeps its name: missing {:?}",
        reference.difference(&names).collect::<Vec<_>>()
    );
    let catalogued: BTreeSet<String> = CATALOG.iter().map(|e| e.name.to_owned()).collect();
    assert_eq!(names, catalogued, "the tools are the catalogue's");
    for tool in &tools {
        let name = tool.name.as_ref();
        let reference: BTreeSet<String> = REFERENCE
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[][..], |(_, params)| *params)
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
        assert!(
            reference.is_subset(&properties(tool)),
            "{name}: parameters {:?} lack some of {reference:?}",
            properties(tool)
        );
        assert!(
            tool.description.as_deref().is_some_and(|d| d.len() > 20),
            "{name}: description"
        );
        let a = tool
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: annotations"));
        // Every annotation that means something is said: read-only or not, and for a tool
        // that writes, whether it destroys and whether repeating it is harmless. The rest is
        // the protocol's default (open world).
        let writes = a.read_only_hint == Some(false);
        assert!(
            a.title.is_some()
                && a.read_only_hint.is_some()
                && (!writes || (a.destructive_hint.is_some() && a.idempotent_hint.is_some()))
                && a.open_world_hint != Some(false),
            "{name}: every meaningful annotation"
        );
        assert!(
            !(a.read_only_hint == Some(true) && a.destructive_hint == Some(true)),
            "{name}: read-only tools are not destructive"
        );
        let mut missing = Vec::new();
        arrays_without_items(
            &Value::Object((*tool.input_schema).clone()),
            "",
            &mut missing,
        );
        assert!(
            missing.is_empty(),
            "{name}: arrays without items at {missing:?}"
        );
        assert!(tool.output_schema.is_some(), "{name}: outputSchema");
        assert!(
            !required_scopes(name).is_empty(),
            "{name}: declares its scopes"
        );
        assert!(
            CATALOG
                .iter()
                .any(|e| e.name == name && TOOLSETS.contains(&e.toolset)),
            "{name}: in the catalogue"
        );
        let entry = CATALOG.iter().find(|e| e.name == name).unwrap();
        assert_eq!(
            entry.access == Access::Read,
            a.read_only_hint == Some(true),
            "{name}: the catalogue's access agrees with the annotation"
        );
        if entry.access == Access::Destructive {
            assert_eq!(
                a.destructive_hint,
                Some(true),
                "{name}: a tool confirmed as destructive says so"
            );
        }
        // The pipeline's own arguments: every tool that writes can dry-run, and every
        // destructive one takes the token of a confirmed plan.
        let props = properties(tool);
        assert_eq!(
            props.contains("dry_run"),
            entry.access != Access::Read,
            "{name}: dry_run"
        );
        assert_eq!(
            props.contains("confirmation_token"),
            entry.access == Access::Destructive,
            "{name}: confirmation_token"
        );
    }
    assert_eq!(
        CATALOG.len(),
        tools.len(),
        "no catalogue entry without a tool"
    );
}

/// Each tool's definition as hosts see it, snapshotted with `insta` (a failure shows the diff;
/// `INSTA_UPDATE=always cargo test --test mcp_tools` or `cargo insta review` accepts changes).
#[test]
fn tool_definitions_match_their_snapshots() {
    let tools = tool_definitions(Product::Asgardeo);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/tools");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for tool in &tools {
            insta::assert_json_snapshot!(tool.name.to_string(), tool);
        }
    });
    // A snapshot without a tool is stale.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/tools");
    let known: BTreeSet<String> = tools.iter().map(|t| format!("{}.snap", t.name)).collect();
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap") && !known.contains(n))
        .collect();
    assert!(stale.is_empty(), "snapshots without a tool: {stale:?}");
}

/// What every session pays in the model's context for the tool list: a budget per tool, so the
/// list cannot grow fat as tools are added.
#[test]
fn the_tool_list_stays_within_its_budget() {
    const BUDGET_PER_TOOL: usize = 1_050;
    let tools = tool_definitions(Product::Asgardeo);
    let size = serde_json::to_string(&json!({ "tools": tools }))
        .unwrap()
        .len();
    assert!(
        size <= BUDGET_PER_TOOL * tools.len(),
        "tools/list is {size} bytes for {} tools, over {BUDGET_PER_TOOL} a tool",
        tools.len()
    );
}

#[tokio::test]
async fn read_only_lists_only_read_only_tools_and_write_tools_are_unknown() {
    let f = Fixture::default().await;
    let client = client_for(
        &f,
        ToolFilter {
            read_only: true,
            include: vec!["*".into()],
            ..Default::default()
        },
    )
    .await;
    let tools = client.tools().await;
    assert_eq!(
        tools.len(),
        CATALOG.iter().filter(|e| e.access == Access::Read).count()
    );
    assert!(
        tools
            .iter()
            .all(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true))
    );
    let Value::Object(args) = json!({ "application_name": "x" }) else {
        unreachable!()
    };
    let err = client
        .service
        .call_tool(rmcp::model::CallToolRequestParams::new("create_m2m_app").with_arguments(args))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown tool"), "{err}");
}

#[tokio::test]
async fn allow_and_deny_patterns_select_tools() {
    let f = Fixture::default().await;
    let cases: [(&[&str], &[&str], bool, usize); 5] = [
        (&["applications"], &[], false, 17),
        (&["create_*"], &["create_user"], false, 9),
        (&["applications", "claims"], &["*_app"], false, 15),
        (&["api_resources"], &[], true, 3),
        (&[], &["users", "login_flow"], false, CATALOG.len() - 8),
    ];
    for (include, exclude, read_only, expected) in cases {
        let filter = ToolFilter {
            read_only,
            include: include.iter().map(|s| (*s).to_owned()).collect(),
            exclude: exclude.iter().map(|s| (*s).to_owned()).collect(),
        };
        let tools = client_for(&f, filter).await.tools().await;
        assert_eq!(
            tools.len(),
            expected,
            "include {include:?} exclude {exclude:?} read_only {read_only}: {:?}",
            tools.iter().map(|t| t.name.to_string()).collect::<Vec<_>>()
        );
    }
    let bad = ToolFilter {
        include: vec!["no_such_tool*".into()],
        ..Default::default()
    };
    let err = bad
        .apply()
        .expect_err("a pattern matching nothing is an error");
    assert!(err.to_string().contains("no_such_tool*"));
    // A filter that leaves no tool (read-only and only a write tool) is a start-up error.
    let empty = ToolFilter {
        read_only: true,
        include: vec!["create_user".into()],
        exclude: Vec::new(),
    };
    let err = empty.apply().expect_err("no tool left is an error");
    assert!(err.to_string().contains("leave no tool"), "{err}");
}

#[tokio::test]
async fn a_token_with_partial_scopes_hides_exactly_the_tools_that_need_the_rest() {
    let f = Fixture::default().await;
    let granted = [
        "internal_application_mgt_view",
        "internal_api_resource_view",
        "internal_claim_meta_view",
    ];
    let (upstream, ..) = f.client_with_scopes(&granted).await;
    let client = McpClient::connect(
        upstream,
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await;
    let shown: BTreeSet<String> = client
        .tools()
        .await
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    let expected: BTreeSet<String> = CATALOG
        .iter()
        .filter(|e| required_scopes(e.name).iter().all(|s| granted.contains(s)))
        .map(|e| e.name.to_owned())
        .collect();
    assert_eq!(shown, expected);
    assert!(
        shown.contains("list_applications")
            && shown.contains("list_claims")
            && !shown.contains("create_m2m_app")
            && !shown.contains("create_user")
    );
}

#[tokio::test]
async fn an_undeclared_argument_is_rejected_by_every_tool() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    for (tool, _) in REFERENCE {
        let message = client.err(tool, json!({ "surprise": 1 })).await;
        assert!(
            message.contains("surprise") || message.contains("unknown field"),
            "{tool}: {message}"
        );
    }
}

#[tokio::test]
async fn arguments_of_the_wrong_type_are_tool_errors_not_panics() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let message = client
        .err(
            "create_single_page_app",
            json!({ "application_name": 42, "redirect_url": ["x"] }),
        )
        .await;
    // The argument and the type it takes, never the value given.
    assert!(
        message.contains("`application_name` must be a string, not a number"),
        "{message}"
    );
    assert!(!message.contains("42"), "{message}");
    let message = client
        .err(
            "update_application_claim_config",
            json!({ "id": "x", "claims": "username" }),
        )
        .await;
    assert!(
        message.contains("`claims` must be a list, not a string"),
        "{message}"
    );
    assert!(!message.contains("username"), "{message}");
    let message = client.err("create_m2m_app", json!({})).await;
    assert!(message.contains("application_name"), "{message}");
}

#[tokio::test]
async fn path_traversal_ids_are_rejected_by_every_tool_that_takes_one() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let id_arguments: [(&str, &str, Value); 8] = [
        (
            "update_application_basic_info",
            "id",
            json!({ "name": "n" }),
        ),
        (
            "update_application_oauth_config",
            "id",
            json!({ "allowed_origins": [] }),
        ),
        (
            "update_application_claim_config",
            "id",
            json!({ "claims": ["username"] }),
        ),
        ("authorize_api", "appId", json!({ "id": "x", "scopes": [] })),
        ("authorize_api", "id", json!({ "appId": "x", "scopes": [] })),
        ("list_authorized_api", "app_id", json!({})),
        (
            "update_login_flow",
            "app_id",
            json!({ "user_prompt": "password" }),
        ),
        ("get_application_by_client_id", "client_id", json!({})),
    ];
    let before = f
        .upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap()
        .into_inner();
    for (tool, argument, rest) in id_arguments {
        for evil in ["../../applications", "a/b", "..", "x\u{0}y"] {
            let mut args = rest.clone();
            args[argument] = json!(evil);
            let message = client.err(tool, args).await;
            assert!(
                message.contains(&format!("`{argument}`")),
                "{tool}({argument}={evil:?}): {message}"
            );
        }
    }
    let after = f
        .upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before, after);
}

#[tokio::test]
async fn upstream_failures_are_tool_results_that_say_what_to_do() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    client
        .ok("create_m2m_app", json!({ "application_name": "Dup" }))
        .await;
    let conflict = client
        .err("create_m2m_app", json!({ "application_name": "Dup" }))
        .await;
    assert!(conflict.contains("already exists"), "{conflict}");
    let missing = client
        .err(
            "list_authorized_api",
            json!({ "app_id": "00000000-0000-0000-0000-000000000000" }),
        )
        .await;
    assert!(missing.starts_with("Not found"), "{missing}");

    let (viewer, ..) = f
        .client_with_scopes(&["internal_application_mgt_view"])
        .await;
    let limited = McpClient::connect(
        viewer,
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await;
    let denied = limited
        .err("create_m2m_app", json!({ "application_name": "Nope" }))
        .await;
    assert!(
        denied.contains("internal_application_mgt_create"),
        "names the missing scope: {denied}"
    );

    let wrong = asgardeo_mcp::api::Upstream::new(asgardeo_mcp::api::UpstreamSettings::new(
        &f.sandbox.base_url,
        "nobody",
        "nothing",
    ))
    .unwrap();
    let unauthenticated = McpClient::connect(
        wrong,
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await;
    let message = unauthenticated.err("list_applications", json!({})).await;
    assert!(
        message.contains("CLIENT_ID") && message.contains("CLIENT_SECRET"),
        "{message}"
    );

    f.set_faults(
        json!({ "status": 429, "count": 10, "retry_after": 42, "path_contains": "/applications" }),
    )
    .await;
    let limited = client.err("list_applications", json!({})).await;
    assert!(limited.contains("Retry after 42 seconds"), "{limited}");
    f.clear_faults().await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = asgardeo_mcp::api::Upstream::new(asgardeo_mcp::api::UpstreamSettings::new(
        &format!("http://127.0.0.1:{port}/t/x"),
        "a",
        "b",
    ))
    .unwrap();
    let offline = McpClient::connect(
        nowhere,
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::default(),
    )
    .await;
    let message = offline.err("list_claims", json!({})).await;
    assert!(
        message.contains(&format!("127.0.0.1:{port}")),
        "names the URL: {message}"
    );
}

#[tokio::test]
async fn list_applications_pages_through_everything_with_an_honest_total() {
    let f = Fixture::start(SandboxConfig {
        seed_apps: 120,
        ..Default::default()
    })
    .await;
    let client = full(&f).await;
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({ "limit": 50 });
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = client.ok("list_applications", args).await;
        assert_eq!(
            page["total"], 121,
            "120 seeded + the M2M client; portals hidden by default"
        );
        ids.extend(
            page["applications"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(page["has_more"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(page["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(ids.len(), 121);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 121);
    let with_portals = client
        .ok(
            "list_applications",
            json!({ "include_system_portals": true, "limit": 1 }),
        )
        .await;
    assert_eq!(with_portals["total"], 123);
    let named = client
        .ok("list_applications", json!({ "name_contains": "App 011" }))
        .await;
    assert_eq!(named["total"], 10);
}

async fn app_id(f: &Fixture, name: &str) -> String {
    let page = f
        .upstream
        .applications()
        .get_all_applications()
        .filter(format!("name eq {name}"))
        .send()
        .await
        .unwrap()
        .into_inner();
    page.applications[0].id.clone().unwrap()
}

#[tokio::test]
async fn create_tools_build_the_full_configuration_and_reads_never_show_the_secret() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let spa = client.ok("create_single_page_app", json!({ "application_name": "Shop", "redirect_url": "https://shop.example.com/callback" })).await;
    assert_eq!(spa["public_client"], true);
    assert_eq!(spa["pkce_mandatory"], true);
    assert_eq!(spa["allowed_origins"], json!(["https://shop.example.com"]));
    assert!(spa.get("client_secret").is_none());
    assert!(
        spa["oauth_endpoints"]["discovery_url"]
            .as_str()
            .unwrap()
            .ends_with("/oauth2/token/.well-known/openid-configuration")
    );
    let web = client.ok("create_webapp_with_ssr", json!({ "application_name": "Portal", "redirect_url": "https://portal.example.com/cb" })).await;
    assert_eq!(web["secret_fields"], json!(["client_secret"]));
    assert!(spa.get("secret_fields").is_none());
    let secret = web["client_secret"]
        .as_str()
        .expect("a confidential client's secret")
        .to_owned();
    let read = client
        .ok(
            "get_application_by_name",
            json!({ "application_name": "Portal" }),
        )
        .await;
    assert_eq!(read["application_type"], "web_app_with_ssr");
    assert_eq!(
        read["oauth"]["redirect_urls"],
        json!(["https://portal.example.com/cb"])
    );
    assert_eq!(
        read["requested_claims"],
        json!(["http://wso2.org/claims/username"])
    );
    assert!(
        !read.to_string().contains(&secret),
        "get tools never return the secret"
    );
    let by_client = client
        .ok(
            "get_application_by_client_id",
            json!({ "client_id": web["client_id"] }),
        )
        .await;
    assert_eq!(by_client["id"], read["id"]);
    let mobile = client
        .ok(
            "create_mobile_app",
            json!({ "application_name": "Phone", "redirect_url": "com.example.app://callback" }),
        )
        .await;
    assert_eq!(
        mobile["redirect_urls"],
        json!(["com.example.app://callback"])
    );
    let bad = client
        .err(
            "create_single_page_app",
            json!({ "application_name": "Bad", "redirect_url": "javascript://x" }),
        )
        .await;
    assert!(bad.contains("redirect_url"), "{bad}");
}

#[tokio::test]
async fn several_redirect_urls_are_stored_escaped_and_read_back_as_urls() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let spa = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Multi", "redirect_url": "https://a.example.com/cb" }),
        )
        .await;
    let id = spa["id"].as_str().unwrap();
    let urls = json!(["https://a.example.com/cb", "https://b.example.com/cb"]);
    let update = client
        .ok(
            "update_application_oauth_config",
            json!({ "id": id, "redirect_urls": urls }),
        )
        .await;
    assert_eq!(update["current"]["redirect_urls"], urls);
    let stored = f
        .upstream
        .applications()
        .get_inbound_oauth_configuration()
        .application_id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stored.callback_ur_ls,
        [r"regexp=(https://a\.example\.com/cb|https://b\.example\.com/cb)"]
    );
}

#[tokio::test]
async fn overwriting_tools_return_the_previous_value_and_it_restores_the_state() {
    let f = Fixture::default().await;
    let client = full(&f).await;
    let spa = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Restore Me", "redirect_url": "https://r.example.com/cb" }),
        )
        .await;
    let id = spa["id"].as_str().unwrap().to_owned();
    let apps = f.upstream.applications();

    let original_app = apps
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let changed = client.ok("update_application_basic_info", json!({ "id": id, "name": "Renamed", "description": "changed", "access_url": "https://r.example.com" })).await;
    assert_eq!(changed["current"]["name"], "Renamed");
    let previous = &changed["previous"];
    client.ok("update_application_basic_info", json!({ "id": id, "name": previous["name"], "description": previous["description"].as_str().unwrap_or(""), "access_url": previous["access_url"].as_str().unwrap_or("https://r.example.com") })).await;
    let restored = apps
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(restored.name, original_app.name);

    let original_oidc = apps
        .get_inbound_oauth_configuration()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let changed = client.ok("update_application_oauth_config", json!({ "id": id, "user_access_token_expiry_time": 600, "refresh_token_expiry_time": 7200, "allowed_origins": ["https://other.example.com"] })).await;
    let p = &changed["previous"];
    client
        .ok("update_application_oauth_config", json!({
            "id": id,
            "redirect_urls": p["redirect_urls"],
            "allowed_origins": p["allowed_origins"],
            "user_access_token_expiry_time": p["tokens"]["user_access_token_expiry_time"],
            "application_access_token_expiry_time": p["tokens"]["application_access_token_expiry_time"],
            "refresh_token_expiry_time": p["tokens"]["refresh_token_expiry_time"],
            "revoke_tokens_when_idp_session_terminated": p["tokens"]["revoke_tokens_when_idp_session_terminated"],
            "access_token_attributes": p["tokens"]["access_token_attributes"],
        }))
        .await;
    let restored_oidc = apps
        .get_inbound_oauth_configuration()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(restored_oidc, original_oidc);

    let changed = client
        .ok(
            "update_application_claim_config",
            json!({ "id": id, "claims": ["email", "given_name"] }),
        )
        .await;
    assert_eq!(
        changed["previous"],
        json!(["http://wso2.org/claims/username"])
    );
    client
        .ok(
            "update_application_claim_config",
            json!({ "id": id, "claims": changed["previous"] }),
        )
        .await;
    let restored = apps
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        restored.claim_configuration,
        original_app.claim_configuration
    );
}

#[tokio::test]
async fn the_reference_example_prompts_end_in_the_expected_state() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let settings = ToolSettings {
        login_flow_poll_interval: Duration::from_millis(50),
        ..Default::default()
    };
    let client = McpClient::with_tools(&f, settings).await;
    let apps = f.upstream.applications();

    // "Create a single page application named Teamspace with redirect URL http://localhost:5173"
    client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Teamspace", "redirect_url": "http://localhost:5173" }),
        )
        .await;
    let id = app_id(&f, "Teamspace").await;
    let oidc = apps
        .get_inbound_oauth_configuration()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        oidc.public_client == Some(true)
            && oidc.callback_ur_ls == ["http://localhost:5173"]
            && oidc.allowed_origins == ["http://localhost:5173"]
    );

    // "Rename Teamspace to Teamspace Web"
    let found = client
        .ok(
            "get_application_by_name",
            json!({ "application_name": "Teamspace" }),
        )
        .await;
    client
        .ok(
            "update_application_basic_info",
            json!({ "id": found["id"], "name": "Teamspace Web" }),
        )
        .await;
    assert_eq!(
        apps.get_application()
            .application_id(&id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .name
            .as_deref(),
        Some("Teamspace Web")
    );

    // "Update the login flow: username and password first, then email OTP"
    let flow = client.ok("update_login_flow", json!({ "app_id": id, "user_prompt": "Username and password as first factor and Email OTP as second factor" })).await;
    assert_eq!(
        flow["steps"],
        json!([{ "step": 1, "options": ["BasicAuthenticator@LOCAL"] }, { "step": 2, "options": ["email-otp-authenticator@LOCAL"] }])
    );
    let sequence = apps
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .authentication_sequence
        .unwrap();
    assert_eq!(sequence.steps.len(), 2);
    assert_eq!(
        sequence.steps[1].options[0].authenticator.as_deref(),
        Some("email-otp-authenticator")
    );

    // "Add username and last_name claims to Teamspace Web"
    client
        .ok(
            "update_application_claim_config",
            json!({ "id": id, "claims": ["username", "last_name"] }),
        )
        .await;
    let claims = apps
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .claim_configuration
        .unwrap();
    let uris: Vec<_> = claims
        .requested_claims
        .iter()
        .filter_map(|c| c.claim.as_ref()?.uri.as_deref())
        .collect();
    assert_eq!(
        uris,
        [
            "http://wso2.org/claims/username",
            "http://wso2.org/claims/lastname"
        ]
    );

    // "Create an API for customers and authorize Teamspace Web to read customers"
    let api = client.ok("create_api_resource", json!({ "identifier": "https://api.teamspace.dev/customers", "name": "Customers", "requiresAuthorization": true, "scopes": ["read:customers", { "name": "write:customers", "displayName": "Write customers" }] })).await;
    let found_api = client
        .ok(
            "get_api_resource_by_identifier",
            json!({ "identifier": "https://api.teamspace.dev/customers" }),
        )
        .await;
    assert_eq!(found_api["id"], api["id"]);
    client
        .ok(
            "authorize_api",
            json!({ "appId": id, "id": api["id"], "scopes": ["read:customers"] }),
        )
        .await;
    let authorized = apps
        .get_authorized_apis()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        authorized[0]
            .authorized_scopes
            .iter()
            .filter_map(|s| s.name.as_deref())
            .collect::<Vec<_>>(),
        ["read:customers"]
    );
    let listed = client
        .ok("list_authorized_api", json!({ "app_id": id }))
        .await;
    assert_eq!(
        listed["authorized_apis"][0]["scopes"],
        json!(["read:customers"])
    );

    // "Create a user Kim Berry, kim@example.com"
    let user = client.ok("create_user", json!({ "username": "kim@example.com", "email": "kim@example.com", "first_name": "Kim", "last_name": "Berry" })).await;
    assert_eq!(user["invitation_sent"], true);
    let stored = f
        .upstream
        .users()
        .get_user_by_id()
        .id(user["id"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.user_name.as_deref(), Some("DEFAULT/kim@example.com"));

    // "List the claims"
    let claims = client.ok("list_claims", json!({})).await;
    assert!(
        claims["claims"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["uri"] == "http://wso2.org/claims/lastname"
                && c["oidc_claim"] == "family_name")
    );

    let search = client
        .ok("search_api_resources_by_name", json!({ "name": "Cust" }))
        .await;
    assert_eq!(search["api_resources"].as_array().unwrap().len(), 1);
    let page = client.ok("list_api_resources", json!({ "limit": 2 })).await;
    assert!(page["next_cursor"].is_string());
    let next = client
        .ok(
            "list_api_resources",
            json!({ "limit": 2, "after": page["next_cursor"] }),
        )
        .await;
    assert_ne!(
        next["api_resources"][0]["id"],
        page["api_resources"][0]["id"]
    );
}

#[tokio::test]
async fn login_flow_waits_are_bounded_and_failures_carry_the_reason() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_secs(30),
        ..Default::default()
    })
    .await;
    let settings = ToolSettings {
        login_flow_timeout: Duration::from_millis(300),
        login_flow_poll_interval: Duration::from_millis(50),
        ..Default::default()
    };
    let client = McpClient::with_tools(&f, settings).await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Flow" }))
        .await;
    let before = f
        .upstream
        .applications()
        .get_application()
        .application_id(app["id"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    let slow = client
        .err(
            "update_login_flow",
            json!({ "app_id": app["id"], "user_prompt": "password then TOTP" }),
        )
        .await;
    assert!(
        slow.contains("did not finish") && slow.contains("nothing was changed"),
        "{slow}"
    );
    let after = f
        .upstream
        .applications()
        .get_application()
        .application_id(app["id"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        before.authentication_sequence,
        after.authentication_sequence
    );

    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let settings = ToolSettings {
        login_flow_poll_interval: Duration::from_millis(50),
        ..Default::default()
    };
    let client = McpClient::with_tools(&f, settings).await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Flow" }))
        .await;
    let failed = client
        .err(
            "update_login_flow",
            json!({ "app_id": app["id"], "user_prompt": "make login delightful" }),
        )
        .await;
    assert!(
        failed.contains("failed") && failed.contains("names no authenticator"),
        "{failed}"
    );
}

#[tokio::test]
async fn writes_are_audited_to_a_json_lines_file() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let client = McpClient::connect(
        f.upstream.clone(),
        ToolFilter::default(),
        ServerOptions::default(),
        AuditLog::to_file(&path).unwrap(),
    )
    .await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Audited" }))
        .await;
    client
        .ok(
            "update_application_basic_info",
            json!({ "id": app["id"], "description": "d" }),
        )
        .await;
    client.ok("list_applications", json!({})).await;
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<_> = lines
        .iter()
        .map(|l| {
            (
                l["tool"].as_str().unwrap().to_owned(),
                l["target"].clone(),
                l["outcome"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("create_m2m_app".to_owned(), app["id"].clone(), json!("ok")),
            (
                "update_application_basic_info".to_owned(),
                app["id"].clone(),
                json!("ok")
            )
        ]
    );
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains(&f.sandbox.credentials.client_secret)
    );
}

#[test]
fn product_mode_changes_the_words_not_the_tools() {
    let asgardeo = tool_definitions(Product::Asgardeo);
    let wso2 = tool_definitions(Product::Wso2Is);
    assert_eq!(asgardeo.len(), wso2.len());
    let descriptions: BTreeMap<_, _> = wso2
        .iter()
        .map(|t| {
            (
                t.name.to_string(),
                t.description.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(descriptions["list_applications"].contains("WSO2 Identity Server"));
    assert!(descriptions.values().all(|d| !d.contains("Asgardeo")));
}

#[tokio::test]
async fn a_cancelled_login_flow_stops_polling_and_changes_nothing() {
    use rmcp::model::{CallToolRequestParams, ClientRequest, Request};
    use rmcp::service::PeerRequestOptions;

    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let settings = ToolSettings {
        login_flow_poll_interval: Duration::from_millis(20),
        ..Default::default()
    };
    let client = McpClient::with_tools(&f, settings).await;
    let app = client
        .ok("create_m2m_app", json!({ "application_name": "Cancel" }))
        .await;
    let id = app["id"].as_str().unwrap().to_owned();
    let before = f
        .upstream
        .applications()
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();

    let Value::Object(args) = json!({ "app_id": id, "user_prompt": "password, then SMS OTP" })
    else {
        unreachable!()
    };
    let request = ClientRequest::CallToolRequest(Request::new(
        CallToolRequestParams::new("update_login_flow").with_arguments(args),
    ));
    // The client gives up after 300 ms and sends notifications/cancelled.
    let handle = client
        .service
        .send_cancellable_request(
            request,
            PeerRequestOptions::with_timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    assert!(
        handle.await_response().await.is_err(),
        "the client timed out"
    );

    let requests = || async {
        f.http
            .get(f.control("/sandbox/stats"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["api_requests"]
            .as_u64()
            .unwrap()
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let settled = requests().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        requests().await,
        settled,
        "no status polls after cancellation (one every 20 ms otherwise)"
    );
    let after = f
        .upstream
        .applications()
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        before.authentication_sequence,
        after.authentication_sequence
    );
}

//! Bodies real servers answered (collected from public WSO2 issues, the Console's fixtures and
//! the server code, each with its provenance in `tests/fixtures/real-servers/`), replayed as the
//! sandbox's answer to the one request they answer: every read tool reads them, every error
//! ends in a sentence with the server's words, and no secret in them reaches a result.

#![cfg(feature = "sandbox")]

mod common;

use common::Fixture;
use common::mcp::{McpClient, Setup, text};
use serde_json::{Value, json};

/// One replay: the fixture, the request it answers, the tool call, and what must show.
struct Replay {
    fixture: &'static str,
    method: &'static str,
    path_ends_with: &'static str,
    tool: &'static str,
    args: Value,
    /// For a success: strings the structured result must contain. For an error: strings
    /// the message must contain.
    shows: &'static [&'static str],
    error: bool,
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/real-servers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixture: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    for key in ["what", "request", "status", "server", "source", "body"] {
        assert!(fixture.get(key).is_some(), "{name} has no `{key}`");
    }
    fixture
}

#[tokio::test]
async fn every_read_tool_reads_the_bodies_real_servers_send() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Shop", "redirect_url": "https://shop.example.com/cb" }),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    let replays = [
        Replay {
            fixture: "scim-user-is7.1.json",
            method: "GET",
            path_ends_with: "/scim2/Users/5d1c0c0e-4a8b-4d16-9d77-0b3f1e2a7c11",
            tool: "get_user",
            args: json!({ "user_id": "5d1c0c0e-4a8b-4d16-9d77-0b3f1e2a7c11" }),
            shows: &[
                "dana@example.com",
                "finance",
                "everyone",
                "auditors",
                "Dana",
            ],
            error: false,
        },
        Replay {
            fixture: "scim-users-list-is7.1.json",
            method: "GET",
            path_ends_with: "/scim2/Users",
            tool: "list_users",
            args: json!({}),
            shows: &["dana", "lou@example.com"],
            error: false,
        },
        Replay {
            fixture: "scim-user-legacy-groups-is5.x.json",
            method: "GET",
            path_ends_with: "/scim2/Users/3f6a1b2c-8d9e-4f0a-b1c2-d3e4f5a6b7c8",
            tool: "get_user",
            args: json!({ "user_id": "3f6a1b2c-8d9e-4f0a-b1c2-d3e4f5a6b7c8" }),
            shows: &["ops-team", "carbon_console_role", "ops@example.com"],
            error: false,
        },
        Replay {
            fixture: "scim-groups-list-is5.6.json",
            method: "GET",
            path_ends_with: "/scim2/Groups",
            tool: "list_groups",
            args: json!({}),
            shows: &["PRIMARY/admins", "3f6a1b2c-8d9e-4f0a-b1c2-d3e4f5a6b7c8"],
            error: false,
        },
        Replay {
            fixture: "oidc-spa-is7.json",
            method: "GET",
            path_ends_with: "/inbound-protocols/oidc",
            tool: "get_application_by_name",
            args: json!({ "application_name": "Shop" }),
            shows: &[
                "S3xq0ZlWbVdN8kR2mTy7uPa1cEfG",
                "https://localhost:3000/cb",
                "https://shop.example.com/cb",
            ],
            error: false,
        },
        Replay {
            fixture: "oidc-legacy-binding-is5.11.json",
            method: "GET",
            path_ends_with: "/inbound-protocols/oidc",
            tool: "get_application_by_name",
            args: json!({ "application_name": "Shop" }),
            shows: &[
                "LEGACY0000clientIdValue1234",
                "https://portal.example.com/cb",
            ],
            error: false,
        },
        Replay {
            fixture: "authorized-apis.json",
            method: "GET",
            path_ends_with: "/authorized-apis",
            tool: "list_authorized_api",
            args: json!({ "app_id": app_id }),
            shows: &["NO POLICY", "read:orders", "https://orders.example.com"],
            error: false,
        },
        Replay {
            fixture: "api-resources-list.json",
            method: "GET",
            path_ends_with: "/api-resources",
            tool: "list_api_resources",
            args: json!({}),
            shows: &["https://orders.example.com", "Orders"],
            error: false,
        },
        Replay {
            fixture: "identity-providers-asgardeo.json",
            method: "GET",
            path_ends_with: "/identity-providers",
            tool: "list_connections",
            args: json!({}),
            shows: &["Google", "Corporate SSO"],
            error: false,
        },
        Replay {
            fixture: "roles-list-members-by-default.json",
            method: "GET",
            path_ends_with: "/v2/Roles",
            tool: "list_roles",
            args: json!({}),
            shows: &["clerk", "Administrator", "application"],
            error: false,
        },
        Replay {
            fixture: "scim-error-message-in-scimtype-is7.json",
            method: "POST",
            path_ends_with: "/v2/Roles",
            tool: "create_role",
            args: json!({ "name": "ops-admins" }),
            shows: &["rejected", "Role names may not contain"],
            error: true,
        },
        Replay {
            fixture: "scim-error-schemas-as-string-is5.6.json",
            method: "POST",
            path_ends_with: "/scim2/Users",
            tool: "create_user",
            args: json!({ "username": "kim", "email": "kim@example.com", "first_name": "Kim", "last_name": "Lee" }),
            shows: &["The server failed (500)", "Error in adding the user"],
            error: true,
        },
        Replay {
            fixture: "valve-403-management-api.json",
            method: "GET",
            path_ends_with: "/applications",
            tool: "list_applications",
            args: json!({}),
            shows: &["Permission denied", "internal_application_mgt_view"],
            error: true,
        },
        Replay {
            fixture: "application-error-conflict-as-500-is5.11.json",
            method: "POST",
            path_ends_with: "/applications",
            tool: "create_single_page_app",
            args: json!({ "application_name": "Shop", "redirect_url": "https://shop.example.com/cb" }),
            shows: &["The server failed (500)", "already exists"],
            error: true,
        },
    ];
    for replay in &replays {
        let fixture = fixture(replay.fixture);
        assert_eq!(
            fixture["request"]
                .as_str()
                .unwrap()
                .split_once(' ')
                .map(|(m, _)| m),
            Some(replay.method),
            "{}",
            replay.fixture
        );
        f.set_faults(json!({
            "body": fixture["body"],
            "status": fixture["status"],
            "method": replay.method,
            "path_ends_with": replay.path_ends_with,
        }))
        .await;
        let result = client.call(replay.tool, replay.args.clone()).await;
        f.clear_faults().await;
        let said = text(&result);
        assert_eq!(
            result.is_error == Some(true),
            replay.error,
            "{} through {}: {said}",
            replay.fixture,
            replay.tool
        );
        for shown in replay.shows {
            assert!(
                said.contains(shown),
                "{} through {}: `{shown}` missing from {said}",
                replay.fixture,
                replay.tool
            );
        }
        assert!(
            !said.contains("not-a-real-secret"),
            "{}: a secret the server sent reached the result: {said}",
            replay.fixture
        );
        assert!(
            !said.contains("could not be read"),
            "{} through {}: {said}",
            replay.fixture,
            replay.tool
        );
    }
    // Every fixture is replayed.
    let dir = format!("{}/tests/fixtures/real-servers", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut replayed: Vec<String> = replays.iter().map(|r| r.fixture.to_owned()).collect();
    replayed.sort();
    replayed.dedup();
    assert_eq!(
        files, replayed,
        "a fixture without a replay, or the reverse"
    );
}

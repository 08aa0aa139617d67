//! The developer's whole tasks, driven through the MCP tools as a model would, with the
//! resulting sandbox state checked through the generated clients: Google sign-in added to a
//! SPA, password then email OTP without the AI feature, TOTP for the `admin` role only, an
//! `editor` role with `write:posts` for a user and a group, test apps deleted (confirmed by
//! elicitation on both protocol generations, and by token without it), an M2M secret rotated.

#![cfg(feature = "sandbox")]

mod common;

use std::sync::{Arc, Mutex};

use asgardeo_mcp::sandbox::SandboxConfig;
use asgardeo_mcp::server::{InProcess, connect_in_process_with};
use asgardeo_mcp::wso2::login_templates::{Condition, recognize};
use common::Fixture;
use common::mcp::{McpClient, Setup, text};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation,
};
use rmcp::service::{ClientLifecycleMode, RequestContext};
use rmcp::{ClientHandler, ErrorData, RoleClient};
use serde_json::{Value, json};

/// A person at a host that can ask: answers every confirmation form as told, and remembers
/// what they were shown.
#[derive(Clone)]
struct Person {
    agrees: bool,
    shown: Arc<Mutex<Vec<String>>>,
}

impl Person {
    fn agreeing() -> Self {
        Self {
            agrees: true,
            shown: Arc::default(),
        }
    }

    fn refusing() -> Self {
        Self {
            agrees: false,
            shown: Arc::default(),
        }
    }

    fn shown(&self) -> Vec<String> {
        self.shown.lock().unwrap().clone()
    }
}

impl ClientHandler for Person {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("person", "1"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.shown.lock().unwrap().push(message.clone());
        }
        Ok(if self.agrees {
            ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true }))
        } else {
            ElicitResult::new(ElicitationAction::Decline)
        })
    }
}

async fn ask(client: &InProcess<Person>, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(args) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .expect("tools/call")
}

async fn person_client(
    f: &Fixture,
    person: Person,
    lifecycle: ClientLifecycleMode,
) -> InProcess<Person> {
    let server = McpClient::server(f.upstream.clone(), Setup::default());
    connect_in_process_with(server, person, lifecycle)
        .await
        .expect("client")
}

async fn app_sequence(f: &Fixture, id: &str) -> Value {
    let app = f
        .upstream
        .applications()
        .get_application()
        .application_id(id)
        .send()
        .await
        .expect("the application exists")
        .into_inner();
    serde_json::to_value(app.authentication_sequence).unwrap()
}

fn options_of(sequence: &Value) -> Vec<Vec<(String, String)>> {
    sequence["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    (
                        o["idp"].as_str().unwrap().to_owned(),
                        o["authenticator"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

async fn spa(client: &McpClient, name: &str) -> String {
    let created = client
        .ok(
            "create_single_page_app",
            json!({ "application_name": name, "redirect_url": "https://shop.example.com/callback" }),
        )
        .await;
    created["id"].as_str().unwrap().to_owned()
}

async fn app_exists(f: &Fixture, id: &str) -> bool {
    f.upstream
        .applications()
        .get_application()
        .application_id(id)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn google_sign_in_is_added_to_a_spa() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = spa(&client, "Shop").await;
    let connection = client
        .ok(
            "create_social_connection",
            json!({ "provider": "google", "client_id": "g-client.apps.googleusercontent.com", "client_secret": "g-secret-value" }),
        )
        .await;
    let callback = format!("{}/commonauth", f.sandbox.base_url);
    assert_eq!(connection["callback_url"], callback.as_str());
    assert!(
        !connection.to_string().contains("g-secret-value"),
        "the secret is never echoed"
    );
    let changed = client
        .ok(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["Google", "password"]] }),
        )
        .await;
    assert_eq!(
        changed["previous"]["steps"][0]["options"],
        json!(["BasicAuthenticator@LOCAL"])
    );

    let sequence = app_sequence(&f, &app).await;
    assert_eq!(
        options_of(&sequence),
        vec![vec![
            ("Google".to_owned(), "GoogleOIDCAuthenticator".to_owned()),
            ("LOCAL".to_owned(), "BasicAuthenticator".to_owned()),
        ]]
    );
    assert!(
        sequence.get("script").is_none_or(Value::is_null),
        "a plain flow sends no script"
    );
    let id = connection["id"].as_str().unwrap();
    let sent: Value = f
        .http
        .get(f.control(&format!("/sandbox/connections/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["authenticator"], "GoogleOIDCAuthenticator");
    assert_eq!(
        sent["properties"]["ClientId"],
        "g-client.apps.googleusercontent.com"
    );
    assert_eq!(sent["properties"]["callbackUrl"], callback.as_str());
    assert_eq!(
        sent["properties"]["ClientSecret"], "<redacted>",
        "the secret was sent"
    );
    // The connection now says who uses it, so it cannot be deleted from under the app.
    let details = client
        .ok("get_connection", json!({ "connection_id": id }))
        .await;
    assert_eq!(details["used_by_applications"], json!([app]));
    let refused = client
        .err("delete_connection", json!({ "connection_id": id }))
        .await;
    assert!(refused.contains("set_login_flow"), "{refused}");
}

#[tokio::test]
async fn password_then_email_otp_without_the_ai_subscription() {
    let f = Fixture::start(SandboxConfig {
        ai_login_flow: false,
        ..SandboxConfig::default()
    })
    .await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = spa(&client, "Portal").await;
    let refused = client
        .err(
            "update_login_flow",
            json!({ "app_id": app, "user_prompt": "password then email OTP" }),
        )
        .await;
    assert!(refused.contains("set_login_flow"), "{refused}");
    let options = client.ok("list_login_options", json!({})).await;
    let totp = options["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["option"] == "totp")
        .unwrap();
    assert_eq!(totp["role"], "verifies_only");
    client
        .ok(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["email_otp"]] }),
        )
        .await;
    assert_eq!(
        options_of(&app_sequence(&f, &app).await),
        vec![
            vec![("LOCAL".to_owned(), "BasicAuthenticator".to_owned())],
            vec![("LOCAL".to_owned(), "email-otp-authenticator".to_owned())],
        ]
    );
    // The Console's rules hold: a verifying factor cannot come first; unknown names are
    // refused with the near ones.
    let first_totp = client
        .err(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["totp"]] }),
        )
        .await;
    assert!(first_totp.contains("cannot be in step 1"), "{first_totp}");
    let typo = client
        .err(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["emial otp"]] }),
        )
        .await;
    assert!(typo.contains("did you mean"), "{typo}");
}

#[tokio::test]
async fn totp_for_the_admin_role_only() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = spa(&client, "Back office").await;
    let changed = client
        .ok(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["totp"]], "only_when": { "roles": ["admin"] } }),
        )
        .await;
    assert_eq!(changed["current"]["only_when"]["roles"], json!(["admin"]));
    let sequence = app_sequence(&f, &app).await;
    assert_eq!(
        options_of(&sequence),
        vec![
            vec![("LOCAL".to_owned(), "BasicAuthenticator".to_owned())],
            vec![("LOCAL".to_owned(), "totp".to_owned())],
        ]
    );
    let script = sequence["script"]
        .as_str()
        .expect("a conditional flow has a script");
    assert_eq!(
        recognize(script),
        Some((
            Condition::Roles {
                roles: vec!["admin".into()]
            },
            2
        )),
        "the script is exactly the template's"
    );
    // Going back to a plain flow replaces the script: the old condition cannot linger.
    client
        .ok(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["totp"]] }),
        )
        .await;
    let script = app_sequence(&f, &app).await["script"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        recognize(&script).map(|(c, _)| c),
        Some(Condition::Sequential { steps: 2 })
    );
}

#[tokio::test]
async fn a_conditional_flow_needs_the_script_scope_and_says_so() {
    let f = Fixture::default().await;
    let (upstream, ..) = f
        .client_with_scopes(&[
            "internal_application_mgt_view",
            "internal_application_mgt_update",
            "internal_application_mgt_create",
            "internal_authenticator_view",
            "internal_idp_view",
        ])
        .await;
    let client = McpClient::start(upstream, Setup::default()).await;
    let app = spa(&client, "Scoped").await;
    let refused = client
        .err(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["totp"]], "only_when": { "groups": ["ops"] } }),
        )
        .await;
    assert!(
        refused.contains("internal_application_script_update"),
        "{refused}"
    );
    // A plain flow needs no script, so it works with the same rights.
    client
        .ok(
            "set_login_flow",
            json!({ "app_id": app, "steps": [["password"], ["totp"]] }),
        )
        .await;
}

#[tokio::test]
async fn an_editor_role_with_write_posts_goes_to_a_user_and_a_group() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    client
        .ok(
            "create_api_resource",
            json!({ "identifier": "https://api.blog.example.com", "name": "Blog API", "scopes": ["read:posts", "write:posts"] }),
        )
        .await;
    let alice = client
        .ok(
            "create_user",
            json!({ "username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let editors = client
        .ok("create_group", json!({ "name": "editors" }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let role = client
        .ok(
            "create_role",
            json!({ "name": "editor", "permissions": ["write:posts"] }),
        )
        .await;
    let role_id = role["id"].as_str().unwrap().to_owned();
    assert_eq!(role["permissions"], json!(["write:posts"]));
    let assigned = client
        .ok(
            "assign_role",
            json!({ "role_id": role_id, "user_ids": [alice], "group_ids": [editors] }),
        )
        .await;
    assert_eq!(assigned["previous"]["users"], json!([]));

    let stored = f
        .upstream
        .roles()
        .get_role_by_id_v2()
        .id(&role_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let values = |items: Vec<Option<String>>| items.into_iter().flatten().collect::<Vec<_>>();
    assert_eq!(
        values(stored.permissions.into_iter().map(|p| p.value).collect()),
        ["write:posts"]
    );
    assert_eq!(
        values(stored.users.into_iter().map(|u| u.value).collect()),
        std::slice::from_ref(&alice)
    );
    assert_eq!(
        values(stored.groups.into_iter().map(|g| g.value).collect()),
        std::slice::from_ref(&editors)
    );
    let user = client.ok("get_user", json!({ "user_id": alice })).await;
    assert_eq!(user["roles"][0]["name"], "editor");
    // An unknown permission is the server's to refuse, and it says which.
    let refused = client
        .err(
            "create_role",
            json!({ "name": "ghost", "permissions": ["fly:away"] }),
        )
        .await;
    assert!(refused.contains("fly:away"), "{refused}");
}

async fn the_test_apps_are_deleted_by_a_person(lifecycle: ClientLifecycleMode) {
    let f = Fixture::default().await;
    let setup = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let first = spa(&setup, "test-app-1").await;
    let second = spa(&setup, "test-app-2").await;
    let person = Person::agreeing();
    let client = person_client(&f, person.clone(), lifecycle).await;
    for app in [&first, &second] {
        let result = ask(&client, "delete_application", json!({ "app_id": app })).await;
        assert_ne!(result.is_error, Some(true), "{}", text(&result));
        let deleted = result.structured_content.unwrap();
        assert_eq!(deleted["deleted"]["id"], app.as_str());
        assert!(
            deleted["deleted"]["oauth"]["redirect_urls"].is_array(),
            "enough to recreate it"
        );
        assert!(!app_exists(&f, app).await, "{app} is gone");
    }
    let shown = person.shown();
    assert_eq!(shown.len(), 2, "one form per deletion");
    assert!(
        shown[0].contains("test-app-1") && shown[0].contains("DELETE"),
        "{}",
        shown[0]
    );
}

#[tokio::test]
async fn test_apps_are_deleted_once_the_person_confirms_in_a_form() {
    the_test_apps_are_deleted_by_a_person(ClientLifecycleMode::Initialize).await;
}

#[tokio::test]
async fn test_apps_are_deleted_once_the_person_confirms_an_input_request() {
    the_test_apps_are_deleted_by_a_person(ClientLifecycleMode::Discover {
        preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
    })
    .await;
}

#[tokio::test]
async fn a_declined_form_changes_nothing() {
    let f = Fixture::default().await;
    let setup = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = spa(&setup, "keep-me").await;
    f.clear_requests().await;
    let client = person_client(&f, Person::refusing(), ClientLifecycleMode::Initialize).await;
    let result = ask(&client, "delete_application", json!({ "app_id": app })).await;
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("declined"), "{}", text(&result));
    assert!(app_exists(&f, &app).await);
    assert!(f.writes().await.is_empty(), "no write reached the server");
}

#[tokio::test]
async fn test_apps_are_deleted_by_token_where_the_host_cannot_ask() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = spa(&client, "test-app-token").await;
    f.clear_requests().await;
    let planned = client
        .ok("delete_application", json!({ "app_id": app }))
        .await;
    let plan = &planned["plan"];
    assert_eq!(plan["status"], "confirmation_required");
    assert_eq!(plan["requests"][0]["method"], "DELETE");
    assert!(plan["summary"].as_str().unwrap().contains("test-app-token"));
    assert!(app_exists(&f, &app).await, "the first call changes nothing");
    assert!(f.writes().await.is_empty(), "and sends no write");
    let token = plan["confirmation_token"].as_str().unwrap();
    let deleted = client
        .ok(
            "delete_application",
            json!({ "app_id": app, "confirmation_token": token }),
        )
        .await;
    assert_eq!(deleted["deleted"]["name"], "test-app-token");
    assert!(!app_exists(&f, &app).await);
}

#[tokio::test]
async fn the_m2m_secret_is_rotated_and_the_old_one_stops_working() {
    let f = Fixture::default().await;
    let client = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let created = client
        .ok(
            "create_m2m_app",
            json!({ "application_name": "billing-worker" }),
        )
        .await;
    let app = created["id"].as_str().unwrap().to_owned();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let old = created["client_secret"].as_str().unwrap().to_owned();
    let token_url = format!("{}/oauth2/token", f.sandbox.base_url);
    let token_status = |secret: String| {
        let http = f.http.clone();
        let url = token_url.clone();
        let id = client_id.clone();
        async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        token_status(old.clone()).await,
        200,
        "the secret works before"
    );
    let plan = client
        .ok("regenerate_client_secret", json!({ "app_id": app }))
        .await;
    assert!(
        !plan.to_string().contains(&old),
        "the plan never shows the current secret"
    );
    let token = plan["plan"]["confirmation_token"].as_str().unwrap();
    let rotated = client
        .ok(
            "regenerate_client_secret",
            json!({ "app_id": app, "confirmation_token": token }),
        )
        .await;
    let new = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["secret_fields"], json!(["client_secret"]));
    assert_eq!(token_status(old).await, 401, "the old secret is rejected");
    assert_eq!(token_status(new).await, 200, "the new one is accepted");
}

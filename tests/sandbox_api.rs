//! The sandbox through the generated clients, exactly as the server uses them.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use asgardeo_mcp::api::{ApiFailure, FailureKind, all_operations};
use asgardeo_mcp::api::{api_resources, applications, users};
use asgardeo_mcp::sandbox::SandboxConfig;
use asgardeo_mcp::wso2::oidc::{AppType, configuration_for};
use common::Fixture;
use serde_json::json;

async fn create_app(f: &Fixture, name: &str, kind: AppType, redirect: Option<&str>) -> String {
    let body = applications::types::ApplicationModel::builder()
        .name(name.to_owned())
        .template_id(kind.template_id().map(str::to_owned))
        .inbound_protocol_configuration(Some(applications::types::InboundProtocols {
            oidc: Some(configuration_for(kind, redirect)),
            ..Default::default()
        }));
    let created = f
        .upstream
        .applications()
        .create_application()
        .body(body)
        .send()
        .await
        .expect("create");
    assert_eq!(created.status().as_u16(), 201);
    let location = created
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .unwrap()
        .to_owned();
    location.rsplit('/').next().unwrap().to_owned()
}

async fn failure<T, E: serde::Serialize>(
    result: Result<T, progenitor_client::Error<E>>,
) -> ApiFailure {
    match result {
        Ok(_) => panic!("expected a failure"),
        Err(e) => ApiFailure::from_error(e).await,
    }
}

/// Lists applications as the server's client; the call must fail.
async fn list_failure(f: &Fixture) -> ApiFailure {
    failure(
        f.upstream
            .applications()
            .get_all_applications()
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn each_app_type_is_created_and_read_back() {
    let f = Fixture::default().await;
    for (kind, redirect) in [
        (AppType::SinglePageApp, Some("https://spa.example.com/cb")),
        (AppType::WebAppWithSsr, Some("https://web.example.com/cb")),
        (AppType::MobileApp, Some("myapp://cb")),
        (AppType::M2mApp, None),
    ] {
        let name = format!("{kind:?}");
        let id = create_app(&f, &name, kind, redirect).await;
        let app = f
            .upstream
            .applications()
            .get_application()
            .application_id(&id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(app.name.as_deref(), Some(name.as_str()));
        assert_eq!(app.template_id.as_deref(), kind.template_id());
        let oidc = f
            .upstream
            .applications()
            .get_inbound_oauth_configuration()
            .application_id(&id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            oidc.callback_ur_ls,
            redirect.map(|r| vec![r.to_owned()]).unwrap_or_default()
        );
        assert!(oidc.client_id.is_some());
        assert_eq!(
            oidc.client_secret.is_some(),
            kind.issues_secret(),
            "{kind:?}: a secret exactly for confidential clients"
        );
        assert_eq!(app.client_id, oidc.client_id);
    }
}

#[tokio::test]
async fn a_duplicate_name_is_409_and_a_bad_body_is_400() {
    let f = Fixture::default().await;
    create_app(&f, "Twice", AppType::M2mApp, None).await;
    let body = applications::types::ApplicationModel::builder().name("Twice".to_owned());
    let err = failure(
        f.upstream
            .applications()
            .create_application()
            .body(body)
            .send()
            .await,
    )
    .await;
    assert_eq!(err.status(), Some(409));
    let token = f.upstream.token().await.unwrap();
    let bad = f
        .http
        .post(format!("{}/api/server/v1/applications", f.sandbox.base_url))
        .header("authorization", token.header_value())
        .json(&json!({ "name": 5, "inboundProtocolConfiguration": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("does not fit"),
        "{body}"
    );
    assert!(body["traceId"].is_string() && body["code"].is_string());
}

#[tokio::test]
async fn patch_replaces_only_the_settings_it_names() {
    let f = Fixture::default().await;
    let id = create_app(
        &f,
        "Patchy",
        AppType::SinglePageApp,
        Some("https://p.example.com/cb"),
    )
    .await;
    let patch = applications::types::ApplicationPatchModel::builder()
        .description(Some("new words".to_owned()));
    f.upstream
        .applications()
        .patch_application()
        .application_id(&id)
        .body(patch)
        .send()
        .await
        .unwrap();
    let app = f
        .upstream
        .applications()
        .get_application()
        .application_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(app.description.as_deref(), Some("new words"));
    assert_eq!(app.name.as_deref(), Some("Patchy"));
    assert_eq!(
        app.template_id.as_deref(),
        AppType::SinglePageApp.template_id()
    );
}

#[tokio::test]
async fn an_app_is_authorized_for_an_api_with_its_scopes() {
    let f = Fixture::default().await;
    let app = create_app(&f, "Caller", AppType::M2mApp, None).await;
    let api = f
        .upstream
        .api_resources()
        .add_api_resource()
        .body(
            api_resources::types::ApiResourceCreationModel::builder()
                .identifier("https://api.example.com/customers".to_owned())
                .name("Customers".to_owned())
                .scopes(vec![
                    api_resources::types::ScopeCreationModel {
                        name: "read:customers".into(),
                        display_name: None,
                        description: None,
                    },
                    api_resources::types::ScopeCreationModel {
                        name: "write:customers".into(),
                        display_name: None,
                        description: None,
                    },
                ]),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let authorize = applications::types::AuthorizedApiCreationModel {
        id: api.id.clone(),
        policy_identifier: Some("RBAC".into()),
        scopes: vec!["read:customers".into()],
        authorization_details_types: vec![],
    };
    f.upstream
        .applications()
        .add_authorized_api()
        .application_id(&app)
        .body(authorize.clone())
        .send()
        .await
        .unwrap();
    let listed = f
        .upstream
        .applications()
        .get_authorized_apis()
        .application_id(&app)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].identifier.as_deref(),
        Some("https://api.example.com/customers")
    );
    let scopes: Vec<_> = listed[0]
        .authorized_scopes
        .iter()
        .filter_map(|s| s.name.clone())
        .collect();
    assert_eq!(scopes, ["read:customers"]);
    let again = failure(
        f.upstream
            .applications()
            .add_authorized_api()
            .application_id(&app)
            .body(authorize)
            .send()
            .await,
    )
    .await;
    assert_eq!(again.status(), Some(409));
    let unknown = applications::types::AuthorizedApiCreationModel {
        id: api.id,
        policy_identifier: None,
        scopes: vec!["delete:everything".into()],
        authorization_details_types: vec![],
    };
    let other = create_app(&f, "Other", AppType::M2mApp, None).await;
    assert_eq!(
        failure(
            f.upstream
                .applications()
                .add_authorized_api()
                .application_id(&other)
                .body(unknown)
                .send()
                .await
        )
        .await
        .status(),
        Some(400)
    );
}

#[tokio::test]
async fn paging_through_250_applications_loses_and_repeats_nothing() {
    let f = Fixture::start(SandboxConfig {
        seed_apps: 250,
        ..Default::default()
    })
    .await;
    let mut seen = Vec::new();
    let mut offset = 0u64;
    let total = loop {
        let page = f
            .upstream
            .applications()
            .get_all_applications()
            .limit(30u64)
            .offset(offset as i64)
            .send()
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.applications.iter().filter_map(|a| a.id.clone()));
        offset += page.applications.len() as u64;
        let total = page.total_results.unwrap() as u64;
        if offset >= total || page.applications.is_empty() {
            break total;
        }
    };
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(total, 253, "250 seeded + 2 system portals + the M2M client");
    assert_eq!(seen.len(), 253);
    assert_eq!(unique.len(), 253);
    let filtered = f
        .upstream
        .applications()
        .get_all_applications()
        .filter("name sw Seeded App 01")
        .limit(100u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.total_results, Some(100), "Seeded App 0100..0199");
    let without_portals = f
        .upstream
        .applications()
        .get_all_applications()
        .exclude_system_portals(true)
        .limit(1u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(without_portals.total_results, Some(251));
}

#[tokio::test]
async fn api_resource_cursors_walk_forward_and_back() {
    let f = Fixture::default().await;
    for i in 0..23 {
        let body = api_resources::types::ApiResourceCreationModel::builder()
            .identifier(format!("https://api.example.com/r{i:02}"))
            .name(format!("R{i:02}"));
        f.upstream
            .api_resources()
            .add_api_resource()
            .body(body)
            .send()
            .await
            .unwrap();
    }
    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    let mut last_page;
    loop {
        let client = f.upstream.api_resources();
        let mut call = client
            .get_api_resources()
            .filter("identifier sw https://api.example.com/r")
            .limit(7);
        if let Some(a) = &after {
            call = call.after(a.clone());
        }
        let page = call.send().await.unwrap().into_inner();
        assert_eq!(page.total_results, Some(23));
        forward.extend(page.api_resources.iter().filter_map(|r| r.name.clone()));
        let next = page
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("next"))
            .and_then(|l| l.href.clone());
        last_page = Some(page);
        match next {
            Some(href) => after = Some(href.split("after=").nth(1).unwrap().to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..23).map(|i| format!("R{i:02}")).collect();
    assert_eq!(forward, expected);
    let previous = last_page
        .unwrap()
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("previous"))
        .and_then(|l| l.href.clone())
        .unwrap();
    let before = previous.split("before=").nth(1).unwrap().to_owned();
    let back = f
        .upstream
        .api_resources()
        .get_api_resources()
        .filter("identifier sw https://api.example.com/r")
        .limit(7)
        .before(before)
        .send()
        .await
        .unwrap()
        .into_inner();
    let names: Vec<String> = back
        .api_resources
        .iter()
        .filter_map(|r| r.name.clone())
        .collect();
    assert_eq!(names, expected[14..21]);
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403_and_changes_nothing() {
    let f = Fixture::default().await;
    let (viewer, ..) = f
        .client_with_scopes(&["internal_application_mgt_view"])
        .await;
    let before = viewer
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap()
        .into_inner()
        .total_results;
    let body = applications::types::ApplicationModel::builder().name("Sneaky".to_owned());
    let err = failure(
        viewer
            .applications()
            .create_application()
            .body(body)
            .send()
            .await,
    )
    .await;
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.operation.as_deref(), Some("createApplication"));
    assert_eq!(err.required_scopes(), ["internal_application_mgt_create"]);
    let after = viewer
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap()
        .into_inner()
        .total_results;
    assert_eq!(before, after);
    let (nobody, ..) = f.client_with_scopes(&["internal_user_mgt_view"]).await;
    let err = failure(nobody.applications().get_all_applications().send().await).await;
    assert_eq!(err.status(), Some(403));
    // The valve's words name no scope (APIErrorResponseHandler); the operation does.
    assert!(
        err.detail.starts_with("Operation is not permitted"),
        "{}",
        err.detail
    );
    assert_eq!(err.required_scopes(), ["internal_application_mgt_view"]);
}

#[tokio::test]
async fn the_token_endpoint_grants_only_allowed_scopes_and_rejects_bad_credentials() {
    let f = Fixture::default().await;
    let (limited, id, _) = f.client_with_scopes(&["internal_user_mgt_view"]).await;
    let token = limited.token().await.unwrap();
    assert_eq!(
        token.scopes.iter().collect::<Vec<_>>(),
        ["internal_user_mgt_view"]
    );
    let wrong = asgardeo_mcp::api::Upstream::new(asgardeo_mcp::api::UpstreamSettings::new(
        &f.sandbox.base_url,
        &id,
        "not-the-secret",
    ))
    .unwrap();
    let err = failure(wrong.applications().get_all_applications().send().await).await;
    assert_eq!(err.status(), Some(401));
    assert!(
        err.token_endpoint
            .as_deref()
            .is_some_and(|u| u.ends_with("/oauth2/token"))
    );
}

#[tokio::test]
async fn an_expired_token_is_401_and_the_seam_mints_a_new_one() {
    let f = Fixture::default().await;
    let token = f.upstream.token().await.unwrap();
    f.http
        .post(f.control("/sandbox/tokens/expire"))
        .send()
        .await
        .unwrap();
    let raw = f
        .http
        .get(format!("{}/api/server/v1/applications", f.sandbox.base_url))
        .header("authorization", token.header_value())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 401);
    let page = f
        .upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .expect("re-minted after 401");
    assert!(page.into_inner().total_results.unwrap() > 0);
}

#[tokio::test]
async fn short_429s_are_waited_out_and_long_ones_reported_with_retry_after() {
    let f = Fixture::default().await;
    f.upstream.token().await.unwrap();
    f.set_faults(
        json!({ "status": 429, "count": 1, "retry_after": 1, "path_contains": "/applications" }),
    )
    .await;
    let started = Instant::now();
    f.upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .expect("retried after Retry-After");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the Retry-After"
    );
    f.set_faults(
        json!({ "status": 429, "count": 10, "retry_after": 60, "path_contains": "/applications" }),
    )
    .await;
    let err = list_failure(&f).await;
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after, Some(Duration::from_secs(60)));
}

#[tokio::test]
async fn server_errors_drops_malformed_bodies_and_latency_are_observed() {
    let f = Fixture::default().await;
    f.upstream.token().await.unwrap();
    for status in [500u16, 503] {
        f.set_faults(
            json!({ "status": status, "fraction": 1.0, "path_contains": "/applications" }),
        )
        .await;
        let err = failure(
            f.upstream
                .applications()
                .create_application()
                .body(applications::types::ApplicationModel::builder().name("x".to_owned()))
                .send()
                .await,
        )
        .await;
        assert_eq!(err.status(), Some(status));
    }
    f.set_faults(json!({ "drop_connection": true, "path_contains": "/applications" }))
        .await;
    let err = list_failure(&f).await;
    // A dropped connection is its own kind: never "the answer had the wrong shape".
    assert_eq!(err.kind, FailureKind::Dropped, "{err:?}");
    f.set_faults(json!({ "malformed_json": true, "path_contains": "/applications" }))
        .await;
    let err = list_failure(&f).await;
    assert_eq!(err.kind, FailureKind::Decode);
    f.set_faults(json!({ "latency_ms": 300 })).await;
    let started = Instant::now();
    f.upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    f.clear_faults().await;
    f.upstream
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_fraction_of_faults_is_deterministic_for_a_seed() {
    async fn pattern() -> Vec<bool> {
        let f = Fixture::default().await;
        f.upstream.token().await.unwrap();
        f.set_faults(json!({ "status": 500, "fraction": 0.5, "path_contains": "/claim-dialects" }))
            .await;
        let mut out = Vec::new();
        for _ in 0..20 {
            out.push(
                f.upstream
                    .claims()
                    .get_claim_dialects()
                    .send()
                    .await
                    .is_ok(),
            );
        }
        out
    }
    let first = pattern().await;
    assert_eq!(first, pattern().await);
    assert!(first.contains(&true) && first.contains(&false));
}

#[tokio::test]
async fn every_operation_in_openapi_is_served() {
    let f = Fixture::default().await;
    let token = f.upstream.token().await.unwrap();
    let mut unserved = Vec::new();
    for (api, id, method, _) in all_operations() {
        let base = asgardeo_mcp::api::ALL
            .iter()
            .find(|s| s.name == api)
            .expect("known API")
            .base_path;
        let path = operation_path(api, id);
        let path = path.replace(['{', '}'], "");
        let url = format!("{}{base}{path}", f.sandbox.base_url);
        let request = f
            .http
            .request(method.parse().unwrap(), &url)
            .header("authorization", token.header_value());
        let request = if matches!(method, "POST" | "PUT" | "PATCH") {
            request.json(&json!({}))
        } else {
            request
        };
        let response = request.send().await.unwrap();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if body["code"] == "SANDBOX-NOROUTE" || body["scimType"] == "SANDBOX-NOROUTE" {
            unserved.push(format!("{api} {id} {method} {url}"));
        }
    }
    assert!(unserved.is_empty(), "not served: {unserved:#?}");
}

fn operation_path(api: &str, id: &str) -> String {
    let spec = asgardeo_mcp::api::ALL
        .iter()
        .find(|s| s.name == api)
        .expect("known API");
    spec.operations
        .iter()
        .find(|o| o.0 == id)
        .map(|o| o.2.to_owned())
        .expect("known operation")
}

#[tokio::test]
async fn login_flow_generation_moves_through_stages_to_a_result() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(400),
        ..Default::default()
    })
    .await;
    let apps = f.upstream.applications();
    let start = apps
        .generate_login_flow()
        .body(applications::types::LoginFlowGenerateRequest {
            user_query: Some("Username and password, then email OTP".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(start.status().as_u16(), 202);
    let op = start.into_inner().operation_id.unwrap();
    let early = apps
        .get_login_flow_generation_result()
        .operation_id(&op)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        early.status,
        Some(applications::types::StatusEnum("IN_PROGRESS".into()))
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    let status = apps
        .get_login_flow_generation_status()
        .operation_id(&op)
        .send()
        .await
        .unwrap()
        .into_inner()
        .status;
    assert!(status.values().all(|v| v == &json!(true)), "{status:?}");
    let result = apps
        .get_login_flow_generation_result()
        .operation_id(&op)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        result.status,
        Some(applications::types::StatusEnum("COMPLETED".into()))
    );
    assert_eq!(
        result.data["steps"][0]["options"][0]["authenticator"],
        "BasicAuthenticator"
    );
    assert_eq!(
        result.data["steps"][1]["options"][0]["authenticator"],
        "email-otp-authenticator"
    );

    let failing = apps
        .generate_login_flow()
        .body(applications::types::LoginFlowGenerateRequest {
            user_query: Some("make it nice".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    tokio::time::sleep(Duration::from_millis(450)).await;
    let result = apps
        .get_login_flow_generation_result()
        .operation_id(failing.operation_id.unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        result.status,
        Some(applications::types::StatusEnum("FAILED".into()))
    );
    assert!(
        result.data["error"]
            .as_str()
            .unwrap()
            .contains("names no authenticator")
    );
}

#[tokio::test]
async fn users_are_created_by_invite_or_password_and_found_by_filter() {
    let f = Fixture::default().await;
    let invite = users::types::UserObject::builder()
        .user_name(Some("DEFAULT/kim".to_owned()))
        .emails(vec![serde_json::Map::from_iter([(
            "value".to_owned(),
            json!("kim@example.com"),
        )])])
        .urn_scim_wso2_schema(Some(users::types::UserObjectUrnScimWso2Schema {
            ask_password: Some(true),
        }));
    let created = f
        .upstream
        .users()
        .create_user()
        .body(invite)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created = read_json(created.into_inner()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let state: serde_json::Value = f
        .http
        .get(f.control(&format!("/sandbox/users/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state,
        json!({ "has_password": false, "pending_invite": true })
    );
    let duplicate = users::types::UserObject::builder()
        .user_name(Some("kim".to_owned()))
        .password(Some("Str0ngPassw0rd".to_owned()));
    assert_eq!(
        failure(
            f.upstream
                .users()
                .create_user()
                .body(duplicate)
                .send()
                .await
        )
        .await
        .status(),
        Some(409)
    );
    let found = f
        .upstream
        .users()
        .list_users()
        .filter("userName eq kim")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.total_results, Some(1));
    assert_eq!(found.resources[0].id.as_deref(), Some(id.as_str()));
    let weak = users::types::UserObject::builder()
        .user_name(Some("lee".to_owned()))
        .password(Some("weak".to_owned()));
    let err = failure(f.upstream.users().create_user().body(weak).send().await).await;
    assert_eq!(err.status(), Some(400));
    assert!(err.detail.contains("password"), "{}", err.detail);
}

/// A body the client hands over as bytes (a success that carries one on some statuses only).
async fn read_json(bytes: progenitor_client::ByteStream) -> serde_json::Value {
    use futures::TryStreamExt;
    let chunks: Vec<bytes::Bytes> = bytes.into_inner().try_collect().await.unwrap();
    serde_json::from_slice(&chunks.concat()).unwrap()
}

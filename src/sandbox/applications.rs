//! Applications: list (offset paging, filters, `excludeSystemPortals`), create (201 with
//! `Location`), get, patch, delete; inbound OIDC get/put/regenerate-secret; authorized APIs.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::auth::Granted;
use super::error::{ApiError, ApiResult};
use super::filter::Filter;
use super::inbound_oidc::{provision_client, validate_oidc};
use super::store::{App, Store};
use super::{AppState, parse_body};
use super::{authorized_apis, inbound_oidc};
use crate::api::applications::types;
use crate::wso2::APPLICATION_SCRIPT_SCOPE;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list).post(create))
        .route(
            "/applications/{applicationId}",
            get(read).patch(patch).delete(remove),
        )
        .merge(inbound_oidc::routes())
        .merge(authorized_apis::routes())
}

/// The server's maximum page size (IdentityUtil.getMaximumItemPerPage, 100 by default).
const MAX_PAGE: i64 = 100;

pub(super) fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "APP-60006",
        format!("Application not found: no application with id {id} exists in this organization"),
    )
}

fn number(query: &HashMap<String, String>, key: &str, default: i64) -> ApiResult<i64> {
    match query.get(key) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_request(
                "APP-60004",
                format!("`{key}` must be a non-negative integer"),
            )
        }),
    }
}

async fn list(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<types::ApplicationListResponse>> {
    // Like the server, a limit above the maximum page size is quietly capped.
    let limit = number(&query, "limit", 30)?.min(MAX_PAGE);
    let offset = number(&query, "offset", 0)?;
    if limit == 0 {
        return Err(ApiError::bad_request(
            "APP-60004",
            "`limit` must be at least 1",
        ));
    }
    let filter = query
        .get("filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| Filter::parse(f))
        .transpose()?;
    if let Some(bad) = filter.as_ref().and_then(|f| {
        f.attributes()
            .find(|a| !matches!(*a, "name" | "clientId" | "issuer"))
            .map(str::to_owned)
    }) {
        return Err(ApiError::bad_request(
            "APP-60004",
            format!("filtering by `{bad}` is not supported; use name, clientId or issuer"),
        ));
    }
    let exclude_portals = query
        .get("excludeSystemPortals")
        .is_some_and(|v| v == "true");
    // The server answers client ids and issuers only when asked for them, or when the filter
    // names them (ServerApplicationManagementService.getAllApplications).
    let mut attributes: Vec<&str> = query
        .get("attributes")
        .map(|a| {
            a.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(bad) = attributes.iter().find(|a| !REQUIRED_ATTRIBUTES.contains(a)) {
        return Err(ApiError::bad_request(
            "APP-60040",
            format!("`{bad}` is not an attribute the list can include"),
        ));
    }
    if let Some(f) = &filter {
        attributes.extend(
            f.attributes()
                .filter(|a| matches!(*a, "clientId" | "issuer")),
        );
    }
    let store = shared.store();
    let matching: Vec<&App> = store
        .apps
        .iter()
        .filter(|a| !(exclude_portals && a.system_portal))
        .filter(|a| {
            filter.as_ref().is_none_or(|f| {
                let client_id = a.oidc.as_ref().and_then(|o| o.client_id.as_deref());
                f.matches(|attr| match attr {
                    "name" => Some(a.model.name.as_str()),
                    "clientId" | "issuer" => client_id,
                    _ => None,
                })
            })
        })
        .collect();
    let total = matching.len() as i64;
    let page: Vec<types::ApplicationListItem> = matching
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|a| list_item(a, shared.tenant_url(), &attributes))
        .collect();
    let base = format!("{}/api/server/v1/applications", shared.tenant_url());
    let mut links = Vec::new();
    if offset + limit < total {
        links.push(types::Link {
            href: Some(format!("{base}?offset={}&limit={limit}", offset + limit)),
            rel: Some("next".into()),
        });
    }
    if offset > 0 {
        links.push(types::Link {
            href: Some(format!(
                "{base}?offset={}&limit={limit}",
                (offset - limit).max(0)
            )),
            rel: Some("previous".into()),
        });
    }
    Ok(Json(types::ApplicationListResponse {
        total_results: Some(total),
        start_index: Some(offset + 1),
        count: Some(page.len() as i64),
        applications: page,
        links,
    }))
}

/// What `attributes=` may ask for (ServerApplicationManagementService.SUPPORTED_REQUIRED_ATTRIBUTES).
const REQUIRED_ATTRIBUTES: [&str; 7] = [
    "advancedConfigurations",
    "clientId",
    "templateId",
    "templateVersion",
    "issuer",
    "applicationEnabled",
    "associatedRoles.allowedAudience",
];

fn list_item(app: &App, tenant: &str, attributes: &[&str]) -> types::ApplicationListItem {
    types::ApplicationListItem {
        id: Some(app.id.clone()),
        name: Some(app.model.name.clone()),
        description: app.model.description.clone(),
        image: app.model.image_url.clone(),
        access_url: app.model.access_url.clone(),
        client_id: attributes
            .contains(&"clientId")
            .then(|| app.oidc.as_ref().and_then(|o| o.client_id.clone()))
            .flatten(),
        access: Some(if app.system_portal { "READ" } else { "WRITE" }.into()),
        self_: Some(format!("{tenant}/api/server/v1/applications/{}", app.id)),
        template_id: app.model.template_id.clone(),
        ..Default::default()
    }
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let mut model: types::ApplicationModel = parse_body(&body, "application")?;
    if model.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "APP-60001",
            "the application name cannot be empty",
        ));
    }
    let oidc = model
        .inbound_protocol_configuration
        .take()
        .and_then(|p| p.oidc);
    if let Some(oidc) = &oidc {
        validate_oidc(oidc)?;
    }
    let mut store = shared.store();
    if store.apps.iter().any(|a| a.model.name == model.name) {
        return Err(ApiError::conflict(
            "APP-60007",
            format!("An application with the name {} already exists", model.name),
        ));
    }
    let id = store.new_id();
    let oidc = oidc.map(|o| provision_client(&mut store, o));
    // Organization roles unless the application asks for its own.
    model
        .associated_roles
        .get_or_insert_with(|| types::AssociatedRolesConfig {
            allowed_audience: types::AssociatedRolesConfigAllowedAudience::Organization,
            roles: Vec::new(),
        });
    store.apps.push(App {
        id: id.clone(),
        model,
        oidc,
        authorized: Vec::new(),
        system_portal: false,
    });
    let location = format!("{}/api/server/v1/applications/{id}", shared.tenant_url());
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

async fn read(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::ApplicationResponseModel>> {
    let store = shared.store();
    let app = store.app(&id).ok_or_else(|| not_found(&id))?;
    response_model(app, shared.tenant_url()).map(Json)
}

fn response_model(app: &App, tenant: &str) -> ApiResult<types::ApplicationResponseModel> {
    let mut value = serde_json::to_value(&app.model).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("inboundProtocolConfiguration");
        map.insert("id".into(), json!(app.id));
        map.insert(
            "access".into(),
            json!(if app.system_portal { "READ" } else { "WRITE" }),
        );
        if let Some(oidc) = &app.oidc {
            map.insert("clientId".into(), json!(oidc.client_id));
            map.insert("issuer".into(), json!(format!("{tenant}/oauth2/token")));
            // No `name`: the server fills it from a friendly name it never has
            // (InboundAuthConfigToApiModel, "TODO: add the friendly name"), so it is absent.
            map.insert(
                "inboundProtocols".into(),
                json!([{ "type": "oauth2", "self": format!("{tenant}/api/server/v1/applications/{}/inbound-protocols/oidc", app.id) }]),
            );
        }
        map.entry("authenticationSequence").or_insert_with(|| {
            json!({ "type": "DEFAULT", "steps": [{ "id": 1, "options": [{ "idp": "LOCAL", "authenticator": "BasicAuthenticator" }] }], "subjectStepId": 1, "attributeStepId": 1 })
        });
        map.entry("claimConfiguration")
            .or_insert_with(|| json!({ "dialect": "LOCAL", "requestedClaims": [] }));
        // Roles are listed only for application audience (ServiceProviderToApiModel:161-190).
        if let Some(roles) = map
            .get_mut("associatedRoles")
            .and_then(Value::as_object_mut)
            && roles.get("allowedAudience").and_then(Value::as_str) != Some("APPLICATION")
        {
            roles.remove("roles");
        }
    }
    serde_json::from_value(value).map_err(|e| {
        ApiError::bad_request(
            "SANDBOX-STATE",
            format!("stored application does not fit the response model: {e}"),
        )
    })
}

async fn patch(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Extension(granted): Extension<Granted>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    // Parse with the generated model to reject a body that does not fit, then apply exactly the
    // keys the client sent: PATCH replaces each top-level setting it names and nothing else.
    let typed: types::ApplicationPatchModel = parse_body(&body, "application patch")?;
    let changes: serde_json::Map<String, Value> = parse_body(&body, "application patch")?;
    let mut store = shared.store();
    if let Some(sequence) = &typed.authentication_sequence {
        let current_script = store
            .app(&id)
            .and_then(|a| a.model.authentication_sequence.as_ref())
            .and_then(|s| s.script.as_deref())
            .is_some_and(|s| !s.trim().is_empty());
        let reverts_scripted =
            sequence.type_ == types::AuthenticationSequenceType::Default && current_script;
        if (sequence.script.is_some() || reverts_scripted) && !granted.has(APPLICATION_SCRIPT_SCOPE)
        {
            return Err(ApiError::forbidden_operation(
                "APP-60520",
                format!(
                    "Operation is not permitted: updating the authentication script needs the scope {APPLICATION_SCRIPT_SCOPE}"
                ),
            ));
        }
        if sequence.type_ == types::AuthenticationSequenceType::UserDefined {
            check_options(&store, sequence)?;
        }
    }
    if let Some(Value::String(name)) = changes.get("name") {
        if name.trim().is_empty() {
            return Err(ApiError::bad_request(
                "APP-60001",
                "the application name cannot be empty",
            ));
        }
        if store
            .apps
            .iter()
            .any(|a| a.model.name == *name && a.id != id)
        {
            return Err(ApiError::conflict(
                "APP-60007",
                format!("An application with the name {name} already exists"),
            ));
        }
    }
    let removed_roles = match &typed.associated_roles {
        Some(next) => associated_roles_change(&store, &id, next, shared.version)?,
        None => Vec::new(),
    };
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    if app.system_portal {
        return Err(ApiError::forbidden_operation(
            "APP-60008",
            "system portals cannot be modified",
        ));
    }
    let mut value = serde_json::to_value(&app.model).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        for (key, change) in changes {
            merge_setting(map, key, change)?;
        }
    }
    app.model = serde_json::from_value(value).map_err(|e| {
        ApiError::bad_request(
            "APP-60001",
            format!("the patched application is not valid: {e}"),
        )
    })?;
    store
        .roles
        .retain(|r| !removed_roles.iter().any(|id| r["id"] == id.as_str()));
    Ok(StatusCode::OK)
}

/// A PATCH's `associatedRoles` replaces the audience and the roles together
/// (`UpdateServiceProvider:67-73`). From IS 7.1 an application whose stored audience is
/// ORGANIZATION refuses one carrying roles (403 APP-60008, SAMS:1012-1026). The application's
/// own roles it no longer lists are deleted: all of them when it goes back to ORGANIZATION
/// (organization-management `SharedRoleMgtListener`). Returns those roles' ids.
fn associated_roles_change(
    store: &Store,
    id: &str,
    next: &types::AssociatedRolesConfig,
    version: super::ServerVersion,
) -> ApiResult<Vec<String>> {
    let app = store.app(id).ok_or_else(|| not_found(id))?;
    let stored_org = app.model.associated_roles.as_ref().is_none_or(|r| {
        r.allowed_audience == types::AssociatedRolesConfigAllowedAudience::Organization
    });
    if stored_org && !next.roles.is_empty() && version.at_least(super::ServerVersion::Is7_1) {
        return Err(ApiError::forbidden_operation(
            "APP-60008",
            "Applications can not be updated by modifying the associated roles.",
        ));
    }
    let keeps_app_roles =
        next.allowed_audience == types::AssociatedRolesConfigAllowedAudience::Application;
    Ok(store
        .roles
        .iter()
        .filter(|r| r["audience"]["type"] == "application" && r["audience"]["value"] == id)
        .filter_map(|r| r["id"].as_str())
        .filter(|role| !keeps_app_roles || !next.roles.iter().any(|kept| kept.id == *role))
        .map(str::to_owned)
        .collect())
}

/// Every option of a sequence must name an authenticator the organization has: a local one
/// under `LOCAL`, or a connection by name with the authenticator it signs in with.
fn check_options(store: &Store, sequence: &types::AuthenticationSequence) -> ApiResult<()> {
    for step in &sequence.steps {
        for option in &step.options {
            let known = if option.idp == "LOCAL" {
                store.authenticators.iter().any(|a| {
                    a.type_.as_deref() != Some("FEDERATED")
                        && a.name.as_deref() == Some(option.authenticator.as_str())
                })
            } else {
                store
                    .idps
                    .iter()
                    .any(|i| i.name == option.idp && i.authenticator == option.authenticator)
            };
            if !known {
                return Err(ApiError::bad_request(
                    "APP-60001",
                    format!(
                        "Invalid authenticator {} of identity provider {} in step {}",
                        option.authenticator, option.idp, step.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// One top-level setting of a PATCH, merged the way the server merges it
/// (UpdateServiceProvider and its Update* functions in identity-api-server):
/// - plain fields are set when given (null leaves them alone);
/// - `claimConfiguration`: dialect and requested claims (or mappings) are replaced; `role` and
///   `subject` change only when sent (UpdateClaimConfiguration);
/// - `authenticationSequence`: a USER_DEFINED sequence replaces the steps, which must be numbered
///   1..n; a blank script leaves the current script in place; DEFAULT reverts to the default
///   flow and drops the script (UpdateAuthenticationSequence).
fn merge_setting(
    app: &mut serde_json::Map<String, Value>,
    key: String,
    change: Value,
) -> ApiResult<()> {
    if change.is_null() {
        return Ok(());
    }
    match key.as_str() {
        "claimConfiguration" => {
            let current = app.entry(key).or_insert_with(|| json!({}));
            if let (Some(current), Some(change)) = (current.as_object_mut(), change.as_object()) {
                current.insert(
                    "dialect".into(),
                    change.get("dialect").cloned().unwrap_or(json!("LOCAL")),
                );
                for field in ["requestedClaims", "claimMappings"] {
                    current.insert(
                        field.into(),
                        change.get(field).cloned().unwrap_or(json!([])),
                    );
                }
                for field in ["role", "subject"] {
                    if let Some(v) = change.get(field).filter(|v| !v.is_null()) {
                        current.insert(field.into(), v.clone());
                    }
                }
            }
        }
        "authenticationSequence" => {
            let user_defined = change.get("type").and_then(Value::as_str) != Some("DEFAULT");
            if !user_defined {
                app.remove(&key);
                return Ok(());
            }
            let steps = change
                .get("steps")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if steps.is_empty() {
                return Err(ApiError::bad_request(
                    "APP-60001",
                    "Authentication steps cannot be empty for user defined authentication type: USER_DEFINED",
                ));
            }
            let mut ids: Vec<u64> = steps
                .iter()
                .filter_map(|s| s.get("id").and_then(Value::as_u64))
                .collect();
            ids.sort_unstable();
            if ids.len() != steps.len() || ids.last() != Some(&(steps.len() as u64)) {
                return Err(ApiError::bad_request(
                    "APP-60001",
                    "Step ids need to be consecutive in the authentication sequence steps.",
                ));
            }
            let kept_script = app.get(&key).and_then(|c| c.get("script")).cloned();
            let mut next = change;
            let blank = next
                .get("script")
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty());
            if let Some(map) = next.as_object_mut() {
                map.insert("type".into(), json!("USER_DEFINED"));
                match (blank, kept_script) {
                    (true, Some(script)) => {
                        map.insert("script".into(), script);
                    }
                    (true, None) => {
                        map.remove("script");
                    }
                    _ => {}
                }
            }
            app.insert(key, next);
        }
        _ => {
            app.insert(key, change);
        }
    }
    Ok(())
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    // An unknown id is no error: the server answers 204 (SAMS:1084-1122).
    let Some(app) = store.app(&id) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    if app.system_portal {
        return Err(ApiError::forbidden_operation(
            "APP-60008",
            "system portals cannot be deleted",
        ));
    }
    store.apps.retain(|a| a.id != id);
    // The application's own roles go with it.
    store.roles.retain(|r| {
        !(r["audience"]["type"] == "application" && r["audience"]["value"] == id.as_str())
    });
    Ok(StatusCode::NO_CONTENT)
}

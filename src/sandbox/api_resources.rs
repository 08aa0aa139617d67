//! API resources: list with cursor pagination (`before`/`after`, `links`) and filters read as
//! the server reads them (flattened: every condition ANDed), get, create (201 with the
//! resource), patch (scopes added; any `removedScopes` refused with 501), delete (204 also for
//! what is not there), delete a scope (by name, across the organization).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

use super::error::{ApiError, ApiResult};
use super::filter::Filter;
use super::store::{ApiResource, Scope};
use super::{AppState, created, parse_body};
use crate::api::api_resources::types;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api-resources", get(list).post(create))
        .route(
            "/api-resources/{apiResourceId}",
            get(read).patch(patch).delete(remove),
        )
        .route(
            "/api-resources/{apiResourceId}/scopes/{scopeName}",
            delete(remove_scope),
        )
}

/// A BUSINESS API resource to change; the server's own (SYSTEM) ones cannot be.
fn editable<'a>(store: &'a mut super::store::Store, id: &str) -> ApiResult<&'a mut ApiResource> {
    let resource = store
        .api_resources
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(|| not_found(id))?;
    if resource.kind == "SYSTEM" {
        return Err(system_api());
    }
    Ok(resource)
}

/// `handleSystemAPI` (SARMS 687-695).
fn system_api() -> ApiError {
    ApiError::forbidden_operation("API-RESOURCE-60012", "Cannot modify or delete System APIs.")
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "API-RESOURCE-60002",
        format!("Unable to find the API resource with the id: {id} in the tenant domain."),
    )
}

fn encode_cursor(seq: u64) -> String {
    STANDARD.encode(seq.to_string())
}

fn decode_cursor(cursor: &str) -> ApiResult<u64> {
    STANDARD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request("API-RESOURCE-60002", "Invalid cursor used for pagination.")
        })
}

async fn list(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<types::ApiResourceListResponse>> {
    let limit: usize = match query.get("limit") {
        None => 10,
        Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::bad_request("API-RESOURCE-60010", "Invalid limit provided.")
        })?,
    };
    let after = query.get("after").map(|c| decode_cursor(c)).transpose()?;
    let before = query.get("before").map(|c| decode_cursor(c)).transpose()?;
    if after.is_some() && before.is_some() {
        return Err(ApiError::bad_request(
            "API-RESOURCE-60011",
            "Both before and after parameters cannot be provided together.",
        ));
    }
    let filter = query
        .get("filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| Filter::parse(f))
        .transpose()?;
    if filter.as_ref().is_some_and(|f| {
        f.attributes()
            .any(|a| !matches!(a, "name" | "identifier" | "type"))
    }) {
        return Err(ApiError::bad_request(
            "API-RESOURCE-60005",
            "Invalid filter value used for filtering.",
        ));
    }
    let store = shared.store();
    let matching: Vec<&ApiResource> = store
        .api_resources
        .iter()
        .filter(|r| {
            filter.as_ref().is_none_or(|f| {
                f.matches_flattened(|attr| match attr {
                    "name" => Some(r.name.as_str()),
                    "identifier" => Some(r.identifier.as_str()),
                    "type" => Some(r.kind.as_str()),
                    _ => None,
                })
            })
        })
        .collect();
    let page: Vec<&ApiResource> = match (after, before) {
        (Some(a), _) => matching
            .iter()
            .filter(|r| r.seq > a)
            .take(limit)
            .copied()
            .collect(),
        (_, Some(b)) => {
            let earlier: Vec<&ApiResource> =
                matching.iter().filter(|r| r.seq < b).copied().collect();
            earlier[earlier.len().saturating_sub(limit)..].to_vec()
        }
        _ => matching.iter().take(limit).copied().collect(),
    };
    let base = format!(
        "{}/api/server/v1/api-resources?limit={limit}",
        shared.tenant_url()
    );
    let mut links = Vec::new();
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        if matching.iter().any(|r| r.seq > last.seq) {
            links.push(types::PaginationLink {
                href: Some(format!("{base}&after={}", encode_cursor(last.seq))),
                rel: Some("next".into()),
            });
        }
        if matching.iter().any(|r| r.seq < first.seq) {
            links.push(types::PaginationLink {
                href: Some(format!("{base}&before={}", encode_cursor(first.seq))),
                rel: Some("previous".into()),
            });
        }
    }
    let tenant = shared.tenant_url();
    Ok(Json(types::ApiResourceListResponse {
        total_results: Some(matching.len() as i64),
        api_resources: page
            .iter()
            .map(|r| types::ApiResourceListItem {
                id: Some(r.id.clone()),
                name: Some(r.name.clone()),
                identifier: Some(r.identifier.clone()),
                type_: Some(r.kind.clone()),
                requires_authorization: Some(r.requires_authorization),
                self_: Some(format!("{tenant}/api/server/v1/api-resources/{}", r.id)),
                properties: Vec::new(),
            })
            .collect(),
        links,
    }))
}

fn response(r: &ApiResource, tenant: &str) -> types::ApiResourceResponse {
    types::ApiResourceResponse {
        id: Some(r.id.clone()),
        name: Some(r.name.clone()),
        identifier: Some(r.identifier.clone()),
        description: r.description.clone(),
        type_: Some(r.kind.clone()),
        requires_authorization: Some(r.requires_authorization),
        scopes: r.scopes.iter().map(Scope::model).collect(),
        self_: Some(format!("{tenant}/api/server/v1/api-resources/{}", r.id)),
        authorization_details_types: Vec::new(),
        subscribed_applications: Vec::new(),
        properties: Vec::new(),
    }
}

async fn read(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::ApiResourceResponse>> {
    let store = shared.store();
    let r = store.api_resource(&id).ok_or_else(|| not_found(&id))?;
    Ok(Json(response(r, shared.tenant_url())))
}

fn check_scope_names(scopes: &[types::ScopeCreationModel]) -> ApiResult<()> {
    for scope in scopes {
        if scope.name.trim().is_empty() || scope.name.chars().any(char::is_whitespace) {
            return Err(ApiError::bad_request(
                "API-RESOURCE-60005",
                format!("Invalid scope name provided: `{}`.", scope.name),
            ));
        }
    }
    Ok(())
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let request: types::ApiResourceCreationModel = parse_body(&body, "API resource")?;
    if request.identifier.trim().is_empty() || request.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "API-RESOURCE-60003",
            "Invalid API resource name or identifier provided.",
        ));
    }
    check_scope_names(&request.scopes)?;
    let mut store = shared.store();
    if store
        .api_resources
        .iter()
        .any(|r| r.identifier == request.identifier)
    {
        return Err(ApiError::conflict(
            "API-RESOURCE-60003",
            format!("API resource already exists for the tenant: {}.", store.org),
        ));
    }
    let taken: Vec<String> = request
        .scopes
        .iter()
        .filter(|s| {
            store
                .api_resources
                .iter()
                .any(|r| r.scopes.iter().any(|k| k.name == s.name))
        })
        .map(|s| s.name.clone())
        .collect();
    if !taken.is_empty() {
        // Scope names are unique across the organization (`APIResourceManagementDAOImpl.addScopes`).
        tracing::debug!(?taken, "sandbox: scope names taken");
        return Err(ApiError::conflict(
            "API-RESOURCE-60004",
            "Scope already exists for the tenant.",
        ));
    }
    let id = store.new_id();
    let scopes = request
        .scopes
        .iter()
        .map(|s| Scope {
            id: store.new_id(),
            name: s.name.clone(),
            display_name: s.display_name.clone().unwrap_or_else(|| s.name.clone()),
            description: s.description.clone(),
        })
        .collect();
    let resource = ApiResource {
        seq: store.next_api_seq(),
        id: id.clone(),
        name: request.name,
        identifier: request.identifier,
        description: request.description,
        requires_authorization: request.requires_authorization.unwrap_or(true),
        kind: "BUSINESS".into(),
        scopes,
    };
    let body = response(&resource, shared.tenant_url());
    store.api_resources.push(resource);
    let location = body.self_.clone().unwrap_or_default();
    Ok(created(location, body))
}

async fn patch(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let request: types::ApiResourcePatchModel = parse_body(&body, "API resource patch")?;
    let raw: serde_json::Map<String, serde_json::Value> = parse_body(&body, "API resource patch")?;
    let mut store = shared.store();
    editable(&mut store, &id)?;
    // Any `removedScopes`, even `[]`, is refused with 501 (SARMS 237-274); scopes go one
    // DELETE at a time.
    if raw.contains_key("removedScopes") {
        return Err(ApiError::with_status(
            StatusCode::NOT_IMPLEMENTED,
            "API-RESOURCE-60006",
            "Removed scopes patching is not supported yet.",
            "Removed scopes patching is not supported yet for API resources.",
        ));
    }
    check_scope_names(&request.added_scopes)?;
    if request
        .added_scopes
        .iter()
        .any(|s| store.scope_exists(&s.name))
    {
        return Err(ApiError::conflict(
            "API-RESOURCE-60004",
            "Scope already exists for the tenant.",
        ));
    }
    let new_ids: Vec<String> = request
        .added_scopes
        .iter()
        .map(|_| store.new_id())
        .collect();
    let resource = editable(&mut store, &id)?;
    if let Some(name) = request.name {
        resource.name = name;
    }
    if let Some(description) = request.description {
        resource.description = Some(description);
    }
    for (scope, new_id) in request.added_scopes.into_iter().zip(new_ids) {
        if !resource.scopes.iter().any(|s| s.name == scope.name) {
            resource.scopes.push(Scope {
                id: new_id,
                display_name: scope.display_name.unwrap_or_else(|| scope.name.clone()),
                name: scope.name,
                description: scope.description,
            });
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one scope: it leaves the applications authorized for it and the roles that grant it.
async fn remove_scope(
    State(shared): State<AppState>,
    Path((id, scope)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    // An unknown API resource or scope is no error (SARMS 350-367); the scope goes by name
    // across the organization (`DELETE FROM SCOPE WHERE NAME = ? AND TENANT_ID = ?`).
    if store.api_resource(&id).is_none() {
        return Ok(StatusCode::NO_CONTENT);
    }
    editable(&mut store, &id)?;
    for resource in &mut store.api_resources {
        resource.scopes.retain(|s| s.name != scope);
    }
    for app in &mut store.apps {
        for auth in app.authorized.iter_mut() {
            auth.scopes.retain(|s| *s != scope);
        }
    }
    for role in &mut store.roles {
        if let Some(permissions) = role
            .get_mut("permissions")
            .and_then(serde_json::Value::as_array_mut)
        {
            permissions.retain(|p| p["value"] != scope.as_str());
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    // An unknown id is no error (SARMS 281-297).
    let Some(resource) = store.api_resource(&id) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    if resource.kind == "SYSTEM" {
        return Err(system_api());
    }
    store.api_resources.retain(|r| r.id != id);
    for app in &mut store.apps {
        app.authorized.retain(|a| a.api_id != id);
    }
    Ok(StatusCode::NO_CONTENT)
}

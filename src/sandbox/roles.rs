//! SCIM2 roles v2: list, get, create, patch (display name and permissions), delete. Bodies are
//! parsed with the generated models and kept as the JSON the API serves.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::{AppState, parse_body};
use crate::api::roles::types;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/Roles", get(list).post(create))
        .route("/v2/Roles/{id}", get(read).patch(patch).delete(remove))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("noTarget", format!("no role with id {id}")).scim()
}

async fn list(State(shared): State<AppState>) -> Json<Value> {
    let roles = shared.store().roles.clone();
    Json(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": roles.len(),
        "startIndex": 1,
        "itemsPerPage": roles.len(),
        "Resources": roles,
    }))
}

async fn read(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let store = shared.store();
    store
        .roles
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .map(Json)
        .ok_or_else(|| not_found(&id))
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let request: types::RoleCreationObjectV2 = parse_body(&body, "role").map_err(ApiError::scim)?;
    let mut store = shared.store();
    if store
        .roles
        .iter()
        .any(|r| r["displayName"] == request.display_name.as_str())
    {
        return Err(ApiError::conflict(
            "uniqueness",
            format!("a role named {} already exists", request.display_name),
        )
        .scim());
    }
    let id = store.new_id();
    let location = format!("{}/scim2/v2/Roles/{id}", shared.tenant_url());
    let role = json!({
        "id": id,
        "displayName": request.display_name,
        "audience": request.audience,
        "permissions": request.permissions,
        "schemas": ["urn:ietf:params:scim:schemas:extension:2.0:Role"],
        "meta": { "location": location, "resourceType": "Role" },
    });
    store.roles.push(role.clone());
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(role),
    )
        .into_response())
}

async fn patch(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: Value = parse_body(&body, "role patch").map_err(ApiError::scim)?;
    let mut store = shared.store();
    let role = store
        .roles
        .iter_mut()
        .find(|r| r["id"] == id.as_str())
        .ok_or_else(|| not_found(&id))?;
    for op in request
        .get("Operations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(changes) = op.get("value").and_then(Value::as_object) {
            for (key, change) in changes
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "displayName" | "permissions"))
            {
                role[key] = change.clone();
            }
        }
    }
    Ok(Json(role.clone()))
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    let before = store.roles.len();
    store.roles.retain(|r| r["id"] != id.as_str());
    if store.roles.len() == before {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}

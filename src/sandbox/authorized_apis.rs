//! The APIs an application is authorized to call: list, authorize with scopes, revoke.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use bytes::Bytes;

use super::applications::not_found;
use super::error::{ApiError, ApiResult};
use super::store::AuthorizedApi;
use super::{AppState, parse_body};
use crate::api::applications::types;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/applications/{applicationId}/authorized-apis",
            get(list_authorized).post(authorize),
        )
        .route(
            "/applications/{applicationId}/authorized-apis/{apiId}",
            patch(change_scopes).delete(unauthorize),
        )
}

fn api_resource<'a>(
    store: &'a super::store::Store,
    id: &str,
) -> ApiResult<&'a super::store::ApiResource> {
    store.api_resource(id).ok_or_else(|| {
        ApiError::not_found("APP-60015", format!("no API resource with id {id} exists"))
    })
}

async fn list_authorized(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<types::AuthorizedApiResponse>>> {
    let store = shared.store();
    let app = store.app(&id).ok_or_else(|| not_found(&id))?;
    let out = app
        .authorized
        .iter()
        .filter_map(|auth| {
            let api = store.api_resource(&auth.api_id)?;
            Some(types::AuthorizedApiResponse {
                id: Some(api.id.clone()),
                identifier: Some(api.identifier.clone()),
                display_name: Some(api.name.clone()),
                policy_id: Some(auth.policy.clone()),
                type_: Some(api.kind.clone()),
                authorized_scopes: api
                    .scopes
                    .iter()
                    .filter(|s| auth.scopes.contains(&s.name))
                    .map(|s| types::AuthorizedScope {
                        id: Some(s.id.clone()),
                        name: Some(s.name.clone()),
                        display_name: Some(s.display_name.clone()),
                    })
                    .collect(),
                authorized_authorization_details_types: Vec::new(),
            })
        })
        .collect();
    Ok(Json(out))
}

async fn authorize(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let request: types::AuthorizedApiCreationModel = parse_body(&body, "authorized API")?;
    let api_id = request.id.clone().ok_or_else(|| {
        ApiError::bad_request("APP-60001", "`id` (the API resource id) is required")
    })?;
    let mut store = shared.store();
    store.app(&id).ok_or_else(|| not_found(&id))?;
    let api = api_resource(&store, &api_id)?;
    let unknown: Vec<&String> = request
        .scopes
        .iter()
        .filter(|s| !api.scopes.iter().any(|k| k.name == **s))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(
            "APP-60016",
            format!(
                "the API resource {} has no scope(s) {unknown:?}",
                api.identifier
            ),
        ));
    }
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    if app.authorized.iter().any(|a| a.api_id == api_id) {
        return Err(ApiError::conflict(
            "APP-60017",
            format!("the application is already authorized for API resource {api_id}"),
        ));
    }
    app.authorized.push(AuthorizedApi {
        api_id,
        policy: request.policy_identifier.unwrap_or_else(|| "RBAC".into()),
        scopes: request.scopes,
    });
    Ok(StatusCode::CREATED)
}

/// `addedScopes` and `removedScopes` of one authorization (scopes must be the API's).
async fn change_scopes(
    State(shared): State<AppState>,
    Path((id, api_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let request: types::AuthorizedApiPatchModel = parse_body(&body, "authorized API patch")?;
    let mut store = shared.store();
    store.app(&id).ok_or_else(|| not_found(&id))?;
    let api = api_resource(&store, &api_id)?;
    if let Some(unknown) = request
        .added_scopes
        .iter()
        .find(|s| !api.scopes.iter().any(|k| k.name == **s))
    {
        return Err(ApiError::bad_request(
            "APP-60016",
            format!("the API resource {} has no scope {unknown}", api.identifier),
        ));
    }
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    let auth = app
        .authorized
        .iter_mut()
        .find(|a| a.api_id == api_id)
        .ok_or_else(|| {
            ApiError::not_found(
                "APP-60015",
                format!("the application is not authorized for API resource {api_id}"),
            )
        })?;
    auth.scopes.retain(|s| !request.removed_scopes.contains(s));
    for scope in request.added_scopes {
        if !auth.scopes.contains(&scope) {
            auth.scopes.push(scope);
        }
    }
    Ok(StatusCode::OK)
}

async fn unauthorize(
    State(shared): State<AppState>,
    Path((id, api_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    let before = app.authorized.len();
    app.authorized.retain(|a| a.api_id != api_id);
    if app.authorized.len() == before {
        return Err(ApiError::not_found(
            "APP-60015",
            format!("the application is not authorized for API resource {api_id}"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

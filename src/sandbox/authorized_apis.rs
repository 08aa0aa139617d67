//! The APIs an application is authorized to call: list, authorize with scopes, revoke.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use bytes::Bytes;

use super::applications::not_found;
use super::auth::Granted;
use super::error::{ApiError, ApiResult};
use super::store::AuthorizedApi;
use super::{AppState, ServerVersion, parse_body};
use crate::api::applications::types;
use crate::api::{BUSINESS_API_AUTHORIZATION_SCOPE, INTERNAL_API_AUTHORIZATION_SCOPE};

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
    let org = &store.org;
    store.api_resource(id).ok_or_else(|| {
        ApiError::bad_request(
            "APP-60507",
            format!("API resource with id: {id} is not found in the tenant domain: {org}."),
        )
    })
}

/// From IS 7.2 changing an application's authorization for an API also needs the scope for the
/// API's type (SAMS 1841-1855; skipped under `ApplicationMgt.SkipEnforceAuthorizedAPIUpdatePermission`).
fn check_type_scope(
    shared: &AppState,
    granted: &Granted,
    api: &super::store::ApiResource,
) -> ApiResult<()> {
    if !shared.version.at_least(ServerVersion::Is7_2) {
        return Ok(());
    }
    let business = api.kind.starts_with("BUSINESS") || api.kind.starts_with("MCP");
    let needed = if business {
        BUSINESS_API_AUTHORIZATION_SCOPE
    } else {
        INTERNAL_API_AUTHORIZATION_SCOPE
    };
    if granted.has(needed) {
        Ok(())
    } else {
        Err(ApiError::forbidden_operation("APP-60520", "Forbidden"))
    }
}

/// `policyIdentifier`: blank is RBAC; otherwise RBAC or NO POLICY, any case, kept upper case
/// (SAMS `validatePolicy`).
fn policy(given: Option<&str>) -> ApiResult<String> {
    match given.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok("RBAC".into()),
        Some(p) if p.eq_ignore_ascii_case("RBAC") || p.eq_ignore_ascii_case("NO POLICY") => {
            Ok(p.to_ascii_uppercase())
        }
        Some(_) => Err(ApiError::bad_request(
            "APP-60511",
            "Invalid policy id value provided.",
        )),
    }
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

/// 200 without a body (`ApplicationsApiServiceImpl.addAuthorizedAPI`: `Response.ok().build()`),
/// after SAMS 1569-1624's checks in their order.
async fn authorize(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Extension(granted): Extension<Granted>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let request: types::AuthorizedApiCreationModel = parse_body(&body, "authorized API")?;
    let api_id = request.id.clone().unwrap_or_default();
    let mut store = shared.store();
    store.app(&id).ok_or_else(|| not_found(&id))?;
    if store
        .app(&id)
        .is_some_and(|app| app.authorized.iter().any(|a| a.api_id == api_id))
    {
        return Err(ApiError::conflict(
            "APP-60509",
            format!(
                "API resource with id: {api_id} is already authorized for the application with id: {id}."
            ),
        ));
    }
    let api = api_resource(&store, &api_id)?;
    check_type_scope(&shared, &granted, api)?;
    if request
        .scopes
        .iter()
        .any(|s| !api.scopes.iter().any(|k| k.name == *s))
    {
        return Err(ApiError::bad_request("APP-60508", "API scopes not found."));
    }
    let policy = policy(request.policy_identifier.as_deref())?;
    if api.requires_authorization && policy != "RBAC" {
        return Err(ApiError::bad_request(
            "APP-60512",
            format!(
                "Invalid policy type: {policy} provided for API resource: {api_id}, which requires authorization."
            ),
        ));
    }
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    app.authorized.push(AuthorizedApi {
        api_id,
        policy,
        scopes: request.scopes,
    });
    Ok(StatusCode::OK)
}

/// `addedScopes` and `removedScopes` of one authorization (scopes must be the API's).
/// 200 without a body (`patchAuthorizedAPI`); not authorized yet is a 400 (APP-60510).
async fn change_scopes(
    State(shared): State<AppState>,
    Path((id, api_id)): Path<(String, String)>,
    Extension(granted): Extension<Granted>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let request: types::AuthorizedApiPatchModel = parse_body(&body, "authorized API patch")?;
    let mut store = shared.store();
    store.app(&id).ok_or_else(|| not_found(&id))?;
    let api = api_resource(&store, &api_id)?;
    check_type_scope(&shared, &granted, api)?;
    if request
        .added_scopes
        .iter()
        .any(|s| !api.scopes.iter().any(|k| k.name == *s))
    {
        return Err(ApiError::bad_request("APP-60508", "API scopes not found."));
    }
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    let auth = app
        .authorized
        .iter_mut()
        .find(|a| a.api_id == api_id)
        .ok_or_else(|| {
            ApiError::bad_request(
                "APP-60510",
                "API resource not authorized for the application.",
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

/// 204, also when there was no such authorization: the REST layer does not look
/// (SAMS 1632-1655).
async fn unauthorize(
    State(shared): State<AppState>,
    Path((id, api_id)): Path<(String, String)>,
    Extension(granted): Extension<Granted>,
) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    if let Some(api) = store.api_resource(&api_id) {
        check_type_scope(&shared, &granted, api)?;
    }
    if let Some(app) = store.app_mut(&id) {
        app.authorized.retain(|a| a.api_id != api_id);
    }
    Ok(StatusCode::NO_CONTENT)
}

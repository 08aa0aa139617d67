//! SCIM2 roles v2: list (filter on `displayName`, `startIndex`/`count`; members included unless
//! `attributes`/`excludedAttributes` say otherwise), get, create (for the organization, with any
//! API-resource scope; for an application, only when the application takes application roles
//! and is authorized for each scope, as `DefaultRoleManagementListener.preAddRole` checks),
//! patch (name and permissions; users and groups added, or removed by `users[value eq "id"]`;
//! the answer leaves users out), delete (not a system role). Roles are kept as the JSON the API
//! serves.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::filter::ScimQuery;
use super::store::Store;
use super::{AppState, created, parse_body};
use crate::api::applications::types as app_types;
use crate::api::roles::types;
use crate::wso2::scim;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/Roles", get(list).post(create))
        .route("/v2/Roles/{id}", get(read).patch(patch).delete(remove))
}

fn not_found(_id: &str) -> ApiError {
    ApiError::scim_detail(
        StatusCode::NOT_FOUND,
        "Specified resource (e.g., User) or endpoint does not exist.",
    )
}

/// What `SCIMRoleManagerV2` maps a role-management client error to: 400 `invalidValue`, the
/// listener's words in `detail`.
fn invalid(detail: impl Into<String>) -> ApiError {
    scim_bad("invalidValue", detail)
}

fn scim_bad(scim_type: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(scim_type, detail).scim()
}

async fn list(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    // Users, groups and permissions are `returned: default`: in every item unless the client
    // names attributes (charon `ResourceManagerUtil`, `SCIMSchemaDefinitions`).
    let slim = query.contains_key("attributes") || query.contains_key("excludedAttributes");
    let query = ScimQuery::parse(&query)?;
    let store = shared.store();
    let matching: Vec<Value> = store
        .roles
        .iter()
        .filter(|r| query.matches(|a| (a == "displayName").then(|| r["displayName"].as_str()).flatten()))
        .map(|r| {
            if slim {
                json!({ "id": r["id"], "displayName": r["displayName"], "audience": r["audience"], "meta": r["meta"] })
            } else {
                r.clone()
            }
        })
        .collect();
    Ok(Json(query.answer(matching)))
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

/// `{value, display, $ref}` of an existing user or group.
fn member(store: &Store, tenant: &str, kind: &str, id: &str) -> ApiResult<Value> {
    let display = match kind {
        "users" => store
            .user(id)
            .and_then(|u| u.resource.user_name.clone())
            .map(|n| n.split_once('/').map_or(n.clone(), |(_, n)| n.to_owned())),
        _ => store
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.clone()),
    }
    .ok_or_else(|| {
        scim_bad(
            "invalidValue",
            format!("no {} with id {id}", &kind[..kind.len() - 1]),
        )
    })?;
    let resource = if kind == "users" { "Users" } else { "Groups" };
    Ok(
        json!({ "value": id, "display": display, "$ref": format!("{tenant}/scim2/{resource}/{id}") }),
    )
}

/// An organization role takes any scope of an API resource of the organization
/// (`RoleManagementServiceImpl.validatePermissionsForOrganization`); an application role only
/// scopes its application is authorized for (`DefaultRoleManagementListener`).
fn check_permissions(store: &Store, audience: &Value, permissions: &[String]) -> ApiResult<()> {
    if audience["type"] == "application" {
        let app_id = audience["value"].as_str().unwrap_or_default();
        let authorized = store.authorized_scopes(app_id);
        return match permissions.iter().find(|p| !authorized.contains(p)) {
            Some(p) => Err(invalid(format!(
                "Permission : {p} is not authorized for application with ID: {app_id}"
            ))),
            None => Ok(()),
        };
    }
    match permissions.iter().find(|p| !store.scope_exists(p)) {
        Some(unknown) => Err(invalid(format!("Permission: {unknown} not found"))),
        None => Ok(()),
    }
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let request: types::RoleCreationObjectV2 = parse_body(&body, "role").map_err(ApiError::scim)?;
    let mut store = shared.store();
    let name = request.display_name.trim().to_owned();
    if name.is_empty() {
        return Err(scim_bad("invalidValue", "displayName is required"));
    }
    let (audience_type, audience_id, audience_name) = match &request.audience {
        Some(a) if a.type_ == Some(types::RoleCreationObjectV2AudienceType::Application) => {
            let app_id = a.value.clone().unwrap_or_default();
            let org = store.org.clone();
            let app = store.app(&app_id).ok_or_else(|| {
                invalid(format!(
                    "Invalid audience. No application found with application id: {app_id} and tenant domain : {org}"
                ))
            })?;
            let takes_app_roles = app.model.associated_roles.as_ref().is_some_and(|r| {
                r.allowed_audience == app_types::AssociatedRolesConfigAllowedAudience::Application
            });
            if !takes_app_roles {
                return Err(invalid(format!(
                    "Application: {app_id} does not have Application role audience type"
                )));
            }
            ("application", app_id, app.model.name.clone())
        }
        _ => ("organization", store.org.clone(), store.org.clone()),
    };
    let audience = json!({ "type": audience_type, "value": audience_id, "display": audience_name });
    if store.roles.iter().any(|r| {
        r["displayName"] == name.as_str() && r["audience"]["value"] == audience_id.as_str()
    }) {
        // A `ConflictException(detail)`: no `scimType` (RoleDAOImpl.addRole).
        return Err(ApiError::scim_detail(
            StatusCode::CONFLICT,
            format!(
                "Role already exist for the role name: {name} audience: {audience_type} audienceId: {audience_id}"
            ),
        ));
    }
    let permissions: Vec<String> = request
        .permissions
        .iter()
        .filter_map(|p| p.value.clone())
        .collect();
    check_permissions(&store, &audience, &permissions)?;
    let id = store.new_id();
    let location = format!("{}/scim2/v2/Roles/{id}", shared.tenant_url());
    let role = json!({
        "id": id,
        "displayName": name,
        "audience": audience,
        "permissions": permissions.iter().map(|p| json!({ "value": p, "display": p })).collect::<Vec<_>>(),
        "users": [],
        "groups": [],
        "schemas": ["urn:ietf:params:scim:schemas:extension:2.0:Role"],
        "meta": { "location": location, "resourceType": "Role" },
    });
    store.roles.push(role.clone());
    // An application role is associated with its application in the same transaction
    // (`RoleDAOImpl.addRoleInfo`), and shows in its `associatedRoles.roles`.
    if audience_type == "application"
        && let Some(app) = store.app_mut(&audience_id)
        && let Some(roles) = app.model.associated_roles.as_mut()
    {
        roles.roles.push(app_types::Role {
            id: id.clone(),
            name: Some(name.clone()),
        });
    }
    // The answer carries the role's name, audience and meta only (`buildSCIMRoleResponse`).
    let answer = json!({
        "id": id,
        "displayName": role["displayName"],
        "audience": role["audience"],
        "schemas": role["schemas"],
        "meta": role["meta"],
    });
    Ok(created(location, answer))
}

async fn patch(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: types::PatchRoleOperationRequestObjectV2 =
        parse_body(&body, "role patch").map_err(ApiError::scim)?;
    let mut store = shared.store();
    let mut role = store
        .roles
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    let tenant = shared.tenant_url().to_owned();
    for op in &request.operations {
        let values: Vec<String> = op.value.iter().filter_map(|v| v.value.clone()).collect();
        match (op.op, op.path.as_deref()) {
            (Some(types::RolePatchOperationobjV2Op::Add), Some(kind @ ("users" | "groups"))) => {
                for value in &values {
                    let entry = member(&store, &tenant, kind, value)?;
                    let list = role[kind].as_array_mut();
                    match list {
                        Some(list) if !list.iter().any(|m| m["value"] == value.as_str()) => {
                            list.push(entry);
                        }
                        Some(_) => {}
                        None => role[kind] = json!([entry]),
                    }
                }
            }
            (
                Some(
                    types::RolePatchOperationobjV2Op::Add
                    | types::RolePatchOperationobjV2Op::Replace,
                ),
                Some("permissions"),
            ) => {
                check_permissions(&store, &role["audience"], &values)?;
                let mut permissions: Vec<Value> =
                    if op.op == Some(types::RolePatchOperationobjV2Op::Add) {
                        role["permissions"].as_array().cloned().unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                for value in values {
                    if !permissions.iter().any(|p| p["value"] == value.as_str()) {
                        permissions.push(json!({ "value": value, "display": value }));
                    }
                }
                role["permissions"] = Value::Array(permissions);
            }
            (Some(types::RolePatchOperationobjV2Op::Remove), Some(path)) => {
                let (kind, target) = scim::parse_value_path(path).ok_or_else(|| {
                    scim_bad("invalidPath", format!("cannot read the path `{path}`"))
                })?;
                if !matches!(kind.as_str(), "users" | "groups" | "permissions") {
                    return Err(scim_bad("invalidPath", format!("cannot remove `{kind}`")));
                }
                if let Some(list) = role[kind.as_str()].as_array_mut() {
                    list.retain(|m| m["value"] != target.as_str());
                }
            }
            (Some(types::RolePatchOperationobjV2Op::Replace), Some("displayName")) => {
                return Err(scim_bad(
                    "mutability",
                    "the sandbox renames roles only through the value form",
                ));
            }
            (Some(types::RolePatchOperationobjV2Op::Replace), None) => {
                // `{"op": "replace", "value": {...}}` form, which carries no typed value here.
                return Err(scim_bad("noTarget", "a replace operation needs a path"));
            }
            (_, path) => {
                return Err(scim_bad(
                    "invalidPath",
                    format!("unsupported operation on {}", path.unwrap_or("the role")),
                ));
            }
        }
    }
    if let Some(stored) = store.roles.iter_mut().find(|r| r["id"] == id.as_str()) {
        *stored = role.clone();
    }
    // The answer is the role read without its users (`SCIMRoleManagerV2.patchRole`).
    if let Some(map) = role.as_object_mut() {
        map.remove("users");
    }
    Ok(Json(role))
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    let role = store
        .roles
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    if role["meta"]["systemRole"] == true {
        // RMA-60009, thrown as a one-argument `BadRequestException` (SCIMRoleManagerV2:379-398).
        return Err(ApiError::scim_message(
            StatusCode::BAD_REQUEST,
            format!(
                "Invalid operation. Role: {} Cannot be deleted since it's a read only system role.",
                role["displayName"].as_str().unwrap_or_default()
            ),
        ));
    }
    store.roles.retain(|r| r["id"] != id.as_str());
    // An application role leaves its application's associated roles.
    for app in &mut store.apps {
        if let Some(roles) = app.model.associated_roles.as_mut() {
            roles.roles.retain(|r| r.id != id);
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

//! SCIM2 Groups: list (filter on `displayName`, `startIndex`/`count`), get, create with
//! members, patch (add members; remove them by `members[value eq "id"]`; replace the name),
//! delete. Members must be existing users.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::filter::ScimQuery;
use super::store::{Group, Store};
use super::{AppState, created, parse_body};
use crate::api::groups::types;
use crate::wso2::scim;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/Groups", get(list).post(create))
        .route("/Groups/{id}", get(read).patch(patch).delete(remove))
}

fn scim_bad(scim_type: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(scim_type, detail).scim()
}

fn not_found(_id: &str) -> ApiError {
    ApiError::scim_detail(StatusCode::NOT_FOUND, "Group not found in the user store.")
}

fn response(group: &Group, tenant: &str) -> types::GroupResponseObject {
    types::GroupResponseObject {
        id: Some(group.id.clone()),
        display_name: Some(group.name.clone()),
        members: group
            .members
            .iter()
            .map(|(id, name)| types::GroupResponseObjectMembersItem {
                value: Some(id.clone()),
                display: Some(name.clone()),
                ref_: Some(format!("{tenant}/scim2/Users/{id}")),
            })
            .collect(),
        meta: Some(types::GroupResponseObjectMeta {
            location: Some(format!("{tenant}/scim2/Groups/{}", group.id)),
            resource_type: Some("Group".into()),
            ..Default::default()
        }),
        roles: Vec::new(),
        schemas: vec![scim::GROUP_SCHEMA.to_owned()],
    }
}

/// (id, username) of an existing user, or a 400 naming the one that does not exist.
fn member(store: &Store, id: &str) -> ApiResult<(String, String)> {
    let user = store
        .user(id)
        .ok_or_else(|| scim_bad("invalidValue", format!("no user with id {id}")))?;
    let name = user
        .resource
        .user_name
        .as_deref()
        .map(|n| n.split_once('/').map_or(n, |(_, n)| n).to_owned())
        .unwrap_or_default();
    Ok((id.to_owned(), name))
}

async fn list(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let query = ScimQuery::parse(&query)?;
    let store = shared.store();
    let matching: Vec<types::GroupResponseObject> = store
        .groups
        .iter()
        .filter(|g| query.matches(|a| (a == "displayName").then_some(g.name.as_str())))
        .map(|g| response(g, shared.tenant_url()))
        .collect();
    Ok(Json(query.answer(matching)))
}

async fn read(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::GroupResponseObject>> {
    let store = shared.store();
    let group = store
        .groups
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(response(group, shared.tenant_url())))
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let request: types::GroupRequestObject = parse_body(&body, "group").map_err(ApiError::scim)?;
    let name = request.display_name.trim().to_owned();
    if name.is_empty() {
        return Err(scim_bad("invalidValue", "displayName is required"));
    }
    let mut store = shared.store();
    if store
        .groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(&name))
    {
        // A `ConflictException(detail)`: no `scimType` (SCIMUserManager.createGroup).
        return Err(ApiError::scim_detail(
            StatusCode::CONFLICT,
            format!("Group with name: {name} already exists in the system."),
        ));
    }
    let mut members: Vec<(String, String)> = Vec::new();
    for m in &request.members {
        let id = m.value.as_deref().unwrap_or_default();
        let found = member(&store, id)?;
        if !members.contains(&found) {
            members.push(found);
        }
    }
    let group = Group {
        id: store.new_id(),
        name,
        members,
    };
    let tenant = shared.tenant_url().to_owned();
    let body = response(&group, &tenant);
    let location = format!("{tenant}/scim2/Groups/{}", group.id);
    store.groups.push(group);
    Ok(created(location, body))
}

/// An added member needs `value` and `display`, and `display` must be the user's username
/// (`GroupResourceManager` 940-946: a member without `display` is a one-argument
/// `BadRequestException(invalidSyntax)`; `SCIMUserManager` 3959-3996 for the name check).
fn added_member(
    store: &Store,
    value: Option<&str>,
    display: Option<&str>,
) -> ApiResult<(String, String)> {
    let Some(display) = display.filter(|d| !d.is_empty()) else {
        return Err(ApiError::scim_message(
            StatusCode::BAD_REQUEST,
            "invalidSyntax",
        ));
    };
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(ApiError::scim_message(
            StatusCode::BAD_REQUEST,
            "invalidValue",
        ));
    };
    let found = member(store, value)?;
    let plain = display.split_once('/').map_or(display, |(_, n)| n);
    if !plain.eq_ignore_ascii_case(&found.1) {
        return Err(scim_bad(
            "invalidValue",
            format!(
                "Provided SCIM user Id: {value} doesn't match with the userID obtained from user-store for the provided username."
            ),
        ));
    }
    Ok(found)
}

async fn patch(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let request: types::PatchGroupOperationRequestObject =
        parse_body(&body, "group patch").map_err(ApiError::scim)?;
    let mut store = shared.store();
    let mut group = store
        .groups
        .iter()
        .find(|g| g.id == id)
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    for op in &request.operations {
        match (op.op, op.path.as_deref()) {
            (Some(types::GroupItemObjOp::Add), _) => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| scim_bad("invalidValue", "an add operation needs a value"))?;
                for m in &value.members {
                    let found = added_member(&store, m.value.as_deref(), m.display.as_deref())?;
                    if !group.members.contains(&found) {
                        group.members.push(found);
                    }
                }
            }
            (Some(types::GroupItemObjOp::Remove), Some(path)) => {
                let (attribute, target) = scim::parse_value_path(path).ok_or_else(|| {
                    scim_bad("invalidPath", format!("cannot read the path `{path}`"))
                })?;
                if attribute != "members" {
                    return Err(scim_bad(
                        "invalidSyntax",
                        format!("{attribute} is not a valid attribute."),
                    ));
                }
                // A user id that does not exist cannot be resolved (`SCIMUserManager`
                // 4071-4078): 400 with the generic detail.
                if store.user(&target).is_none() {
                    return Err(ApiError::scim_message(
                        StatusCode::BAD_REQUEST,
                        "invalidValue",
                    ));
                }
                group.members.retain(|(member, _)| *member != target);
            }
            (Some(types::GroupItemObjOp::Remove), None) => {
                return Err(scim_bad(
                    "noTarget",
                    "No path value specified for remove operation",
                ));
            }
            (Some(types::GroupItemObjOp::Replace), _) => {
                return Err(scim_bad(
                    "mutability",
                    "the sandbox replaces no group attribute; add or remove members instead",
                ));
            }
            (None, _) => return Err(scim_bad("invalidSyntax", "an operation needs `op`")),
        }
    }
    let body = response(&group, shared.tenant_url());
    if let Some(stored) = store.groups.iter_mut().find(|g| g.id == id) {
        *stored = group;
    }
    // `SCIM2.ReturnUpdatedGroupInPatchResponse` false: 204 without a body
    // (GroupResource 490-517, GroupResourceManager:1000).
    if !shared.group_patch_returns_group {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let location = format!("{}/scim2/Groups/{id}", shared.tenant_url());
    Ok((
        StatusCode::OK,
        [(axum::http::header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    let before = store.groups.len();
    store.groups.retain(|g| g.id != id);
    if store.groups.len() == before {
        return Err(not_found(&id));
    }
    // A deleted group loses its roles.
    for role in &mut store.roles {
        if let Some(groups) = role.get_mut("groups").and_then(Value::as_array_mut) {
            groups.retain(|g| g["value"] != id.as_str());
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

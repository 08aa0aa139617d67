//! SCIM2 users: list (filter, `startIndex`/`count`), get, create (with a password, or WSO2's
//! invite flow `askPassword`), patch, delete. Passwords are checked, never stored or served.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::store::{Store, User};
use super::{AppState, parse_body};
use crate::api::users::types;
use crate::wso2::scim;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/Users", get(list).post(create))
        .route("/Users/{id}", get(read).patch(patch).delete(remove))
}

fn scim_error(status: StatusCode, scim_type: &'static str, detail: impl Into<String>) -> ApiError {
    let mut err = match status {
        StatusCode::NOT_FOUND => ApiError::not_found(scim_type, detail),
        StatusCode::CONFLICT => ApiError::conflict(scim_type, detail),
        _ => ApiError::bad_request(scim_type, detail),
    };
    err.scim = true;
    err
}

fn not_found(_id: &str) -> ApiError {
    ApiError::scim_detail(StatusCode::NOT_FOUND, "User not found in the user store.")
}

/// The seeded user's password: the sandbox is a local development organization, and its login
/// form needs someone to sign in as. Printed by `asgardeo-mcp sandbox`.
pub const SEEDED_PASSWORD: &str = "Sandbox-Admin-1";
/// The seeded user's name, as typed into the login form (`DEFAULT/` is the user store).
pub const SEEDED_USER: &str = "admin@sandbox.test";

pub fn seeded_admin(store: &mut Store) -> User {
    let id = store.new_id();
    let resource = resource(
        &id,
        &store.org,
        "DEFAULT/admin@sandbox.test",
        Some(("Sandbox", "Admin")),
        &["admin@sandbox.test"],
    );
    User {
        resource,
        has_password: true,
        pending_invite: false,
        // A group made in the old console has no SCIM id: real servers answer it by name.
        legacy_groups: vec!["Internal/console-admins".to_owned()],
        password_digest: Some(User::digest(&id, SEEDED_PASSWORD)),
    }
}

fn resource(
    id: &str,
    org: &str,
    user_name: &str,
    name: Option<(&str, &str)>,
    emails: &[&str],
) -> types::UserResponseObject {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    types::UserResponseObject {
        id: Some(id.to_owned()),
        user_name: Some(user_name.to_owned()),
        schemas: vec![USER_SCHEMA.to_owned()],
        name: name.map(|(given, family)| types::UserResponseObjectName {
            given_name: Some(given.to_owned()),
            family_name: Some(family.to_owned()),
        }),
        // An email without a type comes back as a plain string, as Asgardeo answers it (the
        // document says objects; see the table in the module docs of `sandbox`).
        emails: emails.iter().map(|e| Value::from(*e)).collect(),
        meta: Some(types::UserResponseObjectMeta {
            created: Some(now.clone()),
            last_modified: Some(now),
            location: Some(format!("/t/{org}/scim2/Users/{id}")),
            resource_type: Some("User".to_owned()),
        }),
        roles: Vec::new(),
        groups: Vec::new(),
        urn_ietf_params_scim_schemas_extension_enterprise_2_0_user: None,
    }
}

/// `DEFAULT/kim` and `kim` are the same user in the default user store.
fn plain_name(name: &str) -> &str {
    name.split_once('/').map_or(name, |(_, n)| n)
}

/// A `DOMAIN/` prefix must name a secondary user store the server has; none (or the primary's
/// own name) is the primary store (`SCIMUserManager.createUser`, `isSCIMEnabled`: a one-argument
/// `BadRequestException`, so the words land in `scimType`).
fn check_user_store(store: &Store, user_name: &str) -> ApiResult<()> {
    let Some((domain, _)) = user_name.split_once('/') else {
        return Ok(());
    };
    let domain = domain.to_ascii_uppercase();
    if domain == "PRIMARY" || store.user_stores.contains(&domain) {
        Ok(())
    } else {
        Err(ApiError::scim_message(
            StatusCode::BAD_REQUEST,
            "Invalid user store name.",
        ))
    }
}

async fn list(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<types::UserObjectListResponseObject>> {
    let number = |key: &str, default: usize| -> ApiResult<usize> {
        query.get(key).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                scim_error(
                    StatusCode::BAD_REQUEST,
                    "invalidValue",
                    format!("`{key}` must be a non-negative integer"),
                )
            })
        })
    };
    let start = number("startIndex", 1)?.max(1);
    let count = number("count", 100)?;
    let clauses = query
        .get("filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            scim::parse_filter(f)
                .map_err(|e| scim_error(StatusCode::BAD_REQUEST, "invalidFilter", e))
        })
        .transpose()?
        .unwrap_or_default();
    let store = shared.store();
    let matching: Vec<&User> = store
        .users
        .iter()
        .filter(|u| {
            clauses.iter().all(|c| {
                let user_name = u.resource.user_name.as_deref().map(plain_name);
                match c.attribute.as_str() {
                    "userName" | "username" => user_name.is_some_and(|n| c.matches(n)),
                    "id" => u.resource.id.as_deref().is_some_and(|i| c.matches(i)),
                    "emails" => u.resource.emails.iter().any(|e| {
                        e.as_str()
                            .or_else(|| e.get("value").and_then(Value::as_str))
                            .is_some_and(|v| c.matches(v))
                    }),
                    _ => false,
                }
            })
        })
        .collect();
    let page: Vec<types::UserResponseObject> = matching
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|u| with_memberships(&store, u, shared.tenant_url()))
        .collect();
    Ok(Json(types::UserObjectListResponseObject {
        total_results: Some(matching.len() as i64),
        start_index: Some(start as i64),
        items_per_page: Some(page.len() as i64),
        schemas: vec![LIST_SCHEMA.to_owned()],
        resources: page,
    }))
}

async fn read(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::UserResponseObject>> {
    let store = shared.store();
    store
        .user(&id)
        .map(|u| Json(with_memberships(&store, u, shared.tenant_url())))
        .ok_or_else(|| not_found(&id))
}

/// The user as served: with the groups they are in and the roles they hold directly.
fn with_memberships(store: &Store, user: &User, tenant: &str) -> types::UserResponseObject {
    let mut resource = user.resource.clone();
    let id = resource.id.clone().unwrap_or_default();
    resource.groups = store
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|(m, _)| *m == id))
        .map(|g| serde_json::json!({ "value": g.id, "display": g.name, "$ref": format!("{tenant}/scim2/Groups/{}", g.id) }))
        .collect();
    // Groups the user store knows without a SCIM id (roles made in the old console, LDAP
    // groups without a SCIM row) come by name alone (`User.setGroup` sets only what is there).
    resource.groups.extend(
        user.legacy_groups
            .iter()
            .map(|name| serde_json::json!({ "display": name })),
    );
    resource.roles = store
        .roles
        .iter()
        .filter(|r| {
            r["users"]
                .as_array()
                .is_some_and(|users| users.iter().any(|u| u["value"] == id.as_str()))
        })
        .filter_map(|r| {
            serde_json::json!({ "value": r["id"], "display": r["displayName"], "type": "direct" })
                .as_object()
                .cloned()
        })
        .collect();
    resource
}

/// Asgardeo's default policy: 8 to 64 characters with an upper-case letter, a lower-case
/// letter and a digit.
fn check_password(password: &str) -> ApiResult<()> {
    let ok = (8..=64).contains(&password.chars().count())
        && password.chars().any(|c| c.is_ascii_uppercase())
        && password.chars().any(|c| c.is_ascii_lowercase())
        && password.chars().any(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(scim_error(
            StatusCode::BAD_REQUEST,
            "invalidValue",
            "The password does not meet the policy: 8 to 64 characters with an upper-case letter, a lower-case letter and a digit",
        ))
    }
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let request: types::UserObject = parse_body(&body, "user").map_err(ApiError::scim)?;
    let user_name = request
        .user_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            scim_error(
                StatusCode::BAD_REQUEST,
                "invalidValue",
                "`userName` is required",
            )
        })?;
    let invite = request
        .urn_scim_wso2_schema
        .as_ref()
        .and_then(|s| s.ask_password)
        == Some(true);
    let emails: Vec<String> = request
        .emails
        .iter()
        .filter_map(|e| e.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect();
    match (&request.password, invite) {
        (Some(_), true) => {
            return Err(scim_error(
                StatusCode::BAD_REQUEST,
                "invalidValue",
                "send either a password or askPassword, not both",
            ));
        }
        (None, false) => {
            return Err(scim_error(
                StatusCode::BAD_REQUEST,
                "invalidValue",
                "a password is required unless askPassword invites the user to set one",
            ));
        }
        (None, true) if emails.is_empty() => {
            return Err(scim_error(
                StatusCode::BAD_REQUEST,
                "invalidValue",
                "askPassword needs an email address to send the invitation to",
            ));
        }
        (Some(password), false) => check_password(password)?,
        (None, true) => {}
    }
    let mut store = shared.store();
    check_user_store(&store, &user_name)?;
    if store.users.iter().any(|u| {
        u.resource
            .user_name
            .as_deref()
            .map(plain_name)
            .is_some_and(|n| n.eq_ignore_ascii_case(plain_name(&user_name)))
    }) {
        // A `ConflictException(detail)`: no `scimType` (SCIMUserManager.createUser).
        return Err(ApiError::scim_detail(
            StatusCode::CONFLICT,
            format!(
                "User with the name: {} already exists in the system.",
                plain_name(&user_name)
            ),
        ));
    }
    let id = store.new_id();
    let name = request.name.as_ref().map(|n| {
        (
            n.given_name.clone().unwrap_or_default(),
            n.family_name.clone().unwrap_or_default(),
        )
    });
    let email_refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let created = resource(
        &id,
        &store.org.clone(),
        &user_name,
        name.as_ref().map(|(g, f)| (g.as_str(), f.as_str())),
        &email_refs,
    );
    store.users.push(User {
        resource: created.clone(),
        has_password: request.password.is_some(),
        pending_invite: invite,
        legacy_groups: Vec::new(),
        password_digest: request
            .password
            .as_deref()
            .map(|p| User::digest(created.id.as_deref().unwrap_or_default(), p)),
    });
    let location = created
        .meta
        .as_ref()
        .and_then(|m| m.location.clone())
        .unwrap_or_default();
    Ok(super::created(location, created))
}

async fn patch(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<types::UserResponseObject>> {
    let _: types::PatchOpperationInput = parse_body(&body, "SCIM patch").map_err(ApiError::scim)?;
    let raw: Value = parse_body(&body, "SCIM patch").map_err(ApiError::scim)?;
    let mut store = shared.store();
    let user = store
        .users
        .iter_mut()
        .find(|u| u.resource.id.as_deref() == Some(id.as_str()))
        .ok_or_else(|| not_found(&id))?;
    let mut value = serde_json::to_value(&user.resource).unwrap_or_default();
    for op in raw
        .get("Operations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(changes) = op.get("value").and_then(Value::as_object) else {
            continue;
        };
        for (key, change) in changes {
            if matches!(key.as_str(), "id" | "meta" | "schemas" | "password") {
                continue;
            }
            match kind.as_str() {
                // A complex attribute's sub-attributes merge; others are replaced (RFC 7644
                // §3.5.2.3: sub-attributes not given are left unchanged).
                "add" | "replace" if change.is_object() && value[key].is_object() => {
                    if let (Some(into), Some(from)) =
                        (value[key].as_object_mut(), change.as_object())
                    {
                        for (k, v) in from {
                            into.insert(k.clone(), v.clone());
                        }
                    }
                }
                "add" | "replace" => {
                    value[key] = change.clone();
                }
                "remove" => {
                    if let Some(map) = value.as_object_mut() {
                        map.remove(key);
                    }
                }
                other => {
                    return Err(scim_error(
                        StatusCode::BAD_REQUEST,
                        "invalidSyntax",
                        format!("unknown patch op `{other}`"),
                    ));
                }
            }
        }
    }
    let updated: types::UserResponseObject = serde_json::from_value(value)
        .map_err(|e| scim_error(StatusCode::BAD_REQUEST, "invalidValue", e.to_string()))?;
    user.resource = updated.clone();
    Ok(Json(updated))
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    let before = store.users.len();
    store
        .users
        .retain(|u| u.resource.id.as_deref() != Some(id.as_str()));
    if store.users.len() == before {
        return Err(not_found(&id));
    }
    // A deleted user leaves their groups and roles.
    for group in &mut store.groups {
        group.members.retain(|(member, _)| *member != id);
    }
    for role in &mut store.roles {
        if let Some(users) = role.get_mut("users").and_then(Value::as_array_mut) {
            users.retain(|u| u["value"] != id.as_str());
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /sandbox/users/{id}`: how the user's password was set, which SCIM does not show.
pub async fn credential_state(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    let user = store
        .users
        .iter()
        .find(|u| u.resource.id.as_deref() == Some(id.as_str()))
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(
        serde_json::json!({ "has_password": user.has_password, "pending_invite": user.pending_invite }),
    ))
}

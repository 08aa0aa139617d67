//! What the React SDK reads after sign-in: the signed-in user (`/scim2/Me`), the user schema
//! (`/scim2/Schemas`), and the organization's branding (`/api/server/v1/branding-preference/
//! resolve`; none is configured in the sandbox, so 404 `BPM-60002` as the server answers then:
//! identity-api-server `BrandingPreferenceManagementConstants`), and the user's
//! sub-organizations (none: the sandbox is a root organization).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::grants::bearer_user;
use crate::sandbox::AppState;
use crate::sandbox::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/scim2/Me", get(me))
        .route("/scim2/Schemas", get(schemas))
        .route("/api/server/v1/branding-preference/resolve", get(branding))
        .route("/api/users/v1/me/organizations", get(my_organizations))
}

/// `GET /api/users/v1/me/organizations`: the sub-organizations the user belongs to; the
/// sandbox is a root organization without any.
async fn my_organizations(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    if bearer_user(&shared.store(), &headers).is_none() {
        return ApiError::unauthorized("a signed-in user's access token is required")
            .into_response();
    }
    axum::Json(json!({ "organizations": [] })).into_response()
}

fn scim_json(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/scim+json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /scim2/Me`: the token's user, with `internal_login` (the SDKs ask for it).
async fn me(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    let store = shared.store();
    let Some((user, _, scopes)) = bearer_user(&store, &headers) else {
        return ApiError::unauthorized("a signed-in user's access token is required")
            .scim()
            .into_response();
    };
    if !scopes.iter().any(|s| s == "internal_login") {
        return ApiError::forbidden("the token lacks the scope internal_login")
            .scim()
            .into_response();
    }
    match store.user(&user) {
        Some(u) => scim_json(serde_json::to_value(&u.resource).unwrap_or_default()),
        None => ApiError::not_found("SCIM-404", "the user no longer exists")
            .scim()
            .into_response(),
    }
}

fn attribute(name: &str, sub: &[&str]) -> Value {
    let mut a = json!({
        "name": name, "type": if sub.is_empty() { "string" } else { "complex" },
        "multiValued": name == "emails", "required": name == "userName", "mutability": "readWrite",
        "returned": "default", "uniqueness": if name == "userName" { "server" } else { "none" },
        "caseExact": false, "displayName": name,
    });
    if !sub.is_empty() {
        a["subAttributes"] = sub
            .iter()
            .map(|s| json!({ "name": s, "type": "string", "multiValued": false, "mutability": "readWrite", "returned": "default", "caseExact": false, "displayName": s }))
            .collect();
    }
    a
}

/// `GET /scim2/Schemas`: the core user schema's attributes the sandbox keeps (RFC 7643 §7).
async fn schemas(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    if bearer_user(&shared.store(), &headers).is_none() {
        return ApiError::unauthorized("a signed-in user's access token is required")
            .scim()
            .into_response();
    }
    scim_json(json!([{
        "id": "urn:ietf:params:scim:schemas:core:2.0:User",
        "name": "User",
        "description": "User Account",
        "attributes": [
            attribute("userName", &[]),
            attribute("name", &["givenName", "familyName"]),
            attribute("emails", &[]),
        ],
    }]))
}

async fn branding(State(shared): State<AppState>) -> Response {
    let org = shared.store().org.clone();
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({
            "code": "BPM-60002",
            "message": "Branding preferences are not configured.",
            "description": format!("Branding preferences are not configured for organization: {org}."),
        })),
    )
        .into_response()
}

//! An application's inbound OIDC configuration: read (older servers' shape on request; from IS
//! 7.2 without the secret unless the token may see it), replace with PUT (no partial update;
//! the client id must be the stored one, and so must the secret, which IS 7.2 keeps when it is
//! left out), regenerate the secret; and how a new client is provisioned and checked.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::Value;

use super::applications::not_found;
use super::auth::Granted;
use super::error::{ApiError, ApiResult};
use super::store::Store;
use super::{AppState, ServerVersion, parse_body};
use crate::api::CLIENT_SECRET_VIEW_SCOPE;
use crate::api::applications::types;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/applications/{applicationId}/inbound-protocols/oidc",
            get(read_oidc).put(update_oidc),
        )
        .route(
            "/applications/{applicationId}/inbound-protocols/oidc/regenerate-secret",
            post(regenerate_secret),
        )
}

fn no_oidc(id: &str) -> ApiError {
    ApiError::not_found(
        "APP-60006",
        format!("application {id} has no OIDC configuration"),
    )
}

/// Fills in the client id (unless given) and, for confidential clients, a secret.
pub(super) fn provision_client(
    store: &mut Store,
    mut oidc: types::OpenIdConnectConfiguration,
) -> types::OpenIdConnectConfiguration {
    if oidc
        .client_id
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
    {
        oidc.client_id = Some(store.new_opaque(28));
    }
    oidc.client_secret = if oidc.public_client {
        None
    } else {
        Some(store.new_opaque(40))
    };
    oidc.state = types::OpenIdConnectConfigurationState::Active;
    oidc
}

pub(super) fn validate_oidc(oidc: &types::OpenIdConnectConfiguration) -> ApiResult<()> {
    if oidc.grant_types.is_empty() {
        return Err(ApiError::bad_request(
            "OAUTH-60001",
            "at least one grant type is required",
        ));
    }
    let redirecting = oidc
        .grant_types
        .iter()
        .any(|g| g == "authorization_code" || g == "implicit");
    if redirecting && oidc.callback_ur_ls.iter().all(|u| u.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "OAUTH-60001",
            "Callback URL is mandatory for the authorization_code and implicit grant types",
        ));
    }
    if oidc.public_client && oidc.grant_types.iter().any(|g| g == "client_credentials") {
        return Err(ApiError::bad_request(
            "OAUTH-60001",
            "a public client cannot use the client_credentials grant",
        ));
    }
    Ok(())
}

async fn read_oidc(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Extension(granted): Extension<Granted>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    let app = store.app(&id).ok_or_else(|| not_found(&id))?;
    let mut oidc = app.oidc.clone().ok_or_else(|| no_oidc(&id))?;
    // IS 7.2 leaves the secret out, answering 200, without the view scope
    // (`OAuthInboundFunctions.removeClientSecretIfUnauthorized`).
    if shared.version.at_least(ServerVersion::Is7_2) && !granted.has(CLIENT_SECRET_VIEW_SCOPE) {
        oidc.client_secret = None;
    }
    let mut value = serde_json::to_value(oidc).unwrap_or_default();
    if shared.legacy_token_binding
        && let Some(map) = value.as_object_mut()
    {
        // Older servers: the binding at the top level, none in `accessToken`.
        let binding = map
            .get_mut("accessToken")
            .and_then(Value::as_object_mut)
            .and_then(|a| a.remove("bindingType"));
        if let Some(binding) = binding {
            map.insert("accessTokenBindingType".into(), binding);
        }
    }
    Ok(Json(value))
}

async fn update_oidc(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<types::OpenIdConnectConfiguration>> {
    let mut incoming: types::OpenIdConnectConfiguration = parse_body(&body, "OIDC configuration")?;
    validate_oidc(&incoming)?;
    let mut store = shared.store();
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    let current = app.oidc.clone();
    if let Some(current) = &current {
        check_credentials(current, &incoming, &id, shared.version)?;
    }
    // The client id and secret are not replaced by a PUT; a public client has no secret.
    incoming.client_id = current
        .as_ref()
        .and_then(|c| c.client_id.clone())
        .or(incoming.client_id);
    incoming.client_secret = if incoming.public_client {
        None
    } else {
        current.as_ref().and_then(|c| c.client_secret.clone())
    };
    incoming.state = types::OpenIdConnectConfigurationState::Active;
    let needs_secret = !incoming.public_client && incoming.client_secret.is_none();
    app.oidc = Some(incoming);
    if needs_secret {
        let secret = store.new_opaque(40);
        if let Some(oidc) = store.app_mut(&id).and_then(|a| a.oidc.as_mut()) {
            oidc.client_secret = Some(secret);
        }
    }
    let app = store.app(&id).ok_or_else(|| not_found(&id))?;
    app.oidc.clone().map(Json).ok_or_else(|| not_found(&id))
}

/// The client id must be the stored one; so must the secret, except that IS 7.2 keeps the
/// stored secret when the body leaves it out (oauth `OauthInboundAuthConfigHandler` 150-156,
/// commit 1213b64b10; IS 7.0 checked in the REST layer, `OAuthInboundFunctions` 79-97, and 7.1
/// in the handler, refusing an absent secret). An empty string is never the stored secret.
fn check_credentials(
    current: &types::OpenIdConnectConfiguration,
    incoming: &types::OpenIdConnectConfiguration,
    id: &str,
    version: ServerVersion,
) -> ApiResult<()> {
    let refuse = |what: &str| {
        let message = if version == ServerVersion::Is7_0 {
            "Invalid Request."
        } else {
            "Error updating application"
        };
        Err(ApiError::with_status(
            StatusCode::BAD_REQUEST,
            "APP-60001",
            message,
            format!("Invalid {what} provided for update. (application {id})"),
        ))
    };
    if incoming.client_id != current.client_id {
        return refuse("ClientID");
    }
    let kept = version.at_least(ServerVersion::Is7_2) && incoming.client_secret.is_none();
    if !kept && incoming.client_secret != current.client_secret {
        return refuse("ClientSecret");
    }
    Ok(())
}

async fn regenerate_secret(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::OpenIdConnectConfiguration>> {
    let mut store = shared.store();
    let secret = store.new_opaque(40);
    let app = store.app_mut(&id).ok_or_else(|| not_found(&id))?;
    let oidc = app.oidc.as_mut().ok_or_else(|| no_oidc(&id))?;
    if oidc.public_client {
        return Err(ApiError::bad_request(
            "OAUTH-60001",
            "a public client has no secret to regenerate",
        ));
    }
    oidc.client_secret = Some(secret.clone());
    let answer = oidc.clone();
    // The old secret stops working at once, for the token endpoint too.
    if let Some(client_id) = &answer.client_id {
        for client in store
            .clients
            .iter_mut()
            .filter(|c| c.client_id == *client_id)
        {
            client.client_secret = secret.clone();
        }
    }
    Ok(Json(answer))
}

//! `POST /oauth2/token`: the client-credentials grant with HTTP Basic client authentication.
//! The token carries the requested scopes that the client is allowed (all allowed ones when
//! none are requested), and the response's `scope` lists them, as the real one does.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use super::AppState;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    scope: Option<String>,
}

pub async fn issue(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if let Ok(fields) =
        serde_urlencoded::from_bytes::<std::collections::HashMap<String, String>>(&body)
        && let Some(response) = super::provider::token_grant(&shared, &headers, &fields)
    {
        shared
            .stats
            .token_requested(fields.get("scope").map_or("", String::as_str));
        return response;
    }
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        shared.stats.token_requested("");
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not a form",
        );
    };
    shared
        .stats
        .token_requested(form.scope.as_deref().unwrap_or_default());
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "the sandbox supports authorization_code, refresh_token and client_credentials",
        );
    }
    let Some((id, secret)) = basic_credentials(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed: no HTTP Basic credentials",
        );
    };
    let mut store = shared.store();
    let Some(client) = store
        .clients
        .iter()
        .find(|c| c.client_id == id && c.client_secret == secret)
        .cloned()
        .or_else(|| application_client(&store, &id, &secret))
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "A valid OAuth client could not be found for client_id",
        );
    };
    let requested: BTreeSet<String> = form
        .scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let granted: BTreeSet<String> = if requested.is_empty() {
        client.allowed_scopes.clone()
    } else {
        requested
            .intersection(&client.allowed_scopes)
            .cloned()
            .collect()
    };
    let scope = granted.iter().cloned().collect::<Vec<_>>().join(" ");
    let (token, lifetime) = store.issue_token(granted);
    let mut response = Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "scope": scope,
    }))
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// An application's own OAuth client (an M2M app created through the tools), allowed the
/// scopes of the APIs it is authorized for. Its current secret is the only one that works: a
/// regenerated secret replaces the old one at once.
fn application_client(
    store: &super::store::Store,
    id: &str,
    secret: &str,
) -> Option<super::store::TokenClient> {
    let app = store.apps.iter().find(|a| {
        a.oidc.as_ref().is_some_and(|o| {
            o.client_id.as_deref() == Some(id)
                && o.client_secret.as_deref() == Some(secret)
                && o.grant_types.iter().any(|g| g == "client_credentials")
        })
    })?;
    Some(super::store::TokenClient {
        client_id: id.to_owned(),
        client_secret: secret.to_owned(),
        allowed_scopes: app
            .authorized
            .iter()
            .flat_map(|a| a.scopes.iter().cloned())
            .collect(),
    })
}

pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(value.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    scopes: Vec<String>,
}

/// `POST /sandbox/clients {"scopes": [...]}`: a client allowed exactly those scopes.
pub async fn add_client(State(shared): State<AppState>, body: bytes::Bytes) -> Response {
    match super::parse_body::<NewClient>(&body, "client") {
        Ok(new) => {
            let client = shared.store().add_client(new.scopes.into_iter().collect());
            (StatusCode::CREATED, Json(json!({ "client_id": client.client_id, "client_secret": client.client_secret, "scopes": client.allowed_scopes }))).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// `POST /sandbox/tokens/expire`: every issued token expires now.
pub async fn expire_all(State(shared): State<AppState>) -> StatusCode {
    let now = std::time::Instant::now();
    shared
        .store()
        .tokens
        .values_mut()
        .for_each(|t| t.expires_at = now);
    StatusCode::NO_CONTENT
}

/// `GET /oauth2/token/.well-known/openid-configuration`: the sandbox's OpenID Provider
/// metadata (OpenID Connect Discovery 1.0 §3), under the tenant as on real servers.
pub async fn discovery(State(shared): State<AppState>) -> Json<serde_json::Value> {
    let base = shared.tenant_url();
    Json(json!({
        "issuer": format!("{base}/oauth2/token"),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "userinfo_endpoint": format!("{base}/oauth2/userinfo"),
        "jwks_uri": format!("{base}/oauth2/jwks"),
        "end_session_endpoint": format!("{base}/oidc/logout"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "scopes_supported": ["openid", "profile", "email", "internal_login"],
    }))
}

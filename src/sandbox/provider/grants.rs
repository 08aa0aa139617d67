//! The token endpoint's user grants (authorization code, refresh token), the tokens they issue,
//! `/oauth2/userinfo` and `/oauth2/revoke`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{Code, Grant, app_by_client, keys};
use crate::sandbox::AppState;
use crate::sandbox::store::{IssuedToken, Store};

pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// The client a token request authenticates as: HTTP Basic or `client_id`/`client_secret` in
/// the body; a public client sends only its `client_id`. Answers the client's OIDC settings.
fn authenticate(
    store: &Store,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<crate::api::applications::types::OpenIdConnectConfiguration, Box<Response>> {
    let basic = crate::sandbox::token::basic_credentials(headers);
    let (id, secret) = match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned(),
        ),
    };
    let invalid = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client credentials are invalid.",
        )
    };
    let oidc = app_by_client(store, &id)
        .and_then(|a| a.oidc.clone())
        .ok_or_else(|| Box::new(invalid()))?;
    let secret_ok = if oidc.public_client {
        secret.is_none_or(|s| s.is_empty())
    } else {
        secret.is_some_and(|s| oidc.client_secret.as_deref() == Some(s.as_str()))
    };
    if secret_ok {
        Ok(oidc)
    } else {
        Err(Box::new(invalid()))
    }
}

/// `grant_type=authorization_code` or `refresh_token`; `None` for other grant types.
pub fn token_grant(
    shared: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<Response> {
    let grant_type = form.get("grant_type").map(String::as_str)?;
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return None;
    }
    let base = shared.tenant_url().to_owned();
    let mut store = shared.store();
    let oidc = match authenticate(&store, headers, form) {
        Ok(oidc) => oidc,
        Err(response) => return Some(*response),
    };
    if !oidc.grant_types.iter().any(|g| g == grant_type) {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "The authenticated client is not authorized to use this authorization grant type",
        ));
    }
    let client_id = oidc.client_id.clone().unwrap_or_default();
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let grant = if grant_type == "authorization_code" {
        // A code is used once, whatever the outcome.
        let Some(code) = store.signin.codes.remove(field("code")) else {
            return Some(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Invalid authorization code received from token request",
            ));
        };
        if let Err(description) = check_code(&code, &client_id, field("redirect_uri"), form) {
            return Some(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                description,
            ));
        }
        code.grant
    } else {
        // Refresh tokens rotate: the old one stops working when the new one is issued.
        match store.signin.refresh.remove(field("refresh_token")) {
            Some(grant) if grant.client_id == client_id => grant,
            _ => {
                return Some(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Persisted access token data not found",
                ));
            }
        }
    };
    if store.user(&grant.user_id).is_none() {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the user no longer exists",
        ));
    }
    Some(issue(&mut store, &base, &oidc, grant))
}

fn check_code(
    code: &Code,
    client_id: &str,
    redirect_uri: &str,
    form: &HashMap<String, String>,
) -> Result<(), &'static str> {
    if code.expires_at <= Instant::now() {
        return Err("Expired or Revoked authorization code received from token request");
    }
    if code.request.client_id != client_id {
        return Err("Invalid authorization code received from token request");
    }
    if code.request.redirect_uri != redirect_uri {
        return Err("Callback url mismatch");
    }
    let verifier = form.get("code_verifier").map(String::as_str);
    match (&code.request.challenge, verifier) {
        (None, _) => Ok(()),
        (Some(_), None) => {
            Err("No PKCE code verifier found.PKCE is mandatory for this oAuth 2.0 application.")
        }
        (Some((challenge, method)), Some(verifier)) => {
            let computed = if method == "S256" {
                URL_SAFE_NO_PAD.encode(ring::digest::digest(
                    &ring::digest::SHA256,
                    verifier.as_bytes(),
                ))
            } else {
                verifier.to_owned()
            };
            if (43..=128).contains(&verifier.len()) && &computed == challenge {
                Ok(())
            } else {
                Err("PKCE validation failed")
            }
        }
    }
}

/// The scopes a user's token carries: the OIDC scopes asked for, `internal_login` (every user
/// may manage their own profile), and the API scopes the application is authorized for that
/// the user may have (any, under `No Policy`; the user's roles' permissions under RBAC).
fn granted_scopes(store: &Store, client_id: &str, user_id: &str, asked: &[String]) -> Vec<String> {
    let mut allowed: BTreeSet<String> = store
        .oidc_scopes
        .iter()
        .filter_map(|s| s.name.clone())
        .chain(["openid".to_owned(), "internal_login".to_owned()])
        .collect();
    let permissions = user_permissions(store, user_id);
    if let Some(app) = app_by_client(store, client_id) {
        for api in &app.authorized {
            let open = api.policy != "RBAC";
            allowed.extend(
                api.scopes
                    .iter()
                    .filter(|s| open || permissions.contains(*s))
                    .cloned(),
            );
        }
    }
    asked
        .iter()
        .filter(|s| allowed.contains(*s))
        .cloned()
        .collect()
}

/// Every permission the user's roles grant, directly or through a group.
pub fn user_permissions(store: &Store, user_id: &str) -> BTreeSet<String> {
    let groups: Vec<&str> = store
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|(id, _)| id == user_id))
        .map(|g| g.id.as_str())
        .collect();
    let holds = |role: &Value, kind: &str, id: &str| {
        role[kind]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["value"] == id))
    };
    store
        .roles
        .iter()
        .filter(|r| holds(r, "users", user_id) || groups.iter().any(|g| holds(r, "groups", g)))
        .flat_map(|r| r["permissions"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["value"].as_str().map(str::to_owned))
        .collect()
}

/// The user's claims for `scopes` (OpenID Connect Core §5.4), with `username` as Asgardeo adds it.
fn user_claims(store: &Store, user_id: &str, scopes: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    let Some(user) = store.user(user_id) else {
        return claims;
    };
    let resource = &user.resource;
    claims.insert("sub".into(), json!(user_id));
    let name = resource.user_name.as_deref().unwrap_or_default();
    let name = name.split_once('/').map_or(name, |(_, n)| n);
    claims.insert("username".into(), json!(name));
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile")
        && let Some(n) = &resource.name
    {
        if let Some(given) = &n.given_name {
            claims.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &n.family_name {
            claims.insert("family_name".into(), json!(family));
        }
    }
    if has("email") {
        let email = resource.emails.iter().find_map(|e| {
            e.as_str()
                .or_else(|| e["value"].as_str())
                .map(str::to_owned)
        });
        if let Some(email) = email {
            claims.insert("email".into(), json!(email));
        }
    }
    claims
}

/// A token's `aud`: the client id first, then the application's configured audiences (Console:
/// Protocol > ID Token > Audience), a string when there is only the client id. Real servers do
/// the same for ID tokens and JWT access tokens alike (`OAuth2Util.getOIDCAudience`, used by
/// `JWTTokenIssuer`); they ignore an RFC 8707 `resource` parameter.
fn audience(
    client_id: &str,
    oidc: &crate::api::applications::types::OpenIdConnectConfiguration,
) -> Value {
    let mut list = vec![client_id.to_owned()];
    for extra in oidc.id_token.iter().flat_map(|t| t.audience.iter()) {
        if !list.contains(extra) {
            list.push(extra.clone());
        }
    }
    if list.len() == 1 {
        json!(client_id)
    } else {
        json!(list)
    }
}

fn lifetime(seconds: Option<i64>, default: u64) -> Duration {
    Duration::from_secs(
        seconds
            .and_then(|s| u64::try_from(s).ok())
            .filter(|s| *s > 0)
            .unwrap_or(default),
    )
}

/// Access token (a JWT when the application asks for JWT tokens, else opaque), refresh token
/// when the application allows the grant, and an ID token when `openid` was asked for.
fn issue(
    store: &mut Store,
    base: &str,
    oidc: &crate::api::applications::types::OpenIdConnectConfiguration,
    grant: Grant,
) -> Response {
    let client_id = grant.client_id.clone();
    let scopes = granted_scopes(store, &client_id, &grant.user_id, &grant.scopes);
    let now = chrono::Utc::now().timestamp();
    let issuer = format!("{base}/oauth2/token");
    let access_lifetime = lifetime(
        oidc.access_token
            .as_ref()
            .and_then(|a| a.user_access_token_expiry_in_seconds),
        3600,
    );
    let jwt_access = oidc
        .access_token
        .as_ref()
        .is_some_and(|a| a.type_.as_deref() == Some("JWT"));
    let jti = store.new_id();
    let audience = audience(&client_id, oidc);
    let access_token = if jwt_access {
        keys::signing_key().sign(&json!({
            "iss": issuer, "sub": grant.user_id, "aud": audience, "azp": client_id,
            "client_id": client_id, "scope": scopes.join(" "), "iat": now, "nbf": now,
            "exp": now + access_lifetime.as_secs() as i64, "jti": jti,
            "aut": "APPLICATION_USER", "org_name": store.org,
        }))
    } else {
        jti
    };
    store.tokens.insert(
        access_token.clone(),
        IssuedToken {
            scopes: scopes.iter().cloned().collect(),
            expires_at: Instant::now() + access_lifetime,
            user: Some((grant.user_id.clone(), client_id.clone())),
        },
    );
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": access_lifetime.as_secs(),
        "scope": scopes.join(" "),
    });
    if oidc.grant_types.iter().any(|g| g == "refresh_token") {
        let refresh = store.new_opaque(36);
        store.signin.refresh.insert(
            refresh.clone(),
            Grant {
                scopes: grant.scopes.clone(),
                ..grant.clone()
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    if scopes.iter().any(|s| s == "openid") {
        let id_lifetime = lifetime(
            oidc.id_token.as_ref().and_then(|t| t.expiry_in_seconds),
            3600,
        );
        let digest = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
        let mut claims = user_claims(store, &grant.user_id, &scopes);
        for (k, v) in [
            ("iss", json!(issuer)),
            ("aud", audience.clone()),
            ("azp", json!(client_id)),
            ("iat", json!(now)),
            ("nbf", json!(now)),
            ("exp", json!(now + id_lifetime.as_secs() as i64)),
            ("auth_time", json!(grant.auth_time)),
            (
                "at_hash",
                json!(URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])),
            ),
            ("amr", json!(["BasicAuthenticator"])),
            ("sid", json!(grant.session)),
            ("org_name", json!(store.org)),
        ] {
            claims.insert(k.into(), v);
        }
        if let Some(nonce) = &grant.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        body["id_token"] = json!(keys::signing_key().sign(&Value::Object(claims)));
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// The user and client of a live user token in the `Authorization` header.
pub fn bearer_user(store: &Store, headers: &HeaderMap) -> Option<(String, String, Vec<String>)> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .trim();
    let issued = store.tokens.get(token)?;
    if issued.expires_at <= Instant::now() {
        return None;
    }
    let (user, client) = issued.user.clone()?;
    Some((user, client, issued.scopes.iter().cloned().collect()))
}

pub async fn userinfo(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    let store = shared.store();
    let Some((user, _, scopes)) = bearer_user(&store, &headers) else {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Access token validation failed",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return response;
    };
    if !scopes.iter().any(|s| s == "openid") {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Access token does not have the openid scope",
        );
    }
    Json(Value::Object(user_claims(&store, &user, &scopes))).into_response()
}

/// RFC 7009: the token (access or refresh) stops working; unknown tokens are not an error.
pub async fn revoke(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut store = shared.store();
    let oidc = match authenticate(&store, &headers, &form) {
        Ok(oidc) => oidc,
        Err(response) => return *response,
    };
    let client_id = oidc.client_id.unwrap_or_default();
    let token = form.get("token").cloned().unwrap_or_default();
    if store
        .tokens
        .get(&token)
        .is_some_and(|t| t.user.as_ref().is_some_and(|(_, c)| *c == client_id))
    {
        store.tokens.remove(&token);
    }
    if store
        .signin
        .refresh
        .get(&token)
        .is_some_and(|g| g.client_id == client_id)
    {
        store.signin.refresh.remove(&token);
    }
    StatusCode::OK.into_response()
}

/// The `aud` of a JWT we issued (an `id_token_hint`), read without checking the signature:
/// only used to find the client whose callback a logout redirect must match.
pub fn audience_of(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    match &claims["aud"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

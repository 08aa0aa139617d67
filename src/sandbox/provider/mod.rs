//! The sandbox as an OpenID Provider, good enough for the real Asgardeo SDKs: a local
//! development organization that signs its seeded and created users in to the applications the
//! tools create.
//!
//! Endpoints (under the tenant, at the paths the SDKs derive from the base URL):
//! `/oauth2/authorize` (a plain login form), `/commonauth` (where the form posts:
//! `sessionDataKey`, `username`, `password`), `/oauth2/token` (authorization code with PKCE or
//! a client secret, refresh tokens, client credentials), `/oauth2/jwks`, `/oauth2/userinfo`,
//! `/oauth2/revoke`, `/oidc/logout`, `/scim2/Me`, `/scim2/Schemas`, and the branding resolution
//! the React SDK asks for (none is configured: 404, as for a new organization).
//!
//! It enforces what the server enforces for an application (identity-inbound-auth-oauth):
//! the redirect URL must match the registered callback (`callback`), PKCE when the application
//! makes it mandatory (`AuthzUtil`: "PKCE is mandatory for this application…"), the grant types
//! the application allows, its allowed origins for cross-origin calls (`cors`), the client
//! secret of a confidential client. Failures before the redirect URL is trusted show the
//! server's error page (`/authenticationendpoint/oauth2_error.do`); later ones go back to the
//! application as `error` and `error_description` (RFC 6749 §4.1.2.1).

mod callback;
pub mod cors;
mod grants;
pub mod keys;
mod me;
mod pages;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

pub use grants::token_grant;

use super::AppState;
use super::store::{App, Store};

/// How long a code is valid (the server's default, `AuthorizationCodeDefaultValidityPeriod`).
const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// How long the login form waits for its user.
const PENDING_LIFETIME: Duration = Duration::from_secs(900);
/// The browser session cookie (the server's name for it).
const SESSION_COOKIE: &str = "commonAuthId";

/// The provider's state, in the store.
#[derive(Debug, Default)]
pub struct SignInState {
    /// Sign-ins waiting for the login form, by `sessionDataKey`.
    pending: HashMap<String, Request>,
    codes: HashMap<String, Code>,
    refresh: HashMap<String, Grant>,
    /// Browser sessions: cookie value → user id.
    sessions: HashMap<String, String>,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
struct Request {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    /// (challenge, method)
    challenge: Option<(String, String)>,
    created: Instant,
}

#[derive(Debug, Clone)]
struct Code {
    request: Request,
    grant: Grant,
    expires_at: Instant,
}

/// What a user granted a client: the basis of every token issued from a code or a refresh.
#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
    nonce: Option<String>,
    auth_time: i64,
    session: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth2/authorize", get(authorize).post(authorize))
        .route("/commonauth", axum::routing::post(pages::submit_login))
        .route("/oauth2/jwks", get(jwks))
        .route(
            "/oauth2/userinfo",
            get(grants::userinfo).post(grants::userinfo),
        )
        .route("/oauth2/revoke", axum::routing::post(grants::revoke))
        .route("/oidc/logout", get(logout).post(logout))
        .route(
            "/authenticationendpoint/oauth2_error.do",
            get(pages::error_page),
        )
        .merge(me::routes())
}

/// The application whose OAuth client this is.
fn app_by_client<'a>(store: &'a Store, client_id: &str) -> Option<&'a App> {
    store.apps.iter().find(|a| {
        a.oidc
            .as_ref()
            .and_then(|o| o.client_id.as_deref())
            .is_some_and(|c| c == client_id)
    })
}

async fn jwks() -> Response {
    let key = keys::signing_key();
    axum::Json(json!({ "keys": [key.jwk] })).into_response()
}

/// The request's parameters: from the query of a GET, or the form body of a POST (the
/// endpoints take both, as OAuth allows).
fn params_of(query: Option<String>, body: &[u8]) -> HashMap<String, String> {
    let mut params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    params.extend(form);
    params
}

async fn authorize(
    State(shared): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: bytes::Bytes,
) -> Response {
    start_sign_in(&shared, &headers, &params_of(query, &body))
}

/// Validates an authorization request; answers the login form, or (with a live browser
/// session) the code at once.
fn start_sign_in(
    shared: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Response {
    let tenant = shared.tenant_url().to_owned();
    let mut store = shared.store();
    let param = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = param("client_id") else {
        return pages::error_redirect(&tenant, "invalid_request", "client_id is missing");
    };
    let Some(app) = app_by_client(&store, client_id) else {
        return pages::error_redirect(
            &tenant,
            "invalid_client",
            &format!("A valid OAuth client could not be found for client_id: {client_id}"),
        );
    };
    let Some(oidc) = app.oidc.clone() else {
        return pages::error_redirect(
            &tenant,
            "invalid_client",
            &format!("A valid OAuth client could not be found for client_id: {client_id}"),
        );
    };
    let app_name = app.model.name.clone();
    let redirect_uri = match param("redirect_uri") {
        Some(given)
            if oidc
                .callback_ur_ls
                .iter()
                .any(|r| callback::matches(r, given)) =>
        {
            given.to_owned()
        }
        Some(_) => {
            return pages::error_redirect(&tenant, "invalid_callback", "callback.not.match");
        }
        None => match oidc.callback_ur_ls.as_slice() {
            [only] if !only.starts_with("regexp=") => only.clone(),
            _ => return pages::error_redirect(&tenant, "invalid_callback", "callback.not.match"),
        },
    };
    let back = |error: &str, description: &str| {
        redirect_with(
            &redirect_uri,
            &[
                ("error", error),
                ("error_description", description),
                ("state", param("state").unwrap_or_default()),
            ],
        )
    };
    if param("response_type") != Some("code") {
        return back(
            "unsupported_response_type",
            "Unsupported response_type value. Only code is supported.",
        );
    }
    if !oidc.grant_types.iter().any(|g| g == "authorization_code") {
        return back(
            "unauthorized_client",
            "The authenticated client is not authorized to use this authorization grant type",
        );
    }
    let pkce = oidc.pkce.clone().unwrap_or_default();
    let challenge = match (param("code_challenge"), param("code_challenge_method")) {
        (None, _) if pkce.mandatory == Some(true) => {
            return back(
                "invalid_request",
                "PKCE is mandatory for this application. PKCE Challenge is not provided or is not upto RFC 7636 specification.",
            );
        }
        (None, _) => None,
        (Some(challenge), method) => {
            let method = method.unwrap_or("plain");
            match method {
                "S256" if challenge.len() == 43 => {}
                "plain" if pkce.support_plain_transform_algorithm == Some(true) => {}
                "plain" => {
                    return back(
                        "invalid_request",
                        "This application does not support \"plain\" transformation algorithm.",
                    );
                }
                _ => {
                    return back(
                        "invalid_request",
                        "PKCE Challenge is not provided or is not upto RFC 7636 specification.",
                    );
                }
            }
            Some((challenge.to_owned(), method.to_owned()))
        }
    };
    let request = Request {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.clone(),
        scopes: param("scope")
            .unwrap_or("openid")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        state: param("state").map(str::to_owned),
        nonce: param("nonce").map(str::to_owned),
        challenge,
        created: Instant::now(),
    };
    let prompt = param("prompt").unwrap_or_default();
    let session =
        session_cookie(headers).and_then(|c| store.signin.sessions.get(&c).map(|u| (c, u.clone())));
    match session {
        Some((session, user_id)) if prompt != "login" => {
            issue_code(&mut store, request, &user_id, &session)
        }
        _ if prompt == "none" => back("login_required", "Authentication required"),
        _ => {
            let now = Instant::now();
            store
                .signin
                .pending
                .retain(|_, r| now.duration_since(r.created) < PENDING_LIFETIME);
            let key = store.new_id();
            store.signin.pending.insert(key.clone(), request);
            let org = store.org.clone();
            pages::login_form(&tenant, &org, &app_name, &key, None)
        }
    }
}

/// A code for `request`, sent back to the application's redirect URL.
fn issue_code(store: &mut Store, request: Request, user_id: &str, session: &str) -> Response {
    let code = store.new_id();
    let grant = Grant {
        client_id: request.client_id.clone(),
        user_id: user_id.to_owned(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        auth_time: chrono::Utc::now().timestamp(),
        session: session.to_owned(),
    };
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone().unwrap_or_default();
    store.signin.codes.insert(
        code.clone(),
        Code {
            request,
            grant,
            expires_at: Instant::now() + CODE_LIFETIME,
        },
    );
    let session_state = format!("{}.{}", &session[..8.min(session.len())], &code[..8]);
    redirect_with(
        &redirect_uri,
        &[
            ("code", &code),
            ("state", &state),
            ("session_state", &session_state),
        ],
    )
}

/// `302` to `url` with `pairs` (empty values left out) added to its query.
fn redirect_with(url: &str, pairs: &[(&str, &str)]) -> Response {
    let mut target = match url::Url::parse(url) {
        Ok(u) => u,
        Err(_) => {
            return (StatusCode::BAD_REQUEST, "the redirect URL is not a URL").into_response();
        }
    };
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            query.append_pair(k, v);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .map(str::to_owned)
}

async fn logout(
    State(shared): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: bytes::Bytes,
) -> Response {
    end_session(&shared, &headers, &params_of(query, &body))
}

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the browser session ends, and
/// the browser goes back to `post_logout_redirect_uri`, which must match the client's callback.
fn end_session(
    shared: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Response {
    let tenant = shared.tenant_url().to_owned();
    let mut store = shared.store();
    let param = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let client_id = param("client_id")
        .map(str::to_owned)
        .or_else(|| param("id_token_hint").and_then(grants::audience_of));
    let cookie = session_cookie(headers);
    if let Some(cookie) = &cookie
        && let Some(user) = store.signin.sessions.remove(cookie)
    {
        store
            .signin
            .refresh
            .retain(|_, g| !(g.user_id == user && &g.session == cookie));
    }
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/t/{}; Max-Age=0; HttpOnly; SameSite=Lax",
        store.org
    );
    let Some(target) = param("post_logout_redirect_uri") else {
        return ([(header::SET_COOKIE, clear)], pages::signed_out()).into_response();
    };
    let allowed = client_id
        .as_deref()
        .and_then(|c| app_by_client(&store, c))
        .and_then(|a| a.oidc.as_ref())
        .is_some_and(|o| {
            o.callback_ur_ls
                .iter()
                .any(|r| callback::matches(r, target))
        });
    if !allowed {
        return pages::error_redirect(
            &tenant,
            "access_denied",
            "Post logout URI does not match with registered callback URI.",
        );
    }
    let mut response = redirect_with(target, &[("state", param("state").unwrap_or_default())]);
    if let Ok(value) = clear.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

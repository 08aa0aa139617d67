//! The pages a browser sees: the login form, its submission, the error page, and the page after
//! a logout without a redirect. Plain HTML, no scripts: a test can fill and post the form.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{PENDING_LIFETIME, SESSION_COOKIE, issue_code};
use crate::sandbox::AppState;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// What the server's error page says for an i18n key it is sent.
fn describe(message: &str) -> &str {
    match message {
        "callback.not.match" => "Registered callback does not match with the provided url.",
        other => other,
    }
}

/// `302` to the server's OAuth error page, as the server answers a request it cannot send back
/// to the application.
pub fn error_redirect(tenant: &str, code: &str, message: &str) -> Response {
    let query = serde_urlencoded::to_string([("oauthErrorCode", code), ("oauthErrorMsg", message)])
        .unwrap_or_default();
    (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!("{tenant}/authenticationendpoint/oauth2_error.do?{query}"),
        )],
    )
        .into_response()
}

pub async fn error_page(Query(params): Query<HashMap<String, String>>) -> Response {
    let code = params.get("oauthErrorCode").map_or("", String::as_str);
    let message = describe(params.get("oauthErrorMsg").map_or("", String::as_str));
    Html(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Error</title></head>
<body><main id="oauth-error"><h1>Something went wrong</h1>
<p id="error-code">{}</p><p id="error-message">{}</p></main></body></html>"#,
        escape(code),
        escape(message)
    ))
    .into_response()
}

pub fn login_form(tenant: &str, org: &str, app: &str, key: &str, error: Option<&str>) -> Response {
    let error = error.map_or_else(String::new, |e| {
        format!(r#"<p id="login-error" role="alert">{}</p>"#, escape(e))
    });
    Html(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Sign in to {app}</title></head>
<body><main><h1>Sign in to {app}</h1><p>Organization: {org} (asgardeo-mcp sandbox)</p>{error}
<form id="login-form" method="post" action="{tenant}/commonauth">
<input type="hidden" name="sessionDataKey" value="{key}">
<label>Username <input id="usernameUserInput" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="sign-in" type="submit">Sign In</button>
</form></main></body></html>"#,
        app = escape(app),
        org = escape(org),
        tenant = escape(tenant),
        key = escape(key),
    ))
    .into_response()
}

pub fn signed_out() -> Response {
    Html(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Signed out</title></head>
<body><main id="signed-out"><h1>You have successfully logged out.</h1></main></body></html>"#,
    )
    .into_response()
}

/// `POST /commonauth`: the login form's submission. Right credentials: a browser session and
/// the code, sent to the application. Wrong ones: the form again, with the server's words.
pub async fn submit_login(
    State(shared): State<AppState>,
    _headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let tenant = shared.tenant_url().to_owned();
    let mut store = shared.store();
    let key = field("sessionDataKey");
    let Some(request) = store
        .signin
        .pending
        .get(key)
        .filter(|r| r.created.elapsed() < PENDING_LIFETIME)
        .cloned()
    else {
        return error_redirect(
            &tenant,
            "invalid_request",
            "The sign-in request has expired or is unknown; start again from the application.",
        );
    };
    let username = field("username").trim();
    let user_id = store
        .users
        .iter()
        .find(|u| {
            let name = u.resource.user_name.as_deref().unwrap_or_default();
            (name == username || name.split_once('/').is_some_and(|(_, n)| n == username))
                && u.password_matches(field("password"))
        })
        .and_then(|u| u.resource.id.clone());
    let Some(user_id) = user_id else {
        let app = super::app_by_client(&store, &request.client_id)
            .map(|a| a.model.name.clone())
            .unwrap_or_default();
        let org = store.org.clone();
        return login_form(
            &tenant,
            &org,
            &app,
            key,
            Some("Login failed! Please recheck the username and password and try again."),
        );
    };
    store.signin.pending.remove(key);
    let session = store.new_id();
    store
        .signin
        .sessions
        .insert(session.clone(), user_id.clone());
    let cookie = format!(
        "{SESSION_COOKIE}={session}; Path=/t/{}; HttpOnly; SameSite=Lax",
        store.org
    );
    let mut response = issue_code(&mut store, request, &user_id, &session);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

//! Cross-origin requests, as the server's CORS valve answers them: an origin is allowed when
//! some application of the organization lists it in its allowed origins (the server keeps CORS
//! origins per tenant, each tied to the applications that added it:
//! carbon-identity-framework `CORSManagementService.getTenantCORSOrigins`); a request from any
//! other origin is refused with 403, and a preflight is answered here.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::sandbox::AppState;

fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

pub async fn cors(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    if origin == origin_of(shared.tenant_url()) {
        return next.run(request).await;
    }
    let allowed = shared.store().apps.iter().any(|a| {
        a.oidc.as_ref().is_some_and(|o| {
            o.allowed_origins
                .iter()
                .any(|allowed| allowed.trim_end_matches('/') == origin)
        })
    });
    if !allowed {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({
                "error": "cors_origin_denied",
                "error_description": format!("The origin {origin} is not an allowed origin of any application in this organization; add it to the application's allowed origins."),
            })),
        )
            .into_response();
    }
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let asked_headers = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Location"),
    );
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        );
        if let Some(asked) = asked_headers {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
        }
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
    }
    response
}

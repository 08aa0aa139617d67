//! The organization's read-only catalogue the tools consult: claim dialects, local claims,
//! OIDC-dialect claims, identity providers, authenticators and OIDC scopes.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::api::{authenticators, claims, oidc_scopes};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/claim-dialects", get(dialects))
        .route("/claim-dialects/local/claims", get(local_claims))
        .route("/claim-dialects/local/claims/{claim-id}", get(local_claim))
        .route("/claim-dialects/{dialect-id}/claims", get(external_claims))
        .route("/authenticators", get(list_authenticators))
        .route("/oidc/scopes", get(scopes))
}

async fn dialects(State(shared): State<AppState>) -> Json<Vec<claims::types::ClaimDialectRes>> {
    let tenant = shared.tenant_url();
    Json(
        shared
            .store()
            .dialects
            .iter()
            .map(|d| claims::types::ClaimDialectRes {
                id: Some(d.id.clone()),
                dialect_uri: Some(d.uri.clone()),
                link: Some(claims::types::Link {
                    href: Some(format!("{tenant}/api/server/v1/claim-dialects/{}", d.id)),
                    rel: Some("claims".into()),
                }),
            })
            .collect(),
    )
}

async fn local_claims(State(shared): State<AppState>) -> Json<Vec<claims::types::LocalClaimRes>> {
    Json(shared.store().local_claims.clone())
}

async fn local_claim(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<claims::types::LocalClaimRes>> {
    let store = shared.store();
    store
        .local_claims
        .iter()
        .find(|c| c.id.as_deref() == Some(id.as_str()))
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("CMT-50019", format!("no local claim with id {id}")))
}

async fn external_claims(
    State(shared): State<AppState>,
    Path(dialect): Path<String>,
) -> ApiResult<Json<Vec<claims::types::ExternalClaimRes>>> {
    let store = shared.store();
    let found = store
        .dialects
        .iter()
        .find(|d| d.id == dialect)
        .ok_or_else(|| {
            ApiError::not_found("CMT-50016", format!("no claim dialect with id {dialect}"))
        })?;
    Ok(Json(found.claims.clone()))
}

async fn list_authenticators(
    State(shared): State<AppState>,
) -> Json<Vec<authenticators::types::Authenticator>> {
    Json(shared.store().authenticators.clone())
}

async fn scopes(State(shared): State<AppState>) -> Json<Vec<oidc_scopes::types::Scope>> {
    Json(shared.store().oidc_scopes.clone())
}

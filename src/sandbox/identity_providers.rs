//! Connections (identity providers): list (with `requiredAttributes`), create with one
//! federated authenticator and its properties, get, delete, and the applications whose login
//! flow uses one. A created connection also appears in `GET /authenticators` as a FEDERATED
//! entry, as on real servers. Secret properties are kept and never served.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;

use super::error::{ApiError, ApiResult};
use super::filter::Filter;
use super::store::{Idp, Store};
use super::{AppState, created, parse_body};
use crate::api::authenticators;
use crate::api::identity_providers::types;
use crate::wso2::authenticators::{OIDC_AUTHENTICATOR, SOCIAL, id_of, name_from_id};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/identity-providers", get(list).post(create))
        .route(
            "/identity-providers/{identity-provider-id}",
            get(read).delete(remove),
        )
        .route(
            "/identity-providers/{identity-provider-id}/connected-apps",
            get(connected_apps),
        )
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "IDP-60002",
        format!("Resource not found: no identity provider with id {id}"),
    )
}

fn find<'a>(store: &'a Store, id: &str) -> ApiResult<&'a Idp> {
    store
        .idps
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| not_found(id))
}

/// The properties each federated authenticator cannot work without.
fn required_properties(authenticator: &str) -> Option<&'static [&'static str]> {
    match authenticator {
        "AppleOIDCAuthenticator" => Some(&["ClientId", "TeamId", "KeyId", "PrivateKey"]),
        OIDC_AUTHENTICATOR => Some(&[
            "ClientId",
            "ClientSecret",
            "OAuth2AuthzEPUrl",
            "OAuth2TokenEPUrl",
        ]),
        name if SOCIAL.iter().any(|p| p.authenticator == name) => {
            Some(&["ClientId", "ClientSecret"])
        }
        "SAMLSSOAuthenticator" => Some(&["IdPEntityId", "SSOUrl"]),
        _ => None,
    }
}

fn authenticators_of(idp: &Idp) -> types::FederatedAuthenticatorListResponse {
    types::FederatedAuthenticatorListResponse {
        default_authenticator_id: Some(id_of(&idp.authenticator)),
        authenticators: vec![types::FederatedAuthenticatorListItem {
            authenticator_id: Some(id_of(&idp.authenticator)),
            name: Some(idp.authenticator.clone()),
            is_enabled: Some(true),
            ..Default::default()
        }],
    }
}

fn response(idp: &Idp, tenant: &str) -> types::IdentityProviderResponse {
    types::IdentityProviderResponse {
        id: Some(idp.id.clone()),
        name: Some(idp.name.clone()),
        description: idp.description.clone(),
        image: idp.image.clone(),
        is_enabled: Some(idp.enabled),
        federated_authenticators: Some(authenticators_of(idp)),
        ..Default::default()
    }
    .with_self(tenant, &idp.id)
}

trait WithSelf {
    fn with_self(self, tenant: &str, id: &str) -> Self;
}

impl WithSelf for types::IdentityProviderResponse {
    fn with_self(mut self, tenant: &str, id: &str) -> Self {
        if let Some(f) = self.federated_authenticators.as_mut() {
            for a in &mut f.authenticators {
                a.self_ = a.authenticator_id.as_ref().map(|aid| {
                    format!("{tenant}/api/server/v1/identity-providers/{id}/federated-authenticators/{aid}")
                });
            }
        }
        self
    }
}

async fn list(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<types::IdentityProviderListResponse>> {
    let filter = query
        .get("filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| Filter::parse(f))
        .transpose()?;
    // Real servers add the federated authenticators only when asked for them.
    let with_authenticators = query
        .get("requiredAttributes")
        .is_some_and(|a| a.split(',').any(|x| x.trim() == "federatedAuthenticators"));
    let offset: usize = query
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(15)
        .min(100);
    let store = shared.store();
    let matching: Vec<&Idp> = store
        .idps
        .iter()
        .filter(|i| {
            filter
                .as_ref()
                .is_none_or(|f| f.matches(|a| (a == "name").then_some(i.name.as_str())))
        })
        .collect();
    let page: Vec<types::IdentityProviderListItem> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|i| types::IdentityProviderListItem {
            id: Some(i.id.clone()),
            name: Some(i.name.clone()),
            description: i.description.clone(),
            image: i.image.clone(),
            is_enabled: Some(i.enabled),
            federated_authenticators: with_authenticators.then(|| authenticators_of(i)),
            self_: Some(format!(
                "{}/api/server/v1/identity-providers/{}",
                shared.tenant_url(),
                i.id
            )),
            ..Default::default()
        })
        .collect();
    Ok(Json(types::IdentityProviderListResponse {
        total_results: Some(matching.len() as i64),
        start_index: Some(offset as i64 + 1),
        count: Some(page.len() as i64),
        identity_providers: page,
        links: Vec::new(),
    }))
}

fn validate(request: &types::IdentityProviderPostRequest, store: &Store) -> ApiResult<Idp> {
    let name = request.name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "IDP-60001",
            "the identity provider name cannot be empty",
        ));
    }
    if name.eq_ignore_ascii_case("LOCAL") {
        return Err(ApiError::bad_request(
            "IDP-60001",
            "LOCAL is reserved for the organization's own authenticators",
        ));
    }
    if store.idps.iter().any(|i| i.name == name) {
        return Err(ApiError::conflict(
            "IDP-60001",
            format!("Identity provider with the name: {name} already exists"),
        ));
    }
    let federated = request.federated_authenticators.as_ref().ok_or_else(|| {
        ApiError::bad_request("IDP-60001", "a connection needs a federated authenticator")
    })?;
    let chosen = federated
        .authenticators
        .iter()
        .find(|a| a.authenticator_id == federated.default_authenticator_id)
        .ok_or_else(|| {
            ApiError::bad_request(
                "IDP-60001",
                "defaultAuthenticatorId names none of the given authenticators",
            )
        })?;
    let authenticator = name_from_id(&chosen.authenticator_id).ok_or_else(|| {
        ApiError::bad_request("IDP-60001", "the authenticator id is not a known encoding")
    })?;
    let required = required_properties(&authenticator).ok_or_else(|| {
        ApiError::bad_request(
            "IDP-60001",
            format!("no federated authenticator {authenticator} is available"),
        )
    })?;
    let properties: Vec<(String, String)> = chosen
        .properties
        .iter()
        .map(|p| (p.key.clone(), p.value.clone().unwrap_or_default()))
        .collect();
    if let Some(missing) = required.iter().find(|k| {
        !properties
            .iter()
            .any(|(key, v)| key == *k && !v.trim().is_empty())
    }) {
        return Err(ApiError::bad_request(
            "IDP-60001",
            format!("the property {missing} of {authenticator} is required"),
        ));
    }
    Ok(Idp {
        id: String::new(),
        name: name.to_owned(),
        description: request.description.clone(),
        image: request.image.clone(),
        enabled: true,
        authenticator,
        properties,
    })
}

async fn create(State(shared): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let request: types::IdentityProviderPostRequest = parse_body(&body, "identity provider")?;
    let mut store = shared.store();
    let mut idp = validate(&request, &store)?;
    idp.id = store.new_id();
    store
        .authenticators
        .push(authenticators::types::Authenticator {
            id: Some(idp.id.clone()),
            name: Some(idp.name.clone()),
            display_name: Some(idp.name.clone()),
            is_enabled: Some(true),
            type_: Some("FEDERATED".into()),
            defined_by: Some("USER".into()),
            ..Default::default()
        });
    let tenant = shared.tenant_url().to_owned();
    let location = format!("{tenant}/api/server/v1/identity-providers/{}", idp.id);
    let body = response(&idp, &tenant);
    store.idps.push(idp);
    Ok(created(location, body))
}

async fn read(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::IdentityProviderResponse>> {
    let store = shared.store();
    Ok(Json(response(find(&store, &id)?, shared.tenant_url())))
}

/// Paged as the server pages it: 15 by default, at most 100, `offset` from 0, links with
/// offset and limit only; `connectedApps` left out when there are none (SIMS 1283-1300,
/// 1766-1793; `IdentityProviderManager.validateLimit`).
async fn connected_apps(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<types::ConnectedApps>> {
    let number = |key: &str, default: i64| -> ApiResult<i64> {
        match query.get(key) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_request(
                    "IDP-65003",
                    format!("Given {key}: {v} is a negative value."),
                )
            }),
        }
    };
    let limit = number("limit", 15)?.min(100);
    let offset = number("offset", 0)?;
    let store = shared.store();
    let apps = store.apps_using_idp(&find(&store, &id)?.name);
    let total = apps.len() as i64;
    let page: Vec<String> = apps
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let base = format!(
        "/t/{}/api/server/v1/identity-providers/{id}/connected-apps",
        store.org
    );
    let mut links = Vec::new();
    if offset + limit < total {
        links.push(types::Link {
            href: Some(format!("{base}?offset={}&limit={limit}", offset + limit)),
            rel: Some("next".into()),
        });
    }
    if offset > 0 {
        links.push(types::Link {
            href: Some(format!(
                "{base}?offset={}&limit={limit}",
                (offset - limit).max(0)
            )),
            rel: Some("previous".into()),
        });
    }
    Ok(Json(types::ConnectedApps {
        total_results: Some(total),
        start_index: Some(offset + 1),
        count: Some(page.len() as i64),
        connected_apps: page
            .into_iter()
            .map(|app| types::ConnectedApp {
                self_: Some(format!("/t/{}/api/server/v1/applications/{app}", store.org)),
                app_id: Some(app),
            })
            .collect(),
        links,
    }))
}

async fn remove(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    // An unknown id is no error: the manager returns quietly (`deleteIdPByResourceId`).
    let Ok(idp) = find(&store, &id) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    // The API's DELETE is the non-forced one: a connection that applications refer to stays
    // (`deleteIdPByResourceId`, beside `forceDeleteIdpByResourceId`, in ServerIdpManagementService).
    let users = store.apps_using_idp(&idp.name);
    if !users.is_empty() {
        return Err(ApiError::bad_request(
            "IDP-65004",
            format!(
                "Identity provider {} is used by applications {}",
                idp.name,
                users.join(", ")
            ),
        ));
    }
    store.idps.retain(|i| i.id != id);
    store
        .authenticators
        .retain(|a| a.id.as_deref() != Some(id.as_str()));
    Ok(StatusCode::NO_CONTENT)
}

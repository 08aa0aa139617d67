//! Connections (identity providers): create a social login (Google, GitHub, Microsoft,
//! Facebook, Apple) or an enterprise OpenID Connect provider found by its discovery URL, list,
//! read (with the applications that use it) and delete. Each answer names the callback URL the
//! provider must be given and the sign-in option `set_login_flow` takes. Secrets go to the
//! server and are never shown again.
//!
//! Property keys are those of WSO2's authenticators (`ClientId`, `ClientSecret`,
//! `callbackUrl`, `OAuth2AuthzEPUrl`, `OAuth2TokenEPUrl`: IdentityApplicationConstants.OAuth2
//! and OIDCAuthenticatorConstants in carbon-identity-framework / identity-outbound-auth-oidc).

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::directory::id_from_location;
use super::{OrExplain, ToolContext, ToolError, Written, input, intend};
use crate::api::identity_providers::types;
use crate::wso2::authenticators::{self, OIDC_AUTHENTICATOR, SOCIAL, SocialProvider};
use crate::wso2::urls::{self, UrlUse};

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::connections_router()
}

/// A social login provider.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Google,
    Github,
    Microsoft,
    Facebook,
    Apple,
}

impl Provider {
    fn social(self) -> SocialProvider {
        let key = match self {
            Provider::Google => "google",
            Provider::Github => "github",
            Provider::Microsoft => "microsoft",
            Provider::Facebook => "facebook",
            Provider::Apple => "apple",
        };
        SOCIAL
            .iter()
            .copied()
            .find(|p| p.key == key)
            .unwrap_or(SOCIAL[0])
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSocialConnectionRequest {
    /// `google`, `github`, `microsoft`, `facebook` or `apple`.
    pub provider: Provider,
    /// The client (app) id the provider issued (Apple: the Services ID).
    pub client_id: String,
    /// The client secret the provider issued (not for Apple).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The connection's name; defaults to the provider's (`Google`).
    #[serde(default)]
    pub name: Option<String>,
    /// Apple only: the Team ID.
    #[serde(default)]
    pub apple_team_id: Option<String>,
    /// Apple only: the Key ID of the private key.
    #[serde(default)]
    pub apple_key_id: Option<String>,
    /// Apple only: the private key (PEM) that signs the client secret.
    #[serde(default)]
    pub apple_private_key: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOidcConnectionRequest {
    /// The connection's name, e.g. `Okta` or `Corporate SSO`.
    pub name: String,
    /// The provider's discovery URL (`…/.well-known/openid-configuration`).
    pub discovery_url: String,
    /// The client id the provider issued.
    pub client_id: String,
    /// The client secret the provider issued.
    pub client_secret: String,
    /// Scopes to request (default `openid email profile`).
    #[serde(default)]
    pub scopes: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListConnectionsRequest {
    /// Only connections whose name starts with this.
    #[serde(default)]
    pub name_starts_with: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionIdRequest {
    /// ID of the connection (see `list_connections`).
    pub connection_id: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Connection {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The WSO2 authenticator the connection signs in with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<String>,
    /// What `set_login_flow` takes to offer this connection (its name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_option: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionList {
    pub connections: Vec<Connection>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConnectionDetails {
    #[serde(flatten)]
    pub connection: Connection,
    /// The redirect (callback) URL to register with the provider.
    pub callback_url: String,
    /// IDs of the applications whose login flow uses this connection.
    pub used_by_applications: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedConnection {
    #[serde(flatten)]
    pub connection: Connection,
    /// The redirect (callback) URL to register with the provider.
    pub callback_url: String,
    /// What to do next.
    pub next_steps: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedConnection {
    /// The connection as it was (without its secrets).
    pub deleted: ConnectionDetails,
}

fn property(key: &str, value: impl Into<String>) -> types::Property {
    types::Property {
        key: key.to_owned(),
        value: Some(value.into()),
    }
}

fn connection_of(
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    authenticators: Option<&types::FederatedAuthenticatorListResponse>,
) -> Option<Connection> {
    let authenticator = authenticators.and_then(|a| {
        let default = a.default_authenticator_id.as_deref();
        a.authenticators
            .iter()
            .find(|x| x.authenticator_id.as_deref() == default)
            .and_then(|x| x.name.clone())
            .or_else(|| default.and_then(authenticators::name_from_id))
    });
    Some(Connection {
        id: id?,
        sign_in_option: name.clone(),
        name,
        description,
        enabled,
        authenticator,
    })
}

impl ToolContext {
    fn callback_url(&self) -> String {
        format!("{}/commonauth", self.upstream.base_url())
    }

    async fn read_connection(&self, id: &str) -> Result<ConnectionDetails, ToolError> {
        let client = self.upstream.identity_providers();
        let (idp, apps) = tokio::join!(
            client.get_idp().identity_provider_id(id).send(),
            self.connected_apps(id),
        );
        let idp = idp.or_explain(format!("reading connection {id}")).await?;
        let apps = apps?;
        let connection = connection_of(
            idp.id.or_else(|| Some(id.to_owned())),
            idp.name,
            idp.description,
            idp.is_enabled,
            idp.federated_authenticators.as_ref(),
        )
        .ok_or_else(|| ToolError::missing("id", "getIdp"))?;
        Ok(ConnectionDetails {
            connection,
            callback_url: self.callback_url(),
            used_by_applications: apps,
        })
    }

    /// Every application that uses the connection. The list is paged (15 by default, at most
    /// 100 a page: `IdentityProviderManager.validateLimit`), so pages of 100 are read until
    /// `totalResults` is reached or a page comes back short.
    async fn connected_apps(&self, id: &str) -> Result<Vec<String>, ToolError> {
        const PAGE: i32 = 100;
        const MOST: usize = 10_000;
        let mut apps = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .upstream
                .identity_providers()
                .get_idp_connected_apps()
                .identity_provider_id(id)
                .limit(PAGE)
                .offset(offset)
                .send()
                .await
                .or_explain(format!("reading the applications that use connection {id}"))
                .await?;
            let got = page.connected_apps.len();
            apps.extend(page.connected_apps.into_iter().filter_map(|a| a.app_id));
            let total = page.total_results.and_then(|t| usize::try_from(t).ok());
            let more = match total {
                Some(total) => apps.len() < total,
                None => got == PAGE as usize,
            };
            if !more || got == 0 || apps.len() >= MOST {
                return Ok(apps);
            }
            offset += PAGE;
        }
    }

    /// Creates the identity provider and answers what the person needs next.
    async fn add_connection(
        &self,
        name: &str,
        description: String,
        authenticator: &str,
        properties: Vec<types::Property>,
        provider_hint: &str,
    ) -> Result<CreatedConnection, ToolError> {
        let authenticator_id = authenticators::id_of(authenticator);
        let body = types::IdentityProviderPostRequest::builder()
            .name(name.to_owned())
            .description(Some(description.clone()))
            .federated_authenticators(Some(types::FederatedAuthenticatorRequest {
                default_authenticator_id: authenticator_id.clone(),
                authenticators: vec![types::FederatedAuthenticator {
                    authenticator_id: authenticator_id.clone(),
                    is_enabled: true,
                    is_default: true,
                    properties,
                    defined_by: None,
                    endpoint: None,
                    name: None,
                    tags: Vec::new(),
                }],
            }));
        let written = self
            .upstream
            .identity_providers()
            .add_idp()
            .body(body)
            .send()
            .await
            .or_explain_write(format!("creating connection `{name}`"))
            .await?;
        let id = match written {
            Written::Read(idp) => idp.id,
            Written::Unreadable { location, .. } => id_from_location(location.as_deref()),
        }
        .ok_or_else(|| ToolError::missing("id", "addIdp"))?;
        let callback_url = self.callback_url();
        Ok(CreatedConnection {
            connection: Connection {
                id,
                name: Some(name.to_owned()),
                description: Some(description),
                enabled: Some(true),
                authenticator: Some(authenticator.to_owned()),
                sign_in_option: Some(name.to_owned()),
            },
            next_steps: format!(
                "Register {callback_url} as the authorized redirect (callback) URL in {provider_hint}. Then add the connection to an application's sign-in with set_login_flow, using the option \"{name}\"."
            ),
            callback_url,
        })
    }
}

#[tool_router(router = connections_router, vis = "pub(super)")]
impl ToolContext {
    /// Create a social login connection (Google, GitHub, Microsoft, Facebook or Apple) from the
    /// client id and secret the provider issued. Returns the callback URL to register with the
    /// provider; add it to an app's sign-in with set_login_flow.
    #[tool(annotations(
        title = "Create social connection",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_social_connection(
        &self,
        Parameters(req): Parameters<CreateSocialConnectionRequest>,
    ) -> Result<Json<CreatedConnection>, ToolError> {
        let social = req.provider.social();
        let name = match &req.name {
            Some(n) => input::name("name", n, 120)?,
            None => social.display,
        }
        .to_owned();
        let client_id = input::name("client_id", &req.client_id, 512)?;
        let callback = self.callback_url();
        let mut properties = vec![
            property("ClientId", client_id),
            property("callbackUrl", &callback),
        ];
        if req.provider == Provider::Apple {
            let need = |argument: &str, value: &Option<String>| -> Result<String, ToolError> {
                value
                    .as_deref()
                    .map(|v| input::secret(argument, v, 8192).map(str::to_owned))
                    .transpose()?
                    .ok_or_else(|| ToolError::invalid(argument, "Apple sign-in needs it"))
            };
            properties.push(property(
                "TeamId",
                need("apple_team_id", &req.apple_team_id)?,
            ));
            properties.push(property("KeyId", need("apple_key_id", &req.apple_key_id)?));
            properties.push(property(
                "PrivateKey",
                need("apple_private_key", &req.apple_private_key)?,
            ));
            properties.push(property(
                "AdditionalQueryParameters",
                format!("scope={}", social.scopes),
            ));
        } else {
            let secret = req
                .client_secret
                .as_deref()
                .map(|s| input::secret("client_secret", s, 1024))
                .transpose()?
                .ok_or_else(|| {
                    ToolError::invalid("client_secret", "the provider's client secret is needed")
                })?;
            properties.push(property("ClientSecret", secret));
            match (req.provider, social.endpoints) {
                (_, Some((authorize, token))) => {
                    properties.push(property("OAuth2AuthzEPUrl", authorize));
                    properties.push(property("OAuth2TokenEPUrl", token));
                    properties.push(property(
                        "commonAuthQueryParams",
                        format!("scope={}", social.scopes),
                    ));
                }
                (Provider::Github, None) => properties.push(property("scope", social.scopes)),
                (Provider::Facebook, None) => {
                    properties.push(property("Scope", social.scopes.replace(' ', ",")));
                    properties.push(property("callBackUrl", &callback));
                }
                _ => properties.push(property(
                    "AdditionalQueryParameters",
                    format!("scope={}", social.scopes),
                )),
            }
        }
        let created = self
            .add_connection(
                &name,
                format!("Sign in with {}", social.display),
                social.authenticator,
                properties,
                &format!("the {} developer console", social.display),
            )
            .await?;
        Ok(Json(created))
    }

    /// Create an enterprise OpenID Connect connection (Okta, Entra ID, Auth0, Keycloak...) from
    /// the provider's discovery URL, client id and secret. Returns the callback URL to register
    /// with the provider.
    #[tool(annotations(
        title = "Create OIDC connection",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_oidc_connection(
        &self,
        Parameters(req): Parameters<CreateOidcConnectionRequest>,
    ) -> Result<Json<CreatedConnection>, ToolError> {
        let name = input::name("name", &req.name, 120)?.to_owned();
        let discovery = urls::check(&req.discovery_url, UrlUse::Page)
            .map_err(|e| ToolError::invalid("discovery_url", &e.0))?;
        let client_id = input::name("client_id", &req.client_id, 512)?;
        let secret = input::secret("client_secret", &req.client_secret, 1024)?;
        let scopes = match &req.scopes {
            Some(s) => input::name("scopes", s, 512)?,
            None => "openid email profile",
        };
        let document = self
            .upstream
            .fetch_public_json(&discovery, 256 * 1024)
            .await
            .map_err(|e| {
                ToolError::new(format!(
                    "Could not read the discovery document: {e}. Check discovery_url (it ends in /.well-known/openid-configuration)."
                ))
            })?;
        let endpoint = |key: &str| -> Result<String, ToolError> {
            let value = document.get(key).and_then(Value::as_str).ok_or_else(|| {
                ToolError::new(format!(
                    "The discovery document at {discovery} has no `{key}`; is it an OpenID Provider's?"
                ))
            })?;
            urls::check(value, UrlUse::Page)
                .map(|u| u.to_string())
                .map_err(|e| ToolError::new(format!("The discovery document's `{key}`: {}", e.0)))
        };
        let mut properties = vec![
            property("ClientId", client_id),
            property("ClientSecret", secret),
            property("OAuth2AuthzEPUrl", endpoint("authorization_endpoint")?),
            property("OAuth2TokenEPUrl", endpoint("token_endpoint")?),
            property("callbackUrl", self.callback_url()),
            property("commonAuthQueryParams", format!("scope={scopes}")),
        ];
        if let Ok(logout) = endpoint("end_session_endpoint") {
            properties.push(property("OIDCLogoutEPUrl", logout));
        }
        if let Ok(userinfo) = endpoint("userinfo_endpoint") {
            properties.push(property("UserInfoUrl", userinfo));
        }
        let issuer = document
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or(discovery.as_str())
            .to_owned();
        let created = self
            .add_connection(
                &name,
                format!("OpenID Connect provider {issuer}"),
                OIDC_AUTHENTICATOR,
                properties,
                &format!("the provider's settings for client {client_id}"),
            )
            .await?;
        Ok(Json(created))
    }

    /// List the organization's connections (identity providers) with the sign-in option each
    /// gives set_login_flow.
    #[tool(annotations(
        title = "List connections",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_connections(
        &self,
        Parameters(req): Parameters<ListConnectionsRequest>,
    ) -> Result<Json<ConnectionList>, ToolError> {
        let prefix = req
            .name_starts_with
            .as_deref()
            .map(|p| input::name("name_starts_with", p, 120))
            .transpose()?;
        Ok(Json(ConnectionList {
            connections: self
                .all_connections()
                .await?
                .into_iter()
                .filter(|c| {
                    prefix.is_none_or(|p| {
                        c.name
                            .as_deref()
                            .is_some_and(|n| n.to_lowercase().starts_with(&p.to_lowercase()))
                    })
                })
                .collect(),
        }))
    }

    /// Get one connection: its authenticator, the callback URL to register with the provider,
    /// and the applications whose login flow uses it.
    #[tool(annotations(
        title = "Get connection",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_connection(
        &self,
        Parameters(req): Parameters<ConnectionIdRequest>,
    ) -> Result<Json<ConnectionDetails>, ToolError> {
        let id = input::path_segment("connection_id", &req.connection_id)?;
        Ok(Json(self.read_connection(id).await?))
    }

    /// Delete a connection. Refused while an application's login flow uses it (change those
    /// flows with set_login_flow first). Confirmed with the person first; returns what was
    /// deleted (without secrets).
    #[tool(annotations(
        title = "Delete connection",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn delete_connection(
        &self,
        Parameters(req): Parameters<ConnectionIdRequest>,
    ) -> Result<Json<DeletedConnection>, ToolError> {
        let id = input::path_segment("connection_id", &req.connection_id)?.to_owned();
        let _guard = self.lock("connection", &id).await;
        let details = self.read_connection(&id).await?;
        let name = details
            .connection
            .name
            .clone()
            .unwrap_or_else(|| id.clone());
        if !details.used_by_applications.is_empty() {
            return Err(ToolError::new(format!(
                "Connection \"{name}\" is in the login flow of application(s) {}; nothing was deleted. Remove it from those flows with set_login_flow, then delete it.",
                details.used_by_applications.join(", ")
            )));
        }
        intend(
            format!("Delete connection \"{name}\" (id {id})"),
            &details,
            &(),
        )?;
        self.upstream
            .identity_providers()
            .delete_idp()
            .identity_provider_id(&id)
            .send()
            .await
            .or_explain_write(format!("deleting connection \"{name}\""))
            .await?;
        Ok(Json(DeletedConnection { deleted: details }))
    }
}

impl ToolContext {
    /// Every connection, paging through the list.
    pub(crate) async fn all_connections(&self) -> Result<Vec<Connection>, ToolError> {
        let client = self.upstream.identity_providers();
        let mut out = Vec::new();
        let mut offset = 0i64;
        for _ in 0..50 {
            let page = client
                .get_idps()
                .limit(100)
                .offset(offset)
                .required_attributes("federatedAuthenticators")
                .send()
                .await
                .or_explain("listing connections")
                .await?;
            let returned = page.identity_providers.len() as i64;
            out.extend(page.identity_providers.into_iter().filter_map(|idp| {
                connection_of(
                    idp.id,
                    idp.name,
                    idp.description,
                    idp.is_enabled,
                    idp.federated_authenticators.as_ref(),
                )
            }));
            offset += returned;
            if returned == 0 || page.total_results.is_none_or(|t| offset >= t) {
                break;
            }
        }
        Ok(out)
    }
}

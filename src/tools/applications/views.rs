//! What the application tools return, and how each is read from the server's (lenient)
//! answers: a field the server left out is left out here too, never invented.

use rmcp::schemars::{self, JsonSchema};
use serde::Serialize;

use crate::api::applications::types;
use crate::wso2::oidc::{self, AppType};

/// The OAuth/OIDC endpoints of the organization, as a created application needs them. Its
/// schema is a map of URLs: the names speak for themselves in every answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(with = "std::collections::BTreeMap<String, String>")]
pub struct OauthEndpoints {
    pub base_url: String,
    pub authorize_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub userinfo_url: String,
    pub logout_url: String,
    pub introspection_url: String,
    pub discovery_url: String,
}

impl OauthEndpoints {
    pub fn for_base(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            authorize_url: format!("{base_url}/oauth2/authorize"),
            token_url: format!("{base_url}/oauth2/token"),
            jwks_url: format!("{base_url}/oauth2/jwks"),
            userinfo_url: format!("{base_url}/oauth2/userinfo"),
            logout_url: format!("{base_url}/oidc/logout"),
            introspection_url: format!("{base_url}/oauth2/introspect"),
            discovery_url: format!("{base_url}/oauth2/token/.well-known/openid-configuration"),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationSummary {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_url: Option<String>,
}

impl ApplicationSummary {
    /// `None` for an item without an id: nothing can be done with it.
    pub fn from_item(item: types::ApplicationListItem) -> Option<Self> {
        Some(Self {
            id: item.id?,
            name: item.name,
            client_id: item.client_id,
            description: item.description,
            access_url: item.access_url,
        })
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationSummary>,
    /// How many applications match in all.
    pub total: u64,
    pub has_more: bool,
    /// Pass as `cursor` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_access_token_expiry_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_access_token_expiry_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expiry_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_expiry_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_tokens_when_idp_session_terminated: Option<bool>,
    pub access_token_attributes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OauthSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub redirect_urls: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub grant_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_client: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pkce_mandatory: Option<bool>,
    pub tokens: TokenSettings,
}

impl OauthSettings {
    pub fn from_config(config: &types::OpenIdConnectConfigurationResponse) -> Self {
        let access = config.access_token.as_ref();
        Self {
            client_id: config.client_id.clone(),
            redirect_urls: oidc::decode_redirect_urls(&config.callback_ur_ls),
            allowed_origins: config.allowed_origins.clone(),
            grant_types: config.grant_types.clone(),
            public_client: config.public_client,
            pkce_mandatory: config.pkce.as_ref().and_then(|p| p.mandatory),
            tokens: TokenSettings {
                access_token_type: access.and_then(|a| a.type_.clone()),
                user_access_token_expiry_time: access
                    .and_then(|a| a.user_access_token_expiry_in_seconds),
                application_access_token_expiry_time: access
                    .and_then(|a| a.application_access_token_expiry_in_seconds),
                refresh_token_expiry_time: config
                    .refresh_token
                    .as_ref()
                    .and_then(|r| r.expiry_in_seconds),
                id_token_expiry_time: config.id_token.as_ref().and_then(|i| i.expiry_in_seconds),
                // Older servers answer the binding at the top level (see openapi/sources.toml).
                binding_type: access
                    .and_then(|a| a.binding_type.clone())
                    .or_else(|| config.access_token_binding_type.clone()),
                revoke_tokens_when_idp_session_terminated: access
                    .and_then(|a| a.revoke_tokens_when_idp_session_terminated),
                access_token_attributes: access
                    .map(|a| a.access_token_attributes.clone())
                    .unwrap_or_default(),
                audiences: config
                    .id_token
                    .as_ref()
                    .map(|i| i.audience.clone())
                    .unwrap_or_default(),
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuthorizedApi {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub scopes: Vec<String>,
}

impl From<types::AuthorizedApiResponse> for AuthorizedApi {
    fn from(api: types::AuthorizedApiResponse) -> Self {
        Self {
            id: api.id,
            identifier: api.identifier,
            display_name: api.display_name,
            policy: api.policy_id,
            kind: api.type_,
            scopes: api
                .authorized_scopes
                .into_iter()
                .filter_map(|s| s.name)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct LoginStep {
    pub step: i64,
    /// `authenticator@idp` options; any one completes the step.
    pub options: Vec<String>,
}

/// The steps of an authentication sequence as the server answered it.
pub fn login_steps(sequence: Option<&types::AuthenticationSequenceResponse>) -> Vec<LoginStep> {
    sequence
        .map(|s| {
            s.steps
                .iter()
                .enumerate()
                .map(|(i, step)| LoginStep {
                    step: step.id.unwrap_or(i as i64 + 1),
                    options: step
                        .options
                        .iter()
                        .map(|o| {
                            format!(
                                "{}@{}",
                                o.authenticator.as_deref().unwrap_or("unknown"),
                                o.idp.as_deref().unwrap_or("unknown")
                            )
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The claim URIs an application requests.
pub fn requested_claims(model: &types::ApplicationResponseModel) -> Vec<String> {
    model
        .claim_configuration
        .as_ref()
        .map(|c| {
            c.requested_claims
                .iter()
                .filter_map(|r| r.claim.as_ref()?.uri.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationDetails {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub application_type: AppType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Absent when the application has no OIDC inbound protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OauthSettings>,
    /// Claim URIs the application requests.
    pub requested_claims: Vec<String>,
    /// Scopes a client of this type requests at login.
    pub scopes: Vec<String>,
    pub authorized_apis: Vec<AuthorizedApi>,
    pub login_flow: Vec<LoginStep>,
    pub oauth_endpoints: OauthEndpoints,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedApplication {
    pub id: String,
    pub name: String,
    pub application_type: AppType,
    /// Absent only when the server's answer could not be read (see `note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// SECRET, for confidential clients only; no read tool shows it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The fields above that hold secrets, so a host can mask them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_fields: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_urls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    pub grant_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_client: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pkce_mandatory: Option<bool>,
    /// Scopes the client should request at login.
    pub scopes: Vec<String>,
    pub oauth_endpoints: OauthEndpoints,
    /// What could not be read back, and what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What to do next: the integration guide for the fitting stacks.
    pub next_step: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BasicInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logout_return_url: Option<String>,
}

impl From<&types::ApplicationResponseModel> for BasicInfo {
    fn from(m: &types::ApplicationResponseModel) -> Self {
        Self {
            name: m.name.clone(),
            description: m.description.clone(),
            image_url: m.image_url.clone(),
            access_url: m.access_url.clone(),
            logout_return_url: m.logout_return_url.clone(),
        }
    }
}

/// An update's result: what changed, the values before (pass them back to restore), and now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Update<T> {
    pub id: String,
    pub changed: Vec<String>,
    pub previous: T,
    pub current: T,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiAuthorization {
    pub app_id: String,
    pub api_id: String,
    pub policy: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthorizedApiList {
    pub app_id: String,
    pub authorized_apis: Vec<AuthorizedApi>,
}

/// The application type, from its template or, failing that, its grant types.
pub fn app_type(
    template_id: Option<&str>,
    config: Option<&types::OpenIdConnectConfigurationResponse>,
) -> AppType {
    AppType::from_template(template_id, config.map(|c| c.grant_types.as_slice()))
}

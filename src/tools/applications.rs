//! Applications: list (complete, paged, honest totals), create the four application types
//! with their full OIDC configuration, read by name or client id, update basic info, OAuth
//! configuration and requested claims (each returning what it replaced), authorize APIs.

use std::collections::BTreeMap;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{schemars, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::oidc::{self, AppType};
use super::{OauthEndpoints, ToolError, bounded, path_segment};
use crate::api::applications::types;
use crate::server::AsgardeoServer;
use crate::wso2;

// ---- inputs -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApplicationsRequest {
    /// How many applications to return (1 to 100, default 50). Use `cursor` for the next page.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of a previous call, to continue from there.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Only applications whose name contains this text.
    #[serde(default)]
    pub name_contains: Option<String>,
    /// Include the system portals (Console, My Account). Default false.
    #[serde(default)]
    pub include_system_portals: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppRequest {
    /// Name of the application (unique in the organization).
    pub application_name: String,
    /// Redirect URL of the application: where the user returns after login
    /// (https, http for localhost, or a custom scheme such as `myapp://callback` for mobile apps).
    pub redirect_url: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateM2mAppRequest {
    /// Name of the application (unique in the organization).
    pub application_name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByNameRequest {
    /// Name of the application (exact match).
    pub application_name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByClientIdRequest {
    /// OAuth client id of the application.
    pub client_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBasicInfoRequest {
    /// ID of the application.
    pub id: String,
    /// New name of the application.
    #[serde(default)]
    pub name: Option<String>,
    /// New description of the application.
    #[serde(default)]
    pub description: Option<String>,
    /// URL of the application's logo image.
    #[serde(default)]
    pub image_url: Option<String>,
    /// URL from which users reach the application.
    #[serde(default)]
    pub access_url: Option<String>,
    /// URL the application returns to after logout.
    #[serde(default)]
    pub logout_return_url: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOauthConfigRequest {
    /// ID of the application.
    pub id: String,
    /// Redirect URLs (replaces the current list). Several are stored in WSO2's `regexp=(...)` form.
    #[serde(default)]
    pub redirect_urls: Option<Vec<String>>,
    /// Allowed origins for CORS (replaces the current list).
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
    /// Lifetime in seconds of access tokens issued to users.
    #[serde(default)]
    pub user_access_token_expiry_time: Option<u32>,
    /// Lifetime in seconds of access tokens issued to the application itself.
    #[serde(default)]
    pub application_access_token_expiry_time: Option<u32>,
    /// Lifetime in seconds of refresh tokens.
    #[serde(default)]
    pub refresh_token_expiry_time: Option<u32>,
    /// Revoke the application's tokens when the user's IdP session ends.
    #[serde(default)]
    pub revoke_tokens_when_idp_session_terminated: Option<bool>,
    /// User attributes to include in access tokens (OIDC claim names, e.g. `email`).
    #[serde(default)]
    pub access_token_attributes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClaimConfigRequest {
    /// ID of the application.
    pub id: String,
    /// The user attributes the application requests (replaces the current list): claim URIs
    /// such as `http://wso2.org/claims/username`, or short names such as `username`, `email`,
    /// `first_name`, `last_name`.
    pub claims: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeApiRequest {
    /// ID of the application.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// ID of the API resource to authorize (see `list_api_resources`).
    pub id: String,
    /// Authorization policy: `RBAC` (role-based, the default) or `No Policy`.
    #[serde(rename = "policyIdentifier", default = "default_policy")]
    pub policy_identifier: String,
    /// Scope names of the API resource to authorize the application for.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn default_policy() -> String {
    "RBAC".to_owned()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAuthorizedApiRequest {
    /// ID of the application.
    pub app_id: String,
}

// ---- outputs ------------------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationSummary {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_url: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationSummary>,
    /// How many applications match in all.
    pub total: u64,
    /// Whether more applications follow this page.
    pub has_more: bool,
    /// Pass as `cursor` to get the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedApplication {
    pub id: String,
    pub name: String,
    pub application_type: AppType,
    pub client_id: String,
    /// SECRET. Present only for confidential clients (server-side web apps, M2M apps). Store it
    /// in a secret manager; no read tool shows it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The names of the fields above that hold secrets, so a host can mask them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_fields: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_urls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    pub grant_types: Vec<String>,
    pub public_client: bool,
    pub pkce_mandatory: bool,
    /// Scopes the client should request at login.
    pub scopes: Vec<String>,
    pub oauth_endpoints: OauthEndpoints,
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
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OauthSettings {
    pub client_id: Option<String>,
    pub redirect_urls: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub grant_types: Vec<String>,
    pub public_client: bool,
    pub pkce_mandatory: bool,
    pub tokens: TokenSettings,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthorizedApi {
    pub id: Option<String>,
    pub identifier: Option<String>,
    pub display_name: Option<String>,
    pub policy: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LoginStep {
    pub step: u64,
    /// `authenticator@idp` options; any one completes the step.
    pub options: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationDetails {
    pub id: String,
    pub name: String,
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
pub struct BasicInfo {
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub access_url: Option<String>,
    pub logout_return_url: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BasicInfoUpdate {
    pub id: String,
    pub changed: Vec<String>,
    /// The values before this call: pass them back to restore.
    pub previous: BasicInfo,
    pub current: BasicInfo,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OauthUpdate {
    pub id: String,
    pub changed: Vec<String>,
    /// The settings before this call: pass them back to restore.
    pub previous: OauthSettings,
    pub current: OauthSettings,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClaimConfigUpdate {
    pub id: String,
    /// Requested claim URIs before this call: pass them back to restore.
    pub previous: Vec<String>,
    pub current: Vec<String>,
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

// ---- helpers ------------------------------------------------------------------------------

pub(crate) fn oauth_settings(oidc: &types::OpenIdConnectConfiguration) -> OauthSettings {
    let access = oidc.access_token.as_ref();
    OauthSettings {
        client_id: oidc.client_id.clone(),
        redirect_urls: oidc::decode_redirect_urls(&oidc.callback_ur_ls),
        allowed_origins: oidc.allowed_origins.clone(),
        grant_types: oidc.grant_types.clone(),
        public_client: oidc.public_client,
        pkce_mandatory: oidc
            .pkce
            .as_ref()
            .and_then(|p| p.mandatory)
            .unwrap_or(false),
        tokens: TokenSettings {
            access_token_type: access.and_then(|a| a.type_.clone()),
            user_access_token_expiry_time: access
                .and_then(|a| a.user_access_token_expiry_in_seconds),
            application_access_token_expiry_time: access
                .and_then(|a| a.application_access_token_expiry_in_seconds),
            refresh_token_expiry_time: oidc
                .refresh_token
                .as_ref()
                .and_then(|r| r.expiry_in_seconds),
            id_token_expiry_time: oidc.id_token.as_ref().and_then(|i| i.expiry_in_seconds),
            binding_type: access.map(|a| a.binding_type.clone()),
            revoke_tokens_when_idp_session_terminated: access
                .and_then(|a| a.revoke_tokens_when_idp_session_terminated),
            access_token_attributes: access
                .map(|a| a.access_token_attributes.clone())
                .unwrap_or_default(),
        },
    }
}

fn authorized_api(api: types::AuthorizedApiResponse) -> AuthorizedApi {
    AuthorizedApi {
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

pub(crate) fn login_steps(sequence: Option<&types::AuthenticationSequence>) -> Vec<LoginStep> {
    sequence
        .map(|s| {
            s.steps
                .iter()
                .map(|step| LoginStep {
                    step: step.id.get(),
                    options: step
                        .options
                        .iter()
                        .map(|o| format!("{}@{}", o.authenticator, o.idp))
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn requested_claims(model: &types::ApplicationResponseModel) -> Vec<String> {
    model
        .claim_configuration
        .as_ref()
        .map(|c| {
            c.requested_claims
                .iter()
                .map(|r| r.claim.uri.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn check_redirect(
    argument: &str,
    url: &str,
    allow_custom_scheme: bool,
) -> Result<String, ToolError> {
    let url = bounded(argument, url, 2048)?;
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(ToolError::invalid(
            argument,
            "must be an absolute URL such as https://app.example.com/callback",
        ));
    };
    let valid_scheme = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme || rest.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(ToolError::invalid(
            argument,
            "must be an absolute URL without spaces",
        ));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" | "http" => Ok(url.to_owned()),
        "javascript" | "data" | "file" | "vbscript" => Err(ToolError::invalid(
            argument,
            &format!("uses the `{scheme}` scheme, which is never a safe redirect"),
        )),
        _ if allow_custom_scheme => Ok(url.to_owned()),
        _ => Err(ToolError::invalid(
            argument,
            "must use https (or http for localhost); custom schemes are for mobile apps",
        )),
    }
}

fn optional_text(
    argument: &str,
    value: Option<&String>,
    max: usize,
) -> Result<Option<String>, ToolError> {
    value
        .map(|v| bounded(argument, v, max).map(str::to_owned))
        .transpose()
}

/// The short names a model naturally uses for common claims.
const CLAIM_ALIASES: [(&str, &str); 8] = [
    ("first_name", "http://wso2.org/claims/givenname"),
    ("firstname", "http://wso2.org/claims/givenname"),
    ("last_name", "http://wso2.org/claims/lastname"),
    ("lastname", "http://wso2.org/claims/lastname"),
    ("email_address", "http://wso2.org/claims/emailaddress"),
    ("phone", "http://wso2.org/claims/mobile"),
    ("mobile", "http://wso2.org/claims/mobile"),
    ("user_name", "http://wso2.org/claims/username"),
];

/// Resolves each requested claim to a local claim URI: a URI as is, or a short name via the
/// OIDC dialect (`email`, `given_name`), the local claim's last segment (`username`), its
/// display name, or an alias (`last_name`). Unknown names list close matches.
pub(crate) fn resolve_claims(
    requested: &[String],
    local: &[(String, String)],
    oidc: &BTreeMap<String, String>,
) -> Result<Vec<String>, ToolError> {
    let mut resolved = Vec::new();
    for raw in requested {
        let name = raw.trim();
        let lower = name.to_ascii_lowercase();
        let found = local
            .iter()
            .find(|(uri, _)| uri == name)
            .map(|(uri, _)| uri.clone())
            .or_else(|| oidc.get(&lower).cloned())
            .or_else(|| {
                local
                    .iter()
                    .find(|(uri, _)| {
                        uri.rsplit('/')
                            .next()
                            .is_some_and(|s| s.eq_ignore_ascii_case(name))
                    })
                    .map(|(u, _)| u.clone())
            })
            .or_else(|| {
                local
                    .iter()
                    .find(|(_, display)| display.eq_ignore_ascii_case(&name.replace('_', " ")))
                    .map(|(u, _)| u.clone())
            })
            .or_else(|| {
                CLAIM_ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == lower)
                    .map(|(_, uri)| (*uri).to_owned())
                    .filter(|uri| local.iter().any(|(u, _)| u == uri))
            });
        match found {
            Some(uri) => {
                if !resolved.contains(&uri) {
                    resolved.push(uri);
                }
            }
            None => {
                let close = close_matches(&lower, local, oidc);
                let hint = if close.is_empty() {
                    "use list_claims to see what exists".to_owned()
                } else {
                    format!("did you mean {}?", close.join(", "))
                };
                return Err(ToolError::invalid(
                    "claims",
                    &format!("`{name}` is not a claim in this organization; {hint}"),
                ));
            }
        }
    }
    Ok(resolved)
}

fn close_matches(
    wanted: &str,
    local: &[(String, String)],
    oidc: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut candidates: Vec<(usize, String)> = local
        .iter()
        .map(|(uri, _)| uri.clone())
        .chain(oidc.keys().cloned())
        .map(|c| {
            let tail = c.rsplit('/').next().unwrap_or(&c).to_ascii_lowercase();
            (edit_distance(wanted, &tail), c)
        })
        .filter(|(d, c)| *d <= 3 || c.to_ascii_lowercase().contains(wanted))
        .collect();
    candidates.sort();
    candidates.dedup_by(|a, b| a.1 == b.1);
    candidates.into_iter().take(3).map(|(_, c)| c).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

impl AsgardeoServer {
    fn endpoints(&self) -> OauthEndpoints {
        OauthEndpoints::for_base(self.upstream.base_url())
    }

    async fn create_app(
        &self,
        kind: AppType,
        name: &str,
        redirect: Option<&str>,
    ) -> Result<Json<CreatedApplication>, ToolError> {
        let name = bounded("application_name", name, 255)?;
        let redirect = redirect
            .map(|r| check_redirect("redirect_url", r, kind == AppType::MobileApp))
            .transpose()?;
        let oidc_config = oidc::configuration_for(kind, redirect.as_deref());
        let mut claim_configuration = None;
        if kind != AppType::M2mApp {
            claim_configuration = Some(types::ClaimConfiguration {
                dialect: types::ClaimConfigurationDialect::Local,
                requested_claims: vec![types::RequestedClaimConfiguration {
                    claim: types::Claim {
                        uri: "http://wso2.org/claims/username".into(),
                        display_name: None,
                        id: None,
                    },
                    mandatory: Some(false),
                }],
                ..Default::default()
            });
        }
        let body = types::ApplicationModel::builder()
            .name(name.to_owned())
            .template_id(kind.template_id().map(str::to_owned))
            .claim_configuration(claim_configuration)
            .inbound_protocol_configuration(Some(types::InboundProtocols {
                oidc: Some(oidc_config),
                ..Default::default()
            }));
        let doing = format!("creating application `{name}`");
        let created = self
            .upstream
            .applications()
            .create_application()
            .body(body)
            .send()
            .await;
        let created = match created {
            Ok(response) => response,
            Err(e) => return Err(ToolError::upstream(&doing, e, self.upstream.base_url()).await),
        };
        let id = created
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
            .map(str::to_owned)
            .ok_or_else(|| ToolError::new(format!("The application `{name}` was created but the server did not say its id (no Location header); find it with get_application_by_name.")))?;
        self.audit_write("create", &id, "ok");
        let oidc = match self
            .upstream
            .applications()
            .get_inbound_oauth_configuration()
            .application_id(&id)
            .send()
            .await
        {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    &format!("reading the OIDC configuration of new application {id}"),
                    e,
                    self.upstream.base_url(),
                )
                .await);
            }
        };
        let settings = oauth_settings(&oidc);
        Ok(Json(CreatedApplication {
            id,
            name: name.to_owned(),
            application_type: kind,
            client_id: oidc.client_id.clone().unwrap_or_default(),
            secret_fields: if kind.issues_secret() && oidc.client_secret.is_some() {
                vec!["client_secret".to_owned()]
            } else {
                Vec::new()
            },
            client_secret: if kind.issues_secret() {
                oidc.client_secret.clone()
            } else {
                None
            },
            redirect_urls: settings.redirect_urls,
            allowed_origins: settings.allowed_origins,
            grant_types: settings.grant_types,
            public_client: settings.public_client,
            pkce_mandatory: settings.pkce_mandatory,
            scopes: kind.default_scopes(),
            oauth_endpoints: self.endpoints(),
        }))
    }

    /// Finds exactly one application by `filter`; none is a not-found error that says so.
    async fn find_one(&self, filter: String, describe: &str) -> Result<String, ToolError> {
        let doing = format!("looking up {describe}");
        let page = match self
            .upstream
            .applications()
            .get_all_applications()
            .filter(filter)
            .limit(2)
            .send()
            .await
        {
            Ok(r) => r.into_inner(),
            Err(e) => return Err(ToolError::upstream(&doing, e, self.upstream.base_url()).await),
        };
        page.applications
            .into_iter()
            .find_map(|a| a.id)
            .ok_or_else(|| {
                ToolError::not_found(format!(
                    "{describe}; list_applications shows the applications that exist"
                ))
            })
    }

    async fn details(&self, id: &str) -> Result<Json<ApplicationDetails>, ToolError> {
        let apps = self.upstream.applications();
        let (app, oidc, authorized) = tokio::join!(
            apps.get_application().application_id(id).send(),
            apps.get_inbound_oauth_configuration()
                .application_id(id)
                .send(),
            apps.get_authorized_apis().application_id(id).send(),
        );
        let base = self.upstream.base_url();
        let app = match app {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(
                    ToolError::upstream(&format!("reading application {id}"), e, base).await,
                );
            }
        };
        // An application without an OIDC inbound protocol (SAML, say) answers 404 here.
        let oidc = match oidc {
            Ok(r) => Some(r.into_inner()),
            Err(progenitor_client::Error::ErrorResponse(r)) if r.status().as_u16() == 404 => None,
            Err(e) => {
                return Err(ToolError::upstream(
                    &format!("reading the OIDC configuration of application {id}"),
                    e,
                    base,
                )
                .await);
            }
        };
        let authorized = match authorized {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    &format!("reading the authorized APIs of application {id}"),
                    e,
                    base,
                )
                .await);
            }
        };
        let kind = AppType::from_template(app.template_id.as_deref(), oidc.as_ref());
        Ok(Json(ApplicationDetails {
            id: app.id.clone().unwrap_or_else(|| id.to_owned()),
            name: app.name.clone(),
            application_type: kind,
            description: app.description.clone(),
            access_url: app.access_url.clone(),
            template_id: app.template_id.clone(),
            oauth: oidc.as_ref().map(oauth_settings),
            requested_claims: requested_claims(&app),
            scopes: kind.default_scopes(),
            authorized_apis: authorized.into_iter().map(authorized_api).collect(),
            login_flow: login_steps(app.authentication_sequence.as_ref()),
            oauth_endpoints: self.endpoints(),
        }))
    }

    async fn read_app(&self, id: &str) -> Result<types::ApplicationResponseModel, ToolError> {
        match self
            .upstream
            .applications()
            .get_application()
            .application_id(id)
            .send()
            .await
        {
            Ok(r) => Ok(r.into_inner()),
            Err(e) => Err(ToolError::upstream(
                &format!("reading application {id}"),
                e,
                self.upstream.base_url(),
            )
            .await),
        }
    }

    async fn patch_app(
        &self,
        id: &str,
        patch: types::builder::ApplicationPatchModel,
        what: &str,
    ) -> Result<(), ToolError> {
        let result = self
            .upstream
            .applications()
            .patch_application()
            .application_id(id)
            .body(patch)
            .send()
            .await;
        match result {
            Ok(_) => {
                self.audit_write(what, id, "ok");
                Ok(())
            }
            Err(e) => {
                self.audit_write(what, id, "failed");
                Err(ToolError::upstream(
                    &format!("updating the {what} of application {id}"),
                    e,
                    self.upstream.base_url(),
                )
                .await)
            }
        }
    }

    /// Local claims as (URI, display name) and the OIDC dialect as claim name → local URI.
    pub(crate) async fn claim_catalogue(
        &self,
    ) -> Result<(Vec<(String, String)>, BTreeMap<String, String>), ToolError> {
        let claims = self.upstream.claims();
        let oidc_dialect = wso2::dialect_id(wso2::OIDC_DIALECT);
        let (local, external) = tokio::join!(
            claims.get_local_claims().send(),
            claims
                .get_external_claims()
                .dialect_id(&oidc_dialect)
                .send()
        );
        let base = self.upstream.base_url();
        let local = match local {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(
                    ToolError::upstream("listing the organization's claims", e, base).await,
                );
            }
        };
        let external = match external {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream("listing the OIDC claim mappings", e, base).await);
            }
        };
        let local = local
            .into_iter()
            .filter_map(|c| Some((c.claim_uri?, c.display_name.unwrap_or_default())))
            .collect();
        let oidc = external
            .into_iter()
            .filter_map(|c| Some((c.claim_uri?.to_ascii_lowercase(), c.mapped_local_claim_uri?)))
            .collect();
        Ok((local, oidc))
    }
}

// ---- tools --------------------------------------------------------------------------------

#[tool_router(router = applications_router, vis = "pub(crate)")]
impl AsgardeoServer {
    /// List applications in Asgardeo: names, ids and client ids, a page at a time, with the total
    /// count and a cursor for the next page. Nothing is cut silently.
    #[tool(annotations(
        title = "List applications",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_applications(
        &self,
        Parameters(req): Parameters<ListApplicationsRequest>,
    ) -> Result<Json<ApplicationList>, ToolError> {
        let limit = req.limit.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(ToolError::invalid("limit", "must be between 1 and 100"));
        }
        let offset: u64 = match req.cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => c
                .parse()
                .map_err(|_| ToolError::invalid("cursor", "is not a cursor this tool returned"))?,
        };
        let client = self.upstream.applications();
        let mut call = client
            .get_all_applications()
            .limit(u64::from(limit))
            .offset(offset as i64)
            .exclude_system_portals(!req.include_system_portals.unwrap_or(false));
        if let Some(text) = req
            .name_contains
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            call = call.filter(format!("name co {}", bounded("name_contains", text, 255)?));
        }
        let page = match call.send().await {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    "listing applications",
                    e,
                    self.upstream.base_url(),
                )
                .await);
            }
        };
        let returned = page.applications.len() as u64;
        let total = page
            .total_results
            .map_or(offset + returned, |t| t.max(0) as u64);
        let has_more = offset + returned < total;
        Ok(Json(ApplicationList {
            applications: page
                .applications
                .into_iter()
                .map(|a| ApplicationSummary {
                    id: a.id.unwrap_or_default(),
                    name: a.name.unwrap_or_default(),
                    client_id: a.client_id,
                    description: a.description,
                    access_url: a.access_url,
                })
                .collect(),
            total,
            has_more,
            next_cursor: has_more.then(|| (offset + returned).to_string()),
        }))
    }

    /// Create a single-page application (React, Angular, Vue...) in Asgardeo: a public OIDC client
    /// with authorization code + PKCE, refresh tokens, and CORS allowed from the redirect URL's
    /// origin. Returns the client id, scopes and OAuth endpoints.
    #[tool(annotations(
        title = "Create single-page application",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_single_page_app(
        &self,
        Parameters(req): Parameters<CreateAppRequest>,
    ) -> Result<Json<CreatedApplication>, ToolError> {
        self.create_app(
            AppType::SinglePageApp,
            &req.application_name,
            Some(&req.redirect_url),
        )
        .await
    }

    /// Create a regular web application with server-side rendering (Next.js, Express...) in
    /// Asgardeo: a confidential OIDC client with authorization code and refresh tokens. Returns the
    /// client id, the client secret (shown only here), scopes and OAuth endpoints.
    #[tool(annotations(
        title = "Create server-side web application",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_webapp_with_ssr(
        &self,
        Parameters(req): Parameters<CreateAppRequest>,
    ) -> Result<Json<CreatedApplication>, ToolError> {
        self.create_app(
            AppType::WebAppWithSsr,
            &req.application_name,
            Some(&req.redirect_url),
        )
        .await
    }

    /// Create a mobile application in Asgardeo: a public OIDC client with authorization code + PKCE
    /// and refresh tokens; the redirect URL may use a custom scheme (myapp://callback).
    #[tool(annotations(
        title = "Create mobile application",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_mobile_app(
        &self,
        Parameters(req): Parameters<CreateAppRequest>,
    ) -> Result<Json<CreatedApplication>, ToolError> {
        self.create_app(
            AppType::MobileApp,
            &req.application_name,
            Some(&req.redirect_url),
        )
        .await
    }

    /// Create a machine-to-machine (M2M) application in Asgardeo: a confidential client for the
    /// client-credentials grant. Returns the client id, the client secret (shown only here) and the
    /// token endpoint. Authorize it for APIs with `authorize_api`.
    #[tool(annotations(
        title = "Create M2M application",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_m2m_app(
        &self,
        Parameters(req): Parameters<CreateM2mAppRequest>,
    ) -> Result<Json<CreatedApplication>, ToolError> {
        self.create_app(AppType::M2mApp, &req.application_name, None)
            .await
    }

    /// Get an application by its exact name: type, redirect URLs, allowed origins, grant types,
    /// token settings, requested claims, authorized API scopes, login flow and OAuth endpoints.
    /// Never returns the client secret.
    #[tool(annotations(
        title = "Get application by name",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_application_by_name(
        &self,
        Parameters(req): Parameters<ByNameRequest>,
    ) -> Result<Json<ApplicationDetails>, ToolError> {
        let name = bounded("application_name", &req.application_name, 255)?;
        let id = self
            .find_one(
                format!("name eq {name}"),
                &format!("the application named `{name}`"),
            )
            .await?;
        self.details(&id).await
    }

    /// Get an application by its OAuth client id, with the same details as
    /// `get_application_by_name`. Never returns the client secret.
    #[tool(annotations(
        title = "Get application by client id",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_application_by_client_id(
        &self,
        Parameters(req): Parameters<ByClientIdRequest>,
    ) -> Result<Json<ApplicationDetails>, ToolError> {
        let client_id = path_segment("client_id", &req.client_id)?;
        let id = self
            .find_one(
                format!("clientId eq {client_id}"),
                &format!("the application with client id `{client_id}`"),
            )
            .await?;
        self.details(&id).await
    }

    /// Update an application's basic information (name, description, logo, access URL, logout
    /// return URL). Returns the previous values beside the new ones.
    #[tool(annotations(
        title = "Update application basic info",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_application_basic_info(
        &self,
        Parameters(req): Parameters<UpdateBasicInfoRequest>,
    ) -> Result<Json<BasicInfoUpdate>, ToolError> {
        let id = path_segment("id", &req.id)?.to_owned();
        let name = optional_text("name", req.name.as_ref(), 255)?;
        let description = req
            .description
            .as_ref()
            .map(|d| d.trim().chars().take(1024).collect::<String>());
        let image_url = req
            .image_url
            .as_ref()
            .map(|u| check_redirect("image_url", u, false))
            .transpose()?;
        let access_url = req
            .access_url
            .as_ref()
            .map(|u| check_redirect("access_url", u, true))
            .transpose()?;
        let logout_return_url = req
            .logout_return_url
            .as_ref()
            .map(|u| check_redirect("logout_return_url", u, true))
            .transpose()?;
        let changed: Vec<String> = [
            ("name", name.is_some()),
            ("description", description.is_some()),
            ("image_url", image_url.is_some()),
            ("access_url", access_url.is_some()),
            ("logout_return_url", logout_return_url.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| (*n).to_owned())
        .collect();
        if changed.is_empty() {
            return Err(ToolError::invalid(
                "name",
                "nothing to update: give at least one of name, description, image_url, access_url, logout_return_url",
            ));
        }
        let before = self.read_app(&id).await?;
        let mut patch = types::ApplicationPatchModel::builder();
        if let Some(v) = &name {
            patch = patch.name(Some(v.clone()));
        }
        if let Some(v) = &description {
            patch = patch.description(Some(v.clone()));
        }
        if let Some(v) = &image_url {
            patch = patch.image_url(Some(v.clone()));
        }
        if let Some(v) = &access_url {
            patch = patch.access_url(Some(v.clone()));
        }
        if let Some(v) = &logout_return_url {
            patch = patch.logout_return_url(Some(v.clone()));
        }
        self.patch_app(&id, patch, "basic info").await?;
        let basic = |m: &types::ApplicationResponseModel| BasicInfo {
            name: m.name.clone(),
            description: m.description.clone(),
            image_url: m.image_url.clone(),
            access_url: m.access_url.clone(),
            logout_return_url: m.logout_return_url.clone(),
        };
        let after = self.read_app(&id).await?;
        Ok(Json(BasicInfoUpdate {
            id,
            changed,
            previous: basic(&before),
            current: basic(&after),
        }))
    }

    /// Update an application's OAuth/OIDC settings: redirect URLs, allowed origins, token
    /// lifetimes, token revocation and access-token attributes. Settings not given stay as they
    /// are. Returns the previous settings beside the new ones.
    #[tool(annotations(
        title = "Update application OAuth configuration",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_application_oauth_config(
        &self,
        Parameters(req): Parameters<UpdateOauthConfigRequest>,
    ) -> Result<Json<OauthUpdate>, ToolError> {
        let id = path_segment("id", &req.id)?.to_owned();
        let base = self.upstream.base_url().to_owned();
        let apps = self.upstream.applications();
        let mut config = match apps
            .get_inbound_oauth_configuration()
            .application_id(&id)
            .send()
            .await
        {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    &format!("reading the OAuth configuration of application {id}"),
                    e,
                    &base,
                )
                .await);
            }
        };
        let previous = oauth_settings(&config);
        let mobile = AppType::from_template(None, Some(&config)) == AppType::MobileApp
            || config.callback_ur_ls.iter().any(|u| !u.starts_with("http"));
        let mut changed = Vec::new();
        if let Some(urls) = &req.redirect_urls {
            let urls = urls
                .iter()
                .map(|u| check_redirect("redirect_urls", u, mobile || config.public_client))
                .collect::<Result<Vec<_>, _>>()?;
            config.callback_ur_ls = oidc::encode_redirect_urls(&urls);
            changed.push("redirect_urls".to_owned());
        }
        if let Some(origins) = &req.allowed_origins {
            config.allowed_origins = origins
                .iter()
                .map(|o| {
                    oidc::origin_of(o.trim())
                        .filter(|x| x == o.trim().trim_end_matches('/'))
                        .ok_or_else(|| {
                            ToolError::invalid(
                                "allowed_origins",
                                &format!("`{o}` is not an origin (scheme://host[:port])"),
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
            changed.push("allowed_origins".to_owned());
        }
        let access = config.access_token.get_or_insert_with(Default::default);
        if let Some(v) = req.user_access_token_expiry_time {
            access.user_access_token_expiry_in_seconds = Some(v.into());
            changed.push("user_access_token_expiry_time".to_owned());
        }
        if let Some(v) = req.application_access_token_expiry_time {
            access.application_access_token_expiry_in_seconds = Some(v.into());
            changed.push("application_access_token_expiry_time".to_owned());
        }
        if let Some(v) = req.revoke_tokens_when_idp_session_terminated {
            access.revoke_tokens_when_idp_session_terminated = Some(v);
            changed.push("revoke_tokens_when_idp_session_terminated".to_owned());
        }
        if let Some(v) = &req.access_token_attributes {
            access.access_token_attributes = v
                .iter()
                .map(|a| bounded("access_token_attributes", a, 255).map(str::to_owned))
                .collect::<Result<_, _>>()?;
            changed.push("access_token_attributes".to_owned());
        }
        if let Some(v) = req.refresh_token_expiry_time {
            config
                .refresh_token
                .get_or_insert_with(Default::default)
                .expiry_in_seconds = Some(v.into());
            changed.push("refresh_token_expiry_time".to_owned());
        }
        if changed.is_empty() {
            return Err(ToolError::invalid(
                "redirect_urls",
                "nothing to update: give at least one setting",
            ));
        }
        // The secret is never sent back: the server keeps it.
        config.client_secret = None;
        let updated = match apps
            .update_inbound_oauth_configuration()
            .application_id(&id)
            .body(config)
            .send()
            .await
        {
            Ok(_) => {
                self.audit_write("oauth configuration", &id, "ok");
                match apps
                    .get_inbound_oauth_configuration()
                    .application_id(&id)
                    .send()
                    .await
                {
                    Ok(r) => r.into_inner(),
                    Err(e) => {
                        return Err(ToolError::upstream(
                            &format!("reading back the OAuth configuration of application {id}"),
                            e,
                            &base,
                        )
                        .await);
                    }
                }
            }
            Err(e) => {
                self.audit_write("oauth configuration", &id, "failed");
                return Err(ToolError::upstream(
                    &format!("updating the OAuth configuration of application {id}"),
                    e,
                    &base,
                )
                .await);
            }
        };
        Ok(Json(OauthUpdate {
            id,
            changed,
            previous,
            current: oauth_settings(&updated),
        }))
    }

    /// Set the user attributes (claims) an application requests, replacing the current list.
    /// Accepts claim URIs or short names (username, email, first_name, last_name...); an unknown
    /// claim is an error listing close matches. Returns the claims before and after.
    #[tool(annotations(
        title = "Update application requested claims",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_application_claim_config(
        &self,
        Parameters(req): Parameters<UpdateClaimConfigRequest>,
    ) -> Result<Json<ClaimConfigUpdate>, ToolError> {
        let id = path_segment("id", &req.id)?.to_owned();
        if req.claims.len() > 100 {
            return Err(ToolError::invalid("claims", "lists more than 100 claims"));
        }
        let (local, oidc_names) = self.claim_catalogue().await?;
        let uris = resolve_claims(&req.claims, &local, &oidc_names)?;
        let before = self.read_app(&id).await?;
        let previous = requested_claims(&before);
        let mut configuration = before.claim_configuration.clone().unwrap_or_default();
        configuration.requested_claims = uris
            .iter()
            .map(|uri| types::RequestedClaimConfiguration {
                claim: types::Claim {
                    uri: uri.clone(),
                    display_name: None,
                    id: None,
                },
                mandatory: Some(false),
            })
            .collect();
        self.patch_app(
            &id,
            types::ApplicationPatchModel::builder().claim_configuration(Some(configuration)),
            "requested claims",
        )
        .await?;
        let after = self.read_app(&id).await?;
        Ok(Json(ClaimConfigUpdate {
            id,
            previous,
            current: requested_claims(&after),
        }))
    }

    /// Authorize an application to call an API resource with the given scopes.
    #[tool(annotations(
        title = "Authorize API for application",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn authorize_api(
        &self,
        Parameters(req): Parameters<AuthorizeApiRequest>,
    ) -> Result<Json<ApiAuthorization>, ToolError> {
        let app_id = path_segment("appId", &req.app_id)?.to_owned();
        let api_id = path_segment("id", &req.id)?.to_owned();
        let policy = bounded("policyIdentifier", &req.policy_identifier, 64)?.to_owned();
        let scopes = req
            .scopes
            .iter()
            .map(|s| bounded("scopes", s, 255).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        let body = types::AuthorizedApiCreationModel {
            id: Some(api_id.clone()),
            policy_identifier: Some(policy.clone()),
            scopes: scopes.clone(),
            authorization_details_types: Vec::new(),
        };
        match self
            .upstream
            .applications()
            .add_authorized_api()
            .application_id(&app_id)
            .body(body)
            .send()
            .await
        {
            Ok(_) => {
                self.audit_write("authorize api", &app_id, "ok");
                Ok(Json(ApiAuthorization {
                    app_id,
                    api_id,
                    policy,
                    scopes,
                }))
            }
            Err(e) => {
                self.audit_write("authorize api", &app_id, "failed");
                Err(ToolError::upstream(
                    &format!("authorizing application {app_id} for API resource {api_id}"),
                    e,
                    self.upstream.base_url(),
                )
                .await)
            }
        }
    }

    /// List the API resources an application is authorized for, with the authorized scopes.
    #[tool(annotations(
        title = "List authorized APIs",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_authorized_api(
        &self,
        Parameters(req): Parameters<ListAuthorizedApiRequest>,
    ) -> Result<Json<AuthorizedApiList>, ToolError> {
        let app_id = path_segment("app_id", &req.app_id)?.to_owned();
        match self
            .upstream
            .applications()
            .get_authorized_apis()
            .application_id(&app_id)
            .send()
            .await
        {
            Ok(r) => Ok(Json(AuthorizedApiList {
                app_id,
                authorized_apis: r.into_inner().into_iter().map(authorized_api).collect(),
            })),
            Err(e) => Err(ToolError::upstream(
                &format!("listing the authorized APIs of application {app_id}"),
                e,
                self.upstream.base_url(),
            )
            .await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> (Vec<(String, String)>, BTreeMap<String, String>) {
        let local = vec![
            (
                "http://wso2.org/claims/username".to_owned(),
                "Username".to_owned(),
            ),
            (
                "http://wso2.org/claims/lastname".to_owned(),
                "Last Name".to_owned(),
            ),
            (
                "http://wso2.org/claims/emailaddress".to_owned(),
                "Email".to_owned(),
            ),
        ];
        let oidc = BTreeMap::from([
            (
                "email".to_owned(),
                "http://wso2.org/claims/emailaddress".to_owned(),
            ),
            (
                "family_name".to_owned(),
                "http://wso2.org/claims/lastname".to_owned(),
            ),
        ]);
        (local, oidc)
    }

    #[test]
    fn short_claim_names_resolve_to_uris() {
        let (local, oidc) = catalogue();
        let uris = resolve_claims(
            &[
                "username".into(),
                "last_name".into(),
                "email".into(),
                "http://wso2.org/claims/username".into(),
            ],
            &local,
            &oidc,
        )
        .unwrap();
        assert_eq!(
            uris,
            [
                "http://wso2.org/claims/username",
                "http://wso2.org/claims/lastname",
                "http://wso2.org/claims/emailaddress"
            ]
        );
    }

    #[test]
    fn an_unknown_claim_lists_close_matches() {
        let (local, oidc) = catalogue();
        let err = resolve_claims(&["usernme".into()], &local, &oidc)
            .unwrap_err()
            .message;
        assert!(
            err.contains("usernme") && err.contains("http://wso2.org/claims/username"),
            "{err}"
        );
    }

    #[test]
    fn redirect_urls_are_checked() {
        assert!(check_redirect("r", "https://a.example.com/cb", false).is_ok());
        assert!(check_redirect("r", "myapp://callback", false).is_err());
        assert!(check_redirect("r", "myapp://callback", true).is_ok());
        assert!(check_redirect("r", "javascript://alert(1)", true).is_err());
        assert!(check_redirect("r", "not a url", true).is_err());
    }
}

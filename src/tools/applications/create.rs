//! The four create tools. Each builds the full inbound OIDC configuration for its type and
//! returns everything the developer needs: ids, endpoints, and (confidential clients only) the
//! secret. Once the server has created the application the tool reports success, even if what
//! follows (reading the new client back) fails: it says what could not be read instead.

use std::time::Duration;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;

use super::Lookup;
use super::views::{CreatedApplication, OauthSettings};
use crate::api::applications::types;
use crate::api::{CallScope, FailureKind};
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::oidc::{self, AppType};
use crate::wso2::urls::{self, UrlUse};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppRequest {
    /// Name of the application (unique in the organization).
    pub application_name: String,
    /// Where users return after login: https (http for localhost; mobile apps may use a custom
    /// scheme such as `myapp://callback`).
    pub redirect_url: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateM2mAppRequest {
    /// Name of the application (unique in the organization).
    pub application_name: String,
}

/// Pauses between attempts to read a new application back.
const READ_BACK: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(300),
    Duration::from_secs(1),
];

/// A URL argument checked against the policy for its use.
pub(crate) fn checked_url(argument: &str, value: &str, use_: UrlUse) -> Result<String, ToolError> {
    let value = input::name(argument, value, 2048)?;
    urls::check(value, use_).map_err(|refused| ToolError::invalid(argument, &refused.0))?;
    Ok(value.to_owned())
}

impl ToolContext {
    async fn create_app(
        &self,
        kind: AppType,
        name: &str,
        redirect: Option<&str>,
    ) -> Result<Json<CreatedApplication>, ToolError> {
        let name = input::name("application_name", name, 255)?;
        let use_ = if kind == AppType::MobileApp {
            UrlUse::MobileRedirect
        } else {
            UrlUse::WebRedirect
        };
        let redirect = redirect
            .map(|r| checked_url("redirect_url", r, use_))
            .transpose()?;
        let oidc_config = oidc::configuration_for(kind, redirect.as_deref());
        let claim_configuration = (kind != AppType::M2mApp).then(|| types::ClaimConfiguration {
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
            .await
            .or_failure()
            .await;
        let mut notes = Vec::new();
        let id = match created {
            Ok(response) => match location_id(response.headers()) {
                Some(id) => id,
                None => self.id_by_name(name, &mut notes).await?,
            },
            Err(failure) if failure.write_unknown => {
                // The request went out and no answer came: look, rather than guess.
                match self.find_application(Lookup::Name, name).await {
                    Ok(found) => {
                        if let Some(scope) = CallScope::current() {
                            scope.confirm_unknown_writes();
                        }
                        notes.push(
                            "The server did not answer the create request, but the application exists."
                                .to_owned(),
                        );
                        found
                            .id
                            .ok_or_else(|| ToolError::missing("id", "getAllApplications"))?
                    }
                    Err(_) => {
                        return Err(ToolError::new(format!(
                            "{} Whether `{name}` was created is unknown: check with get_application_by_name before creating it again.",
                            ToolError::from_failure(&doing, &failure)
                        )));
                    }
                }
            }
            Err(failure) if failure.kind == FailureKind::Status(409) => {
                return Err(ToolError::new(format!(
                    "An application named `{name}` already exists (409). Choose another name, or read it with get_application_by_name.{}",
                    if failure.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" The server said: {}", failure.detail)
                    }
                )));
            }
            // A success status the server's code is not known to send: it was created.
            Err(failure) if failure.status().is_some_and(|s| (200..300).contains(&s)) => {
                self.id_by_name(name, &mut notes).await?
            }
            Err(failure) => return Err(ToolError::from_failure(&doing, &failure)),
        };
        let oidc = self.read_back_oidc(&id, &mut notes).await;
        let settings = oidc.as_ref().map(OauthSettings::from_config);
        let mut secret = if kind.issues_secret() {
            oidc.as_ref().and_then(|o| o.client_secret.clone())
        } else {
            None
        };
        if kind.issues_secret() && secret.is_none() && oidc.is_some() {
            secret = self.first_secret(&id, &mut notes).await;
        }
        if kind.issues_secret() && secret.is_none() {
            notes.push(format!(
                "The client secret could not be read, and no read tool shows it later: regenerate it (regenerate_client_secret, or Console > Applications > {name} > Protocol > Regenerate) before using the client."
            ));
        }
        Ok(Json(CreatedApplication {
            id,
            name: name.to_owned(),
            application_type: kind,
            client_id: settings.as_ref().and_then(|s| s.client_id.clone()),
            secret_fields: if secret.is_some() {
                vec!["client_secret".to_owned()]
            } else {
                Vec::new()
            },
            client_secret: secret,
            redirect_urls: settings
                .as_ref()
                .map(|s| s.redirect_urls.clone())
                .unwrap_or_default(),
            allowed_origins: settings
                .as_ref()
                .map(|s| s.allowed_origins.clone())
                .unwrap_or_default(),
            grant_types: settings
                .as_ref()
                .map(|s| s.grant_types.clone())
                .unwrap_or_default(),
            public_client: settings.as_ref().and_then(|s| s.public_client),
            pkce_mandatory: settings.as_ref().and_then(|s| s.pkce_mandatory),
            scopes: kind.default_scopes(),
            oauth_endpoints: self.endpoints(),
            note: (!notes.is_empty()).then(|| notes.join(" ")),
            next_step: crate::tools::integration::next_step(name, kind),
        }))
    }

    /// The new application's id when the server did not say it (no `Location`).
    async fn id_by_name(&self, name: &str, notes: &mut Vec<String>) -> Result<String, ToolError> {
        match self.find_application(Lookup::Name, name).await {
            Ok(found) => found
                .id
                .ok_or_else(|| ToolError::missing("id", "getAllApplications")),
            Err(err) => Err(ToolError::new(format!(
                "The application `{name}` was created, but the server did not say its id and it could not be found ({err}). Find it with get_application_by_name; do not create it again."
            ))),
        }
        .inspect(|_| notes.push("The server did not send the new application's location; it was found by name.".into()))
    }

    /// The secret of a client just created, when the read left it out: from IS 7.2 the server
    /// answers the secret only to a token with `internal_application_mgt_client_secret_view`
    /// (asked for, but an M2M application may not be granted it). Regenerating is harmless
    /// here, since no one holds the first secret yet, and its answer always carries the new one.
    async fn first_secret(&self, id: &str, notes: &mut Vec<String>) -> Option<String> {
        let regenerated = self
            .upstream
            .applications()
            .regenerate_oauth_client_secret()
            .application_id(id)
            .send()
            .await
            .or_explain_write(format!("issuing the client secret of application {id}"))
            .await;
        match regenerated {
            Ok(crate::tools::Written::Read(config)) => {
                notes.push(format!(
                    "The server did not show the first client secret (the M2M application lacks {}), so a new one was issued.",
                    crate::api::CLIENT_SECRET_VIEW_SCOPE
                ));
                config.client_secret.filter(|s| !s.is_empty())
            }
            Ok(crate::tools::Written::Unreadable { .. }) => None,
            Err(err) => {
                notes.push(format!(
                    "The server did not show the client secret (the M2M application lacks {}), and issuing one failed: {}",
                    crate::api::CLIENT_SECRET_VIEW_SCOPE,
                    err.message
                ));
                None
            }
        }
    }

    /// Reads the new client's OIDC configuration, retrying briefly; on failure notes why.
    async fn read_back_oidc(
        &self,
        id: &str,
        notes: &mut Vec<String>,
    ) -> Option<types::OpenIdConnectConfigurationResponse> {
        let mut last = None;
        for pause in READ_BACK {
            tokio::time::sleep(pause).await;
            match self.read_oidc(id).await {
                Ok(config) => return Some(config),
                Err(err) => last = Some(err),
            }
        }
        notes.push(format!(
            "The application was created (id {id}), but its OAuth settings could not be read back: {} Read them later with get_application_by_client_id or get_application_by_name.",
            last.map(|e| e.message).unwrap_or_default()
        ));
        None
    }
}

/// The id at the end of a `Location` header.
fn location_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

#[tool_router(router = application_create_router, vis = "pub(super)")]
impl ToolContext {
    /// Create a single-page application (React, Angular, Vue...) in Asgardeo: a public OIDC client
    /// with authorization code, PKCE, refresh tokens, and CORS for the redirect URL's origin.
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

    /// Create a server-side web application (Next.js, Express...) in Asgardeo: a confidential OIDC
    /// client with authorization code and refresh tokens. Returns its secret (shown only here).
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

    /// Create a mobile application in Asgardeo: a public OIDC client with authorization code,
    /// PKCE and refresh tokens; the redirect URL may use a custom scheme.
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

    /// Create a machine-to-machine (M2M) application in Asgardeo: a confidential
    /// client-credentials client. Returns its secret (shown only here); see `authorize_api`.
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
}

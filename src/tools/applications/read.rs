//! Reading one application whole: by exact name or by client id, with its OAuth settings,
//! requested claims, authorized APIs, login flow and endpoints, in concurrent reads.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;

use super::Lookup;
use super::views::{self, ApplicationDetails, AuthorizedApi, OauthSettings};
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};

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

impl ToolContext {
    pub(crate) async fn details(&self, id: &str) -> Result<ApplicationDetails, ToolError> {
        let apps = self.upstream.applications();
        let (app, oidc, authorized) = tokio::join!(
            apps.get_application().application_id(id).send(),
            apps.get_inbound_oauth_configuration()
                .application_id(id)
                .send(),
            apps.get_authorized_apis().application_id(id).send(),
        );
        let app = app.or_explain(format!("reading application {id}")).await?;
        // An application without an OIDC inbound protocol (SAML, say) answers 404 here.
        let oidc = oidc
            .or_absent(format!(
                "reading the OAuth configuration of application {id}"
            ))
            .await?;
        let authorized = authorized
            .or_explain(format!("reading the authorized APIs of application {id}"))
            .await?;
        let kind = views::app_type(app.template_id.as_deref(), oidc.as_ref());
        Ok(ApplicationDetails {
            id: app.id.clone().unwrap_or_else(|| id.to_owned()),
            name: app.name.clone(),
            application_type: kind,
            description: app.description.clone(),
            access_url: app.access_url.clone(),
            template_id: app.template_id.clone(),
            oauth: oidc.as_ref().map(OauthSettings::from_config),
            requested_claims: views::requested_claims(&app),
            scopes: kind.default_scopes(),
            authorized_apis: authorized.into_iter().map(AuthorizedApi::from).collect(),
            login_flow: views::login_steps(app.authentication_sequence.as_ref()),
            oauth_endpoints: self.endpoints(),
        })
    }

    async fn details_of(
        &self,
        lookup: Lookup,
        value: &str,
    ) -> Result<ApplicationDetails, ToolError> {
        let found = self.find_application(lookup, value).await?;
        let id = found
            .id
            .ok_or_else(|| ToolError::missing("id", "getAllApplications"))?;
        self.details(&id).await
    }
}

#[tool_router(router = application_read_router, vis = "pub(super)")]
impl ToolContext {
    /// Get an application by its exact name: type, OAuth settings, requested claims, authorized
    /// APIs, login flow and endpoints (never the secret).
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
        let name = input::name("application_name", &req.application_name, 255)?;
        self.details_of(Lookup::Name, name).await.map(Json)
    }

    /// Get an application by its OAuth client id, with the details `get_application_by_name`
    /// gives.
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
        let client_id = input::path_segment("client_id", &req.client_id)?;
        self.details_of(Lookup::ClientId, client_id).await.map(Json)
    }
}

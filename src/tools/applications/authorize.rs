//! API authorization: let an application call an API resource with chosen scopes, and list what
//! it is authorized for.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;

use super::views::{ApiAuthorization, AuthorizedApi, AuthorizedApiList};
use crate::api::FailureKind;
use crate::api::applications::types;
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};

/// How the API decides what a user of the application may do.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub enum Policy {
    // Role-based: users get the scopes their roles grant.
    #[default]
    #[serde(rename = "RBAC")]
    Rbac,
    // Every authorized scope, regardless of roles.
    #[serde(rename = "No Policy")]
    NoPolicy,
}

impl Policy {
    fn as_str(self) -> &'static str {
        match self {
            Policy::Rbac => "RBAC",
            Policy::NoPolicy => "No Policy",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeApiRequest {
    /// ID of the application.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// ID of the API resource (see `list_api_resources`).
    pub id: String,
    /// `RBAC` (users get the scopes their roles grant; the default) or `No Policy` (every
    /// authorized scope).
    #[serde(rename = "policyIdentifier", default)]
    pub policy_identifier: Policy,
    /// Scope names of the API resource to authorize.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAuthorizedApiRequest {
    /// ID of the application.
    pub app_id: String,
}

#[tool_router(router = application_authorize_router, vis = "pub(super)")]
impl ToolContext {
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
        let app_id = input::path_segment("appId", &req.app_id)?.to_owned();
        let api_id = input::path_segment("id", &req.id)?.to_owned();
        input::at_most("scopes", &req.scopes, 200)?;
        let scopes = req
            .scopes
            .iter()
            .map(|s| input::name("scopes", s, 255).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        let policy = req.policy_identifier.as_str().to_owned();
        let body = types::AuthorizedApiCreationModel {
            id: Some(api_id.clone()),
            policy_identifier: Some(policy.clone()),
            scopes: scopes.clone(),
            authorization_details_types: Vec::new(),
        };
        let result = self
            .upstream
            .applications()
            .add_authorized_api()
            .application_id(&app_id)
            .body(body)
            .send()
            .await
            .or_failure()
            .await;
        match result {
            Ok(_) => Ok(Json(ApiAuthorization {
                app_id,
                api_id,
                policy,
                scopes,
            })),
            Err(failure) if failure.kind == FailureKind::Status(409) => {
                Err(ToolError::new(format!(
                    "Application {app_id} is already authorized for API resource {api_id} (the authorization already exists), so nothing was changed. list_authorized_api shows the scopes it has; to change them, remove the authorization in the Console (Applications > API Authorization) and authorize again."
                )))
            }
            Err(failure) => Err(ToolError::from_failure(
                &format!("authorizing application {app_id} for API resource {api_id}"),
                &failure,
            )),
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
        let app_id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let apis = self
            .upstream
            .applications()
            .get_authorized_apis()
            .application_id(&app_id)
            .send()
            .await
            .or_explain(format!(
                "listing the authorized APIs of application {app_id}"
            ))
            .await?;
        Ok(Json(AuthorizedApiList {
            app_id,
            authorized_apis: apis.into_iter().map(AuthorizedApi::from).collect(),
        }))
    }
}

//! API authorization: let an application call an API resource with chosen scopes, and list what
//! it is authorized for.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::views::{ApiAuthorization, AuthorizedApi, AuthorizedApiList};
use crate::api::applications::types;
use crate::tools::{OrExplain, ToolContext, ToolError, input, intend};

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
pub struct RevokeApiRequest {
    /// ID of the application.
    pub app_id: String,
    /// ID of the API resource (see `list_authorized_api`).
    pub api_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAuthorizedScopesRequest {
    /// ID of the application.
    pub app_id: String,
    /// ID of the API resource (see `list_authorized_api`).
    pub api_id: String,
    /// Scope names to authorize in addition.
    #[serde(default)]
    pub add_scopes: Vec<String>,
    /// Scope names to take away.
    #[serde(default)]
    pub remove_scopes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RevokedAuthorization {
    pub app_id: String,
    /// The authorization as it was (authorize_api with it restores it).
    pub revoked: AuthorizedApi,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ScopesUpdate {
    pub app_id: String,
    pub api_id: String,
    pub previous_scopes: Vec<String>,
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
        // 200 without a body on every version (`addAuthorizedAPI`: `Response.ok().build()`),
        // where the document says 201: any success status is the write done.
        let doing = format!("authorizing application {app_id} for API resource {api_id}");
        let result = self
            .upstream
            .applications()
            .add_authorized_api()
            .application_id(&app_id)
            .body(body)
            .send()
            .await;
        if let Err(progenitor_client::Error::UnexpectedResponse(r)) = &result
            && r.status().as_u16() == 409
        {
            return Err(ToolError::new(format!(
                "Application {app_id} is already authorized for API resource {api_id} (the authorization already exists), so nothing was changed. list_authorized_api shows the scopes it has; update_authorized_scopes changes them."
            )));
        }
        result.or_explain_write(&doing).await?;
        Ok(Json(ApiAuthorization {
            app_id,
            api_id,
            policy,
            scopes,
        }))
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

    /// Take away an application's authorization to call an API resource (all its scopes).
    /// Confirmed with the person first; returns the authorization as it was.
    #[tool(annotations(
        title = "Revoke API authorization",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn revoke_api_authorization(
        &self,
        Parameters(req): Parameters<RevokeApiRequest>,
    ) -> Result<Json<RevokedAuthorization>, ToolError> {
        let app_id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let api_id = input::path_segment("api_id", &req.api_id)?.to_owned();
        let _guard = self.lock("application", &app_id).await;
        let current = self.authorization(&app_id, &api_id).await?;
        intend(
            format!(
                "Revoke application {app_id}'s authorization for API {} (scopes: {})",
                current.identifier.as_deref().unwrap_or(&api_id),
                scope_list(&current.scopes)
            ),
            &current,
            &(),
        )?;
        self.upstream
            .applications()
            .delete_authorized_api()
            .application_id(&app_id)
            .api_id(&api_id)
            .send()
            .await
            .or_explain_write(format!(
                "revoking application {app_id}'s authorization for API resource {api_id}"
            ))
            .await?;
        Ok(Json(RevokedAuthorization {
            app_id,
            revoked: current,
        }))
    }

    /// Add or take away scopes of an API resource an application is authorized for. Taking a
    /// scope away is a revocation, so the call is confirmed with the person first.
    #[tool(annotations(
        title = "Update authorized scopes",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_authorized_scopes(
        &self,
        Parameters(req): Parameters<UpdateAuthorizedScopesRequest>,
    ) -> Result<Json<ScopesUpdate>, ToolError> {
        let app_id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let api_id = input::path_segment("api_id", &req.api_id)?.to_owned();
        let names = |argument: &str, values: &[String]| -> Result<Vec<String>, ToolError> {
            input::at_most(argument, values, 200)?;
            values
                .iter()
                .map(|s| input::name(argument, s, 255).map(str::to_owned))
                .collect()
        };
        let add = names("add_scopes", &req.add_scopes)?;
        let remove = names("remove_scopes", &req.remove_scopes)?;
        if add.is_empty() && remove.is_empty() {
            return Err(ToolError::invalid(
                "add_scopes",
                "give scopes to add or to remove (remove_scopes)",
            ));
        }
        if let Some(both) = add.iter().find(|s| remove.contains(s)) {
            return Err(ToolError::invalid(
                "remove_scopes",
                &format!("`{both}` is both added and removed"),
            ));
        }
        let _guard = self.lock("application", &app_id).await;
        let current = self.authorization(&app_id, &api_id).await?;
        if let Some(missing) = remove.iter().find(|s| !current.scopes.contains(s)) {
            return Err(ToolError::invalid(
                "remove_scopes",
                &format!(
                    "`{missing}` is not authorized now (authorized: {})",
                    scope_list(&current.scopes)
                ),
            ));
        }
        let added: Vec<String> = add
            .into_iter()
            .filter(|s| !current.scopes.contains(s))
            .collect();
        let mut scopes: Vec<String> = current
            .scopes
            .iter()
            .filter(|s| !remove.contains(s))
            .cloned()
            .chain(added.iter().cloned())
            .collect();
        scopes.sort();
        let mut previous = current.scopes.clone();
        previous.sort();
        if added.is_empty() && remove.is_empty() {
            return Ok(Json(ScopesUpdate {
                app_id,
                api_id,
                previous_scopes: previous,
                scopes,
            }));
        }
        intend(
            format!(
                "Change application {app_id}'s scopes for API {}: add {}, remove {}",
                current.identifier.as_deref().unwrap_or(&api_id),
                scope_list(&added),
                scope_list(&remove)
            ),
            &current,
            &AuthorizedApi {
                scopes: scopes.clone(),
                ..current.clone()
            },
        )?;
        self.upstream
            .applications()
            .patch_authorized_api()
            .application_id(&app_id)
            .api_id(&api_id)
            .body(types::AuthorizedApiPatchModel {
                added_scopes: added,
                removed_scopes: remove,
                ..Default::default()
            })
            .send()
            .await
            .or_explain_write(format!(
                "updating application {app_id}'s scopes for API resource {api_id}"
            ))
            .await?;
        Ok(Json(ScopesUpdate {
            app_id,
            api_id,
            previous_scopes: previous,
            scopes,
        }))
    }
}

impl ToolContext {
    /// The application's authorization for one API resource.
    async fn authorization(&self, app_id: &str, api_id: &str) -> Result<AuthorizedApi, ToolError> {
        let apis = self
            .upstream
            .applications()
            .get_authorized_apis()
            .application_id(app_id)
            .send()
            .await
            .or_explain(format!(
                "reading the authorized APIs of application {app_id}"
            ))
            .await?;
        apis.into_iter()
            .map(AuthorizedApi::from)
            .find(|a| a.id.as_deref() == Some(api_id))
            .ok_or_else(|| {
                ToolError::not_found(format!(
                    "application {app_id} is not authorized for API resource {api_id}; list_authorized_api shows what it is authorized for"
                ))
            })
    }
}

fn scope_list(scopes: &[String]) -> String {
    if scopes.is_empty() {
        "none".to_owned()
    } else {
        scopes.join(", ")
    }
}

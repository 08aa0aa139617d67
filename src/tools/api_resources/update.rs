//! Changing an API resource (its name, description, scopes) and deleting it. Real servers
//! refuse `removedScopes` in the PATCH body ("Removed scopes field is not supported in patch
//! operation", `ServerAPIResourceManagementService.patchAPIResource` in identity-api-server):
//! a scope is removed with its own `DELETE …/scopes/{name}`.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::create::{ScopeInput, scope_models};
use super::{ApiResourceDetails, details};
use crate::api::api_resources::types;
use crate::tools::{OrExplain, ToolContext, ToolError, input, intend};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApiResourceRequest {
    /// ID of the API resource (see `list_api_resources`).
    pub api_id: String,
    /// A new readable name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
    /// Scopes to add: names, or objects with name, displayName, description.
    #[serde(default)]
    pub add_scopes: Vec<ScopeInput>,
    /// Names of scopes to delete (applications and roles lose them).
    #[serde(default)]
    pub remove_scopes: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteApiResourceRequest {
    /// ID of the API resource (see `list_api_resources`).
    pub api_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiResourceUpdate {
    pub previous: ApiResourceDetails,
    pub current: ApiResourceDetails,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedApiResource {
    /// The API resource as it was, with its scopes: enough to recreate it.
    pub deleted: ApiResourceDetails,
}

#[tool_router(router = api_resource_update_router, vis = "pub(super)")]
impl ToolContext {
    /// Rename an API resource, change its description, add scopes or delete scopes. Deleting a
    /// scope takes it from every app and role, so it is confirmed first. Returns the resource
    /// before and after.
    #[tool(annotations(
        title = "Update API resource",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn update_api_resource(
        &self,
        Parameters(req): Parameters<UpdateApiResourceRequest>,
    ) -> Result<Json<ApiResourceUpdate>, ToolError> {
        let id = input::path_segment("api_id", &req.api_id)?.to_owned();
        let name = req
            .name
            .as_deref()
            .map(|n| input::name("name", n, 255))
            .transpose()?;
        let description = req
            .description
            .as_deref()
            .map(|d| input::text("description", d, 1024))
            .transpose()?;
        let added = scope_models("add_scopes", &req.add_scopes)?;
        input::at_most("remove_scopes", &req.remove_scopes, 200)?;
        let removed = req
            .remove_scopes
            .iter()
            .map(|s| input::path_segment("remove_scopes", s).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        if name.is_none() && description.is_none() && added.is_empty() && removed.is_empty() {
            return Err(ToolError::invalid(
                "name",
                "give something to change: name, description, add_scopes or remove_scopes",
            ));
        }
        let _guard = self.lock("api-resource", &id).await;
        let previous = self.read_api_resource(&id).await?;
        let has = |scope: &str| previous.scopes.iter().any(|s| s.name == scope);
        if let Some(missing) = removed.iter().find(|s| !has(s)) {
            return Err(ToolError::invalid(
                "remove_scopes",
                &format!("API resource {id} has no scope `{missing}`"),
            ));
        }
        if let Some(existing) = added.iter().find(|s| has(&s.name)) {
            return Err(ToolError::invalid(
                "add_scopes",
                &format!(
                    "API resource {id} already has the scope `{}`",
                    existing.name
                ),
            ));
        }
        let mut expected = previous.clone();
        if let Some(n) = name {
            expected.name = Some(n.to_owned());
        }
        if let Some(d) = description {
            expected.description = Some(d.to_owned());
        }
        expected.scopes.retain(|s| !removed.contains(&s.name));
        expected
            .scopes
            .extend(added.iter().map(|s| super::ScopeDetails {
                id: None,
                name: s.name.clone(),
                display_name: s.display_name.clone(),
                description: s.description.clone(),
            }));
        intend(
            format!(
                "Update API resource {} (id {id}){}",
                previous.identifier.as_deref().unwrap_or_default(),
                if removed.is_empty() {
                    String::new()
                } else {
                    format!(", deleting the scopes {}", removed.join(", "))
                }
            ),
            &previous,
            &expected,
        )?;
        let client = self.upstream.api_resources();
        if name.is_some() || description.is_some() || !added.is_empty() {
            client
                .patch_api_resource()
                .api_resource_id(&id)
                .body(types::ApiResourcePatchModel {
                    name: name.map(str::to_owned),
                    description: description.map(str::to_owned),
                    added_scopes: added,
                    ..Default::default()
                })
                .send()
                .await
                .or_explain_write(format!("updating API resource {id}"))
                .await?;
        }
        for scope in &removed {
            client
                .delete_api_resource_scope()
                .api_resource_id(&id)
                .scope_name(scope)
                .send()
                .await
                .or_explain_write(format!("deleting scope `{scope}` of API resource {id}"))
                .await?;
        }
        let current = self.read_api_resource(&id).await?;
        Ok(Json(ApiResourceUpdate { previous, current }))
    }

    /// Delete an API resource and its scopes; applications lose their authorization for it.
    /// Confirmed with the person first; returns what was deleted.
    #[tool(annotations(
        title = "Delete API resource",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn delete_api_resource(
        &self,
        Parameters(req): Parameters<DeleteApiResourceRequest>,
    ) -> Result<Json<DeletedApiResource>, ToolError> {
        let id = input::path_segment("api_id", &req.api_id)?.to_owned();
        let _guard = self.lock("api-resource", &id).await;
        let previous = self.read_api_resource(&id).await?;
        if previous.kind.as_deref().is_some_and(|k| k != "BUSINESS") {
            return Err(ToolError::new(format!(
                "API resource {id} is a {} API of the server itself; it cannot be deleted.",
                previous.kind.as_deref().unwrap_or_default()
            )));
        }
        intend(
            format!(
                "Delete API resource {} (id {id}) with its {} scope(s)",
                previous.identifier.as_deref().unwrap_or_default(),
                previous.scopes.len()
            ),
            &previous,
            &(),
        )?;
        self.upstream
            .api_resources()
            .delete_api_resource()
            .api_resource_id(&id)
            .send()
            .await
            .or_explain_write(format!("deleting API resource {id}"))
            .await?;
        Ok(Json(DeletedApiResource { deleted: previous }))
    }
}

impl ToolContext {
    pub(super) async fn read_api_resource(
        &self,
        id: &str,
    ) -> Result<ApiResourceDetails, ToolError> {
        let resource = self
            .upstream
            .api_resources()
            .get_api_resource()
            .api_resource_id(id)
            .send()
            .await
            .or_explain(format!("reading API resource {id}"))
            .await?;
        Ok(details(resource, id))
    }
}

//! Creating an API resource with its scopes.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;

use super::{ApiResourceDetails, details};
use crate::api::api_resources::types;
use crate::tools::directory::id_from_location;
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError, Written};

// A scope of a new API resource: just its name, or its name with a display name and description.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScopeInput {
    Name(String),
    Detailed {
        /// E.g. `read:orders`: no spaces, unique in the organization.
        name: String,
        /// A readable name; defaults to the name.
        #[serde(default, rename = "displayName")]
        display_name: Option<String>,
        /// What the scope allows.
        #[serde(default)]
        description: Option<String>,
    },
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiResourceRequest {
    /// The API's audience, usually its base URL (`https://api.example.com/orders`).
    pub identifier: String,
    /// A readable name for the API.
    pub name: String,
    /// Whether calls need an authorized application (default true).
    #[serde(rename = "requiresAuthorization", default = "default_true")]
    pub requires_authorization: bool,
    /// Scope names, or objects with name, displayName, description.
    #[serde(default)]
    pub scopes: Vec<ScopeInput>,
}

fn default_true() -> bool {
    true
}

/// The scopes to create, checked: names without spaces, readable names and descriptions.
pub(super) fn scope_models(
    argument: &str,
    inputs: &[ScopeInput],
) -> Result<Vec<types::ScopeCreationModel>, ToolError> {
    input::at_most(argument, inputs, 200)?;
    let mut scopes = Vec::new();
    for scope in inputs {
        let (scope_name, display, description) = match scope {
            ScopeInput::Name(n) => (n.as_str(), None, None),
            ScopeInput::Detailed {
                name,
                display_name,
                description,
            } => (
                name.as_str(),
                display_name.as_deref(),
                description.as_deref(),
            ),
        };
        let scope_name = input::name(argument, scope_name, 255)?;
        if scope_name.chars().any(char::is_whitespace) {
            return Err(ToolError::invalid(
                argument,
                &format!("scope name `{scope_name}` contains a space"),
            ));
        }
        let display = display.map(|d| input::name(argument, d, 255)).transpose()?;
        let description = description
            .map(|d| input::text(argument, d, 1024))
            .transpose()?;
        scopes.push(types::ScopeCreationModel {
            name: scope_name.to_owned(),
            display_name: Some(display.unwrap_or(scope_name).to_owned()),
            description: description.map(str::to_owned),
        });
    }
    Ok(scopes)
}

#[tool_router(router = api_resource_create_router, vis = "pub(super)")]
impl ToolContext {
    /// Create an API resource (an API your applications call) with its scopes.
    #[tool(annotations(
        title = "Create API resource",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_api_resource(
        &self,
        Parameters(req): Parameters<CreateApiResourceRequest>,
    ) -> Result<Json<ApiResourceDetails>, ToolError> {
        let identifier = input::name("identifier", &req.identifier, 1024)?.to_owned();
        let name = input::name("name", &req.name, 255)?.to_owned();
        let scopes = scope_models("scopes", &req.scopes)?;
        let body = types::ApiResourceCreationModel::builder()
            .identifier(identifier.clone())
            .name(name)
            .requires_authorization(Some(req.requires_authorization))
            .scopes(scopes);
        let written = self
            .upstream
            .api_resources()
            .add_api_resource()
            .body(body)
            .send()
            .await
            .or_explain_write(format!("creating API resource `{identifier}`"))
            .await?;
        match written {
            Written::Read(created) => Ok(Json(details(created, "unknown"))),
            Written::Unreadable { location, detail } => {
                let id = id_from_location(location.as_deref());
                // The server created it; read it back rather than report a failure.
                if let Some(id) = &id
                    && let Ok(resource) = self.read_api_resource(id).await
                {
                    return Ok(Json(resource));
                }
                Ok(Json(ApiResourceDetails {
                    id: id.unwrap_or_else(|| "unknown".to_owned()),
                    name: None,
                    identifier: Some(identifier.clone()),
                    description: None,
                    kind: None,
                    requires_authorization: None,
                    scopes: Vec::new(),
                    note: Some(format!(
                        "The API resource was created, but the server's answer could not be read ({detail}); read it with get_api_resource_by_identifier `{identifier}`."
                    )),
                }))
            }
        }
    }
}

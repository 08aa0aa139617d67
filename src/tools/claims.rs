//! Claims: the organization's user attributes, with their OIDC names.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{schemars, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ToolError;
use crate::server::AsgardeoServer;

/// `list_claims` takes no arguments; any given is an error rather than silently ignored.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClaimSummary {
    pub uri: String,
    pub display_name: String,
    /// The claim's name in ID tokens and userinfo (OIDC dialect), if mapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_claim: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClaimList {
    pub claims: Vec<ClaimSummary>,
    pub total: usize,
}

#[tool_router(router = claims_router, vis = "pub(crate)")]
impl AsgardeoServer {
    /// List the user attributes (local claims) of the Asgardeo organization, with each claim's
    /// URI, display name and OIDC claim name. Use the URIs or names with
    /// `update_application_claim_config`.
    #[tool(annotations(
        title = "List claims",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_claims(
        &self,
        Parameters(NoArguments {}): Parameters<NoArguments>,
    ) -> Result<Json<ClaimList>, ToolError> {
        let (local, oidc) = self.claim_catalogue().await?;
        let claims: Vec<ClaimSummary> = local
            .into_iter()
            .map(|(uri, display_name)| {
                let oidc_claim = oidc
                    .iter()
                    .find(|(_, local)| **local == uri)
                    .map(|(name, _)| name.clone());
                ClaimSummary {
                    uri,
                    display_name,
                    oidc_claim,
                }
            })
            .collect();
        Ok(Json(ClaimList {
            total: claims.len(),
            claims,
        }))
    }
}

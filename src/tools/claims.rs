//! Claims: the organization's user attributes, with their OIDC names.

use std::collections::BTreeMap;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{OrExplain, ToolContext, ToolError};
use crate::wso2;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::claims_router()
}

/// `list_claims` takes no arguments; any given is an error rather than silently ignored.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClaimSummary {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The claim's name in ID tokens and userinfo, if mapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_claim: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClaimList {
    pub claims: Vec<ClaimSummary>,
    pub total: usize,
}

impl ToolContext {
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
        let local = local
            .or_explain("listing the organization's claims")
            .await?;
        let external = external
            .or_explain("listing the OIDC claim mappings")
            .await?;
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

#[tool_router(router = claims_router, vis = "pub(super)")]
impl ToolContext {
    /// List the Asgardeo organization's user attributes (local claims): URI, display name, OIDC
    /// name.
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
                    display_name: (!display_name.is_empty()).then_some(display_name),
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

//! The MCP tools, one folder or file per toolset, each file with its own router over the
//! narrow [`ToolContext`] (the upstream client and the tools' settings), combined in
//! [`all_tools_router`]. Tools know nothing of the server that exposes them.

pub mod api_resources;
pub mod applications;
mod catalog;
pub mod claims;
pub mod connections;
mod directory;
pub mod groups;
mod input;
pub mod integration;
mod locks;
pub mod login_flow;
mod outcome;
pub mod roles;
pub mod users;

use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;

pub use catalog::{
    Access, CATALOG, REMOTE_ADMIN_SCOPE, TOOLSETS, ToolEntry, catalog_entry, remote_scope,
    remote_scopes, required_scopes, scopes_for,
};
pub use outcome::{Answered, OrExplain, OrExplainOptional, ToolError, Written, intend};

use crate::api::Upstream;
use locks::ResourceLocks;

/// How the tools behave, apart from what they talk to.
#[derive(Debug, Clone)]
pub struct ToolSettings {
    /// How long `update_login_flow` waits for the AI generation.
    pub login_flow_timeout: Duration,
    pub login_flow_poll_interval: Duration,
    /// Which product the organization runs on.
    pub product: crate::wso2::Product,
}

impl Default for ToolSettings {
    fn default() -> Self {
        Self {
            login_flow_timeout: Duration::from_secs(120),
            // Short against a sandbox, sensible against the real service.
            login_flow_poll_interval: Duration::from_millis(500),
            product: crate::wso2::Product::default(),
        }
    }
}

/// What every tool may use: the tenant's APIs, its settings, and the per-resource locks shared
/// by every session of the process.
pub struct ToolContext {
    pub upstream: Upstream,
    pub settings: ToolSettings,
    locks: ResourceLocks,
}

impl ToolContext {
    pub fn new(upstream: Upstream, settings: ToolSettings) -> Self {
        Self {
            upstream,
            settings,
            locks: ResourceLocks::default(),
        }
    }

    /// Holds `kind:id` for a read-modify-write until the guard drops.
    pub(crate) async fn lock(&self, kind: &str, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.locks.lock(format!("{kind}:{id}")).await
    }
}

/// Every tool, unfiltered.
pub fn all_tools_router() -> ToolRouter<ToolContext> {
    applications::router()
        + api_resources::router()
        + users::router()
        + roles::router()
        + groups::router()
        + connections::router()
        + claims::router()
        + login_flow::router()
        + ToolContext::integration_router()
}

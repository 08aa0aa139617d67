//! asgardeo-mcp: an MCP server that administers an Asgardeo organization or a WSO2 Identity
//! Server tenant, with an embedded sandbox that simulates the management APIs.
//!
//! The layers, each importing only those below it: `cli` → `server` → `tools` → `wso2` →
//! `api`. The `sandbox` builds on `api` and `wso2` only.

pub mod api;
pub mod cli;
#[cfg(feature = "remote")]
pub mod remote;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod server;
pub mod tools;
pub mod wso2;

//! asgardeo-mcp: an MCP server that administers an Asgardeo organization or a WSO2 Identity
//! Server tenant, with an embedded sandbox that simulates the management APIs.

pub mod api;
pub mod upstream;
pub mod sandbox;

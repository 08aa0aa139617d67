//! asgardeo-mcp: an MCP server that administers an Asgardeo organization or a WSO2 Identity
//! Server tenant, with an embedded sandbox that simulates the management APIs.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
pub mod config;
pub mod doctor;
pub mod logging;
pub mod sandbox;
pub mod server;
pub mod tools;
pub mod upstream;
pub mod wso2;

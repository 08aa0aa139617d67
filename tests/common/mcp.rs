//! An MCP client and server in one process over `tokio::io::duplex`, against a sandbox.
#![allow(dead_code)]

use std::sync::Arc;

use asgardeo_mcp::api::Upstream;
use asgardeo_mcp::server::{
    AsgardeoServer, AuditLog, InProcess, ServerOptions, ToolFilter, connect_in_process,
};
use asgardeo_mcp::tools::{ToolContext, ToolSettings};
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use serde_json::Value;

/// How a test's server is set up; every part defaults to what `asgardeo-mcp` uses.
#[derive(Default)]
pub struct Setup {
    pub filter: ToolFilter,
    pub options: ServerOptions,
    pub tools: ToolSettings,
    pub audit: AuditLog,
}

pub struct McpClient {
    pub service: InProcess<()>,
    pub server: AsgardeoServer,
}

impl McpClient {
    pub fn server(upstream: Upstream, setup: Setup) -> AsgardeoServer {
        let tools = Arc::new(ToolContext::new(upstream, setup.tools));
        AsgardeoServer::new(tools, setup.options, &setup.filter, setup.audit).expect("server")
    }

    pub async fn start(upstream: Upstream, setup: Setup) -> Self {
        let server = Self::server(upstream, setup);
        let service = connect_in_process(server.clone(), ())
            .await
            .expect("client");
        Self { service, server }
    }

    pub async fn connect(
        upstream: Upstream,
        filter: ToolFilter,
        options: ServerOptions,
        audit: AuditLog,
    ) -> Self {
        Self::start(
            upstream,
            Setup {
                filter,
                options,
                audit,
                ..Default::default()
            },
        )
        .await
    }

    /// Every tool, against the fixture's sandbox, with these tool settings.
    pub async fn with_tools(f: &super::Fixture, tools: ToolSettings) -> Self {
        Self::start(
            f.upstream.clone(),
            Setup {
                tools,
                ..Default::default()
            },
        )
        .await
    }

    pub async fn tools(&self) -> Vec<Tool> {
        self.service.list_all_tools().await.expect("tools/list")
    }

    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let Value::Object(args) = arguments else {
            panic!("arguments must be an object")
        };
        self.service
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
            .await
            .expect("tools/call")
    }

    /// The structured result of a call that must succeed.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} failed: {}",
            text(&result)
        );
        let structured = result
            .structured_content
            .clone()
            .unwrap_or_else(|| panic!("{tool}: no structuredContent"));
        let from_text: Value =
            serde_json::from_str(&text(&result)).expect("text content is the same JSON");
        assert_eq!(
            structured, from_text,
            "{tool}: text and structured content differ"
        );
        structured
    }

    /// The message of a call that must fail as a tool result.
    pub async fn err(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should fail, got {}",
            text(&result)
        );
        text(&result)
    }
}

pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

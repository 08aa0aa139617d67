//! An MCP client and server in one process over `tokio::io::duplex`, against a sandbox.
#![allow(dead_code)]

use asgardeo_mcp::server::{AsgardeoServer, AuditLog, ServerOptions, ToolFilter};
use asgardeo_mcp::upstream::Upstream;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

pub struct McpClient {
    pub service: RunningService<RoleClient, ()>,
}

impl McpClient {
    pub async fn connect(
        upstream: Upstream,
        filter: ToolFilter,
        options: ServerOptions,
        audit: AuditLog,
    ) -> Self {
        let server = AsgardeoServer::new(upstream, options, &filter, audit).expect("server");
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(service) = server.serve(server_io).await {
                let _ = service.waiting().await;
            }
        });
        let service = ().serve(client_io).await.expect("client");
        Self { service }
    }

    /// Every tool, against the fixture's sandbox, with these options.
    pub async fn with_options(f: &super::Fixture, options: ServerOptions) -> Self {
        Self::connect(
            f.upstream.clone(),
            ToolFilter::default(),
            options,
            AuditLog::default(),
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

//! The MCP server: the combined tool router, filtered in exactly one place (read-only, allow
//! and deny patterns, granted scopes), and the audit trail of writes.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::handler::server::tool::{ToolCallContext, ToolRouter};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::tools::{self, CATALOG, TOOLSETS};
use crate::upstream::Upstream;

tokio::task_local! {
    /// The tool a call is running, for the audit trail.
    static CURRENT_TOOL: String;
}

/// Which product the server talks to; only words in descriptions and messages differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Asgardeo,
    Wso2Is,
}

impl Product {
    pub fn display_name(self) -> &'static str {
        match self {
            Product::Asgardeo => "Asgardeo",
            Product::Wso2Is => "WSO2 Identity Server",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub product: Product,
    pub login_flow_timeout: Duration,
    pub login_flow_poll_interval: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            product: Product::Asgardeo,
            login_flow_timeout: Duration::from_secs(120),
            login_flow_poll_interval: tools::login_flow::DEFAULT_POLL_INTERVAL,
        }
    }
}

/// Which tools are exposed. Read-only wins over any allow pattern.
#[derive(Debug, Clone, Default)]
pub struct ToolFilter {
    pub read_only: bool,
    /// Glob patterns or toolset names; empty means every tool.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// When known, tools needing a scope outside this set are hidden.
    pub granted_scopes: Option<BTreeSet<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("`{0}` matches no tool and no toolset (toolsets: {toolsets}; `asgardeo-mcp tools` lists the tools)", toolsets = TOOLSETS.join(", "))]
    NoMatch(String),
}

/// `*` matches any run of characters, `?` any one character.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(
        &pattern.chars().collect::<Vec<_>>(),
        &text.chars().collect::<Vec<_>>(),
    )
}

fn pattern_matches(pattern: &str, tool: &str) -> bool {
    glob_matches(pattern, tool) || tools::catalog_entry(tool).is_some_and(|e| e.toolset == pattern)
}

impl ToolFilter {
    /// Whether `tool` (with its read-only annotation) is exposed.
    pub fn allows(&self, tool: &Tool) -> bool {
        let name = tool.name.as_ref();
        let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
        if self.read_only && !read_only {
            return false;
        }
        if !self.include.is_empty() && !self.include.iter().any(|p| pattern_matches(p, name)) {
            return false;
        }
        if self.exclude.iter().any(|p| pattern_matches(p, name)) {
            return false;
        }
        let Some(granted) = &self.granted_scopes else {
            return true;
        };
        tools::required_scopes(name)
            .iter()
            .all(|s| granted.contains(*s))
    }

    fn check_patterns(&self) -> Result<(), FilterError> {
        for pattern in self.include.iter().chain(&self.exclude) {
            if !CATALOG.iter().any(|e| pattern_matches(pattern, e.name)) {
                return Err(FilterError::NoMatch(pattern.clone()));
            }
        }
        Ok(())
    }
}

/// Appends one JSON line per state-changing call.
#[derive(Clone, Default)]
pub struct AuditLog {
    file: Option<Arc<Mutex<std::fs::File>>>,
}

impl AuditLog {
    pub fn to_file(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            file: Some(Arc::new(Mutex::new(file))),
        })
    }
}

#[derive(Clone)]
pub struct AsgardeoServer {
    pub(crate) upstream: Upstream,
    pub(crate) options: ServerOptions,
    router: ToolRouter<Self>,
    audit: AuditLog,
}

impl AsgardeoServer {
    /// Every tool, unfiltered.
    pub fn all_tools_router() -> ToolRouter<Self> {
        Self::applications_router()
            + Self::api_resources_router()
            + Self::users_router()
            + Self::claims_router()
            + Self::login_flow_router()
    }

    /// Every tool's definition, sorted by name, with product words as configured.
    pub fn tool_definitions(product: Product) -> Vec<Tool> {
        Self::all_tools_router()
            .list_all()
            .into_iter()
            .map(|t| localize(t, product))
            .collect()
    }

    pub fn new(
        upstream: Upstream,
        options: ServerOptions,
        filter: &ToolFilter,
        audit: AuditLog,
    ) -> Result<Self, FilterError> {
        filter.check_patterns()?;
        let mut router = Self::all_tools_router();
        let hidden: Vec<String> = router
            .list_all()
            .iter()
            .filter(|t| !filter.allows(t))
            .map(|t| t.name.to_string())
            .collect();
        for name in &hidden {
            router.remove_route(name);
        }
        tracing::info!(
            exposed = router.list_all().len(),
            hidden = hidden.len(),
            "tools filtered"
        );
        Ok(Self {
            upstream,
            options,
            router,
            audit,
        })
    }

    pub fn exposed_tools(&self) -> Vec<Tool> {
        self.router
            .list_all()
            .into_iter()
            .map(|t| localize(t, self.options.product))
            .collect()
    }

    /// Records a state-changing call: to stderr (structured), and to the audit file if any.
    /// The tool is the one `call_tool` is running; secrets are never among the fields.
    pub(crate) fn audit_write(&self, action: &str, target: &str, outcome: &str) {
        let tool = CURRENT_TOOL.try_with(Clone::clone).unwrap_or_default();
        tracing::info!(target: "audit", tool, action, resource = target, outcome, "write");
        if let Some(file) = &self.audit.file {
            let line = serde_json::json!({
                "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "tool": tool,
                "action": action,
                "target": target,
                "outcome": outcome,
                "base_url": self.upstream.base_url(),
            });
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = writeln!(file, "{line}") {
                tracing::warn!(error = %e, "could not append to the audit log");
            }
        }
    }
}

/// JSON Schema's own formats; schemars adds Rust-flavoured ones (`uint64`) that strict
/// validators warn about, so those are removed from what hosts see.
const STANDARD_FORMATS: [&str; 9] = [
    "date-time",
    "date",
    "time",
    "email",
    "uri",
    "uri-reference",
    "uuid",
    "hostname",
    "ipv4",
];

fn strip_nonstandard_formats(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map
                .get("format")
                .and_then(|f| f.as_str())
                .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
            {
                map.remove("format");
            }
            map.values_mut().for_each(strip_nonstandard_formats);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nonstandard_formats),
        _ => {}
    }
}

fn clean(schema: &Arc<rmcp::model::JsonObject>) -> Arc<rmcp::model::JsonObject> {
    let mut value = serde_json::Value::Object((**schema).clone());
    strip_nonstandard_formats(&mut value);
    match value {
        serde_json::Value::Object(map) => Arc::new(map),
        _ => schema.clone(),
    }
}

/// Doc comments wrap at the source's line width; hosts show descriptions as prose, so a lone
/// line break becomes a space (paragraph breaks stay).
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// What hosts see of a tool: standard schema formats, prose descriptions, the product's name.
fn localize(mut tool: Tool, product: Product) -> Tool {
    tool.input_schema = clean(&tool.input_schema);
    tool.output_schema = tool.output_schema.as_ref().map(clean);
    if let Some(d) = tool.description.take() {
        let mut text = unwrap_lines(&d);
        if product != Product::Asgardeo {
            text = text.replace("Asgardeo", product.display_name());
        }
        tool.description = Some(text.into());
    }
    tool
}

impl ServerHandler for AsgardeoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(rmcp::model::Implementation::new("asgardeo-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Administer the {} organization at {}: applications (create, read, configure OAuth, claims, login flows, API authorization), API resources, users and claims.",
                self.options.product.display_name(),
                self.upstream.base_url()
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult {
            tools: self.exposed_tools(),
            ..Default::default()
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.router
            .get(name)
            .cloned()
            .map(|t| localize(t, self.options.product))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.router.has_route(&request.name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        }
        let started = std::time::Instant::now();
        let name = request.name.clone();
        let result = CURRENT_TOOL
            .scope(
                name.to_string(),
                self.router
                    .call(ToolCallContext::new(self, request, context)),
            )
            .await;
        tracing::info!(tool = %name, elapsed_ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "tool call");
        result
    }
}

/// The README's tool table: each tool, its toolset, whether it writes, the WSO2 scopes it
/// needs, and the first sentence of its description. Generated from the tools themselves.
pub fn tool_table_markdown() -> String {
    let mut out = String::from(
        "| tool | toolset | access | scopes it needs | what it does |\n|---|---|---|---|---|\n",
    );
    for tool in AsgardeoServer::tool_definitions(Product::Asgardeo) {
        let toolset = tools::catalog_entry(&tool.name).map_or("", |e| e.toolset);
        let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
        let description = tool
            .description
            .as_deref()
            .unwrap_or_default()
            .replace('\n', " ");
        let first = description
            .split(". ")
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        let scopes: Vec<String> = tools::required_scopes(&tool.name)
            .iter()
            .map(|s| format!("`{s}`"))
            .collect();
        out.push_str(&format!(
            "| `{}` | {toolset} | {} | {} | {first}. |\n",
            tool.name,
            if read_only { "read" } else { "write" },
            scopes.join(" ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_as_prose() {
        assert_eq!(
            unwrap_lines("one line\nwrapped here.\n\nSecond paragraph"),
            "one line wrapped here.\n\nSecond paragraph"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_matches("create_*", "create_user"));
        assert!(glob_matches("*_app", "create_m2m_app"));
        assert!(glob_matches("list_?laims", "list_claims"));
        assert!(!glob_matches("create_*", "list_claims"));
    }
}

//! The MCP server: the tool router filtered in one place, the tools the token's scopes allow
//! (learnt in the background, so `initialize` never waits for the network), and one pipeline
//! for every call: a scope with the call's deadline and cancellation that the seam consults, a
//! task of its own so a write in flight always finishes and is reported, and the audit record
//! of every call of a tool that can write.

mod audit;
mod filter;
mod in_process;
mod presentation;
pub mod stdio;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use tokio::sync::watch;

pub use audit::{AuditLog, AuditRecord, Caller, outcome_of};
pub use filter::{FilterError, Hidden, ToolFilter, glob_matches};
pub use in_process::{InProcess, connect_in_process};
pub use presentation::{
    Product, is_read_only, localize, tool_definitions, tool_table_markdown, unwrap_lines,
};

use crate::api::CallScope;
use crate::tools::{ToolContext, all_tools_router, required_scopes};

/// The exposed tools, built on first use: nothing about them is needed to answer `initialize`,
/// and building their schemas is most of a start's work.
struct Catalogue {
    router: Arc<ToolRouter<ToolContext>>,
    /// What hosts see of each exposed tool (product words, cleaned schemas), computed once.
    presented: Vec<Tool>,
}

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub product: Product,
    /// Every call's overall time limit; `update_login_flow` adds its own wait to it.
    pub call_timeout: Duration,
    /// List tools even when the token lacks the scopes they need.
    pub keep_unauthorized_tools: bool,
    /// How long `tools/list` waits for the granted scopes before listing every tool.
    pub discovery_wait: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            product: Product::Asgardeo,
            call_timeout: Duration::from_secs(45),
            keep_unauthorized_tools: false,
            discovery_wait: Duration::from_secs(2),
        }
    }
}

/// What the token's scopes allow, as far as the server knows yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    /// Still asking the token endpoint.
    Pending,
    /// The token grants these scopes.
    Granted(BTreeSet<String>),
    /// Not known (the token endpoint failed, or scope hiding is off): every tool is listed.
    Everything,
}

struct Inner {
    tools: Arc<ToolContext>,
    catalogue: OnceLock<Catalogue>,
    /// Tools the filter hides, and why.
    filtered_out: BTreeMap<&'static str, Hidden>,
    options: ServerOptions,
    audit: AuditLog,
    access: watch::Sender<Access>,
    /// Scope discovery starts once, after `initialize` (or at the first list or call).
    discovery: std::sync::Once,
    /// Sessions that have listed tools and should hear when the list changes.
    listeners: Mutex<Vec<Peer<RoleServer>>>,
}

/// The server. Cheap to clone: every clone (one per session in remote mode) shares the tools,
/// the scope discovery and the audit log.
#[derive(Clone)]
pub struct AsgardeoServer {
    inner: Arc<Inner>,
}

impl AsgardeoServer {
    /// A server exposing what `filter` allows. Scope discovery starts in the background at once
    /// (unless `keep_unauthorized_tools`); nothing here touches the network.
    pub fn new(
        tools: Arc<ToolContext>,
        options: ServerOptions,
        filter: &ToolFilter,
        audit: AuditLog,
    ) -> Result<Self, FilterError> {
        let exposed = filter.apply()?;
        let filtered_out: BTreeMap<&'static str, Hidden> = crate::tools::CATALOG
            .iter()
            .filter_map(|entry| Some((entry.name, filter.hides(entry)?)))
            .collect();
        tracing::debug!(
            exposed = exposed.len(),
            hidden = filtered_out.len(),
            "tools filtered"
        );
        let (access, _) = watch::channel(if options.keep_unauthorized_tools {
            Access::Everything
        } else {
            Access::Pending
        });
        let server = Self {
            inner: Arc::new(Inner {
                tools,
                catalogue: OnceLock::new(),
                filtered_out,
                options,
                audit,
                access,
                discovery: std::sync::Once::new(),
                listeners: Mutex::new(Vec::new()),
            }),
        };
        Ok(server)
    }

    /// The scopes the exposed tools need together: what the token should be requested with.
    pub fn scopes_for_filter(filter: &ToolFilter) -> Result<Vec<&'static str>, FilterError> {
        let exposed = filter.apply()?;
        Ok(crate::tools::scopes_for(exposed.iter().map(|t| t.name)))
    }

    /// The router of the exposed tools and their presentation, built on first use.
    fn catalogue(&self) -> &Catalogue {
        let inner = &self.inner;
        inner.catalogue.get_or_init(|| {
            let mut router = all_tools_router();
            for name in inner.filtered_out.keys() {
                router.remove_route(name);
            }
            let presented = router
                .list_all()
                .into_iter()
                .map(|t| localize(t, inner.options.product))
                .collect();
            Catalogue {
                router: Arc::new(router),
                presented,
            }
        })
    }

    /// Learns the granted scopes in the background (once); tells listening sessions when the
    /// list of tools shrinks because of them. Started after `initialize` is answered, so the
    /// handshake never waits for, or competes with, the network.
    fn discover_scopes(&self) {
        if self.inner.options.keep_unauthorized_tools {
            return;
        }
        self.inner.discovery.call_once(|| self.spawn_discovery());
    }

    fn spawn_discovery(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            let _ = self.inner.access.send(Access::Everything);
            return;
        };
        let inner = self.inner.clone();
        runtime.spawn(async move {
            let limit = inner.tools.upstream.settings().request_timeout;
            let access = match tokio::time::timeout(limit, inner.tools.upstream.token()).await {
                Ok(Ok(token)) => Access::Granted(token.scopes),
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "could not learn the granted scopes; listing every tool (calls will report what fails)");
                    Access::Everything
                }
                Err(_) => {
                    tracing::warn!(url = %inner.tools.upstream.token_url(), "the token endpoint did not answer in time; listing every tool");
                    Access::Everything
                }
            };
            let hides_some = matches!(&access, Access::Granted(granted) if crate::tools::CATALOG
                .iter()
                .filter(|e| !inner.filtered_out.contains_key(e.name))
                .any(|e| missing_scopes(e.name, granted).is_some()));
            inner.access.send_replace(access);
            if hides_some {
                let listeners: Vec<Peer<RoleServer>> = inner
                    .listeners
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                for peer in listeners {
                    let _ = peer.notify_tool_list_changed().await;
                }
            }
        });
    }

    /// The access as known now, waiting briefly for discovery if it is still running.
    async fn access(&self) -> Access {
        self.discover_scopes();
        let mut rx = self.inner.access.subscribe();
        let wait = self.inner.options.discovery_wait;
        let settled = tokio::time::timeout(wait, rx.wait_for(|a| *a != Access::Pending)).await;
        match settled {
            Ok(Ok(access)) => access.clone(),
            _ => Access::Everything,
        }
    }

    /// The tools this server lists now.
    pub async fn exposed_tools(&self) -> Vec<Tool> {
        let access = self.access().await;
        self.catalogue()
            .presented
            .iter()
            .filter(|t| match &access {
                Access::Granted(granted) => missing_scopes(&t.name, granted).is_none(),
                _ => true,
            })
            .cloned()
            .collect()
    }

    pub fn tools(&self) -> &Arc<ToolContext> {
        &self.inner.tools
    }

    /// The call's time limit.
    fn limit_for(&self, tool: &str) -> Duration {
        let base = self.inner.options.call_timeout;
        if tool == "update_login_flow" {
            base + self.inner.tools.settings.login_flow_timeout
        } else {
            base
        }
    }

    /// Runs one call in a task of its own inside its call scope, and audits it.
    async fn run_call(
        &self,
        tool: Tool,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
        caller: Caller,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = tool.name.to_string();
        let writes = !is_read_only(&tool);
        let scope = CallScope::new(context.ct.clone(), Some(self.limit_for(&name)));
        let router = self.catalogue().router.clone();
        let inner = self.inner.clone();
        let started = Instant::now();
        // A task of its own: if the request's future is dropped, a write already sent still
        // runs to its end, reads back what it made, and is audited.
        let task = tokio::spawn(async move {
            let result = scope
                .run(router.call(ToolCallContext::new(&*inner.tools, request, context)))
                .await;
            let error = match &result {
                Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => Some(
                    r.content
                        .iter()
                        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                Err(e) => Some(e.message.to_string()),
                _ => None,
            };
            if writes {
                let record = AuditRecord::new(
                    &name,
                    caller,
                    scope.writes(),
                    error.clone(),
                    inner.tools.upstream.base_url(),
                );
                inner.audit.record(&record);
            }
            tracing::info!(
                tool = %name,
                elapsed_ms = started.elapsed().as_millis() as u64,
                ok = error.is_none(),
                cancelled = scope.is_cancelled(),
                "tool call"
            );
            result
        });
        task.await.unwrap_or_else(|e| {
            Err(ErrorData::internal_error(
                format!("the tool call failed unexpectedly: {e}"),
                None,
            ))
        })
    }

    /// Calls a tool as the given caller (remote mode passes the signed-in user).
    pub async fn call_as(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
        caller: Caller,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let Some(tool) = self.catalogue().router.get(&name).cloned() else {
            let why = match self.inner.filtered_out.get(name.as_str()) {
                Some(Hidden::ReadOnly) => {
                    " (hidden: this server runs read-only, and this tool writes)"
                }
                Some(Hidden::Excluded) => " (hidden by --tools/--exclude-tools)",
                None => "",
            };
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{name}`{why}"),
                None,
            ));
        };
        if let Access::Granted(granted) = self.access().await
            && let Some(missing) = missing_scopes(&name, &granted)
        {
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "`{name}` is not available: the M2M application behind CLIENT_ID was not granted {}. Authorize it for the management API that grants {} (Console > Applications > your M2M app > API Authorization) and restart the server, or start it with --keep-unauthorized-tools to list every tool.",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ))])
            .into());
        }
        self.run_call(tool, request, context, caller).await
    }
}

/// The scopes `tool` needs that `granted` lacks, if any.
fn missing_scopes(tool: &str, granted: &BTreeSet<String>) -> Option<Vec<&'static str>> {
    let missing: Vec<&'static str> = required_scopes(tool)
        .into_iter()
        .filter(|s| !granted.contains(*s))
        .collect();
    (!missing.is_empty()).then_some(missing)
}

impl ServerHandler for AsgardeoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(rmcp::model::Implementation::new(
            "asgardeo-mcp",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(format!(
            "Administer the {} organization at {}: applications (create, read, configure OAuth, claims, login flows, API authorization), API resources, users and claims.",
            self.inner.options.product.display_name(),
            self.inner.tools.upstream.base_url()
        ))
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        {
            let mut listeners = self
                .inner
                .listeners
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            listeners.retain(|p| !p.is_transport_closed());
            listeners.push(context.peer);
        }
        self.discover_scopes();
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult {
            tools: self.exposed_tools().await,
            ..Default::default()
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalogue()
            .presented
            .iter()
            .find(|t| t.name == name)
            .cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = context
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default();
        self.call_as(request, context, caller).await
    }
}

//! The MCP server: the tool router filtered in one place, the tools the token's scopes allow
//! (learnt in the background, so `initialize` never waits for the network), and one pipeline
//! for every call: a scope with the call's deadline and cancellation that the seam consults, a
//! task of its own so a write in flight always finishes and is reported, and the audit record
//! of every call of a tool that can write.

mod arguments;
mod audit;
mod confirmation;
mod filter;
mod guided;
mod in_process;
mod presentation;
mod safety;
mod self_protection;
pub mod stdio;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequest,
    InputRequest, InputRequiredResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use tokio::sync::watch;

pub use audit::{AuditLog, AuditRecord, Caller, RemoteUser, outcome_of};
pub use confirmation::{Confirmations, Refusal};
pub use filter::{FilterError, Hidden, ToolFilter, glob_matches};
pub use in_process::{InProcess, connect_in_process, connect_in_process_with};
pub use presentation::{
    Product, is_read_only, localize, present, tool_definitions, tool_table_markdown, unwrap_lines,
};
pub use safety::{CONFIRMATION_TOKEN, DRY_RUN, diff};
pub use self_protection::Registration;

use crate::api::{CallMode, CallScope, ConfirmedState, state_digest};
use crate::tools::{
    Access, ToolContext, all_tools_router, catalog_entry, remote_scope, required_scopes,
};
use confirmation::Delivery;
use safety::{Answer, CONFIRM, Plan};

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
    /// Run destructive tools without asking (`--yes`): for scripts and CI. Audited.
    pub skip_confirmation: bool,
    /// How long a confirmation token stays valid.
    pub confirmation_ttl: Duration,
    /// How long to wait for the person to answer a confirmation form.
    pub confirmation_wait: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            product: Product::Asgardeo,
            call_timeout: Duration::from_secs(45),
            keep_unauthorized_tools: false,
            discovery_wait: Duration::from_secs(2),
            skip_confirmation: false,
            confirmation_ttl: Duration::from_secs(300),
            confirmation_wait: Duration::from_secs(600),
        }
    }
}

/// What the token's scopes allow, as far as the server knows yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rights {
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
    access: watch::Sender<Rights>,
    /// Scope discovery starts once, after `initialize` (or at the first list or call).
    discovery: std::sync::Once,
    /// Sessions that have listed tools and should hear when the list changes.
    listeners: Mutex<Vec<Peer<RoleServer>>>,
    confirmations: Confirmations,
    /// Remote mode: what protects the server, which its tools must not change unasked.
    guard: OnceLock<self_protection::Guard>,
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
            Rights::Everything
        } else {
            Rights::Pending
        });
        let server = Self {
            inner: Arc::new(Inner {
                tools,
                catalogue: OnceLock::new(),
                filtered_out,
                confirmations: Confirmations::new(options.confirmation_ttl),
                guard: OnceLock::new(),
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
                .map(|t| present(t, inner.options.product))
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
            let _ = self.inner.access.send(Rights::Everything);
            return;
        };
        let inner = self.inner.clone();
        runtime.spawn(async move {
            let limit = inner.tools.upstream.settings().request_timeout;
            let access = match tokio::time::timeout(limit, inner.tools.upstream.token()).await {
                Ok(Ok(token)) => Rights::Granted(token.scopes),
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "could not learn the granted scopes; listing every tool (calls will report what fails)");
                    Rights::Everything
                }
                Err(_) => {
                    tracing::warn!(url = %inner.tools.upstream.token_url(), "the token endpoint did not answer in time; listing every tool");
                    Rights::Everything
                }
            };
            let hides_some = matches!(&access, Rights::Granted(granted) if crate::tools::CATALOG
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
    async fn access(&self) -> Rights {
        self.discover_scopes();
        let mut rx = self.inner.access.subscribe();
        let wait = self.inner.options.discovery_wait;
        let settled = tokio::time::timeout(wait, rx.wait_for(|a| *a != Rights::Pending)).await;
        match settled {
            Ok(Ok(access)) => access.clone(),
            _ => Rights::Everything,
        }
    }

    /// The tools this server lists now.
    pub async fn exposed_tools(&self) -> Vec<Tool> {
        let access = self.access().await;
        self.catalogue()
            .presented
            .iter()
            .filter(|t| match &access {
                Rights::Granted(granted) => missing_scopes(&t.name, granted).is_none(),
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

    /// Runs one call in a task of its own inside its call scope, and audits it (a live call of a
    /// tool that writes; a dry run writes nothing and is not audited).
    async fn run_call(
        &self,
        tool: &Tool,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
        caller: Caller,
        run: Run,
    ) -> (Result<CallToolResponse, ErrorData>, CallScope) {
        let name = tool.name.to_string();
        let audited = !is_read_only(tool) && run.mode == CallMode::Live;
        let scope = CallScope::new(context.ct.clone(), Some(self.limit_for(&name)))
            .with_mode(run.mode, run.confirmed_state);
        let router = self.catalogue().router.clone();
        let inner = self.inner.clone();
        let started = Instant::now();
        let task_scope = scope.clone();
        let schema = tool.input_schema.clone();
        let arguments = request.arguments.clone().unwrap_or_default();
        // A task of its own: if the request's future is dropped, a write already sent still
        // runs to its end, reads back what it made, and is audited.
        let task = tokio::spawn(async move {
            let scope = task_scope;
            let result = scope
                .run(router.call(ToolCallContext::new(&*inner.tools, request, context)))
                .await;
            // Arguments that did not decode: say which and how, never with their values.
            let result = arguments::without_argument_values(result, &schema, &arguments);
            let error = error_text(&result);
            if audited {
                let record = AuditRecord::new(
                    &name,
                    caller,
                    scope.writes(),
                    error.clone(),
                    inner.tools.upstream.base_url(),
                )
                .confirmed_by(run.confirmed_by);
                inner.audit.record(&record);
            }
            tracing::info!(
                tool = %name,
                elapsed_ms = started.elapsed().as_millis() as u64,
                ok = error.is_none(),
                dry_run = run.mode == CallMode::DryRun,
                cancelled = scope.is_cancelled(),
                "tool call"
            );
            result
        });
        let result = task.await.unwrap_or_else(|e| {
            Err(ErrorData::internal_error(
                format!("the tool call failed unexpectedly: {e}"),
                None,
            ))
        });
        (result, scope)
    }

    /// A destructive call: runs once the person confirmed it (by a token from its plan, by
    /// the answer to an input request, or by a form asked within this call); otherwise answers
    /// the plan and changes nothing.
    async fn confirm_then_run(
        &self,
        tool: &Tool,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
        caller: Caller,
        token: Option<String>,
    ) -> (Result<CallToolResponse, ErrorData>, Option<&'static str>) {
        let name = tool.name.to_string();
        let arguments = request.arguments.clone().unwrap_or_default();
        // A token is the person's: on stdio there is one person, the process's.
        let person = caller.user.clone().unwrap_or_default();
        // The retry of an input request carries the token as its request state; it counts as
        // an elicitation only if the server itself asked through the client's elicitation
        // (the token says how it was handed out).
        let answered = request.request_state.clone();
        if let Some(token) = token.or(answered.clone()) {
            let (by, via) = if answered.is_some() {
                let answer = request
                    .input_responses
                    .as_ref()
                    .and_then(|r| r.get(CONFIRM))
                    .map_or(Answer::Declined, safety::answer_of);
                if answer == Answer::Declined {
                    return (
                        Ok(safety::declined_result(&name).into()),
                        Some(NOT_CONFIRMED),
                    );
                }
                ("elicitation", Delivery::InputRequest)
            } else {
                ("token", Delivery::Plan)
            };
            return match self
                .inner
                .confirmations
                .redeem(&token, &name, &arguments, &person, via)
            {
                Ok(sealed) => {
                    let run = Run::confirmed(self.confirmed_state(sealed), by);
                    (
                        self.run_call(tool, request, context, caller, run).await.0,
                        None,
                    )
                }
                Err(refusal) => (
                    Ok(safety::refused_result(&refusal.to_string()).into()),
                    Some(NOT_CONFIRMED),
                ),
            };
        }

        let (planned, scope) = self
            .run_call(
                tool,
                request.clone(),
                context.clone(),
                caller.clone(),
                Run::dry(),
            )
            .await;
        let plan = match Plan::of(&scope) {
            Some(plan) if !plan.requests.is_empty() => plan,
            // It failed before writing, or has nothing to change: that is the answer.
            _ => return (planned, Some(NOTHING_TO_CONFIRM)),
        };
        let state = state_digest(&scope.intended().map(|c| c.before).unwrap_or_default());
        let capabilities = context.client_capabilities();
        let can_ask = capabilities
            .as_ref()
            .and_then(|c| c.elicitation.as_ref())
            .is_some_and(|e| e.form.is_some() || e.url.is_none());
        let modern = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let issue = |via| {
            self.inner
                .confirmations
                .issue(&name, &arguments, &state, &person, via)
        };
        if can_ask && modern {
            let token = issue(Delivery::InputRequest);
            let form = InputRequest::Elicitation(ElicitRequest::new(plan.elicitation(&name)));
            let requests = [(CONFIRM.to_owned(), form)].into_iter().collect();
            return (
                Ok(InputRequiredResult::new(Some(requests), Some(token)).into()),
                Some(AWAITING_CONFIRMATION),
            );
        }
        if can_ask {
            let asked = context
                .peer
                .create_elicitation_with_timeout(
                    plan.elicitation(&name),
                    Some(self.inner.options.confirmation_wait),
                )
                .await;
            match asked {
                Ok(answer) => {
                    let answer = serde_json::to_value(&answer).unwrap_or_default();
                    if safety::answer_of(&answer) == Answer::Declined {
                        return (
                            Ok(safety::declined_result(&name).into()),
                            Some(NOT_CONFIRMED),
                        );
                    }
                    let sealed = self.inner.confirmations.seal(&state);
                    let run = Run::confirmed(self.confirmed_state(sealed), "elicitation");
                    return (
                        self.run_call(tool, request, context, caller, run).await.0,
                        None,
                    );
                }
                // The client could not ask after all: fall back to the token, never to running.
                Err(err) => {
                    tracing::warn!(tool = %name, error = %err, "could not ask for confirmation; answering the plan with a token")
                }
            }
        }
        let ttl = self.inner.confirmations.ttl();
        let token = issue(Delivery::Plan);
        (
            Ok(plan.confirmation_result(&name, &token, ttl).into()),
            Some(AWAITING_CONFIRMATION),
        )
    }

    /// What a confirmed call's resource must still be: the sealed state, and the seal.
    fn confirmed_state(&self, sealed: String) -> ConfirmedState {
        let inner = self.inner.clone();
        ConfirmedState {
            sealed,
            seal: Arc::new(move |digest| inner.confirmations.seal(digest)),
        }
    }

    /// Remote mode: the tools may not change `registration` unless the person's token carries
    /// `mcp:admin`. Set once, when the HTTP layer knows the server's audience and clients.
    pub fn protect_registration(&self, registration: Registration) {
        let _ = self
            .inner
            .guard
            .set(self_protection::Guard::new(registration));
    }

    /// Audits a call of a tool that writes which ended without a live run: nothing was sent.
    fn audit_unsent(
        &self,
        tool: &str,
        caller: Caller,
        result: &Result<CallToolResponse, ErrorData>,
        note: &'static str,
    ) {
        let error = error_text(result);
        let record = AuditRecord::new(
            tool,
            caller,
            Vec::new(),
            error,
            self.inner.tools.upstream.base_url(),
        )
        .with_note(note);
        self.inner.audit.record(&record);
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
        if let Some(user) = remote_user(&context)
            && let Some(scope) = remote_lacks(user, &name)
        {
            let result = Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "`{name}` needs the scope `{scope}`, which your sign-in did not grant (you have: {}). Ask an administrator of the organization for a role that grants `{scope}` (asgardeo-mcp setup-remote creates them), then sign in again.",
                if user.scopes.is_empty() { "no scopes".to_owned() } else { user.scopes.iter().cloned().collect::<Vec<_>>().join(" ") }
            ))])
            .into());
            if catalog_entry(&name).is_some_and(|e| e.access != Access::Read) {
                self.audit_unsent(&name, caller, &result, NOT_PERMITTED);
            }
            return result;
        }
        if let Rights::Granted(granted) = self.access().await
            && let Some(missing) = missing_scopes(&name, &granted)
        {
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "`{name}` is not available: the M2M application behind CLIENT_ID was not granted {}. Authorize it for the management API that grants {} (Console > Applications > your M2M app > API Authorization) and restart the server, or start it with --keep-unauthorized-tools to list every tool.",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ))])
            .into());
        }
        let access = catalog_entry(&name).map_or(Access::Write, |e| e.access);
        let mut request = request;
        let controls = match safety::take_controls(&mut request.arguments, access) {
            Ok(controls) => controls,
            Err(message) => {
                return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
            }
        };
        if !controls.dry_run
            && let (Some(user), Some(guard)) = (remote_user(&context), self.inner.guard.get())
            && !user.scopes.contains(self_protection::ADMIN_SCOPE)
            && let Err(refusal) = guard
                .check(
                    &self.inner.tools,
                    &name,
                    request.arguments.as_ref().unwrap_or(&Default::default()),
                )
                .await
        {
            let words = match refusal {
                self_protection::Refusal::Protected(how) => format!(
                    "Refused: this changes the server's own registration in the organization ({how}). That needs the scope `{}` in your sign-in, which your roles do not give; ask an administrator of this server. Nothing was sent.",
                    self_protection::ADMIN_SCOPE
                ),
                self_protection::Refusal::Unknown(why) => format!(
                    "Refused: whether this changes the server's own registration could not be checked ({why}), so nothing was sent. Retry in a moment."
                ),
            };
            let result = Ok(CallToolResult::error(vec![ContentBlock::text(words)]).into());
            self.audit_unsent(&name, caller, &result, PROTECTED);
            return result;
        }
        if controls.dry_run {
            let (result, scope) = self
                .run_call(&tool, request, context, caller.clone(), Run::dry())
                .await;
            let result = match Plan::of(&scope) {
                Some(plan) => Ok(plan.dry_run_result(&name).into()),
                None => result,
            };
            self.audit_unsent(&name, caller, &result, DRY_RUN_NOTE);
            return result;
        }
        if access == Access::Destructive && !self.inner.options.skip_confirmation {
            let (result, unsent) = self
                .confirm_then_run(&tool, request, context, caller.clone(), controls.token)
                .await;
            if let Some(note) = unsent {
                self.audit_unsent(&name, caller, &result, note);
            }
            return result;
        }
        let by = (access == Access::Destructive).then_some("skipped (--yes)");
        self.run_call(&tool, request, context, caller, Run::live(by))
            .await
            .0
    }
}

/// Why a call of a tool that writes sent nothing, as its audit record says.
const DRY_RUN_NOTE: &str = "dry run: nothing sent";
const AWAITING_CONFIRMATION: &str = "awaiting the person's confirmation: nothing sent";
const NOT_CONFIRMED: &str = "not confirmed: nothing sent";
const NOTHING_TO_CONFIRM: &str = "ended before any write: nothing sent";
const NOT_PERMITTED: &str = "refused: the person's token lacks the tool's scope; nothing sent";
const PROTECTED: &str =
    "refused: changes the server's own registration without mcp:admin; nothing sent";

/// How one run of a tool goes.
#[derive(Debug, Clone)]
struct Run {
    mode: CallMode,
    /// The state the person confirmed, which the resource must still be in.
    confirmed_state: Option<ConfirmedState>,
    /// How a destructive call was confirmed, for the audit log.
    confirmed_by: Option<&'static str>,
}

impl Run {
    fn live(confirmed_by: Option<&'static str>) -> Self {
        Self {
            mode: CallMode::Live,
            confirmed_state: None,
            confirmed_by,
        }
    }

    fn dry() -> Self {
        Self {
            mode: CallMode::DryRun,
            confirmed_state: None,
            confirmed_by: None,
        }
    }

    fn confirmed(state: ConfirmedState, by: &'static str) -> Self {
        Self {
            mode: CallMode::Live,
            confirmed_state: Some(state),
            confirmed_by: Some(by),
        }
    }
}

/// The words of a call that failed, for its audit record.
fn error_text(result: &Result<CallToolResponse, ErrorData>) -> Option<String> {
    match result {
        Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => Some(
            r.content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(e) => Some(e.message.to_string()),
        _ => None,
    }
}

/// The person of a remote request, when the HTTP layer validated their token.
fn remote_user(context: &RequestContext<RoleServer>) -> Option<&RemoteUser> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RemoteUser>())
}

/// The remote-mode scope `tool` needs that the person's token lacks, if so.
fn remote_lacks(user: &RemoteUser, tool: &str) -> Option<String> {
    remote_scope(tool).filter(|scope| !user.scopes.contains(scope))
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
                .enable_prompts()
                .enable_resources()
                .enable_completions()
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
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = self.exposed_tools().await;
        if let Some(user) = remote_user(&context) {
            tools.retain(|t| remote_lacks(user, &t.name).is_none());
        }
        Ok(ListToolsResult {
            tools,
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
        let caller = remote_user(&context)
            .map(RemoteUser::caller)
            .or_else(|| context.extensions.get::<Caller>().cloned())
            .unwrap_or_default();
        self.call_as(request, context, caller).await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, ErrorData> {
        Ok(guided::list_prompts())
    }

    async fn get_prompt(
        &self,
        request: rmcp::model::GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, ErrorData> {
        guided::get_prompt(&request).map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourcesResult, ErrorData> {
        self.resources(context).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, ErrorData> {
        Ok(guided::resource_templates())
    }

    async fn read_resource(
        &self,
        request: rmcp::model::ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, ErrorData> {
        self.read(request, context).await.map(Into::into)
    }

    async fn complete(
        &self,
        request: rmcp::model::CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CompleteResult, ErrorData> {
        self.completions(request, context).await
    }
}

//! The `asgardeo-mcp` binary: the stdio MCP server (default), the standalone sandbox, and a
//! CLI for people and scripts (`tools`, `call`, `doctor`). stdout carries only the MCP
//! protocol in server mode and only the command's result otherwise; logs go to stderr.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use asgardeo_mcp::config::{self, Sources};
use asgardeo_mcp::sandbox::{FaultPlan, Sandbox, SandboxConfig};
use asgardeo_mcp::server::{AsgardeoServer, AuditLog, Product, ServerOptions, ToolFilter};
use asgardeo_mcp::tools::{CATALOG, required_scopes};
use asgardeo_mcp::upstream::{Upstream, UpstreamSettings};
use clap::{Args, Parser, Subcommand};
use rmcp::ServiceExt;

#[derive(Parser)]
#[command(
    name = "asgardeo-mcp",
    version,
    about = "MCP server for Asgardeo and WSO2 Identity Server administration"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct Global {
    /// Run against the embedded sandbox (an in-memory organization) instead of BASE_URL.
    #[arg(long, global = true)]
    sandbox: bool,
    /// The organization's base URL (overrides BASE_URL).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// The M2M application's client id (overrides CLIENT_ID). The secret is read only from the
    /// environment (CLIENT_SECRET), never from the command line.
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// `asgardeo` (default) or `wso2is` (overrides PRODUCT_MODE).
    #[arg(long, global = true)]
    product_mode: Option<String>,
    /// An extra CA certificate (PEM) to trust (overrides CERT_PATH).
    #[arg(long, global = true)]
    cert_path: Option<String>,
    /// Expose only tools that change nothing.
    #[arg(long, global = true, env = "ASGARDEO_MCP_READ_ONLY")]
    read_only: bool,
    /// Expose only these tools: comma-separated names, globs (`create_*`) or toolsets.
    #[arg(long, global = true, env = "ASGARDEO_MCP_TOOLS", value_delimiter = ',')]
    tools: Vec<String>,
    /// Hide these tools: comma-separated names, globs or toolsets.
    #[arg(
        long,
        global = true,
        env = "ASGARDEO_MCP_EXCLUDE_TOOLS",
        value_delimiter = ','
    )]
    exclude_tools: Vec<String>,
    /// List tools even when the token lacks the scopes they need.
    #[arg(long, global = true)]
    keep_unauthorized_tools: bool,
    /// How long `update_login_flow` waits for generation, in seconds.
    #[arg(long, global = true, default_value_t = 120)]
    login_flow_timeout: u64,
    /// Append one JSON line per state-changing call to this file.
    #[arg(long, global = true, env = "ASGARDEO_MCP_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
    /// Log filter for stderr (e.g. `debug`); RUST_LOG also works.
    #[arg(long, global = true, env = "ASGARDEO_MCP_LOG")]
    log: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the MCP server over stdio (the default).
    Serve,
    /// Run the sandbox standalone and print its base URL and credentials.
    Sandbox(SandboxArgs),
    /// List the tools, their toolsets and the scopes they need.
    Tools {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Call one tool and print its structured result.
    Call {
        /// The tool's name.
        tool: String,
        /// An argument as key=value (value parsed as JSON when it is valid JSON).
        #[arg(long = "arg", value_name = "KEY=VALUE")]
        args: Vec<String>,
        /// All arguments as one JSON object.
        #[arg(long)]
        json: Option<String>,
    },
    /// Check configuration, reachability, TLS, credentials and scopes.
    Doctor {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct SandboxArgs {
    /// The port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 9443)]
    port: u16,
    /// The organization name in the base URL.
    #[arg(long, default_value = "sandbox")]
    org: String,
    /// Extra applications to seed (for paging and benchmarks).
    #[arg(long, default_value_t = 0)]
    seed_apps: usize,
    /// Seed of the deterministic identifiers.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// How long a login-flow generation takes, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    login_flow_ms: u64,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer this status to a fraction of requests (see --fault-fraction).
    #[arg(long)]
    fault_status: Option<u16>,
    /// The fraction (0..1) of requests answered with --fault-status.
    #[arg(long)]
    fault_fraction: Option<f64>,
}

fn init_logging(filter: Option<&str>) {
    let requested = filter
        .map(str::to_owned)
        .or_else(|| std::env::var("RUST_LOG").ok());
    tracing_subscriber::fmt()
        .with_env_filter(asgardeo_mcp::logging::filter(requested.as_deref()))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.log.as_deref());
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("asgardeo-mcp: {err:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Sandbox(args)) => run_sandbox(args).await,
        Some(Command::Tools { json }) => {
            list_tools(&cli.global, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Doctor { json }) => doctor(&cli.global, json).await,
        Some(Command::Call { tool, args, json }) => {
            call(&cli.global, &tool, &args, json.as_deref()).await
        }
        Some(Command::Serve) | None => serve(&cli.global).await,
    }
}

fn product(global: &Global) -> Result<Product> {
    let env = |k: &str| std::env::var(k).ok();
    Ok(config::product(&Sources {
        env: &env,
        base_url: None,
        client_id: None,
        product_mode: global.product_mode.clone(),
        cert_path: None,
    })?)
}

/// The upstream to talk to: the embedded sandbox, or the configured organization.
async fn upstream(global: &Global) -> Result<Upstream> {
    let settings = if global.sandbox {
        let sandbox = Sandbox::start(SandboxConfig::default(), 0)
            .await
            .context("starting the embedded sandbox")?;
        tracing::info!(base_url = %sandbox.base_url, "embedded sandbox running");
        UpstreamSettings::new(
            &sandbox.base_url,
            &sandbox.credentials.client_id,
            &sandbox.credentials.client_secret,
        )
    } else {
        let env = |k: &str| std::env::var(k).ok();
        config::upstream(&Sources {
            env: &env,
            base_url: global.base_url.clone(),
            client_id: global.client_id.clone(),
            product_mode: global.product_mode.clone(),
            cert_path: global.cert_path.clone(),
        })?
    };
    Ok(Upstream::new(settings)?)
}

async fn build_server(global: &Global) -> Result<AsgardeoServer> {
    let product = product(global)?;
    let upstream = upstream(global).await?;
    let granted_scopes = if global.keep_unauthorized_tools {
        None
    } else {
        match upstream.token().await {
            Ok(token) => Some(token.scopes),
            Err(err) => {
                tracing::warn!(error = %err, "could not learn the granted scopes; listing every tool (calls will report what fails)");
                None
            }
        }
    };
    let filter = ToolFilter {
        read_only: global.read_only,
        include: global.tools.clone(),
        exclude: global.exclude_tools.clone(),
        granted_scopes,
    };
    let audit = match &global.audit_log {
        Some(path) => AuditLog::to_file(path)
            .with_context(|| format!("opening the audit log {}", path.display()))?,
        None => AuditLog::default(),
    };
    let options = ServerOptions {
        product,
        login_flow_timeout: Duration::from_secs(global.login_flow_timeout),
        ..Default::default()
    };
    Ok(AsgardeoServer::new(upstream, options, &filter, audit)?)
}

async fn serve(global: &Global) -> Result<ExitCode> {
    let server = build_server(global).await?;
    tracing::info!(
        tools = server.exposed_tools().len(),
        "serving MCP over stdio"
    );
    let service = server
        .serve(rmcp::transport::stdio())
        .await
        .context("starting the MCP session")?;
    service
        .waiting()
        .await
        .context("the MCP session ended with an error")?;
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::print_stdout)]
async fn run_sandbox(args: SandboxArgs) -> Result<ExitCode> {
    let config = SandboxConfig {
        org: args.org,
        seed: args.seed,
        seed_apps: args.seed_apps,
        token_lifetime: Duration::from_secs(args.token_lifetime),
        login_flow_duration: Duration::from_millis(args.login_flow_ms),
        faults: FaultPlan {
            latency_ms: args.latency_ms,
            status: args.fault_status,
            fraction: args.fault_fraction,
            ..Default::default()
        },
    };
    let sandbox = Sandbox::start(config, args.port)
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
    println!("sandbox running");
    println!("BASE_URL={}", sandbox.base_url);
    println!("CLIENT_ID={}", sandbox.credentials.client_id);
    println!("CLIENT_SECRET={}", sandbox.credentials.client_secret);
    println!("scopes: {}", sandbox.credentials.scopes.join(" "));
    println!("fault control: POST http://{}/sandbox/faults", sandbox.addr);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::print_stdout)]
fn list_tools(global: &Global, json: bool) -> Result<()> {
    let tools = AsgardeoServer::tool_definitions(product(global)?);
    if json {
        println!("{}", serde_json::to_string_pretty(&tools)?);
        return Ok(());
    }
    for tool in tools {
        let entry = CATALOG.iter().find(|e| e.name == tool.name);
        let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
        println!(
            "{:<34} {:<14} {:<6} {}",
            tool.name,
            entry.map_or("", |e| e.toolset),
            if read_only { "read" } else { "write" },
            required_scopes(&tool.name).join(" ")
        );
    }
    Ok(())
}

fn parse_arguments(
    args: &[String],
    json: Option<&str>,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let mut map = match json {
        Some(text) => match serde_json::from_str(text).context("--json is not JSON")? {
            serde_json::Value::Object(m) => m,
            _ => bail!("--json must be a JSON object"),
        },
        None => serde_json::Map::new(),
    };
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            bail!("--arg `{arg}` is not KEY=VALUE")
        };
        let value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
        map.insert(key.to_owned(), value);
    }
    Ok(map)
}

/// Calls a tool through a real MCP session in this process, so the CLI sees exactly what a
/// host would.
#[allow(clippy::print_stdout)]
async fn call(
    global: &Global,
    tool: &str,
    args: &[String],
    json: Option<&str>,
) -> Result<ExitCode> {
    let arguments = parse_arguments(args, json)?;
    let server = build_server(global).await?;
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server_task = tokio::spawn(async move {
        if let Ok(service) = server.serve(server_io).await {
            let _ = service.waiting().await;
        }
    });
    let client = ().serve(client_io).await.context("starting the in-process MCP client")?;
    let params = rmcp::model::CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    let result = client
        .call_tool(params)
        .await
        .with_context(|| format!("calling `{tool}`"))?;
    let _ = client.cancel().await;
    server_task.abort();
    let failed = result.is_error == Some(true);
    match &result.structured_content {
        Some(value) if !failed => println!("{}", serde_json::to_string_pretty(value)?),
        _ => {
            for block in &result.content {
                if let Some(text) = block.as_text() {
                    println!("{}", text.text);
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[allow(clippy::print_stdout)]
async fn doctor(global: &Global, json: bool) -> Result<ExitCode> {
    let upstream = upstream(global).await?;
    let report = asgardeo_mcp::doctor::run(&upstream).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("asgardeo-mcp doctor: {}", report.base_url);
        for check in &report.checks {
            println!(
                "  [{}] {}: {}",
                if check.ok { "ok" } else { "FAIL" },
                check.name,
                check.detail
            );
        }
        let usable: BTreeSet<_> = report
            .tools
            .iter()
            .filter(|t| t.usable)
            .map(|t| t.tool)
            .collect();
        println!(
            "usable tools ({}): {}",
            usable.len(),
            usable.iter().copied().collect::<Vec<_>>().join(", ")
        );
        for tool in report.tools.iter().filter(|t| !t.usable) {
            println!(
                "  unusable: {} (missing scope {})",
                tool.tool,
                tool.missing_scopes.join(", ")
            );
        }
    }
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

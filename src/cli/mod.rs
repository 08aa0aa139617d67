//! The `asgardeo-mcp` command line: the stdio MCP server (default), the standalone sandbox, and
//! commands for people and scripts (`tools`, `call`, `doctor`). stdout carries only the MCP
//! protocol in server mode and only the command's result otherwise; logs go to stderr.

mod call;
mod config;
pub mod doctor;
mod doctor_http;
mod init;
mod logging;
mod output;
mod setup_remote;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rmcp::ServiceExt;

pub use config::{ConfigError, Sources, env_bool};
pub use logging::{allowed as log_allowed, filter as log_filter};

use crate::api::{Upstream, UpstreamSettings};
use crate::server::{AsgardeoServer, AuditLog, Product, ServerOptions, ToolFilter};
use crate::tools::{ToolContext, ToolSettings};

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
pub(crate) struct Global {
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
    /// Accept a plain-http BASE_URL to a host other than this machine (credentials would travel
    /// in clear text).
    #[arg(long, global = true)]
    allow_insecure_http: bool,
    /// Expose only tools that change nothing (also ASGARDEO_MCP_READ_ONLY=true).
    #[arg(long, global = true)]
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
    /// With --sandbox (and for `sandbox`): the server the sandbox answers as, where versions
    /// differ: `asgardeo` (default), `7.0`, `7.1` or `7.2` (WSO2 Identity Server; the product
    /// mode then defaults to wso2is).
    #[cfg(feature = "sandbox")]
    #[arg(
        long,
        global = true,
        value_name = "VERSION",
        default_value = "asgardeo"
    )]
    server_version: crate::sandbox::ServerVersion,
    /// Run destructive tools (deletes, secret rotation, unassignments, revocations) without
    /// asking the person first: for scripts and CI (also ASGARDEO_MCP_YES=true). Each such call
    /// is recorded in the audit log as `skipped (--yes)`.
    #[arg(long, global = true)]
    yes: bool,
    /// How long `update_login_flow` waits for generation, in seconds.
    #[arg(long, global = true, default_value_t = 120)]
    login_flow_timeout: u64,
    /// Every tool call's time limit, in seconds (under the 60 s hosts give a request).
    #[arg(long, global = true, default_value_t = 45)]
    call_timeout: u64,
    /// Append one JSON line per call of a tool that writes to this file.
    #[arg(long, global = true, env = "ASGARDEO_MCP_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
    /// Log filter for stderr (e.g. `debug`, `off`); RUST_LOG also works.
    #[arg(long, global = true, env = "ASGARDEO_MCP_LOG")]
    log: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the MCP server: over stdio (the default), or over streamable HTTP for a team
    /// (`--http`), protected by the organization's tokens.
    Serve(Box<ServeArgs>),
    /// Run the sandbox standalone and print its base URL and credentials.
    #[cfg(feature = "sandbox")]
    Sandbox(SandboxArgs),
    /// List the tools this configuration exposes, their toolsets, access and scopes.
    Tools {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Call one tool and print its structured result.
    Call {
        /// The tool's name.
        tool: String,
        /// An argument as key=value, converted by the tool's input schema.
        #[arg(long = "arg", value_name = "KEY=VALUE")]
        args: Vec<String>,
        /// All arguments as one JSON object.
        #[arg(long)]
        json: Option<String>,
    },
    /// Write this server into an MCP host's configuration (Claude Desktop, Claude Code, Cursor,
    /// VS Code, Windsurf), keeping what is there; --dry-run shows the diff only.
    Init(init::InitArgs),
    /// Register a remote deployment in the organization: its API resource and scopes, the
    /// client application people sign in with, and reader/administrator roles.
    SetupRemote(setup_remote::SetupRemoteArgs),
    /// Check configuration, reachability, TLS, credentials and scopes; with --http URL, a
    /// remote deployment as clients meet it.
    Doctor {
        #[arg(long)]
        json: bool,
        /// Check the remote deployment at this URL (`https://mcp.example.com/mcp`) instead.
        #[arg(long, value_name = "URL")]
        http: Option<url::Url>,
    },
}

#[derive(Args, Default)]
pub(crate) struct ServeArgs {
    /// Serve streamable HTTP at /mcp instead of stdio (remote mode).
    #[arg(long)]
    http: bool,
    /// The address to bind in HTTP mode.
    #[arg(long, default_value = "127.0.0.1", env = "ASGARDEO_MCP_BIND")]
    bind: Option<std::net::IpAddr>,
    /// The port to listen on in HTTP mode (0: any free port).
    #[arg(long, default_value_t = 8000, env = "ASGARDEO_MCP_PORT")]
    port: u16,
    /// The URL clients reach this server at (scheme, host, port; behind a proxy, the proxy's).
    /// Required off loopback. The resource is `<public-url>/mcp`.
    #[arg(long, env = "ASGARDEO_MCP_PUBLIC_URL")]
    public_url: Option<url::Url>,
    /// Extra `Host` header values to accept (DNS-rebinding protection): comma-separated.
    #[arg(long, env = "ASGARDEO_MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// Browser origins to accept (`https://app.example.com:443`); any other Origin is refused.
    #[arg(long, env = "ASGARDEO_MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<String>,
    /// The audience tokens must carry: the identifier this server is registered under in the
    /// organization (default: `<public-url>/mcp`).
    #[arg(long, env = "ASGARDEO_MCP_AUDIENCE")]
    audience: Option<String>,
    /// The token issuer (default: `<BASE_URL>/oauth2/token`).
    #[arg(long, env = "ASGARDEO_MCP_ISSUER")]
    issuer: Option<String>,
    /// The organization's JWKS (default: `<BASE_URL>/oauth2/jwks`).
    #[arg(long, env = "ASGARDEO_MCP_JWKS_URL")]
    jwks_url: Option<url::Url>,
    /// Signature algorithms accepted: RS256 (default), PS256, ES256; comma-separated.
    #[arg(long, default_value = "RS256", value_delimiter = ',')]
    token_algorithms: Vec<String>,
    /// The client ids whose tokens are taken (the MCP client application `setup-remote`
    /// made; it prints the id): comma-separated. Each must be authorized for this server's API
    /// resource under RBAC. Required with authentication.
    #[arg(long, env = "ASGARDEO_MCP_ALLOWED_CLIENTS", value_delimiter = ',')]
    allowed_clients: Vec<String>,
    /// Serve without authentication (only on a loopback address; for trying and conformance).
    #[arg(long)]
    no_auth: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Calls in flight at once; beyond, 503 with Retry-After.
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,
    /// Calls in flight at once for one person; beyond, 429 with Retry-After.
    #[arg(long, default_value_t = 32)]
    max_in_flight_per_person: usize,
    /// Seconds a request's headers (and a TLS handshake) may take to arrive.
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a request's body may take to arrive; beyond, 408.
    #[arg(long, default_value_t = 10)]
    body_timeout: u64,
    /// Connections open at once; a new one beyond is closed.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Legacy (2025-11-25/06-18) sessions open at once, in all.
    #[arg(long, default_value_t = 1000)]
    max_sessions: usize,
    /// Legacy sessions open at once for one person.
    #[arg(long, default_value_t = 16)]
    max_sessions_per_person: usize,
    /// Seconds a legacy session may go unused before it is closed.
    #[arg(long, default_value_t = 300)]
    session_idle: u64,
    /// How long shutdown waits for calls in flight, in seconds.
    #[arg(long, default_value_t = 30)]
    drain_timeout: u64,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

#[cfg(feature = "sandbox")]
#[derive(Args)]
struct SandboxArgs {
    /// The port to listen on (127.0.0.1; 0 for any free port).
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
    /// Simulate an organization without the AI login-flow subscription.
    #[arg(long)]
    no_ai_login_flow: bool,
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

/// The binary's entry point.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let requested_log = cli
        .global
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok());
    logging::init(requested_log.as_deref());
    // One thread is enough for one host over stdio; a team's server uses every core.
    let http = matches!(&cli.command, Some(Command::Serve(args)) if args.http);
    let built = if http {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match built {
        Ok(runtime) => runtime,
        Err(err) => {
            output::error(&format!("asgardeo-mcp: could not start the runtime: {err}"));
            return ExitCode::from(2);
        }
    };
    let doctor_json = matches!(cli.command, Some(Command::Doctor { json: true, .. }));
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) if doctor_json => doctor::print_setup_error(&err),
        Err(err) => {
            output::error(&format!("asgardeo-mcp: {err:#}"));
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        #[cfg(feature = "sandbox")]
        Some(Command::Sandbox(args)) => run_sandbox(args, cli.global.server_version).await,
        Some(Command::Tools { json }) => tools::list(&cli.global, json),
        Some(Command::Init(args)) => init::run(&args, cli.global.sandbox),
        Some(Command::SetupRemote(args)) => setup_remote::run(&cli.global, &args).await,
        Some(Command::Doctor {
            json,
            http: Some(url),
        }) => doctor_http::run(&cli.global, &url, json).await,
        Some(Command::Doctor { json, http: None }) => doctor::run(&cli.global, json).await,
        Some(Command::Call { tool, args, json }) => {
            call::run(&cli.global, &tool, &args, json.as_deref()).await
        }
        Some(Command::Serve(args)) if args.http => serve_http(&cli.global, &args).await,
        Some(Command::Serve(_)) | None => serve(&cli.global).await,
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

fn sources(global: &Global) -> Sources<'static> {
    Sources {
        env: &env,
        base_url: global.base_url.clone(),
        client_id: global.client_id.clone(),
        product_mode: global.product_mode.clone(),
        cert_path: global.cert_path.clone(),
        allow_insecure_http: global.allow_insecure_http,
    }
}

fn product(global: &Global) -> Result<Product> {
    #[cfg(feature = "sandbox")]
    if global.sandbox && global.product_mode.is_none() && std::env::var_os("PRODUCT_MODE").is_none()
    {
        return Ok(global.server_version.product());
    }
    Ok(config::product(&sources(global))?)
}

/// The tool filter from the flags and the environment; `--read-only` wins.
fn filter(global: &Global) -> Result<ToolFilter> {
    let read_only = global.read_only || env_bool(&env, "ASGARDEO_MCP_READ_ONLY")?.unwrap_or(false);
    let clean = |patterns: &[String]| -> Vec<String> {
        patterns
            .iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    };
    Ok(ToolFilter {
        read_only,
        include: clean(&global.tools),
        exclude: clean(&global.exclude_tools),
    })
}

/// Where the server's requests go: the embedded sandbox, or the configured organization.
async fn upstream_settings(global: &Global) -> Result<UpstreamSettings> {
    if global.sandbox {
        #[cfg(feature = "sandbox")]
        {
            let config = crate::sandbox::SandboxConfig {
                server_version: global.server_version,
                ..Default::default()
            };
            let sandbox = crate::sandbox::Sandbox::start(config, 0)
                .await
                .context("starting the embedded sandbox")?;
            tracing::info!(base_url = %sandbox.base_url, "embedded sandbox running");
            return Ok(UpstreamSettings::new(
                &sandbox.base_url,
                &sandbox.credentials.client_id,
                &sandbox.credentials.client_secret,
            ));
        }
        #[cfg(not(feature = "sandbox"))]
        anyhow::bail!(
            "this build has no embedded sandbox (built with --no-default-features); use a build with the `sandbox` feature, or set BASE_URL, CLIENT_ID and CLIENT_SECRET"
        );
    }
    Ok(config::upstream(&sources(global))?)
}

/// The server for these flags, asking the token endpoint only for the scopes of the tools it
/// exposes (least privilege: narrowing the tools narrows the rights).
async fn build_server(global: &Global) -> Result<AsgardeoServer> {
    build_server_with(global, false).await
}

/// The server, running destructive tools without confirmation when `confirmed` (the person
/// already asked for exactly these calls, as with `setup-remote`).
async fn build_server_with(global: &Global, confirmed: bool) -> Result<AsgardeoServer> {
    let product = product(global)?;
    let filter = filter(global)?;
    let scopes = AsgardeoServer::scopes_for_filter(&filter)?;
    let settings = upstream_settings(global).await?.with_scopes(scopes);
    let upstream = Upstream::new(settings)?;
    let audit = match &global.audit_log {
        Some(path) => AuditLog::to_file(path)
            .with_context(|| format!("opening the audit log {}", path.display()))?,
        None => AuditLog::default(),
    };
    let tools = Arc::new(ToolContext::new(
        upstream,
        ToolSettings {
            login_flow_timeout: Duration::from_secs(global.login_flow_timeout),
            product,
            ..Default::default()
        },
    ));
    let options = ServerOptions {
        product,
        call_timeout: Duration::from_secs(global.call_timeout.max(1)),
        keep_unauthorized_tools: global.keep_unauthorized_tools,
        skip_confirmation: confirmed
            || global.yes
            || env_bool(&env, "ASGARDEO_MCP_YES")?.unwrap_or(false),
        ..Default::default()
    };
    Ok(AsgardeoServer::new(tools, options, &filter, audit)?)
}

async fn serve(global: &Global) -> Result<ExitCode> {
    let server = build_server(global).await?;
    tracing::info!("serving MCP over stdio");
    let transport =
        crate::server::stdio::GuardedStdio::<tokio::io::Stdin, tokio::io::Stdout>::stdio();
    let service = server
        .serve(transport)
        .await
        .context("starting the MCP session")?;
    service
        .waiting()
        .await
        .context("the MCP session ended with an error")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "remote")]
async fn serve_http(global: &Global, args: &ServeArgs) -> Result<ExitCode> {
    use crate::remote::{Algorithm, AuthOptions, HttpOptions, TlsFiles};
    let algorithms = args
        .token_algorithms
        .iter()
        .map(|name| {
            Algorithm::parse(name.trim()).with_context(|| {
                format!("--token-algorithms: `{name}` is not one of RS256, PS256, ES256")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let options = HttpOptions {
        bind: args
            .bind
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        port: args.port,
        public_url: args.public_url.clone(),
        allowed_hosts: args.allowed_hosts.clone(),
        allowed_origins: args.allowed_origins.clone(),
        auth: (!args.no_auth).then(|| AuthOptions {
            audience: args.audience.clone(),
            issuer: args.issuer.clone(),
            jwks_url: args.jwks_url.clone(),
            algorithms,
            allowed_clients: args.allowed_clients.clone(),
            ..Default::default()
        }),
        max_body_bytes: args.max_body_bytes,
        max_in_flight: args.max_in_flight,
        max_in_flight_per_person: args.max_in_flight_per_person,
        header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        body_timeout: Duration::from_secs(args.body_timeout.max(1)),
        max_connections: args.max_connections,
        max_sessions: args.max_sessions,
        max_sessions_per_person: args.max_sessions_per_person,
        session_idle: Duration::from_secs(args.session_idle.max(1)),
        drain: Duration::from_secs(args.drain_timeout),
        tls: args
            .tls_cert
            .clone()
            .zip(args.tls_key.clone())
            .map(|(cert, key)| TlsFiles { cert, key }),
    };
    crate::remote::check(&options)?;
    let server = build_server(global).await?;
    let bound = crate::remote::bind(server, options).await?;
    tracing::info!(addr = %bound.addr, resource = %bound.resource, "serving MCP over streamable HTTP");
    // The address, for people and for scripts that start the server on port 0.
    output::line(&format!(
        "listening on {} (MCP at {})",
        bound.addr, bound.resource
    ));
    bound.serve(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "remote"))]
async fn serve_http(_global: &Global, _args: &ServeArgs) -> Result<ExitCode> {
    anyhow::bail!("this build has no remote mode (built without the `remote` feature)")
}

/// Ctrl-C or SIGTERM (what container runtimes send).
#[cfg(feature = "remote")]
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(feature = "sandbox")]
async fn run_sandbox(
    args: SandboxArgs,
    server_version: crate::sandbox::ServerVersion,
) -> Result<ExitCode> {
    use crate::sandbox::{FaultPlan, Sandbox, SandboxConfig};
    let config = SandboxConfig {
        server_version,
        org: args.org,
        seed: args.seed,
        seed_apps: args.seed_apps,
        token_lifetime: Duration::from_secs(args.token_lifetime),
        login_flow_duration: Duration::from_millis(args.login_flow_ms),
        ai_login_flow: !args.no_ai_login_flow,
        faults: FaultPlan {
            latency_ms: args.latency_ms,
            status: args.fault_status,
            fraction: args.fault_fraction,
            ..Default::default()
        },
        ..Default::default()
    };
    let sandbox = Sandbox::start(config, args.port)
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
    for text in [
        format!("sandbox running (answering as {server_version})"),
        format!("BASE_URL={}", sandbox.base_url),
        format!("CLIENT_ID={}", sandbox.credentials.client_id),
        format!("CLIENT_SECRET={}", sandbox.credentials.client_secret),
        format!("scopes: {}", sandbox.credentials.scopes.join(" ")),
        format!("fault control: POST http://{}/sandbox/faults", sandbox.addr),
        format!(
            "sign-in user (login form of {}/oauth2/authorize): {} / {}",
            sandbox.base_url,
            crate::sandbox::SEEDED_USER,
            crate::sandbox::SEEDED_PASSWORD
        ),
    ] {
        output::line(&text);
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

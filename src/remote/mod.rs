//! Remote mode (`asgardeo-mcp serve --http`): one server for a team over streamable HTTP,
//! protected by the organization it administers.
//!
//! - `/mcp` is rmcp's streamable HTTP service: protocol 2026-07-28 statelessly, the
//!   2025-11-25/2025-06-18 session mode for clients that still use it; JSON answers, SSE when a
//!   call streams progress. rmcp checks `Host` and `Origin` (DNS rebinding) against the lists.
//! - In front of it, in this order: a bound on calls in flight (503 + `Retry-After` beyond it),
//!   then the bearer token (RFC 6750; checked locally by [`token::Validator`], never forwarded:
//!   upstream calls keep the server's own M2M client). Without a valid token: 401 with
//!   `WWW-Authenticate: Bearer resource_metadata=...` (RFC 9728); a token with no `mcp:` scope
//!   at all: 403 `insufficient_scope`. The person's scopes then decide which tools they see and
//!   call (see `server::remote_lacks`).
//! - `/.well-known/oauth-protected-resource` (and its `/mcp`-suffixed form), `/healthz`, `/readyz`.
//! - Shutdown stops accepting, lets calls in flight finish (up to the drain time), then closes
//!   the streams that remain.

mod clients;
mod listener;
mod tls;
pub mod token;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::StreamExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::server::AsgardeoServer;
use crate::tools::remote_scopes;
pub use clients::{ClientRefusal, TrustedClients};
pub use token::{Algorithm, Rejection, TokenPolicy, Validator};

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub bind: IpAddr,
    pub port: u16,
    /// The URL clients reach this server at (behind a proxy, the proxy's); by default
    /// `http://<bind>:<port>`.
    pub public_url: Option<url::Url>,
    /// Extra `Host` values accepted (loopback names and the public URL's host always are).
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted; any other `Origin` is refused.
    pub allowed_origins: Vec<String>,
    /// `None` serves without authentication (only on a loopback address).
    pub auth: Option<AuthOptions>,
    pub max_body_bytes: usize,
    pub max_in_flight: usize,
    /// Calls in flight at once for one person: no one person can take every slot.
    pub max_in_flight_per_person: usize,
    /// A request's headers (and a TLS handshake) must arrive within this.
    pub header_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Legacy (2025-11-25/06-18) sessions open at once, in all and for one person.
    pub max_sessions: usize,
    pub max_sessions_per_person: usize,
    /// A legacy session unused this long is closed, and its memory freed.
    pub session_idle: Duration,
    /// How long shutdown waits for calls in flight.
    pub drain: Duration,
    pub tls: Option<tls::TlsFiles>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 8000,
            public_url: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            auth: Some(AuthOptions::default()),
            max_body_bytes: 1 << 20,
            max_in_flight: 256,
            max_in_flight_per_person: 32,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_sessions: 1000,
            max_sessions_per_person: 16,
            session_idle: Duration::from_secs(300),
            drain: Duration::from_secs(30),
            tls: None,
        }
    }
}

pub use tls::TlsFiles;

/// How tokens are checked; unset fields come from the organization's base URL.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    pub audience: Option<String>,
    pub issuer: Option<String>,
    pub jwks_url: Option<url::Url>,
    pub algorithms: Vec<Algorithm>,
    pub leeway: Duration,
    /// The client ids whose tokens are taken (`azp`/`client_id`): the MCP client application
    /// `setup-remote` made, and any others the deployment trusts.
    pub allowed_clients: Vec<String>,
}

impl Default for AuthOptions {
    fn default() -> Self {
        Self {
            audience: None,
            issuer: None,
            jwks_url: None,
            algorithms: vec![Algorithm::Rs256],
            leeway: Duration::from_secs(60),
            allowed_clients: Vec::new(),
        }
    }
}

/// What the HTTP layer shares between requests.
#[derive(Clone)]
struct Shared {
    server: AsgardeoServer,
    validator: Option<Validator>,
    clients: Option<TrustedClients>,
    /// `<public>/mcp`: the protected resource.
    resource: String,
    /// Where the resource's metadata is, for `WWW-Authenticate`.
    metadata_url: String,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    owners: Arc<SessionOwners>,
    /// Calls in flight per person, and the most one person may have.
    people: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    max_per_person: usize,
    body_timeout: Duration,
    max_body_bytes: usize,
    max_sessions: usize,
    max_sessions_per_person: usize,
}

/// Who opened each legacy (2025-11-25/06-18) session: a session answers only the person who
/// opened it, so a leaked session id is worth nothing with another person's token. Entries
/// older than a day are dropped (rmcp ends idle sessions long before).
#[derive(Default)]
struct SessionOwners {
    owners: std::sync::Mutex<std::collections::HashMap<String, (String, std::time::Instant)>>,
}

impl SessionOwners {
    fn owner(&self, session: &str) -> Option<String> {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.get_mut(session).map(|(sub, used)| {
            *used = std::time::Instant::now();
            sub.clone()
        })
    }

    fn bind(&self, session: &str, sub: &str) {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.insert(
            session.to_owned(),
            (sub.to_owned(), std::time::Instant::now()),
        );
    }

    fn end(&self, session: &str) {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.remove(session);
    }

    /// Sessions open in all, and those of `sub`.
    fn counts(&self, sub: &str) -> (usize, usize) {
        let owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        let theirs = owners.values().filter(|(owner, _)| owner == sub).count();
        (owners.len(), theirs)
    }

    /// Takes out the sessions unused for `idle`, for closing.
    fn idle(&self, idle: Duration) -> Vec<String> {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        let stale: Vec<String> = owners
            .iter()
            .filter(|(_, (_, used))| used.elapsed() >= idle)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &stale {
            owners.remove(id);
        }
        stale
    }
}

/// The public URL without a trailing slash.
fn public_base(options: &HttpOptions, addr: SocketAddr) -> String {
    match &options.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => {
            let scheme = if options.tls.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{addr}")
        }
    }
}

/// The `Host` values accepted: loopback names (on a loopback bind), the public URL's host, and
/// the configured extras.
fn allowed_hosts(options: &HttpOptions, public: &str) -> Vec<String> {
    let mut hosts = options.allowed_hosts.clone();
    if options.bind.is_loopback() {
        hosts.extend(["localhost", "127.0.0.1", "::1"].map(str::to_owned));
    }
    if let Ok(url) = url::Url::parse(public)
        && let Some(host) = url.host_str()
    {
        hosts.push(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        });
    }
    hosts
}

/// The `Origin` values accepted: this server's own (same-origin requests are no rebinding),
/// and the configured ones. Anything else, `null` included, is refused.
fn allowed_origins(options: &HttpOptions, public: &str, addr: SocketAddr) -> Vec<String> {
    let mut origins = options.allowed_origins.clone();
    if let Ok(url) = url::Url::parse(public) {
        let origin = url.origin().ascii_serialization();
        let port = url.port_or_known_default().unwrap_or(addr.port());
        origins.push(if url.port().is_some() {
            origin
        } else {
            format!("{origin}:{port}")
        });
    }
    if options.bind.is_loopback() {
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        for host in ["localhost", "127.0.0.1", "[::1]"] {
            origins.push(format!("{scheme}://{host}:{}", addr.port()));
        }
    }
    origins.sort();
    origins.dedup();
    origins
}

/// Checks the options before binding: no unauthenticated server off loopback, no public
/// deployment without the URL its tokens name.
pub fn check(options: &HttpOptions) -> Result<()> {
    if options.auth.is_none() && !options.bind.is_loopback() {
        bail!(
            "refusing to serve without authentication on {} (not a loopback address): drop --no-auth, or bind 127.0.0.1",
            options.bind
        );
    }
    if options.auth.is_some() && !options.bind.is_loopback() && options.public_url.is_none() {
        bail!(
            "--public-url is required when binding {} (the URL clients use, which tokens must name as their audience)",
            options.bind
        );
    }
    if options.max_in_flight == 0 {
        bail!("--max-in-flight must be at least 1");
    }
    if let Some(auth) = &options.auth
        && auth.allowed_clients.iter().all(|c| c.trim().is_empty())
    {
        bail!(
            "--allowed-clients (ASGARDEO_MCP_ALLOWED_CLIENTS) is required: the client id(s) whose tokens this server takes, such as the MCP client application `asgardeo-mcp setup-remote` made (it prints the id). Any other application of the organization could otherwise mint tokens for this server."
        );
    }
    Ok(())
}

/// A bound listener with everything resolved, ready to serve.
pub struct Bound {
    listener: tokio::net::TcpListener,
    pub addr: SocketAddr,
    pub resource: String,
    router: Router,
    mcp_stop: CancellationToken,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    drain: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: listener::ConnectionLimits,
}

/// Binds the address and builds the router.
pub async fn bind(server: AsgardeoServer, options: HttpOptions) -> Result<Bound> {
    check(&options)?;
    let tls = options.tls.as_ref().map(tls::acceptor).transpose()?;
    let listener = tokio::net::TcpListener::bind((options.bind, options.port))
        .await
        .with_context(|| format!("binding {}:{}", options.bind, options.port))?;
    let addr = listener.local_addr()?;
    let public = public_base(&options, addr);
    let resource = format!("{public}/mcp");
    let upstream = server.tools().upstream.clone();
    let validator = options.auth.as_ref().map(|auth| {
        let base = upstream.base_url().trim_end_matches('/').to_owned();
        let jwks_url = auth
            .jwks_url
            .clone()
            .or_else(|| url::Url::parse(&format!("{base}/oauth2/jwks")).ok())
            .expect("the base URL was checked as a URL");
        Validator::new(
            TokenPolicy {
                issuer: auth
                    .issuer
                    .clone()
                    .unwrap_or_else(|| format!("{base}/oauth2/token")),
                audience: auth.audience.clone().unwrap_or_else(|| resource.clone()),
                jwks_url,
                algorithms: auth.algorithms.clone(),
                leeway: auth.leeway,
            },
            upstream.clone(),
        )
    });
    let audience = validator
        .as_ref()
        .map_or_else(|| resource.clone(), |v| v.policy().audience.clone());
    let clients = options.auth.as_ref().map(|auth| {
        TrustedClients::new(
            auth.allowed_clients
                .iter()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            &audience,
            upstream.clone(),
        )
    });
    // The tools must not rewrite the registration that protects this server.
    if let Some(clients) = &clients {
        server.protect_registration(crate::server::Registration {
            audience: audience.clone(),
            clients: clients.allowed().map(str::to_owned).collect(),
        });
    }
    let mcp_stop = CancellationToken::new();
    let hosts = allowed_hosts(&options, &public);
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(allowed_origins(&options, &public, addr))
        .enforce_origin_validation()
        .with_json_response(true)
        .with_legacy_session_mode(true)
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_cancellation_token(mcp_stop.clone());
    let factory_server = server.clone();
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(options.session_idle);
    let sessions = Arc::new(sessions);
    let mcp =
        StreamableHttpService::new(move || Ok(factory_server.clone()), sessions.clone(), config);
    let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
    let shared = Shared {
        server,
        validator,
        clients,
        metadata_url: format!("{public}/.well-known/oauth-protected-resource/mcp"),
        resource: resource.clone(),
        in_flight: in_flight.clone(),
        max_in_flight: options.max_in_flight,
        owners: Arc::default(),
        people: Arc::default(),
        max_per_person: options.max_in_flight_per_person.max(1),
        body_timeout: options.body_timeout,
        max_body_bytes: options.max_body_bytes,
        max_sessions: options.max_sessions.max(1),
        max_sessions_per_person: options.max_sessions_per_person.max(1),
    };
    // Legacy sessions unused for `session_idle` are closed here, whatever rmcp's worker does,
    // so that what they hold is freed.
    {
        let (owners, sessions, idle) = (
            shared.owners.clone(),
            sessions.clone(),
            options.session_idle,
        );
        let every = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                for id in owners.idle(idle) {
                    use rmcp::transport::streamable_http_server::session::SessionManager;
                    let _ = sessions.close_session(&id.as_str().into()).await;
                }
            }
        });
    }
    // In order: the bound on calls in flight, the token, the person's share of calls and of
    // sessions, the body within its time.
    let protected = Router::new()
        .route_service("/mcp", mcp)
        .layer(middleware::from_fn_with_state(shared.clone(), body_within))
        .layer(middleware::from_fn_with_state(shared.clone(), fair_share))
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(middleware::from_fn_with_state(shared.clone(), limit));
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/.well-known/oauth-protected-resource", get(metadata))
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
        .merge(protected)
        .with_state(shared)
        .layer(middleware::from_fn(headers_by_the_book));
    Ok(Bound {
        listener,
        addr,
        resource,
        router,
        mcp_stop,
        in_flight,
        max_in_flight: options.max_in_flight,
        drain: options.drain,
        tls,
        limits: listener::ConnectionLimits {
            max_connections: options.max_connections,
            header_timeout: options.header_timeout,
        },
    })
}

impl Bound {
    /// Serves until `shutdown` completes, then drains: no new connections, calls in flight
    /// finish (up to the drain time), then the remaining streams are closed.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let stopping = CancellationToken::new();
        let drained = CancellationToken::new();
        {
            let (stopping, drained, mcp_stop) =
                (stopping.clone(), drained.clone(), self.mcp_stop.clone());
            let (in_flight, max, drain) = (self.in_flight.clone(), self.max_in_flight, self.drain);
            tokio::spawn(async move {
                shutdown.await;
                tracing::info!("shutting down: finishing calls in flight");
                stopping.cancel();
                let idle = async {
                    while in_flight.available_permits() < max {
                        tokio::time::sleep(Duration::from_millis(25)).await;
                    }
                };
                if tokio::time::timeout(drain, idle).await.is_err() {
                    tracing::warn!(
                        ?drain,
                        "calls still in flight after the drain time; closing"
                    );
                }
                mcp_stop.cancel();
                drained.cancel();
            });
        }
        listener::serve(
            self.listener,
            self.tls,
            self.router,
            self.limits,
            stopping,
            drained,
        )
        .await
    }
}

/// What the DNS-rebinding checks read must be one value: two `Host` or two `Origin` headers are
/// refused (a check that reads the first while a proxy routes by the last is no check), and an
/// absolute-form request target names the host the request is for (RFC 9112 §3.2.2: it
/// replaces `Host`), so it must agree with `Host`, or becomes `Host` where there is none (HTTP/2's
/// `:authority`), and then meets the same allow-list.
async fn headers_by_the_book(mut request: Request, next: Next) -> Response {
    use axum::http::header::{HOST, ORIGIN};
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "error_description": why })),
        )
            .into_response()
    };
    for (name, words) in [
        (HOST, "more than one Host header"),
        (ORIGIN, "more than one Origin header"),
    ] {
        if request.headers().get_all(&name).iter().nth(1).is_some() {
            return refuse(words);
        }
    }
    if let Some(authority) = request.uri().authority().map(|a| a.as_str().to_owned()) {
        match request.headers().get(HOST).and_then(|h| h.to_str().ok()) {
            Some(host) if !host.eq_ignore_ascii_case(&authority) => {
                return refuse("the request target names another host than the Host header");
            }
            Some(_) => {}
            None => match axum::http::HeaderValue::from_str(&authority) {
                Ok(value) => {
                    request.headers_mut().insert(HOST, value);
                }
                Err(_) => return refuse("the request target's host is not a valid Host"),
            },
        }
    }
    next.run(request).await
}

/// Bounds the calls in flight: beyond the bound, 503 with `Retry-After` at once rather than an
/// unbounded queue. The permit lives as long as the response body (an SSE stream included).
async fn limit(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Ok(permit) = shared.in_flight.clone().try_acquire_owned() else {
        let mut response = json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            &format!(
                "{} calls are in flight, the most this server takes; retry in a second",
                shared.max_in_flight
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _held = &permit;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// One person's share: at most `max_per_person` calls in flight, and `max_sessions_per_person`
/// legacy sessions (of `max_sessions` in all), so that no one person can take every slot.
async fn fair_share(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let Some(sub) = request
        .extensions()
        .get::<crate::server::RemoteUser>()
        .map(|u| u.sub.clone())
    else {
        return next.run(request).await;
    };
    let opening =
        request.method() == Method::POST && !request.headers().contains_key("mcp-session-id");
    if opening {
        let (all, theirs) = shared.owners.counts(&sub);
        if theirs >= shared.max_sessions_per_person && is_legacy_initialize(&request) {
            return too_many(&format!(
                "you have {theirs} sessions open, the most one person may; close one (DELETE with its Mcp-Session-Id) or let it expire"
            ));
        }
        if all >= shared.max_sessions && is_legacy_initialize(&request) {
            return too_many(
                "the server has as many sessions open as it takes; retry later, or use protocol 2026-07-28, which needs none",
            );
        }
    }
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    {
        let mut people = shared.people.lock().unwrap_or_else(|p| p.into_inner());
        let count = people.entry(sub.clone()).or_insert(0);
        if *count >= shared.max_per_person {
            drop(people);
            return too_many(&format!(
                "you have {} calls in flight, the most one person may; retry when one ends",
                shared.max_per_person
            ));
        }
        *count += 1;
    }
    let held = PersonSlot {
        people: shared.people.clone(),
        sub,
    };
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _held = &held;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// A person's place among the calls in flight, given back when the answer is done.
struct PersonSlot {
    people: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    sub: String,
}

impl Drop for PersonSlot {
    fn drop(&mut self) {
        let mut people = self.people.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = people.get_mut(&self.sub) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                people.remove(&self.sub);
            }
        }
    }
}

/// Whether the request is a legacy-protocol `initialize`, which opens a session.
fn is_legacy_initialize(request: &Request) -> bool {
    let modern = request
        .headers()
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v >= "2026-07-28");
    !modern
}

fn too_many(why: &str) -> Response {
    let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", why);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The request's body, read whole within `body_timeout` (and at most `max_body_bytes`):
/// a client that sends it slowly holds its slot no longer than that.
async fn body_within(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(
        shared.body_timeout,
        axum::body::to_bytes(body, shared.max_body_bytes),
    )
    .await;
    match read {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(_)) => json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            &format!("the body is larger than {} bytes", shared.max_body_bytes),
        ),
        Err(_) => json_error(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            &format!(
                "the body did not arrive within {} seconds",
                shared.body_timeout.as_secs()
            ),
        ),
    }
}

/// The bearer token, checked; the person goes into the request's extensions, where the server
/// finds it.
async fn authenticate(State(shared): State<Shared>, mut request: Request, next: Next) -> Response {
    let Some(validator) = &shared.validator else {
        return next.run(request).await;
    };
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = bearer else {
        return challenge(&shared, None);
    };
    let checked = match validator.validate(&token).await {
        Ok(user) => match &shared.clients {
            Some(clients) => match clients.admit(user.client_id.as_deref()).await {
                Ok(()) => Ok(user),
                Err(refusal) if refusal.is_unavailable() => {
                    tracing::warn!(error = %refusal, "cannot check the token's client");
                    let mut response = json_error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "temporarily_unavailable",
                        &refusal.to_string(),
                    );
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                    return response;
                }
                Err(refusal) => {
                    tracing::info!(reason = %refusal, sub = %user.sub, "refused a token's client");
                    return challenge_with(&shared, Some(&refusal.to_string()));
                }
            },
            None => Ok(user),
        },
        Err(rejection) => Err(rejection),
    };
    match checked {
        Ok(user) => {
            if !user.scopes.iter().any(|s| s.starts_with("mcp:")) {
                tracing::info!(sub = %user.sub, "refused: the token grants no mcp: scope");
                return insufficient_scope(&shared);
            }
            let session = request
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(id) = &session
                && shared
                    .owners
                    .owner(id)
                    .is_some_and(|owner| owner != user.sub)
            {
                tracing::info!(sub = %user.sub, "refused: a session someone else opened");
                return json_error(
                    StatusCode::NOT_FOUND,
                    "session_not_found",
                    "no such session for this sign-in; initialize a new one",
                );
            }
            let sub = user.sub.clone();
            let ending = request.method() == Method::DELETE;
            request.extensions_mut().insert(user);
            let response = next.run(request).await;
            match (&session, response.headers().get("mcp-session-id")) {
                (Some(id), _) if ending => shared.owners.end(id),
                (None, Some(opened)) => {
                    if let Ok(opened) = opened.to_str() {
                        shared.owners.bind(opened, &sub);
                    }
                }
                _ => {}
            }
            response
        }
        Err(rejection) if rejection.is_unavailable() => {
            tracing::warn!(error = %rejection, "cannot check tokens");
            let mut response = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                &rejection.to_string(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
        Err(rejection) => {
            tracing::info!(reason = %rejection, "refused a bearer token");
            challenge(&shared, Some(&rejection))
        }
    }
}

fn quoted(text: &str) -> String {
    text.replace(['"', '\\'], "'")
}

/// 401 with the challenge that leads a client to the metadata (RFC 9728 §5.1).
fn challenge(shared: &Shared, rejection: Option<&Rejection>) -> Response {
    challenge_with(shared, rejection.map(ToString::to_string).as_deref())
}

/// The 401: with `error="invalid_token"` and the reason when a token was refused.
fn challenge_with(shared: &Shared, rejection: Option<&str>) -> Response {
    let base = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{}\"",
        shared.metadata_url,
        remote_scopes().join(" ")
    );
    let (value, description) = match rejection {
        Some(r) => (
            format!(
                "{base}, error=\"invalid_token\", error_description=\"{}\"",
                quoted(r)
            ),
            r.to_owned(),
        ),
        None => (
            base.clone(),
            "this server needs a bearer token from the organization; sign in".to_owned(),
        ),
    };
    let mut response = json_error(
        StatusCode::UNAUTHORIZED,
        if rejection.is_some() {
            "invalid_token"
        } else {
            "unauthorized"
        },
        &description,
    );
    // A reason quoting the token's own claims may hold bytes a header cannot carry: then the
    // challenge goes without it (the body still has it).
    let value = HeaderValue::from_str(&value).or_else(|_| HeaderValue::from_str(&base));
    if let Ok(value) = value {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// 403 for a token that grants nothing here (RFC 6750 §3.1).
fn insufficient_scope(shared: &Shared) -> Response {
    let description = "your sign-in grants no scope of this server; ask an administrator for a role that grants mcp:<toolset>:read or :write";
    let value = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=\"{}\", error_description=\"{description}\"",
        remote_scopes().join(" "),
        shared.metadata_url
    );
    let mut response = json_error(StatusCode::FORBIDDEN, "insufficient_scope", description);
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": error, "error_description": description }).to_string(),
    )
        .into_response()
}

/// The Protected Resource Metadata (RFC 9728 §2).
async fn metadata(State(shared): State<Shared>) -> Response {
    let authorization_servers: Vec<String> = shared
        .validator
        .iter()
        .map(|v| v.policy().issuer.clone())
        .collect();
    let body = json!({
        "resource": shared.resource,
        "authorization_servers": authorization_servers,
        "scopes_supported": remote_scopes(),
        "bearer_methods_supported": ["header"],
        "resource_name": "asgardeo-mcp",
        "resource_documentation": "https://github.com/asgardeo/asgardeo-mcp-server",
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Ready once the server's own token works and (with authentication) the organization's keys
/// have been fetched.
async fn ready(State(shared): State<Shared>) -> Response {
    let upstream = &shared.server.tools().upstream;
    let limit = upstream.settings().request_timeout;
    let token = tokio::time::timeout(limit, upstream.token()).await;
    let mut problems = Vec::new();
    match token {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => problems.push(format!("upstream token: {e}")),
        Err(_) => problems.push("upstream token: the token endpoint did not answer".to_owned()),
    }
    if let Some(validator) = &shared.validator
        && let Err(e) = validator.ensure_keys().await
    {
        problems.push(e.to_string());
    }
    if problems.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ready" }))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "problems": problems })),
        )
            .into_response()
    }
}

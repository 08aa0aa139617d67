//! The sandbox: an in-memory, stateful simulator of the WSO2 management APIs the tools use,
//! under a base URL shaped like the real one (`http://127.0.0.1:PORT/t/<org>`). It is the
//! server's embedded default and the backend of the integration tests.

mod api_resources;
mod applications;
mod auth;
mod directory;
mod error;
mod faults;
mod filter;
mod login_flow;
mod roles;
mod seed;
mod store;
mod token;
mod users;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::de::DeserializeOwned;

pub use error::ApiError;
pub use faults::FaultPlan;
pub use seed::{
    GOOGLE_IDP, LOCAL_AUTHENTICATORS, LOCAL_DIALECT, OIDC_DIALECT, SANDBOX_CLIENT_NAME,
};

/// How to build the sandbox's organization.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub org: String,
    pub seed: u64,
    /// Extra applications to seed, for paging and benchmark work.
    pub seed_apps: usize,
    pub token_lifetime: Duration,
    /// How long a login-flow generation takes to complete.
    pub login_flow_duration: Duration,
    /// How long after every stage reports done the result stays `IN_PROGRESS` (real servers
    /// can lag here; a poller must keep waiting, not spin).
    pub login_flow_result_delay: Duration,
    pub faults: FaultPlan,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            org: "sandbox".into(),
            seed: 7,
            seed_apps: 0,
            token_lifetime: Duration::from_secs(3600),
            login_flow_duration: Duration::from_millis(1500),
            login_flow_result_delay: Duration::ZERO,
            faults: FaultPlan::default(),
        }
    }
}

/// The seeded M2M client's credentials: what the server (or a test) authenticates with.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

pub(crate) struct Shared {
    store: Mutex<store::Store>,
    faults: faults::Faults,
    base_url: String,
    stats: Stats,
}

/// Request counters, for tests and benchmarks (`GET /sandbox/stats`).
#[derive(Default)]
struct Stats {
    token_requests: std::sync::atomic::AtomicU64,
    api_requests: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, store::Store> {
        // A handler that panicked cannot have left the store half-written: each takes the
        // lock only to read or to apply an already-validated change.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `http://127.0.0.1:PORT/t/<org>`.
    fn tenant_url(&self) -> &str {
        &self.base_url
    }
}

type AppState = Arc<Shared>;

/// A sandbox serving on a listener; dropped handles keep it running until `shutdown` resolves.
pub struct Sandbox {
    pub base_url: String,
    pub credentials: Credentials,
    pub addr: SocketAddr,
}

impl Sandbox {
    /// Binds `127.0.0.1:port` (0 for any free port) and serves in the background until the
    /// process ends.
    pub async fn start(config: SandboxConfig, port: u16) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let (sandbox, serve) = Self::serve(listener, config, std::future::pending())?;
        tokio::spawn(serve);
        Ok(sandbox)
    }

    /// The sandbox on `listener`, and the future that serves it until `shutdown` resolves.
    pub fn serve(
        listener: tokio::net::TcpListener,
        config: SandboxConfig,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<(Self, impl Future<Output = std::io::Result<()>>)> {
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}/t/{}", config.org);
        let mut store = store::Store::empty(&config.org, config.seed);
        store.token_lifetime = config.token_lifetime;
        store.login_flow_duration = config.login_flow_duration;
        store.login_flow_result_delay = config.login_flow_result_delay;
        let client = seed::organization(&mut store, config.seed_apps);
        let credentials = Credentials {
            client_id: client.client_id,
            client_secret: client.client_secret,
            scopes: client.allowed_scopes.into_iter().collect(),
        };
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults: faults::Faults::new(config.faults, config.seed),
            base_url: base_url.clone(),
            stats: Stats::default(),
        });
        let app = router(shared);
        let serve = async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        };
        Ok((
            Self {
                base_url,
                credentials,
                addr,
            },
            serve,
        ))
    }
}

/// Serves the sandbox on `listener` until `shutdown` resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: SandboxConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (_, serve) = Sandbox::serve(listener, config, shutdown)?;
    serve.await
}

fn router(shared: AppState) -> Router {
    let server_v1 = Router::new()
        .merge(applications::routes())
        .merge(login_flow::routes())
        .merge(api_resources::routes())
        .merge(directory::routes());
    let scim2 = Router::new().merge(users::routes()).merge(roles::routes());
    let apis = Router::new()
        .nest("/api/server/v1", server_v1)
        .nest("/scim2", scim2)
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            auth::require_scopes,
        ));
    let tenant = Router::new()
        .merge(apis)
        .route("/oauth2/token", post(token::issue))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            faults::inject,
        ));
    let org = shared.store().org.clone();
    Router::new()
        .nest(&format!("/t/{org}"), tenant)
        .route(
            "/sandbox/faults",
            post(faults::configure).delete(faults::clear),
        )
        .route("/sandbox/clients", post(token::add_client))
        .route("/sandbox/tokens/expire", post(token::expire_all))
        .route("/sandbox/users/{id}", get(users::credential_state))
        .route("/sandbox/health", get(|| async { "ok" }))
        .route("/sandbox/stats", get(stats))
        .fallback(|| async {
            ApiError::not_found("SANDBOX-NOROUTE", "the sandbox serves no such path")
        })
        .with_state(shared)
}

async fn stats(
    axum::extract::State(shared): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    use std::sync::atomic::Ordering::Relaxed;
    axum::Json(serde_json::json!({
        "token_requests": shared.stats.token_requests.load(Relaxed),
        "api_requests": shared.stats.api_requests.load(Relaxed),
    }))
}

/// Parses a request body with a generated model; a body that does not fit is a 400, never a panic.
fn parse_body<T: DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "SANDBOX-BODY",
            format!("the {what} body does not fit the schema: {e}"),
        )
    })
}

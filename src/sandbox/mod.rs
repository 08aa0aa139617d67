//! The sandbox: an in-memory, stateful simulator of the WSO2 management APIs the tools use,
//! under a base URL shaped like the real one (`http://127.0.0.1:PORT/t/<org>`). It is the
//! server's embedded default and the backend of the integration tests.
//!
//! It answers what WSO2's OpenAPI documents describe, except where real servers do otherwise;
//! there it follows the servers. How the server code answers each operation the tools send
//! (success statuses, body, `Location`, the fields it checks, its errors, versions, and the
//! source file and line at a pinned commit) is in `openapi/server-code.toml`, which the
//! derivation and the tests read. Each difference the tools or the sandbox act on, with where it
//! comes from (the server code at the commits that file names, or a response captured from a
//! real organization), and what the tools do about it:
//!
//! | the document says | real servers do | source | the tools |
//! |---|---|---|---|
//! | `GET /applications` items carry `clientId` | only when `attributes=clientId` is asked for (or the filter names `clientId`); unknown attributes are a 400 | `ServerApplicationManagementService.getAllApplications`, `getApplicationListItems` | `list_applications` and lookups ask for it |
//! | `inboundProtocols[].name` is required | absent: filled from a friendly name that is never set | `InboundAuthConfigToApiModel` ("TODO: add the friendly name") | responses are read leniently |
//! | SCIM `emails` are objects | a created user's untyped email comes back as a plain string | captured Asgardeo response | `emails` accepts any JSON |
//! | the token binding is `accessToken.bindingType` | older servers answer a top-level `accessTokenBindingType` (`legacy_token_binding`) | captured response; the name of the OAuth admin form field | read from either place, written back to the documented one |
//! | `filter` is a string | parsed by `FilterTreeBuilder`: unquoted `&`, `'`... dropped, `and`/`or` split values, only lower-case keywords, first operator wins | carbon-identity-framework `FilterTreeBuilder` | one builder quotes every value, falls back to a fragment search, and compares names exactly |
//! | `PATCH /applications/{id}` patches | merges field by field: `claimConfiguration` keeps `role`/`subject` unless sent; a USER_DEFINED sequence needs steps numbered 1..n and keeps the current script when the new one is blank; DEFAULT drops it | `UpdateServiceProvider`, `UpdateClaimConfiguration`, `UpdateAuthenticationSequence` | updates send only what changes |
//! | `limit` is what you ask | capped at the server's maximum page size (100) without a word | `validateAndGetLimit`, `IdentityUtil.getMaximumItemPerPage` | paging follows the count returned |
//! | `POST /api-resources` answers 200 | 201 with the resource and `Location` | `ApiResourcesApiServiceImpl:70` | every operation's success statuses come from `server-code.toml`; an unexpected 2xx on a write is the write done |
//! | `POST /applications/{id}/authorized-apis` answers 201 | 200 without a body, in every version; a second time 409 APP-60509; `policyIdentifier` RBAC or NO POLICY (any case, kept upper case), RBAC only for an API requiring authorization | `ApplicationsApiServiceImpl:141`, SAMS 1569-1624, 1812-1824 | `authorize_api` reports the authorization done on 200, and a 409 as already authorized |
//! | (errors) SCIM errors have a string `status` | charon's do; the authentication valve answers 401/403 before any endpoint with an integer `status` under `/scim2` and an integer `code` elsewhere, in words that name no scope; a one-argument `BadRequestException` puts the message in `scimType` and a generic `detail` | charon `JSONEncoder:105-111`, `BadRequestException:30-36`; identity-carbon-auth-rest `APIErrorResponseHandler:132-155` | errors are not decoded by the generated clients: the seam reads any shape, keeps `scimType` words and `detail` both, and names the scope from the operation |
//! | the API resources list is `APIResources` | `apiResources` | `APIResourceListResponse.java:97` (`@JsonProperty`) | `[[api.wire_name]]` in `sources.toml`; a replayed body proves it |
//! | (nulls) absent fields are absent | before IS 7.1 the REST layer writes unset fields as `null` (7.1 adds `CustomJacksonJsonProvider`, NON_NULL) | product-is `web.xml` at v7.0.0 vs v7.1.0 | the seam reads a `null` member as absent |
//! | `PUT …/inbound-protocols/oidc` replaces the configuration | `clientId` must be the stored one; IS 7.0 and 7.1 refuse a `clientSecret` that is not the stored one, an absent one too; IS 7.2 keeps the stored secret when it is absent; 200 without a body, also when it creates | identity-api-server v1.2.176 `OAuthInboundFunctions:79-97`; oauth `OauthInboundAuthConfigHandler` v7.0.259:147-152, v7.0.385:150-156 (commit 1213b64b10) | the update sends back the secret exactly as it read it (absent where the read left it out), so every version takes it; `--server-version` switches the sandbox |
//! | `GET …/inbound-protocols/oidc` answers `clientSecret` | from IS 7.2 only to a token with `internal_application_mgt_client_secret_view`; regenerating always answers the new secret | `OAuthInboundFunctions.removeClientSecretIfUnauthorized` (commit 7ac0ca299c), `IMPL:370` | the token asks for the view scope for the tools that hand a secret over; where the read hides it, `create_webapp_with_ssr`/`create_m2m_app` issue the first secret and say so |
//! | `POST /scim2/v2/Roles` with an application audience | refused unless the application's `associatedRoles.allowedAudience` is APPLICATION and each permission is a scope the application is authorized for; an application role is associated with it at once; the answer has no permissions or users; a PATCH answer has no users | carbon-identity-framework `DefaultRoleManagementListener.preAddRole`, `RoleDAOImpl.addRoleInfo`; charon `RoleResourceV2Manager:1072`; `SCIMRoleManagerV2.patchRole` | `create_role` checks both first and says what to do; `switch_application_audience` switches the application (a PATCH without roles, which IS 7.1+ requires of an ORGANIZATION application: 403 APP-60008 otherwise) |
//! | `POST /scim2/Users` takes `DOMAIN/name` | the domain must be a user store the server has: Asgardeo's customers are in `DEFAULT`, a stock IS has `PRIMARY` only (a name without a prefix); otherwise 400 with `scimType` "Invalid user store name."; a duplicate is 409 without `scimType` | `SCIMUserManager.createUser` 309-328, `isSCIMEnabled` 4456-4461, 374-378 | `create_user` picks the store from the product mode and explains an unknown one |
//! | SCIM Groups PATCH answers 200 with the group | 204 without a body when `SCIM2.ReturnUpdatedGroupInPatchResponse` is false; an added member needs `value` and `display` (its username, checked) | `GroupResource:490-517`, `GroupResourceManager:940-946, 1000` | `add_group_members` sends each user's name (one read each) and reads the group back when the answer has none |
//! | a user's `groups` have `value` | an entry can be `{display}` alone (a group without a SCIM id) | charon `User.setGroup:797-850` | `get_user` keeps such a group by name |
//! | `GET /identity-providers/{id}/connected-apps` lists the applications | paged: 15 by default, at most 100 | SIMS 1283-1300, 1766-1793 | `get_connection` and `delete_connection` read every page |
//! | deletes of what is not there are 404 | `DELETE /applications/{id}`, `/api-resources/{id}`, `…/scopes/{name}`, `/identity-providers/{id}`, `…/authorized-apis/{apiId}` answer 204; a scope is deleted by name across the organization | SAMS 1084-1122, SARMS 281-297, 350-367, `deleteIdPByResourceId`, SAMS 1632-1655 | destructive tools read the resource first, so they say what is gone |
//! | changing an application's API authorization needs `internal_application_mgt_update` | from IS 7.2 also the scope for the API's type (`internal_application_business_api_update` for business and MCP APIs, `…_internal_api_update` for system ones): 403 APP-60520 | SAMS 1841-1855 | the token asks for both for the authorization tools |
//! | (login flow) generation exists | not in IS 7.0 (404) | identity-api-server v1.2.176 | `update_login_flow` says so and points to `set_login_flow` |
//! | the OIDC configuration is updated with PUT | there is no partial update: PUT replaces it whole | `ServerApplicationManagementService.putInbound` | read-modify-write under a per-application lock, then verified |
//! | PATCH `/applications/{id}` needs `internal_application_mgt_update` | one that carries `authenticationSequence.script` (even blank), or reverts a scripted flow to DEFAULT, also needs `internal_application_script_update`; a 403 otherwise | `ServerApplicationManagementService.patchApplication` (`isScriptUpdating`, `validateAuthenticationScriptUpdatePermission`) | the token is asked for the script scope; a plain flow sends no script unless it must replace one; a blank generated script is not sent |
//! | PATCH `/api-resources/{id}` takes `removedScopes` | any `removedScopes`, even `[]`, is refused: 501 API-RESOURCE-60006; an added scope taken anywhere in the organization is 409 | SARMS 237-274 | scopes are removed one `DELETE …/scopes/{name}` at a time |
//! | the API resources `filter` is a filter | flattened: every condition ANDed, `or` and `not` dropped, an unknown operator ignored; only `name`, `identifier`, `type` | carbon-identity-framework `FilterQueriesUtil.setExpressionNodeList`, SARMS 119-203 | `list_api_resources` refuses `or`, `not` and other attributes, saying why; the sandbox reads filters the same way |
//! | SCIM2 Groups need `internal_role_mgt_*` | `/scim2/Groups` is guarded by `internal_group_mgt_{view,create,update,delete}` (no list scope) | carbon-identity-framework `system-api-resource.xml.j2`, "SCIM2 Groups API" | manifest scope overrides |
//! | `GET /identity-providers` items carry `federatedAuthenticators` | only with `requiredAttributes=federatedAuthenticators` | `ServerIdpManagementService.getIDPs` (requested attributes) | lists ask for them; an authenticator's name is read from its id (base64url of the name) when absent |
//! | SCIM2 Groups PATCH operations are `op` and `value` | a removal needs `path` (`members[value eq "…"]`, RFC 7644 §3.5.2.2); Users PATCH `value` is any attribute | RFC 7644; the documents' item schemas | the xtask adds `path` and opens `value`; the tools write value paths with the one quoting builder |
//! | (OAuth, not in the management documents) the redirect URL must equal the registered callback | `regexp=` callbacks are a full match; for a loopback address (`127.0.0.1`, `[::1]`) the port is ignored on both sides | identity-inbound-auth-oauth `AbstractResponseTypeRequestValidator.validateCallbackURI`, `OAuthConstants.LOOPBACK_IP_PORT_REGEX` | the sandbox's provider matches the same way; guides use the registered redirect URL on the app's origin |
//! | (CORS) an application's `allowedOrigins` | origins are kept per tenant: an origin any application of the organization lists is allowed for every endpoint; others get 403 | carbon-identity-framework CORS valve (`getServerCORSOrigins` + `CORSManagementService.getTenantCORSOrigins`) | guides still check the application's own list, which is what keeps working when that other application goes |
//! | (OAuth, RFC 8707) a token's `aud` names the resource the client asked for with `resource` | `aud` is the client id followed by the application's configured audiences (`idToken.audience`), for ID tokens and JWT access tokens alike; `resource` is ignored | identity-inbound-auth-oauth `OAuth2Util.getOIDCAudience`, `JWTTokenIssuer` (no `resource` handling) | `setup-remote` adds the MCP server's URL to its client application's audiences; `serve --http` checks `aud` contains it; the sandbox issues the same `aud` |

mod api_resources;
mod applications;
mod auth;
mod authorized_apis;
mod directory;
mod error;
mod faults;
mod filter;
mod groups;
mod identity_providers;
mod inbound_oidc;
mod login_flow;
mod observe;
mod provider;
mod roles;
mod seed;
mod store;
mod token;
mod users;

/// The provider's signing key, for tests that mint tokens the way the organization does.
pub use provider::keys::{SigningKey, signing_key};

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
pub use seed::{LOCAL_AUTHENTICATORS, LOCAL_DIALECT, OIDC_DIALECT, SANDBOX_CLIENT_NAME};
pub use users::{SEEDED_PASSWORD, SEEDED_USER};

/// Which server the sandbox answers as, where versions differ (each difference is a row of
/// `openapi/server-code.toml`, and of the table above where the tools act on it). Ordered by
/// age: Asgardeo runs the newest code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerVersion {
    /// WSO2 Identity Server 7.0.
    Is7_0,
    /// WSO2 Identity Server 7.1.
    Is7_1,
    /// WSO2 Identity Server 7.2 and later.
    Is7_2,
    /// Asgardeo: the newest code, and customers in the `DEFAULT` user store.
    #[default]
    Asgardeo,
}

impl ServerVersion {
    pub const ALL: [ServerVersion; 4] = [
        ServerVersion::Is7_0,
        ServerVersion::Is7_1,
        ServerVersion::Is7_2,
        ServerVersion::Asgardeo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServerVersion::Is7_0 => "7.0",
            ServerVersion::Is7_1 => "7.1",
            ServerVersion::Is7_2 => "7.2",
            ServerVersion::Asgardeo => "asgardeo",
        }
    }

    /// Whether this server runs the code of `version` or newer.
    pub fn at_least(self, version: ServerVersion) -> bool {
        self >= version
    }

    /// The product a client should be configured for against this server.
    pub fn product(self) -> crate::wso2::Product {
        match self {
            ServerVersion::Asgardeo => crate::wso2::Product::Asgardeo,
            _ => crate::wso2::Product::Wso2Is,
        }
    }
}

impl std::fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ServerVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ServerVersion::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown server version `{text}`: one of {}",
                    ServerVersion::ALL.map(ServerVersion::as_str).join(", ")
                )
            })
    }
}

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
    /// Answer the OIDC token binding as a top-level `accessTokenBindingType`, as older servers
    /// do, instead of in `accessToken.bindingType`.
    pub legacy_token_binding: bool,
    /// Whether the organization subscribes to the AI login-flow feature; without it, login
    /// flow generation is refused with 403, as for an organization without the subscription.
    pub ai_login_flow: bool,
    /// Which server's code the sandbox follows where versions differ.
    pub server_version: ServerVersion,
    /// `SCIM2.ReturnUpdatedGroupInPatchResponse` (deployment.toml `[scim2]
    /// return_updated_group_in_group_patch_response`, default true): a group PATCH answers 200
    /// with the group; false, 204 without a body.
    pub group_patch_returns_group: bool,
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
            legacy_token_binding: false,
            ai_login_flow: true,
            server_version: ServerVersion::default(),
            group_patch_returns_group: true,
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
    stats: observe::Stats,
    /// Answer the token binding where older servers put it (see the table above).
    legacy_token_binding: bool,
    version: ServerVersion,
    group_patch_returns_group: bool,
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
        store.user_stores = match config.server_version {
            ServerVersion::Asgardeo => vec!["DEFAULT".into()],
            _ => Vec::new(),
        };
        store.token_lifetime = config.token_lifetime;
        store.login_flow_duration = config.login_flow_duration;
        store.login_flow_result_delay = config.login_flow_result_delay;
        store.ai_login_flow = config.ai_login_flow;
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
            stats: observe::Stats::default(),
            legacy_token_binding: config.legacy_token_binding,
            version: config.server_version,
            group_patch_returns_group: config.group_patch_returns_group,
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
        .merge(identity_providers::routes())
        .merge(directory::routes());
    let scim2 = Router::new()
        .merge(users::routes())
        .merge(roles::routes())
        .merge(groups::routes());
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
        .route(
            "/oauth2/token/.well-known/openid-configuration",
            get(token::discovery),
        )
        .merge(provider::routes())
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            observe::record,
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
        .route("/sandbox/connections/{id}", get(observe::connection))
        .route("/sandbox/health", get(|| async { "ok" }))
        .route("/sandbox/stats", get(observe::stats))
        .route(
            "/sandbox/requests",
            get(observe::requests).delete(observe::clear_requests),
        )
        .fallback(|| async {
            ApiError::not_found("SANDBOX-NOROUTE", "the sandbox serves no such path")
        })
        // Outermost, so that even a 404 reaches a browser app as a 404, not a CORS failure.
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            provider::cors::cors,
        ))
        .with_state(shared)
}

/// `201 Created` with the new resource's `Location` and body.
fn created(location: String, body: impl serde::Serialize) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response()
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

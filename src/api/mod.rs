//! The management APIs: the typed clients progenitor generates from `openapi/` (one sealed
//! module per WSO2 API, never edited or copied), and the one seam every request passes
//! through (`Upstream`: base URL, bearer token, retries, timeouts, TLS, the call's journal).

/// Calls `$then!` with the name of every generated API: the one list of them, used for the
/// generated modules here and for their clients at the seam.
macro_rules! for_each_api {
    ($then:ident) => {
        $then!(
            applications,
            api_resources,
            claims,
            identity_providers,
            authenticators,
            oidc_scopes,
            users,
            roles,
            groups
        );
    };
}

mod call;
mod failure;
mod local_failure;
mod redact;
mod settings;
mod token;
mod upstream;

pub use call::{
    CallMode, CallScope, ConfirmedState, IntendedChange, PlannedRequest, StateChanged,
    WriteOutcome, WriteRecord, state_digest,
};
pub use failure::{ApiFailure, FailureKind};
pub use redact::{REDACTED, redact_secrets};
pub use settings::UpstreamSettings;
pub use token::{GrantedToken, TokenError};
pub use upstream::{SetupError, Upstream};

/// The scope a PATCH of an application that carries an adaptive script needs besides
/// `internal_application_mgt_update`, which no operation documents
/// (`ServerApplicationManagementService.isScriptUpdating` in identity-api-server; granted by
/// the Application Management API in carbon-identity-framework's system-api-resource.xml.j2).
pub const APPLICATION_SCRIPT_SCOPE: &str = "internal_application_script_update";

/// The scope that lets `GET …/inbound-protocols/oidc` answer the client secret: from IS 7.2 the
/// secret is left out without it (`OAuthInboundFunctions.removeClientSecretIfUnauthorized`;
/// operation `viewApplicationClientSecret` in resource-access-control-v2.xml).
pub const CLIENT_SECRET_VIEW_SCOPE: &str = "internal_application_mgt_client_secret_view";

/// From IS 7.2 authorizing an application for an API, changing or revoking that, also needs
/// the scope for the API's type: business (and MCP) APIs this one, system APIs
/// [`INTERNAL_API_AUTHORIZATION_SCOPE`] (`SAMS.validateUserCanUpdateAPIResourceType`, operations
/// `updateBusinessAuthorizedAPI`/`updateInternalAuthorizedAPI`).
pub const BUSINESS_API_AUTHORIZATION_SCOPE: &str = "internal_application_business_api_update";
pub const INTERNAL_API_AUTHORIZATION_SCOPE: &str = "internal_application_internal_api_update";

/// Scopes the APIs grant beyond those their operations document.
pub const UNDOCUMENTED_SCOPES: [&str; 4] = [
    APPLICATION_SCRIPT_SCOPE,
    CLIENT_SECRET_VIEW_SCOPE,
    BUSINESS_API_AUTHORIZATION_SCOPE,
    INTERNAL_API_AUTHORIZATION_SCOPE,
];

/// One generated API: its name, where it lives under the tenant URL, and its operations as
/// (operationId, HTTP method, path, scopes).
#[derive(Debug, Clone, Copy)]
pub struct ApiSpec {
    pub name: &'static str,
    pub base_path: &'static str,
    pub operations: &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )],
}

macro_rules! generated_api {
    ($($name:ident),* $(,)?) => {
        $(
            #[allow(clippy::all, clippy::pedantic, dead_code, unused_imports, unused_mut, irrefutable_let_patterns, mismatched_lifetime_syntaxes)]
            pub mod $name {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($name), ".rs"));
            }
        )*

        /// Every generated API, for code that walks them all (scopes, the sandbox's routes).
        pub const ALL: &[ApiSpec] = &[$(ApiSpec { name: stringify!($name), base_path: $name::BASE_PATH, operations: $name::OPERATIONS }),*];
    };
}

for_each_api!(generated_api);

/// Every (API, operation, method, scopes) the generated clients can call.
pub fn all_operations() -> impl Iterator<
    Item = (
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    ),
> {
    ALL.iter().flat_map(|spec| {
        spec.operations
            .iter()
            .map(move |(id, method, _, scopes)| (spec.name, *id, *method, *scopes))
    })
}

/// The scopes of one operation, by operationId.
pub fn operation_scopes(operation: &str) -> &'static [&'static str] {
    all_operations()
        .find(|(_, id, _, _)| *id == operation)
        .map_or(&[], |(_, _, _, scopes)| scopes)
}

/// The union of the scopes of `operations`, sorted and without repeats.
pub fn scopes_of<'a>(operations: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = operations
        .into_iter()
        .flat_map(|op| operation_scopes(op).iter().copied())
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

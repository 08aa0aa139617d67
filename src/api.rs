//! The typed clients progenitor generates from `openapi/`, one sealed module per WSO2 API.
//! Generated code is never edited or copied; it is customised only at the seam in `upstream`.

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

generated_api!(
    applications,
    api_resources,
    claims,
    identity_providers,
    authenticators,
    oidc_scopes,
    users,
    roles
);

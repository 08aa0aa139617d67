//! The typed clients progenitor generates from `openapi/`, one sealed module per WSO2 API.
//! Generated code is never edited or copied; it is customised only at the seam in `upstream`.

macro_rules! generated_api {
    ($($name:ident),* $(,)?) => {$(
        #[allow(clippy::all, clippy::pedantic, dead_code, unused_imports, unused_mut, irrefutable_let_patterns, mismatched_lifetime_syntaxes)]
        pub mod $name {
            include!(concat!(env!("OUT_DIR"), "/", stringify!($name), ".rs"));
        }
    )*};
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

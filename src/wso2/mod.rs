//! Facts about WSO2 that the tools and the sandbox share: identifiers, the filter grammar,
//! the OIDC configuration each application type gets, the URL policy, claim names.

pub mod authenticators;
pub mod claims;
pub mod filter;
pub mod login_templates;
pub mod oidc;
pub mod scim;
pub mod urls;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use crate::api::APPLICATION_SCRIPT_SCOPE;

/// The local claim dialect.
pub const LOCAL_DIALECT: &str = "http://wso2.org/claims";
/// The OIDC claim dialect, which maps OIDC claim names to local claims.
pub const OIDC_DIALECT: &str = "http://wso2.org/oidc/claim";

/// WSO2 identifies claim dialects, claims and authenticators in URLs by the unpadded
/// base64url encoding of their URI or name.
pub fn dialect_id(uri: &str) -> String {
    URL_SAFE_NO_PAD.encode(uri)
}

#[cfg(test)]
mod tests {
    #[test]
    fn oidc_dialect_id_is_the_one_wso2_uses() {
        assert_eq!(
            super::dialect_id(super::OIDC_DIALECT),
            "aHR0cDovL3dzbzIub3JnL29pZGMvY2xhaW0"
        );
    }
}

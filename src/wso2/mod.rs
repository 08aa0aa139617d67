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

/// Which product the server talks to: words in descriptions and messages, and the few defaults
/// that differ (the user store new users go to).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Product {
    #[default]
    Asgardeo,
    Wso2Is,
}

impl Product {
    pub fn display_name(self) -> &'static str {
        match self {
            Product::Asgardeo => "Asgardeo",
            Product::Wso2Is => "WSO2 Identity Server",
        }
    }

    /// Where `create_user` puts a user when no store is named: Asgardeo keeps its customers in
    /// the `DEFAULT` store; a WSO2 IS has the primary store only until secondary ones are
    /// added, and a name without a prefix goes there (`SCIMUserManager.createUser`).
    pub fn default_user_store(self) -> Option<&'static str> {
        match self {
            Product::Asgardeo => Some("DEFAULT"),
            Product::Wso2Is => None,
        }
    }
}

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

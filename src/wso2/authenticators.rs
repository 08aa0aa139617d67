//! What each authenticator can do in a login flow, as the Console decides it: whether it can
//! identify a user (so it may stand in the first step) or only verify one already identified
//! (TOTP, backup codes: they need an identifying step before them). Names are WSO2's
//! authenticator names, the values a flow step's `authenticator` takes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `idp` a flow option names for an authenticator of the organization itself.
pub const LOCAL_IDP: &str = "LOCAL";

/// What an option can do in a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Identifies the user: may be the first step (password, passkey, magic link, OTP
    /// as a passwordless first factor, a federated login).
    Identifies,
    /// Only verifies a user an earlier step identified (TOTP, backup codes).
    VerifiesOnly,
}

/// (authenticator name, a friendly name, role). The local authenticators WSO2 and Asgardeo
/// ship; a custom one not listed here is treated as able to identify (the server decides).
pub const KNOWN_LOCAL: [(&str, &str, Role); 9] = [
    (
        "BasicAuthenticator",
        "Username & password",
        Role::Identifies,
    ),
    ("IdentifierExecutor", "Identifier first", Role::Identifies),
    ("FIDOAuthenticator", "Passkey", Role::Identifies),
    ("MagicLinkAuthenticator", "Magic link", Role::Identifies),
    ("email-otp-authenticator", "Email OTP", Role::Identifies),
    ("sms-otp-authenticator", "SMS OTP", Role::Identifies),
    (
        "push-notification-authenticator",
        "Push notification",
        Role::VerifiesOnly,
    ),
    ("totp", "TOTP", Role::VerifiesOnly),
    (
        "backup-code-authenticator",
        "Backup code",
        Role::VerifiesOnly,
    ),
];

/// The backup-code authenticator: it only stands beside another verifying factor.
pub const BACKUP_CODE: &str = "backup-code-authenticator";

/// The role of a local authenticator.
pub fn local_role(name: &str) -> Role {
    KNOWN_LOCAL
        .iter()
        .find(|(n, ..)| *n == name)
        .map_or(Role::Identifies, |(.., role)| *role)
}

/// A federated authenticator's name from its id: WSO2 ids are the unpadded base64url of the
/// name (`R29vZ2xlT0lEQ0F1dGhlbnRpY2F0b3I` is `GoogleOIDCAuthenticator`).
pub fn name_from_id(id: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).ok()?;
    let name = String::from_utf8(bytes).ok()?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_graphic())).then_some(name)
}

/// The social providers `create_social_connection` knows: (provider, WSO2 authenticator name,
/// the properties beyond client id and secret it needs, default scopes).
#[derive(Debug, Clone, Copy)]
pub struct SocialProvider {
    pub key: &'static str,
    pub display: &'static str,
    pub authenticator: &'static str,
    pub scopes: &'static str,
    /// Microsoft signs in through the generic OIDC authenticator with its own endpoints.
    pub endpoints: Option<(&'static str, &'static str)>,
}

pub const SOCIAL: [SocialProvider; 5] = [
    SocialProvider {
        key: "google",
        display: "Google",
        authenticator: "GoogleOIDCAuthenticator",
        scopes: "openid email profile",
        endpoints: None,
    },
    SocialProvider {
        key: "github",
        display: "GitHub",
        authenticator: "GithubAuthenticator",
        scopes: "user:email read:user",
        endpoints: None,
    },
    SocialProvider {
        key: "facebook",
        display: "Facebook",
        authenticator: "FacebookAuthenticator",
        scopes: "email public_profile",
        endpoints: None,
    },
    SocialProvider {
        key: "microsoft",
        display: "Microsoft",
        authenticator: "OpenIDConnectAuthenticator",
        scopes: "openid email profile",
        endpoints: Some((
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        )),
    },
    SocialProvider {
        key: "apple",
        display: "Apple",
        authenticator: "AppleOIDCAuthenticator",
        scopes: "name email",
        endpoints: None,
    },
];

/// The generic OIDC authenticator enterprise connections use.
pub const OIDC_AUTHENTICATOR: &str = "OpenIDConnectAuthenticator";

/// The authenticator id WSO2 gives a name.
pub fn id_of(name: &str) -> String {
    URL_SAFE_NO_PAD.encode(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip_as_wso2_encodes_them() {
        assert_eq!(
            id_of("GoogleOIDCAuthenticator"),
            "R29vZ2xlT0lEQ0F1dGhlbnRpY2F0b3I"
        );
        assert_eq!(id_of("GithubAuthenticator"), "R2l0aHViQXV0aGVudGljYXRvcg");
        assert_eq!(
            name_from_id("T3BlbklEQ29ubmVjdEF1dGhlbnRpY2F0b3I").as_deref(),
            Some("OpenIDConnectAuthenticator")
        );
        assert_eq!(name_from_id("%%%"), None);
    }

    #[test]
    fn verifying_factors_are_known_and_unknown_ones_may_identify() {
        assert_eq!(local_role("totp"), Role::VerifiesOnly);
        assert_eq!(local_role(BACKUP_CODE), Role::VerifiesOnly);
        assert_eq!(local_role("BasicAuthenticator"), Role::Identifies);
        assert_eq!(local_role("my-custom-authenticator"), Role::Identifies);
    }
}

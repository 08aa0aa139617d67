//! Inbound OIDC configuration per application type, WSO2's `regexp=(...)` form for several
//! redirect URLs, and reading an application's type back.

use schemars::JsonSchema;
use serde::Serialize;

use super::urls::origin_of;
use crate::api::applications::types;

/// The kinds of application the create tools make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    SinglePageApp,
    WebAppWithSsr,
    MobileApp,
    M2mApp,
    // Made elsewhere (the console, a template we do not know).
    Other,
}

impl AppType {
    /// The console's template id for this type, so the console shows the right guide.
    pub fn template_id(self) -> Option<&'static str> {
        match self {
            AppType::SinglePageApp => Some("6a90e4b0-fbff-42d7-bfde-1efd98f07cd7"),
            AppType::WebAppWithSsr => Some("b9c5e11e-fc78-484b-9bec-015d247561b8"),
            AppType::MobileApp => Some("mobile-application"),
            AppType::M2mApp => Some("m2m-application"),
            AppType::Other => None,
        }
    }

    /// The type an application was made as: by its template, or an M2M client by its grants.
    pub fn from_template(template_id: Option<&str>, grant_types: Option<&[String]>) -> Self {
        for kind in [
            AppType::SinglePageApp,
            AppType::WebAppWithSsr,
            AppType::MobileApp,
            AppType::M2mApp,
        ] {
            if template_id.is_some() && kind.template_id() == template_id {
                return kind;
            }
        }
        match grant_types {
            Some([only]) if only == "client_credentials" => AppType::M2mApp,
            _ => AppType::Other,
        }
    }

    /// Scopes a client of this type asks for at login.
    pub fn default_scopes(self) -> Vec<String> {
        match self {
            AppType::M2mApp => Vec::new(),
            _ => ["openid", "profile", "email"].map(String::from).to_vec(),
        }
    }

    pub fn issues_secret(self) -> bool {
        matches!(self, AppType::WebAppWithSsr | AppType::M2mApp)
    }
}

const REGEX_META: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

fn escape(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        if REGEX_META.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One URL as it is; several as `regexp=(a|b)` with each URL regex-escaped, so `.` matches
/// only a dot.
pub fn encode_redirect_urls(urls: &[String]) -> Vec<String> {
    match urls {
        [] => Vec::new(),
        [one] => vec![one.clone()],
        many => vec![format!(
            "regexp=({})",
            many.iter().map(|u| escape(u)).collect::<Vec<_>>().join("|")
        )],
    }
}

/// The URLs a stored callback entry stands for (the inverse of `encode_redirect_urls`).
pub fn decode_redirect_urls(stored: &[String]) -> Vec<String> {
    let mut urls = Vec::new();
    for entry in stored {
        let Some(body) = entry
            .strip_prefix("regexp=(")
            .and_then(|b| b.strip_suffix(')'))
        else {
            urls.push(entry.clone());
            continue;
        };
        let mut current = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                }
                '|' => urls.push(std::mem::take(&mut current)),
                other => current.push(other),
            }
        }
        urls.push(current);
    }
    urls
}

/// The full inbound OIDC configuration the console gives each application type.
pub fn configuration_for(
    kind: AppType,
    redirect_url: Option<&str>,
) -> types::OpenIdConnectConfiguration {
    let redirects: Vec<String> = redirect_url.map(|r| vec![r.to_owned()]).unwrap_or_default();
    let (grants, public, pkce, origins, token_type, binding): (
        &[&str],
        bool,
        bool,
        Vec<String>,
        &str,
        &str,
    ) = match kind {
        AppType::SinglePageApp => (
            &["authorization_code", "refresh_token"],
            true,
            true,
            redirect_url.and_then(origin_of).into_iter().collect(),
            "JWT",
            "sso-session",
        ),
        AppType::WebAppWithSsr => (
            &["authorization_code", "refresh_token"],
            false,
            false,
            redirect_url.and_then(origin_of).into_iter().collect(),
            "Default",
            "sso-session",
        ),
        AppType::MobileApp => (
            &["authorization_code", "refresh_token"],
            true,
            true,
            Vec::new(),
            "JWT",
            "sso-session",
        ),
        AppType::M2mApp | AppType::Other => (
            &["client_credentials"],
            false,
            false,
            Vec::new(),
            "JWT",
            "None",
        ),
    };
    let user_facing = kind != AppType::M2mApp;
    let builder = types::OpenIdConnectConfiguration::builder()
        .grant_types(grants.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>())
        .callback_ur_ls(redirects)
        .allowed_origins(origins)
        .public_client(public)
        .pkce(Some(types::OAuth2PkceConfiguration {
            mandatory: Some(pkce),
            support_plain_transform_algorithm: Some(false),
        }))
        .access_token(Some(types::AccessTokenConfiguration {
            type_: Some(token_type.to_owned()),
            user_access_token_expiry_in_seconds: user_facing.then_some(3600),
            application_access_token_expiry_in_seconds: Some(3600),
            binding_type: binding.to_owned(),
            revoke_tokens_when_idp_session_terminated: Some(user_facing),
            validate_token_binding: Some(false),
            ..Default::default()
        }))
        .refresh_token(user_facing.then(|| types::RefreshTokenConfiguration {
            expiry_in_seconds: Some(86400),
            renew_refresh_token: Some(true),
            ..Default::default()
        }))
        .id_token(user_facing.then(|| types::IdTokenConfiguration {
            expiry_in_seconds: Some(3600),
            ..Default::default()
        }));
    // Every field above is set with a value of its own type, so the conversion cannot fail.
    builder
        .try_into()
        .unwrap_or_else(|e| unreachable!("a complete OIDC configuration: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_redirect_urls_round_trip_through_an_escaped_regexp() {
        let urls = vec![
            "https://a.example.com/cb".to_owned(),
            "http://localhost:3000/x?y=1".to_owned(),
        ];
        let stored = encode_redirect_urls(&urls);
        assert_eq!(
            stored,
            [r"regexp=(https://a\.example\.com/cb|http://localhost:3000/x\?y=1)"]
        );
        assert_eq!(decode_redirect_urls(&stored), urls);
        assert_eq!(encode_redirect_urls(&urls[..1]), urls[..1]);
    }

    #[test]
    fn spa_is_a_public_pkce_client_with_its_origin() {
        let config = configuration_for(AppType::SinglePageApp, Some("https://spa.example.com/cb"));
        assert!(config.public_client);
        assert_eq!(config.pkce.and_then(|p| p.mandatory), Some(true));
        assert_eq!(config.allowed_origins, ["https://spa.example.com"]);
        assert_eq!(config.grant_types, ["authorization_code", "refresh_token"]);
    }
}

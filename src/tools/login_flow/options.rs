//! What a login flow step can use in this organization: its local authenticators and its
//! connections, each with the name a step takes and whether it can identify a user (first
//! step) or only verify one; and the resolution of the names a person gives to exactly one of
//! them, with close matches when none fits.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::authenticators::{KNOWN_LOCAL, LOCAL_IDP, Role, local_role};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLoginOptionsRequest {}

/// One thing a login flow step can offer.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct LoginOption {
    /// What set_login_flow takes for this option.
    pub option: String,
    /// A readable name.
    pub name: String,
    /// `local` (the organization's own authenticator) or `connection` (an identity provider).
    pub kind: String,
    /// `identifies` (may be the first step) or `verifies_only` (needs an earlier step that
    /// identified the user).
    pub role: Role,
    /// The WSO2 authenticator and identity provider a step names.
    pub authenticator: String,
    pub idp: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LoginOptions {
    pub options: Vec<LoginOption>,
}

/// Short names people use for the usual local authenticators.
const ALIASES: [(&str, &str); 10] = [
    ("password", "BasicAuthenticator"),
    ("username_password", "BasicAuthenticator"),
    ("identifier_first", "IdentifierExecutor"),
    ("passkey", "FIDOAuthenticator"),
    ("fido", "FIDOAuthenticator"),
    ("magic_link", "MagicLinkAuthenticator"),
    ("email_otp", "email-otp-authenticator"),
    ("sms_otp", "sms-otp-authenticator"),
    ("backup_code", "backup-code-authenticator"),
    ("push", "push-notification-authenticator"),
];

fn normalized(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect()
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// The option `text` names: its option name, authenticator, readable name or alias.
pub fn resolve<'a>(options: &'a [LoginOption], text: &str) -> Result<&'a LoginOption, String> {
    let wanted = normalized(text);
    let alias = ALIASES
        .iter()
        .find(|(a, _)| *a == wanted)
        .map(|(_, name)| *name);
    let found = options.iter().find(|o| {
        normalized(&o.option) == wanted
            || normalized(&o.name) == wanted
            || (o.kind == "local" && normalized(&o.authenticator) == wanted)
            || alias == Some(o.authenticator.as_str())
    });
    if let Some(option) = found {
        return Ok(option);
    }
    let mut near: Vec<(usize, &str)> = options
        .iter()
        .map(|o| {
            let d = distance(&wanted, &normalized(&o.option))
                .min(distance(&wanted, &normalized(&o.name)));
            (d, o.option.as_str())
        })
        .filter(|(d, _)| *d <= 3.max(wanted.len() / 3))
        .collect();
    near.sort();
    let hint = if near.is_empty() {
        "list_login_options shows what this organization has".to_owned()
    } else {
        format!(
            "did you mean {}?",
            near.iter()
                .take(3)
                .map(|(_, n)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    };
    Err(format!("no login option is called `{text}`; {hint}"))
}

impl ToolContext {
    /// Every option a flow step can use here: local authenticators, then connections.
    pub(crate) async fn login_options(&self) -> Result<Vec<LoginOption>, ToolError> {
        let client = self.upstream.authenticators();
        let (authenticators, connections) =
            tokio::join!(client.get_authenticators().send(), self.all_connections());
        let authenticators = authenticators
            .or_explain("listing the organization's authenticators")
            .await?;
        let mut options: Vec<LoginOption> = authenticators
            .iter()
            .filter(|a| a.type_.as_deref() != Some("FEDERATED") && a.is_enabled != Some(false))
            .filter_map(|a| {
                let name = a.name.clone()?;
                let display = a
                    .display_name
                    .clone()
                    .or_else(|| {
                        KNOWN_LOCAL
                            .iter()
                            .find(|(n, ..)| *n == name)
                            .map(|(_, d, _)| (*d).to_owned())
                    })
                    .unwrap_or_else(|| name.clone());
                Some(LoginOption {
                    option: name.clone(),
                    name: display,
                    kind: "local".into(),
                    role: local_role(&name),
                    authenticator: name,
                    idp: LOCAL_IDP.into(),
                })
            })
            .collect();
        options.extend(connections?.into_iter().filter_map(|c| {
            let name = c.name?;
            Some(LoginOption {
                option: name.clone(),
                name: name.clone(),
                kind: "connection".into(),
                role: Role::Identifies,
                authenticator: c.authenticator?,
                idp: name,
            })
        }));
        Ok(options)
    }
}

#[tool_router(router = login_options_router, vis = "pub(super)")]
impl ToolContext {
    /// List what a login step can use: authenticators (password, email OTP, TOTP, passkey...)
    /// and connections (Google, enterprise OIDC...), each with its set_login_flow name and
    /// whether it can identify a user (first step) or only verify one.
    #[tool(annotations(
        title = "List login options",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_login_options(
        &self,
        Parameters(_req): Parameters<ListLoginOptionsRequest>,
    ) -> Result<Json<LoginOptions>, ToolError> {
        Ok(Json(LoginOptions {
            options: self.login_options().await?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(name: &str, display: &str, kind: &str) -> LoginOption {
        LoginOption {
            option: name.into(),
            name: display.into(),
            kind: kind.into(),
            role: local_role(name),
            authenticator: if kind == "local" {
                name.into()
            } else {
                "GoogleOIDCAuthenticator".into()
            },
            idp: if kind == "local" {
                LOCAL_IDP.into()
            } else {
                name.into()
            },
        }
    }

    #[test]
    fn names_aliases_and_display_names_resolve() {
        let options = [
            option("BasicAuthenticator", "Username & Password", "local"),
            option("email-otp-authenticator", "Email OTP", "local"),
            option("totp", "TOTP", "local"),
            option("Google", "Google", "connection"),
        ];
        assert_eq!(
            resolve(&options, "password").unwrap().option,
            "BasicAuthenticator"
        );
        assert_eq!(
            resolve(&options, "Email OTP").unwrap().option,
            "email-otp-authenticator"
        );
        assert_eq!(
            resolve(&options, "email_otp").unwrap().option,
            "email-otp-authenticator"
        );
        assert_eq!(resolve(&options, "google").unwrap().option, "Google");
        assert_eq!(resolve(&options, "TOTP").unwrap().option, "totp");
        let err = resolve(&options, "gogle").unwrap_err();
        assert!(err.contains("did you mean `Google`"), "{err}");
        let err = resolve(&options, "fingerprint scanner").unwrap_err();
        assert!(err.contains("list_login_options"), "{err}");
    }
}

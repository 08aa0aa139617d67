//! `get_integration_guide`: working sign-in code for an application and a stack, from the
//! application's real configuration, with the configuration checked against what that code
//! needs. The code is written against the pinned SDK versions below (read from the packages'
//! own types, not from memory) and proven by tests: the React guide signs a user in with the
//! real SDK in Chromium against the sandbox, the M2M guide's curl gets a token.

mod stacks;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::applications::Lookup;
use super::applications::views::OauthSettings;
use super::input;
use super::{ToolContext, ToolError};
use crate::wso2::oidc::AppType;

// The stacks a guide is written for: React with `@asgardeo/react` (Vite); Next.js (App Router)
// with `@asgardeo/nextjs`; Node.js with Express and `@asgardeo/node`; plain browser JavaScript
// with `@asgardeo/browser`; a Python (Flask) app with `asgardeo` from PyPI; machine-to-machine
// token requests (curl, Node.js); native mobile apps with an AppAuth-style client. (Plain
// comments: the tool's description names the stacks, and the tool list stays small.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    React,
    Nextjs,
    Express,
    Browser,
    Python,
    M2m,
    Mobile,
}

impl Framework {
    /// The application types this stack fits.
    fn fits(self, kind: AppType) -> bool {
        match self {
            Framework::React | Framework::Browser => kind == AppType::SinglePageApp,
            Framework::Nextjs | Framework::Express | Framework::Python => {
                kind == AppType::WebAppWithSsr
            }
            Framework::M2m => kind == AppType::M2mApp,
            Framework::Mobile => kind == AppType::MobileApp,
        }
    }

    /// The stacks for an application type, for the create tools' next step.
    pub fn for_type(kind: AppType) -> &'static [&'static str] {
        match kind {
            AppType::SinglePageApp => &["react", "browser"],
            AppType::WebAppWithSsr => &["nextjs", "express", "python"],
            AppType::M2mApp => &["m2m"],
            AppType::MobileApp => &["mobile"],
            AppType::Other => &[
                "react", "nextjs", "express", "browser", "python", "m2m", "mobile",
            ],
        }
    }
}

/// The one-line next step a create tool ends with.
pub fn next_step(name: &str, kind: AppType) -> String {
    let stacks = Framework::for_type(kind)
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "Next: call get_integration_guide with application_name {name:?} and framework {stacks} for working sign-in code."
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuideRequest {
    /// Exact name; or give `application_id`.
    #[serde(default)]
    pub application_name: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    pub framework: Framework,
    /// The app's origin (default: its first redirect URL's).
    #[serde(default)]
    pub app_url: Option<String>,
}

pub struct Package {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GuideFile {
    /// Path relative to the project root.
    pub path: String,
    /// `create` (a new file) or `replace` (the whole file: the code shown is all of it).
    pub action: String,
    pub contents: String,
}

/// A variable of the `.env` file; a secret's value is a placeholder to fill in (the create tool
/// or `regenerate_client_secret` showed it once).
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Check {
    /// The application setting the code depends on.
    pub setting: String,
    pub ok: bool,
    pub expected: String,
    pub actual: String,
    /// What to change when it is not as the code needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct IntegrationGuide {
    pub application_id: String,
    /// The origin the code and the checks assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
    /// Commands that install the exact versions the code is written against.
    pub install: Vec<String>,
    pub files: Vec<GuideFile>,
    /// The `.env` file: the app's values, secrets as `<...>` placeholders.
    pub env_file: String,
    pub run: String,
    /// Whether the application's configuration is what the code needs; every failed check
    /// says what to change.
    pub checks: Vec<Check>,
    pub ready: bool,
    pub notes: Vec<String>,
}

/// What a guide is built from.
pub struct AppFacts {
    pub name: String,
    pub kind: AppType,
    pub base_url: String,
    pub oauth: OauthSettings,
    pub app_url: Option<String>,
    /// Scopes of the APIs the application is authorized for.
    pub api_scopes: Vec<String>,
}

fn origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// `a` and `b` are the same redirect URL, as the server compares them: equal, or for a
/// loopback address equal but for the port (RFC 8252 §7.3).
fn same_redirect(a: &str, b: &str) -> bool {
    let strip = |u: &str| -> String {
        match url::Url::parse(u) {
            Ok(mut p) if matches!(p.host_str(), Some("127.0.0.1" | "[::1]")) => {
                let _ = p.set_port(None);
                p.to_string()
            }
            Ok(p) => p.to_string(),
            Err(_) => u.to_owned(),
        }
    };
    a == b || strip(a) == strip(b)
}

impl AppFacts {
    fn check(
        &self,
        setting: &str,
        ok: bool,
        expected: String,
        actual: String,
        fix: String,
    ) -> Check {
        Check {
            setting: setting.to_owned(),
            ok,
            expected,
            actual,
            fix: (!ok).then_some(fix),
        }
    }

    fn has_grant(&self, grant: &str) -> bool {
        self.oauth.grant_types.iter().any(|g| g == grant)
    }

    /// The checks a stack needs: `redirect` is the URL its code sends.
    fn checks(&self, framework: Framework, redirect: Option<&str>) -> Vec<Check> {
        let mut checks = Vec::new();
        let name = &self.name;
        checks.push(self.check(
            "application type",
            framework.fits(self.kind),
            format!("one of {:?}", Framework::for_type_names(framework)),
            format!("{:?}", self.kind),
            format!(
                "this stack is for {}; create one with the fitting create tool, or pick a framework among {}",
                Framework::for_type_names(framework).join(" or "),
                Framework::for_type(self.kind).join(", ")
            ),
        ));
        if let Some(redirect) = redirect {
            let registered = &self.oauth.redirect_urls;
            checks.push(self.check(
                "redirect URL",
                registered.iter().any(|r| same_redirect(r, redirect)),
                redirect.to_owned(),
                registered.join(", "),
                format!(
                    "call update_application_oauth_config with id of {name:?} and redirect_urls {:?} (keep the others you need), or pass app_url to match a registered one",
                    [registered.clone(), vec![redirect.to_owned()]].concat()
                ),
            ));
        }
        let browser = matches!(framework, Framework::React | Framework::Browser);
        if browser {
            let wanted = redirect.and_then(origin).unwrap_or_default();
            checks.push(self.check(
                "allowed origin",
                self.oauth.allowed_origins.iter().any(|o| o.trim_end_matches('/') == wanted),
                wanted.clone(),
                self.oauth.allowed_origins.join(", "),
                format!(
                    "the browser calls the token endpoint from {wanted}: call update_application_oauth_config with allowed_origins {:?}",
                    [self.oauth.allowed_origins.clone(), vec![wanted.clone()]].concat()
                ),
            ));
        }
        match framework {
            Framework::M2m => checks.push(self.check(
                "grant type",
                self.has_grant("client_credentials"),
                "client_credentials".into(),
                self.oauth.grant_types.join(", "),
                "create the client with create_m2m_app".into(),
            )),
            _ => checks.push(self.check(
                "grant type",
                self.has_grant("authorization_code"),
                "authorization_code".into(),
                self.oauth.grant_types.join(", "),
                "sign-in needs the authorization code grant: create the app with the create tool for its type".into(),
            )),
        }
        let public = self.oauth.public_client.unwrap_or(false);
        match framework {
            Framework::React | Framework::Browser | Framework::Mobile => {
                checks.push(self.check(
                    "public client",
                    public,
                    "true (the app cannot keep a secret)".into(),
                    public.to_string(),
                    "a browser or mobile app cannot keep a client secret: create it with create_single_page_app or create_mobile_app".into(),
                ));
                checks.push(self.check(
                    "PKCE",
                    self.oauth.pkce_mandatory.unwrap_or(false),
                    "mandatory (the SDK sends S256 challenges)".into(),
                    self.oauth.pkce_mandatory.map_or("unknown".into(), |p| p.to_string()),
                    "a public client without mandatory PKCE lets a stolen code be redeemed: recreate it with the create tool for its type, which makes PKCE mandatory".into(),
                ));
            }
            Framework::Nextjs | Framework::Express | Framework::Python | Framework::M2m => {
                checks.push(self.check(
                    "confidential client",
                    !public,
                    "false (the server keeps a client secret)".into(),
                    public.to_string(),
                    "server-side code authenticates with a client secret: create the app with create_webapp_with_ssr (or create_m2m_app)".into(),
                ));
            }
        }
        checks
    }
}

impl Framework {
    fn for_type_names(self) -> Vec<&'static str> {
        match self {
            Framework::React | Framework::Browser => vec!["single_page_app"],
            Framework::Nextjs | Framework::Express | Framework::Python => vec!["web_app_with_ssr"],
            Framework::M2m => vec!["m2m_app"],
            Framework::Mobile => vec!["mobile_app"],
        }
    }
}

/// The guide for `framework`, from `facts`.
pub fn guide(id: &str, facts: &AppFacts, framework: Framework) -> IntegrationGuide {
    let written = stacks::write(facts, framework);
    let checks = facts.checks(framework, written.redirect.as_deref());
    let ready = checks.iter().all(|c| c.ok);
    let env_file = written
        .env
        .iter()
        .map(|e| {
            let note = if e.secret {
                "# A secret: keep this file out of version control.\n"
            } else {
                ""
            };
            format!("{note}{}={}\n", e.name, e.value)
        })
        .collect();
    IntegrationGuide {
        application_id: id.to_owned(),
        app_url: facts.app_url.clone(),
        install: written.install,
        files: written.files,
        env_file,
        run: written.run,
        checks,
        ready,
        notes: written.notes,
    }
}

#[tool_router(router = integration_router, vis = "pub(crate)")]
impl ToolContext {
    /// Working sign-in code for an app on a stack (react, nextjs, express, browser, python, m2m,
    /// mobile): pinned installs, whole files, .env, run command, and checks of the app's
    /// settings, each failed one with its fix.
    #[tool(annotations(
        title = "Get integration guide",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_integration_guide(
        &self,
        Parameters(req): Parameters<GuideRequest>,
    ) -> Result<Json<IntegrationGuide>, ToolError> {
        let id = match (&req.application_id, &req.application_name) {
            (Some(id), None) => input::path_segment("application_id", id)?.to_owned(),
            (None, Some(name)) => {
                let name = input::name("application_name", name, 255)?;
                self.find_application(Lookup::Name, name)
                    .await?
                    .id
                    .ok_or_else(|| ToolError::missing("id", "getAllApplications"))?
            }
            _ => {
                return Err(ToolError::invalid(
                    "application_name",
                    "give exactly one of `application_name` and `application_id`",
                ));
            }
        };
        let details = self.details(&id).await?;
        let Some(oauth) = details.oauth else {
            return Err(ToolError::new(format!(
                "Application {id} has no OAuth/OIDC configuration, so no SDK can sign in to it; create an OIDC application with one of the create tools."
            )));
        };
        let app_url = match &req.app_url {
            Some(url) => Some(origin(url).ok_or_else(|| {
                ToolError::invalid("app_url", "give an origin such as `http://localhost:5173`")
            })?),
            None => oauth.redirect_urls.first().and_then(|u| origin(u)),
        };
        let facts = AppFacts {
            name: details.name.clone().unwrap_or_default(),
            kind: details.application_type,
            base_url: self.upstream.base_url().to_owned(),
            api_scopes: details
                .authorized_apis
                .iter()
                .flat_map(|a| a.scopes.iter().cloned())
                .collect(),
            oauth,
            app_url,
        };
        Ok(Json(guide(&id, &facts, req.framework)))
    }
}

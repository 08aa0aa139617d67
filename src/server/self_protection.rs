//! In remote mode the tools must not rewrite the registration that protects the server: its
//! API resource and scopes, its trusted client applications (their settings, secrets, login
//! flows, authorizations and audiences), the roles that grant `mcp:` scopes, and anything that
//! would let another application mint tokens carrying `mcp:` scopes (an authorization for the
//! server's API resource, the server's URL among an application's audiences). Such a call
//! needs `mcp:admin` in the person's token; otherwise it is refused before anything is sent,
//! and audited. What the registration is (the API resource's id, the trusted clients'
//! application ids) is read from the organization and kept for a minute.

use std::time::{Duration, Instant};

use rmcp::model::JsonObject;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::tools::ToolContext;
use crate::wso2::filter::{Filter, Op};

pub use crate::tools::REMOTE_ADMIN_SCOPE as ADMIN_SCOPE;

/// How long what the registration is stays known.
const FRESH: Duration = Duration::from_secs(60);

/// What protects this server in the organization.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The identifier of the server's API resource (the tokens' audience).
    pub audience: String,
    /// The client ids of the applications people sign in with.
    pub clients: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Known {
    api_id: Option<String>,
    app_ids: Vec<String>,
}

pub struct Guard {
    registration: Registration,
    known: Mutex<Option<(Known, Instant)>>,
}

/// Why a call is refused.
pub enum Refusal {
    /// It changes the registration: `what` says how.
    Protected(String),
    /// Whether it does could not be told.
    Unknown(String),
}

impl Guard {
    pub fn new(registration: Registration) -> Self {
        Self {
            registration,
            known: Mutex::new(None),
        }
    }

    /// Whether `tool` with `arguments` changes the server's registration.
    pub async fn check(
        &self,
        tools: &ToolContext,
        tool: &str,
        arguments: &JsonObject,
    ) -> Result<(), Refusal> {
        let text = |name: &str| arguments.get(name).and_then(Value::as_str);
        let list = |name: &str| -> Vec<&str> {
            arguments
                .get(name)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        };
        let audience = self.registration.audience.as_str();
        // What needs no lookup.
        match tool {
            "create_api_resource" if text("identifier") == Some(audience) => {
                return Err(Refusal::Protected(
                    "it creates the server's own API resource".into(),
                ));
            }
            "create_role" if list("permissions").iter().any(|p| p.starts_with("mcp:")) => {
                return Err(Refusal::Protected(
                    "it creates a role granting the server's mcp: scopes".into(),
                ));
            }
            "update_application_oauth_config" if list("audiences").contains(&audience) => {
                return Err(Refusal::Protected(
                    "it adds the server's URL to an application's token audiences, which lets that application mint tokens for the server".into(),
                ));
            }
            _ => {}
        }
        let (api_arg, app_arg, role_arg) = match tool {
            "update_api_resource" | "delete_api_resource" => (Some("api_id"), None, None),
            "authorize_api" => (Some("id"), Some("appId"), None),
            "update_authorized_scopes" | "revoke_api_authorization" => {
                (Some("api_id"), Some("app_id"), None)
            }
            "update_application_basic_info"
            | "update_application_claim_config"
            | "update_application_oauth_config" => (None, Some("id"), None),
            "delete_application"
            | "regenerate_client_secret"
            | "set_login_flow"
            | "update_login_flow"
            | "create_role" => (None, Some("app_id"), None),
            "assign_role" | "unassign_role" | "delete_role" => (None, None, Some("role_id")),
            _ => return Ok(()),
        };
        if let Some(role) = role_arg.and_then(text) {
            return match role_grants_mcp(tools, role).await {
                Ok(false) => Ok(()),
                Ok(true) => Err(Refusal::Protected(
                    "the role grants the server's mcp: scopes".into(),
                )),
                Err(why) => Err(Refusal::Unknown(why)),
            };
        }
        let known = self.known(tools).await.map_err(Refusal::Unknown)?;
        if let Some(api) = api_arg.and_then(text)
            && known.api_id.as_deref() == Some(api)
        {
            return Err(Refusal::Protected(match tool {
                "authorize_api" => "it authorizes an application for the server's API resource, which lets it mint tokens for the server".into(),
                _ => "it changes the server's API resource or an application's authorization for it".into(),
            }));
        }
        if let Some(app) = app_arg.and_then(text)
            && known.app_ids.iter().any(|a| a == app)
        {
            return Err(Refusal::Protected(
                "it changes the application people sign in to the server with".into(),
            ));
        }
        Ok(())
    }

    async fn known(&self, tools: &ToolContext) -> Result<Known, String> {
        let mut cached = self.known.lock().await;
        if let Some((known, at)) = cached.as_ref()
            && at.elapsed() < FRESH
        {
            return Ok(known.clone());
        }
        let known = self.look_up(tools).await?;
        *cached = Some((known.clone(), Instant::now()));
        Ok(known)
    }

    async fn look_up(&self, tools: &ToolContext) -> Result<Known, String> {
        let upstream = &tools.upstream;
        let by_identifier = Filter::clause("identifier", Op::Eq, &self.registration.audience)
            .map_err(|e| e.to_string())?;
        let apis = upstream
            .api_resources()
            .get_api_resources()
            .filter(by_identifier.to_string())
            .send()
            .await
            .map_err(|e| format!("reading the server's API resource: {e}"))?
            .into_inner();
        let api_id = apis
            .api_resources
            .iter()
            .find(|a| a.identifier.as_deref() == Some(self.registration.audience.as_str()))
            .and_then(|a| a.id.clone());
        let mut app_ids = Vec::new();
        for client in &self.registration.clients {
            let by_client =
                Filter::clause("clientId", Op::Eq, client).map_err(|e| e.to_string())?;
            let apps = upstream
                .applications()
                .get_all_applications()
                .filter(by_client.to_string())
                .attributes("clientId")
                .send()
                .await
                .map_err(|e| format!("reading the server's client application: {e}"))?
                .into_inner();
            app_ids.extend(
                apps.applications
                    .iter()
                    .filter(|a| a.client_id.as_deref() == Some(client.as_str()))
                    .filter_map(|a| a.id.clone()),
            );
        }
        Ok(Known { api_id, app_ids })
    }
}

async fn role_grants_mcp(tools: &ToolContext, role: &str) -> Result<bool, String> {
    let found = tools
        .upstream
        .roles()
        .get_role_by_id_v2()
        .id(role)
        .send()
        .await;
    match found {
        Ok(role) => Ok(role
            .into_inner()
            .permissions
            .iter()
            .any(|p| p.value.as_deref().is_some_and(|v| v.starts_with("mcp:")))),
        // No such role: the tool will say so, and it can change nothing.
        Err(progenitor_client::Error::UnexpectedResponse(r)) if r.status().as_u16() == 404 => {
            Ok(false)
        }
        Err(e) => Err(format!("reading role {role}: {e}")),
    }
}

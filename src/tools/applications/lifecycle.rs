//! The end of an application's life and its secret's: delete an application (answering what
//! was deleted, enough to recreate it, secrets excluded) and rotate a confidential client's
//! secret. Both are destructive: the server has them confirmed before they run.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::views::ApplicationDetails;
use crate::tools::{OrExplain, ToolContext, ToolError, Written, input, intend};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationIdRequest {
    /// ID of the application (see `list_applications`).
    pub app_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedApplication {
    /// The application as it was: enough to recreate it (its secret is not kept).
    pub deleted: ApplicationDetails,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RotatedSecret {
    pub app_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// SECRET: the new client secret. The previous one stopped working.
    pub client_secret: String,
    /// The fields above that hold secrets, so a host can mask them.
    pub secret_fields: Vec<String>,
}

#[tool_router(router = application_lifecycle_router, vis = "pub(super)")]
impl ToolContext {
    /// Delete an application for good. Confirmed with the person first; returns what was
    /// deleted (settings, claims, authorized APIs, login flow; not its secret).
    #[tool(annotations(
        title = "Delete application",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn delete_application(
        &self,
        Parameters(req): Parameters<ApplicationIdRequest>,
    ) -> Result<Json<DeletedApplication>, ToolError> {
        let id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let _guard = self.lock("application", &id).await;
        let details = self.details(&id).await?;
        let name = details.name.clone().unwrap_or_else(|| id.clone());
        intend(
            format!("Delete application \"{name}\" (id {id}) and its OAuth client"),
            &details,
            &(),
        )?;
        self.upstream
            .applications()
            .delete_application()
            .application_id(&id)
            .send()
            .await
            .or_explain_write(format!("deleting application \"{name}\" ({id})"))
            .await?;
        Ok(Json(DeletedApplication { deleted: details }))
    }

    /// Replace a confidential application's client secret with a new one, which is returned;
    /// the old one stops working at once. Confirmed with the person first.
    #[tool(annotations(
        title = "Regenerate client secret",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn regenerate_client_secret(
        &self,
        Parameters(req): Parameters<ApplicationIdRequest>,
    ) -> Result<Json<RotatedSecret>, ToolError> {
        let id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let _guard = self.lock("application", &id).await;
        let current = self.read_oidc(&id).await?;
        if current.public_client == Some(true) {
            return Err(ToolError::new(format!(
                "Application {id} is a public client (a SPA or mobile app): it has no client secret to regenerate. Public clients prove themselves with PKCE instead."
            )));
        }
        let client_id = current.client_id.clone();
        intend(
            format!(
                "Regenerate the client secret of application {id} (client id {}); the current secret stops working at once",
                client_id.as_deref().unwrap_or("unknown")
            ),
            &json!({ "client_id": client_id, "client_secret": current.client_secret }),
            &json!({ "client_id": client_id, "client_secret": "a new secret" }),
        )?;
        let written = self
            .upstream
            .applications()
            .regenerate_oauth_client_secret()
            .application_id(&id)
            .send()
            .await
            .or_explain_write(format!(
                "regenerating the client secret of application {id}"
            ))
            .await?;
        let fresh = match written {
            Written::Read(config) => config.client_secret,
            // The secret was changed; only a read can tell the new one.
            Written::Unreadable { .. } => self.read_oidc(&id).await?.client_secret,
        };
        let secret = fresh
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ToolError::missing("clientSecret", "regenerateOauthClientSecret"))?;
        Ok(Json(RotatedSecret {
            app_id: id,
            client_id,
            client_secret: secret,
            secret_fields: vec!["client_secret".into()],
        }))
    }
}

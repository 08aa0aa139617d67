//! Users: create a user with a password, or (without one) through WSO2's invite flow, so that
//! no password needs to pass through the model.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{schemars, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolError, bounded};
use crate::api::users::types;
use crate::server::AsgardeoServer;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// The username the user logs in with (often their email address).
    pub username: String,
    /// The user's password. Omit it to email the user an invitation to set their own, so that
    /// no password passes through the conversation.
    #[serde(default)]
    pub password: Option<String>,
    /// The user's email address.
    pub email: String,
    /// The user's first (given) name.
    pub first_name: String,
    /// The user's last (family) name.
    pub last_name: String,
    /// The user store to create the user in.
    #[serde(default = "default_userstore")]
    pub userstore_domain: String,
}

fn default_userstore() -> String {
    "DEFAULT".to_owned()
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedUser {
    pub id: String,
    pub username: String,
    pub email: String,
    /// True when the user was emailed an invitation to set their own password.
    pub invitation_sent: bool,
}

fn check_email(email: &str) -> Result<&str, ToolError> {
    let email = bounded("email", email, 254)?;
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ToolError::invalid("email", "is not an email address"))
    }
}

#[tool_router(router = users_router, vis = "pub(crate)")]
impl AsgardeoServer {
    /// Create a user in Asgardeo. With a password, the user can log in at once; without one,
    /// Asgardeo emails the user an invitation to set their own password (recommended: no
    /// password passes through the conversation). Returns the user's id.
    #[tool(annotations(
        title = "Create user",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_user(
        &self,
        Parameters(req): Parameters<CreateUserRequest>,
    ) -> Result<Json<CreatedUser>, ToolError> {
        let username = bounded("username", &req.username, 255)?;
        if username.contains('/') || username.chars().any(char::is_whitespace) {
            return Err(ToolError::invalid(
                "username",
                "must not contain `/` or spaces",
            ));
        }
        let email = check_email(&req.email)?;
        let first = bounded("first_name", &req.first_name, 255)?;
        let last = bounded("last_name", &req.last_name, 255)?;
        let domain = bounded("userstore_domain", &req.userstore_domain, 64)?;
        if !domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ToolError::invalid(
                "userstore_domain",
                "must be a user store name such as DEFAULT",
            ));
        }
        let invite = req.password.is_none();
        let mut body = types::UserObject::builder()
            .schemas(vec![
                "urn:ietf:params:scim:schemas:core:2.0:User".to_owned(),
            ])
            .user_name(Some(format!("{domain}/{username}")))
            .name(Some(types::UserObjectName {
                given_name: Some(first.to_owned()),
                family_name: Some(last.to_owned()),
            }))
            .emails(vec![serde_json::Map::from_iter([
                ("value".to_owned(), email.into()),
                ("primary".to_owned(), true.into()),
            ])]);
        body = match &req.password {
            Some(password) => body.password(Some(password.clone())),
            None => body.urn_scim_wso2_schema(Some(types::UserObjectUrnScimWso2Schema {
                ask_password: Some(true),
            })),
        };
        match self.upstream.users().create_user().body(body).send().await {
            Ok(r) => {
                let user = r.into_inner();
                let id = user.id.unwrap_or_default();
                self.audit_write("create user", &id, "ok");
                Ok(Json(CreatedUser {
                    id,
                    username: username.to_owned(),
                    email: email.to_owned(),
                    invitation_sent: invite,
                }))
            }
            Err(e) => {
                self.audit_write("create user", username, "failed");
                Err(ToolError::upstream(
                    &format!("creating user `{username}`"),
                    e,
                    self.upstream.base_url(),
                )
                .await)
            }
        }
    }
}

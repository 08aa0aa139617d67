//! Changing a user (names, email) and deleting one.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::UserDetails;
use super::create::check_email;
use super::read::UserIdRequest;
use crate::api::users::types;
use crate::tools::{OrExplain, ToolContext, ToolError, input, intend};
use crate::wso2::scim;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// ID of the user (see `list_users`).
    pub user_id: String,
    /// A new first (given) name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// A new last (family) name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// A new primary email address (replaces the current ones).
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UserUpdate {
    pub previous: UserDetails,
    pub current: UserDetails,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedUser {
    /// The user as it was (never a password).
    pub deleted: UserDetails,
}

#[tool_router(router = user_manage_router, vis = "pub(super)")]
impl ToolContext {
    /// Change a user's first name, last name or email. Returns the user before and after.
    #[tool(annotations(
        title = "Update user",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_user(
        &self,
        Parameters(req): Parameters<UpdateUserRequest>,
    ) -> Result<Json<UserUpdate>, ToolError> {
        let id = input::path_segment("user_id", &req.user_id)?.to_owned();
        let first = req
            .first_name
            .as_deref()
            .map(|n| input::name("first_name", n, 255))
            .transpose()?;
        let last = req
            .last_name
            .as_deref()
            .map(|n| input::name("last_name", n, 255))
            .transpose()?;
        let email = req.email.as_deref().map(check_email).transpose()?;
        if first.is_none() && last.is_none() && email.is_none() {
            return Err(ToolError::invalid(
                "first_name",
                "give something to change: first_name, last_name or email",
            ));
        }
        let _guard = self.lock("user", &id).await;
        let previous = self.read_user(&id).await?;
        let mut expected = previous.clone();
        let mut operations = Vec::new();
        if first.is_some() || last.is_some() {
            let mut name = serde_json::Map::new();
            if let Some(first) = first {
                name.insert("givenName".into(), json!(first));
                expected.given_name = Some(first.to_owned());
            }
            if let Some(last) = last {
                name.insert("familyName".into(), json!(last));
                expected.family_name = Some(last.to_owned());
            }
            operations.push(types::OperationMeItem {
                op: Some(types::OperationMeItemOp::Replace),
                path: None,
                value: Some(json!({ "name": name })),
            });
        }
        if let Some(email) = email {
            operations.push(types::OperationMeItem {
                op: Some(types::OperationMeItemOp::Replace),
                path: None,
                value: Some(json!({ "emails": [{ "value": email, "primary": true }] })),
            });
            expected.emails = vec![email.to_owned()];
        }
        intend(
            format!(
                "Update user {} (id {id})",
                previous.username.as_deref().unwrap_or_default()
            ),
            &previous,
            &expected,
        )?;
        self.upstream
            .users()
            .patch_user()
            .id(&id)
            .body(types::PatchOpperationInput {
                operations,
                schemas: vec![scim::PATCH_SCHEMA.to_owned()],
            })
            .send()
            .await
            .or_explain_write(format!("updating user {id}"))
            .await?;
        let current = self.read_user(&id).await?;
        Ok(Json(UserUpdate { previous, current }))
    }

    /// Delete a user for good. Confirmed with the person first; returns who was deleted
    /// (names, emails, groups, roles; never a password).
    #[tool(annotations(
        title = "Delete user",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn delete_user(
        &self,
        Parameters(req): Parameters<UserIdRequest>,
    ) -> Result<Json<DeletedUser>, ToolError> {
        let id = input::path_segment("user_id", &req.user_id)?.to_owned();
        let _guard = self.lock("user", &id).await;
        let user = self.read_user(&id).await?;
        intend(
            format!(
                "Delete user {} (id {id})",
                user.username.as_deref().unwrap_or_default()
            ),
            &user,
            &(),
        )?;
        self.upstream
            .users()
            .delete_user()
            .id(&id)
            .send()
            .await
            .or_explain_write(format!("deleting user {id}"))
            .await?;
        Ok(Json(DeletedUser { deleted: user }))
    }
}

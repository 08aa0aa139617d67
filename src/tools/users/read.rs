//! Finding users: a filtered, paged list and one user with their groups and roles.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{UserDetails, user_details};
use crate::tools::directory::Page;
use crate::tools::{OrExplain, ToolContext, ToolError, input};
use crate::wso2::scim;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUsersRequest {
    /// Only users whose username starts with this.
    #[serde(default)]
    pub username_starts_with: Option<String>,
    /// Only users with an email address containing this.
    #[serde(default)]
    pub email_contains: Option<String>,
    /// Where to start (from a previous answer's `next_cursor`).
    #[serde(default)]
    pub cursor: Option<String>,
    /// How many users per page (default 50, at most 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIdRequest {
    /// ID of the user (see `list_users`).
    pub user_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UserPage {
    pub users: Vec<UserDetails>,
    /// How many users match in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[tool_router(router = user_read_router, vis = "pub(super)")]
impl ToolContext {
    /// List users, optionally filtered by username prefix or email, a page at a time, with
    /// the total.
    #[tool(annotations(
        title = "List users",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_users(
        &self,
        Parameters(req): Parameters<ListUsersRequest>,
    ) -> Result<Json<UserPage>, ToolError> {
        let page_asked = Page::asked(req.cursor.as_deref(), req.limit)?;
        let mut clauses = Vec::new();
        if let Some(prefix) = &req.username_starts_with {
            let prefix = input::name("username_starts_with", prefix, 255)?;
            clauses.push(scim::clause("userName", scim::Op::Sw, prefix));
        }
        if let Some(part) = &req.email_contains {
            let part = input::name("email_contains", part, 254)?;
            clauses.push(scim::clause("emails", scim::Op::Co, part));
        }
        let client = self.upstream.users();
        let mut call = client
            .list_users()
            .count(page_asked.count)
            .start_index(page_asked.start);
        if !clauses.is_empty() {
            call = call.filter(clauses.join(" and "));
        }
        let page = call.send().await.or_explain("listing users").await?;
        Ok(Json(UserPage {
            next_cursor: page_asked.next_cursor(page.resources.len(), page.total_results),
            total: page.total_results,
            users: page
                .resources
                .into_iter()
                .filter(|u| u.id.is_some())
                .map(|u| user_details(u, "unknown"))
                .collect(),
        }))
    }

    /// Get one user with their emails, names, groups and roles.
    #[tool(annotations(
        title = "Get user",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_user(
        &self,
        Parameters(req): Parameters<UserIdRequest>,
    ) -> Result<Json<UserDetails>, ToolError> {
        let id = input::path_segment("user_id", &req.user_id)?;
        Ok(Json(self.read_user(id).await?))
    }
}

//! Groups (SCIM2 Groups): list, create with members, add and remove members, delete. Member
//! changes are one PATCH each; removals name each member by a quoted value path.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::directory::{Member, Page, id_from_location, ids};
use super::{
    Answered, OrExplain, OrExplainOptional, ToolContext, ToolError, Written, input, intend,
};
use crate::api::groups::types;
use crate::wso2::scim;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::groups_router()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListGroupsRequest {
    /// Only groups whose name starts with this.
    #[serde(default)]
    pub name_starts_with: Option<String>,
    /// Where to start (from a previous answer's `next_cursor`).
    #[serde(default)]
    pub cursor: Option<String>,
    /// How many groups per page (default 50, at most 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// The group's name, e.g. `editors`.
    pub name: String,
    /// IDs of users to add (see `list_users`).
    #[serde(default)]
    pub user_ids: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersRequest {
    /// ID of the group (see `list_groups`).
    pub group_id: String,
    /// IDs of users (see `list_users`).
    pub user_ids: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupIdRequest {
    /// ID of the group (see `list_groups`).
    pub group_id: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupDetails {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub members: Vec<Member>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupPage {
    pub groups: Vec<GroupDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MembershipChange {
    pub group_id: String,
    pub previous: GroupDetails,
    pub current: GroupDetails,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedGroup {
    /// The group as it was, with its members.
    pub deleted: GroupDetails,
}

fn group_details(group: types::GroupResponseObject, fallback_id: &str) -> GroupDetails {
    GroupDetails {
        id: group.id.unwrap_or_else(|| fallback_id.to_owned()),
        name: group.display_name,
        members: group
            .members
            .into_iter()
            .filter_map(|m| Member::from_parts(m.value, m.display))
            .collect(),
    }
}

impl ToolContext {
    /// The usernames of `users`, in order (read concurrently; the seam bounds how many
    /// requests are in flight).
    async fn user_names(&self, users: &[String]) -> Result<Vec<String>, ToolError> {
        futures::future::try_join_all(users.iter().map(|id| self.user_name(id))).await
    }

    async fn user_name(&self, id: &str) -> Result<String, ToolError> {
        let user = self
            .upstream
            .users()
            .get_user_by_id()
            .id(id)
            .send()
            .await
            .or_explain(format!("reading user {id}"))
            .await?;
        user.user_name
            .ok_or_else(|| ToolError::missing("userName", "getUserById"))
    }

    async fn read_group(&self, id: &str) -> Result<GroupDetails, ToolError> {
        let group = self
            .upstream
            .groups()
            .get_group_by_id()
            .id(id)
            .send()
            .await
            .or_explain(format!("reading group {id}"))
            .await?;
        Ok(group_details(group, id))
    }

    async fn change_members(
        &self,
        req: MembersRequest,
        add: bool,
    ) -> Result<MembershipChange, ToolError> {
        let group_id = input::path_segment("group_id", &req.group_id)?.to_owned();
        let users = ids("user_ids", &req.user_ids, 100)?;
        if users.is_empty() {
            return Err(ToolError::invalid("user_ids", "give at least one user id"));
        }
        let _guard = self.lock("group", &group_id).await;
        let previous = self.read_group(&group_id).await?;
        let is_member = |id: &String| previous.members.iter().any(|m| &m.id == id);
        let users: Vec<String> = if add {
            users.into_iter().filter(|u| !is_member(u)).collect()
        } else {
            if let Some(stranger) = users.iter().find(|u| !is_member(u)) {
                return Err(ToolError::invalid(
                    "user_ids",
                    &format!("user {stranger} is not a member of group {group_id}"),
                ));
            }
            users
        };
        if users.is_empty() {
            return Ok(MembershipChange {
                group_id,
                current: previous.clone(),
                previous,
            });
        }
        let mut expected = previous.clone();
        if add {
            expected
                .members
                .extend(users.iter().map(|id| Member::id_only(id)));
        } else {
            expected.members.retain(|m| !users.contains(&m.id));
        }
        let name = previous.name.clone().unwrap_or_else(|| group_id.clone());
        intend(
            if add {
                format!("Add users {} to group \"{name}\"", users.join(", "))
            } else {
                format!("Remove users {} from group \"{name}\"", users.join(", "))
            },
            &previous,
            &expected,
        )?;
        let operations = if add {
            // The server takes an added member only with its username as `display`, and
            // checks it (charon `GroupResourceManager` 940-946): one read per user.
            let names = self.user_names(&users).await?;
            vec![types::GroupItemObj {
                op: Some(types::GroupItemObjOp::Add),
                path: None,
                value: Some(types::GroupItemObjValue {
                    members: users
                        .iter()
                        .zip(names)
                        .map(|(u, name)| types::GroupItemObjValueMembersItem {
                            value: Some(u.clone()),
                            display: Some(name),
                        })
                        .collect(),
                }),
            }]
        } else {
            users
                .iter()
                .map(|u| types::GroupItemObj {
                    op: Some(types::GroupItemObjOp::Remove),
                    path: Some(scim::value_path("members", u)),
                    value: None,
                })
                .collect()
        };
        let answered = self
            .upstream
            .groups()
            .patch_group()
            .id(&group_id)
            .body(types::PatchGroupOperationRequestObject {
                operations,
                schemas: vec![scim::PATCH_SCHEMA.to_owned()],
            })
            .send()
            .await
            .or_explain_optional::<types::GroupResponseObject>(format!(
                "{} members of group {group_id}",
                if add { "adding" } else { "removing" }
            ))
            .await?;
        // 200 with the group by default; 204 without it where the server is configured so
        // (`SCIM2.ReturnUpdatedGroupInPatchResponse`): then it is read back.
        let current = match answered {
            Answered::Written(Written::Read(group)) if group.id.is_some() => {
                group_details(group, &group_id)
            }
            _ => self.read_group(&group_id).await?,
        };
        Ok(MembershipChange {
            group_id,
            previous,
            current,
        })
    }
}

#[tool_router(router = groups_router, vis = "pub(super)")]
impl ToolContext {
    /// List groups with their members, a page at a time.
    #[tool(annotations(
        title = "List groups",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_groups(
        &self,
        Parameters(req): Parameters<ListGroupsRequest>,
    ) -> Result<Json<GroupPage>, ToolError> {
        let page_asked = Page::asked(req.cursor.as_deref(), req.limit)?;
        let client = self.upstream.groups();
        let mut call = client
            .list_groups()
            .count(page_asked.count)
            .start_index(page_asked.start);
        if let Some(prefix) = &req.name_starts_with {
            let prefix = input::name("name_starts_with", prefix, 255)?;
            call = call.filter(scim::clause("displayName", scim::Op::Sw, prefix));
        }
        let page = call.send().await.or_explain("listing groups").await?;
        Ok(Json(GroupPage {
            next_cursor: page_asked.next_cursor(page.resources.len(), page.total_results),
            total: page.total_results,
            groups: page
                .resources
                .into_iter()
                .filter_map(|g| {
                    Some(GroupDetails {
                        id: g.id?,
                        name: g.display_name,
                        members: g
                            .members
                            .into_iter()
                            .filter_map(|m| Member::from_parts(m.value, m.display))
                            .collect(),
                    })
                })
                .collect(),
        }))
    }

    /// Create a group, optionally with members.
    #[tool(annotations(
        title = "Create group",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_group(
        &self,
        Parameters(req): Parameters<CreateGroupRequest>,
    ) -> Result<Json<GroupDetails>, ToolError> {
        let name = input::name("name", &req.name, 255)?.to_owned();
        let users = ids("user_ids", &req.user_ids, 100)?;
        let body = types::GroupRequestObject {
            display_name: name.clone(),
            members: users
                .iter()
                .map(|u| types::GroupRequestObjectMembersItem {
                    value: Some(u.clone()),
                    display: None,
                })
                .collect(),
            schemas: vec![scim::GROUP_SCHEMA.to_owned()],
        };
        let written = self
            .upstream
            .groups()
            .create_group()
            .body(body)
            .send()
            .await
            .or_explain_write(format!("creating group `{name}`"))
            .await?;
        match written {
            Written::Read(group) => Ok(Json(group_details(group, "unknown"))),
            Written::Unreadable { location, .. } => {
                let id = id_from_location(location.as_deref())
                    .ok_or_else(|| ToolError::missing("id", "createGroup"))?;
                Ok(Json(self.read_group(&id).await?))
            }
        }
    }

    /// Add users to a group. Returns the members before and after.
    #[tool(annotations(
        title = "Add group members",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn add_group_members(
        &self,
        Parameters(req): Parameters<MembersRequest>,
    ) -> Result<Json<MembershipChange>, ToolError> {
        Ok(Json(self.change_members(req, true).await?))
    }

    /// Remove users from a group (they lose the roles the group gives). Confirmed with the
    /// person first; returns the members before and after.
    #[tool(annotations(
        title = "Remove group members",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn remove_group_members(
        &self,
        Parameters(req): Parameters<MembersRequest>,
    ) -> Result<Json<MembershipChange>, ToolError> {
        Ok(Json(self.change_members(req, false).await?))
    }

    /// Delete a group (its members stay; they lose the roles the group gives). Confirmed with
    /// the person first; returns the group as it was.
    #[tool(annotations(
        title = "Delete group",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn delete_group(
        &self,
        Parameters(req): Parameters<GroupIdRequest>,
    ) -> Result<Json<DeletedGroup>, ToolError> {
        let id = input::path_segment("group_id", &req.group_id)?.to_owned();
        let _guard = self.lock("group", &id).await;
        let group = self.read_group(&id).await?;
        intend(
            format!(
                "Delete group \"{}\" (id {id}) with {} member(s)",
                group.name.as_deref().unwrap_or_default(),
                group.members.len()
            ),
            &group,
            &(),
        )?;
        self.upstream
            .groups()
            .delete_group()
            .id(&id)
            .send()
            .await
            .or_explain_write(format!("deleting group {id}"))
            .await?;
        Ok(Json(DeletedGroup { deleted: group }))
    }
}

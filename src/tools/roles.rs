//! Roles (SCIM2 roles v2): list, create with API-resource scopes as permissions (for the whole
//! organization or one application), assign to and unassign from users and groups, delete.
//! Assignments go through one `PATCH /v2/Roles/{id}` each, so a change is one write.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::directory::{Member, Page, id_from_location, ids};
use super::{
    Answered, OrExplain, OrExplainOptional, ToolContext, ToolError, Written, input, intend,
};
use crate::api::applications::types as app_types;
use crate::api::roles::types;
use crate::wso2::scim;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::roles_router()
}

const ROLE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Role";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRolesRequest {
    /// Only roles whose name starts with this.
    #[serde(default)]
    pub name_starts_with: Option<String>,
    /// Where to start (from a previous answer's `next_cursor`).
    #[serde(default)]
    pub cursor: Option<String>,
    /// How many roles per page (default 50, at most 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// Who a role is for.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Usable by every application of the organization.
    #[default]
    Organization,
    /// Belongs to one application (give `app_id`).
    Application,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// The role's name, e.g. `editor`.
    pub name: String,
    /// Scope names of API resources the role grants, e.g. `write:posts`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// `organization` (default) or `application`.
    #[serde(default)]
    pub audience: Audience,
    /// The application the role belongs to, when `audience` is `application`.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Let an application that takes organization roles switch to its own (they then stop
    /// applying to it).
    #[serde(default)]
    pub switch_application_audience: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    /// ID of the role (see `list_roles`).
    pub role_id: String,
    /// IDs of users (see `list_users`).
    #[serde(default)]
    pub user_ids: Vec<String>,
    /// IDs of groups (see `list_groups`).
    #[serde(default)]
    pub group_ids: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIdRequest {
    /// ID of the role (see `list_roles`).
    pub role_id: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RoleSummary {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `organization` or `application`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The application (or organization) the role belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience_name: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RolePage {
    pub roles: Vec<RoleSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RoleDetails {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience_id: Option<String>,
    pub permissions: Vec<String>,
    pub users: Vec<Member>,
    pub groups: Vec<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RoleDetails {
    /// A role the server took but did not show: what was asked, and why there is no more.
    fn unread(id: &str, name: String, permissions: Vec<String>, note: String) -> Self {
        Self {
            id: id.to_owned(),
            name: Some(name),
            audience: None,
            audience_id: None,
            permissions,
            users: Vec::new(),
            groups: Vec::new(),
            note: Some(note),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RoleAssignment {
    pub role_id: String,
    pub previous: RoleDetails,
    pub current: RoleDetails,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeletedRole {
    /// The role as it was: name, audience, permissions, users and groups.
    pub deleted: RoleDetails,
}

fn members<T>(items: Vec<T>, split: impl Fn(T) -> (Option<String>, Option<String>)) -> Vec<Member> {
    items
        .into_iter()
        .filter_map(|item| {
            let (id, name) = split(item);
            Member::from_parts(id, name)
        })
        .collect()
}

fn details(role: types::RoleGetResponseObjectV2, fallback_id: &str) -> RoleDetails {
    let audience = role.audience.as_ref();
    RoleDetails {
        id: role.id.clone().unwrap_or_else(|| fallback_id.to_owned()),
        name: role.display_name.clone(),
        audience: audience.and_then(|a| a.type_.clone()),
        audience_id: audience.and_then(|a| a.value.clone()),
        permissions: role
            .permissions
            .into_iter()
            .filter_map(|p| p.value)
            .collect(),
        users: members(role.users, |u| (u.value, u.display)),
        groups: members(role.groups, |g| (g.value, g.display)),
        note: None,
    }
}

fn patch_op(
    op: types::RolePatchOperationobjV2Op,
    path: String,
    values: &[String],
) -> types::RolePatchOperationobjV2 {
    types::RolePatchOperationobjV2 {
        op: Some(op),
        path: Some(path),
        value: values
            .iter()
            .map(|v| types::RolePatchOperationobjV2ValueItem {
                value: Some(v.clone()),
            })
            .collect(),
    }
}

impl ToolContext {
    /// A role write refused for a scope, explained further: from IS 7.2 an M2M application may
    /// be authorized for the SCIM2 Roles V3 API instead of V2 (an application cannot hold both;
    /// V3's scopes are `internal_role_mgt_meta_*` and `internal_role_mgt_users_update`,
    /// identity-inbound-provisioning-scim2 `RoleResourceV3` from 3.4.162), and the V2 endpoints
    /// these tools use, which every IS 7.x and Asgardeo serve, do not take those.
    fn roles_api_hint<T>(result: Result<T, ToolError>) -> Result<T, ToolError> {
        match result {
            Err(err) if err.message.starts_with("Permission denied") => {
                Err(ToolError::new(format!(
                    "{} If the M2M application is authorized for the SCIM2 Roles V3 API, authorize it for the SCIM2 Roles V2 API (/scim2/v2/Roles) instead: these tools use V2.",
                    err.message
                )))
            }
            other => other,
        }
    }

    /// An application role is refused unless the application takes application-audience
    /// roles and every permission is a scope the application is authorized for
    /// (`DefaultRoleManagementListener.preAddRole`), and the refusal does not say what to do:
    /// so both are checked first (two reads), and the audience switched when asked.
    async fn ready_for_application_role(
        &self,
        app_id: &str,
        role: &str,
        permissions: &[String],
        switch: bool,
    ) -> Result<(), ToolError> {
        let app = self
            .upstream
            .applications()
            .get_application()
            .application_id(app_id)
            .send()
            .await
            .or_explain(format!("reading application {app_id}"))
            .await?;
        let app_name = app.name.clone().unwrap_or_else(|| app_id.to_owned());
        let authorized = self
            .upstream
            .applications()
            .get_authorized_apis()
            .application_id(app_id)
            .send()
            .await
            .or_explain(format!(
                "reading the APIs application {app_id} is authorized for"
            ))
            .await?;
        let granted: Vec<String> = authorized
            .iter()
            .flat_map(|api| api.authorized_scopes.iter().filter_map(|s| s.name.clone()))
            .collect();
        let unauthorized: Vec<&String> = permissions
            .iter()
            .filter(|p| !granted.contains(p))
            .collect();
        if !unauthorized.is_empty() {
            return Err(ToolError::new(format!(
                "Application \"{app_name}\" is not authorized for the scope(s) {}, so a role of that application cannot grant them. Authorize it first (authorize_api with the API resource that defines them), or give the role only scopes it is authorized for ({}).",
                unauthorized
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if granted.is_empty() {
                    "none yet".to_owned()
                } else {
                    granted.join(", ")
                }
            )));
        }
        let audience = app
            .associated_roles
            .as_ref()
            .and_then(|a| a.allowed_audience.as_deref())
            .unwrap_or("ORGANIZATION");
        if audience.eq_ignore_ascii_case("APPLICATION") {
            return Ok(());
        }
        if !switch {
            return Err(ToolError::new(format!(
                "Application \"{app_name}\" takes organization roles (its role audience is {audience}), so the server refuses a role of its own. Either create `{role}` for the organization (audience `organization`: it works for this application as well), or call again with switch_application_audience: true to switch the application to its own roles; then organization roles no longer grant scopes through it."
            )));
        }
        let before = serde_json::json!({ "application": app_id, "allowedAudience": audience });
        let after = serde_json::json!({ "application": app_id, "allowedAudience": "APPLICATION" });
        intend(
            format!(
                "Switch application \"{app_name}\" to application-audience roles, then create role \"{role}\" for it"
            ),
            &before,
            &after,
        )?;
        let _guard = self.lock("application", app_id).await;
        self.upstream
            .applications()
            .patch_application()
            .application_id(app_id)
            .body(app_types::ApplicationPatchModel {
                associated_roles: Some(app_types::AssociatedRolesConfig {
                    allowed_audience: app_types::AssociatedRolesConfigAllowedAudience::Application,
                    roles: Vec::new(),
                }),
                ..Default::default()
            })
            .send()
            .await
            .or_explain_write(format!(
                "switching application {app_id} to application-audience roles"
            ))
            .await?;
        Ok(())
    }

    async fn read_role(&self, id: &str) -> Result<RoleDetails, ToolError> {
        let role = self
            .upstream
            .roles()
            .get_role_by_id_v2()
            .id(id)
            .send()
            .await
            .or_explain(format!("reading role {id}"))
            .await?;
        Ok(details(role, id))
    }

    /// Adds or removes users and groups of a role in one PATCH.
    async fn change_assignment(
        &self,
        req: AssignmentRequest,
        add: bool,
    ) -> Result<RoleAssignment, ToolError> {
        let role_id = input::path_segment("role_id", &req.role_id)?.to_owned();
        let users = ids("user_ids", &req.user_ids, 100)?;
        let groups = ids("group_ids", &req.group_ids, 100)?;
        if users.is_empty() && groups.is_empty() {
            return Err(ToolError::invalid(
                "user_ids",
                "give at least one user id (user_ids) or group id (group_ids)",
            ));
        }
        let _guard = self.lock("role", &role_id).await;
        let previous = self.read_role(&role_id).await?;
        let has = |list: &[Member], id: &str| list.iter().any(|m| m.id == id);
        let (users, groups): (Vec<String>, Vec<String>) = if add {
            (
                users
                    .into_iter()
                    .filter(|u| !has(&previous.users, u))
                    .collect(),
                groups
                    .into_iter()
                    .filter(|g| !has(&previous.groups, g))
                    .collect(),
            )
        } else {
            if let Some(u) = users.iter().find(|u| !has(&previous.users, u)) {
                return Err(ToolError::invalid(
                    "user_ids",
                    &format!("user {u} does not have role {role_id}"),
                ));
            }
            if let Some(g) = groups.iter().find(|g| !has(&previous.groups, g)) {
                return Err(ToolError::invalid(
                    "group_ids",
                    &format!("group {g} does not have role {role_id}"),
                ));
            }
            (users, groups)
        };
        if users.is_empty() && groups.is_empty() {
            // Everyone named already has the role: nothing to change.
            return Ok(RoleAssignment {
                role_id,
                current: previous.clone(),
                previous,
            });
        }
        let mut expected = previous.clone();
        let as_members =
            |ids: &[String]| ids.iter().map(|id| Member::id_only(id)).collect::<Vec<_>>();
        if add {
            expected.users.extend(as_members(&users));
            expected.groups.extend(as_members(&groups));
        } else {
            expected.users.retain(|m| !users.contains(&m.id));
            expected.groups.retain(|m| !groups.contains(&m.id));
        }
        let role_name = previous.name.clone().unwrap_or_else(|| role_id.clone());
        let who = [
            (!users.is_empty()).then(|| format!("users {}", users.join(", "))),
            (!groups.is_empty()).then(|| format!("groups {}", groups.join(", "))),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" and ");
        intend(
            if add {
                format!("Assign role \"{role_name}\" to {who}")
            } else {
                format!("Take role \"{role_name}\" away from {who}")
            },
            &previous,
            &expected,
        )?;
        let mut operations = Vec::new();
        if add {
            use types::RolePatchOperationobjV2Op::Add;
            if !users.is_empty() {
                operations.push(patch_op(Add, "users".into(), &users));
            }
            if !groups.is_empty() {
                operations.push(patch_op(Add, "groups".into(), &groups));
            }
        } else {
            use types::RolePatchOperationobjV2Op::Remove;
            for user in &users {
                operations.push(patch_op(Remove, scim::value_path("users", user), &[]));
            }
            for group in &groups {
                operations.push(patch_op(Remove, scim::value_path("groups", group), &[]));
            }
        }
        let patched = self
            .upstream
            .roles()
            .patch_role_v2()
            .id(&role_id)
            .body(types::PatchRoleOperationRequestObjectV2 {
                operations,
                schemas: vec![scim::PATCH_SCHEMA.to_owned()],
            })
            .send()
            .await
            .or_explain_write(format!(
                "{} role {role_id}",
                if add { "assigning" } else { "unassigning" }
            ))
            .await;
        Self::roles_api_hint(patched)?;
        let current = self.read_role(&role_id).await?;
        Ok(RoleAssignment {
            role_id,
            previous,
            current,
        })
    }
}

#[tool_router(router = roles_router, vis = "pub(super)")]
impl ToolContext {
    /// List roles with their audience (organization or application), a page at a time.
    #[tool(annotations(
        title = "List roles",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_roles(
        &self,
        Parameters(req): Parameters<ListRolesRequest>,
    ) -> Result<Json<RolePage>, ToolError> {
        let page_asked = Page::asked(req.cursor.as_deref(), req.limit)?;
        let client = self.upstream.roles();
        let mut call = client
            .list_roles_v2()
            .count(page_asked.count)
            .start_index(page_asked.start);
        if let Some(prefix) = &req.name_starts_with {
            let prefix = input::name("name_starts_with", prefix, 255)?;
            call = call.filter(scim::clause("displayName", scim::Op::Sw, prefix));
        }
        let page = call.send().await.or_explain("listing roles").await?;
        Ok(Json(RolePage {
            next_cursor: page_asked.next_cursor(page.resources.len(), page.total_results),
            total: page.total_results,
            roles: page
                .resources
                .into_iter()
                .filter_map(|r| {
                    Some(RoleSummary {
                        id: r.id?,
                        name: r.display_name,
                        audience: r.audience.as_ref().and_then(|a| a.type_.clone()),
                        audience_name: r.audience.and_then(|a| a.display),
                    })
                })
                .collect(),
        }))
    }

    /// Create a role granting API-resource scopes, for the organization or for one
    /// application.
    #[tool(annotations(
        title = "Create role",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_role(
        &self,
        Parameters(req): Parameters<CreateRoleRequest>,
    ) -> Result<Json<RoleDetails>, ToolError> {
        let name = input::name("name", &req.name, 255)?.to_owned();
        input::at_most("permissions", &req.permissions, 500)?;
        let permissions = req
            .permissions
            .iter()
            .map(|p| input::name("permissions", p, 255).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        let audience = match (req.audience, req.app_id.as_deref()) {
            (Audience::Application, Some(app)) => {
                let app = input::path_segment("app_id", app)?.to_owned();
                self.ready_for_application_role(
                    &app,
                    &name,
                    &permissions,
                    req.switch_application_audience,
                )
                .await?;
                Some(types::RoleCreationObjectV2Audience {
                    type_: Some(types::RoleCreationObjectV2AudienceType::Application),
                    value: Some(app),
                })
            }
            (Audience::Application, None) => {
                return Err(ToolError::invalid(
                    "app_id",
                    "an application role needs the application's id",
                ));
            }
            (Audience::Organization, Some(_)) => {
                return Err(ToolError::invalid(
                    "app_id",
                    "only an application role (audience `application`) takes an app_id",
                ));
            }
            (Audience::Organization, None) => None,
        };
        let body = types::RoleCreationObjectV2 {
            audience,
            display_name: name.clone(),
            groups: Vec::new(),
            permissions: permissions
                .iter()
                .map(|p| types::RoleCreationObjectV2PermissionsItem {
                    value: Some(p.clone()),
                    display: None,
                })
                .collect(),
            schemas: vec![ROLE_SCHEMA.to_owned()],
            users: Vec::new(),
        };
        let written = self
            .upstream
            .roles()
            .create_role_v2()
            .body(body)
            .send()
            .await
            .or_explain_optional::<types::RolePostResponseObjectV2>(format!(
                "creating role `{name}`"
            ))
            .await;
        let written = Self::roles_api_hint(written)?;
        let id = match written {
            Answered::Written(Written::Read(created)) => created.id,
            Answered::Written(Written::Unreadable { location, .. })
            | Answered::Empty {
                status: 201,
                location,
            } => id_from_location(location.as_deref()),
            // A workflow holds the role for an approver (`RoleResourceV2Manager.createRole`).
            Answered::Empty { status, .. } => {
                return Ok(Json(RoleDetails::unread(
                    "pending",
                    name,
                    permissions,
                    format!(
                        "The server accepted the role ({status}) and a workflow holds it for approval: it exists once an approver accepts it."
                    ),
                )));
            }
        };
        let Some(id) = id else {
            let note = format!(
                "The role was created, but the server's answer did not say its id; list_roles with name_starts_with `{name}` shows it."
            );
            return Ok(Json(RoleDetails::unread(
                "unknown",
                name,
                permissions,
                note,
            )));
        };
        Ok(Json(self.read_role(&id).await?))
    }

    /// Give a role to users and groups. Returns the role's members before and after.
    #[tool(annotations(
        title = "Assign role",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn assign_role(
        &self,
        Parameters(req): Parameters<AssignmentRequest>,
    ) -> Result<Json<RoleAssignment>, ToolError> {
        Ok(Json(self.change_assignment(req, true).await?))
    }

    /// Take a role away from users and groups. Confirmed with the person first; returns the
    /// role's members before and after.
    #[tool(annotations(
        title = "Unassign role",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn unassign_role(
        &self,
        Parameters(req): Parameters<AssignmentRequest>,
    ) -> Result<Json<RoleAssignment>, ToolError> {
        Ok(Json(self.change_assignment(req, false).await?))
    }

    /// Delete a role; its users and groups lose it. Confirmed with the person first; returns
    /// the role as it was.
    #[tool(annotations(
        title = "Delete role",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn delete_role(
        &self,
        Parameters(req): Parameters<RoleIdRequest>,
    ) -> Result<Json<DeletedRole>, ToolError> {
        let id = input::path_segment("role_id", &req.role_id)?.to_owned();
        let _guard = self.lock("role", &id).await;
        let role = self.read_role(&id).await?;
        intend(
            format!(
                "Delete role \"{}\" (id {id}), held by {} user(s) and {} group(s)",
                role.name.as_deref().unwrap_or_default(),
                role.users.len(),
                role.groups.len()
            ),
            &role,
            &(),
        )?;
        let deleted = self
            .upstream
            .roles()
            .delete_role_v2()
            .id(&id)
            .send()
            .await
            .or_explain_write(format!("deleting role {id}"))
            .await;
        Self::roles_api_hint(deleted)?;
        Ok(Json(DeletedRole { deleted: role }))
    }
}

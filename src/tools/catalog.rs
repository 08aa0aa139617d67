//! Which toolset each tool belongs to, whether it writes, and which API operations it may
//! call (and so which WSO2 scopes it needs). The server decides what to expose from this table
//! alone, before any tool's schema is built; a test checks it against the routers and their
//! annotations, so a tool cannot exist without its scopes and access being declared.

use crate::api::scopes_of;

/// Whether a tool changes anything (its `readOnlyHint`), and whether what it changes can be
/// lost for good (its `destructiveHint`: deletes, secret rotation, unassignments, revocations),
/// which the server confirms with the person before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Destructive,
}

use Access::{Destructive, Read, Write};

/// A tool's place in the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct ToolEntry {
    pub name: &'static str,
    pub toolset: &'static str,
    pub access: Access,
    /// The API operations (operationIds) the tool may call.
    pub operations: &'static [&'static str],
    /// Scopes the token is asked for so the tool can do everything it offers, though the tool
    /// works without them (`set_login_flow` writes a script only for conditional flows).
    pub optional_scopes: &'static [&'static str],
    /// Operations the tool calls on some paths only; their scopes are asked for, not required
    /// (`create_m2m_app` regenerates the first secret where the server hides it).
    pub optional_operations: &'static [&'static str],
}

const fn tool(
    name: &'static str,
    toolset: &'static str,
    access: Access,
    operations: &'static [&'static str],
) -> ToolEntry {
    ToolEntry {
        name,
        toolset,
        access,
        operations,
        optional_scopes: &[],
        optional_operations: &[],
    }
}

impl ToolEntry {
    const fn also_asking(mut self, scopes: &'static [&'static str]) -> Self {
        self.optional_scopes = scopes;
        self
    }

    const fn also_calling(mut self, operations: &'static [&'static str]) -> Self {
        self.optional_operations = operations;
        self
    }
}

/// What a confidential client's create calls when the server hides its first secret.
const FIRST_SECRET: &[&str] = &["regenerateOauthClientSecret"];
const SECRET_VIEW: &[&str] = &[crate::api::CLIENT_SECRET_VIEW_SCOPE];
/// What changing an application's API authorizations also needs from IS 7.2, by the API's type.
const API_AUTHORIZATION: &[&str] = &[
    crate::api::BUSINESS_API_AUTHORIZATION_SCOPE,
    crate::api::INTERNAL_API_AUTHORIZATION_SCOPE,
];

/// What reading one application whole calls: a lookup, then the application, its OIDC settings
/// and its authorized APIs.
const APPLICATION_DETAILS: &[&str] = &[
    "getAllApplications",
    "getApplication",
    "getInboundOauthConfiguration",
    "getAuthorizedApis",
];

pub const TOOLSETS: [&str; 8] = [
    "applications",
    "api_resources",
    "users",
    "groups",
    "roles",
    "connections",
    "claims",
    "login_flow",
];

/// What a destructive application tool reads to say what it deletes.
const APP_SNAPSHOT: [&str; 3] = [
    "getApplication",
    "getInboundOauthConfiguration",
    "getAuthorizedApis",
];

/// Every tool.
pub const CATALOG: &[ToolEntry] = &[
    tool(
        "list_applications",
        "applications",
        Read,
        &["getAllApplications"],
    ),
    tool(
        "create_single_page_app",
        "applications",
        Write,
        &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    ),
    tool(
        "create_webapp_with_ssr",
        "applications",
        Write,
        &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    )
    .also_calling(FIRST_SECRET)
    .also_asking(SECRET_VIEW),
    tool(
        "create_mobile_app",
        "applications",
        Write,
        &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    ),
    tool(
        "create_m2m_app",
        "applications",
        Write,
        &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    )
    .also_calling(FIRST_SECRET)
    .also_asking(SECRET_VIEW),
    tool(
        "get_application_by_name",
        "applications",
        Read,
        APPLICATION_DETAILS,
    ),
    tool(
        "get_application_by_client_id",
        "applications",
        Read,
        APPLICATION_DETAILS,
    ),
    tool(
        "get_integration_guide",
        "applications",
        Read,
        APPLICATION_DETAILS,
    ),
    tool(
        "update_application_basic_info",
        "applications",
        Write,
        &["getApplication", "patchApplication"],
    ),
    tool(
        "update_application_oauth_config",
        "applications",
        Write,
        &[
            "getApplication",
            "getInboundOauthConfiguration",
            "updateInboundOauthConfiguration",
        ],
    ),
    tool(
        "update_application_claim_config",
        "applications",
        Write,
        &[
            "getLocalClaims",
            "getExternalClaims",
            "getApplication",
            "patchApplication",
        ],
    ),
    tool(
        "authorize_api",
        "applications",
        Write,
        &["addAuthorizedApi"],
    )
    .also_asking(API_AUTHORIZATION),
    tool(
        "list_authorized_api",
        "applications",
        Read,
        &["getAuthorizedApis"],
    ),
    tool(
        "update_login_flow",
        "login_flow",
        Write,
        &[
            "getAuthenticators",
            "getApplication",
            "generateLoginFlow",
            "getLoginFlowGenerationStatus",
            "getLoginFlowGenerationResult",
            "patchApplication",
        ],
    )
    .also_asking(&[crate::wso2::APPLICATION_SCRIPT_SCOPE]),
    tool(
        "list_api_resources",
        "api_resources",
        Read,
        &["getAPIResources"],
    ),
    tool(
        "search_api_resources_by_name",
        "api_resources",
        Read,
        &["getAPIResources"],
    ),
    tool(
        "get_api_resource_by_identifier",
        "api_resources",
        Read,
        &["getAPIResources", "getAPIResource"],
    ),
    tool(
        "create_api_resource",
        "api_resources",
        Write,
        &["addAPIResource", "getAPIResource"],
    ),
    tool(
        "delete_application",
        "applications",
        Destructive,
        &[
            APP_SNAPSHOT[0],
            APP_SNAPSHOT[1],
            APP_SNAPSHOT[2],
            "deleteApplication",
        ],
    ),
    tool(
        "regenerate_client_secret",
        "applications",
        Destructive,
        &[
            "getInboundOauthConfiguration",
            "regenerateOauthClientSecret",
        ],
    ),
    tool(
        "revoke_api_authorization",
        "applications",
        Destructive,
        &["getAuthorizedApis", "deleteAuthorizedApi"],
    )
    .also_asking(API_AUTHORIZATION),
    tool(
        "update_authorized_scopes",
        "applications",
        Destructive,
        &["getAuthorizedApis", "patchAuthorizedApi"],
    )
    .also_asking(API_AUTHORIZATION),
    tool(
        "update_api_resource",
        "api_resources",
        Destructive,
        &[
            "getAPIResource",
            "patchAPIResource",
            "deleteAPIResourceScope",
        ],
    ),
    tool(
        "delete_api_resource",
        "api_resources",
        Destructive,
        &["getAPIResource", "deleteAPIResource"],
    ),
    tool(
        "list_login_options",
        "login_flow",
        Read,
        &["getAuthenticators", "getIdps"],
    ),
    tool(
        "set_login_flow",
        "login_flow",
        Write,
        &[
            "getAuthenticators",
            "getIdps",
            "getApplication",
            "patchApplication",
        ],
    )
    .also_asking(&[crate::wso2::APPLICATION_SCRIPT_SCOPE]),
    tool("create_user", "users", Write, &["createUser"]),
    tool("list_users", "users", Read, &["listUsers"]),
    tool("get_user", "users", Read, &["getUserById"]),
    tool("update_user", "users", Write, &["getUserById", "patchUser"]),
    tool(
        "delete_user",
        "users",
        Destructive,
        &["getUserById", "deleteUser"],
    ),
    tool("list_groups", "groups", Read, &["listGroups"]),
    tool(
        "create_group",
        "groups",
        Write,
        &["createGroup", "getGroupById"],
    ),
    tool(
        "add_group_members",
        "groups",
        Write,
        &["getGroupById", "getUserById", "patchGroup"],
    ),
    tool(
        "remove_group_members",
        "groups",
        Destructive,
        &["getGroupById", "patchGroup"],
    ),
    tool(
        "delete_group",
        "groups",
        Destructive,
        &["getGroupById", "deleteGroup"],
    ),
    tool("list_roles", "roles", Read, &["listRolesV2"]),
    tool(
        "create_role",
        "roles",
        Write,
        &["createRoleV2", "getRoleByIdV2"],
    )
    .also_calling(&["getApplication", "getAuthorizedApis", "patchApplication"]),
    tool(
        "assign_role",
        "roles",
        Write,
        &["getRoleByIdV2", "patchRoleV2"],
    ),
    tool(
        "unassign_role",
        "roles",
        Destructive,
        &["getRoleByIdV2", "patchRoleV2"],
    ),
    tool(
        "delete_role",
        "roles",
        Destructive,
        &["getRoleByIdV2", "deleteRoleV2"],
    ),
    tool(
        "create_social_connection",
        "connections",
        Write,
        &["addIdp"],
    ),
    tool("create_oidc_connection", "connections", Write, &["addIdp"]),
    tool("list_connections", "connections", Read, &["getIdps"]),
    tool(
        "get_connection",
        "connections",
        Read,
        &["getIdp", "getIdpConnectedApps"],
    ),
    tool(
        "delete_connection",
        "connections",
        Destructive,
        &["getIdp", "getIdpConnectedApps", "deleteIdp"],
    ),
    tool(
        "list_claims",
        "claims",
        Read,
        &["getLocalClaims", "getExternalClaims"],
    ),
];

pub fn catalog_entry(tool: &str) -> Option<&'static ToolEntry> {
    CATALOG.iter().find(|e| e.name == tool)
}

/// The WSO2 scopes a tool needs: the union of its operations' scopes, sorted.
pub fn required_scopes(tool: &str) -> Vec<&'static str> {
    scopes_of(
        catalog_entry(tool)
            .into_iter()
            .flat_map(|e| e.operations.iter().copied()),
    )
}

/// The WSO2 scopes a set of tools needs together, with the optional ones they can use: what
/// the token is requested with.
pub fn scopes_for<'a>(tools: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let entries: Vec<&ToolEntry> = tools.into_iter().filter_map(catalog_entry).collect();
    let mut scopes = scopes_of(entries.iter().flat_map(|e| {
        e.operations
            .iter()
            .chain(e.optional_operations.iter())
            .copied()
    }));
    scopes.extend(
        entries
            .iter()
            .flat_map(|e| e.optional_scopes.iter().copied()),
    );
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// The scope a person's token needs for a tool in remote mode (`serve --http`): one read and
/// one write scope per toolset, `mcp:<toolset>:read|write`; destructive tools need the write
/// scope (and are still confirmed).
pub fn remote_scope(tool: &str) -> Option<String> {
    catalog_entry(tool).map(|e| {
        let level = if e.access == Read { "read" } else { "write" };
        format!("mcp:{}:{level}", e.toolset)
    })
}

/// The remote-mode scope that lets a person change the server's own registration (its API
/// resource, its client applications, the roles granting `mcp:` scopes), which the write scopes
/// alone never do.
pub const REMOTE_ADMIN_SCOPE: &str = "mcp:admin";

/// Every remote-mode scope some tool needs, toolset by toolset (read before write), then
/// [`REMOTE_ADMIN_SCOPE`]; derived from the catalogue once.
pub fn remote_scopes() -> &'static [String] {
    static SCOPES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SCOPES.get_or_init(|| {
        let mut scopes: Vec<String> = Vec::new();
        for set in TOOLSETS {
            for level in [Read, Write] {
                let needed = CATALOG
                    .iter()
                    .any(|e| e.toolset == set && (e.access == Read) == (level == Read));
                let scope = format!("mcp:{set}:{}", if level == Read { "read" } else { "write" });
                if needed && !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
        scopes.push(REMOTE_ADMIN_SCOPE.to_owned());
        scopes
    })
}

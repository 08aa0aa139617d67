//! Which toolset each tool belongs to, whether it writes, and which API operations it may
//! call (and so which WSO2 scopes it needs). The server decides what to expose from this table
//! alone, before any tool's schema is built; a test checks it against the routers and their
//! annotations, so a tool cannot exist without its scopes and access being declared.

use crate::api::scopes_of;

/// Whether a tool changes anything (its `readOnlyHint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

use Access::{Read, Write};

/// A tool's place in the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct ToolEntry {
    pub name: &'static str,
    pub toolset: &'static str,
    pub access: Access,
    /// The API operations (operationIds) the tool may call.
    pub operations: &'static [&'static str],
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
    }
}

pub const TOOLSETS: [&str; 5] = [
    "applications",
    "api_resources",
    "users",
    "claims",
    "login_flow",
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
    ),
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
    ),
    tool(
        "get_application_by_name",
        "applications",
        Read,
        &[
            "getAllApplications",
            "getApplication",
            "getInboundOauthConfiguration",
            "getAuthorizedApis",
        ],
    ),
    tool(
        "get_application_by_client_id",
        "applications",
        Read,
        &[
            "getAllApplications",
            "getApplication",
            "getInboundOauthConfiguration",
            "getAuthorizedApis",
        ],
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
    ),
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
    ),
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
    tool("create_user", "users", Write, &["createUser"]),
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

/// The WSO2 scopes a set of tools needs together: what the token is requested with.
pub fn scopes_for<'a>(tools: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let operations: Vec<&'static str> = tools
        .into_iter()
        .filter_map(catalog_entry)
        .flat_map(|e| e.operations.iter().copied())
        .collect();
    scopes_of(operations)
}

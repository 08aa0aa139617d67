//! Which toolset each tool belongs to and which API operations it may call, and so which
//! WSO2 scopes it needs. A test checks this table against the routers, so a tool cannot exist
//! without its scopes being declared.

use crate::api::scopes_of;

/// A tool's place in the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct ToolEntry {
    pub name: &'static str,
    pub toolset: &'static str,
    /// The API operations (operationIds) the tool may call.
    pub operations: &'static [&'static str],
}

pub const TOOLSETS: [&str; 5] = [
    "applications",
    "api_resources",
    "users",
    "claims",
    "login_flow",
];

/// Every tool, its toolset and the operations it calls. A test checks this table against
/// the routers, so a tool cannot exist without its scopes being declared.
pub const CATALOG: &[ToolEntry] = &[
    ToolEntry {
        name: "list_applications",
        toolset: "applications",
        operations: &["getAllApplications"],
    },
    ToolEntry {
        name: "create_single_page_app",
        toolset: "applications",
        operations: &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    },
    ToolEntry {
        name: "create_webapp_with_ssr",
        toolset: "applications",
        operations: &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    },
    ToolEntry {
        name: "create_mobile_app",
        toolset: "applications",
        operations: &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    },
    ToolEntry {
        name: "create_m2m_app",
        toolset: "applications",
        operations: &[
            "createApplication",
            "getInboundOauthConfiguration",
            "getAllApplications",
        ],
    },
    ToolEntry {
        name: "get_application_by_name",
        toolset: "applications",
        operations: &[
            "getAllApplications",
            "getApplication",
            "getInboundOauthConfiguration",
            "getAuthorizedApis",
        ],
    },
    ToolEntry {
        name: "get_application_by_client_id",
        toolset: "applications",
        operations: &[
            "getAllApplications",
            "getApplication",
            "getInboundOauthConfiguration",
            "getAuthorizedApis",
        ],
    },
    ToolEntry {
        name: "update_application_basic_info",
        toolset: "applications",
        operations: &["getApplication", "patchApplication"],
    },
    ToolEntry {
        name: "update_application_oauth_config",
        toolset: "applications",
        operations: &[
            "getApplication",
            "getInboundOauthConfiguration",
            "updateInboundOauthConfiguration",
        ],
    },
    ToolEntry {
        name: "update_application_claim_config",
        toolset: "applications",
        operations: &[
            "getLocalClaims",
            "getExternalClaims",
            "getApplication",
            "patchApplication",
        ],
    },
    ToolEntry {
        name: "authorize_api",
        toolset: "applications",
        operations: &["addAuthorizedApi"],
    },
    ToolEntry {
        name: "list_authorized_api",
        toolset: "applications",
        operations: &["getAuthorizedApis"],
    },
    ToolEntry {
        name: "update_login_flow",
        toolset: "login_flow",
        operations: &[
            "getAuthenticators",
            "getApplication",
            "generateLoginFlow",
            "getLoginFlowGenerationStatus",
            "getLoginFlowGenerationResult",
            "patchApplication",
        ],
    },
    ToolEntry {
        name: "list_api_resources",
        toolset: "api_resources",
        operations: &["getAPIResources"],
    },
    ToolEntry {
        name: "search_api_resources_by_name",
        toolset: "api_resources",
        operations: &["getAPIResources"],
    },
    ToolEntry {
        name: "get_api_resource_by_identifier",
        toolset: "api_resources",
        operations: &["getAPIResources", "getAPIResource"],
    },
    ToolEntry {
        name: "create_api_resource",
        toolset: "api_resources",
        operations: &["addAPIResource", "getAPIResource"],
    },
    ToolEntry {
        name: "create_user",
        toolset: "users",
        operations: &["createUser"],
    },
    ToolEntry {
        name: "list_claims",
        toolset: "claims",
        operations: &["getLocalClaims", "getExternalClaims"],
    },
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

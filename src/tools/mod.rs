//! The MCP tools, one module per toolset, each with its own router; `catalog` says which
//! toolset each tool belongs to and which API operations it calls (and so which scopes it needs).

pub mod api_resources;
pub mod applications;
pub mod claims;
mod failure;
pub mod login_flow;
pub mod oidc;
pub mod users;

use serde::Serialize;

pub use failure::ToolError;

use crate::upstream::operation_scopes;

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
pub const CATALOG: [ToolEntry; 19] = [
    ToolEntry {
        name: "list_applications",
        toolset: "applications",
        operations: &["getAllApplications"],
    },
    ToolEntry {
        name: "create_single_page_app",
        toolset: "applications",
        operations: &["createApplication", "getInboundOauthConfiguration"],
    },
    ToolEntry {
        name: "create_webapp_with_ssr",
        toolset: "applications",
        operations: &["createApplication", "getInboundOauthConfiguration"],
    },
    ToolEntry {
        name: "create_mobile_app",
        toolset: "applications",
        operations: &["createApplication", "getInboundOauthConfiguration"],
    },
    ToolEntry {
        name: "create_m2m_app",
        toolset: "applications",
        operations: &["createApplication", "getInboundOauthConfiguration"],
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
        operations: &["addAPIResource"],
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
    let mut scopes: Vec<&'static str> = catalog_entry(tool)
        .into_iter()
        .flat_map(|e| {
            e.operations
                .iter()
                .flat_map(|op| operation_scopes(op).iter().copied())
        })
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// The OAuth/OIDC endpoints of the organization, as a created application needs them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OauthEndpoints {
    pub base_url: String,
    pub authorize_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub userinfo_url: String,
    pub logout_url: String,
    pub introspection_url: String,
    pub discovery_url: String,
}

impl OauthEndpoints {
    pub fn for_base(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            authorize_url: format!("{base_url}/oauth2/authorize"),
            token_url: format!("{base_url}/oauth2/token"),
            jwks_url: format!("{base_url}/oauth2/jwks"),
            userinfo_url: format!("{base_url}/oauth2/userinfo"),
            logout_url: format!("{base_url}/oidc/logout"),
            introspection_url: format!("{base_url}/oauth2/introspect"),
            discovery_url: format!("{base_url}/oauth2/token/.well-known/openid-configuration"),
        }
    }
}

/// Checks an identifier that goes into a URL path: no `/`, no `..`, no control characters,
/// bounded length. Returns it unchanged; the generated client percent-encodes it.
pub fn path_segment<'a>(argument: &str, value: &'a str) -> Result<&'a str, ToolError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ToolError::invalid(argument, "must not be empty"));
    }
    if value.len() > 256 {
        return Err(ToolError::invalid(
            argument,
            "is longer than 256 characters",
        ));
    }
    if value.contains('/')
        || value.contains('\\')
        || value == "."
        || value.contains("..")
        || value.chars().any(char::is_control)
    {
        return Err(ToolError::invalid(
            argument,
            "must be a single identifier: no `/`, `\\`, `..` or control characters",
        ));
    }
    Ok(value)
}

/// Bounds a free-text argument.
pub fn bounded<'a>(argument: &str, value: &'a str, max: usize) -> Result<&'a str, ToolError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ToolError::invalid(argument, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(ToolError::invalid(
            argument,
            &format!("is longer than {max} characters"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ToolError::invalid(argument, "contains control characters"));
    }
    Ok(trimmed)
}

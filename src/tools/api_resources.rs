//! API resources: list with cursors, search by name (every page), get by identifier with its
//! scopes, create with scopes.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{schemars, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolError, bounded};
use crate::api::api_resources::types;
use crate::server::AsgardeoServer;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApiResourcesRequest {
    /// A filter such as `name eq Orders API`, `identifier sw https://api` or `name co order`.
    #[serde(default)]
    pub filter: Option<String>,
    /// How many to return (1 to 100, default 20).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `previous_cursor` of a previous call: the page before it.
    #[serde(default)]
    pub before: Option<String>,
    /// The `next_cursor` of a previous call: the page after it.
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchByNameRequest {
    /// Text the API resource's name contains (case-sensitive, as the server compares).
    pub name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByIdentifierRequest {
    /// The API resource's identifier (its audience), e.g. `https://api.example.com/orders`.
    pub identifier: String,
}

/// A scope of a new API resource: just its name, or its name with a display name and description.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScopeInput {
    Name(String),
    Detailed {
        /// The scope's name, e.g. `read:orders` (no spaces; unique in the organization).
        name: String,
        /// A readable name; defaults to the name.
        #[serde(default, rename = "displayName")]
        display_name: Option<String>,
        /// What the scope allows.
        #[serde(default)]
        description: Option<String>,
    },
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiResourceRequest {
    /// The API's identifier (audience), usually its base URL, e.g. `https://api.example.com/orders`.
    pub identifier: String,
    /// A readable name for the API.
    pub name: String,
    /// Whether calls need an authorized application (default true).
    #[serde(rename = "requiresAuthorization", default = "default_true")]
    pub requires_authorization: bool,
    /// The API's scopes: names such as `read:orders`, or objects with name, displayName, description.
    #[serde(default)]
    pub scopes: Vec<ScopeInput>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiResourceSummary {
    pub id: String,
    pub name: String,
    pub identifier: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_authorization: Option<bool>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiResourcePage {
    pub api_resources: Vec<ApiResourceSummary>,
    /// How many API resources match in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Pass as `before` for the previous page; absent on the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ScopeDetails {
    pub id: String,
    pub name: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiResourceDetails {
    pub id: String,
    pub name: String,
    pub identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_authorization: Option<bool>,
    pub scopes: Vec<ScopeDetails>,
}

fn cursor_from(links: &[types::PaginationLink], rel: &str, key: &str) -> Option<String> {
    let href = links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))?
        .href
        .as_deref()?;
    let query = href.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .map(|v| {
            v.replace("%3D", "=")
                .replace("%2B", "+")
                .replace("%2F", "/")
        })
}

fn summary(item: types::ApiResourceListItem) -> ApiResourceSummary {
    ApiResourceSummary {
        id: item.id.unwrap_or_default(),
        name: item.name.unwrap_or_default(),
        identifier: item.identifier.unwrap_or_default(),
        kind: item.type_,
        requires_authorization: item.requires_authorization,
    }
}

fn details(r: types::ApiResourceResponse) -> ApiResourceDetails {
    ApiResourceDetails {
        id: r.id,
        name: r.name,
        identifier: r.identifier,
        description: r.description,
        kind: r.type_,
        requires_authorization: r.requires_authorization,
        scopes: r
            .scopes
            .into_iter()
            .map(|s| ScopeDetails {
                id: s.id,
                name: s.name,
                display_name: s.display_name,
                description: s.description,
            })
            .collect(),
    }
}

/// Filter values are single words or quoted; a quote inside would end the value early.
fn filter_value(argument: &str, value: &str) -> Result<String, ToolError> {
    let value = bounded(argument, value, 255)?;
    if value.contains('"') {
        return Err(ToolError::invalid(argument, "must not contain `\"`"));
    }
    Ok(value.to_owned())
}

impl AsgardeoServer {
    async fn api_page(
        &self,
        filter: Option<String>,
        limit: u32,
        before: Option<String>,
        after: Option<String>,
    ) -> Result<ApiResourcePage, ToolError> {
        let client = self.upstream.api_resources();
        let mut call = client.get_api_resources().limit(i64::from(limit));
        if let Some(f) = filter {
            call = call.filter(f);
        }
        if let Some(b) = before {
            call = call.before(b);
        }
        if let Some(a) = after {
            call = call.after(a);
        }
        let page = match call.send().await {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    "listing API resources",
                    e,
                    self.upstream.base_url(),
                )
                .await);
            }
        };
        Ok(ApiResourcePage {
            next_cursor: cursor_from(&page.links, "next", "after"),
            previous_cursor: cursor_from(&page.links, "previous", "before"),
            total: page.total_results,
            api_resources: page.api_resources.into_iter().map(summary).collect(),
        })
    }
}

#[tool_router(router = api_resources_router, vis = "pub(crate)")]
impl AsgardeoServer {
    /// List API resources in Asgardeo a page at a time, with optional filter; returns cursors for
    /// the next and previous pages and the total.
    #[tool(annotations(
        title = "List API resources",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_api_resources(
        &self,
        Parameters(req): Parameters<ListApiResourcesRequest>,
    ) -> Result<Json<ApiResourcePage>, ToolError> {
        let limit = req.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(ToolError::invalid("limit", "must be between 1 and 100"));
        }
        if req.before.is_some() && req.after.is_some() {
            return Err(ToolError::invalid(
                "before",
                "cannot be combined with `after`",
            ));
        }
        let filter = req
            .filter
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .map(|f| bounded("filter", f, 512).map(str::to_owned))
            .transpose()?;
        let cursor = |arg: &str, v: Option<String>| {
            v.filter(|c| !c.is_empty())
                .map(|c| bounded(arg, &c, 512).map(str::to_owned))
                .transpose()
        };
        let page = self
            .api_page(
                filter,
                limit,
                cursor("before", req.before)?,
                cursor("after", req.after)?,
            )
            .await?;
        Ok(Json(page))
    }

    /// Find API resources whose name contains the given text, across every page.
    #[tool(annotations(
        title = "Search API resources by name",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn search_api_resources_by_name(
        &self,
        Parameters(req): Parameters<SearchByNameRequest>,
    ) -> Result<Json<ApiResourcePage>, ToolError> {
        let name = filter_value("name", &req.name)?;
        let mut found = Vec::new();
        let mut after = None;
        let mut total = None;
        // Bounded: a search returns at most 1000 matches, and says so if there are more.
        for _ in 0..10 {
            let page = self
                .api_page(Some(format!("name co {name}")), 100, None, after.take())
                .await?;
            total = page.total;
            found.extend(page.api_resources);
            match page.next_cursor {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(Json(ApiResourcePage {
            api_resources: found,
            total,
            next_cursor: after,
            previous_cursor: None,
        }))
    }

    /// Get an API resource by its identifier (audience), with its scopes.
    #[tool(annotations(
        title = "Get API resource by identifier",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn get_api_resource_by_identifier(
        &self,
        Parameters(req): Parameters<ByIdentifierRequest>,
    ) -> Result<Json<ApiResourceDetails>, ToolError> {
        let identifier = filter_value("identifier", &req.identifier)?;
        let page = self
            .api_page(Some(format!("identifier eq {identifier}")), 2, None, None)
            .await?;
        let Some(found) = page
            .api_resources
            .into_iter()
            .find(|r| r.identifier == identifier)
        else {
            return Err(ToolError::not_found(format!(
                "an API resource with identifier `{identifier}`; list_api_resources shows those that exist"
            )));
        };
        match self
            .upstream
            .api_resources()
            .get_api_resource()
            .api_resource_id(&found.id)
            .send()
            .await
        {
            Ok(r) => Ok(Json(details(r.into_inner()))),
            Err(e) => Err(ToolError::upstream(
                &format!("reading API resource {}", found.id),
                e,
                self.upstream.base_url(),
            )
            .await),
        }
    }

    /// Create an API resource (an API your applications call) with its scopes.
    #[tool(annotations(
        title = "Create API resource",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_api_resource(
        &self,
        Parameters(req): Parameters<CreateApiResourceRequest>,
    ) -> Result<Json<ApiResourceDetails>, ToolError> {
        let identifier = bounded("identifier", &req.identifier, 1024)?.to_owned();
        let name = bounded("name", &req.name, 255)?.to_owned();
        let mut scopes = Vec::new();
        for scope in &req.scopes {
            let (scope_name, display, description) = match scope {
                ScopeInput::Name(n) => (n.as_str(), None, None),
                ScopeInput::Detailed {
                    name,
                    display_name,
                    description,
                } => (
                    name.as_str(),
                    display_name.as_deref(),
                    description.as_deref(),
                ),
            };
            let scope_name = bounded("scopes", scope_name, 255)?;
            if scope_name.chars().any(char::is_whitespace) {
                return Err(ToolError::invalid(
                    "scopes",
                    &format!("scope name `{scope_name}` contains a space"),
                ));
            }
            scopes.push(types::ScopeCreationModel {
                name: scope_name.to_owned(),
                display_name: Some(display.map_or_else(|| scope_name.to_owned(), str::to_owned)),
                description: description.map(str::to_owned),
            });
        }
        let body = types::ApiResourceCreationModel::builder()
            .identifier(identifier.clone())
            .name(name)
            .requires_authorization(Some(req.requires_authorization))
            .scopes(scopes);
        match self
            .upstream
            .api_resources()
            .add_api_resource()
            .body(body)
            .send()
            .await
        {
            Ok(r) => {
                let created = r.into_inner();
                self.audit_write("create api resource", &created.id, "ok");
                Ok(Json(details(created)))
            }
            Err(e) => {
                self.audit_write("create api resource", &identifier, "failed");
                Err(ToolError::upstream(
                    &format!("creating API resource `{identifier}`"),
                    e,
                    self.upstream.base_url(),
                )
                .await)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_from_links() {
        let links = vec![
            types::PaginationLink {
                href: Some("https://x/t/o/api/server/v1/api-resources?limit=10&after=MTA=".into()),
                rel: Some("next".into()),
            },
            types::PaginationLink {
                href: Some(
                    "https://x/t/o/api/server/v1/api-resources?limit=10&before=MQ%3D%3D".into(),
                ),
                rel: Some("previous".into()),
            },
        ];
        assert_eq!(
            cursor_from(&links, "next", "after").as_deref(),
            Some("MTA=")
        );
        assert_eq!(
            cursor_from(&links, "previous", "before").as_deref(),
            Some("MQ==")
        );
    }

    #[test]
    fn scopes_accept_names_or_objects() {
        let req: CreateApiResourceRequest = serde_json::from_value(serde_json::json!({
            "identifier": "https://api", "name": "API", "requiresAuthorization": true,
            "scopes": ["read:customers", { "name": "write:customers", "displayName": "Write" }]
        }))
        .unwrap();
        assert!(matches!(&req.scopes[0], ScopeInput::Name(n) if n == "read:customers"));
        assert!(
            matches!(&req.scopes[1], ScopeInput::Detailed { name, .. } if name == "write:customers")
        );
    }
}

//! Reading API resources: a page with cursors, a name search across every page, one by its
//! identifier with its scopes.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{ApiResourceDetails, ApiResourcePage, ApiResourceSummary, details};
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::filter::{self, Filter, Op};

/// Pages a search reads at most (100 a page).
const SEARCH_PAGES: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApiResourcesRequest {
    /// E.g. `name eq "Orders API"` or `identifier sw https://api`; `and` only, no `or`/`not`.
    #[serde(default)]
    pub filter: Option<String>,
    /// How many to return, 1 to 100 (default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `previous_cursor` of a previous call: the page before it.
    #[serde(default)]
    pub before: Option<String>,
    /// `next_cursor` of a previous call: the page after it.
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchByNameRequest {
    /// Text the API resource's name contains (case-sensitive).
    pub name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByIdentifierRequest {
    /// The API resource's identifier (its audience), e.g. `https://api.example.com/orders`.
    pub identifier: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiResourceSearch {
    pub api_resources: Vec<ApiResourceSummary>,
    /// How many API resources matched the server's search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// True when the search stopped before the last page (narrow the text to see the rest).
    pub truncated: bool,
}

/// A cursor as the server issued it: base64 text of bounded length.
fn cursor(argument: &str, value: Option<String>) -> Result<Option<String>, ToolError> {
    let Some(value) = value.filter(|c| !c.trim().is_empty()) else {
        return Ok(None);
    };
    let value = value.trim();
    if value.len() > 512
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_'))
    {
        return Err(ToolError::invalid(
            argument,
            "is not a cursor this tool returned",
        ));
    }
    Ok(Some(value.to_owned()))
}

#[tool_router(router = api_resource_read_router, vis = "pub(super)")]
impl ToolContext {
    /// List API resources a page at a time, with an optional filter, paging cursors and the
    /// total.
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
        let before = cursor("before", req.before)?;
        let after = cursor("after", req.after)?;
        if before.is_some() && after.is_some() {
            return Err(ToolError::invalid(
                "before",
                "cannot be combined with `after`",
            ));
        }
        let filter = match req.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(f) => {
                let f = input::name("filter", f, 512)?;
                let parsed = filter::parse(f).map_err(|e| ToolError::invalid("filter", &e.0))?;
                // The server flattens the filter and ANDs every condition
                // (`FilterQueriesUtil`): `a or b` would silently mean `a and b`.
                if !parsed.is_conjunction() {
                    return Err(ToolError::invalid(
                        "filter",
                        "the API resources list joins every condition with `and` and has no `or` or `not` (the server would silently read `or` as `and`); list once per alternative instead",
                    ));
                }
                if let Some(bad) = parsed
                    .attributes()
                    .into_iter()
                    .find(|a| !matches!(*a, "name" | "identifier" | "type"))
                {
                    return Err(ToolError::invalid(
                        "filter",
                        &format!(
                            "the API resources list filters on name, identifier and type only, not `{bad}`"
                        ),
                    ));
                }
                Some(f.to_owned())
            }
        };
        Ok(Json(self.api_page(filter, limit, before, after).await?))
    }

    /// Find API resources whose name contains the given text, following the pages of results.
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
    ) -> Result<Json<ApiResourceSearch>, ToolError> {
        let name = input::name("name", &req.name, 255)?;
        let search = Filter::clause("name", Op::Co, name)
            .ok()
            .or_else(|| filter::searchable_fragment("name", name))
            .ok_or_else(|| ToolError::invalid("name", "cannot be searched for"))?;
        let mut found = Vec::new();
        let mut after = None;
        let mut total = None;
        let mut truncated = false;
        for page_number in 0..SEARCH_PAGES {
            let page = self
                .api_page(Some(search.to_string()), 100, None, after.take())
                .await?;
            total = page.total;
            found.extend(page.api_resources);
            match page.next_cursor {
                Some(next) if page_number + 1 == SEARCH_PAGES => {
                    truncated = true;
                    let _ = next;
                }
                Some(next) => after = Some(next),
                None => break,
            }
        }
        // A fragment search can match more than asked.
        found.retain(|r| r.name.as_deref().is_some_and(|n| n.contains(name)));
        Ok(Json(ApiResourceSearch {
            api_resources: found,
            total,
            truncated,
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
        let identifier = input::name("identifier", &req.identifier, 1024)?;
        let search = Filter::clause("identifier", Op::Eq, identifier)
            .ok()
            .or_else(|| filter::searchable_fragment("identifier", identifier))
            .ok_or_else(|| ToolError::invalid("identifier", "cannot be searched for"))?;
        let mut after = None;
        let mut found = None;
        for _ in 0..SEARCH_PAGES {
            let page = self
                .api_page(Some(search.to_string()), 100, None, after.take())
                .await?;
            found = page
                .api_resources
                .into_iter()
                .find(|r| r.identifier.as_deref() == Some(identifier));
            match (&found, page.next_cursor) {
                (None, Some(next)) => after = Some(next),
                _ => break,
            }
        }
        let Some(found) = found else {
            return Err(ToolError::not_found(format!(
                "an API resource with identifier `{identifier}`; list_api_resources shows those that exist"
            )));
        };
        let resource = self
            .upstream
            .api_resources()
            .get_api_resource()
            .api_resource_id(&found.id)
            .send()
            .await
            .or_explain(format!("reading API resource {}", found.id))
            .await?;
        Ok(Json(details(resource, &found.id)))
    }
}

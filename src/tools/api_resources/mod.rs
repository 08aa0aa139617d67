//! API resources: list with cursors, search by name across pages, get by identifier with its
//! scopes, create with scopes, update (name, description, scopes) and delete.

mod create;
mod read;
mod update;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::schemars::{self, JsonSchema};
use serde::Serialize;

use super::{OrExplain, ToolContext, ToolError};
use crate::api::api_resources::types;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::api_resource_read_router()
        + ToolContext::api_resource_create_router()
        + ToolContext::api_resource_update_router()
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiResourceSummary {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScopeDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApiResourceDetails {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_authorization: Option<bool>,
    pub scopes: Vec<ScopeDetails>,
    /// What could not be read back, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn summary(item: types::ApiResourceListItem) -> Option<ApiResourceSummary> {
    Some(ApiResourceSummary {
        id: item.id?,
        name: item.name,
        identifier: item.identifier,
        kind: item.type_,
        requires_authorization: item.requires_authorization,
    })
}

fn details(r: types::ApiResourceResponse, fallback_id: &str) -> ApiResourceDetails {
    ApiResourceDetails {
        id: r.id.unwrap_or_else(|| fallback_id.to_owned()),
        name: r.name,
        identifier: r.identifier,
        description: r.description,
        kind: r.type_,
        requires_authorization: r.requires_authorization,
        scopes: r
            .scopes
            .into_iter()
            .filter_map(|s| {
                Some(ScopeDetails {
                    name: s.name?,
                    id: s.id,
                    display_name: s.display_name,
                    description: s.description,
                })
            })
            .collect(),
        note: None,
    }
}

/// The value of `key` in the query of the link with relation `rel`.
fn cursor_from(links: &[types::PaginationLink], rel: &str, key: &str) -> Option<String> {
    let href = links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))?
        .href
        .as_deref()?;
    let url = url::Url::parse(href)
        .or_else(|_| url::Url::parse("http://relative.invalid/").and_then(|b| b.join(href)))
        .ok()?;
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

impl ToolContext {
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
        let page = call
            .send()
            .await
            .or_explain("listing API resources")
            .await?;
        Ok(ApiResourcePage {
            next_cursor: cursor_from(&page.links, "next", "after"),
            previous_cursor: cursor_from(&page.links, "previous", "before"),
            total: page.total_results,
            api_resources: page.api_resources.into_iter().filter_map(summary).collect(),
        })
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
                href: Some("/t/o/api/server/v1/api-resources?limit=10&before=MQ%3D%3D".into()),
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
}

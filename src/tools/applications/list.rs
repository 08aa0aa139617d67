//! `list_applications`: a page at a time with the total and a cursor, or every application at
//! once (the pages after the first fetched concurrently, a few at a time). Nothing is cut
//! silently.

use futures::{StreamExt, TryStreamExt};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;

use super::views::{ApplicationList, ApplicationSummary};
use crate::api::applications::types;
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::filter::{self, Filter, Op};

/// The most `all: true` returns; beyond it the tool says to narrow with `name_contains`.
const MAX_ALL: u64 = 10_000;
/// Pages fetched at once by `all: true`.
const CONCURRENT_PAGES: usize = 4;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApplicationsRequest {
    /// Applications per page, 1 to 100 (default 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Only applications whose name contains this text.
    #[serde(default)]
    pub name_contains: Option<String>,
    /// Include the Console and My Account portals (default false).
    #[serde(default)]
    pub include_system_portals: Option<bool>,
    /// Every application in one result (up to 10,000); ignores `limit` and `cursor`.
    #[serde(default)]
    pub all: Option<bool>,
}

/// A cursor is the offset of the next page, as this tool wrote it.
fn parse_cursor(cursor: Option<&str>) -> Result<u64, ToolError> {
    match cursor.map(str::trim) {
        None | Some("") => Ok(0),
        Some(c) => c
            .parse::<u32>()
            .map(u64::from)
            .map_err(|_| ToolError::invalid("cursor", "is not a cursor this tool returned")),
    }
}

struct Query {
    filter: Option<String>,
    exclude_portals: bool,
}

impl ToolContext {
    async fn application_page(
        &self,
        query: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<types::ApplicationListResponse, ToolError> {
        let client = self.upstream.applications();
        let mut call = client
            .get_all_applications()
            .limit(limit)
            .offset(offset as i64)
            .exclude_system_portals(query.exclude_portals)
            // The server answers client ids only when asked (ServerApplicationManagementService).
            .attributes("clientId");
        if let Some(f) = &query.filter {
            call = call.filter(f.clone());
        }
        call.send().await.or_explain("listing applications").await
    }
}

fn summaries(page: types::ApplicationListResponse) -> Vec<ApplicationSummary> {
    page.applications
        .into_iter()
        .filter_map(ApplicationSummary::from_item)
        .collect()
}

#[tool_router(router = application_list_router, vis = "pub(super)")]
impl ToolContext {
    /// List applications in Asgardeo (names, ids, client ids) a page at a time with the total and
    /// a cursor, or all of them with `all`.
    #[tool(annotations(
        title = "List applications",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn list_applications(
        &self,
        Parameters(req): Parameters<ListApplicationsRequest>,
    ) -> Result<Json<ApplicationList>, ToolError> {
        let limit = u64::from(req.limit.unwrap_or(50));
        if !(1..=100).contains(&limit) {
            return Err(ToolError::invalid("limit", "must be between 1 and 100"));
        }
        let offset = parse_cursor(req.cursor.as_deref())?;
        let filter = match req.name_contains.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let text = input::name("name_contains", text, 255)?;
                let clause = Filter::clause("name", Op::Co, text)
                    .ok()
                    .or_else(|| filter::searchable_fragment("name", text))
                    .ok_or_else(|| ToolError::invalid("name_contains", "cannot be searched for"))?;
                Some((clause.to_string(), text.to_owned()))
            }
        };
        let query = Query {
            filter: filter.as_ref().map(|(f, _)| f.clone()),
            exclude_portals: !req.include_system_portals.unwrap_or(false),
        };
        // A fragment search may match more than asked; keep only real matches.
        let keep = |apps: Vec<ApplicationSummary>| -> Vec<ApplicationSummary> {
            match &filter {
                Some((_, text)) => apps
                    .into_iter()
                    .filter(|a| a.name.as_deref().is_some_and(|n| n.contains(text.as_str())))
                    .collect(),
                None => apps,
            }
        };
        if req.all == Some(true) {
            let first = self.application_page(&query, 0, 100).await?;
            let page_size = (first.applications.len() as u64).max(1);
            let total = first
                .total_results
                .map_or(first.applications.len() as u64, |t| t.max(0) as u64);
            if total > MAX_ALL {
                return Err(ToolError::invalid(
                    "all",
                    &format!(
                        "the organization has {total} matching applications, more than {MAX_ALL}; narrow with `name_contains`, or page with `cursor`"
                    ),
                ));
            }
            let mut applications = summaries(first);
            let offsets: Vec<u64> = (1..total.div_ceil(page_size))
                .map(|i| i * page_size)
                .collect();
            let rest: Vec<types::ApplicationListResponse> = futures::stream::iter(offsets)
                .map(|offset| self.application_page(&query, offset, page_size))
                .buffered(CONCURRENT_PAGES)
                .try_collect()
                .await?;
            for page in rest {
                applications.extend(summaries(page));
            }
            return Ok(Json(ApplicationList {
                total,
                has_more: false,
                next_cursor: None,
                applications: keep(applications),
            }));
        }
        let page = self.application_page(&query, offset, limit).await?;
        let returned = page.applications.len() as u64;
        let total = page
            .total_results
            .map_or(offset + returned, |t| t.max(0) as u64);
        let has_more = returned > 0 && offset + returned < total;
        Ok(Json(ApplicationList {
            applications: keep(summaries(page)),
            total,
            has_more,
            next_cursor: has_more.then(|| (offset + returned).to_string()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_checked_here_not_upstream() {
        assert_eq!(parse_cursor(None).unwrap(), 0);
        assert_eq!(parse_cursor(Some("150")).unwrap(), 150);
        for bad in ["-1", "x", "99999999999999999999", "1e3"] {
            assert!(parse_cursor(Some(bad)).is_err(), "{bad}");
        }
    }
}

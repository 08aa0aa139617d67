//! Applications: list (complete, paged, honest totals), create the four application types with
//! their full OIDC configuration, read by name or client id, update basic info, OAuth
//! configuration and requested claims (each returning what it replaced), authorize APIs and
//! change or revoke that, delete applications and rotate client secrets.

mod authorize;
mod create;
mod lifecycle;
mod list;
mod oauth;
mod read;
mod update;
pub mod views;

use rmcp::handler::server::router::tool::ToolRouter;

use super::{OrExplain, ToolContext, ToolError};
use crate::api::applications::types;
use crate::wso2::filter::{self, Filter, Op};
use views::OauthEndpoints;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::application_list_router()
        + ToolContext::application_create_router()
        + ToolContext::application_read_router()
        + ToolContext::application_update_router()
        + ToolContext::application_oauth_router()
        + ToolContext::application_authorize_router()
        + ToolContext::application_lifecycle_router()
}

/// How many applications a lookup pages through before it gives up (100 a page).
const LOOKUP_PAGES: u64 = 50;

/// Which field a lookup compares.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup {
    Name,
    ClientId,
}

impl Lookup {
    fn attribute(self) -> &'static str {
        match self {
            Lookup::Name => "name",
            Lookup::ClientId => "clientId",
        }
    }

    fn field(self, item: &types::ApplicationListItem) -> Option<&str> {
        match self {
            Lookup::Name => item.name.as_deref(),
            Lookup::ClientId => item.client_id.as_deref(),
        }
    }

    fn describe(self, value: &str) -> String {
        match self {
            Lookup::Name => format!("the application named `{value}`"),
            Lookup::ClientId => format!("the application with client id `{value}`"),
        }
    }
}

impl ToolContext {
    pub(crate) fn endpoints(&self) -> OauthEndpoints {
        OauthEndpoints::for_base(self.upstream.base_url())
    }

    pub(crate) async fn read_app(
        &self,
        id: &str,
    ) -> Result<types::ApplicationResponseModel, ToolError> {
        self.upstream
            .applications()
            .get_application()
            .application_id(id)
            .send()
            .await
            .or_explain(format!("reading application {id}"))
            .await
    }

    pub(crate) async fn read_oidc(
        &self,
        id: &str,
    ) -> Result<types::OpenIdConnectConfigurationResponse, ToolError> {
        self.upstream
            .applications()
            .get_inbound_oauth_configuration()
            .application_id(id)
            .send()
            .await
            .or_explain(format!(
                "reading the OAuth configuration of application {id}"
            ))
            .await
    }

    /// The one application whose name (or client id) is exactly `value`. The server's filter
    /// narrows the search (quoted, or by a fragment when the value cannot be written in its
    /// grammar); the comparison itself happens here, so a filter quirk never picks the wrong one.
    pub(crate) async fn find_application(
        &self,
        lookup: Lookup,
        value: &str,
    ) -> Result<types::ApplicationListItem, ToolError> {
        let attribute = lookup.attribute();
        let search = Filter::clause(attribute, Op::Eq, value)
            .ok()
            .or_else(|| filter::searchable_fragment(attribute, value));
        let describe = lookup.describe(value);
        let client = self.upstream.applications();
        let mut matches = Vec::new();
        let mut near = Vec::new();
        let mut offset = 0u64;
        for _ in 0..LOOKUP_PAGES {
            let mut call = client
                .get_all_applications()
                .limit(100u64)
                .offset(offset as i64)
                .attributes("clientId");
            if let Some(search) = &search {
                call = call.filter(search.to_string());
            }
            let page = call
                .send()
                .await
                .or_explain(format!("looking up {describe}"))
                .await?;
            let returned = page.applications.len() as u64;
            for item in page.applications {
                match lookup.field(&item) {
                    Some(found) if found == value => matches.push(item),
                    Some(found) if found.eq_ignore_ascii_case(value) => near.push(found.to_owned()),
                    _ => {}
                }
            }
            offset += returned;
            let total = page.total_results.map_or(offset, |t| t.max(0) as u64);
            if returned == 0 || offset >= total {
                break;
            }
        }
        match matches.len() {
            1 => Ok(matches.remove(0)),
            0 => {
                let hint = match near.first() {
                    Some(other) => format!("did you mean `{other}`? (names are compared exactly)"),
                    None => "list_applications shows the applications that exist".to_owned(),
                };
                Err(ToolError::not_found(format!("{describe}; {hint}")))
            }
            n => Err(ToolError::new(format!(
                "{n} applications match {describe}: {}. Use get_application_by_client_id, or list_applications to tell them apart.",
                matches
                    .iter()
                    .filter_map(|m| m.id.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

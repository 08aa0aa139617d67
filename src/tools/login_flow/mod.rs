//! Login flows: what can go into a flow in this organization, a flow built from named steps
//! (with conditional steps from templates), and the reference's AI-generated flow.

mod generate;
mod options;
mod set;

use rmcp::handler::server::router::tool::ToolRouter;

use super::ToolContext;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::login_flow_generate_router()
        + ToolContext::login_options_router()
        + ToolContext::login_flow_set_router()
}

//! Users (SCIM2): create (by invitation, so no password passes through the model), list with
//! a filter and cursor paging, read one with its groups and roles, update names and email,
//! delete.

mod create;
mod manage;
mod read;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::schemars::{self, JsonSchema};
use serde::Serialize;
use serde_json::Value;

use super::directory::Member;
use super::{OrExplain, ToolContext, ToolError};
use crate::api::users::types;

pub(crate) fn router() -> ToolRouter<ToolContext> {
    ToolContext::user_create_router()
        + ToolContext::user_read_router()
        + ToolContext::user_manage_router()
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct UserDetails {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub emails: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    pub groups: Vec<UserGroup>,
    pub roles: Vec<Member>,
}

/// A group the user is in; one without a SCIM id (made in the old console) has a name only.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct UserGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `{value, display}` group entries; one with neither is dropped (`User.setGroup` sets each
/// only when the group has it).
fn groups_of(items: &[Value]) -> Vec<UserGroup> {
    items
        .iter()
        .filter_map(|item| {
            let text = |key: &str| {
                item.get(key)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            let (id, name) = (text("value"), text("display"));
            (id.is_some() || name.is_some()).then_some(UserGroup { id, name })
        })
        .collect()
}

/// An email as servers send it: a plain string, or an object with `value`.
fn email_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// `{value, display}` entries (groups, roles) as members.
fn members_of<'a>(items: impl IntoIterator<Item = &'a Value>) -> Vec<Member> {
    items
        .into_iter()
        .filter_map(|item| {
            let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
            Member::from_parts(text("value"), text("display"))
        })
        .collect()
}

fn user_details(user: types::UserResponseObject, fallback_id: &str) -> UserDetails {
    let roles: Vec<Value> = user.roles.into_iter().map(Value::Object).collect();
    UserDetails {
        id: user.id.unwrap_or_else(|| fallback_id.to_owned()),
        username: user.user_name,
        emails: user.emails.iter().filter_map(email_of).collect(),
        given_name: user.name.as_ref().and_then(|n| n.given_name.clone()),
        family_name: user.name.and_then(|n| n.family_name),
        groups: groups_of(&user.groups),
        roles: members_of(&roles),
    }
}

impl ToolContext {
    pub(crate) async fn read_user(&self, id: &str) -> Result<UserDetails, ToolError> {
        let user = self
            .upstream
            .users()
            .get_user_by_id()
            .id(id)
            .send()
            .await
            .or_explain(format!("reading user {id}"))
            .await?;
        Ok(user_details(user, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_are_read_in_either_shape() {
        assert_eq!(
            email_of(&json!("kim@example.com")).as_deref(),
            Some("kim@example.com")
        );
        assert_eq!(
            email_of(&json!({ "value": "kim@example.com", "primary": true })).as_deref(),
            Some("kim@example.com")
        );
        assert_eq!(email_of(&json!(3)), None);
    }
}

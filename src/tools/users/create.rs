//! Creating a user with a password, or (without one) through WSO2's invite flow, so that no
//! password needs to pass through the model.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::api::users::types;
use crate::tools::directory::id_from_location;
use crate::tools::{Answered, OrExplainOptional, ToolContext, ToolError, Written, input};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// The username the user logs in with (often their email address).
    pub username: String,
    /// Omit to email the user an invitation to set their own.
    #[serde(default)]
    pub password: Option<String>,
    /// The user's email address.
    pub email: String,
    /// The user's first (given) name.
    pub first_name: String,
    /// The user's last (family) name.
    pub last_name: String,
    /// User store (default: `DEFAULT` on Asgardeo, primary on WSO2 IS).
    #[serde(default)]
    pub userstore_domain: Option<String>,
}

/// The SCIM `scimType` WSO2 answers for a user store the server does not have
/// (`SCIMUserManager.isSCIMEnabled`).
const UNKNOWN_USER_STORE: &str = "Invalid user store name.";

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedUser {
    pub id: String,
    pub username: String,
    pub email: String,
    /// True when the user was emailed an invitation to set their own password.
    pub invitation_sent: bool,
    pub userstore_domain: String,
    /// What could not be read back, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub(super) fn check_email(email: &str) -> Result<&str, ToolError> {
    let email = input::name("email", email, 254)?;
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ToolError::invalid("email", "is not an email address"))
    }
}

#[tool_router(router = user_create_router, vis = "pub(super)")]
impl ToolContext {
    /// Create a user in Asgardeo. Without a password (recommended) the user is emailed an
    /// invitation to set one, so no password passes through the conversation.
    #[tool(annotations(
        title = "Create user",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn create_user(
        &self,
        Parameters(req): Parameters<CreateUserRequest>,
    ) -> Result<Json<CreatedUser>, ToolError> {
        let username = input::name("username", &req.username, 255)?;
        if username.contains('/') || username.chars().any(char::is_whitespace) {
            return Err(ToolError::invalid(
                "username",
                "must not contain `/` or spaces",
            ));
        }
        let email = check_email(&req.email)?;
        let first = input::name("first_name", &req.first_name, 255)?;
        let last = input::name("last_name", &req.last_name, 255)?;
        let domain = match req.userstore_domain.as_deref() {
            Some(named) => {
                let named = input::name("userstore_domain", named, 64)?;
                if !named
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
                {
                    return Err(ToolError::invalid(
                        "userstore_domain",
                        "must be a user store name such as DEFAULT or PRIMARY",
                    ));
                }
                Some(named.to_ascii_uppercase())
            }
            None => self
                .settings
                .product
                .default_user_store()
                .map(str::to_owned),
        };
        // The primary store is written without a prefix: a name without one goes there
        // (`SCIMUserManager.createUser`), whatever the primary store is called.
        let domain = domain.filter(|d| d != "PRIMARY");
        let qualified = match &domain {
            Some(domain) => format!("{domain}/{username}"),
            None => username.to_owned(),
        };
        let password = req
            .password
            .as_deref()
            .map(|p| input::secret("password", p, 1024))
            .transpose()?;
        let invite = password.is_none();
        let mut body = types::UserObject::builder()
            .schemas(vec![crate::wso2::scim::USER_SCHEMA.to_owned()])
            .user_name(Some(qualified))
            .name(Some(types::UserObjectName {
                given_name: Some(first.to_owned()),
                family_name: Some(last.to_owned()),
            }))
            .emails(vec![serde_json::Map::from_iter([
                ("value".to_owned(), email.into()),
                ("primary".to_owned(), true.into()),
            ])]);
        body = match password {
            Some(password) => body.password(Some(password.to_owned())),
            None => body.urn_scim_wso2_schema(Some(types::UserObjectUrnScimWso2Schema {
                ask_password: Some(true),
            })),
        };
        let store = domain.clone().unwrap_or_else(|| "PRIMARY".to_owned());
        let doing = format!("creating user `{username}` in the user store {store}");
        let written = self
            .upstream
            .users()
            .create_user()
            .body(body)
            .send()
            .await
            .or_explain_optional::<types::UserResponseObject>(&doing)
            .await
            .map_err(|err| {
                if err.code.as_deref() != Some(UNKNOWN_USER_STORE) {
                    return err;
                }
                ToolError::new(format!(
                    "The server has no user store `{store}`, so user `{username}` was not created. {}",
                    match self.settings.product {
                        crate::wso2::Product::Wso2Is =>
                            "On WSO2 Identity Server, omit userstore_domain to use the primary store, or name a secondary store configured under User Stores.",
                        crate::wso2::Product::Asgardeo =>
                            "Asgardeo keeps customers in DEFAULT: omit userstore_domain, or name a user store the organization has (Console > User Attributes & Stores > User Stores).",
                    }
                ))
            })?;
        let (id, note) = match written {
            Answered::Written(Written::Read(user)) => match user.id {
                Some(id) => (id, None),
                None => (
                    "unknown".to_owned(),
                    Some("The user was created, but the server's answer has no `id`; list_users shows it.".to_owned()),
                ),
            },
            // The server created the user; its answer could not be read. Never report this as
            // a failure: a retry would only meet "already exists".
            Answered::Written(Written::Unreadable { location, detail }) => {
                let id =
                    id_from_location(location.as_deref()).unwrap_or_else(|| "unknown".to_owned());
                (
                    id,
                    Some(format!(
                        "The user was created, but the server's answer could not be read ({detail})."
                    )),
                )
            }
            // A workflow holds the creation for an approver (`UserResourceManager.create`).
            Answered::Empty { status: 202, .. } => (
                "pending".to_owned(),
                Some("The server accepted the request and a workflow holds it for approval: the user exists once an approver accepts it.".to_owned()),
            ),
            Answered::Empty { location, status } => (
                id_from_location(location.as_deref()).unwrap_or_else(|| "unknown".to_owned()),
                Some(format!("The server answered {status} without the user; list_users shows it.")),
            ),
        };
        Ok(Json(CreatedUser {
            id,
            username: username.to_owned(),
            email: email.to_owned(),
            invitation_sent: invite,
            userstore_domain: store,
            note,
        }))
    }
}

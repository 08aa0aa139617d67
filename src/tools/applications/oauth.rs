//! `update_application_oauth_config`: the server has no partial update of an OIDC
//! configuration, so it is read, changed and written back whole, under the application's lock
//! so no concurrent update is lost, and then checked for every asked change.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;
use serde_json::Value;

use super::create::checked_url;
use super::update::verify;
use super::views::{self, OauthSettings, Update};
use crate::api::applications::types;
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::oidc::{self, AppType};
use crate::wso2::urls::{self, UrlUse};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOauthConfigRequest {
    /// ID of the application.
    pub id: String,
    /// Redirect URLs, replacing the current list.
    #[serde(default)]
    pub redirect_urls: Option<Vec<String>>,
    /// CORS origins, replacing the current list.
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
    /// Lifetime in seconds of user access tokens.
    #[serde(default)]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub user_access_token_expiry_time: Option<u32>,
    /// Lifetime in seconds of the application's own access tokens.
    #[serde(default)]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub application_access_token_expiry_time: Option<u32>,
    /// Lifetime in seconds of refresh tokens.
    #[serde(default)]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub refresh_token_expiry_time: Option<u32>,
    /// Revoke the application's tokens when the user's IdP session ends.
    #[serde(default)]
    pub revoke_tokens_when_idp_session_terminated: Option<bool>,
    /// OIDC claim names (e.g. `email`) to put in access tokens.
    #[serde(default)]
    pub access_token_attributes: Option<Vec<String>>,
    /// Token audiences besides the client id (replaces the list).
    #[serde(default)]
    pub audiences: Option<Vec<String>>,
}

/// The longest token lifetime accepted: a year.
const MAX_LIFETIME: u32 = 31_536_000;

fn lifetime(argument: &str, value: Option<u32>) -> Result<Option<u32>, ToolError> {
    match value {
        Some(v) if v == 0 || v > MAX_LIFETIME => Err(ToolError::invalid(
            argument,
            "must be between 1 second and a year (31536000)",
        )),
        other => Ok(other),
    }
}

/// The strict body to send back, from the lenient configuration read: the legacy top-level
/// token binding moves to its documented place, the secret never goes back.
/// The configuration as read, as a PUT body. The client secret goes back exactly as it was read:
/// IS 7.0 and 7.1 refuse a PUT whose `clientSecret` is not the stored one, an absent one too;
/// IS 7.2 keeps the stored secret when it is absent, and leaves it out of the read unless the
/// token may see it (see `openapi/server-code.toml`). So echoing what was read works on every
/// version, and the secret never reaches the tool's answer.
fn writable(
    read: &types::OpenIdConnectConfigurationResponse,
) -> Result<types::OpenIdConnectConfiguration, ToolError> {
    let mut value = serde_json::to_value(read).unwrap_or_default();
    if let Some(map) = value.as_object_mut()
        && let Some(binding) = map.remove("accessTokenBindingType")
    {
        let access = map
            .entry("accessToken")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(access) = access.as_object_mut() {
            access.entry("bindingType").or_insert(binding);
        }
    }
    serde_json::from_value(value).map_err(|e| {
        ToolError::new(format!(
            "The OAuth configuration the server sent cannot be sent back as an update ({e}); nothing was changed. Update it in the Console, and report this with the server's version."
        ))
    })
}

#[tool_router(router = application_oauth_router, vis = "pub(super)")]
impl ToolContext {
    /// Update an application's OAuth/OIDC settings (redirect URLs, origins, token lifetimes,
    /// audiences, revocation, token attributes); the rest stays. Returns the previous settings.
    #[tool(annotations(
        title = "Update application OAuth configuration",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_application_oauth_config(
        &self,
        Parameters(req): Parameters<UpdateOauthConfigRequest>,
    ) -> Result<Json<Update<OauthSettings>>, ToolError> {
        let id = input::path_segment("id", &req.id)?.to_owned();
        let user_expiry = lifetime(
            "user_access_token_expiry_time",
            req.user_access_token_expiry_time,
        )?;
        let app_expiry = lifetime(
            "application_access_token_expiry_time",
            req.application_access_token_expiry_time,
        )?;
        let refresh_expiry = lifetime("refresh_token_expiry_time", req.refresh_token_expiry_time)?;
        if let Some(urls) = &req.redirect_urls {
            input::at_most("redirect_urls", urls, 50)?;
        }
        let origins = req
            .allowed_origins
            .as_ref()
            .map(|origins| {
                input::at_most("allowed_origins", origins, 50)?;
                origins
                    .iter()
                    .map(|o| {
                        urls::check_origin(o)
                            .map_err(|refused| ToolError::invalid("allowed_origins", &refused.0))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let attributes = req
            .access_token_attributes
            .as_ref()
            .map(|attrs| {
                input::at_most("access_token_attributes", attrs, 100)?;
                attrs
                    .iter()
                    .map(|a| input::name("access_token_attributes", a, 255).map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        // Nothing in the server's OIDC API merges: the whole configuration is read, changed and
        // written back, under the application's lock so no concurrent update is lost.
        let _held = self.lock("application", &id).await;
        let (app, read) = tokio::join!(self.read_app(&id), self.read_oidc(&id));
        let (app, read) = (app?, read?);
        let previous = OauthSettings::from_config(&read);
        let mut config = writable(&read)?;
        // Custom schemes are for mobile apps: by template, or by the redirect URLs it has.
        let mobile = views::app_type(app.template_id.as_deref(), Some(&read)) == AppType::MobileApp
            || oidc::decode_redirect_urls(&read.callback_ur_ls)
                .iter()
                .any(|u| !u.starts_with("http"));
        let mut changed = Vec::new();
        let mut asked: Vec<(&str, Value, Value)> = Vec::new();
        if let Some(list) = &req.redirect_urls {
            let use_ = if mobile {
                UrlUse::MobileRedirect
            } else {
                UrlUse::WebRedirect
            };
            let checked = list
                .iter()
                .map(|u| checked_url("redirect_urls", u, use_))
                .collect::<Result<Vec<_>, _>>()?;
            config.callback_ur_ls = oidc::encode_redirect_urls(&checked);
            changed.push("redirect_urls".to_owned());
            asked.push(("redirect_urls", Value::from(checked), Value::Null));
        }
        if let Some(origins) = &origins {
            config.allowed_origins = origins.clone();
            changed.push("allowed_origins".to_owned());
            asked.push(("allowed_origins", Value::from(origins.clone()), Value::Null));
        }
        let access = config.access_token.get_or_insert_with(Default::default);
        if let Some(v) = user_expiry {
            access.user_access_token_expiry_in_seconds = Some(v.into());
            changed.push("user_access_token_expiry_time".to_owned());
            asked.push(("user_access_token_expiry_time", Value::from(v), Value::Null));
        }
        if let Some(v) = app_expiry {
            access.application_access_token_expiry_in_seconds = Some(v.into());
            changed.push("application_access_token_expiry_time".to_owned());
            asked.push((
                "application_access_token_expiry_time",
                Value::from(v),
                Value::Null,
            ));
        }
        if let Some(v) = req.revoke_tokens_when_idp_session_terminated {
            access.revoke_tokens_when_idp_session_terminated = Some(v);
            changed.push("revoke_tokens_when_idp_session_terminated".to_owned());
            asked.push((
                "revoke_tokens_when_idp_session_terminated",
                Value::from(v),
                Value::Null,
            ));
        }
        if let Some(v) = &attributes {
            access.access_token_attributes = v.clone();
            changed.push("access_token_attributes".to_owned());
            asked.push((
                "access_token_attributes",
                Value::from(v.clone()),
                Value::Null,
            ));
        }
        if let Some(list) = &req.audiences {
            input::at_most("audiences", list, 20)?;
            for audience in list {
                input::name("audiences", audience, 2048)?;
            }
            config
                .id_token
                .get_or_insert_with(Default::default)
                .audience = list.clone();
            changed.push("audiences".to_owned());
            asked.push(("audiences", Value::from(list.clone()), Value::Null));
        }
        if let Some(v) = refresh_expiry {
            config
                .refresh_token
                .get_or_insert_with(Default::default)
                .expiry_in_seconds = Some(v.into());
            changed.push("refresh_token_expiry_time".to_owned());
            asked.push(("refresh_token_expiry_time", Value::from(v), Value::Null));
        }
        if changed.is_empty() {
            return Err(ToolError::invalid(
                "redirect_urls",
                "nothing to update: give at least one setting",
            ));
        }
        self.upstream
            .applications()
            .update_inbound_oauth_configuration()
            .application_id(&id)
            .body(config)
            .send()
            .await
            .or_explain(format!(
                "updating the OAuth configuration of application {id}"
            ))
            .await?;
        let current = OauthSettings::from_config(&self.read_oidc(&id).await?);
        let now = serde_json::to_value(&current).unwrap_or_default();
        for (field, _, got) in &mut asked {
            *got = match *field {
                "redirect_urls" | "allowed_origins" => now[*field].clone(),
                "refresh_token_expiry_time"
                | "user_access_token_expiry_time"
                | "application_access_token_expiry_time"
                | "access_token_attributes"
                | "revoke_tokens_when_idp_session_terminated" => now["tokens"][*field].clone(),
                "audiences" => match &now["tokens"]["audiences"] {
                    Value::Null => Value::Array(Vec::new()),
                    list => list.clone(),
                },
                _ => Value::Null,
            };
        }
        verify(&id, &asked)?;
        Ok(Json(Update {
            id,
            changed,
            previous,
            current,
        }))
    }
}

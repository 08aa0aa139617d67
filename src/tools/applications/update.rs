//! The update tools. Each holds the application's lock from the read of the previous values to
//! the verified write, writes only what was asked (a PATCH where WSO2 merges, the whole OIDC
//! configuration where it only replaces), and then checks that every asked change is there.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;
use serde_json::Value;

use super::create::checked_url;
use super::views::{self, BasicInfo, OauthSettings, Update};
use crate::api::FailureKind;
use crate::api::applications::types;
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::claims;
use crate::wso2::oidc::{self, AppType};
use crate::wso2::urls::{self, UrlUse};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBasicInfoRequest {
    /// ID of the application.
    pub id: String,
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description (at most 1,024 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// URL of the logo image.
    #[serde(default)]
    pub image_url: Option<String>,
    /// URL from which users reach the application.
    #[serde(default)]
    pub access_url: Option<String>,
    /// Where the application returns after logout.
    #[serde(default)]
    pub logout_return_url: Option<String>,
}

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
    /// Seconds an access token issued to a user lives.
    #[serde(default)]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub user_access_token_expiry_time: Option<u32>,
    /// Seconds an access token issued to the application itself lives.
    #[serde(default)]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub application_access_token_expiry_time: Option<u32>,
    /// Seconds a refresh token lives.
    #[serde(default)]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub refresh_token_expiry_time: Option<u32>,
    /// Revoke the application's tokens when the user's IdP session ends.
    #[serde(default)]
    pub revoke_tokens_when_idp_session_terminated: Option<bool>,
    /// User attributes to put in access tokens (OIDC claim names such as `email`).
    #[serde(default)]
    pub access_token_attributes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClaimConfigRequest {
    /// ID of the application.
    pub id: String,
    /// The user attributes to request, replacing the current list: claim URIs
    /// (`http://wso2.org/claims/username`) or names such as `username`, `email`, `first_name`.
    pub claims: Vec<String>,
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

/// The asked changes that the server's answer does not show.
fn missing_changes(asked: &[(&str, Value, Value)]) -> Vec<String> {
    asked
        .iter()
        .filter(|(_, want, got)| want != got)
        .map(|(field, want, got)| format!("`{field}` (asked {want}, now {got})"))
        .collect()
}

fn verify(id: &str, asked: &[(&str, Value, Value)]) -> Result<(), ToolError> {
    let missing = missing_changes(asked);
    if missing.is_empty() {
        return Ok(());
    }
    Err(ToolError::new(format!(
        "The server accepted the update of application {id}, but reading it back does not show {}. Another change may have overwritten it; read the application and retry what is missing.",
        missing.join(", ")
    )))
}

impl ToolContext {
    async fn patch_app(
        &self,
        id: &str,
        patch: types::builder::ApplicationPatchModel,
        what: &str,
    ) -> Result<(), ToolError> {
        let result = self
            .upstream
            .applications()
            .patch_application()
            .application_id(id)
            .body(patch)
            .send()
            .await
            .or_failure()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(failure) if failure.kind == FailureKind::Status(409) => {
                Err(ToolError::new(format!(
                    "Another application already has that name, so application {id} was not renamed; choose a different name.{}",
                    if failure.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" The server said: {}", failure.detail)
                    }
                )))
            }
            Err(failure) => Err(ToolError::from_failure(
                &format!("updating the {what} of application {id}"),
                &failure,
            )),
        }
    }
}

/// The strict body to send back, from the lenient configuration read: the legacy top-level
/// token binding moves to its documented place, the secret never goes back.
fn writable(
    read: &types::OpenIdConnectConfigurationResponse,
) -> Result<types::OpenIdConnectConfiguration, ToolError> {
    let mut value = serde_json::to_value(read).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("clientSecret");
        if let Some(binding) = map.remove("accessTokenBindingType") {
            let access = map
                .entry("accessToken")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(access) = access.as_object_mut() {
                access.entry("bindingType").or_insert(binding);
            }
        }
    }
    serde_json::from_value(value).map_err(|e| {
        ToolError::new(format!(
            "The OAuth configuration the server sent cannot be sent back as an update ({e}); nothing was changed. Update it in the Console, and report this with the server's version."
        ))
    })
}

#[tool_router(router = application_update_router, vis = "pub(super)")]
impl ToolContext {
    /// Update an application's basic information (name, description, logo, access URL, logout
    /// return URL). Returns the previous values too.
    #[tool(annotations(
        title = "Update application basic info",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_application_basic_info(
        &self,
        Parameters(req): Parameters<UpdateBasicInfoRequest>,
    ) -> Result<Json<Update<BasicInfo>>, ToolError> {
        let id = input::path_segment("id", &req.id)?.to_owned();
        let name = req
            .name
            .as_deref()
            .map(|n| input::name("name", n, 255).map(str::to_owned))
            .transpose()?;
        let description = req
            .description
            .as_deref()
            .map(|d| input::text("description", d, 1024).map(str::to_owned))
            .transpose()?;
        let image_url = req
            .image_url
            .as_deref()
            .map(|u| checked_url("image_url", u, UrlUse::Page))
            .transpose()?;
        let access_url = req
            .access_url
            .as_deref()
            .map(|u| checked_url("access_url", u, UrlUse::Page))
            .transpose()?;
        let logout_return_url = req
            .logout_return_url
            .as_deref()
            .map(|u| checked_url("logout_return_url", u, UrlUse::Page))
            .transpose()?;
        let fields = [
            ("name", &name),
            ("description", &description),
            ("image_url", &image_url),
            ("access_url", &access_url),
            ("logout_return_url", &logout_return_url),
        ];
        let changed: Vec<String> = fields
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| (*n).to_owned())
            .collect();
        if changed.is_empty() {
            return Err(ToolError::invalid(
                "name",
                "nothing to update: give at least one of name, description, image_url, access_url, logout_return_url",
            ));
        }
        let _held = self.lock("application", &id).await;
        let before = self.read_app(&id).await?;
        // WSO2's PATCH sets exactly the fields it is given (UpdateServiceProvider), so no other
        // setting is read back and rewritten.
        let patch = types::ApplicationPatchModel::builder()
            .name(name.clone())
            .description(description.clone())
            .image_url(image_url.clone())
            .access_url(access_url.clone())
            .logout_return_url(logout_return_url.clone());
        self.patch_app(&id, patch, "basic info").await?;
        let after = self.read_app(&id).await?;
        let current = BasicInfo::from(&after);
        let got = serde_json::to_value(&current).unwrap_or_default();
        let asked: Vec<(&str, Value, Value)> = fields
            .iter()
            .filter_map(|(field, want)| {
                let want = want.as_ref()?;
                Some((*field, Value::from(want.as_str()), got[field].clone()))
            })
            .collect();
        verify(&id, &asked)?;
        Ok(Json(Update {
            id,
            changed,
            previous: BasicInfo::from(&before),
            current,
        }))
    }

    /// Update an application's OAuth/OIDC settings: redirect URLs, allowed origins, token
    /// lifetimes, token revocation and access-token attributes. Settings not given stay as they
    /// are. Returns the previous settings too.
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

    /// Set the user attributes (claims) an application requests, replacing the current list.
    /// Returns the claims before and after.
    #[tool(annotations(
        title = "Update application requested claims",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn update_application_claim_config(
        &self,
        Parameters(req): Parameters<UpdateClaimConfigRequest>,
    ) -> Result<Json<Update<Vec<String>>>, ToolError> {
        let id = input::path_segment("id", &req.id)?.to_owned();
        input::at_most("claims", &req.claims, 100)?;
        for claim in &req.claims {
            input::name("claims", claim, 255)?;
        }
        let (local, oidc_names) = self.claim_catalogue().await?;
        let uris = claims::resolve_claims(&req.claims, &local, &oidc_names).map_err(|unknown| {
            let hint = if unknown.close.is_empty() {
                "use list_claims to see what exists".to_owned()
            } else {
                format!("did you mean {}?", unknown.close.join(", "))
            };
            ToolError::invalid(
                "claims",
                &format!(
                    "`{}` is not a claim in this organization; {hint}",
                    unknown.name
                ),
            )
        })?;
        let _held = self.lock("application", &id).await;
        let before = self.read_app(&id).await?;
        let current_config = before.claim_configuration.as_ref();
        if current_config
            .and_then(|c| c.dialect.as_deref())
            .is_some_and(|d| !d.eq_ignore_ascii_case("LOCAL"))
        {
            return Err(ToolError::new(format!(
                "Application {id} maps its claims to a custom dialect; replacing the requested claims here would drop those mappings, so nothing was changed. Edit them in the Console (Applications > User Attributes)."
            )));
        }
        let previous = views::requested_claims(&before);
        // The server replaces the requested claims and leaves the role and subject settings
        // alone when they are not sent (UpdateClaimConfiguration), so only the list goes.
        let configuration = types::ClaimConfiguration {
            dialect: types::ClaimConfigurationDialect::Local,
            requested_claims: uris
                .iter()
                .map(|uri| types::RequestedClaimConfiguration {
                    claim: types::Claim {
                        uri: uri.clone(),
                        display_name: None,
                        id: None,
                    },
                    mandatory: Some(false),
                })
                .collect(),
            ..Default::default()
        };
        self.patch_app(
            &id,
            types::ApplicationPatchModel::builder().claim_configuration(Some(configuration)),
            "requested claims",
        )
        .await?;
        let current = views::requested_claims(&self.read_app(&id).await?);
        let mut want = uris.clone();
        let mut got = current.clone();
        want.sort();
        got.sort();
        verify(&id, &[("claims", Value::from(want), Value::from(got))])?;
        Ok(Json(Update {
            id,
            changed: vec!["claims".to_owned()],
            previous,
            current,
        }))
    }
}

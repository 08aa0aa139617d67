//! The update tools. Each holds the application's lock from the read of the previous values to
//! the verified write, writes only what was asked (a PATCH where WSO2 merges, the whole OIDC
//! configuration where it only replaces), and then checks that every asked change is there.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Deserialize;
use serde_json::Value;

use super::create::checked_url;
use super::views::{self, BasicInfo, Update};
use crate::api::FailureKind;
use crate::api::applications::types;
use crate::tools::input;
use crate::tools::{OrExplain, ToolContext, ToolError};
use crate::wso2::claims;
use crate::wso2::urls::UrlUse;

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
pub struct UpdateClaimConfigRequest {
    /// ID of the application.
    pub id: String,
    /// Claim URIs or names (`username`, `email`, `first_name`...), replacing the current list.
    pub claims: Vec<String>,
}

/// The asked changes that the server's answer does not show.
fn missing_changes(asked: &[(&str, Value, Value)]) -> Vec<String> {
    asked
        .iter()
        .filter(|(_, want, got)| want != got)
        .map(|(field, want, got)| format!("`{field}` (asked {want}, now {got})"))
        .collect()
}

pub(super) fn verify(id: &str, asked: &[(&str, Value, Value)]) -> Result<(), ToolError> {
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
            Err(failure) if failure.is_success() => Ok(()),
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

//! A login flow built directly from named steps, without the AI feature: checked the way the
//! Console checks it (a verifying factor needs an identifying step before it; backup codes
//! stand beside another factor; names resolve to exactly one option), with the steps after
//! the first made conditional by a template when asked. Returns the previous and new flow.
//!
//! Scripts, per the server (`ServerApplicationManagementService.patchApplication` and
//! `UpdateAuthenticationSequence` in identity-api-server): a PATCH that carries a script
//! needs the `internal_application_script_update` scope, and a blank script keeps the current
//! one. So a plain flow sends no script unless the application has one, which is then
//! replaced by the plain sequential script (otherwise the old condition would stay in force).

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::options::{LoginOption, resolve};
use crate::api::FailureKind;
use crate::api::applications::types;
use crate::tools::applications::views::{LoginStep, login_steps};
use crate::tools::{OrExplain, ToolContext, ToolError, input, intend};
use crate::wso2::authenticators::{BACKUP_CODE, Role};
use crate::wso2::login_templates::{Condition, recognize};

use crate::wso2::APPLICATION_SCRIPT_SCOPE as SCRIPT_SCOPE;

/// When the steps after the first run (give exactly one); without it, every step runs for
/// everyone.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUp {
    /// Only for users with any of these roles.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Only for members of any of these groups.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Only when signing in from outside these IPv4 networks (CIDR).
    #[serde(default)]
    pub outside_networks: Option<Vec<String>>,
    /// Only on a device not used by the user in this many days.
    #[serde(default)]
    #[schemars(range(min = 1, max = 3650))]
    pub new_device_days: Option<u32>,
}

impl StepUp {
    fn condition(self) -> Result<Condition, ToolError> {
        let mut given = Vec::new();
        if let Some(roles) = self.roles {
            given.push(Condition::Roles { roles });
        }
        if let Some(groups) = self.groups {
            given.push(Condition::Groups { groups });
        }
        if let Some(networks) = self.outside_networks {
            given.push(Condition::OutsideNetworks { networks });
        }
        if let Some(remember_days) = self.new_device_days {
            given.push(Condition::NewDevice { remember_days });
        }
        match given.len() {
            1 => Ok(given.remove(0)),
            0 => Err(ToolError::invalid(
                "only_when",
                "give one of roles, groups, outside_networks or new_device_days",
            )),
            _ => Err(ToolError::invalid(
                "only_when",
                "give only one condition (roles, groups, outside_networks or new_device_days)",
            )),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLoginFlowRequest {
    /// ID of the application.
    pub app_id: String,
    /// The steps in order; each is a list of options, any one of which completes it. Options
    /// are names from list_login_options, e.g. `[["password", "Google"], ["email_otp"]]`.
    pub steps: Vec<Vec<String>>,
    /// Make the steps after the first conditional, e.g. `{"roles": ["admin"]}`.
    #[serde(default)]
    pub only_when: Option<StepUp>,
    /// The step whose user becomes the signed-in subject (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10))]
    pub subject_step: Option<u32>,
    /// The step whose attributes the application receives (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10))]
    pub attribute_step: Option<u32>,
}

/// A login flow as it reads.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct LoginFlow {
    pub steps: Vec<LoginStep>,
    /// The template and parameters that make later steps conditional, if the flow's script
    /// is one this server writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_when: Option<serde_json::Value>,
    /// Whether the application has a conditional script this server did not write.
    pub custom_script: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LoginFlowChange {
    pub app_id: String,
    pub previous: LoginFlow,
    pub current: LoginFlow,
}

fn flow_of(sequence: Option<&types::AuthenticationSequenceResponse>) -> LoginFlow {
    let script = sequence
        .and_then(|s| s.script.as_deref())
        .filter(|s| !s.trim().is_empty());
    let recognized = script.and_then(recognize);
    LoginFlow {
        steps: login_steps(sequence),
        only_when: recognized
            .as_ref()
            .filter(|(c, _)| !matches!(c, Condition::Sequential { .. }))
            .and_then(|(c, _)| serde_json::to_value(c).ok()),
        custom_script: script.is_some() && recognized.is_none(),
    }
}

/// Checks the steps the way the Console does and resolves each option.
fn plan_steps(
    options: &[LoginOption],
    steps: &[Vec<String>],
) -> Result<Vec<Vec<LoginOption>>, ToolError> {
    if steps.is_empty() {
        return Err(ToolError::invalid("steps", "give at least one step"));
    }
    input::at_most("steps", steps, 10)?;
    let mut planned = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        if step.is_empty() {
            return Err(ToolError::invalid(
                "steps",
                &format!("step {n} has no options"),
            ));
        }
        input::at_most("steps", step, 10)?;
        let mut resolved: Vec<LoginOption> = Vec::new();
        for text in step {
            let option = resolve(options, text)
                .map_err(|e| ToolError::invalid("steps", &format!("step {n}: {e}")))?;
            if resolved.contains(option) {
                return Err(ToolError::invalid(
                    "steps",
                    &format!("step {n} names `{}` twice", option.option),
                ));
            }
            resolved.push(option.clone());
        }
        if n == 1
            && let Some(verifier) = resolved.iter().find(|o| o.role == Role::VerifiesOnly)
        {
            return Err(ToolError::invalid(
                "steps",
                &format!(
                    "{} only verifies a user an earlier step identified, so it cannot be in step 1; put an identifying option first (password, passkey, magic link, email OTP or a connection), then {} in step 2",
                    verifier.name, verifier.name
                ),
            ));
        }
        if resolved.iter().any(|o| o.authenticator == BACKUP_CODE)
            && !resolved.iter().any(|o| {
                o.authenticator != BACKUP_CODE && o.role == Role::VerifiesOnly
                    || o.authenticator.contains("otp")
            })
        {
            return Err(ToolError::invalid(
                "steps",
                &format!(
                    "step {n}: backup codes are a fallback for another factor in the same step (TOTP, email or SMS OTP); add that factor to step {n}"
                ),
            ));
        }
        planned.push(resolved);
    }
    Ok(planned)
}

fn step_number(argument: &str, value: Option<u32>, steps: usize) -> Result<i64, ToolError> {
    match value {
        None => Ok(1),
        Some(v) if v >= 1 && (v as usize) <= steps => Ok(i64::from(v)),
        Some(v) => Err(ToolError::invalid(
            argument,
            &format!("{v} is not a step of this flow (1 to {steps})"),
        )),
    }
}

#[tool_router(router = login_flow_set_router, vis = "pub(super)")]
impl ToolContext {
    /// Set an application's login flow from named steps, without the AI feature: e.g.
    /// password then email OTP, Google or password, or TOTP only for the `admin` role
    /// (`only_when`). Checked like the Console; returns the previous and new flow.
    #[tool(annotations(
        title = "Set login flow",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn set_login_flow(
        &self,
        Parameters(req): Parameters<SetLoginFlowRequest>,
    ) -> Result<Json<LoginFlowChange>, ToolError> {
        let app_id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let condition = req.only_when.map(StepUp::condition).transpose()?;
        if let Some(condition) = &condition {
            condition
                .validate()
                .map_err(|e| ToolError::invalid("only_when", &e.0))?;
            if req.steps.len() < 2 {
                return Err(ToolError::invalid(
                    "only_when",
                    "a condition decides whether the steps after the first run, so give at least two steps",
                ));
            }
        }
        let options = self.login_options().await?;
        let planned = plan_steps(&options, &req.steps)?;
        let count = planned.len();
        let subject = step_number("subject_step", req.subject_step, count)?;
        let attribute = step_number("attribute_step", req.attribute_step, count)?;

        let _guard = self.lock("application", &app_id).await;
        let app = self.read_app(&app_id).await?;
        let previous = flow_of(app.authentication_sequence.as_ref());
        let had_script = app
            .authentication_sequence
            .as_ref()
            .and_then(|s| s.script.as_deref())
            .is_some_and(|s| !s.trim().is_empty());
        let script = match &condition {
            Some(condition) => Some(condition.render(count)),
            None if had_script => Some(Condition::Sequential { steps: count }.render(count)),
            None => None,
        };
        let sequence = types::AuthenticationSequence {
            type_: types::AuthenticationSequenceType::UserDefined,
            steps: planned
                .iter()
                .enumerate()
                .map(|(i, step)| types::AuthenticationStepModel {
                    id: std::num::NonZeroU64::new(i as u64 + 1)
                        .unwrap_or(std::num::NonZeroU64::MIN),
                    options: step
                        .iter()
                        .map(|o| types::Authenticator {
                            idp: o.idp.clone(),
                            authenticator: o.authenticator.clone(),
                        })
                        .collect(),
                })
                .collect(),
            script: script.clone(),
            subject_step_id: subject,
            attribute_step_id: attribute,
            ..Default::default()
        };
        let expected = LoginFlow {
            steps: planned
                .iter()
                .enumerate()
                .map(|(i, step)| LoginStep {
                    step: i as i64 + 1,
                    options: step
                        .iter()
                        .map(|o| format!("{}@{}", o.authenticator, o.idp))
                        .collect(),
                })
                .collect(),
            only_when: condition
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
            custom_script: false,
        };
        let name = app.name.clone().unwrap_or_else(|| app_id.clone());
        intend(
            format!("Replace the login flow of application \"{name}\" (id {app_id})"),
            &previous,
            &expected,
        )?;
        let patch = types::ApplicationPatchModel::builder().authentication_sequence(Some(sequence));
        let sent = self
            .upstream
            .applications()
            .patch_application()
            .application_id(&app_id)
            .body(patch)
            .send()
            .await
            .or_failure()
            .await;
        if let Err(failure) = sent.map_err(|f| (!f.is_success()).then_some(f))
            && let Some(failure) = failure
        {
            let doing = format!("setting the login flow of application {app_id}");
            return Err(match (&failure.kind, &script) {
                (FailureKind::Status(403), Some(_)) => ToolError::new(format!(
                    "Permission denied while {doing}: a flow with a script (conditional steps{}) needs the scope {SCRIPT_SCOPE} as well as internal_application_mgt_update. Authorize the M2M application behind CLIENT_ID for it (Console > Applications > your M2M app > API Authorization > Application Management API), then retry. The server said: {}",
                    if condition.is_none() {
                        ", or replacing the application's current conditional script"
                    } else {
                        ""
                    },
                    failure.detail
                )),
                _ => ToolError::from_failure(&doing, &failure),
            });
        }
        let current = flow_of(
            self.read_app(&app_id)
                .await?
                .authentication_sequence
                .as_ref(),
        );
        if current.steps != expected.steps {
            return Err(ToolError::new(format!(
                "The login flow of application {app_id} was sent, but reading it back shows different steps ({}); check it with get_application_by_name.",
                serde_json::to_string(&current.steps).unwrap_or_default()
            )));
        }
        Ok(Json(LoginFlowChange {
            app_id,
            previous,
            current,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wso2::authenticators::{LOCAL_IDP, local_role};

    fn local(name: &str) -> LoginOption {
        LoginOption {
            option: name.into(),
            name: name.into(),
            kind: "local".into(),
            role: local_role(name),
            authenticator: name.into(),
            idp: LOCAL_IDP.into(),
        }
    }

    fn steps(s: &[&[&str]]) -> Vec<Vec<String>> {
        s.iter()
            .map(|step| step.iter().map(|o| (*o).to_owned()).collect())
            .collect()
    }

    #[test]
    fn steps_are_checked_like_the_console() {
        let options = [
            local("BasicAuthenticator"),
            local("totp"),
            local("email-otp-authenticator"),
            local(BACKUP_CODE),
        ];
        let ok = plan_steps(&options, &steps(&[&["password"], &["totp", "backup_code"]])).unwrap();
        assert_eq!(ok.len(), 2);
        let first_totp = plan_steps(&options, &steps(&[&["totp"]])).unwrap_err();
        assert!(
            first_totp.message.contains("cannot be in step 1"),
            "{}",
            first_totp.message
        );
        let lone_backup =
            plan_steps(&options, &steps(&[&["password"], &["backup_code"]])).unwrap_err();
        assert!(
            lone_backup.message.contains("backup codes"),
            "{}",
            lone_backup.message
        );
        let twice =
            plan_steps(&options, &steps(&[&["password", "BasicAuthenticator"]])).unwrap_err();
        assert!(twice.message.contains("twice"));
        assert!(plan_steps(&options, &[]).is_err());
        assert!(plan_steps(&options, &steps(&[&[]])).is_err());
    }
}

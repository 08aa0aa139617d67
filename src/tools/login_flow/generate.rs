//! The AI login flow: turn a plain-language prompt into an authentication sequence with
//! Asgardeo's login-flow generation API (a paid feature), waiting a bounded time with progress
//! and cancellation, and apply it.

use std::time::Instant;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{ProgressNotificationParam, RequestMetaObject};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{Peer, RoleServer, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::api::applications::types;
use crate::api::{ApiFailure, FailureKind};
use crate::tools::applications::views::{LoginStep, login_steps};
use crate::tools::{OrExplain, ToolContext, ToolError, input};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLoginFlowRequest {
    /// ID of the application whose login flow is replaced.
    pub app_id: String,
    /// The login flow in plain language, e.g. "Username and password as first factor and Email
    /// OTP as second factor".
    pub user_prompt: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LoginFlowUpdate {
    pub app_id: String,
    pub operation_id: String,
    /// The steps before this call.
    pub previous_steps: Vec<LoginStep>,
    /// The steps now in force.
    pub steps: Vec<LoginStep>,
}

/// How the generation ended.
enum Generation {
    Completed(Map<String, Value>),
    Failed(String),
}

/// One look at the generation's status: which stages are done, and whether it failed.
struct Progress {
    done: usize,
    stages: usize,
    current: String,
    failed: bool,
}

fn progress_of(status: &Map<String, Value>) -> Progress {
    let stages: Vec<(&String, bool)> = status
        .iter()
        .filter(|(k, _)| k.as_str() != "failed")
        .map(|(k, v)| (k, v.as_bool() == Some(true)))
        .collect();
    Progress {
        done: stages.iter().filter(|(_, d)| *d).count(),
        stages: stages.len(),
        current: stages
            .iter()
            .find(|(_, d)| !*d)
            .map_or("finishing".to_owned(), |(k, _)| (*k).clone()),
        failed: status.get("failed").and_then(Value::as_bool) == Some(true),
    }
}

impl ToolContext {
    /// Polls until the generation completes or fails, the time limit passes, or the call is
    /// cancelled. Every path through the loop sleeps and checks both, so it cannot spin.
    async fn wait_for_generation(
        &self,
        operation_id: &str,
        meta: &RequestMetaObject,
        peer: &Peer<RoleServer>,
        cancel: &CancellationToken,
    ) -> Result<Generation, ToolError> {
        let apps = self.upstream.applications();
        let deadline = Instant::now() + self.settings.login_flow_timeout;
        let token = meta.get_progress_token();
        let mut reported = usize::MAX;
        loop {
            let status = apps
                .get_login_flow_generation_status()
                .operation_id(operation_id)
                .send()
                .await
                .or_explain(format!("checking login flow generation {operation_id}"))
                .await?
                .status;
            let progress = progress_of(&status);
            if let Some(token) = &token
                && progress.done != reported
            {
                reported = progress.done;
                let _ = peer
                    .notify_progress(
                        ProgressNotificationParam::new(token.clone(), progress.done as f64)
                            .with_total(progress.stages as f64)
                            .with_message(format!("login flow generation: {}", progress.current)),
                    )
                    .await;
            }
            let finished =
                progress.failed || (progress.stages > 0 && progress.done == progress.stages);
            if finished {
                let result = apps
                    .get_login_flow_generation_result()
                    .operation_id(operation_id)
                    .send()
                    .await
                    .or_explain(format!("reading login flow generation {operation_id}"))
                    .await?;
                match result.status.as_ref().map(|s| s.as_str()) {
                    Some("COMPLETED") => return Ok(Generation::Completed(result.data)),
                    Some("FAILED") => {
                        return Ok(Generation::Failed(
                            result
                                .data
                                .get("error")
                                .and_then(Value::as_str)
                                .unwrap_or("no reason given")
                                .to_owned(),
                        ));
                    }
                    _ if progress.failed => {
                        return Ok(Generation::Failed(
                            "the generation failed without a reason".to_owned(),
                        ));
                    }
                    // Every stage is done but the result is not out yet: wait like any other poll.
                    _ => {}
                }
            }
            if Instant::now() >= deadline {
                return Err(ToolError::new(format!(
                    "Login flow generation {operation_id} did not finish within {} seconds; nothing was changed. Retry later, or raise --login-flow-timeout.",
                    self.settings.login_flow_timeout.as_secs()
                )));
            }
            tokio::select! {
                () = cancel.cancelled() => return Err(ToolError::new(format!("Cancelled while waiting for login flow generation {operation_id}; nothing was changed."))),
                () = tokio::time::sleep(self.settings.login_flow_poll_interval) => {}
            }
        }
    }
}

/// A refused generation: the AI feature needs a subscription, which a 403 may mean as much as
/// a missing scope; either way set_login_flow does the same without it.
fn not_subscribed(failure: &ApiFailure) -> ToolError {
    let explained = ToolError::from_failure("starting login flow generation", failure);
    if failure.kind == FailureKind::Status(403) {
        ToolError::new(format!(
            "{} If the scope is granted, the organization has no AI login-flow subscription. Either way, set_login_flow builds the same flow from named steps without it (list_login_options shows what each step can use).",
            explained.message
        ))
    } else if failure.kind == FailureKind::Status(404) {
        // WSO2 IS 7.0 has no login-flow endpoints (identity-api-server v1.2.176).
        ToolError::new(
            "This server has no AI login-flow generation (WSO2 Identity Server added the endpoint in 7.1; it needs Asgardeo's AI service), so nothing was changed. set_login_flow builds the same flow from named steps (list_login_options shows what each step can use).",
        )
    } else {
        explained
    }
}

fn sequence_from(data: &Map<String, Value>) -> Result<types::AuthenticationSequence, ToolError> {
    let steps = data
        .get("steps")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let steps: Vec<types::AuthenticationStepModel> = serde_json::from_value(steps).map_err(|e| ToolError::new(format!("The generated login flow is not a valid authentication sequence ({e}); nothing was changed.")))?;
    if steps.is_empty() {
        return Err(ToolError::new(
            "The generated login flow has no steps; nothing was changed. Rephrase the prompt naming the authenticators, e.g. \"username and password, then email OTP\".",
        ));
    }
    Ok(types::AuthenticationSequence {
        type_: types::AuthenticationSequenceType::UserDefined,
        steps,
        // A blank script changes nothing on the server, but any script at all (even "") makes
        // the PATCH need internal_application_script_update (`isScriptUpdating`), so a blank
        // one is not sent.
        script: data
            .get("script")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
        subject_step_id: 1,
        attribute_step_id: 1,
        ..Default::default()
    })
}

#[tool_router(router = login_flow_generate_router, vis = "pub(super)")]
impl ToolContext {
    /// Replace an application's login flow with one described in plain language, by
    /// Asgardeo's AI login-flow service (paid; without it, use set_login_flow). Reports
    /// progress; returns the previous and new steps.
    #[tool(annotations(
        title = "Update login flow",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn update_login_flow(
        &self,
        Parameters(req): Parameters<UpdateLoginFlowRequest>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<LoginFlowUpdate>, ToolError> {
        let app_id = input::path_segment("app_id", &req.app_id)?.to_owned();
        let prompt = input::text("user_prompt", &req.user_prompt, 2000)?.to_owned();
        if prompt.is_empty() {
            return Err(ToolError::invalid("user_prompt", "must not be empty"));
        }
        // The application must exist before the (slow) generation starts.
        let authenticator_client = self.upstream.authenticators();
        let (authenticators, app) = tokio::join!(
            authenticator_client.get_authenticators().send(),
            self.read_app(&app_id)
        );
        app?;
        let authenticators = authenticators
            .or_explain("listing the organization's authenticators")
            .await?;
        let mut available = Map::new();
        for a in authenticators.iter() {
            let kind = match a.type_.as_deref() {
                Some("FEDERATED") => "federated",
                _ => "local",
            };
            if let Some(name) = &a.name {
                let entry = available
                    .entry(kind)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    list.push(Value::from(name.clone()));
                }
            }
        }
        let body = types::LoginFlowGenerateRequest {
            user_query: Some(prompt.clone()),
            available_authenticators: available,
            user_claims: Vec::new(),
        };
        let started = self
            .upstream
            .applications()
            .generate_login_flow()
            .body(body)
            .send()
            .await
            .or_failure()
            .await
            .map_err(|failure| not_subscribed(&failure))?;
        let operation_id = started
            .into_inner()
            .operation_id
            .ok_or_else(|| ToolError::missing("operationId", "generateLoginFlow"))?;
        let data = match self
            .wait_for_generation(&operation_id, &meta, &peer, &cancel)
            .await?
        {
            Generation::Completed(data) => data,
            Generation::Failed(reason) => {
                return Err(ToolError::new(format!(
                    "Login flow generation {operation_id} failed: {reason}. Nothing was changed; rephrase the prompt."
                )));
            }
        };
        let sequence = sequence_from(&data)?;
        let steps = login_steps(
            serde_json::to_value(&sequence)
                .ok()
                .and_then(|v| serde_json::from_value(v).ok())
                .as_ref(),
        );
        // The previous flow is read under the lock, right before the write that replaces it.
        let _held = self.lock("application", &app_id).await;
        let previous_steps = login_steps(
            self.read_app(&app_id)
                .await?
                .authentication_sequence
                .as_ref(),
        );
        let patch = types::ApplicationPatchModel::builder().authentication_sequence(Some(sequence));
        self.upstream
            .applications()
            .patch_application()
            .application_id(&app_id)
            .body(patch)
            .send()
            .await
            .or_explain(format!("applying the login flow to application {app_id}"))
            .await?;
        Ok(Json(LoginFlowUpdate {
            app_id,
            operation_id,
            previous_steps,
            steps,
        }))
    }
}

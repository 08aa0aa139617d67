//! Login flows: turn a plain-language prompt into an authentication sequence with the AI
//! login-flow API, waiting a bounded time with progress and cancellation, and apply it.

use std::time::{Duration, Instant};

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{ProgressNotificationParam, RequestMetaObject};
use rmcp::{Peer, RoleServer, schemars, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::applications::{LoginStep, login_steps};
use super::{ToolError, bounded, path_segment};
use crate::api::applications::types;
use crate::server::AsgardeoServer;

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

impl AsgardeoServer {
    async fn wait_for_generation(
        &self,
        operation_id: &str,
        meta: &RequestMetaObject,
        peer: &Peer<RoleServer>,
        cancel: &CancellationToken,
    ) -> Result<Generation, ToolError> {
        let apps = self.upstream.applications();
        let base = self.upstream.base_url().to_owned();
        let deadline = Instant::now() + self.options.login_flow_timeout;
        let token = meta.get_progress_token();
        let mut reported = usize::MAX;
        loop {
            let status = match apps
                .get_login_flow_generation_status()
                .operation_id(operation_id)
                .send()
                .await
            {
                Ok(r) => r.into_inner().status,
                Err(e) => {
                    return Err(ToolError::upstream(
                        &format!("checking login flow generation {operation_id}"),
                        e,
                        &base,
                    )
                    .await);
                }
            };
            let failed = status.get("failed").and_then(Value::as_bool) == Some(true);
            let stages: Vec<(&String, bool)> = status
                .iter()
                .filter(|(k, _)| k.as_str() != "failed")
                .map(|(k, v)| (k, v.as_bool() == Some(true)))
                .collect();
            let done = stages.iter().filter(|(_, d)| *d).count();
            if let Some(token) = &token
                && done != reported
            {
                reported = done;
                let current = stages
                    .iter()
                    .find(|(_, d)| !*d)
                    .map_or("finishing", |(k, _)| k.as_str());
                let _ = peer
                    .notify_progress(
                        ProgressNotificationParam::new(token.clone(), done as f64)
                            .with_total(stages.len() as f64)
                            .with_message(format!("login flow generation: {current}")),
                    )
                    .await;
            }
            if failed || (!stages.is_empty() && done == stages.len()) {
                let result = match apps
                    .get_login_flow_generation_result()
                    .operation_id(operation_id)
                    .send()
                    .await
                {
                    Ok(r) => r.into_inner(),
                    Err(e) => {
                        return Err(ToolError::upstream(
                            &format!("reading login flow generation {operation_id}"),
                            e,
                            &base,
                        )
                        .await);
                    }
                };
                return Ok(match result.status {
                    Some(types::StatusEnum::Completed) => Generation::Completed(result.data),
                    Some(types::StatusEnum::Failed) => Generation::Failed(
                        result
                            .data
                            .get("error")
                            .and_then(Value::as_str)
                            .unwrap_or("no reason given")
                            .to_owned(),
                    ),
                    _ if failed => {
                        Generation::Failed("the generation failed without a reason".to_owned())
                    }
                    _ => continue,
                });
            }
            if Instant::now() >= deadline {
                return Err(ToolError::new(format!(
                    "Login flow generation {operation_id} did not finish within {} seconds; nothing was changed. Retry later, or raise --login-flow-timeout.",
                    self.options.login_flow_timeout.as_secs()
                )));
            }
            tokio::select! {
                () = cancel.cancelled() => return Err(ToolError::new(format!("Cancelled while waiting for login flow generation {operation_id}; nothing was changed."))),
                () = tokio::time::sleep(self.options.login_flow_poll_interval) => {}
            }
        }
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
        script: data
            .get("script")
            .and_then(Value::as_str)
            .map(str::to_owned),
        subject_step_id: 1,
        attribute_step_id: 1,
        ..Default::default()
    })
}

#[tool_router(router = login_flow_router, vis = "pub(crate)")]
impl AsgardeoServer {
    /// Replace an application's login flow with one described in plain language (e.g. "username
    /// and password, then email OTP"), generated by Asgardeo's AI login-flow service. Waits a
    /// bounded time with progress notifications; returns the previous and new steps.
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
        let app_id = path_segment("app_id", &req.app_id)?.to_owned();
        let prompt = bounded("user_prompt", &req.user_prompt, 2000)?.to_owned();
        let base = self.upstream.base_url().to_owned();
        let (authenticator_client, app_client) =
            (self.upstream.authenticators(), self.upstream.applications());
        let (authenticators, app) = tokio::join!(
            authenticator_client.get_authenticators().send(),
            app_client.get_application().application_id(&app_id).send()
        );
        let authenticators = match authenticators {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    "listing the organization's authenticators",
                    e,
                    &base,
                )
                .await);
            }
        };
        let app = match app {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(ToolError::upstream(
                    &format!("reading application {app_id}"),
                    e,
                    &base,
                )
                .await);
            }
        };
        let previous_steps = login_steps(app.authentication_sequence.as_ref());
        let mut available = Map::new();
        for a in authenticators.iter() {
            let kind = match a.type_ {
                Some(crate::api::authenticators::types::AuthenticatorType::Federated) => {
                    "federated"
                }
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
        let operation_id = match self
            .upstream
            .applications()
            .generate_login_flow()
            .body(body)
            .send()
            .await
        {
            Ok(r) => r.into_inner().operation_id.unwrap_or_default(),
            Err(e) => {
                return Err(ToolError::upstream("starting login flow generation", e, &base).await);
            }
        };
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
        let steps = login_steps(Some(&sequence));
        let patch = types::ApplicationPatchModel::builder().authentication_sequence(Some(sequence));
        match self
            .upstream
            .applications()
            .patch_application()
            .application_id(&app_id)
            .body(patch)
            .send()
            .await
        {
            Ok(_) => self.audit_write("login flow", &app_id, "ok"),
            Err(e) => {
                self.audit_write("login flow", &app_id, "failed");
                return Err(ToolError::upstream(
                    &format!("applying the login flow to application {app_id}"),
                    e,
                    &base,
                )
                .await);
            }
        }
        Ok(Json(LoginFlowUpdate {
            app_id,
            operation_id,
            previous_steps,
            steps,
        }))
    }
}

/// The poll interval is short against a sandbox and sensible against the real service.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

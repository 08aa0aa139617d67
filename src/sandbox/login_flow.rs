//! The asynchronous AI login-flow API: generate returns an operation id, status moves through
//! its stages over a configured time, result returns an authentication sequence derived
//! deterministically from the prompt and the authenticators that exist. A prompt that names
//! no available authenticator ends FAILED with a reason.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};
use super::store::{LoginFlowJob, Store};
use super::{AppState, parse_body};
use crate::api::applications::types;

pub const STAGES: [&str; 4] = [
    "optimizing_query",
    "extracting_authentication_patterns",
    "generating_login_flow",
    "validating_login_flow",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications/loginflow/generate", post(generate))
        .route("/applications/loginflow/status/{operation_id}", get(status))
        .route("/applications/loginflow/result/{operation_id}", get(result))
}

/// IS 7.0 has no login-flow endpoints (identity-api-server v1.2.176): 404.
fn served(shared: &AppState) -> ApiResult<()> {
    if shared.version == super::ServerVersion::Is7_0 {
        return Err(ApiError::not_found(
            "SANDBOX-NOROUTE",
            "this server version has no login-flow generation",
        ));
    }
    Ok(())
}

/// (words that name it, authenticator, IdP).
const VOCABULARY: [(&[&str], &str, &str); 9] = [
    (
        &[
            "username and password",
            "username & password",
            "password",
            "basic",
        ],
        "BasicAuthenticator",
        "LOCAL",
    ),
    (
        &["email otp", "email one-time", "email code"],
        "email-otp-authenticator",
        "LOCAL",
    ),
    (
        &["sms otp", "sms", "text message"],
        "sms-otp-authenticator",
        "LOCAL",
    ),
    (&["totp", "authenticator app"], "totp", "LOCAL"),
    (
        &["passkey", "fido", "webauthn"],
        "FIDOAuthenticator",
        "LOCAL",
    ),
    (&["magic link"], "MagicLinkAuthenticator", "LOCAL"),
    (&["backup code"], "backup-code-authenticator", "LOCAL"),
    // A connection: whichever identity provider signs in with this authenticator.
    (&["google"], "GoogleOIDCAuthenticator", ""),
    (&["github"], "GithubAuthenticator", ""),
];

/// The authentication steps `prompt` asks for, using only authenticators `store` has.
/// Mentions joined by "or" share a step; any other words between mentions start a new step.
pub fn steps_for(prompt: &str, store: &Store) -> Result<Value, String> {
    let lower = prompt.to_lowercase();
    let mut mentions: Vec<(usize, usize, &str, &str)> = Vec::new();
    for (words, authenticator, idp) in VOCABULARY {
        let (available, idp) = if idp == "LOCAL" {
            let local = store
                .authenticators
                .iter()
                .any(|a| a.name.as_deref() == Some(authenticator));
            (local, idp)
        } else {
            match store.idps.iter().find(|i| i.authenticator == authenticator) {
                Some(found) => (true, found.name.as_str()),
                None => (false, idp),
            }
        };
        for word in words {
            if let Some(at) = lower.find(word) {
                let overlaps = mentions
                    .iter()
                    .any(|(s, e, ..)| at < *e && at + word.len() > *s);
                if !overlaps {
                    if !available {
                        return Err(format!(
                            "the prompt asks for {authenticator}, which is not available in this organization"
                        ));
                    }
                    mentions.push((at, at + word.len(), authenticator, idp));
                }
                break;
            }
        }
    }
    if mentions.is_empty() {
        return Err("the prompt names no authenticator this organization has (e.g. username and password, email OTP, SMS OTP, TOTP, passkey, magic link, Google)".into());
    }
    mentions.sort_by_key(|m| m.0);
    let mut steps: Vec<Vec<(&str, &str)>> = vec![vec![(mentions[0].2, mentions[0].3)]];
    for pair in mentions.windows(2) {
        let between = &lower[pair[0].1..pair[1].0];
        let same_step = between
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "or");
        let option = (pair[1].2, pair[1].3);
        match steps.last_mut() {
            Some(step) if same_step => step.push(option),
            _ => steps.push(vec![option]),
        }
    }
    let steps: Vec<Value> = steps
        .into_iter()
        .enumerate()
        .map(|(i, options)| json!({ "id": i + 1, "options": options.into_iter().map(|(a, idp)| json!({ "authenticator": a, "idp": idp })).collect::<Vec<_>>() }))
        .collect();
    Ok(json!({ "steps": steps, "script": "" }))
}

async fn generate(
    State(shared): State<AppState>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<types::LoginFlowGenerateResponse>)> {
    served(&shared)?;
    let request: types::LoginFlowGenerateRequest = parse_body(&body, "login flow")?;
    let prompt = request.user_query.unwrap_or_default();
    if prompt.trim().is_empty() {
        return Err(ApiError::bad_request(
            "AI-10000",
            "`user_query` is required",
        ));
    }
    let mut store = shared.store();
    if !store.ai_login_flow {
        return Err(ApiError::forbidden(
            "AI login flow generation is not enabled for this organization: it needs the AI features subscription",
        ));
    }
    let outcome = steps_for(&prompt, &store);
    let id = store.new_id();
    store.login_flows.insert(
        id.clone(),
        LoginFlowJob {
            prompt,
            started: Instant::now(),
            outcome,
        },
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(types::LoginFlowGenerateResponse {
            operation_id: Some(id),
        }),
    ))
}

/// How many stages are done, and whether the job has finished.
fn progress(job: &LoginFlowJob, store: &Store) -> (usize, bool) {
    let total = store.login_flow_duration.as_secs_f64().max(f64::EPSILON);
    let fraction = job.started.elapsed().as_secs_f64() / total;
    let done = ((fraction * STAGES.len() as f64).floor() as usize).min(STAGES.len());
    (done, done == STAGES.len())
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(
        "AI-10002",
        format!("no login flow generation with operation id {id}"),
    )
}

async fn status(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::LoginFlowStatusResponse>> {
    served(&shared)?;
    let store = shared.store();
    let job = store.login_flows.get(&id).ok_or_else(|| missing(&id))?;
    let (done, finished) = progress(job, &store);
    let mut status: Map<String, Value> = STAGES
        .iter()
        .enumerate()
        .map(|(i, s)| ((*s).to_owned(), json!(i < done)))
        .collect();
    if finished && job.outcome.is_err() {
        status.insert("failed".into(), json!(true));
    }
    Ok(Json(types::LoginFlowStatusResponse {
        operation_id: Some(id),
        status,
    }))
}

async fn result(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<types::LoginFlowResultResponse>> {
    served(&shared)?;
    let store = shared.store();
    let job = store.login_flows.get(&id).ok_or_else(|| missing(&id))?;
    let (_, stages_done) = progress(job, &store);
    let finished = stages_done
        && job.started.elapsed() >= store.login_flow_duration + store.login_flow_result_delay;
    let (status, data) = match (&job.outcome, finished) {
        (_, false) => (types::StatusEnum("IN_PROGRESS".into()), Map::new()),
        (Ok(Value::Object(data)), true) => (types::StatusEnum("COMPLETED".into()), data.clone()),
        (Ok(_), true) => (types::StatusEnum("COMPLETED".into()), Map::new()),
        (Err(reason), true) => (
            types::StatusEnum("FAILED".into()),
            Map::from_iter([
                ("error".to_owned(), json!(reason)),
                ("prompt".to_owned(), json!(job.prompt)),
            ]),
        ),
    };
    Ok(Json(types::LoginFlowResultResponse {
        status: Some(status),
        data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let mut store = Store::empty("t", 1);
        super::super::seed::organization(&mut store, 0);
        store.idps.push(super::super::store::Idp {
            id: "g1".into(),
            name: "Google".into(),
            description: None,
            image: None,
            enabled: true,
            authenticator: "GoogleOIDCAuthenticator".into(),
            properties: Vec::new(),
        });
        store
    }

    fn shape(prompt: &str) -> Vec<Vec<String>> {
        let value = steps_for(prompt, &store()).unwrap();
        value["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["authenticator"].as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn two_factors_become_two_steps() {
        assert_eq!(
            shape("Username and password as first factor and Email OTP as second factor"),
            [["BasicAuthenticator"], ["email-otp-authenticator"]]
        );
        assert_eq!(
            shape("username and password, then email OTP"),
            [["BasicAuthenticator"], ["email-otp-authenticator"]]
        );
    }

    #[test]
    fn alternatives_share_a_step() {
        assert_eq!(
            shape("Google or username and password, then TOTP"),
            [
                vec!["GoogleOIDCAuthenticator", "BasicAuthenticator"],
                vec!["totp"]
            ]
        );
    }

    #[test]
    fn a_connection_the_organization_lacks_is_refused() {
        let mut bare = Store::empty("t", 1);
        super::super::seed::organization(&mut bare, 0);
        let err = steps_for("GitHub then TOTP", &bare).unwrap_err();
        assert!(err.contains("GithubAuthenticator"), "{err}");
    }

    #[test]
    fn a_prompt_without_authenticators_fails_with_a_reason() {
        let err = steps_for("make it secure", &store()).unwrap_err();
        assert!(err.contains("names no authenticator"), "{err}");
    }
}

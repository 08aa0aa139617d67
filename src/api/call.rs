//! What the seam knows about the tool call it serves: when the call must end, whether it was
//! cancelled, whether its writes may go out at all (a dry run holds them back and keeps them
//! as the plan), what the tool said it is about to change, and every write it sent with its
//! outcome. The server opens one scope per call; the seam consults it before each request and
//! records each write, so no tool can forget to check cancellation, to honour a dry run or to
//! report what it changed.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

tokio::task_local! {
    static CALL: CallScope;
}

/// How a write request ended, as far as this process can know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WriteOutcome {
    /// The server answered 2xx: the change happened.
    Ok { status: u16 },
    /// The server answered with an error status: nothing changed.
    Failed { status: u16 },
    /// The request went out but no answer came (timeout, dropped connection): the change may
    /// or may not have happened.
    Unknown { reason: String },
    /// The request was never sent (cancelled or out of time first): nothing changed.
    NotSent { reason: String },
    /// No answer came, but a read-back found the change: it happened.
    Confirmed { reason: String },
}

impl WriteOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            WriteOutcome::Ok { .. } => "ok",
            WriteOutcome::Failed { .. } => "failed",
            WriteOutcome::Unknown { .. } => "unknown",
            WriteOutcome::NotSent { .. } => "not_sent",
            WriteOutcome::Confirmed { .. } => "ok",
        }
    }
}

/// One write the seam sent (or refused to send) during a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteRecord {
    pub operation: &'static str,
    pub method: String,
    /// The request's path under the tenant (identifiers, never bodies).
    pub path: String,
    #[serde(flatten)]
    pub outcome: WriteOutcome,
    /// The `Location` of what a 201 created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl WriteRecord {
    /// The last path segment of `Location`: the created resource's id.
    pub fn created_id(&self) -> Option<&str> {
        self.location
            .as_deref()?
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty())
    }
}

/// Whether a call's writes go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMode {
    Live,
    /// Reads run; every write is held back and kept as the plan.
    DryRun,
}

/// A write a dry run held back: exactly what would have been sent (secrets redacted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRequest {
    pub operation: &'static str,
    pub method: String,
    /// The path under the tenant, with the query.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// What a write tool is about to change, declared before it writes: the resource as it is and
/// as the tool will leave it (`null` for what does not exist before or after).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntendedChange {
    /// What will happen, in words a person recognises (`Delete application "shop" (id …)`).
    pub summary: String,
    pub before: Value,
    pub after: Value,
}

/// The state a confirmation was given for, sealed: only the keyed MAC of the resource's state
/// digest travels (in a token the model sees), never the digest itself, which for a secret's
/// rotation would be a digest over the secret. `seal` computes the same MAC for the state the
/// call reads now.
#[derive(Clone)]
pub struct ConfirmedState {
    pub sealed: String,
    pub seal: Arc<dyn Fn(&str) -> String + Send + Sync>,
}

impl std::fmt::Debug for ConfirmedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmedState").finish_non_exhaustive()
    }
}

/// The resource is no longer what a confirmation was given for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChanged {
    pub summary: String,
}

struct CallState {
    cancel: CancellationToken,
    mode: CallMode,
    /// Set when the call runs on a confirmation: the state the person confirmed.
    expected_state: Option<ConfirmedState>,
    planned: Mutex<Vec<PlannedRequest>>,
    change: Mutex<Option<IntendedChange>>,
    deadline: Option<Instant>,
    limit: Option<Duration>,
    writes: Mutex<Vec<WriteRecord>>,
    /// Set once the token endpoint timed out: the call does not ask it again.
    token_timed_out: Mutex<Option<String>>,
}

/// One tool call's scope. Cheap to clone; every clone is the same call.
#[derive(Clone)]
pub struct CallScope {
    state: Arc<CallState>,
}

impl CallScope {
    /// A scope that ends `limit` from now (if given) or when `cancel` fires.
    pub fn new(cancel: CancellationToken, limit: Option<Duration>) -> Self {
        Self {
            state: Arc::new(CallState {
                cancel,
                mode: CallMode::Live,
                expected_state: None,
                planned: Mutex::new(Vec::new()),
                change: Mutex::new(None),
                deadline: limit.map(|l| Instant::now() + l),
                limit,
                writes: Mutex::new(Vec::new()),
                token_timed_out: Mutex::new(None),
            }),
        }
    }

    /// The same scope in `mode`, bound to the confirmed `expected_state` if any. Must be called
    /// before the scope is shared.
    pub fn with_mode(self, mode: CallMode, expected_state: Option<ConfirmedState>) -> Self {
        let state = Arc::try_unwrap(self.state).unwrap_or_else(|shared| CallState {
            cancel: shared.cancel.clone(),
            mode,
            expected_state: None,
            planned: Mutex::new(Vec::new()),
            change: Mutex::new(None),
            deadline: shared.deadline,
            limit: shared.limit,
            writes: Mutex::new(Vec::new()),
            token_timed_out: Mutex::new(None),
        });
        Self {
            state: Arc::new(CallState {
                mode,
                expected_state,
                ..state
            }),
        }
    }

    pub fn mode(&self) -> CallMode {
        self.state.mode
    }

    /// Keeps a write a dry run held back.
    pub fn plan(&self, request: PlannedRequest) {
        lock(&self.state.planned).push(request);
    }

    /// The writes a dry run held back, in order.
    pub fn planned(&self) -> Vec<PlannedRequest> {
        lock(&self.state.planned).clone()
    }

    /// Declares what the tool is about to change. On a confirmed call, fails if the resource
    /// is no longer in the state that was confirmed: nothing may be written then.
    pub fn intend(&self, change: IntendedChange) -> Result<(), StateChanged> {
        if let Some(expected) = &self.state.expected_state
            && expected.sealed != (expected.seal)(&state_digest(&change.before))
        {
            return Err(StateChanged {
                summary: change.summary,
            });
        }
        *lock(&self.state.change) = Some(change);
        Ok(())
    }

    /// What the tool declared it would change, if it did.
    pub fn intended(&self) -> Option<IntendedChange> {
        lock(&self.state.change).clone()
    }

    /// Runs `future` inside this scope, so the seam sees it.
    pub async fn run<F: Future>(&self, future: F) -> F::Output {
        CALL.scope(self.clone(), future).await
    }

    /// The scope of the call running on this task, if any.
    pub fn current() -> Option<CallScope> {
        CALL.try_with(Clone::clone).ok()
    }

    pub fn is_cancelled(&self) -> bool {
        self.state.cancel.is_cancelled()
    }

    pub fn cancellation(&self) -> &CancellationToken {
        &self.state.cancel
    }

    /// Time left before the call's deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.state
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The call's whole time limit.
    pub fn limit(&self) -> Option<Duration> {
        self.state.limit
    }

    /// A read-back proved that the writes whose answer never came did happen.
    pub fn confirm_unknown_writes(&self) {
        for write in self.writes_guard().iter_mut() {
            if let WriteOutcome::Unknown { reason } = &write.outcome {
                write.outcome = WriteOutcome::Confirmed {
                    reason: reason.clone(),
                };
            }
        }
    }

    pub fn record(&self, record: WriteRecord) {
        self.writes_guard().push(record);
    }

    /// Every write of the call so far, in the order they were sent.
    pub fn writes(&self) -> Vec<WriteRecord> {
        self.writes_guard().clone()
    }

    fn writes_guard(&self) -> std::sync::MutexGuard<'_, Vec<WriteRecord>> {
        lock(&self.state.writes)
    }

    pub fn token_timed_out(&self) -> Option<String> {
        self.state
            .token_timed_out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn mark_token_timed_out(&self, url: &str) {
        *self
            .state
            .token_timed_out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(url.to_owned());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while pushing or replacing cannot leave the value half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A resource state's version: the SHA-256 of its JSON (object keys are sorted, so equal
/// states give equal digests).
pub fn state_digest(state: &Value) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, state.to_string().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(before: Value) -> IntendedChange {
        IntendedChange {
            summary: "Delete application \"shop\"".into(),
            before,
            after: Value::Null,
        }
    }

    #[test]
    fn a_confirmed_call_refuses_a_changed_resource() {
        let confirmed = json!({ "name": "shop", "description": "old" });
        let plain = ConfirmedState {
            sealed: state_digest(&confirmed),
            seal: Arc::new(str::to_owned),
        };
        let scope =
            CallScope::new(CancellationToken::new(), None).with_mode(CallMode::Live, Some(plain));
        assert!(scope.intend(change(confirmed.clone())).is_ok());
        let changed = json!({ "name": "shop", "description": "new" });
        assert_eq!(
            scope.intend(change(changed)),
            Err(StateChanged {
                summary: "Delete application \"shop\"".into()
            })
        );
    }

    #[test]
    fn an_unconfirmed_call_accepts_any_state_and_keeps_the_declaration() {
        let scope = CallScope::new(CancellationToken::new(), None);
        assert_eq!(scope.mode(), CallMode::Live);
        scope.intend(change(json!({ "a": 1 }))).unwrap();
        assert_eq!(scope.intended().unwrap().before, json!({ "a": 1 }));
    }

    #[test]
    fn equal_states_have_equal_digests_whatever_the_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":[1,2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap();
        assert_eq!(state_digest(&a), state_digest(&b));
        assert_ne!(
            state_digest(&a),
            state_digest(&json!({ "a": [2, 1], "b": 1 }))
        );
    }
}

//! What the seam knows about the tool call it serves: when the call must end, whether it was
//! cancelled, and every write it sent with its outcome. The server opens one scope per call;
//! the seam consults it before each request and records each write, so no tool can forget to
//! check cancellation or to report what it changed.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
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

struct CallState {
    cancel: CancellationToken,
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
                deadline: limit.map(|l| Instant::now() + l),
                limit,
                writes: Mutex::new(Vec::new()),
                token_timed_out: Mutex::new(None),
            }),
        }
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
        // A panic while pushing cannot leave the list half-written.
        self.state
            .writes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

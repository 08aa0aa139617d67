//! The audit trail: one record per call of a tool that can write, whatever happened, with the
//! outcome taken from what the seam saw go out (ok, failed with its status, unknown, not
//! sent), to stderr through `tracing` and, when configured, as a JSON line to a file. Secrets
//! are never among the fields: arguments are not recorded, only paths and outcomes.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::api::{WriteOutcome, WriteRecord};

/// Who asked, when the transport knows (remote mode); `None` over stdio.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Caller {
    /// The person's `sub`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Their username claim, when the token carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// The person behind a remote request, from the bearer token the HTTP layer validated: who
/// they are for the audit log, and the scopes that decide which tools they see and call.
#[derive(Debug, Clone, Default)]
pub struct RemoteUser {
    pub sub: String,
    pub username: Option<String>,
    pub client_id: Option<String>,
    pub scopes: std::collections::BTreeSet<String>,
}

impl RemoteUser {
    pub fn caller(&self) -> Caller {
        Caller {
            user: Some(self.sub.clone()),
            username: self.username.clone(),
            client_id: self.client_id.clone(),
        }
    }
}

/// One call's record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub time: String,
    pub tool: String,
    #[serde(flatten)]
    pub caller: Caller,
    /// `ok`, `failed`, `partial`, `unknown`, `not_sent`, or `none` (nothing was attempted).
    pub outcome: &'static str,
    /// The status of the last write that got one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The resource the call acted on: what it created, or the first one it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Ids of what the call created (from `Location`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    pub writes: Vec<WriteRecord>,
    /// Whether the tool's result was an error, and its first words.
    pub error: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How a destructive call was confirmed: `elicitation`, `token`, or `skipped (--yes)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<&'static str>,
    /// Why nothing was sent, for a call that ended before any write (a dry run, a plan
    /// awaiting confirmation, a refused confirmation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    pub base_url: String,
}

/// The call's overall outcome from the writes it sent.
pub fn outcome_of(writes: &[WriteRecord]) -> &'static str {
    let count = |f: fn(&WriteOutcome) -> bool| writes.iter().filter(|w| f(&w.outcome)).count();
    let ok = count(|o| matches!(o, WriteOutcome::Ok { .. } | WriteOutcome::Confirmed { .. }));
    let failed = count(|o| matches!(o, WriteOutcome::Failed { .. }));
    let unknown = count(|o| matches!(o, WriteOutcome::Unknown { .. }));
    match (writes.len(), ok, failed, unknown) {
        (0, ..) => "none",
        (_, _, _, u) if u > 0 => "unknown",
        (n, ok, _, _) if ok == n => "ok",
        (_, 0, f, _) if f > 0 => "failed",
        (_, 0, 0, _) => "not_sent",
        _ => "partial",
    }
}

impl AuditRecord {
    pub fn new(
        tool: &str,
        caller: Caller,
        writes: Vec<WriteRecord>,
        error: Option<String>,
        base_url: &str,
    ) -> Self {
        let status = writes.iter().rev().find_map(|w| match w.outcome {
            WriteOutcome::Ok { status } | WriteOutcome::Failed { status } => Some(status),
            _ => None,
        });
        let created: Vec<String> = writes
            .iter()
            .filter(|w| {
                matches!(
                    w.outcome,
                    WriteOutcome::Ok { status: 201 } | WriteOutcome::Confirmed { .. }
                )
            })
            .filter_map(|w| w.created_id().map(str::to_owned))
            .collect();
        let target = created
            .first()
            .cloned()
            .or_else(|| writes.iter().find_map(|w| resource_of(&w.path)));
        Self {
            target,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            tool: tool.to_owned(),
            caller,
            outcome: outcome_of(&writes),
            status,
            created,
            error: error.is_some(),
            message: error.map(|m| m.chars().take(300).collect()),
            writes,
            confirmed_by: None,
            note: None,
            base_url: base_url.to_owned(),
        }
    }

    pub fn confirmed_by(mut self, by: Option<&'static str>) -> Self {
        self.confirmed_by = by;
        self
    }

    pub fn with_note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }
}

/// The id in a resource path: the segment after the collection (`/api/server/v1/applications/
/// <id>/inbound-protocols/oidc` → `<id>`).
fn resource_of(path: &str) -> Option<String> {
    let mut segments = path
        .split('/')
        .filter(|s| !s.is_empty() && !matches!(*s, "api" | "server" | "v1" | "v2" | "scim2"));
    segments.next()?;
    segments.next().map(str::to_owned)
}

/// Where audit records go: always the server log; a JSON-lines file when configured.
#[derive(Clone, Default)]
pub struct AuditLog {
    file: Option<Arc<Mutex<std::fs::File>>>,
}

impl AuditLog {
    pub fn to_file(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            file: Some(Arc::new(Mutex::new(file))),
        })
    }

    pub fn record(&self, record: &AuditRecord) {
        tracing::info!(
            target: "audit",
            tool = %record.tool,
            outcome = record.outcome,
            status = record.status,
            created = ?record.created,
            writes = record.writes.len(),
            error = record.error,
            confirmed_by = record.confirmed_by,
            note = record.note,
            "write"
        );
        if let Some(file) = &self.file {
            let Ok(line) = serde_json::to_string(record) else {
                return;
            };
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = writeln!(file, "{line}").and_then(|()| file.flush()) {
                tracing::warn!(error = %e, "could not append to the audit log");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(outcome: WriteOutcome) -> WriteRecord {
        WriteRecord {
            operation: "createApplication",
            method: "POST".into(),
            path: "/api/server/v1/applications".into(),
            outcome,
            location: Some("https://x/t/o/api/server/v1/applications/abc".into()),
        }
    }

    #[test]
    fn outcomes_sum_up_the_writes() {
        use WriteOutcome::*;
        assert_eq!(outcome_of(&[]), "none");
        assert_eq!(outcome_of(&[write(Ok { status: 201 })]), "ok");
        assert_eq!(outcome_of(&[write(Failed { status: 409 })]), "failed");
        assert_eq!(
            outcome_of(&[write(Unknown {
                reason: "timeout".into()
            })]),
            "unknown"
        );
        assert_eq!(
            outcome_of(&[write(NotSent {
                reason: "cancelled".into()
            })]),
            "not_sent"
        );
        assert_eq!(
            outcome_of(&[write(Ok { status: 200 }), write(Failed { status: 500 })]),
            "partial"
        );
        let record = AuditRecord::new(
            "create_m2m_app",
            Caller::default(),
            vec![write(Ok { status: 201 })],
            None,
            "https://x/t/o",
        );
        assert_eq!(record.created, ["abc"]);
        assert_eq!(record.target.as_deref(), Some("abc"));
        assert_eq!(
            resource_of("/api/server/v1/applications/x1/inbound-protocols/oidc").as_deref(),
            Some("x1")
        );
        assert_eq!(resource_of("/scim2/v2/Roles/r9").as_deref(), Some("r9"));
        assert_eq!(resource_of("/api/server/v1/applications"), None);
        assert_eq!(record.status, Some(201));
    }
}

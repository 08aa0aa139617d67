//! The safety steps of the call pipeline, decided by the catalogue alone: every tool that
//! writes takes `dry_run` (it runs with each write held back at the seam, and the answer is the
//! plan: the exact requests, and the resource before and after); every destructive tool runs
//! only once confirmed: by the person, through elicitation where the client can ask (a form
//! within the call on older protocols, an input request on 2026-07-28), otherwise by repeating
//! the call with the token its plan carried. Nothing runs unconfirmed unless the operator said
//! so (`--yes`), and the audit log says which way each destructive call was confirmed.

use std::time::Duration;

use rmcp::model::{
    CallToolResult, ContentBlock, ElicitRequestParams, ElicitationAction, ElicitationSchema,
    JsonObject,
};
use serde_json::{Map, Value, json};

use crate::api::{CallScope, PlannedRequest, redact_secrets};
use crate::tools::Access;

/// The argument every write tool takes: show the plan, change nothing.
pub const DRY_RUN: &str = "dry_run";
/// The argument every destructive tool takes: the token of a plan the person agreed to.
pub const CONFIRMATION_TOKEN: &str = "confirmation_token";
/// The key of the confirmation form's one field, and of its input request.
pub const CONFIRM: &str = "confirm";

/// The pipeline's own arguments, taken out before the tool sees the call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Controls {
    pub dry_run: bool,
    pub token: Option<String>,
}

/// Takes the pipeline's arguments out of `arguments` (those the tool's access gives it).
pub fn take_controls(
    arguments: &mut Option<JsonObject>,
    access: Access,
) -> Result<Controls, String> {
    let mut controls = Controls::default();
    let Some(args) = arguments.as_mut() else {
        return Ok(controls);
    };
    if access != Access::Read {
        match args.remove(DRY_RUN) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => controls.dry_run = b,
            Some(other) => {
                return Err(format!(
                    "Invalid argument `{DRY_RUN}`: expected true or false, got {other}."
                ));
            }
        }
    }
    if access == Access::Destructive {
        match args.remove(CONFIRMATION_TOKEN) {
            None | Some(Value::Null) => {}
            Some(Value::String(t)) if !t.trim().is_empty() => controls.token = Some(t),
            Some(other) => {
                return Err(format!(
                    "Invalid argument `{CONFIRMATION_TOKEN}`: expected the token string a previous call returned, got {other}."
                ));
            }
        }
    }
    Ok(controls)
}

/// What a call would do, from its dry run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub summary: String,
    pub requests: Vec<PlannedRequest>,
    pub before: Value,
    pub after: Value,
}

impl Plan {
    /// The plan of a dry-run scope; `None` when the tool neither declared a change nor tried
    /// to write (it failed first, or found nothing to do).
    pub fn of(scope: &CallScope) -> Option<Self> {
        let requests = scope.planned();
        let intended = scope.intended();
        if requests.is_empty() && intended.is_none() {
            return None;
        }
        let (summary, mut before, mut after) = match intended {
            Some(c) => (c.summary, c.before, c.after),
            None => (String::new(), Value::Null, Value::Null),
        };
        redact_secrets(&mut before);
        redact_secrets(&mut after);
        Some(Self {
            summary,
            requests,
            before,
            after,
        })
    }

    /// `{"plan": {...}}`: what a dry run or an unconfirmed call answers.
    fn to_json(&self, status: &str, message: String) -> Value {
        let mut plan = json!({
            "status": status,
            "message": message,
            "requests": self.requests,
            "changes": diff(&self.before, &self.after),
            "before": self.before,
            "after": self.after,
        });
        if !self.summary.is_empty() {
            plan["summary"] = json!(self.summary);
        }
        json!({ "plan": plan })
    }

    fn summary_or(&self, tool: &str) -> String {
        if self.summary.is_empty() {
            format!("`{tool}`")
        } else {
            self.summary.clone()
        }
    }

    /// The answer to `dry_run: true`.
    pub fn dry_run_result(&self, tool: &str) -> CallToolResult {
        let message = format!(
            "Dry run: nothing was changed. {} would send the requests below; `before` and `after` show the resource as it is and as it would be.",
            self.summary_or(tool)
        );
        structured(self.to_json("dry_run", message))
    }

    /// The answer to an unconfirmed destructive call on a host that cannot ask the person.
    pub fn confirmation_result(&self, tool: &str, token: &str, ttl: Duration) -> CallToolResult {
        let message = format!(
            "Nothing was changed yet: {} needs confirmation. Show the person this plan; only if they agree, call `{tool}` again with the same arguments and \"{CONFIRMATION_TOKEN}\": \"{token}\". The token works once, for exactly this call, within {} seconds, and only while the resource stays as shown.",
            self.summary_or(tool),
            ttl.as_secs()
        );
        let mut value = self.to_json("confirmation_required", message);
        value["plan"]["confirmation_token"] = json!(token);
        value["plan"]["expires_in_seconds"] = json!(ttl.as_secs());
        structured(value)
    }

    /// The form that asks the person: what will happen, and the requests that do it.
    pub fn elicitation(&self, tool: &str) -> ElicitRequestParams {
        let requests: Vec<String> = self
            .requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        let message = format!(
            "{}.\n\nThis cannot be undone. The assistant asked for it through `{tool}`, which will send:\n{}\n\nConfirm to go ahead.",
            self.summary_or(tool).trim_end_matches('.'),
            requests.join("\n")
        );
        let schema = ElicitationSchema::builder()
            .required_bool_with(CONFIRM, |b| {
                b.title("Go ahead")
                    .description("Tick to let this change happen.")
            })
            .build_unchecked();
        ElicitRequestParams::FormElicitationParams {
            meta: None,
            message,
            requested_schema: schema,
        }
    }
}

/// What the person answered to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    Declined,
}

/// Reads an elicitation result (an `ElicitResult` as JSON): accepted with `confirm: true` is a
/// confirmation; anything else (declined, cancelled, accepted unticked) is not.
pub fn answer_of(result: &Value) -> Answer {
    let accepted = serde_json::from_value::<ElicitationAction>(result["action"].clone())
        .is_ok_and(|a| a == ElicitationAction::Accept);
    if accepted && result["content"][CONFIRM] == json!(true) {
        Answer::Confirmed
    } else {
        Answer::Declined
    }
}

/// The answer when the person said no.
pub fn declined_result(tool: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "Not done: the person declined the confirmation of `{tool}`. Nothing was changed. Do not retry unless they ask again."
    ))])
}

pub fn refused_result(reason: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "Not done: {reason}. Nothing was changed. Call the tool again without `{CONFIRMATION_TOKEN}` to get a fresh plan and token, and confirm that."
    ))])
}

fn structured(value: Value) -> CallToolResult {
    CallToolResult::structured(value)
}

/// Where `before` and `after` differ, as `{path, before, after}` with JSON-pointer paths:
/// objects compare key by key, lists of equal length item by item, anything else whole.
pub fn diff(before: &Value, after: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    diff_into("", before, after, &mut out);
    out
}

fn diff_into(path: &str, before: &Value, after: &Value, out: &mut Vec<Value>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            let null = Value::Null;
            for key in keys {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                diff_into(
                    &format!("{path}/{escaped}"),
                    b.get(key).unwrap_or(&null),
                    a.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (x, y)) in b.iter().zip(a).enumerate() {
                diff_into(&format!("{path}/{i}"), x, y, out);
            }
        }
        _ => out.push(json!({
            "path": if path.is_empty() { "/" } else { path },
            "before": before,
            "after": after,
        })),
    }
}

/// Adds the pipeline's arguments to a tool's input schema and the plan to its output schema.
pub fn present(tool: &mut rmcp::model::Tool, access: Access) {
    if access == Access::Read {
        return;
    }
    let mut input = (*tool.input_schema).clone();
    let properties = input
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(props) = properties {
        props.insert(
            DRY_RUN.into(),
            json!({ "type": "boolean", "description": "Dry run: show the requests and before/after only." }),
        );
        if access == Access::Destructive {
            props.insert(
                CONFIRMATION_TOKEN.into(),
                json!({ "type": "string", "description": "From this tool's plan, once the person agreed to it." }),
            );
        }
    }
    tool.input_schema = std::sync::Arc::new(input);
    if let Some(output) = &tool.output_schema {
        let mut output = (**output).clone();
        if let Some(Value::Object(props)) = output.get_mut("properties") {
            props.insert("plan".into(), json!({ "type": "object" }));
        }
        tool.output_schema = Some(std::sync::Arc::new(output));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_taken_out_by_access() {
        let mut args = Some(
            json!({ "id": "1", "dry_run": true, "confirmation_token": "t" })
                .as_object()
                .cloned()
                .unwrap(),
        );
        let c = take_controls(&mut args, Access::Destructive).unwrap();
        assert_eq!(
            c,
            Controls {
                dry_run: true,
                token: Some("t".into())
            }
        );
        assert_eq!(Value::Object(args.unwrap()), json!({ "id": "1" }));

        let mut read = Some(json!({ "dry_run": true }).as_object().cloned().unwrap());
        assert_eq!(
            take_controls(&mut read, Access::Read).unwrap(),
            Controls::default()
        );
        assert!(
            read.unwrap().contains_key("dry_run"),
            "a read tool refuses it itself"
        );

        let mut bad = Some(json!({ "dry_run": "yes" }).as_object().cloned().unwrap());
        assert!(
            take_controls(&mut bad, Access::Write)
                .unwrap_err()
                .contains("dry_run")
        );
    }

    #[test]
    fn the_diff_names_each_changed_place() {
        let before = json!({ "name": "a", "steps": [{ "id": 1 }], "gone": true });
        let after = json!({ "name": "b", "steps": [{ "id": 1 }, { "id": 2 }] });
        let d = diff(&before, &after);
        assert_eq!(
            d,
            vec![
                json!({ "path": "/gone", "before": true, "after": null }),
                json!({ "path": "/name", "before": "a", "after": "b" }),
                json!({ "path": "/steps", "before": [{ "id": 1 }], "after": [{ "id": 1 }, { "id": 2 }] }),
            ]
        );
        assert!(diff(&before, &before).is_empty());
        assert_eq!(
            diff(&before, &Value::Null).len(),
            1,
            "a deletion is one change"
        );
    }

    #[test]
    fn only_an_accepted_ticked_form_confirms() {
        assert_eq!(
            answer_of(&json!({ "action": "accept", "content": { "confirm": true } })),
            Answer::Confirmed
        );
        for other in [
            json!({ "action": "accept", "content": { "confirm": false } }),
            json!({ "action": "accept" }),
            json!({ "action": "decline" }),
            json!({ "action": "cancel", "content": { "confirm": true } }),
            json!("garbage"),
        ] {
            assert_eq!(answer_of(&other), Answer::Declined, "{other}");
        }
    }
}

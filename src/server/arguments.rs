//! What a tool's argument error says, without the arguments' values. rmcp answers arguments
//! that do not decode with serde's words ("invalid type: integer `4815162342`, expected a
//! string"), which carry the value: a password given as a number would reach the audit log and
//! the model's context. The message is rebuilt from the tool's input schema (the argument, the
//! type it takes, the JSON type it got), or else stripped of every quoted value.

use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, ContentBlock, ErrorCode, JsonObject};
use serde_json::Value;

/// What rmcp says of arguments that do not decode, before serde's words.
const UNDECODABLE: &str = "failed to deserialize parameters";

/// A call's result with an argument error (rmcp answers one as a tool error, or as an
/// invalid-params error) rewritten by [`argument_error`]; any other result as it was.
pub fn without_argument_values(
    result: Result<CallToolResponse, ErrorData>,
    schema: &JsonObject,
    arguments: &JsonObject,
) -> Result<CallToolResponse, ErrorData> {
    match result {
        Ok(CallToolResponse::Complete(mut r)) if r.is_error == Some(true) => {
            let undecodable = r
                .content
                .iter()
                .filter_map(|c| c.as_text())
                .find(|t| t.text.starts_with(UNDECODABLE))
                .map(|t| t.text.clone());
            if let Some(message) = undecodable {
                r.content = vec![ContentBlock::text(argument_error(
                    schema, arguments, &message,
                ))];
            }
            Ok(CallToolResponse::Complete(r))
        }
        Err(mut e) if e.code == ErrorCode::INVALID_PARAMS && e.message.contains(UNDECODABLE) => {
            e.message = argument_error(schema, arguments, &e.message).into();
            Err(e)
        }
        other => other,
    }
}

/// The sentence for an argument error of the tool whose input schema is `schema`, given the
/// `arguments` sent and serde's `message`.
pub fn argument_error(schema: &JsonObject, arguments: &JsonObject, message: &str) -> String {
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(field) = quoted_after(message, "unknown field ") {
        let known: Vec<&str> = properties
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return if known.is_empty() {
            format!("Invalid arguments: `{field}` is not an argument of this tool (it takes none).")
        } else {
            format!(
                "Invalid arguments: `{field}` is not an argument of this tool (it takes {}).",
                known.join(", ")
            )
        };
    }
    if let Some(field) = quoted_after(message, "missing field ") {
        return format!("Invalid arguments: `{field}` is required.");
    }
    if let Some(properties) = properties {
        for (name, value) in arguments {
            let Some(expected) = properties.get(name) else {
                continue;
            };
            if let Some(wanted) = mismatch(expected, value) {
                return format!(
                    "Invalid arguments: `{name}` must be {wanted}, not {}.",
                    kind_of(value)
                );
            }
        }
    }
    format!("Invalid arguments: {}.", without_values(message))
}

/// The text between the backquotes that follow `after`, when it is a plain name.
fn quoted_after<'a>(message: &'a str, after: &str) -> Option<&'a str> {
    let rest = &message[message.find(after)? + after.len()..];
    let rest = rest.strip_prefix('`')?;
    let name = &rest[..rest.find('`')?];
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then_some(name)
}

/// What the schema wants where `value` does not fit its top-level type, if it does not.
fn mismatch(schema: &Value, value: &Value) -> Option<String> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let fits = types.iter().any(|t| match *t {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    });
    (!fits).then(|| {
        types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| match *t {
                "integer" => "an integer",
                "array" => "a list",
                "object" => "an object",
                "boolean" => "true or false",
                "number" => "a number",
                _ => "a string",
            })
            .collect::<Vec<_>>()
            .join(" or ")
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// serde's words with every quoted value taken out: `` `…` `` and `"…"` spans go, except a
/// field's name.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(['`', '"']) {
        let quote = rest[at..].chars().next().unwrap_or('`');
        let before = &rest[..at];
        let after = &rest[at + 1..];
        let Some(end) = after.find(quote) else {
            out.push_str(before);
            rest = "";
            break;
        };
        let inner = &after[..end];
        let is_name = before.trim_end().ends_with("field")
            && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(before.trim_end());
        if is_name {
            out.push_str(&format!(" `{inner}`"));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.trim().trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> JsonObject {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_value_given_in_the_wrong_type_is_named_by_its_argument_only() {
        let schema = object(json!({ "type": "object", "properties": {
            "username": { "type": "string" }, "password": { "type": ["string", "null"] } } }));
        let message = "failed to deserialize parameters: invalid type: integer `4815162342`, expected a string";
        let said = argument_error(
            &schema,
            &object(json!({ "username": "kim", "password": 4815162342u64 })),
            message,
        );
        assert_eq!(
            said,
            "Invalid arguments: `password` must be a string, not a number."
        );
        assert!(!said.contains("4815162342"));
    }

    #[test]
    fn unknown_and_missing_fields_are_named_and_other_words_lose_their_values() {
        let schema = object(json!({ "properties": { "name": { "type": "string" } } }));
        assert_eq!(
            argument_error(
                &schema,
                &object(json!({ "nmae": "x" })),
                "unknown field `nmae`, expected `name`"
            ),
            "Invalid arguments: `nmae` is not an argument of this tool (it takes name)."
        );
        assert_eq!(
            argument_error(&schema, &object(json!({})), "missing field `name`"),
            "Invalid arguments: `name` is required."
        );
        let said = argument_error(
            &schema,
            &object(json!({ "name": "ok" })),
            "invalid value: string \"hunter2\", expected one of `a`, `b` for key `steps` at line 1",
        );
        assert!(!said.contains("hunter2"), "{said}");
        assert!(
            said.starts_with("Invalid arguments: invalid value: string"),
            "{said}"
        );
        assert_eq!(
            without_values("unknown variant `s3cret`, expected `google`"),
            "unknown variant, expected"
        );
    }
}

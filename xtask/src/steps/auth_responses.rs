//! Bodiless error responses beside JSON error responses are removed. Progenitor gives an
//! operation one error type and cannot mix "no body" with a typed body; the removed statuses
//! (typically 401/403) still arrive as errors carrying their status code.

use serde_json::Value;

use super::for_each_operation;

pub fn drop_bodiless_errors(doc: &mut Value) {
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    for_each_operation(doc, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        let has_body = |r: &Value| {
            resolve(r, &components)
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| !c.is_empty())
        };
        let is_error = |status: &str| {
            status.starts_with('4') || status.starts_with('5') || status == "default"
        };
        let any_typed_error = responses.iter().any(|(s, r)| is_error(s) && has_body(r));
        if any_typed_error {
            responses.retain(|s, r| !is_error(s) || has_body(r));
        }
    });
}

fn resolve<'a>(response: &'a Value, components: &'a Value) -> &'a Value {
    match response.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components/responses/")
            .and_then(|name| components.get("responses")?.get(name))
            .unwrap_or(response),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodiless_401_and_403_go_when_other_errors_have_json() {
        let mut doc = json!({
            "components": { "responses": {
                "Unauthorized": { "description": "" },
                "NotFound": { "content": { "application/json": { "schema": {} } } }
            }},
            "paths": { "/a": { "get": { "responses": {
                "200": { "content": { "application/json": {} } },
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "403": { "description": "" },
                "404": { "$ref": "#/components/responses/NotFound" }
            }}}}
        });
        drop_bodiless_errors(&mut doc);
        let statuses: Vec<_> = doc["paths"]["/a"]["get"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(statuses, ["200", "404"]);
    }

    #[test]
    fn all_bodiless_errors_are_kept() {
        let mut doc = json!({ "paths": { "/a": { "delete": { "responses": {
            "204": { "description": "" }, "401": { "description": "" }, "403": { "description": "" }
        }}}}});
        drop_bodiless_errors(&mut doc);
        assert_eq!(
            doc["paths"]["/a"]["delete"]["responses"]
                .as_object()
                .unwrap()
                .len(),
            3
        );
    }
}

//! Tolerant on success: every operation's 2xx responses become exactly the statuses the
//! server's code can send (`server-code.toml`), each with the documented body, none, or (where
//! some statuses or configurations send it and others do not) the body as bytes for the tool to
//! decode. A write the server performed then never meets "unexpected status".

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::for_each_operation;
use crate::answers::{Body, ServerCode};

/// A media range progenitor does not decode: the bytes reach the tool, which reads the
/// documented schema from them when they are there.
pub const MAYBE_BODY: &str = "*/*";

pub fn apply(doc: &mut Value, code: &ServerCode) -> Result<()> {
    let mut problems = Vec::new();
    for_each_operation(doc, |method, path, op| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(answer) = code.get(&id) else {
            problems.push(format!(
                "{} {path} ({id}) is not in server-code.toml",
                method.to_uppercase()
            ));
            return;
        };
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            problems.push(format!("{id} has no responses"));
            return;
        };
        let documented: Vec<String> = responses
            .keys()
            .filter(|k| k.starts_with('2'))
            .cloned()
            .collect();
        let schema = documented
            .iter()
            .find_map(|k| {
                responses
                    .get(k)?
                    .pointer("/content/application~1json/schema")
            })
            .cloned();
        if answer.body != Body::None && schema.is_none() {
            problems.push(format!(
                "{id}: server-code.toml says it answers a body, but the document has no schema for one"
            ));
            return;
        }
        for status in &documented {
            responses.remove(status);
        }
        for status in &answer.success {
            let mut response = Map::new();
            response.insert("description".into(), json!(""));
            match (answer.body, &schema) {
                (Body::Model, Some(schema)) => {
                    response.insert(
                        "content".into(),
                        json!({ "application/json": { "schema": schema } }),
                    );
                }
                (Body::Optional, Some(schema)) => {
                    response.insert(
                        "content".into(),
                        json!({ MAYBE_BODY: { "schema": schema } }),
                    );
                }
                _ => {}
            }
            responses.insert(status.to_string(), Value::Object(response));
        }
    });
    if !problems.is_empty() {
        bail!("{}", problems.join("; "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str, success: &str) -> ServerCode {
        toml::from_str(&format!(
            "[[operation]]\nid = \"op\"\nsuccess = {success}\nbody = \"{body}\"\nerrors = \"e\"\nsource = \"s\"\n"
        ))
        .unwrap()
    }

    fn doc(success: Value) -> Value {
        json!({ "paths": { "/a": { "post": { "operationId": "op", "responses": {
            "201": success, "400": { "description": "" } } } } } })
    }

    fn responses(doc: &Value) -> &Value {
        &doc["paths"]["/a"]["post"]["responses"]
    }

    #[test]
    fn a_bodiless_success_takes_the_statuses_the_code_sends() {
        let mut d = doc(json!({ "description": "" }));
        apply(&mut d, &code("none", "[200]")).unwrap();
        assert_eq!(
            responses(&d),
            &json!({ "200": { "description": "" }, "400": { "description": "" } })
        );
    }

    #[test]
    fn a_model_keeps_its_schema_on_every_status_and_an_optional_body_is_bytes() {
        let schema = json!({ "$ref": "#/components/schemas/Group" });
        let success =
            json!({ "description": "", "content": { "application/json": { "schema": schema } } });
        let mut d = doc(success.clone());
        apply(&mut d, &code("model", "[200, 201]")).unwrap();
        assert_eq!(
            responses(&d)["200"]["content"]["application/json"]["schema"],
            schema
        );
        assert_eq!(
            responses(&d)["201"]["content"]["application/json"]["schema"],
            schema
        );
        let mut d = doc(success);
        apply(&mut d, &code("optional", "[200, 204]")).unwrap();
        assert_eq!(
            responses(&d)["204"]["content"][MAYBE_BODY]["schema"],
            schema
        );
        assert!(responses(&d).get("201").is_none());
    }

    #[test]
    fn an_operation_the_table_does_not_describe_or_a_body_without_a_schema_fails() {
        let mut d = doc(json!({ "description": "" }));
        let other: ServerCode = toml::from_str(
            "[[operation]]\nid = \"other\"\nsuccess = [200]\nbody = \"none\"\nerrors = \"e\"\nsource = \"s\"\n",
        )
        .unwrap();
        assert!(
            apply(&mut d, &other)
                .unwrap_err()
                .to_string()
                .contains("not in server-code.toml")
        );
        assert!(
            apply(&mut d, &code("model", "[200]"))
                .unwrap_err()
                .to_string()
                .contains("no schema")
        );
    }
}

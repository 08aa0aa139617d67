//! One JSON media type per body. Request bodies that offer XML beside JSON keep JSON only
//! (progenitor takes exactly one), and SCIM's `application/scim+json` becomes
//! `application/json`, the only JSON type progenitor types (WSO2's SCIM endpoints take both).

use serde_json::{Map, Value};

use super::for_each_operation;

const SCIM_JSON: &str = "application/scim+json";

pub fn normalize(doc: &mut Value) {
    for_each_operation(doc, |_, _, op| {
        if let Some(content) = op
            .pointer_mut("/requestBody/content")
            .and_then(Value::as_object_mut)
        {
            normalize_content(content);
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for response in responses.values_mut() {
                if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                    normalize_content(content);
                }
            }
        }
    });
    if let Some(responses) = doc
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        for response in responses.values_mut() {
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                normalize_content(content);
            }
        }
    }
}

fn normalize_content(content: &mut Map<String, Value>) {
    if let Some(scim) = content.remove(SCIM_JSON) {
        content.entry("application/json").or_insert(scim);
    }
    if content.contains_key("application/json") && content.len() > 1 {
        content.retain(|media, _| media == "application/json");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_beside_json_is_dropped_and_scim_becomes_json() {
        let mut doc = json!({ "paths": {
            "/idp": { "post": { "requestBody": { "content": {
                "application/json": { "schema": { "type": "object" } },
                "application/xml": { "schema": { "type": "object" } }
            }}}},
            "/Users": { "post": {
                "requestBody": { "content": { "application/scim+json": { "schema": { "type": "string" } } } },
                "responses": { "201": { "content": { "application/scim+json": { "schema": { "type": "string" } } } } }
            }}
        }});
        normalize(&mut doc);
        let idp = doc
            .pointer("/paths/~1idp/post/requestBody/content")
            .unwrap()
            .as_object()
            .unwrap();
        assert_eq!(idp.keys().collect::<Vec<_>>(), ["application/json"]);
        let users = &doc["paths"]["/Users"]["post"];
        assert_eq!(
            users["requestBody"]["content"]["application/json"]["schema"]["type"],
            "string"
        );
        assert!(
            users["responses"]["201"]["content"]
                .get(SCIM_JSON)
                .is_none()
        );
    }
}

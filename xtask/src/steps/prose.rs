//! Drops prose: descriptions, summaries, titles, examples, vendor extensions other than our own
//! `x-scopes`. The project keeps the APIs' shape only. Keys inside name maps (`properties`,
//! `paths`, `responses`, ...) are names, not prose: a property called `description` stays.
//! Response objects keep an empty `description`, which OpenAPI requires.

use serde_json::{Map, Value};

use super::scopes;

const PROSE: [&str; 6] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];
const NAME_MAPS: [&str; 9] = [
    "properties",
    "paths",
    "schemas",
    "parameters",
    "requestBodies",
    "content",
    "headers",
    "variables",
    "responses",
];

pub fn drop_prose(doc: &mut Value) {
    walk(doc, false);
    if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
        // The pipeline names the document after our API; upstream's title is prose.
        info.retain(|k, _| k == "version");
    }
}

fn walk(value: &mut Value, is_name_map: bool) {
    match value {
        Value::Object(map) => {
            if !is_name_map {
                map.retain(|k, _| !is_prose(k));
            }
            for (key, child) in map.iter_mut() {
                let child_is_name_map =
                    !is_name_map && NAME_MAPS.contains(&key.as_str()) && child.is_object();
                walk(child, child_is_name_map);
                if !is_name_map
                    && key == "responses"
                    && let Some(responses) = child.as_object_mut()
                {
                    responses.values_mut().for_each(empty_description);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, false)),
        _ => {}
    }
}

/// Our own extensions: shape facts the pipeline adds.
const OURS: [&str; 3] = [scopes::KEY, "x-base-path", super::tolerant::KNOWN_VALUES];

fn is_prose(key: &str) -> bool {
    PROSE.contains(&key) || (key.starts_with("x-") && !OURS.contains(&key))
}

fn empty_description(response: &mut Value) {
    if let Some(map) = response.as_object_mut().filter(|m| !m.contains_key("$ref")) {
        map.insert("description".into(), Value::String(String::new()));
    }
}

/// Every key path at which prose remains. `info` is ours (the API's name and version).
pub fn remaining_prose(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    find(doc, false, "", &mut found);
    found.retain(|at| !at.starts_with("/info/"));
    found
}

fn find(value: &Value, is_name_map: bool, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => scan(map, is_name_map, at, found),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find(v, false, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn scan(map: &Map<String, Value>, is_name_map: bool, at: &str, found: &mut Vec<String>) {
    for (key, child) in map {
        let here = format!("{at}/{key}");
        let empty = child.as_str() == Some("");
        if !is_name_map && is_prose(key) && !empty {
            found.push(here.clone());
        }
        find(
            child,
            !is_name_map && NAME_MAPS.contains(&key.as_str()) && child.is_object(),
            &here,
            found,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prose_goes_but_properties_named_like_prose_stay() {
        let mut doc = json!({
            "info": { "title": "Apps", "version": "v1", "description": "long", "contact": {} },
            "paths": { "/a": { "get": {
                "summary": "s", "description": "d", "x-codeSamples": [], "x-scopes": ["internal_x"],
                "responses": { "200": { "description": "OK", "content": { "application/json": {
                    "example": {}, "schema": { "$ref": "#/components/schemas/App" } } } } }
            }}},
            "components": { "schemas": { "App": {
                "title": "App", "description": "an app", "example": {},
                "properties": { "description": { "type": "string", "description": "what it is" } }
            }}}
        });
        assert!(!remaining_prose(&doc).is_empty());
        drop_prose(&mut doc);
        assert_eq!(remaining_prose(&doc), Vec::<String>::new());
        assert_eq!(doc["info"], json!({ "version": "v1" }));
        assert_eq!(
            doc["components"]["schemas"]["App"],
            json!({ "properties": { "description": { "type": "string" } } })
        );
        let get = &doc["paths"]["/a"]["get"];
        assert_eq!(get["x-scopes"], json!(["internal_x"]));
        assert_eq!(get["responses"]["200"]["description"], "");
        assert!(get.get("summary").is_none() && get.get("x-codeSamples").is_none());
    }
}

//! Keeps only the manifest's operations and exactly the components they reach, and drops
//! document-level parts that describe nothing we generate (servers, security, tags).

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde_json::Value;

use super::METHODS;

pub fn keep_operations(doc: &mut Value, keep: &[String]) -> Result<()> {
    let wanted: BTreeSet<&str> = keep.iter().map(String::as_str).collect();
    let mut found = BTreeSet::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        bail!("document has no paths")
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        item.retain(|key, op| {
            if !METHODS.contains(&key.as_str()) {
                return key == "parameters";
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let kept = wanted.contains(id);
            if kept {
                found.insert(id.to_owned());
            }
            kept
        });
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|i| i.keys().any(|k| METHODS.contains(&k.as_str())))
    });
    let missing: Vec<_> = wanted.iter().filter(|id| !found.contains(**id)).collect();
    if !missing.is_empty() {
        bail!("the manifest keeps operations the document does not have: {missing:?}");
    }

    if let Some(root) = doc.as_object_mut() {
        for key in ["servers", "security", "tags", "externalDocs", "x-tagGroups"] {
            root.remove(key);
        }
    }
    prune_components(doc);
    Ok(())
}

/// Removes every component not reachable from the paths, following `$ref`s transitively.
fn prune_components(doc: &mut Value) {
    let mut reached: BTreeSet<String> = BTreeSet::new();
    let mut frontier = Vec::new();
    collect_refs(doc.get("paths").unwrap_or(&Value::Null), &mut frontier);
    while let Some(r) = frontier.pop() {
        if !reached.insert(r.clone()) {
            continue;
        }
        if let Some(target) = r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
            collect_refs(target, &mut frontier);
        }
    }
    let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) else {
        return;
    };
    components.remove("securitySchemes");
    components.remove("examples");
    for (kind, entries) in components.iter_mut() {
        if let Some(entries) = entries.as_object_mut() {
            entries.retain(|name, _| {
                reached.contains(&format!("#/components/{kind}/{}", escape(name)))
            });
        }
    }
    components.retain(|_, entries| entries.as_object().is_some_and(|e| !e.is_empty()));
    if components.is_empty()
        && let Some(root) = doc.as_object_mut()
    {
        root.remove("components");
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Sorted list of the component names a document defines, for tests and reports.
#[cfg(test)]
fn names(doc: &Value, kind: &str) -> Vec<String> {
    doc.pointer(&format!("/components/{kind}"))
        .and_then(Value::as_object)
        .map(serde_json::Map::keys)
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "servers": [{ "url": "https://x" }],
            "paths": {
                "/a": { "get": { "operationId": "keepMe", "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/A" } } } } } } },
                "/b": { "get": { "operationId": "dropMe", "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/B" } } } } } } }
            },
            "components": {
                "schemas": {
                    "A": { "properties": { "c": { "$ref": "#/components/schemas/C" } } },
                    "B": {}, "C": { "items": { "$ref": "#/components/schemas/D" } }, "D": {}, "Unused": {}
                },
                "securitySchemes": { "OAuth2": {} },
                "parameters": { "unused": {} }
            }
        })
    }

    #[test]
    fn keeps_listed_operations_and_transitively_reached_schemas() {
        let mut d = doc();
        keep_operations(&mut d, &["keepMe".to_owned()]).unwrap();
        assert!(d["paths"].get("/b").is_none());
        assert_eq!(names(&d, "schemas"), ["A", "C", "D"]);
        assert!(d.get("servers").is_none());
        assert!(
            d["components"].get("securitySchemes").is_none()
                && d["components"].get("parameters").is_none()
        );
    }

    #[test]
    fn an_unknown_operation_is_an_error() {
        let err = keep_operations(&mut doc(), &["nope".to_owned()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }
}

//! Tolerant reader, strict writer: every schema a response reaches is relaxed so that what a
//! real server sends still decodes, while every schema a request body sends keeps the
//! document's constraints.
//!
//! A schema reached by both gets a response twin (`<Name>Response`), and response-side
//! references are pointed at the twins. On the response side, `required`, `default`, `enum`
//! (kept as `x-known` values), numeric and length bounds, `pattern`, non-integer `format`s and
//! `additionalProperties: false` are dropped: a missing field, an unknown field, a new enum
//! value or a value outside a documented range no longer fails the whole answer. The tools
//! decide what they cannot work without and name it when it is missing.
//!
//! The manifest's `[[api.tolerate]]` entries then widen single places further (a field that
//! arrives in another shape, or in an older place), each with its reason.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::METHODS;
use crate::manifest::Tolerance;

pub const SUFFIX: &str = "Response";
pub const KNOWN_VALUES: &str = "x-known";

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Keywords that constrain values rather than describe their shape.
const CONSTRAINTS: [&str; 13] = [
    "required",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
];

pub fn apply(doc: &mut Value, tolerances: &[Tolerance]) -> Result<()> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let (response_roots, request_roots) = roots(doc);
    let on_response = closure(&schemas, response_roots);
    let on_request = closure(&schemas, request_roots);
    let shared: BTreeSet<String> = on_response.intersection(&on_request).cloned().collect();
    for name in &shared {
        let twin = format!("{name}{SUFFIX}");
        if schemas.contains_key(&twin) {
            bail!(
                "cannot add the response twin `{twin}`: the document already has a schema of that name"
            );
        }
    }
    let renames: BTreeMap<String, String> = shared
        .iter()
        .map(|n| (n.clone(), format!("{n}{SUFFIX}")))
        .collect();

    let mut out = schemas.clone();
    for name in &shared {
        out.insert(renames[name].clone(), schemas[name].clone());
    }
    for name in &on_response {
        let key = renames.get(name).unwrap_or(name);
        if let Some(schema) = out.get_mut(key) {
            retarget(schema, &renames);
            relax(schema);
        }
    }
    if let Some(target) = doc.pointer_mut("/components/schemas") {
        *target = Value::Object(out);
    }
    for_each_response(doc, |response| {
        retarget(response, &renames);
        relax_inline(response);
    });
    for tolerance in tolerances {
        widen(doc, tolerance)?;
    }
    Ok(())
}

/// (schemas referenced from responses, schemas referenced from request bodies and parameters).
fn roots(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut response = BTreeSet::new();
    let mut request = BTreeSet::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for (method, op) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                refs(op.get("responses").unwrap_or(&Value::Null), &mut response);
                refs(op.get("requestBody").unwrap_or(&Value::Null), &mut request);
                refs(op.get("parameters").unwrap_or(&Value::Null), &mut request);
            }
            refs(item.get("parameters").unwrap_or(&Value::Null), &mut request);
        }
    }
    (response, request)
}

/// The schema names `value` references. A *property named* `$ref` (an object) is a name, not
/// a reference, so only string values count.
fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix(SCHEMA_PREFIX) {
                            out.insert(name.to_owned());
                        }
                    }
                    _ => refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn closure(schemas: &Map<String, Value>, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut next = BTreeSet::new();
        refs(schemas.get(&name).unwrap_or(&Value::Null), &mut next);
        todo.extend(next.into_iter().filter(|n| !seen.contains(n)));
    }
    seen
}

fn retarget(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(target) = child
                {
                    if let Some(new) = target
                        .strip_prefix(SCHEMA_PREFIX)
                        .and_then(|n| renames.get(n))
                    {
                        *target = format!("{SCHEMA_PREFIX}{new}");
                    }
                } else {
                    retarget(child, renames);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retarget(v, renames)),
        _ => {}
    }
}

fn for_each_response(doc: &mut Value, mut f: impl FnMut(&mut Value)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(responses) = op.get_mut("responses") {
                f(responses);
            }
        }
    }
}

/// Relaxes the schemas written inline in a responses object.
fn relax_inline(responses: &mut Value) {
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    for response in responses.values_mut() {
        if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
            for media in content.values_mut() {
                if let Some(schema) = media.get_mut("schema") {
                    relax(schema);
                }
            }
        }
    }
}

/// Drops every constraint from a schema and its subschemas, keeping the shape.
fn relax(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if map.contains_key("$ref") {
        return;
    }
    for key in CONSTRAINTS {
        map.remove(key);
    }
    if let Some(values) = map.remove("enum") {
        map.insert(KNOWN_VALUES.into(), values);
    }
    let integer = map.get("type").and_then(Value::as_str) == Some("integer");
    if !integer {
        map.remove("format");
    }
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(relax);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = map.get_mut(key) {
            relax(child);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = map.get_mut(key) {
            members.iter_mut().for_each(relax);
        }
    }
}

/// One manifest tolerance: accept any JSON at a place, or read a field from another place.
fn widen(doc: &mut Value, tolerance: &Tolerance) -> Result<()> {
    let Some(target) = doc.pointer_mut(&tolerance.at) else {
        bail!(
            "tolerance at {} ({}): nothing there",
            tolerance.at,
            tolerance.reason
        );
    };
    match (&tolerance.accept, &tolerance.add_property) {
        (Some(accept), None) if accept == "any" => {
            *target = json!({});
        }
        (None, Some(property)) => {
            let Some(properties) = target
                .as_object_mut()
                .and_then(|t| t.get_mut("properties"))
                .and_then(Value::as_object_mut)
            else {
                bail!(
                    "tolerance at {} ({}): not a schema with properties",
                    tolerance.at,
                    tolerance.reason
                );
            };
            if properties.contains_key(property) {
                bail!(
                    "tolerance at {} ({}): `{property}` is already declared",
                    tolerance.at,
                    tolerance.reason
                );
            }
            let kind = tolerance.kind.as_deref().unwrap_or("string");
            properties.insert(property.clone(), json!({ "type": kind }));
        }
        _ => bail!(
            "tolerance at {} ({}): give either `accept = \"any\"` or `add_property`",
            tolerance.at,
            tolerance.reason
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tolerance(at: &str, accept: Option<&str>, add: Option<&str>) -> Tolerance {
        Tolerance {
            at: at.into(),
            accept: accept.map(str::to_owned),
            add_property: add.map(str::to_owned),
            kind: None,
            reason: "a real server".into(),
        }
    }

    fn doc() -> Value {
        json!({
            "paths": { "/apps/{id}": {
                "get": { "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/App" } } } } } },
                "put": {
                    "requestBody": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Oidc" } } } },
                    "responses": { "200": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Oidc" } } } } } }
            }},
            "components": { "schemas": {
                "App": { "type": "object", "required": ["id", "name"], "properties": {
                    "id": { "type": "string" },
                    "name": { "type": "string", "maxLength": 10 },
                    "oidc": { "$ref": "#/components/schemas/Oidc" },
                    "access": { "type": "string", "enum": ["READ", "WRITE"], "default": "READ" },
                    "when": { "type": "string", "format": "date-time" },
                    "count": { "type": "integer", "format": "int64", "minimum": 0 }
                } },
                "Oidc": { "type": "object", "required": ["grants"], "additionalProperties": false,
                    "properties": { "grants": { "type": "array", "minItems": 1,
                        "items": { "type": "string", "enum": ["code"] } } } }
            } }
        })
    }

    #[test]
    fn responses_get_relaxed_twins_and_requests_stay_strict() {
        let mut doc = doc();
        apply(&mut doc, &[]).unwrap();
        let schemas = &doc["components"]["schemas"];
        // The request body keeps the original, strict.
        assert_eq!(
            doc.pointer(
                "/paths/~1apps~1{id}/put/requestBody/content/application~1json/schema/$ref"
            ),
            Some(&json!("#/components/schemas/Oidc"))
        );
        assert_eq!(schemas["Oidc"]["required"], json!(["grants"]));
        assert_eq!(schemas["Oidc"]["additionalProperties"], json!(false));
        // Responses read the relaxed twin.
        assert_eq!(
            doc.pointer(
                "/paths/~1apps~1{id}/put/responses/200/content/application~1json/schema/$ref"
            ),
            Some(&json!("#/components/schemas/OidcResponse"))
        );
        assert_eq!(
            schemas["OidcResponse"],
            json!({ "type": "object", "properties": { "grants": { "type": "array",
                "items": { "type": "string", "x-known": ["code"] } } } })
        );
        assert_eq!(
            schemas["App"],
            json!({ "type": "object", "properties": {
                "id": { "type": "string" },
                "name": { "type": "string" },
                "oidc": { "$ref": "#/components/schemas/OidcResponse" },
                "access": { "type": "string", "x-known": ["READ", "WRITE"] },
                "when": { "type": "string" },
                "count": { "type": "integer", "format": "int64" }
            } })
        );
    }

    #[test]
    fn manifest_tolerances_widen_one_place_each() {
        let mut doc = doc();
        apply(
            &mut doc,
            &[
                tolerance(
                    "/components/schemas/OidcResponse/properties/grants/items",
                    Some("any"),
                    None,
                ),
                tolerance("/components/schemas/App", None, Some("legacyBinding")),
            ],
        )
        .unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["OidcResponse"]["properties"]["grants"]["items"],
            json!({})
        );
        assert_eq!(
            schemas["App"]["properties"]["legacyBinding"],
            json!({ "type": "string" })
        );
        let mut again = self::doc();
        assert!(
            apply(
                &mut again,
                &[tolerance("/components/schemas/Gone", Some("any"), None)]
            )
            .is_err()
        );
        let mut twice = self::doc();
        assert!(
            apply(
                &mut twice,
                &[tolerance("/components/schemas/App", None, Some("name"))]
            )
            .is_err()
        );
    }

    #[test]
    fn a_property_named_ref_is_not_a_reference() {
        let mut found = BTreeSet::new();
        refs(
            &json!({ "properties": { "$ref": { "type": "string" }, "x": { "$ref": "#/components/schemas/X" } } }),
            &mut found,
        );
        assert_eq!(found, BTreeSet::from(["X".to_owned()]));
    }
}

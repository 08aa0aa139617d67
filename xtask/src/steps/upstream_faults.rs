//! Repairs of faults in the upstream documents (listed in shared/openapi-upstream/SOURCES.md),
//! each a named, idempotent function. A repair whose fault is absent does nothing, so a fixed
//! upstream needs no change here.

use serde_json::{Map, Value, json};

/// A repair: changes the document if its fault is present; says whether it did.
type Repair = fn(&mut Value) -> bool;

/// Applies every repair; returns the names of those that changed something.
pub fn repair(doc: &mut Value) -> Vec<&'static str> {
    let repairs: [(&str, Repair); 8] = [
        ("object-typed arrays", object_typed_arrays),
        ("required `schema` for `schemas`", required_schema_typo),
        ("misspelled `applciation`", applciation_typo),
        ("scim create-user oneOf", scim_create_user_one_of),
        (
            "scim response `username` for `userName`",
            scim_response_username,
        ),
        ("scim error schemas", scim_error_schemas),
        (
            "scim member items typed by example only",
            scim_items_typed_by_example,
        ),
        (
            "scim patch operations without `path`, or with a narrowed `value`",
            scim_patch_operations,
        ),
    ];
    repairs
        .into_iter()
        .filter_map(|(name, f)| f(doc).then_some(name))
        .collect()
}

/// Walks every schema-like object in the document.
fn walk(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>) -> bool) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            changed |= f(map);
            for v in map.values_mut() {
                changed |= walk(v, f);
            }
        }
        Value::Array(items) => {
            for v in items {
                changed |= walk(v, f);
            }
        }
        _ => {}
    }
    changed
}

/// SCIM's `schemas` (and `roles`) are declared `type: object` with no properties and an array
/// example, or as arrays of untyped items; the server sends arrays of URIs (RFC 7643 §3).
fn object_typed_arrays(doc: &mut Value) -> bool {
    walk(doc, &mut |schema| {
        let Some(Value::Object(props)) = schema.get_mut("properties") else {
            return false;
        };
        let mut changed = false;
        for (name, prop) in props.iter_mut() {
            let empty_object = prop.get("type").and_then(Value::as_str) == Some("object")
                && prop
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty)
                && prop.get("example").is_some_and(Value::is_array);
            let untyped_items = prop.get("type").and_then(Value::as_str) == Some("array")
                && prop
                    .get("items")
                    .is_some_and(|i| i.get("type").is_none() && i.get("$ref").is_none());
            if name == "schemas"
                && (empty_object
                    || untyped_items
                    || prop.pointer("/items/type") == Some(&json!("object")))
            {
                *prop = json!({ "type": "array", "items": { "type": "string" } });
                changed = true;
            } else if empty_object {
                *prop = json!({ "type": "array", "items": { "type": "object" } });
                changed = true;
            }
        }
        changed
    })
}

/// SCIM2 Groups declares its request `members` items as objects with no properties and only
/// an example (`{"value": "…", "display": "kim"}`), so a generator makes them free-form maps.
/// The example's string fields become the items' properties, as RFC 7643 §4.2 defines them.
fn scim_items_typed_by_example(doc: &mut Value) -> bool {
    walk(doc, &mut |schema| {
        let untyped = schema.get("type").and_then(Value::as_str) == Some("object")
            && schema
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty);
        let Some(Value::Object(example)) = schema.get("example").filter(|_| untyped) else {
            return false;
        };
        if example.is_empty() || !example.values().all(Value::is_string) {
            return false;
        }
        let properties: Map<String, Value> = example
            .keys()
            .map(|k| (k.clone(), json!({ "type": "string" })))
            .collect();
        schema.insert("properties".into(), Value::Object(properties));
        true
    })
}

/// RFC 7644 §3.5.2: a PATCH operation is `op`, an optional `path` and a `value` whose shape
/// depends on the path. SCIM2 Groups and Users declare operations without `path` (so a member
/// cannot be removed: removal needs `members[value eq "…"]`), and Users narrows `value` to one
/// example attribute (`nickName`), so no other attribute could be sent. Operations get `path`,
/// and a `value` narrowed to a single attribute becomes any JSON.
fn scim_patch_operations(doc: &mut Value) -> bool {
    walk(doc, &mut |schema| {
        let Some(Value::Object(props)) = schema.get_mut("properties") else {
            return false;
        };
        let is_operation = props
            .get("op")
            .and_then(|op| op.get("enum"))
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(|v| v == "remove"));
        if !is_operation {
            return false;
        }
        let mut changed = false;
        if !props.contains_key("path") {
            props.insert("path".into(), json!({ "type": "string" }));
            changed = true;
        }
        let narrowed = props
            .get("value")
            .and_then(|v| v.get("properties"))
            .and_then(Value::as_object)
            .is_some_and(|p| p.len() == 1 && !p.contains_key("members"));
        if narrowed {
            props.insert("value".into(), json!({}));
            changed = true;
        }
        changed
    })
}

fn required_schema_typo(doc: &mut Value) -> bool {
    walk(doc, &mut |schema| {
        let has_schemas = schema
            .get("properties")
            .is_some_and(|p| p.get("schemas").is_some() && p.get("schema").is_none());
        let Some(Value::Array(required)) = schema.get_mut("required") else {
            return false;
        };
        let mut changed = false;
        for r in required.iter_mut() {
            if has_schemas && r == "schema" {
                *r = json!("schemas");
                changed = true;
            }
        }
        changed
    })
}

fn applciation_typo(doc: &mut Value) -> bool {
    walk(doc, &mut |schema| {
        let Some(Value::Array(values)) = schema.get_mut("enum") else {
            return false;
        };
        let mut changed = false;
        for v in values.iter_mut() {
            if let Some(s) = v.as_str().filter(|s| s.contains("applciation")) {
                *v = json!(s.replace("applciation", "application"));
                changed = true;
            }
        }
        changed
    })
}

/// The create-user body is `oneOf` two overlapping objects (with a password, and with
/// `askPassword`): a body with a password matches both, so strict validators reject every
/// body. It becomes one object with the union of their properties and no required password.
fn scim_create_user_one_of(doc: &mut Value) -> bool {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return false;
    };
    let (Some(plain), Some(invite)) = (
        schemas.get("UserObject"),
        schemas.get("UserObjectPassInvite"),
    ) else {
        return false;
    };
    let mut merged = plain.clone();
    if let (Some(Value::Object(into)), Some(Value::Object(from))) =
        (merged.get_mut("properties"), invite.get("properties"))
    {
        for (k, v) in from {
            into.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(obj) = merged.as_object_mut() {
        obj.remove("required");
        obj.remove("title");
    }
    let mut changed = false;
    let target = json!({ "$ref": "#/components/schemas/UserObject" });
    super::for_each_operation(doc, |_, _, op| {
        if let Some(content) = op
            .pointer_mut("/requestBody/content")
            .and_then(Value::as_object_mut)
        {
            for media in content.values_mut() {
                if media.pointer("/schema/oneOf").is_some() {
                    media["schema"] = target.clone();
                    changed = true;
                }
            }
        }
    });
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.insert("UserObject".into(), merged);
        schemas.remove("UserObjectPassInvite");
    }
    changed
}

fn scim_response_username(doc: &mut Value) -> bool {
    let Some(props) = doc
        .pointer_mut("/components/schemas/UserResponseObject/properties")
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    match props.remove("username") {
        Some(prop) => {
            props.entry("userName").or_insert(prop);
            true
        }
        None => false,
    }
}

/// SCIM errors have one shape (RFC 7644 §3.12: `schemas`, `status`, `scimType`, `detail`), but
/// upstream declares a near-copy per status, some with `schemas` as a string. One operation
/// can then answer with several error types, which progenitor cannot express; they all become
/// one `ScimError`.
fn scim_error_schemas(doc: &mut Value) -> bool {
    const FIELDS: [&str; 4] = ["schemas", "status", "scimType", "detail"];
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return false;
    };
    let variants: Vec<String> = schemas
        .iter()
        .filter(|(name, schema)| {
            let props = schema.get("properties").and_then(Value::as_object);
            name.as_str() != "ScimError"
                && props.is_some_and(|p| {
                    p.contains_key("status") && p.keys().all(|k| FIELDS.contains(&k.as_str()))
                })
        })
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect();
    if variants.is_empty() {
        return false;
    }
    walk(doc, &mut |map| match map.get_mut("$ref") {
        Some(Value::String(r)) if variants.contains(r) => {
            *r = "#/components/schemas/ScimError".into();
            true
        }
        _ => false,
    });
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| !variants.contains(&format!("#/components/schemas/{name}")));
        schemas.insert(
            "ScimError".into(),
            json!({
                "type": "object",
                "required": ["status"],
                "properties": {
                    "schemas": { "type": "array", "items": { "type": "string" } },
                    "status": { "type": "string" },
                    "scimType": { "type": "string" },
                    "detail": { "type": "string" }
                }
            }),
        );
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim_patch_operations_get_a_path_and_an_open_value() {
        let mut doc = json!({ "components": { "schemas": {
            "Me": { "type": "object", "properties": {
                "op": { "type": "string", "enum": ["add", "remove", "replace"] },
                "value": { "type": "object", "properties": { "nickName": { "type": "string" } } } } },
            "Group": { "type": "object", "properties": {
                "op": { "type": "string", "enum": ["add", "remove", "replace"] },
                "value": { "type": "object", "properties": { "members": { "type": "array" } } } } }
        } } });
        assert!(scim_patch_operations(&mut doc));
        let s = &doc["components"]["schemas"];
        assert_eq!(s["Me"]["properties"]["path"], json!({ "type": "string" }));
        assert_eq!(s["Me"]["properties"]["value"], json!({}));
        assert_eq!(
            s["Group"]["properties"]["path"],
            json!({ "type": "string" })
        );
        assert!(s["Group"]["properties"]["value"]["properties"]["members"].is_object());
        assert!(!scim_patch_operations(&mut doc), "idempotent");
    }

    #[test]
    fn items_typed_only_by_example_get_its_string_fields() {
        let mut doc = json!({ "components": { "schemas": { "G": { "type": "object", "properties": {
            "members": { "type": "array", "items": { "type": "object", "properties": {},
                "example": { "value": "1", "display": "kim" } } },
            "free": { "type": "object", "properties": {}, "example": { "n": 1 } }
        } } } } });
        assert!(scim_items_typed_by_example(&mut doc));
        let g = &doc["components"]["schemas"]["G"]["properties"];
        assert_eq!(
            g["members"]["items"]["properties"],
            json!({ "value": { "type": "string" }, "display": { "type": "string" } })
        );
        assert_eq!(
            g["free"]["properties"],
            json!({}),
            "a non-string example says nothing"
        );
        assert!(!scim_items_typed_by_example(&mut doc), "idempotent");
    }

    #[test]
    fn scim_schemas_attribute_becomes_string_array() {
        let mut doc = json!({ "components": { "schemas": {
            "U": { "properties": {
                "schemas": { "type": "object", "properties": {}, "example": [] },
                "roles": { "type": "object", "properties": {}, "example": [{ "value": "x" }] }
            }},
            "E": { "properties": { "schemas": { "type": "array", "items": { "example": "urn" } } } }
        }}});
        assert_eq!(repair(&mut doc), ["object-typed arrays"]);
        assert_eq!(
            doc.pointer("/components/schemas/U/properties/schemas"),
            Some(&json!({ "type": "array", "items": { "type": "string" } }))
        );
        assert_eq!(
            doc.pointer("/components/schemas/U/properties/roles/type"),
            Some(&json!("array"))
        );
        assert_eq!(
            doc.pointer("/components/schemas/E/properties/schemas/items/type"),
            Some(&json!("string"))
        );
    }

    #[test]
    fn required_schema_typo_and_misspelled_enum_are_fixed() {
        let mut doc = json!({ "components": { "schemas": {
            "Err": { "required": ["schema", "detail"], "properties": { "schemas": { "type": "array", "items": { "type": "string" } } } },
            "Aud": { "properties": { "type": { "type": "string", "enum": ["organization", "applciation"] } } }
        }}});
        let applied = repair(&mut doc);
        assert!(
            applied.contains(&"required `schema` for `schemas`"),
            "{applied:?}"
        );
        assert_eq!(
            doc.pointer("/components/schemas/Err/required/0"),
            Some(&json!("schemas"))
        );
        assert_eq!(
            doc.pointer("/components/schemas/Aud/properties/type/enum/1"),
            Some(&json!("application"))
        );
    }

    #[test]
    fn create_user_one_of_becomes_one_object_without_required_password() {
        let mut doc = json!({
            "paths": { "/Users": { "post": { "requestBody": { "content": { "application/json": { "schema": { "oneOf": [
                { "$ref": "#/components/schemas/UserObject" }, { "$ref": "#/components/schemas/UserObjectPassInvite" }
            ]}}}}}}},
            "components": { "schemas": {
                "UserObject": { "required": ["password"], "properties": { "userName": {}, "password": {} } },
                "UserObjectPassInvite": { "properties": { "userName": {}, "urn:scim:wso2:schema": { "type": "object" } } }
            }}
        });
        repair(&mut doc);
        let user = &doc["components"]["schemas"]["UserObject"];
        assert!(user.get("required").is_none());
        assert!(
            user["properties"].get("password").is_some()
                && user["properties"].get("urn:scim:wso2:schema").is_some()
        );
        assert!(
            doc["components"]["schemas"]
                .get("UserObjectPassInvite")
                .is_none()
        );
        assert_eq!(
            doc["paths"]["/Users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/UserObject"
        );
    }

    #[test]
    fn scim_error_variants_become_one_schema() {
        let mut doc = json!({
            "paths": { "/Users": { "get": { "responses": {
                "401": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorUnauthorized" } } } },
                "403": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorForbidden" } } } }
            }}}},
            "components": { "schemas": {
                "ErrorUnauthorized": { "properties": { "schemas": { "type": "string" }, "status": { "type": "string" } } },
                "ErrorForbidden": { "properties": { "scimType": { "type": "string" }, "status": { "type": "string" } } },
                "User": { "properties": { "status": { "type": "string" }, "name": {} } }
            }}
        });
        assert!(repair(&mut doc).contains(&"scim error schemas"));
        let responses = &doc["paths"]["/Users"]["get"]["responses"];
        for status in ["401", "403"] {
            assert_eq!(
                responses[status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ScimError"
            );
        }
        assert_eq!(
            doc.pointer("/components/schemas/ScimError/properties/schemas/type"),
            Some(&json!("array"))
        );
        assert!(repair(&mut doc).is_empty(), "a second run changes nothing");
    }

    #[test]
    fn repairs_are_idempotent() {
        let mut doc = json!({ "components": { "schemas": { "UserResponseObject": { "properties": { "username": { "type": "string" } } } } } });
        assert_eq!(repair(&mut doc).len(), 1);
        let once = doc.clone();
        assert!(repair(&mut doc).is_empty());
        assert_eq!(doc, once);
    }
}

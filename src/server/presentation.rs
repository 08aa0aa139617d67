//! What hosts see of a tool: the product's name in its words, descriptions as prose, and schemas
//! every host can read (standard formats only; no nullable unions for optional inputs, which
//! some hosts reject; `$ref`s inlined, which one SDK cannot resolve; shared definitions in
//! output schemas; no repeated prose). Also the README's tool table, generated from the tools.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool};
use serde_json::{Map, Value};

use crate::tools::{self, catalog_entry, required_scopes};

pub use crate::wso2::Product;

/// JSON Schema's own formats; schemars adds Rust-flavoured ones (`uint32`) that strict
/// validators warn about.
const STANDARD_FORMATS: [&str; 9] = [
    "date-time",
    "date",
    "time",
    "email",
    "uri",
    "uri-reference",
    "uuid",
    "hostname",
    "ipv4",
];

fn strip_nonstandard_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
            {
                map.remove("format");
            }
            map.values_mut().for_each(strip_nonstandard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nonstandard_formats),
        _ => {}
    }
}

/// Moves a schema's `$defs` into the places that refer to them.
fn inline_defs(value: &mut Value) {
    let defs = match value.as_object_mut().and_then(|m| m.remove("$defs")) {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    inline_refs(value, &defs, 0);
}

/// Replaces every `{"$ref": "#/$defs/X"}` with the definition itself.
fn inline_refs(value: &mut Value, defs: &Map<String, Value>, depth: usize) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref")
                && let Some(def) = target
                    .strip_prefix("#/$defs/")
                    .and_then(|name| defs.get(name))
                && depth < 16
            {
                let mut def = def.clone();
                inline_refs(&mut def, defs, depth + 1);
                map.remove("$ref");
                if let Value::Object(def) = def {
                    for (k, v) in def {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            map.values_mut().for_each(|v| inline_refs(v, defs, depth));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline_refs(v, defs, depth)),
        _ => {}
    }
}

/// An optional input is simply not required: `["string","null"]` becomes `"string"`, an
/// `anyOf` with `null` becomes its other member, and `default: null` goes.
fn drop_null_unions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get("type") {
                let rest: Vec<Value> = types
                    .iter()
                    .filter(|t| t.as_str() != Some("null"))
                    .cloned()
                    .collect();
                if rest.len() == 1 {
                    map.insert("type".into(), rest[0].clone());
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(members)) = map.get(key) {
                    let rest: Vec<Value> = members
                        .iter()
                        .filter(|m| m.get("type").and_then(Value::as_str) != Some("null"))
                        .cloned()
                        .collect();
                    if rest.len() == 1 && members.len() == 2 {
                        map.remove(key);
                        if let Value::Object(only) = rest[0].clone() {
                            for (k, v) in only {
                                map.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            map.values_mut().for_each(drop_null_unions);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_unions),
        _ => {}
    }
}

/// Property descriptions are doc comments too: one paragraph, no hard line breaks.
fn unwrap_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(d)) = map.get_mut("description") {
                *d = unwrap_lines(d);
            }
            map.values_mut().for_each(unwrap_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// Removes the keyword `key` from a schema and all its subschemas (a property of that name in a
/// `properties` map stays).
fn drop_key(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            for (name, child) in map.iter_mut() {
                if name == "properties" {
                    if let Value::Object(props) = child {
                        props.values_mut().for_each(|p| drop_key(p, key));
                    }
                } else {
                    drop_key(child, key);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| drop_key(v, key)),
        _ => {}
    }
}

fn input_schema(schema: &Arc<JsonObject>) -> Arc<JsonObject> {
    let mut value = Value::Object((**schema).clone());
    unwrap_descriptions(&mut value);
    inline_defs(&mut value);
    strip_nonstandard_formats(&mut value);
    drop_null_unions(&mut value);
    drop_key(&mut value, "title");
    if let Some(map) = value.as_object_mut() {
        map.remove("$schema");
        // Undeclared arguments are refused by the tool itself, with a message naming them.
        map.remove("additionalProperties");
    }
    into_object(value, schema)
}

/// Objects deeper than `depth` levels become plain `{"type": "object"}` (list entries count one
/// level less): the model sees the fields in every answer, and every session pays for the
/// schema in its context.
fn truncate(value: &mut Value, depth: usize) {
    let Value::Object(map) = value else {
        return;
    };
    let is_object = map.get("type").and_then(Value::as_str) == Some("object");
    if is_object && depth == 0 {
        map.retain(|k, _| k == "type");
        return;
    }
    let next = if is_object { depth - 1 } else { depth };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(|p| truncate(p, next));
    }
    if let Some(child) = map.get_mut("additionalProperties") {
        truncate(child, next);
    }
    // A list's entries are what a list is for: they keep one more level than other objects.
    if let Some(child) = map.get_mut("items") {
        truncate(child, next + 1);
    }
    // A list of plain values is just a list: its entries show their type in every answer.
    let scalar_items = map
        .get("items")
        .and_then(|i| i.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t != "object" && t != "array");
    if scalar_items {
        map.remove("items");
    }
}

/// How many levels of nested objects an output schema keeps.
const OUTPUT_DEPTH: usize = 1;

fn output_schema(schema: &Arc<JsonObject>) -> Arc<JsonObject> {
    let mut value = Value::Object((**schema).clone());
    inline_defs(&mut value);
    drop_null_unions(&mut value);
    truncate(&mut value, OUTPUT_DEPTH);
    strip_nonstandard_formats(&mut value);
    drop_key(&mut value, "title");
    // The tool's description says what the answer means; field prose would repeat it.
    drop_key(&mut value, "description");
    // `required` only restates which fields are always written; the answers show it.
    drop_key(&mut value, "required");
    drop_key(&mut value, "enum");
    drop_key(&mut value, "minimum");
    if let Some(map) = value.as_object_mut() {
        map.remove("$schema");
    }
    into_object(value, schema)
}

fn into_object(value: Value, fallback: &Arc<JsonObject>) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => fallback.clone(),
    }
}

/// Doc comments wrap at the source's line width; hosts show descriptions as prose, so a lone
/// line break becomes a space (paragraph breaks stay).
pub fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Annotations say only what is not the protocol's default: `openWorldHint` is true unless
/// said otherwise, and `destructiveHint`/`idempotentHint` mean nothing for a read-only tool.
fn essential_annotations(tool: &mut Tool) {
    if let Some(a) = tool.annotations.as_mut() {
        if a.read_only_hint == Some(true) {
            a.destructive_hint = None;
            a.idempotent_hint = None;
        }
        if a.open_world_hint == Some(true) {
            a.open_world_hint = None;
        }
    }
}

/// What hosts see of a tool.
pub fn localize(mut tool: Tool, product: Product) -> Tool {
    essential_annotations(&mut tool);
    tool.input_schema = input_schema(&tool.input_schema);
    tool.output_schema = tool.output_schema.as_ref().map(output_schema);
    if let Some(d) = tool.description.take() {
        let mut text = unwrap_lines(&d);
        if product != Product::Asgardeo {
            text = text.replace("Asgardeo", product.display_name());
        }
        tool.description = Some(text.into());
    }
    tool
}

/// Whether the tool changes nothing, by its own annotation.
pub fn is_read_only(tool: &Tool) -> bool {
    tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
}

/// A tool as hosts see it: in the product's words, with clean schemas and the pipeline's own
/// arguments (`dry_run`, `confirmation_token`) where its access gives them.
pub fn present(tool: Tool, product: Product) -> Tool {
    let access = catalog_entry(&tool.name).map_or(tools::Access::Write, |e| e.access);
    let mut tool = localize(tool, product);
    super::safety::present(&mut tool, access);
    tool
}

/// Every tool's definition, sorted by name, as hosts see it.
pub fn tool_definitions(product: Product) -> Vec<Tool> {
    tools::all_tools_router()
        .list_all()
        .into_iter()
        .map(|t| present(t, product))
        .collect()
}

/// The first sentence of a description: up to the first `. ` outside parentheses.
fn first_sentence(text: &str) -> &str {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '.' if depth == 0 && bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\n') => {
                return &text[..i];
            }
            _ => {}
        }
    }
    text.trim_end_matches('.')
}

/// The README's tool table: each tool, its toolset, whether it writes, the WSO2 scopes it
/// needs, and the first sentence of its description. Generated from the tools themselves.
pub fn tool_table_markdown() -> String {
    let mut out = String::from(
        "| tool | toolset | access | scopes it needs | what it does |\n|---|---|---|---|---|\n",
    );
    for tool in tool_definitions(Product::Asgardeo) {
        let toolset = catalog_entry(&tool.name).map_or("", |e| e.toolset);
        let description = tool.description.as_deref().unwrap_or_default();
        let scopes: Vec<String> = required_scopes(&tool.name)
            .iter()
            .map(|s| format!("`{s}`"))
            .collect();
        out.push_str(&format!(
            "| `{}` | {toolset} | {} | {} | {}. |\n",
            tool.name,
            match catalog_entry(&tool.name).map(|e| e.access) {
                Some(tools::Access::Read) => "read",
                Some(tools::Access::Destructive) => "destructive: confirmed",
                _ => "write",
            },
            scopes.join(" "),
            first_sentence(description).replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn descriptions_read_as_prose() {
        assert_eq!(
            unwrap_lines("one line\nwrapped here.\n\nSecond paragraph"),
            "one line wrapped here.\n\nSecond paragraph"
        );
    }

    #[test]
    fn the_first_sentence_keeps_its_parentheses_whole() {
        assert_eq!(
            first_sentence("Replace a flow (e.g. \"a, then b\"). More."),
            "Replace a flow (e.g. \"a, then b\")"
        );
        assert_eq!(
            first_sentence("Version 1.2 works. More"),
            "Version 1.2 works"
        );
    }

    #[test]
    fn optional_inputs_are_plain_types_and_refs_are_inlined() {
        let schema = Arc::new(
            json!({
                "$schema": "x", "type": "object", "required": ["a"],
                "properties": {
                    "a": { "type": "string" },
                    "b": { "type": ["integer", "null"], "format": "uint32", "default": null },
                    "c": { "anyOf": [{ "$ref": "#/$defs/P" }, { "type": "null" }] }
                },
                "$defs": { "P": { "type": "string", "enum": ["RBAC", "No Policy"], "title": "P" } }
            })
            .as_object()
            .cloned()
            .unwrap(),
        );
        let clean = Value::Object((*input_schema(&schema)).clone());
        assert_eq!(
            clean,
            json!({ "type": "object", "required": ["a"], "properties": {
                "a": { "type": "string" },
                "b": { "type": "integer" },
                "c": { "type": "string", "enum": ["RBAC", "No Policy"] }
            } })
        );
    }
}

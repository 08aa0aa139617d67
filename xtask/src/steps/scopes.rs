//! The WSO2 scopes each operation requires, lifted from the upstream prose ("Scope required:
//! `internal_application_mgt_view`") into a shape fact, `x-scopes`, before prose is dropped.
//! The manifest can supply or correct them; a kept operation with none is an error later.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::for_each_operation;

pub const KEY: &str = "x-scopes";

pub fn extract(doc: &mut Value, overrides: &BTreeMap<String, Vec<String>>) {
    for_each_operation(doc, |_, _, op| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let scopes: BTreeSet<String> = match overrides.get(&id) {
            Some(list) => list.iter().cloned().collect(),
            None => ["description", "summary"]
                .iter()
                .filter_map(|k| op.get(*k).and_then(Value::as_str))
                .flat_map(scope_tokens)
                .collect(),
        };
        if !scopes.is_empty() {
            op[KEY] = Value::Array(scopes.into_iter().map(Value::String).collect());
        }
    });
}

fn scope_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| t.starts_with("internal_") && t.len() > "internal_".len())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_come_from_prose_or_the_manifest() {
        let mut doc = json!({ "paths": { "/a": {
            "get": { "operationId": "list", "description": "List. <b>Scope(Permission) required:</b> `internal_app_view`\n* internal_app_view" },
            "post": { "operationId": "add", "description": "no scope named here" }
        }}});
        let overrides =
            BTreeMap::from([("add".to_owned(), vec!["internal_app_create".to_owned()])]);
        extract(&mut doc, &overrides);
        assert_eq!(doc["paths"]["/a"]["get"][KEY], json!(["internal_app_view"]));
        assert_eq!(
            doc["paths"]["/a"]["post"][KEY],
            json!(["internal_app_create"])
        );
    }
}

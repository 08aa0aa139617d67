//! Every operation gets an explicit, identifier-shaped operationId. Upstream leaves some
//! unnamed and names others badly (`getUser by id`, or `getUser` for the *list*); the
//! manifest's table names them by `METHOD /path`. Progenitor's method+path fallback collides,
//! so anything still unnamed or malformed is an error that asks for a table entry.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::Value;

use super::for_each_operation;

pub fn apply(doc: &mut Value, names: &BTreeMap<String, String>) -> Result<()> {
    let mut used = BTreeSet::new();
    let mut unmatched: BTreeSet<&String> = names.keys().collect();
    let mut problems = Vec::new();
    for_each_operation(doc, |method, path, op| {
        let key = format!("{} {path}", method.to_uppercase());
        if let Some(name) = names.get(&key) {
            unmatched.remove(&key);
            op["operationId"] = Value::String(name.clone());
        }
        match op.get("operationId").and_then(Value::as_str) {
            None => problems.push(format!("{key} has no operationId")),
            Some(id) if !is_identifier(id) => {
                problems.push(format!("{key}: operationId `{id}` is not an identifier"))
            }
            Some(id) if !used.insert(id.to_owned()) => {
                problems.push(format!("{key}: operationId `{id}` is used twice"))
            }
            Some(_) => {}
        }
    });
    for key in unmatched {
        problems.push(format!(
            "the manifest names `{key}`, which the document does not have"
        ));
    }
    if !problems.is_empty() {
        bail!(
            "operation naming: add or fix entries in the API's [api.names] table:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

fn is_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({ "paths": {
            "/Users": { "get": { "operationId": "getUser" } },
            "/Users/{id}": { "get": { "operationId": "getUser by id" }, "delete": {} }
        }})
    }

    #[test]
    fn table_names_missing_and_renames_bad_ids() {
        let mut d = doc();
        let names = BTreeMap::from([
            ("GET /Users".to_owned(), "listUsers".to_owned()),
            ("GET /Users/{id}".to_owned(), "getUserById".to_owned()),
            ("DELETE /Users/{id}".to_owned(), "deleteUser".to_owned()),
        ]);
        apply(&mut d, &names).unwrap();
        assert_eq!(d["paths"]["/Users"]["get"]["operationId"], "listUsers");
        assert_eq!(
            d["paths"]["/Users/{id}"]["get"]["operationId"],
            "getUserById"
        );
        assert_eq!(
            d["paths"]["/Users/{id}"]["delete"]["operationId"],
            "deleteUser"
        );
    }

    #[test]
    fn unnamed_spaced_and_stale_entries_are_errors() {
        let mut d = doc();
        let names = BTreeMap::from([("GET /Gone".to_owned(), "gone".to_owned())]);
        let err = apply(&mut d, &names).unwrap_err().to_string();
        assert!(
            err.contains("DELETE /Users/{id} has no operationId"),
            "{err}"
        );
        assert!(
            err.contains("`getUser by id` is not an identifier"),
            "{err}"
        );
        assert!(err.contains("GET /Gone"), "{err}");
    }
}

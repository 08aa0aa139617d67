//! The named transformation steps of `regen-specs`, in the order the pipeline applies them.
//! Each takes the document as JSON and repairs or trims one thing; each has its own tests.

pub mod errors;
pub mod media_types;
pub mod multipart;
pub mod naming;
pub mod prose;
pub mod prune;
pub mod relax;
pub mod scopes;
pub mod success;
pub mod swagger2;
pub mod text_faults;
pub mod tolerant;
pub mod upstream_faults;
pub mod wire_names;
pub mod yaml;

use serde_json::Value;

pub const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Calls `f(method, path, operation)` for every operation of the document.
pub fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if METHODS.contains(&method.as_str()) {
                f(method, path, op);
            }
        }
    }
}

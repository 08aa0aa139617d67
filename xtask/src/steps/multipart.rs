//! Operations that take multipart/form-data (file imports) are dropped: progenitor cannot
//! generate them and no tool uploads files.

use serde_json::Value;

use super::METHODS;

pub fn drop_operations(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        item.retain(|method, op| !(METHODS.contains(&method.as_str()) && is_multipart(op)));
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|i| i.keys().any(|k| METHODS.contains(&k.as_str())))
    });
}

fn is_multipart(op: &Value) -> bool {
    op.pointer("/requestBody/content")
        .and_then(Value::as_object)
        .is_some_and(|c| c.keys().any(|m| m.starts_with("multipart/form-data")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multipart_operations_and_emptied_paths_go() {
        let mut doc = json!({ "paths": {
            "/import": { "post": { "requestBody": { "content": { "multipart/form-data": {} } } } },
            "/apps": {
                "post": { "requestBody": { "content": { "application/json": {} } } },
                "put": { "requestBody": { "content": { "multipart/form-data": {} } } }
            }
        }});
        drop_operations(&mut doc);
        assert!(doc["paths"].get("/import").is_none());
        assert!(doc["paths"]["/apps"].get("post").is_some());
        assert!(doc["paths"]["/apps"].get("put").is_none());
    }
}

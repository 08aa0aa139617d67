//! Swagger 2.0 to OpenAPI 3.0 (claim-management is still Swagger 2.0): body and formData
//! parameters become request bodies, `definitions`/`parameters`/`responses` move under
//! `components`, response schemas gain a media type, and every `$ref` follows them.

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::METHODS;

pub fn is_swagger2(doc: &Value) -> bool {
    doc.get("swagger").and_then(Value::as_str) == Some("2.0")
}

pub fn convert(doc: Value) -> Result<Value> {
    let Value::Object(mut src) = doc else {
        bail!("document is not an object")
    };
    let global_consumes = media_list(src.get("consumes"));
    let global_produces = media_list(src.get("produces"));

    let mut components = Map::new();
    if let Some(Value::Object(defs)) = src.remove("definitions") {
        components.insert("schemas".into(), Value::Object(defs));
    }
    if let Some(Value::Object(params)) = src.remove("parameters") {
        let mut out = Map::new();
        let mut bodies = Map::new();
        for (name, param) in params {
            match param.get("in").and_then(Value::as_str) {
                Some("body") => {
                    bodies.insert(name, request_body(&[param], &global_consumes));
                }
                _ => {
                    out.insert(name, parameter(param));
                }
            }
        }
        components.insert("parameters".into(), Value::Object(out));
        if !bodies.is_empty() {
            components.insert("requestBodies".into(), Value::Object(bodies));
        }
    }
    if let Some(Value::Object(responses)) = src.remove("responses") {
        let converted = responses
            .into_iter()
            .map(|(k, r)| (k, response(r, &global_produces)))
            .collect();
        components.insert("responses".into(), Value::Object(converted));
    }

    let mut paths = Map::new();
    if let Some(Value::Object(src_paths)) = src.remove("paths") {
        for (path, item) in src_paths {
            let Value::Object(item) = item else { continue };
            let mut out = Map::new();
            for (key, value) in item {
                if METHODS.contains(&key.as_str()) {
                    out.insert(key, operation(value, &global_consumes, &global_produces)?);
                } else if key == "parameters" {
                    out.insert(key, value);
                }
            }
            paths.insert(path, Value::Object(out));
        }
    }

    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.3"));
    if let Some(info) = src.remove("info") {
        out.insert("info".into(), info);
    }
    out.insert("paths".into(), Value::Object(paths));
    out.insert("components".into(), Value::Object(components));
    let mut out = Value::Object(out);
    rewrite_refs(&mut out);
    Ok(out)
}

fn media_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn operation(op: Value, consumes: &[String], produces: &[String]) -> Result<Value> {
    let Value::Object(mut op) = op else {
        bail!("operation is not an object")
    };
    let consumes = op
        .remove("consumes")
        .map_or_else(|| consumes.to_vec(), |v| media_list(Some(&v)));
    let produces = op
        .remove("produces")
        .map_or_else(|| produces.to_vec(), |v| media_list(Some(&v)));

    let mut params = Vec::new();
    let mut body = Vec::new();
    let mut form = Vec::new();
    if let Some(Value::Array(list)) = op.remove("parameters") {
        for param in list {
            match param.get("in").and_then(Value::as_str) {
                Some("body") => body.push(param),
                Some("formData") => form.push(param),
                _ => params.push(if param.get("$ref").is_some() {
                    param
                } else {
                    parameter(param)
                }),
            }
        }
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if !body.is_empty() {
        op.insert("requestBody".into(), request_body(&body, &consumes));
    } else if !form.is_empty() {
        op.insert("requestBody".into(), form_body(&form, &consumes));
    }
    if let Some(Value::Object(responses)) = op.remove("responses") {
        let converted = responses
            .into_iter()
            .map(|(k, r)| (k, response(r, &produces)))
            .collect();
        op.insert("responses".into(), Value::Object(converted));
    }
    Ok(Value::Object(op))
}

/// A non-body parameter: the type keywords move into `schema`.
fn parameter(param: Value) -> Value {
    let Value::Object(mut param) = param else {
        return param;
    };
    let mut schema = Map::new();
    for key in [
        "type", "format", "items", "enum", "default", "minimum", "maximum", "pattern",
    ] {
        if let Some(v) = param.remove(key) {
            schema.insert(key.into(), v);
        }
    }
    param.remove("collectionFormat");
    param.remove("allowEmptyValue");
    if !schema.is_empty() {
        param.insert("schema".into(), Value::Object(schema));
    }
    Value::Object(param)
}

fn request_body(body: &[Value], consumes: &[String]) -> Value {
    let param = &body[0];
    let schema = param.get("schema").cloned().unwrap_or_else(|| json!({}));
    let media = if consumes.is_empty() {
        vec!["application/json".to_owned()]
    } else {
        consumes.to_vec()
    };
    let content: Map<String, Value> = media
        .into_iter()
        .map(|m| (m, json!({ "schema": schema.clone() })))
        .collect();
    let mut out = json!({ "content": content });
    if param.get("required").and_then(Value::as_bool) == Some(true) {
        out["required"] = json!(true);
    }
    if let Some(d) = param.get("description") {
        out["description"] = d.clone();
    }
    out
}

fn form_body(form: &[Value], consumes: &[String]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in form {
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            continue;
        };
        let mut schema = parameter(param.clone())
            .get("schema")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if schema.get("type").and_then(Value::as_str) == Some("file") {
            schema = json!({ "type": "string", "format": "binary" });
        }
        properties.insert(name.to_owned(), schema);
        if param.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(json!(name));
        }
    }
    let media = consumes
        .first()
        .cloned()
        .unwrap_or_else(|| "multipart/form-data".to_owned());
    let mut schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    json!({ "content": { media: { "schema": schema } } })
}

fn response(resp: Value, produces: &[String]) -> Value {
    let Value::Object(mut resp) = resp else {
        return resp;
    };
    if resp.contains_key("$ref") {
        return Value::Object(resp);
    }
    resp.remove("examples");
    if let Some(schema) = resp.remove("schema") {
        let media = if produces.is_empty() {
            vec!["application/json".to_owned()]
        } else {
            produces.to_vec()
        };
        let content: Map<String, Value> = media
            .into_iter()
            .map(|m| (m, json!({ "schema": schema.clone() })))
            .collect();
        resp.insert("content".into(), Value::Object(content));
    }
    if !resp.contains_key("description") {
        resp.insert("description".into(), json!(""));
    }
    Value::Object(resp)
}

fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                let trimmed = r.trim().to_owned();
                *r = [
                    ("#/definitions/", "#/components/schemas/"),
                    ("#/parameters/", "#/components/parameters/"),
                    ("#/responses/", "#/components/responses/"),
                ]
                .iter()
                .find_map(|(old, new)| trimmed.strip_prefix(old).map(|rest| format!("{new}{rest}")))
                .unwrap_or(trimmed);
            }
            map.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Value {
        json!({
            "swagger": "2.0",
            "info": { "title": "t", "version": "v1" },
            "produces": ["application/json"],
            "parameters": { "limit": { "in": "query", "name": "limit", "type": "integer", "format": "int32" } },
            "responses": { "NotFound": { "description": "nf", "schema": { "$ref": "#/definitions/Error" } } },
            "definitions": {
                "Error": { "type": "object", "properties": { "code": { "type": "string" } } },
                "Claim": { "type": "object" }
            },
            "paths": {
                "/claims": {
                    "get": {
                        "operationId": "list",
                        "parameters": [{ "$ref": "#/parameters/limit" }],
                        "responses": {
                            "200": { "description": "ok", "schema": { "type": "array", "items": { "$ref": "#/definitions/Claim" } } },
                            "404": { "$ref": "#/responses/NotFound" }
                        }
                    },
                    "post": {
                        "operationId": "add",
                        "consumes": ["application/json"],
                        "parameters": [{ "in": "body", "name": "body", "required": true, "schema": { "$ref": "#/definitions/Claim" } }],
                        "responses": { "201": { "description": "created" } }
                    }
                },
                "/import": {
                    "post": {
                        "operationId": "import",
                        "consumes": ["multipart/form-data"],
                        "parameters": [{ "in": "formData", "name": "file", "type": "file", "required": true }],
                        "responses": { "201": { "description": "created" } }
                    }
                }
            }
        })
    }

    #[test]
    fn converts_structure_and_refs() {
        let doc = convert(fixture()).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc.get("swagger").is_none() && doc.get("definitions").is_none());
        assert_eq!(doc["components"]["schemas"]["Claim"]["type"], "object");
        assert_eq!(
            doc["components"]["parameters"]["limit"]["schema"]["format"],
            "int32"
        );
        let list = &doc["paths"]["/claims"]["get"];
        assert_eq!(
            list["parameters"][0]["$ref"],
            "#/components/parameters/limit"
        );
        assert_eq!(
            list["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
            "#/components/schemas/Claim"
        );
        assert_eq!(
            list["responses"]["404"]["$ref"],
            "#/components/responses/NotFound"
        );
        assert_eq!(
            doc["components"]["responses"]["NotFound"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
    }

    #[test]
    fn body_parameter_becomes_request_body() {
        let doc = convert(fixture()).unwrap();
        let body = &doc["paths"]["/claims"]["post"]["requestBody"];
        assert_eq!(body["required"], true);
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Claim"
        );
        assert!(doc["paths"]["/claims"]["post"].get("parameters").is_none());
    }

    #[test]
    fn form_data_becomes_multipart_body() {
        let doc = convert(fixture()).unwrap();
        let schema = &doc["paths"]["/import"]["post"]["requestBody"]["content"]["multipart/form-data"]
            ["schema"];
        assert_eq!(schema["properties"]["file"]["format"], "binary");
        assert_eq!(schema["required"][0], "file");
    }
}

//! Tolerant reader, proven mechanically: every read tool runs against the sandbox through a
//! proxy that, one run at a time, deletes one field from one of the server's answers (or
//! replaces one enum value with a value never seen). The tool must still succeed, unless the
//! deleted field is one it cannot work without, and then its message must say what is missing.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]
// The test reports how many mutated answers it checked.
#![allow(clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use asgardeo_mcp::api::{Upstream, UpstreamSettings};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::Fixture;
use common::mcp::{McpClient, Setup, text};
use serde_json::{Value, json};

/// What the proxy does to the answers of one upstream call.
#[derive(Debug, Clone)]
enum Mutation {
    /// Pass everything through and remember each answer.
    Record,
    /// Delete the value at `pointer` in the answers to `call` (method and path).
    Delete { call: String, pointer: String },
    /// Replace the string at `pointer` with a value the documents do not list.
    Replace { call: String, pointer: String },
}

struct Proxy {
    target: String,
    http: reqwest::Client,
    mutation: Mutex<Mutation>,
    recorded: Mutex<Vec<(String, Value)>>,
}

fn call_key(method: &Method, uri: &Uri) -> String {
    format!("{method} {}", uri.path())
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = format!(
        "{}{}",
        proxy.target,
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let mut request = proxy.http.request(method.clone(), &url).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let Ok(answer) = request.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_default();
    let key = call_key(&method, &uri);
    let mut body = bytes.to_vec();
    if let Ok(mut value) = serde_json::from_slice::<Value>(&bytes)
        && !uri.path().ends_with("/oauth2/token")
    {
        let mutation = proxy.mutation.lock().unwrap().clone();
        match mutation {
            Mutation::Record => proxy.recorded.lock().unwrap().push((key, value.clone())),
            Mutation::Delete { call, pointer } if call == key => delete(&mut value, &pointer),
            Mutation::Replace { call, pointer } if call == key => {
                if let Some(v) = value.pointer_mut(&pointer) {
                    *v = json!("A_VALUE_NEVER_DOCUMENTED");
                }
            }
            _ => {}
        }
        body = serde_json::to_vec(&value).unwrap();
    }
    let mut response = (status, body).into_response();
    for (name, value) in &answer_headers {
        if name != "content-length" && name != "transfer-encoding" {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

fn delete(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// Every field in `value`, as JSON pointers (object members at any depth; array elements are
/// entries, not fields, so only the fields inside them count).
fn fields(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(here.clone());
                fields(v, &here, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                fields(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every string in `value` that is one of `known` enum values, as JSON pointers.
fn enum_values(value: &Value, at: &str, known: &BTreeSet<String>, out: &mut Vec<String>) {
    match value {
        Value::String(s) if known.contains(s) => out.push(at.to_owned()),
        Value::Object(map) => {
            for (k, v) in map {
                enum_values(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    known,
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                enum_values(v, &format!("{at}/{i}"), known, out);
            }
        }
        _ => {}
    }
}

/// The enum values the documents list (kept by the pipeline as `x-known`).
fn known_enum_values() -> BTreeSet<String> {
    fn collect(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(values)) = map.get("x-known") {
                    out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_owned)));
                }
                map.values().for_each(|c| collect(c, out));
            }
            Value::Array(items) => items.iter().for_each(|c| collect(c, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            collect(&doc, &mut out);
        }
    }
    out
}

async fn start_proxy(target: &str) -> (Arc<Proxy>, SocketAddr) {
    let proxy = Arc::new(Proxy {
        target: target.to_owned(),
        http: reqwest::Client::new(),
        mutation: Mutex::new(Mutation::Record),
        recorded: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (proxy, addr)
}

/// A field a tool cannot work without: deleting it may fail the call, and the message must
/// then say what is missing. (call path ends with, field name, words the message contains)
type Needed = &'static [(&'static str, &'static str, &'static str)];

async fn check_tool(
    client: &McpClient,
    proxy: &Proxy,
    tool: &str,
    args: Value,
    needed: Needed,
    known: &BTreeSet<String>,
) -> (usize, usize) {
    *proxy.mutation.lock().unwrap() = Mutation::Record;
    proxy.recorded.lock().unwrap().clear();
    client.ok(tool, args.clone()).await;
    let recorded = proxy.recorded.lock().unwrap().clone();
    assert!(!recorded.is_empty(), "{tool}: no upstream call recorded");
    let mut runs = 0;
    let mut allowed_failures = 0;
    for (call, body) in &recorded {
        let mut pointers = Vec::new();
        fields(body, "", &mut pointers);
        for pointer in pointers {
            *proxy.mutation.lock().unwrap() = Mutation::Delete {
                call: call.clone(),
                pointer: pointer.clone(),
            };
            let result = client.call(tool, args.clone()).await;
            runs += 1;
            if result.is_error != Some(true) {
                continue;
            }
            let field = pointer.rsplit('/').next().unwrap_or_default();
            let message = text(&result);
            let excused = needed.iter().any(|(path, name, words)| {
                call.ends_with(path) && field == *name && message.contains(words)
            });
            assert!(
                excused,
                "{tool} failed when {call} lacked {pointer}: {message}"
            );
            allowed_failures += 1;
        }
        let mut enums = Vec::new();
        enum_values(body, "", known, &mut enums);
        for pointer in enums {
            *proxy.mutation.lock().unwrap() = Mutation::Replace {
                call: call.clone(),
                pointer: pointer.clone(),
            };
            let result = client.call(tool, args.clone()).await;
            runs += 1;
            assert_ne!(
                result.is_error,
                Some(true),
                "{tool} failed when {call} had an unknown value at {pointer}: {}",
                text(&result)
            );
        }
    }
    *proxy.mutation.lock().unwrap() = Mutation::Record;
    (runs, allowed_failures)
}

#[tokio::test]
async fn every_read_tool_survives_each_missing_field_and_unknown_enum_value() {
    let f = Fixture::default().await;
    let (proxy, addr) = start_proxy(&format!("http://{}", f.sandbox.addr)).await;
    let base = f
        .sandbox
        .base_url
        .replace(&f.sandbox.addr.to_string(), &addr.to_string());
    let upstream = Upstream::new(common::fast(UpstreamSettings::new(
        &base,
        &f.sandbox.credentials.client_id,
        &f.sandbox.credentials.client_secret,
    )))
    .unwrap();
    let client = McpClient::start(upstream, Setup::default()).await;
    let direct = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let app = direct
        .ok(
            "create_webapp_with_ssr",
            json!({ "application_name": "Tolerant", "redirect_url": "https://t.example.com/cb" }),
        )
        .await;
    let api = direct
        .ok(
            "create_api_resource",
            json!({ "identifier": "https://tolerant.example.com", "name": "Tolerant API", "scopes": ["read:t"] }),
        )
        .await;
    direct
        .ok(
            "authorize_api",
            json!({ "appId": app["id"], "id": api["id"], "scopes": ["read:t"] }),
        )
        .await;
    let known = known_enum_values();
    assert!(known.contains("USER_DEFINED") && known.contains("COMPLETED"));

    // What each tool cannot work without, and what it then says.
    const LOOKUP: Needed = &[
        ("/applications", "applications", "Not found"),
        ("/applications", "id", "`id`"),
        ("/applications", "name", "Not found"),
        ("/applications", "clientId", "Not found"),
    ];
    const API_LOOKUP: Needed = &[
        ("/api-resources", "apiResources", "Not found"),
        ("/api-resources", "id", "Not found"),
        ("/api-resources", "identifier", "Not found"),
    ];
    let cases: Vec<(&str, Value, Needed)> = vec![
        ("list_applications", json!({}), &[]),
        (
            "get_application_by_name",
            json!({ "application_name": "Tolerant" }),
            LOOKUP,
        ),
        (
            "get_application_by_client_id",
            json!({ "client_id": app["client_id"] }),
            LOOKUP,
        ),
        ("list_authorized_api", json!({ "app_id": app["id"] }), &[]),
        ("list_api_resources", json!({ "limit": 3 }), &[]),
        (
            "search_api_resources_by_name",
            json!({ "name": "Tolerant" }),
            &[],
        ),
        (
            "get_api_resource_by_identifier",
            json!({ "identifier": "https://tolerant.example.com" }),
            API_LOOKUP,
        ),
        ("list_claims", json!({}), &[]),
    ];
    let mut total = 0;
    for (tool, args, needed) in cases {
        let (runs, excused) = check_tool(&client, &proxy, tool, args, needed, &known).await;
        assert!(runs > 0, "{tool}: nothing was mutated");
        total += runs;
        eprintln!("{tool}: {runs} mutated answers, {excused} excused failures");
    }
    eprintln!("{total} mutated answers in all");
}

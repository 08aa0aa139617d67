//! Property tests over the two ways input reaches the server: raw JSON-RPC lines on stdio
//! (every undecodable line gets an error reply, and the session survives whatever it is sent),
//! and every tool's argument decoding (any JSON arguments get a tool result or an
//! invalid-params error, never a panic, a hang or a dead session). Bounded: `FUZZ_CASES` cases
//! each (default 1,000), on stable Rust.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]
// The tests report how many cases they ran.
#![allow(clippy::print_stderr)]

mod common;

use std::sync::Arc;

use asgardeo_mcp::server::stdio::GuardedStdio;
use common::Fixture;
use common::mcp::{McpClient, Setup};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rmcp::ServiceExt;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        prop::sample::select(vec![
            "../../x",
            "a/b",
            "\u{202E}evil",
            "x\u{0}y",
            "https://a.example.com/cb",
            "myapp://cb",
            "name eq x",
            "\"quoted\"",
            "🚀",
            "",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One line a client might send: bytes, JSON of any shape, or a request of MCP's shape.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>().prop_filter("one line", |b| *b != b'\n'), 0..200),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (
            prop::sample::select(vec![
                "tools/call",
                "tools/list",
                "ping",
                "initialize",
                "resources/list",
                "nope",
                "notifications/cancelled",
            ]),
            json_value(),
            prop::option::of(any::<i64>()),
        )
            .prop_map(|(method, params, id)| {
                let mut m = json!({ "jsonrpc": "2.0", "method": method, "params": params });
                if let Some(id) = id {
                    m["id"] = json!(id);
                }
                m.to_string().into_bytes()
            }),
        (json_value(), any::<u32>()).prop_map(|(arguments, id)| {
            json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": { "name": "list_claims", "arguments": arguments } })
            .to_string()
            .into_bytes()
        }),
    ]
}

#[test]
fn every_jsonrpc_line_gets_an_answer_and_the_session_survives() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let f = runtime.block_on(Fixture::default());
    let server = McpClient::server(f.upstream.clone(), Setup::default());
    let (client_io, server_io) = tokio::io::duplex(1 << 22);
    let (server_read, server_write) = tokio::io::split(server_io);
    let (client_read, mut client_write) = tokio::io::split(client_io);
    let mut replies = BufReader::new(client_read).lines();
    runtime.block_on(async {
        tokio::spawn(async move {
            if let Ok(service) = server
                .serve(GuardedStdio::new(server_read, server_write))
                .await
            {
                let _ = service.waiting().await;
            }
        });
        client_write
            .write_all(
                format!(
                    "{}\n{}\n",
                    json!({ "jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
                        "protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": { "name": "fuzz", "version": "1" } } }),
                    json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let init = replies.next_line().await.unwrap().unwrap();
        assert!(init.contains("serverInfo"), "{init}");
    });
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let ping = std::cell::Cell::new(0u64);
    let client_write = tokio::sync::Mutex::new(client_write);
    let replies = tokio::sync::Mutex::new(replies);
    let outcome = runner.run(&line(), |bytes| {
        ping.set(ping.get() + 1);
        let marker = format!("ping-{}", ping.get());
        let parse_error_expected = std::str::from_utf8(&bytes)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .is_some_and(|s| serde_json::from_str::<Value>(s).is_err());
        let answered = runtime.block_on(async {
            let mut message = bytes.clone();
            message.push(b'\n');
            message.extend_from_slice(
                format!(
                    "{}\n",
                    json!({ "jsonrpc": "2.0", "id": marker, "method": "ping" })
                )
                .as_bytes(),
            );
            let mut writer = client_write.lock().await;
            let mut replies = replies.lock().await;
            writer.write_all(&message).await.unwrap();
            // The line's own answer (if any) and the ping's may come in either order: an error
            // reply to a line rmcp never sees is written by its own task.
            let mut saw_parse_error = false;
            let mut saw_marker = false;
            while !saw_marker || (parse_error_expected && !saw_parse_error) {
                let next =
                    tokio::time::timeout(std::time::Duration::from_secs(20), replies.next_line())
                        .await;
                let Ok(Ok(Some(reply))) = next else {
                    return Err("the session stopped answering".to_owned());
                };
                let reply: Value = serde_json::from_str(&reply).unwrap_or_default();
                if reply["error"]["code"] == -32700 && reply["id"].is_null() {
                    saw_parse_error = true;
                }
                if reply["id"] == json!(marker) {
                    saw_marker = true;
                }
            }
            Ok(saw_parse_error)
        });
        let saw_parse_error = answered.map_err(TestCaseError::fail)?;
        prop_assert!(
            !parse_error_expected || saw_parse_error,
            "no parse error for {:?}",
            String::from_utf8_lossy(&bytes)
        );
        Ok(())
    });
    outcome.unwrap();
    eprintln!(
        "{} raw JSON-RPC lines, every one answered, the session alive",
        cases()
    );
}

#[test]
fn every_tools_arguments_decode_to_a_result_or_a_clear_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (client, _f) = runtime.block_on(async {
        let f = Fixture::default().await;
        (
            McpClient::start(f.upstream.clone(), Setup::default()).await,
            f,
        )
    });
    let client = Arc::new(client);
    let tools = runtime.block_on(client.tools());
    let names: Vec<(String, Vec<String>)> = tools
        .iter()
        .map(|t| {
            let keys = t
                .input_schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            (t.name.to_string(), keys)
        })
        .collect();
    let strategy = (0..names.len()).prop_flat_map(move |i| {
        let (tool, keys) = names[i].clone();
        let key = prop_oneof![
            4 => prop::sample::select(if keys.is_empty() { vec!["x".to_owned()] } else { keys }),
            1 => "[a-z]{1,8}",
        ];
        (
            Just(tool),
            prop::collection::btree_map(key, json_value(), 0..6),
        )
    });
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |(tool, args)| {
        let arguments: Map<String, Value> = args.into_iter().collect();
        let client = client.clone();
        let result = runtime.block_on(async move {
            tokio::time::timeout(
                std::time::Duration::from_secs(60),
                client.service.call_tool(
                    rmcp::model::CallToolRequestParams::new(tool.clone()).with_arguments(arguments),
                ),
            )
            .await
        });
        let Ok(result) = result else {
            return Err(TestCaseError::fail("no answer within a minute"));
        };
        match result {
            Ok(_) => {}
            Err(rmcp::ServiceError::McpError(e)) => {
                prop_assert_eq!(e.code.0, -32602, "{}", e.message);
            }
            Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
        }
        Ok(())
    });
    outcome.unwrap();
    // Still alive.
    runtime.block_on(client.ok("list_claims", json!({})));
    eprintln!(
        "{} fuzzed tool calls over {} tools, no panic, every one answered",
        cases(),
        tools.len()
    );
}

/// Every request answered whatever else is in flight: tool calls (each held by the sandbox's
/// latency) interleaved with lines that are no JSON and requests that are no JSON-RPC, sent in
/// one burst; every call, every bad request (by its id) and every bad line (a parse error) is
/// answered. Bounded: 200 of each, one minute at most.
#[test]
fn every_request_is_answered_while_calls_are_in_flight() {
    const EACH: usize = 200;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let f = Fixture::default().await;
        f.set_faults(json!({ "latency_ms": 2 })).await;
        let server = McpClient::server(f.upstream.clone(), Setup::default());
        let (client_io, server_io) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_io);
        let (client_read, mut client_write) = tokio::io::split(client_io);
        let mut replies = BufReader::new(client_read).lines();
        tokio::spawn(async move {
            if let Ok(service) = server
                .serve(GuardedStdio::new(server_read, server_write))
                .await
            {
                let _ = service.waiting().await;
            }
        });
        let mut burst = format!(
            "{}\n{}\n",
            json!({ "jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": { "name": "interleave", "version": "1" } } }),
            json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })
        );
        for i in 0..EACH {
            burst.push_str(&format!(
                "{}\n{{not json {i}\n{}\n",
                json!({ "jsonrpc": "2.0", "id": format!("call-{i}"), "method": "tools/call",
                        "params": { "name": "list_claims", "arguments": {} } }),
                json!({ "jsonrpc": "1.0", "id": format!("bad-{i}"), "method": "ping" }),
            ));
        }
        client_write.write_all(burst.as_bytes()).await.unwrap();
        let (mut calls, mut bad, mut parse_errors) = (0, 0, 0);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while calls < EACH || bad < EACH || parse_errors < EACH {
            let next = tokio::time::timeout_at(deadline, replies.next_line()).await;
            let Ok(Ok(Some(line))) = next else {
                panic!(
                    "unanswered: {} calls, {} bad requests, {} bad lines",
                    EACH - calls,
                    EACH - bad,
                    EACH - parse_errors
                );
            };
            let reply: Value = serde_json::from_str(&line).unwrap();
            let id = reply["id"].as_str().unwrap_or_default();
            if id.starts_with("call-") {
                assert!(reply["result"].is_object(), "{reply}");
                calls += 1;
            } else if id.starts_with("bad-") {
                assert_eq!(reply["error"]["code"], -32600, "{reply}");
                bad += 1;
            } else if reply["error"]["code"] == -32700 {
                assert!(reply.as_object().unwrap().contains_key("id"), "{reply}");
                parse_errors += 1;
            }
        }
        eprintln!("{EACH} calls, {EACH} bad requests and {EACH} bad lines, every one answered");
    });
}

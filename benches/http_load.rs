//! Remote mode under load: the release binary serving `--http` with token checks on, against a
//! sandbox (in this process) with 50 applications; 1, 16 and 64 concurrent clients each send a
//! bounded number of `list_applications` calls (2026-07-28, no session) with a signed bearer
//! token. Reports requests per second, p50/p99 latency and the server's resident memory. Then
//! the limits: one person holding 256 slow bodies while another person calls, and 2,000
//! legacy sessions opened and abandoned (by one person, then by 100), with the memory after.
//! Run: `cargo bench --bench http_load` (builds the release binary first). Loopback only.

// A benchmark reports on stdout; the server's stdout rule does not apply here.
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asgardeo_mcp::sandbox::{Sandbox, SandboxConfig, signing_key};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_asgardeo-mcp");
/// Calls per stage, shared by its clients.
const CALLS: usize = 4_000;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The client the benchmark's tokens are issued to.
const BENCH_CLIENT: &str = "bench-client";

/// The server's registration, as `setup-remote` makes it: its API resource, and the client
/// application authorized for it under RBAC (what `serve --http` checks each client against).
async fn register(sandbox: &Sandbox, audience: &str) {
    let upstream = asgardeo_mcp::api::Upstream::new(asgardeo_mcp::api::UpstreamSettings::new(
        &sandbox.base_url,
        &sandbox.credentials.client_id,
        &sandbox.credentials.client_secret,
    ))
    .unwrap();
    let bearer = upstream.token().await.unwrap().header_value();
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/server/v1{path}", sandbox.base_url);
    let scopes = ["mcp:applications:read"];
    let resource: serde_json::Value = http
        .post(api("/api-resources"))
        .header(reqwest::header::AUTHORIZATION, bearer.clone())
        .json(
            &json!({ "identifier": audience, "name": "MCP", "requiresAuthorization": true,
                       "scopes": scopes.map(|s| json!({ "name": s })) }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = http
        .post(api("/applications"))
        .header(reqwest::header::AUTHORIZATION, bearer.clone())
        .json(
            &json!({ "name": "MCP client", "inboundProtocolConfiguration": { "oidc": {
            "clientId": BENCH_CLIENT, "publicClient": true, "grantTypes": ["authorization_code"],
            "callbackURLs": ["http://127.0.0.1/callback"] } } }),
        )
        .send()
        .await
        .unwrap();
    let app = created.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let authorized = http
        .post(api(&format!("/applications/{app}/authorized-apis")))
        .header(reqwest::header::AUTHORIZATION, bearer)
        .json(&json!({ "id": resource["id"], "policyIdentifier": "RBAC", "scopes": scopes }))
        .send()
        .await
        .unwrap();
    assert!(authorized.status().is_success());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (sandbox, serve) = Sandbox::serve(
        listener,
        SandboxConfig {
            seed_apps: 50,
            ..Default::default()
        },
        std::future::pending(),
    )
    .unwrap();
    tokio::spawn(serve);

    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--http",
            "--port",
            "0",
            "--log",
            "error",
            "--max-in-flight",
            "1024",
            "--allowed-clients",
            BENCH_CLIENT,
            "--max-in-flight-per-person",
            "64",
            "--body-timeout",
            "5",
            "--session-idle",
            "5",
        ])
        .env("BASE_URL", &sandbox.base_url)
        .env("CLIENT_ID", &sandbox.credentials.client_id)
        .env("CLIENT_SECRET", &sandbox.credentials.client_secret)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the release binary (cargo bench builds it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split("MCP at ")
        .nth(1)
        .and_then(|r| r.strip_suffix(")\n"))
        .expect("the address line")
        .to_owned();
    register(&sandbox, &url).await;
    let now = chrono::Utc::now().timestamp();
    let token = signing_key().sign(&json!({
        "iss": format!("{}/oauth2/token", sandbox.base_url), "sub": "bench", "aud": url,
        "azp": BENCH_CLIENT, "scope": "mcp:applications:read", "iat": now, "nbf": now,
        "exp": now + 3600,
    }));
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "list_applications", "arguments": { "limit": 20 },
        "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                   "io.modelcontextprotocol/clientCapabilities": {} } } })
    .to_string();
    let pid = child.id();
    println!(
        "idle RSS after start: {:.1} MiB",
        rss_kib(pid) as f64 / 1024.0
    );

    println!("| clients | requests/s | p50 | p99 | RSS after |");
    println!("|---|---|---|---|---|");
    for clients in [1usize, 16, 64] {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()
            .unwrap();
        let send = {
            let (http, url, token, body) = (http.clone(), url.clone(), token.clone(), body.clone());
            Arc::new(move || {
                let request = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("accept", "application/json, text/event-stream")
                    .header("content-type", "application/json")
                    .header("mcp-protocol-version", "2026-07-28")
                    .header("mcp-method", "tools/call")
                    .header("mcp-name", "list_applications")
                    .body(body.clone());
                async move {
                    let response = request.send().await.expect("send");
                    assert!(response.status().is_success(), "{}", response.status());
                    let text = response.text().await.expect("body");
                    assert!(text.contains("applications"), "{text}");
                }
            })
        };
        // Warm-up: connections, the JWKS, the upstream token.
        for _ in 0..clients.max(8) {
            send().await;
        }
        let per_client = CALLS / clients;
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let send = send.clone();
                tokio::spawn(async move {
                    let mut samples = Vec::with_capacity(per_client);
                    for _ in 0..per_client {
                        let t = Instant::now();
                        send().await;
                        samples.push(t.elapsed());
                    }
                    samples
                })
            })
            .collect();
        let mut samples = Vec::with_capacity(CALLS);
        for task in tasks {
            samples.extend(task.await.unwrap());
        }
        let elapsed = started.elapsed();
        samples.sort();
        println!(
            "| {clients} | {:.0} | {:.2} ms | {:.2} ms | {:.1} MiB |",
            samples.len() as f64 / elapsed.as_secs_f64(),
            percentile(&samples, 0.5).as_secs_f64() * 1e3,
            percentile(&samples, 0.99).as_secs_f64() * 1e3,
            rss_kib(pid) as f64 / 1024.0
        );
    }
    limits(&sandbox, &url, pid).await;
    let _ = child.kill();
    let _ = child.wait();
}

/// A token for person `sub`.
fn token_for(sandbox: &Sandbox, url: &str, sub: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    signing_key().sign(&json!({
        "iss": format!("{}/oauth2/token", sandbox.base_url), "sub": sub, "aud": url,
        "azp": BENCH_CLIENT, "scope": "mcp:applications:read", "iat": now, "nbf": now,
        "exp": now + 3600,
    }))
}

async fn limits(sandbox: &Sandbox, url: &str, pid: u32) {
    use tokio::io::AsyncWriteExt;
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned();
    let slow = token_for(sandbox, url, "slow");
    let mut held = Vec::new();
    for _ in 0..256 {
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
            continue;
        };
        let start = format!(
            "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {slow}\r\nContent-Type: application/json\r\nMCP-Protocol-Version: 2026-07-28\r\nContent-Length: 500\r\n\r\n{{"
        );
        if stream.write_all(start.as_bytes()).await.is_ok() {
            held.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let other = token_for(sandbox, url, "other");
    let http = reqwest::Client::new();
    let list = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": { "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {} } } })
    .to_string();
    let mut ok = 0;
    let mut samples = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let answer = http
            .post(url)
            .bearer_auth(&other)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/list")
            .body(list.clone())
            .send()
            .await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            ok += 1;
        }
        samples.push(t.elapsed());
    }
    samples.sort();
    println!(
        "\nwith one person holding {} slow bodies: another person's calls {ok}/100 answered, p50 {:.2} ms, p99 {:.2} ms",
        held.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3
    );
    drop(held);

    let initialize = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "b", "version": "1" } } })
    .to_string();
    let open = |token: String| {
        let (http, url, body) = (http.clone(), url.to_owned(), initialize.clone());
        async move {
            http.post(&url)
                .bearer_auth(token)
                .header("accept", "application/json, text/event-stream")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .is_ok_and(|a| a.status().is_success())
        }
    };
    tokio::time::sleep(Duration::from_secs(6)).await;
    let before = rss_kib(pid);
    let one = token_for(sandbox, url, "hoarder");
    let mut opened = 0;
    for _ in 0..2000 {
        if open(one.clone()).await {
            opened += 1;
        }
    }
    println!(
        "2,000 sessions asked for by one person: {opened} opened; RSS {:.1} MiB before, {:.1} MiB after",
        before as f64 / 1024.0,
        rss_kib(pid) as f64 / 1024.0
    );
    let mut opened = 0;
    for i in 0..2000 {
        if open(token_for(sandbox, url, &format!("person-{}", i % 100))).await {
            opened += 1;
        }
    }
    let full = rss_kib(pid);
    tokio::time::sleep(Duration::from_secs(12)).await;
    println!(
        "2,000 sessions asked for by 100 people: {opened} opened, RSS {:.1} MiB; after they idle out {:.1} MiB (before any: {:.1} MiB)",
        full as f64 / 1024.0,
        rss_kib(pid) as f64 / 1024.0,
        before as f64 / 1024.0
    );
}

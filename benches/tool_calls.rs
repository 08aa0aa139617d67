//! Tool-call latency, measured in-process against the sandbox (release build; medians of
//! repeated runs; ratios against the bare generated client). Run: `cargo bench --bench tool_calls`.
//! Each loop is bounded; everything binds 127.0.0.1.

// A benchmark reports on stdout; the server's stdout rule does not apply here.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use asgardeo_mcp::api::{Upstream, UpstreamSettings};
use asgardeo_mcp::sandbox::{FaultPlan, Sandbox, SandboxConfig};
use asgardeo_mcp::server::{
    AsgardeoServer, AuditLog, InProcess, ServerOptions, ToolFilter, connect_in_process,
};
use asgardeo_mcp::tools::{ToolContext, ToolSettings};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

const RUNS: usize = 200;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn measure<F, Fut>(runs: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..10 {
        f().await;
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    median(samples)
}

struct Setup {
    upstream: Upstream,
    client: InProcess<()>,
    stats: String,
}

async fn setup(latency_ms: u64, seed_apps: usize) -> Setup {
    let config = SandboxConfig {
        seed_apps,
        faults: FaultPlan {
            latency_ms,
            ..Default::default()
        },
        ..Default::default()
    };
    let sandbox = Sandbox::start(config, 0).await.expect("sandbox");
    let upstream = Upstream::new(UpstreamSettings::new(
        &sandbox.base_url,
        &sandbox.credentials.client_id,
        &sandbox.credentials.client_secret,
    ))
    .expect("upstream");
    let server = AsgardeoServer::new(
        Arc::new(ToolContext::new(upstream.clone(), ToolSettings::default())),
        ServerOptions::default(),
        &ToolFilter::default(),
        AuditLog::default(),
    )
    .expect("server");
    let client = connect_in_process(server, ()).await.expect("client");
    Setup {
        upstream,
        client,
        stats: format!("http://{}/sandbox/stats", sandbox.addr),
    }
}

/// The sandbox's count of API requests so far.
async fn api_requests(s: &Setup) -> u64 {
    reqwest::get(&s.stats)
        .await
        .expect("stats")
        .json::<Value>()
        .await
        .expect("stats json")["api_requests"]
        .as_u64()
        .unwrap_or_default()
}

async fn call(client: &InProcess<()>, tool: &str, args: Value) -> Value {
    let Value::Object(args) = args else {
        unreachable!()
    };
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .expect("call");
    assert_ne!(result.is_error, Some(true));
    result.structured_content.unwrap_or_default()
}

fn row(name: &str, value: Duration, baseline: Option<Duration>) {
    match baseline {
        Some(b) => println!(
            "{name:<58} {:>9.3} ms   x{:.2}",
            value.as_secs_f64() * 1e3,
            value.as_secs_f64() / b.as_secs_f64()
        ),
        None => println!("{name:<58} {:>9.3} ms", value.as_secs_f64() * 1e3),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("median of {RUNS} runs each, release build, sandbox on 127.0.0.1, 253 applications");
    let s = setup(0, 250).await;
    let direct = measure(RUNS, || async {
        s.upstream
            .applications()
            .get_all_applications()
            .limit(50u64)
            .send()
            .await
            .expect("list");
    })
    .await;
    row("generated client: list 50 applications", direct, None);
    let tool = measure(RUNS, || async {
        call(&s.client, "list_applications", json!({ "limit": 50 })).await;
    })
    .await;
    row(
        "MCP tool list_applications (limit 50), in-process",
        tool,
        Some(direct),
    );
    let all = measure(50, || async {
        let mut cursor: Option<String> = None;
        let mut seen = 0;
        loop {
            let mut args = json!({ "limit": 100 });
            if let Some(c) = &cursor {
                args["cursor"] = json!(c);
            }
            let page = call(&s.client, "list_applications", args).await;
            seen += page["applications"].as_array().map_or(0, Vec::len);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, 251);
    })
    .await;
    row(
        "MCP: every application (251, pages of 100)",
        all,
        Some(direct),
    );
    let details = measure(RUNS, || async {
        call(
            &s.client,
            "get_application_by_name",
            json!({ "application_name": "Seeded App 0125" }),
        )
        .await;
    })
    .await;
    row(
        "MCP tool get_application_by_name (4 upstream calls)",
        details,
        Some(direct),
    );

    // With 20 ms of upstream latency, the three reads behind get_application_by_name run
    // concurrently: the tool costs about two round trips (lookup + the three reads), not four.
    let slow = setup(20, 250).await;
    let one = measure(30, || async {
        slow.upstream
            .applications()
            .get_all_applications()
            .limit(1u64)
            .send()
            .await
            .expect("list");
    })
    .await;
    row("generated client, 20 ms latency: one call", one, None);
    let details = measure(30, || async {
        call(
            &slow.client,
            "get_application_by_name",
            json!({ "application_name": "Seeded App 0125" }),
        )
        .await;
    })
    .await;
    row(
        "MCP get_application_by_name, 20 ms latency (1 + 3 concurrent)",
        details,
        Some(one),
    );

    // Every application of a 5,000-application organization in one call: the first page says
    // the total, the other 49 pages are fetched four at a time.
    for latency in [0, 20] {
        let big = setup(latency, 5_000).await;
        let before = api_requests(&big).await;
        let started = Instant::now();
        let listed = call(&big.client, "list_applications", json!({ "all": true })).await;
        let wall = started.elapsed();
        let requests = api_requests(&big).await - before;
        let count = listed["applications"].as_array().map_or(0, Vec::len);
        assert_eq!(count, 5_001);
        println!(
            "MCP list_applications all=true, 5,001 apps, {latency} ms latency   {:>9.1} ms   {requests} requests",
            wall.as_secs_f64() * 1e3
        );
    }
}

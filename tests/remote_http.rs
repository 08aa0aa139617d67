//! Remote mode (`serve --http`) as the real binary, with the sandbox as the organization that
//! issues the tokens: what a token must be to get in, what each person then sees and may call,
//! who the audit log names, the DNS-rebinding checks, both protocol generations, the limits, and
//! a shutdown that lets a call in flight finish.

#![cfg(all(feature = "sandbox", feature = "remote"))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use asgardeo_mcp::sandbox::{SandboxConfig, SigningKey, signing_key};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_asgardeo-mcp");
const MODERN: &str = "2026-07-28";

struct Remote {
    child: Child,
    url: String,
    base: String,
    issuer: String,
    http: reqwest::Client,
}

impl Drop for Remote {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The MCP client application the tests' tokens are issued to.
const MCP_CLIENT: &str = "mcp-client-id";

/// The server's registration in the sandbox, as `setup-remote` makes it: its API resource
/// (identifier = `audience`), the MCP client application with client id [`MCP_CLIENT`],
/// authorized for it with `policy`. Idempotent: several servers may share one audience.
async fn register(f: &Fixture, audience: &str, policy: &str) {
    let token = f.upstream.token().await.unwrap().header_value();
    let api = |path: &str| format!("{}/api/server/v1{path}", f.sandbox.base_url);
    let send = |request: reqwest::RequestBuilder| {
        let token = token.clone();
        async move {
            let answer = request
                .header(reqwest::header::AUTHORIZATION, token)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{:?}", answer.status());
            let bytes = answer.bytes().await.unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null)
        }
    };
    let resources = send(f.http.get(api("/api-resources"))).await;
    let existing = resources["apiResources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["identifier"] == audience)
        .and_then(|r| r["id"].as_str().map(str::to_owned));
    let api_id = match existing {
        Some(id) => id,
        None => {
            let scopes: Vec<Value> = asgardeo_mcp::tools::remote_scopes()
                .iter()
                .map(|s| json!({ "name": s, "displayName": s }))
                .collect();
            let created = send(f.http.post(api("/api-resources")).json(&json!({
                "identifier": audience, "name": format!("MCP {audience}"),
                "requiresAuthorization": policy == "RBAC", "scopes": scopes })))
            .await;
            created["id"].as_str().unwrap().to_owned()
        }
    };
    let apps = send(f.http.get(api("/applications")).query(&[
        ("filter", format!("clientId eq \"{MCP_CLIENT}\"")),
        ("attributes", "clientId".into()),
    ]))
    .await;
    let app_id = match apps["applications"][0]["id"].as_str() {
        Some(id) => id.to_owned(),
        None => {
            let answer = f
                .http
                .post(api("/applications"))
                .header(reqwest::header::AUTHORIZATION, token.clone())
                .json(
                    &json!({ "name": "MCP client", "inboundProtocolConfiguration": { "oidc": {
                    "clientId": MCP_CLIENT, "publicClient": true,
                    "grantTypes": ["authorization_code", "refresh_token"],
                    "callbackURLs": ["http://127.0.0.1/callback"] } } }),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::CREATED);
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            location.rsplit('/').next().unwrap().to_owned()
        }
    };
    let authorized = send(
        f.http
            .get(api(&format!("/applications/{app_id}/authorized-apis"))),
    )
    .await;
    if !authorized.to_string().contains(&api_id) {
        send(
            f.http
                .post(api(&format!("/applications/{app_id}/authorized-apis")))
                .json(&json!({ "id": api_id, "policyIdentifier": policy,
                    "scopes": asgardeo_mcp::tools::remote_scopes() })),
        )
        .await;
    }
}

/// `serve --http` on a free port against the fixture's sandbox, registered there as
/// `setup-remote` would (tokens from [`MCP_CLIENT`] only); waits for its address line.
async fn serve(f: &Fixture, extra: &[&str]) -> Remote {
    let remote = spawn_serve(f, extra);
    register(f, &remote.url, "RBAC").await;
    remote
}

fn spawn_serve(f: &Fixture, extra: &[&str]) -> Remote {
    let mut child = Command::new(BIN)
        .args(["serve", "--http", "--port", "0", "--log", "warn"])
        .args(["--allowed-clients", MCP_CLIENT])
        .args(extra)
        .env("BASE_URL", &f.sandbox.base_url)
        .env("CLIENT_ID", &f.sandbox.credentials.client_id)
        .env("CLIENT_SECRET", &f.sandbox.credentials.client_secret)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve --http");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the address line");
    let url = line
        .split("MCP at ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    // Where it listens (behind a proxy, `url` is the proxy's).
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split(' ').next())
        .expect("the bound address");
    let base = format!("http://{addr}");
    Remote {
        child,
        url,
        base,
        issuer: format!("{}/oauth2/token", f.sandbox.base_url),
        http: reqwest::Client::new(),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Remote {
    /// The claims the organization puts in a person's token for this server.
    fn claims(&self, scope: &str) -> Value {
        json!({
            "iss": self.issuer, "sub": "user-kim", "username": "kim@example.com",
            "aud": ["mcp-client-id", self.url], "azp": "mcp-client-id", "client_id": "mcp-client-id",
            "scope": scope, "iat": now(), "nbf": now(), "exp": now() + 600, "jti": "t1",
        })
    }

    fn token(&self, scope: &str) -> String {
        signing_key().sign(&self.claims(scope))
    }

    fn admin(&self) -> String {
        self.token("openid mcp:applications:read mcp:applications:write mcp:login_flow:write mcp:claims:read")
    }

    /// Another person, who may only read.
    fn reader(&self) -> String {
        let mut claims = self.claims("openid mcp:applications:read mcp:claims:read");
        claims["sub"] = json!("user-lee");
        claims["username"] = json!("lee@example.com");
        signing_key().sign(&claims)
    }

    /// A 2026-07-28 request (no session): the protocol headers and the per-request metadata.
    fn request(
        &self,
        token: Option<&str>,
        method: &str,
        mut params: Value,
    ) -> reqwest::RequestBuilder {
        params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!(MODERN);
        params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json!({});
        let mut request = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", method)
            .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }));
        if let Some(name) = params["name"].as_str() {
            request = request.header("mcp-name", name);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    async fn rpc(&self, token: &str, method: &str, params: Value) -> Value {
        let response = self
            .request(Some(token), method, params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        last_message(&response.text().await.unwrap())
    }

    async fn tools(&self, token: &str) -> Vec<String> {
        let listed = self.rpc(token, "tools/list", json!({})).await;
        listed["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Creates a single-page application; its id.
    async fn create_app(&self, token: &str, name: &str) -> String {
        let created = self
            .call(
                token,
                "create_single_page_app",
                json!({ "application_name": name, "redirect_url": "https://app.example.com/cb" }),
            )
            .await;
        assert_ne!(created["isError"], true, "{created}");
        created["structuredContent"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A login-flow generation for `app_id`, sent in the background; returns once the sandbox is
    /// generating, so the call is in flight.
    async fn generation_in_flight(
        &self,
        f: &Fixture,
        token: &str,
        app_id: &str,
    ) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
        let call = self
            .request(
                Some(token),
                "tools/call",
                json!({ "name": "update_login_flow",
                "arguments": { "app_id": app_id, "user_prompt": "username and password" } }),
            )
            .send();
        let call = tokio::spawn(call);
        generation_started(f).await;
        call
    }

    async fn call(&self, token: &str, tool: &str, arguments: Value) -> Value {
        self.rpc(
            token,
            "tools/call",
            json!({ "name": tool, "arguments": arguments }),
        )
        .await["result"]
            .clone()
    }
}

/// The JSON-RPC answer in a body that is JSON or an SSE stream.
fn last_message(body: &str) -> Value {
    if let Ok(value) = serde_json::from_str(body) {
        return value;
    }
    sse_messages(body)
        .into_iter()
        .rev()
        .find(|m| m.get("id").is_some())
        .unwrap_or_else(|| panic!("no answer in {body}"))
}

fn sse_messages(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

fn text_of(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A token signed with `alg: none`: header and claims, no signature.
fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Waits until the sandbox has been asked to generate a login flow: the call is then in flight
/// (it polls until the generation ends).
async fn generation_started(f: &Fixture) {
    for _ in 0..1000 {
        let asked = f.requests().await.iter().any(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/loginflow/generate"))
        });
        if asked {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the login-flow generation never started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_tokens_the_organization_issued_for_this_server_get_in() {
    let f = Fixture::default().await;
    let remote = serve(&f, &[]).await;
    let ping = |token: Option<String>| {
        let request = remote.request(token.as_deref(), "tools/list", json!({}));
        async move { request.send().await.unwrap() }
    };

    // No token: 401 pointing at the metadata, which names the organization.
    let bare = ping(None).await;
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    let challenge = bare.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", remote.base);
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let metadata: Value = remote
            .http
            .get(format!("{}{path}", remote.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(metadata["resource"], remote.url.as_str());
        assert_eq!(metadata["authorization_servers"], json!([remote.issuer]));
        assert!(
            metadata["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("mcp:users:write"))
        );
    }

    let mut wrong_audience = remote.claims("mcp:applications:read");
    wrong_audience["aud"] = json!(["mcp-client-id", "https://other.example.com/mcp"]);
    let mut wrong_issuer = remote.claims("mcp:applications:read");
    wrong_issuer["iss"] = json!("https://api.asgardeo.io/t/someone-else/oauth2/token");
    let mut expired = remote.claims("mcp:applications:read");
    expired["exp"] = json!(now() - 3600);
    let mut not_yet = remote.claims("mcp:applications:read");
    not_yet["nbf"] = json!(now() + 3600);
    let mut nbf_as_text = remote.claims("mcp:applications:read");
    nbf_as_text["nbf"] = json!((now() + 3600).to_string());
    let mut nbf_as_float = remote.claims("mcp:applications:read");
    nbf_as_float["nbf"] = json!(now() as f64 + 3600.5);
    let mut exp_as_text = remote.claims("mcp:applications:read");
    exp_as_text["exp"] = json!("never");
    let mut nobody = remote.claims("mcp:applications:read");
    nobody.as_object_mut().unwrap().remove("sub");
    let good = remote.claims("mcp:applications:read");
    let stranger = SigningKey::generate();
    let mut tampered = signing_key().sign(&good);
    tampered.replace_range(tampered.len() - 6.., "AAAAAA");
    let refused = [
        (
            "wrong audience",
            signing_key().sign(&wrong_audience),
            "audience",
        ),
        (
            "wrong issuer",
            signing_key().sign(&wrong_issuer),
            "issued by",
        ),
        ("expired", signing_key().sign(&expired), "expired"),
        (
            "not yet valid",
            signing_key().sign(&not_yet),
            "not valid yet",
        ),
        (
            "nbf as text",
            signing_key().sign(&nbf_as_text),
            "`nbf` is not a number",
        ),
        (
            "nbf as a float",
            signing_key().sign(&nbf_as_float),
            "not valid yet",
        ),
        (
            "exp as text",
            signing_key().sign(&exp_as_text),
            "`exp` is not a number",
        ),
        ("no sub", signing_key().sign(&nobody), "no `sub`"),
        (
            "a crit header",
            signing_key().sign_with_header(&json!({ "crit": ["exp"], "exp": 1 }), &good),
            "`crit`",
        ),
        ("alg none", unsigned(&good), "algorithm `none`"),
        ("unknown key", stranger.sign(&good), "does not publish"),
        ("bad signature", tampered, "signature"),
        ("not a JWT", "opaque-token-value".to_owned(), "not a JWT"),
    ];
    for (case, token, words) in refused {
        let answer = ping(Some(token)).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{case}");
        let challenge = answer.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{case}: {challenge}"
        );
        assert!(
            challenge.contains("resource_metadata="),
            "{case}: {challenge}"
        );
        let body: Value = answer.json().await.unwrap();
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(words), "{case}: {description}");
    }

    // The same claims, properly signed: in.
    assert_eq!(
        ping(Some(signing_key().sign(&good))).await.status(),
        StatusCode::OK
    );

    // Signed and meant for us, but granting nothing here: 403 insufficient_scope.
    let nothing = ping(Some(remote.token("openid profile"))).await;
    assert_eq!(nothing.status(), StatusCode::FORBIDDEN);
    assert!(
        nothing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_person_sees_and_calls_only_what_their_scopes_allow_and_the_audit_names_them() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let remote = serve(&f, &["--audit-log", audit.to_str().unwrap()]).await;

    let reader_tools = remote.tools(&remote.reader()).await;
    assert!(reader_tools.contains(&"list_applications".to_owned()));
    assert!(reader_tools.contains(&"list_claims".to_owned()));
    assert!(
        !reader_tools
            .iter()
            .any(|t| t.starts_with("create_") || t.starts_with("delete_")),
        "{reader_tools:?}"
    );
    assert!(
        !reader_tools.contains(&"list_users".to_owned()),
        "no mcp:users:read, no user tools"
    );

    let refused = remote
        .call(
            &remote.reader(),
            "create_single_page_app",
            json!({ "application_name": "Nope", "redirect_url": "https://nope.example.com/cb" }),
        )
        .await;
    assert_eq!(refused["isError"], true);
    assert!(
        text_of(&refused).contains("mcp:applications:write"),
        "{refused}"
    );

    let admin_tools = remote.tools(&remote.admin()).await;
    assert!(admin_tools.contains(&"create_single_page_app".to_owned()));
    assert!(admin_tools.contains(&"update_login_flow".to_owned()));
    let created = remote
        .call(&remote.admin(), "create_single_page_app", json!({ "application_name": "Team App", "redirect_url": "https://team.example.com/cb" }))
        .await;
    assert_ne!(created["isError"], true, "{created}");

    // The write is recorded with the person and their client; nothing was sent for the refusal.
    let records = common::audit_settles(&audit, 2).await;
    let refusal = records
        .iter()
        .find(|r| r["user"] == "user-lee")
        .expect("the refused write's record");
    assert_eq!(refusal["tool"], "create_single_page_app");
    assert_eq!(refusal["outcome"], "none");
    assert!(
        refusal["note"]
            .as_str()
            .unwrap()
            .contains("lacks the tool's scope"),
        "{refusal}"
    );
    let write = records
        .iter()
        .find(|r| r["tool"] == "create_single_page_app" && r["outcome"] == "ok")
        .expect("the write's record");
    assert_eq!(write["user"], "user-kim");
    assert_eq!(write["username"], "kim@example.com");
    assert_eq!(write["client_id"], "mcp-client-id");
    // No token passthrough: the person's token was minted here, not by the sandbox's token
    // endpoint, so the management API would have refused it; the write went through with the
    // server's own M2M token.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_and_hosts_are_refused_even_with_a_valid_token() {
    let f = Fixture::default().await;
    let remote = serve(&f, &["--allowed-origins", "https://console.example.com"]).await;
    let token = remote.admin();
    let with = |name: &'static str, value: String| {
        let request = remote
            .request(Some(&token), "tools/list", json!({}))
            .header(name, value);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(
        with("origin", "http://evil.example.com".into()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(with("origin", "null".into()).await, StatusCode::FORBIDDEN);
    assert_eq!(
        with("host", "evil.example.com".into()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        with("origin", "https://console.example.com".into()).await,
        StatusCode::OK
    );
    assert_eq!(
        with("origin", remote.base.clone()).await,
        StatusCode::OK,
        "same origin"
    );

    // Judged by every value, not the first: raw requests, as a client that means harm writes
    // them.
    let addr = remote.base.trim_start_matches("http://").to_owned();
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": { "_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {} } } })
    .to_string();
    let raw = |target: &str, headers: &str| {
        format!(
            "POST {target} HTTP/1.1\r\n{headers}Authorization: Bearer {token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: {MODERN}\r\nMcp-Method: tools/list\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let status_of = |request: String| {
        let addr = addr.clone();
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.unwrap();
            let answer = String::from_utf8_lossy(&answer).into_owned();
            answer
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or_else(|| panic!("no status in {answer}"))
        }
    };
    let own = format!("Host: {addr}\r\n");
    assert_eq!(
        status_of(raw("/mcp", &own)).await,
        200,
        "the raw request is sound"
    );
    assert_eq!(
        status_of(raw("/mcp", &format!("Host: evil.example.com\r\n{own}"))).await,
        400,
        "two Host headers, a foreign one first"
    );
    assert_eq!(
        status_of(raw(
            "/mcp",
            &format!(
                "{own}Origin: http://evil.example.com\r\nOrigin: {}\r\n",
                remote.base
            )
        ))
        .await,
        400,
        "two Origin headers"
    );
    assert_eq!(
        status_of(raw("http://evil.example.com/mcp", &own)).await,
        400,
        "an absolute-form target naming a foreign host"
    );
    assert_eq!(
        status_of(raw(&format!("http://{addr}/mcp"), &own)).await,
        200,
        "an absolute-form target naming this server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_clients_get_a_session_and_progress_streams_as_sse() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(600),
        ..Default::default()
    })
    .await;
    let remote = serve(&f, &[]).await;
    let token = remote.admin();

    // 2025-11-25: initialize gives a session id; later requests carry it.
    let init = remote
        .http
        .post(&remote.url)
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), StatusCode::OK);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        last_message(&init.text().await.unwrap())["result"]["protocolVersion"],
        "2025-11-25"
    );
    let legacy = |body: Value| {
        remote
            .http
            .post(&remote.url)
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&body)
    };
    let initialized = legacy(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .send()
        .await
        .unwrap();
    assert_eq!(initialized.status(), StatusCode::ACCEPTED);
    let listed = legacy(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }))
        .send()
        .await
        .unwrap();
    let listed = last_message(&listed.text().await.unwrap());
    assert!(listed["result"]["tools"].as_array().unwrap().len() > 5);
    // The session answers only the person who opened it.
    let other = remote
        .http
        .post(&remote.url)
        .bearer_auth(remote.reader())
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/list" }))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);

    // 2026-07-28: a call that reports progress answers as an SSE stream with the progress.
    let app_id = remote.create_app(&token, "Flow App").await;
    let response = remote
        .request(Some(&token), "tools/call", json!({
            "name": "update_login_flow",
            "arguments": { "app_id": app_id, "user_prompt": "username and password, then email OTP" },
            "_meta": { "progressToken": "p1" },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let messages = sse_messages(&response.text().await.unwrap());
    assert!(
        messages
            .iter()
            .any(|m| m["method"] == "notifications/progress"),
        "{messages:?}"
    );
    let last = messages
        .iter()
        .rev()
        .find(|m| m.get("id").is_some())
        .unwrap();
    assert_ne!(last["result"]["isError"], true, "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_health_endpoints() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    let remote = serve(&f, &["--max-in-flight", "1", "--max-body-bytes", "65536"]).await;
    let token = remote.admin();
    assert_eq!(
        remote
            .http
            .get(format!("{}/healthz", remote.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let ready = remote
        .http
        .get(format!("{}/readyz", remote.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "{:?}", ready.text().await);

    let big = remote
        .http
        .post(&remote.url)
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{{\"pad\":\"{}\"}}}}",
            "x".repeat(100_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // One call in flight (a login-flow generation): the next is turned away with Retry-After.
    let app_id = remote.create_app(&token, "Busy App").await;
    let slow = remote.generation_in_flight(&f, &token, &app_id).await;
    let busy = remote
        .request(Some(&token), "tools/list", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()["retry-after"], "1");
    assert_eq!(slow.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(
        remote
            .request(Some(&token), "tools/list", json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_call_in_flight_finish() {
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    let remote = serve(&f, &[]).await;
    let token = remote.admin();
    let app_id = remote.create_app(&token, "Drain App").await;
    let call = remote.generation_in_flight(&f, &token, &app_id).await;
    let pid = remote.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let answer = call.await.unwrap().expect("the call in flight is answered");
    assert_eq!(answer.status(), StatusCode::OK);
    let result = last_message(&answer.text().await.unwrap());
    assert_ne!(result["result"]["isError"], true, "{result}");
    let status = tokio::task::spawn_blocking(move || {
        let mut remote = remote;
        remote.child.wait()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(status.success(), "{status:?}");
}

/// A round-robin reverse proxy over `backends` (streaming answers, SSE included); counts what
/// each backend got.
struct RoundRobin {
    backends: Vec<String>,
    next: std::sync::atomic::AtomicUsize,
    hits: Vec<std::sync::atomic::AtomicUsize>,
    http: reqwest::Client,
}

async fn forward(
    axum::extract::State(proxy): axum::extract::State<std::sync::Arc<RoundRobin>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use std::sync::atomic::Ordering::SeqCst;
    let i = proxy.next.fetch_add(1, SeqCst) % proxy.backends.len();
    proxy.hits[i].fetch_add(1, SeqCst);
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let mut upstream = proxy
        .http
        .request(parts.method, format!("{}{path}", proxy.backends[i]));
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.body(body).send().await.unwrap();
    let mut response = axum::response::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "transfer-encoding" | "connection" | "content-length"
        ) {
            response = response.header(name, value);
        }
    }
    response
        .body(axum::body::Body::from_stream(answer.bytes_stream()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_a_round_robin_proxy_serve_one_client_without_sessions() {
    use std::sync::atomic::Ordering::SeqCst;
    let f = Fixture::start(SandboxConfig {
        login_flow_duration: Duration::from_millis(600),
        ..Default::default()
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://{}", listener.local_addr().unwrap());
    let a = serve(&f, &["--public-url", &public]).await;
    let b = serve(&f, &["--public-url", &public]).await;
    let proxy = std::sync::Arc::new(RoundRobin {
        backends: vec![a.base.clone(), b.base.clone()],
        next: Default::default(),
        hits: vec![Default::default(), Default::default()],
        http: reqwest::Client::new(),
    });
    let router = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    // The client knows only the proxy; tokens name the proxy's URL as the audience.
    let client = Remote {
        child: Command::new("true").spawn().unwrap(),
        url: format!("{public}/mcp"),
        base: public.clone(),
        issuer: a.issuer.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    };
    let token = client.admin();
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(client.create_app(&token, &format!("Scaled {i}")).await);
        // Read back through the other instance (the next request goes to the other backend).
        let read = client
            .call(
                &token,
                "get_application_by_name",
                json!({ "application_name": format!("Scaled {i}") }),
            )
            .await;
        assert_eq!(read["structuredContent"]["id"], ids[i].as_str(), "{read}");
    }
    // A call that streams progress, through the proxy.
    let streamed = client
        .request(Some(&token), "tools/call", json!({
            "name": "update_login_flow",
            "arguments": { "app_id": ids[0], "user_prompt": "username and password, then TOTP" },
            "_meta": { "progressToken": "scaled" },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), StatusCode::OK);
    let messages = sse_messages(&streamed.text().await.unwrap());
    assert!(
        messages
            .iter()
            .any(|m| m["method"] == "notifications/progress")
    );
    assert_ne!(
        messages.last().unwrap()["result"]["isError"],
        true,
        "{messages:?}"
    );
    let hits: Vec<usize> = proxy.hits.iter().map(|h| h.load(SeqCst)).collect();
    assert_eq!(hits.iter().sum::<usize>(), 13);
    assert!(
        hits[0] >= 6 && hits[1] >= 6,
        "both instances answered: {hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tls_serves_https_with_the_given_certificate() {
    let f = Fixture::default().await;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let remote = serve(
        &f,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        remote.url.starts_with("https://127.0.0.1:"),
        "{}",
        remote.url
    );
    let trusting = reqwest::Client::builder()
        .tls_certs_only(vec![
            reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap(),
        ])
        .build()
        .unwrap();
    let base = remote.base.replace("http://", "https://");
    let health = trusting
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let metadata: Value = trusting
        .get(format!("{base}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], remote.url.as_str());
    // Plain HTTP to the TLS port gets no answer.
    assert!(
        reqwest::get(format!("{}/healthz", remote.base))
            .await
            .is_err()
    );
}

/// A confirmation is the person's: the plan's token made for one administrator does not run
/// the deletion for another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_token_is_the_persons_it_was_made_for() {
    let f = Fixture::default().await;
    let remote = serve(&f, &[]).await;
    let kim = remote.admin();
    let mut other = remote.claims("openid mcp:applications:read mcp:applications:write");
    other["sub"] = json!("user-ana");
    let ana = signing_key().sign(&other);
    let app = remote.create_app(&kim, "Shared").await;
    let planned = remote
        .call(&kim, "delete_application", json!({ "app_id": app }))
        .await;
    let token = planned["structuredContent"]["plan"]["confirmation_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{planned}"))
        .to_owned();
    let refused = remote
        .call(
            &ana,
            "delete_application",
            json!({ "app_id": app, "confirmation_token": token }),
        )
        .await;
    assert!(
        text_of(&refused).contains("issued to another person"),
        "{refused}"
    );
    let done = remote
        .call(
            &kim,
            "delete_application",
            json!({ "app_id": app, "confirmation_token": token }),
        )
        .await;
    assert_ne!(done["isError"], true, "{done}");
}

/// The escalation a person with only `mcp:applications:write` could make: another application
/// authorized for the server's API resource, the server's URL among its audiences, the
/// server's own client changed, a role granting `mcp:` scopes. Each is refused (and audited)
/// without `mcp:admin`; a token from any client but the trusted one is refused, and so is one
/// from the trusted client while it is authorized without RBAC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_gets_only_what_their_role_gives_and_the_server_keeps_its_registration() {
    let f = Fixture::default().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let remote = serve(&f, &["--audit-log", audit.to_str().unwrap()]).await;
    let person = |sub: &str, scope: &str| {
        let mut claims = remote.claims(scope);
        claims["sub"] = json!(sub);
        signing_key().sign(&claims)
    };
    let mallory = person(
        "user-mallory",
        "openid mcp:applications:read mcp:applications:write mcp:api_resources:read mcp:roles:write",
    );
    let app = remote.create_app(&mallory, "Mallory's app").await;
    let resources = remote
        .call(&mallory, "list_api_resources", json!({ "limit": 100 }))
        .await;
    let server_api = resources["structuredContent"]["api_resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["identifier"] == remote.url.as_str())
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("{resources}"))
        .to_owned();
    let all: Vec<&String> = asgardeo_mcp::tools::remote_scopes().iter().collect();
    let client_app = {
        let found = remote
            .call(
                &mallory,
                "get_application_by_client_id",
                json!({ "client_id": MCP_CLIENT }),
            )
            .await;
        found["structuredContent"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let refusals = [
        (
            "authorize_api",
            json!({ "appId": app, "id": server_api, "scopes": all }),
        ),
        (
            "update_application_oauth_config",
            json!({ "id": app, "audiences": [remote.url] }),
        ),
        (
            "update_application_basic_info",
            json!({ "id": client_app, "description": "mine now" }),
        ),
        ("delete_application", json!({ "app_id": client_app })),
        (
            "create_role",
            json!({ "name": "everything", "permissions": ["mcp:users:write"] }),
        ),
    ];
    f.clear_requests().await;
    for (tool, arguments) in &refusals {
        let refused = remote.call(&mallory, tool, arguments.clone()).await;
        assert_eq!(refused["isError"], true, "{tool}: {refused}");
        let words = text_of(&refused);
        assert!(
            words.contains("server's own registration") && words.contains("mcp:admin"),
            "{tool}: {words}"
        );
    }
    // Nothing was sent for any of them, and each is in the audit log.
    let written = f.writes().await;
    assert!(written.is_empty(), "{written:?}");
    let records = common::audit_settles(&audit, refusals.len() + 1).await;
    for (tool, _) in &refusals {
        assert!(
            records.iter().any(|r| r["tool"] == *tool
                && r["user"] == "user-mallory"
                && r["note"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("own registration")),
            "{tool}: {records:?}"
        );
    }
    // With the scope made for it, the same change goes through.
    let owner = person(
        "user-owner",
        "openid mcp:applications:read mcp:applications:write mcp:admin",
    );
    let done = remote
        .call(
            &owner,
            "authorize_api",
            json!({ "appId": app, "id": server_api, "scopes": ["mcp:claims:read"] }),
        )
        .await;
    assert_ne!(done["isError"], true, "{done}");

    // A token the organization issued to Mallory's application (now authorized, as the owner
    // allowed) still does not get in: only the trusted client's do.
    let app_client = remote
        .call(&mallory, "list_applications", json!({ "limit": 100 }))
        .await;
    let app_client_id = app_client["structuredContent"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == app.as_str())
        .and_then(|a| a["client_id"].as_str())
        .unwrap()
        .to_owned();
    let mut foreign = remote.claims("openid mcp:users:write mcp:admin");
    foreign["azp"] = json!(app_client_id);
    foreign["client_id"] = json!(app_client_id);
    let answer = remote
        .request(Some(&signing_key().sign(&foreign)), "tools/list", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("does not trust"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trusted_client_gets_in_only_while_it_is_authorized_under_rbac() {
    let f = Fixture::default().await;
    let remote = spawn_serve(&f, &[]);
    register(&f, &remote.url, "No Policy").await;
    let answer = remote
        .request(Some(&remote.admin()), "tools/list", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("only RBAC"),
        "{body}"
    );
    // Without the flag the server does not start: it would trust every client.
    let refused = Command::new(BIN)
        .args(["serve", "--http", "--port", "0"])
        .env("BASE_URL", &f.sandbox.base_url)
        .env("CLIENT_ID", &f.sandbox.credentials.client_id)
        .env("CLIENT_SECRET", &f.sandbox.credentials.client_secret)
        .env_remove("ASGARDEO_MCP_ALLOWED_CLIENTS")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--allowed-clients"),
        "{refused:?}"
    );
}

/// A raw HTTP/1.1 request's start: the request line and headers, and `body` of a body that
/// claims `length` bytes.
fn partial_request(addr: &str, token: &str, length: usize, body: &str) -> String {
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: {MODERN}\r\nMcp-Method: tools/list\r\nContent-Length: {length}\r\n\r\n{body}"
    )
}

/// What the server answers on a raw connection, once it answers or closes.
async fn answer_on(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// One person holding slow bodies takes only their share: another person's calls still go
/// through, the slow ones end with 408 within the body timeout, headers that never finish are
/// dropped within the header timeout, and legacy sessions are capped per person and closed when
/// idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_one_person_can_starve_the_others() {
    use tokio::io::AsyncWriteExt;
    let f = Fixture::default().await;
    let remote = serve(
        &f,
        &[
            "--max-in-flight",
            "8",
            "--max-in-flight-per-person",
            "3",
            "--body-timeout",
            "2",
            "--header-timeout",
            "1",
            "--max-sessions-per-person",
            "2",
            "--session-idle",
            "1",
        ],
    )
    .await;
    let addr = remote.base.trim_start_matches("http://").to_owned();
    let slow_one = remote.admin();
    let mut held = Vec::new();
    // As many slow bodies as the server takes calls in all.
    for _ in 0..8 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(partial_request(&addr, &slow_one, 200, "{\"jsonrpc\"").as_bytes())
            .await
            .unwrap();
        held.push(stream);
    }
    // The server has read their headers; its share for that person is full.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other = remote.reader();
    let started = std::time::Instant::now();
    let answer = remote
        .request(Some(&other), "tools/list", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "another person's call");
    let over = remote
        .request(Some(&slow_one), "tools/list", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        over.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "beyond one person's share"
    );
    let mut statuses = Vec::new();
    for stream in &mut held {
        let answer = answer_on(stream).await;
        statuses.push(answer.split(' ').nth(1).unwrap_or_default().to_owned());
    }
    assert_eq!(
        statuses.iter().filter(|s| *s == "408").count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| *s == "429").count(),
        5,
        "{statuses:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));

    // Headers that never finish: the connection is dropped, no answer is owed.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"POST /mcp HTTP/1.1\r\nHost: ")
        .await
        .unwrap();
    let dropped = std::time::Instant::now();
    answer_on(&mut stream).await;
    assert!(
        dropped.elapsed() < Duration::from_secs(10),
        "header timeout"
    );

    // Legacy sessions: two for this person, a third refused; idle ones closed.
    let initialize = |token: String| {
        let request = remote
            .http
            .post(&remote.url)
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } } }));
        async move { request.send().await.unwrap() }
    };
    let first = initialize(slow_one.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first_id = first.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(initialize(slow_one.clone()).await.status(), StatusCode::OK);
    assert_eq!(
        initialize(slow_one.clone()).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a third session for one person"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let gone = remote
        .http
        .post(&remote.url)
        .bearer_auth(&slow_one)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &first_id)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.status(),
        StatusCode::NOT_FOUND,
        "an idle session is closed"
    );
    assert_eq!(
        initialize(slow_one.clone()).await.status(),
        StatusCode::OK,
        "closed sessions free the person's share"
    );
}

//! The binary over a raw pipe: every line gets an answer (parse errors included), the log
//! honours the user's filter and never prints a secret whatever filter is asked for, and the
//! command line behaves (closed pipes, filters, argument conversion, strict booleans, doctor).

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_asgardeo-mcp");

struct Session {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Session {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("ASGARDEO_MCP_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn");
        let out = BufReader::new(child.stdout.take().unwrap());
        Self { child, out }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    /// The next message the server writes (bounded: a server that stays silent fails the test).
    fn read(&mut self) -> Value {
        let mut line = String::new();
        let started = Instant::now();
        while line.trim().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(30), "no answer");
            line.clear();
            self.out.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "the server closed stdout");
        }
        serde_json::from_str(&line).unwrap()
    }

    fn initialize(&mut self) {
        self.send(
            json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": { "name": "raw", "version": "1" } } }),
        );
        let reply = self.read();
        assert!(reply["result"]["serverInfo"].is_object(), "{reply}");
        self.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
    }

    fn call(&mut self, id: u64, tool: &str, arguments: Value) -> Value {
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": tool, "arguments": arguments } }));
        loop {
            let reply = self.read();
            if reply["id"] == id {
                return reply;
            }
        }
    }

    /// Closes stdin, waits for the exit, and returns everything written to stderr.
    fn finish(mut self) -> String {
        drop(self.child.stdin.take());
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let _ = self.child.wait();
        err
    }
}

#[test]
fn every_line_gets_an_answer() {
    let mut s = Session::start(&["--sandbox"], &[]);
    s.initialize();
    let cases: Vec<(Vec<u8>, i64, Value)> = vec![
        (b"\xff\xfe not utf-8".to_vec(), -32700, Value::Null),
        (
            br#"{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":"\ud800"}}"#.to_vec(),
            -32700,
            Value::Null,
        ),
        (
            format!("{}{}", "[".repeat(500), "]".repeat(500)).into_bytes(),
            -32700,
            Value::Null,
        ),
        (b"{\"jsonrpc\": \"2.0\", \"id\": 6,".to_vec(), -32700, Value::Null),
        (
            br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_claims","arguments":[1,2]}}"#.to_vec(),
            -32602,
            json!(7),
        ),
        (
            format!(
                r#"{{"jsonrpc":"2.0","id":8,"method":"ping","params":{{"pad":"{}"}}}}"#,
                "x".repeat(2 << 20)
            )
            .into_bytes(),
            -32600,
            Value::Null,
        ),
    ];
    for (line, code, id) in cases {
        s.send_raw(&line);
        let reply = s.read();
        assert_eq!(reply["error"]["code"], code, "{reply}");
        assert_eq!(reply["id"], id, "{reply}");
        // JSON-RPC 2.0 §5: `"id": null` when the request's id could not be read, not absent.
        assert!(
            reply.as_object().is_some_and(|r| r.contains_key("id")),
            "{reply}"
        );
    }
    // The session is still alive.
    s.send(json!({ "jsonrpc": "2.0", "id": 9, "method": "ping" }));
    assert_eq!(s.read()["id"], 9);
    s.finish();
}

/// Environment variables for a run.
type Env<'a> = Vec<(&'a str, &'a str)>;

/// Runs a session that handles a password and a client secret, with `args` and `env` choosing
/// the log filter; returns stderr and the secrets that passed through.
fn logged_session(args: &[&str], env: &[(&str, &str)]) -> (String, Vec<String>) {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    let mut s = Session::start(&all, env);
    s.initialize();
    let password = "Sup3r-Secret-Passw0rd";
    let user = s.call(
        1,
        "create_user",
        json!({ "username": "logged", "password": password, "email": "l@example.com", "first_name": "L", "last_name": "G" }),
    );
    assert_eq!(user["result"]["isError"], false, "{user}");
    let web = s.call(
        2,
        "create_webapp_with_ssr",
        json!({ "application_name": "Logged", "redirect_url": "https://l.example.com/cb" }),
    );
    let secret = web["result"]["structuredContent"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    (s.finish(), vec![password.to_owned(), secret])
}

#[test]
fn no_log_filter_lifts_the_cap_on_secrets() {
    let spellings: Vec<(Vec<&str>, Env)> = vec![
        (vec!["--log", "trace"], vec![]),
        (vec!["--log", "rmcp::service=debug"], vec![]),
        (vec![], vec![("RUST_LOG", "rmcp::service=debug")]),
        (vec![], vec![("RUST_LOG", "debug,rmcp::service=trace")]),
        (vec!["--log", "[serve_inner]=debug"], vec![]),
        (
            vec!["--log", "rmcp=trace,hyper=trace,reqwest=trace,h2=trace"],
            vec![],
        ),
        (vec![], vec![("ASGARDEO_MCP_LOG", "trace")]),
    ];
    for (args, env) in spellings {
        let (stderr, secrets) = logged_session(&args, &env);
        for secret in &secrets {
            assert!(
                !stderr.contains(secret.as_str()),
                "{args:?} {env:?} printed a secret:\n{stderr}"
            );
        }
        assert!(!stderr.is_empty(), "{args:?} {env:?}: the log was on");
    }
}

#[test]
fn the_users_log_filter_is_honoured() {
    for (args, env) in [
        (vec!["--log", "off"], vec![]),
        (vec![], vec![("RUST_LOG", "off")]),
    ] {
        let (stderr, _) = logged_session(&args, &env);
        assert_eq!(stderr, "", "{args:?} {env:?} printed:\n{stderr}");
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("BASE_URL")
        .env_remove("CLIENT_ID")
        .env_remove("CLIENT_SECRET")
        .env_remove("ASGARDEO_MCP_READ_ONLY")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run")
}

#[test]
fn the_tools_command_applies_the_servers_filters() {
    let read_only = run(&["tools", "--json", "--read-only"], &[]);
    assert!(read_only.status.success());
    let listed: Vec<Value> = serde_json::from_slice(&read_only.stdout).unwrap();
    assert_eq!(listed.len(), read_tools());
    assert!(
        listed
            .iter()
            .all(|t| t["access"] == "read" && t["toolset"].is_string())
    );
    assert!(
        listed
            .iter()
            .all(|t| t["scopes"].as_array().is_some_and(|s| !s.is_empty()))
    );
    let unmatched = run(&["tools", "--tools", "nothing_*"], &[]);
    assert_eq!(unmatched.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unmatched.stderr).contains("nothing_*"));
    let empty = run(&["tools", "--read-only", "--tools", "create_user"], &[]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("leave no tool"));
    // A reader that goes away early: a quiet exit, never a panic.
    let mut child = Command::new(BIN)
        .args(["tools"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[test]
fn call_converts_arguments_by_the_schema() {
    let created = run(
        &[
            "--sandbox",
            "call",
            "create_m2m_app",
            "--arg",
            "application_name=2024",
        ],
        &[],
    );
    assert!(created.status.success(), "{created:?}");
    let app: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(app["name"], "2024");
    let listed = run(
        &[
            "--sandbox",
            "call",
            "list_applications",
            "--arg",
            "limit=1",
            "--arg",
            "include_system_portals=yes",
        ],
        &[],
    );
    assert!(listed.status.success(), "{listed:?}");
    let page: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(page["applications"].as_array().unwrap().len(), 1);
    let bad = run(
        &[
            "--sandbox",
            "call",
            "list_applications",
            "--arg",
            "limit=many",
        ],
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("limit"));
}

#[test]
fn boolean_variables_are_strict_and_named() {
    let out = run(
        &["--sandbox", "tools"],
        &[("ASGARDEO_MCP_READ_ONLY", "maybe")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ASGARDEO_MCP_READ_ONLY") && err.contains("maybe"),
        "{err}"
    );
    let yes = run(&["tools", "--json"], &[("ASGARDEO_MCP_READ_ONLY", "1")]);
    let listed: Vec<Value> = serde_json::from_slice(&yes.stdout).unwrap();
    assert_eq!(listed.len(), read_tools());
}

fn read_tools() -> usize {
    asgardeo_mcp::tools::CATALOG
        .iter()
        .filter(|e| e.access == asgardeo_mcp::tools::Access::Read)
        .count()
}

#[test]
fn doctor_says_what_it_could_not_check_and_always_speaks_json() {
    let placeholder = run(
        &["doctor", "--json"],
        &[
            ("BASE_URL", "https://api.asgardeo.io/t/<your-org>"),
            ("CLIENT_ID", "a"),
            ("CLIENT_SECRET", "b"),
        ],
    );
    let report: Value = serde_json::from_slice(&placeholder.stdout).expect("JSON");
    assert_eq!(report["ok"], false);
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("placeholder")
    );
    assert!(
        report["checks"].as_array().unwrap()[1..]
            .iter()
            .all(|c| c["status"] == "not_checked")
    );
    assert!(
        report["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "not_checked")
    );
    let missing = run(&["doctor", "--json"], &[]);
    let report: Value = serde_json::from_slice(&missing.stdout).expect("JSON");
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("BASE_URL")
    );
    // A refused connection: credentials and the API are not checked, not "unusable".
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let base = format!("http://127.0.0.1:{port}");
    let offline = run(
        &["doctor", "--json"],
        &[
            ("BASE_URL", base.as_str()),
            ("CLIENT_ID", "a"),
            ("CLIENT_SECRET", "b"),
        ],
    );
    let report: Value = serde_json::from_slice(&offline.stdout).expect("JSON");
    let status = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("configuration"), "warn", "no /t/<org>: {report}");
    assert_eq!(status("reachability and TLS"), "fail");
    assert_eq!(status("credentials"), "not_checked");
    assert_eq!(status("management API"), "not_checked");
    let sandbox = run(&["--sandbox", "doctor", "--json"], &[]);
    let report: Value = serde_json::from_slice(&sandbox.stdout).expect("JSON");
    assert_eq!(report["ok"], true, "{report}");
    assert!(!report["requested_scopes"].as_array().unwrap().is_empty());
}

#[test]
fn the_embedded_sandbox_answers_as_the_server_version_asked_for() {
    let user = |version: &str| {
        let out = run(
            &[
                "--sandbox",
                "--server-version",
                version,
                "call",
                "create_user",
                "--arg",
                "username=kim",
                "--arg",
                "email=kim@example.com",
                "--arg",
                "first_name=Kim",
                "--arg",
                "last_name=Lee",
            ],
            &[],
        );
        assert!(out.status.success(), "{version}: {out:?}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // The IS versions have the primary store only, and the product mode follows them.
    assert_eq!(user("7.1")["userstore_domain"], "PRIMARY");
    assert_eq!(user("asgardeo")["userstore_domain"], "DEFAULT");
    let bad = run(&["--sandbox", "--server-version", "6.1", "tools"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("7.0, 7.1, 7.2, asgardeo"),
        "{bad:?}"
    );
}

//! `asgardeo-mcp init` against sample existing configuration files of every host: the entry is
//! added, other servers and comments stay, a backup is kept, `--dry-run` writes nothing, and the
//! client secret is never written where the host can supply it.

use std::path::Path;
use std::process::Command;

const SECRET: &str = "s3cret-never-in-files";

fn init(home: &Path, cwd: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_asgardeo-mcp"))
        .arg("init")
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("BASE_URL", "https://api.asgardeo.io/t/acme")
        .env("CLIENT_ID", "m2m-client-id")
        .env("CLIENT_SECRET", SECRET)
        .output()
        .expect("run the binary");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Parses JSON with comments and trailing commas the way the hosts do.
fn parse(text: &str) -> serde_json::Value {
    let stripped: String = text
        .lines()
        .map(|l| l.split(" //").next().unwrap_or(l))
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(",\n}", "\n}")
        .replace(",\n  }", "\n  }")
        .replace(",\n    }", "\n    }")
        .replace(",\n      }", "\n      }");
    serde_json::from_str(&stripped).unwrap_or_else(|e| panic!("{e}: {stripped}"))
}

#[test]
fn every_host_gets_the_entry_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let other = r#"{
  // servers I already use
  "mcpServers": {
    "github": { "command": "github-mcp", "args": ["stdio"] } // keep me
  },
  "theme": "dark"
}
"#;
    let cases = [
        (
            "claude-desktop",
            None,
            home.join(".config/Claude/claude_desktop_config.json"),
            "mcpServers",
        ),
        (
            "claude-code",
            Some("project"),
            project.join(".mcp.json"),
            "mcpServers",
        ),
        (
            "claude-code",
            Some("user"),
            home.join(".claude.json"),
            "mcpServers",
        ),
        (
            "cursor",
            Some("user"),
            home.join(".cursor/mcp.json"),
            "mcpServers",
        ),
        (
            "cursor",
            Some("project"),
            project.join(".cursor/mcp.json"),
            "mcpServers",
        ),
        (
            "windsurf",
            None,
            home.join(".codeium/windsurf/mcp_config.json"),
            "mcpServers",
        ),
        (
            "vscode",
            Some("project"),
            project.join(".vscode/mcp.json"),
            "servers",
        ),
        (
            "vscode",
            Some("user"),
            home.join(".config/Code/User/mcp.json"),
            "servers",
        ),
    ];
    for (host, scope, path, key) in cases {
        let existing = other.replace("mcpServers", key);
        write(&path, &existing);
        let mut args = vec!["--host", host];
        if let Some(scope) = scope {
            args.extend(["--scope", scope]);
        }

        let mut dry = args.clone();
        dry.push("--dry-run");
        let (ok, out) = init(&home, &project, &dry);
        assert!(ok, "{host}: {out}");
        assert!(
            out.contains("+    \"asgardeo\""),
            "{host}: the diff shows the entry: {out}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            existing,
            "{host}: --dry-run writes nothing"
        );

        let (ok, out) = init(&home, &project, &args);
        assert!(ok, "{host}: {out}");
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(
            written.contains("// servers I already use") && written.contains("// keep me"),
            "{host}: comments kept:\n{written}"
        );
        assert!(
            !written.contains(SECRET),
            "{host}: the secret is not in the file:\n{written}"
        );
        assert_eq!(
            std::fs::read_to_string(format!("{}.bak", path.display())).unwrap(),
            existing,
            "{host}: backup"
        );
        let config = parse(&written);
        assert_eq!(config["theme"], "dark", "{host}");
        assert_eq!(config[key]["github"]["command"], "github-mcp", "{host}");
        let entry = &config[key]["asgardeo"];
        assert_eq!(
            entry["env"]["BASE_URL"], "https://api.asgardeo.io/t/acme",
            "{host}"
        );
        assert_eq!(entry["env"]["CLIENT_ID"], "m2m-client-id", "{host}");
        let secret = entry["env"]["CLIENT_SECRET"].as_str();
        match host {
            "vscode" => {
                assert_eq!(secret, Some("${input:asgardeo-client-secret}"));
                assert_eq!(config["inputs"][0]["password"], true);
            }
            "claude-code" => assert_eq!(secret, Some("${CLIENT_SECRET}")),
            "cursor" | "windsurf" => assert_eq!(secret, Some("${env:CLIENT_SECRET}")),
            _ => {
                assert_eq!(secret, None);
                assert!(out.contains("--write-secret"), "{out}");
            }
        }

        // Again: nothing to change.
        let (ok, out) = init(&home, &project, &args);
        assert!(ok && out.contains("nothing to change"), "{host}: {out}");
    }
}

#[test]
fn sandbox_entries_need_no_account_and_claude_desktop_writes_the_secret_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let (ok, out) = init(&home, &home, &["--host", "cursor", "--sandbox"]);
    assert!(ok, "{out}");
    let cursor: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join(".cursor/mcp.json")).unwrap())
            .unwrap();
    assert_eq!(cursor["mcpServers"]["asgardeo"]["args"][0], "--sandbox");
    assert!(cursor["mcpServers"]["asgardeo"].get("env").is_none());

    let (ok, out) = init(&home, &home, &["--host", "cursor", "--write-secret"]);
    assert!(!ok && out.contains("only for Claude Desktop"), "{out}");
    let (ok, out) = init(
        &home,
        &home,
        &["--host", "claude-desktop", "--write-secret"],
    );
    assert!(ok, "{out}");
    let desktop =
        std::fs::read_to_string(home.join(".config/Claude/claude_desktop_config.json")).unwrap();
    assert!(desktop.contains(SECRET));

    // A file that is not JSON is left alone, with a clear error.
    write(
        &home.join(".codeium/windsurf/mcp_config.json"),
        "{ not json",
    );
    let (ok, out) = init(&home, &home, &["--host", "windsurf"]);
    assert!(!ok && out.contains("not valid JSON"), "{out}");
    assert_eq!(
        std::fs::read_to_string(home.join(".codeium/windsurf/mcp_config.json")).unwrap(),
        "{ not json"
    );
}

#[test]
fn remote_entries_name_the_url_in_each_hosts_words_and_carry_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let url = "https://mcp.example.com/mcp";
    let cases = [
        (
            "claude-code",
            project.join(".mcp.json"),
            "/mcpServers/asgardeo",
            serde_json::json!({ "type": "http", "url": url }),
        ),
        (
            "vscode",
            project.join(".vscode/mcp.json"),
            "/servers/asgardeo",
            serde_json::json!({ "type": "http", "url": url }),
        ),
        (
            "cursor",
            home.join(".cursor/mcp.json"),
            "/mcpServers/asgardeo",
            serde_json::json!({ "url": url }),
        ),
        (
            "windsurf",
            home.join(".codeium/windsurf/mcp_config.json"),
            "/mcpServers/asgardeo",
            serde_json::json!({ "serverUrl": url }),
        ),
    ];
    for (host, path, pointer, expected) in cases {
        let (ok, out) = init(&home, &project, &["--host", host, "--url", url]);
        assert!(ok, "{host}: {out}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            parse(&text).pointer(pointer),
            Some(&expected),
            "{host}: {text}"
        );
        assert!(
            !text.contains(SECRET) && !text.contains("CLIENT_ID"),
            "{host}: {text}"
        );
        let (ok, out) = init(&home, &project, &["--host", host, "--url", url]);
        assert!(
            ok && out.contains("nothing to change"),
            "{host} again: {out}"
        );
    }
    // Claude Desktop takes remote servers as connectors: said, and no file is written.
    let (ok, out) = init(&home, &project, &["--host", "claude-desktop", "--url", url]);
    assert!(!ok && out.contains("Connectors"), "{out}");
    assert!(
        !home
            .join(".config/Claude/claude_desktop_config.json")
            .exists()
    );
    let (ok, out) = init(
        &home,
        &project,
        &["--host", "cursor", "--url", url, "--sandbox"],
    );
    assert!(!ok, "--url with --sandbox: {out}");
}

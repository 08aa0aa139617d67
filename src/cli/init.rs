//! `asgardeo-mcp init`: writes this server into an MCP host's configuration.
//!
//! Hosts and where they read (user scope unless said): Claude Desktop
//! (`claude_desktop_config.json` in the OS's application-support folder), Claude Code
//! (`.mcp.json` in the project, or `~/.claude.json` for the user), Cursor (`.cursor/mcp.json` in
//! the project or `~/.cursor/mcp.json`), VS Code (`.vscode/mcp.json` in the workspace, or
//! `mcp.json` in the user settings folder; its format is `servers` plus `inputs`), Windsurf
//! (`~/.codeium/windsurf/mcp_config.json`).
//!
//! The edit keeps everything else in the file (other servers, comments where the format allows
//! them, formatting), shows a unified diff first, keeps a backup (`<file>.bak`) before writing,
//! and never writes the client secret where the host can supply it: VS Code prompts for it
//! (`${input:…}`, a password input), Claude Code, Cursor and Windsurf read it from the
//! environment (`${CLIENT_SECRET}` / `${env:CLIENT_SECRET}`). Only Claude Desktop offers
//! neither, so there the secret is written only when `--write-secret` asks for it (from
//! CLIENT_SECRET in the environment); otherwise the entry is written without it and the
//! command says what to add. `--sandbox` writes an entry that needs no account; `--url`
//! writes a remote deployment's entry (the host signs the person in; no credentials at all).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use serde_json::{Value, json};

use super::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Host {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    /// The user's configuration (every project).
    User,
    /// This project or workspace (the current directory), a file to commit.
    Project,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The host to configure.
    #[arg(long, value_enum)]
    host: Host,
    /// User or project configuration (Claude Code, Cursor, VS Code; default: project for Claude
    /// Code and VS Code, user for Cursor).
    #[arg(long, value_enum)]
    scope: Option<Scope>,
    /// The server's name in the host's list.
    #[arg(long, default_value = "asgardeo")]
    name: String,
    /// Configure the embedded sandbox: no account, no credentials.
    #[arg(long)]
    sandbox: bool,
    /// Configure a remote deployment (`serve --http`) at this URL instead of a local server:
    /// the host signs the person in; no credentials go in the file.
    #[arg(long, value_name = "URL", conflicts_with_all = ["sandbox", "write_secret"])]
    url: Option<url::Url>,
    /// Show the change as a diff and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Edit this file instead of the host's usual one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Claude Desktop only (it has no prompt or environment reference): write CLIENT_SECRET
    /// from the environment into the file.
    #[arg(long)]
    write_secret: bool,
}

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .context("HOME is not set: pass --config with the file to edit")
}

/// The file the host reads for `scope`.
pub fn config_path(host: Host, scope: Scope, cwd: &Path) -> Result<PathBuf> {
    let home = home()?;
    Ok(match (host, scope) {
        (Host::ClaudeDesktop, _) => {
            if cfg!(target_os = "macos") {
                home.join("Library/Application Support/Claude/claude_desktop_config.json")
            } else if cfg!(windows) {
                std::env::var_os("APPDATA")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| home.join("AppData/Roaming"))
                    .join("Claude/claude_desktop_config.json")
            } else {
                std::env::var_os("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| home.join(".config"))
                    .join("Claude/claude_desktop_config.json")
            }
        }
        (Host::ClaudeCode, Scope::Project) => cwd.join(".mcp.json"),
        (Host::ClaudeCode, Scope::User) => home.join(".claude.json"),
        (Host::Cursor, Scope::Project) => cwd.join(".cursor/mcp.json"),
        (Host::Cursor, Scope::User) => home.join(".cursor/mcp.json"),
        (Host::Vscode, Scope::Project) => cwd.join(".vscode/mcp.json"),
        (Host::Vscode, Scope::User) => {
            let base = if cfg!(target_os = "macos") {
                home.join("Library/Application Support")
            } else if cfg!(windows) {
                std::env::var_os("APPDATA")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| home.join("AppData/Roaming"))
            } else {
                std::env::var_os("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| home.join(".config"))
            };
            base.join("Code/User/mcp.json")
        }
        (Host::Windsurf, _) => home.join(".codeium/windsurf/mcp_config.json"),
    })
}

/// What the entry needs besides the command.
pub struct Settings {
    pub command: String,
    pub sandbox: bool,
    /// BASE_URL, CLIENT_ID and the other non-secret settings, as the environment has them.
    pub env: Vec<(String, String)>,
    /// The secret itself, only for `--write-secret` on Claude Desktop.
    pub secret: Option<String>,
}

/// The entry of a remote deployment, in each host's own words (Claude Desktop has none: it adds
/// remote servers as connectors in its settings).
pub fn remote_entry(host: Host, url: &url::Url) -> Result<Value> {
    Ok(match host {
        Host::ClaudeCode | Host::Vscode => json!({ "type": "http", "url": url.as_str() }),
        Host::Cursor => json!({ "url": url.as_str() }),
        Host::Windsurf => json!({ "serverUrl": url.as_str() }),
        Host::ClaudeDesktop => bail!(
            "Claude Desktop adds remote servers as connectors, not in its configuration file: Settings > Connectors > Add custom connector, URL {url}"
        ),
    })
}

/// The server entry and, for VS Code, the input that prompts for the secret.
pub fn entry(host: Host, settings: &Settings) -> (Value, Option<Value>) {
    let input_id = "asgardeo-client-secret";
    let mut env = serde_json::Map::new();
    if !settings.sandbox {
        for (k, v) in &settings.env {
            env.insert(k.clone(), json!(v));
        }
        let reference = match host {
            Host::Vscode => Some(format!("${{input:{input_id}}}")),
            Host::ClaudeCode => Some("${CLIENT_SECRET}".to_owned()),
            Host::Cursor | Host::Windsurf => Some("${env:CLIENT_SECRET}".to_owned()),
            Host::ClaudeDesktop => settings.secret.clone(),
        };
        if let Some(reference) = reference {
            env.insert("CLIENT_SECRET".into(), json!(reference));
        }
    }
    let args: Vec<&str> = if settings.sandbox {
        vec!["--sandbox"]
    } else {
        Vec::new()
    };
    let mut server = json!({ "command": settings.command, "args": args });
    if matches!(host, Host::Vscode | Host::ClaudeCode) {
        server["type"] = json!("stdio");
    }
    if !env.is_empty() {
        server["env"] = Value::Object(env);
    }
    let input = (host == Host::Vscode && !settings.sandbox).then(|| {
        json!({
            "type": "promptString",
            "id": input_id,
            "description": "Client secret of the Asgardeo M2M application asgardeo-mcp signs in with",
            "password": true,
        })
    });
    (server, input)
}

fn to_input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(to_input).collect()),
        Value::Object(map) => {
            // The order people write these entries in, then the rest alphabetically.
            const FIRST: [&str; 6] = ["type", "id", "command", "args", "env", "description"];
            let rank = |k: &str| FIRST.iter().position(|f| *f == k).unwrap_or(FIRST.len());
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| rank(k));
            CstInputValue::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), to_input(v)))
                    .collect(),
            )
        }
    }
}

/// `text` (the file as it is; empty for a new file) with the entry set, everything else kept.
pub fn merge(
    host: Host,
    text: &str,
    name: &str,
    server: &Value,
    input: Option<&Value>,
) -> Result<String> {
    let source = if text.trim().is_empty() { "{}\n" } else { text };
    let options = ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        ..ParseOptions::default()
    };
    let root = CstRootNode::parse(source, &options)
        .map_err(|e| anyhow::anyhow!("the file is not valid JSON: {e}"))?;
    let Some(object) = root.object_value() else {
        bail!("the file's top level is not a JSON object");
    };
    let servers_key = if host == Host::Vscode {
        "servers"
    } else {
        "mcpServers"
    };
    let servers = object
        .object_value_or_create(servers_key)
        .with_context(|| format!("`{servers_key}` is not an object"))?;
    match servers.get(name) {
        Some(existing) => existing.set_value(to_input(server)),
        None => {
            servers.append(name, to_input(server));
        }
    }
    if let Some(input) = input {
        let id = input["id"].as_str().unwrap_or_default();
        let inputs = match object.get("inputs") {
            Some(prop) => prop.value().and_then(|v| v.as_array()),
            None => object
                .append("inputs", CstInputValue::Array(Vec::new()))
                .value()
                .and_then(|v| v.as_array()),
        }
        .context("`inputs` is not an array")?;
        let present = inputs.elements().iter().any(|e| {
            e.as_object()
                .and_then(|o| o.get("id"))
                .and_then(|p| p.value())
                .and_then(|v| v.as_string_lit())
                .and_then(|s| s.decoded_value().ok())
                .is_some_and(|v| v == id)
        });
        if !present {
            inputs.append(to_input(input));
        }
    }
    let mut out = root.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

pub fn run(args: &InitArgs, global_sandbox: bool) -> Result<std::process::ExitCode> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let scope = args.scope.unwrap_or(match args.host {
        Host::ClaudeCode | Host::Vscode => Scope::Project,
        _ => Scope::User,
    });
    let path = match &args.config {
        Some(path) => path.clone(),
        None => config_path(args.host, scope, &cwd)?,
    };
    if let Some(url) = &args.url {
        if !matches!(url.scheme(), "https" | "http") {
            bail!("--url must be an http(s) URL (the server's /mcp endpoint)");
        }
        let server = remote_entry(args.host, url)?;
        return write_entry(args, &path, &server, None, || {
            "the host signs you in with the organization the first time it connects".to_owned()
        });
    }
    let sandbox = args.sandbox || global_sandbox;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut env = Vec::new();
    if !sandbox {
        let base_url = var("BASE_URL").or_else(|| var("ASGARDEO_BASE_URL"));
        let client_id = var("CLIENT_ID").or_else(|| var("ASGARDEO_CLIENT_ID"));
        let (Some(base_url), Some(client_id)) = (base_url, client_id) else {
            bail!(
                "set BASE_URL and CLIENT_ID (the organization and the M2M client the server signs in with), or pass --sandbox for a configuration that needs no account"
            );
        };
        env.push(("BASE_URL".to_owned(), base_url));
        env.push(("CLIENT_ID".to_owned(), client_id));
        for key in ["PRODUCT_MODE", "CERT_PATH"] {
            if let Some(value) = var(key) {
                env.push((key.to_owned(), value));
            }
        }
    }
    if args.write_secret && args.host != Host::ClaudeDesktop {
        bail!(
            "--write-secret is only for Claude Desktop: this host reads the secret from a prompt or the environment"
        );
    }
    let secret = if args.write_secret {
        Some(
            var("CLIENT_SECRET")
                .or_else(|| var("ASGARDEO_CLIENT_SECRET"))
                .context("--write-secret: CLIENT_SECRET is not set")?,
        )
    } else {
        None
    };
    let command = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map_or_else(|| "asgardeo-mcp".to_owned(), |p| p.display().to_string());
    let settings = Settings {
        command,
        sandbox,
        env,
        secret,
    };
    let (server, input) = entry(args.host, &settings);
    let host = args.host;
    let path_shown = path.display().to_string();
    write_entry(args, &path, &server, input.as_ref(), move || match host {
        _ if sandbox => "the server runs on the embedded sandbox: no account needed".to_owned(),
        Host::Vscode => "VS Code asks for the client secret when it starts the server".to_owned(),
        Host::ClaudeDesktop if settings.secret.is_none() => format!(
            "Claude Desktop cannot prompt for secrets or read them from the environment: add \"CLIENT_SECRET\" to the entry's env in {}, or run again with --write-secret",
            path_shown
        ),
        Host::ClaudeDesktop => String::new(),
        _ => {
            "the host reads CLIENT_SECRET from its environment: export it before starting the host"
                .to_owned()
        }
    })
}

/// Merges the entry into the file: the diff, then (unless a dry run) a backup and an atomic
/// write, then what the person should know.
fn write_entry(
    args: &InitArgs,
    path: &std::path::Path,
    server: &Value,
    input: Option<&Value>,
    afterwards: impl FnOnce() -> String,
) -> Result<std::process::ExitCode> {
    let before = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let after = merge(args.host, &before, &args.name, server, input)
        .with_context(|| format!("editing {}", path.display()))?;
    let shown = path.display().to_string();
    if before == after {
        output::line(&format!(
            "{shown} already has this entry; nothing to change"
        ));
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let diff = similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{shown} (now)"), &format!("{shown} (after)"))
        .to_string();
    output::line(diff.trim_end());
    if args.dry_run {
        output::line("dry run: nothing written");
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if !before.is_empty() {
        let backup = PathBuf::from(format!("{shown}.bak"));
        std::fs::write(&backup, &before)
            .with_context(|| format!("writing the backup {}", backup.display()))?;
        output::line(&format!("backup: {}", backup.display()));
    }
    let temporary = PathBuf::from(format!("{shown}.tmp"));
    std::fs::write(&temporary, &after)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {shown}"))?;
    output::line(&format!("wrote {shown}"));
    let note = afterwards();
    if !note.is_empty() {
        output::line(&note);
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            command: "/opt/asgardeo-mcp".into(),
            sandbox: false,
            env: vec![
                ("BASE_URL".into(), "https://api.asgardeo.io/t/acme".into()),
                ("CLIENT_ID".into(), "abc".into()),
            ],
            secret: None,
        }
    }

    #[test]
    fn vscode_keeps_comments_and_servers_and_prompts_for_the_secret() {
        let existing = "{\n  // my servers\n  \"servers\": {\n    \"github\": { \"type\": \"http\", \"url\": \"https://api.githubcopilot.com/mcp/\" }, // keep\n  },\n}\n";
        let (server, input) = entry(Host::Vscode, &settings());
        let merged = merge(Host::Vscode, existing, "asgardeo", &server, input.as_ref()).unwrap();
        assert!(merged.contains("// my servers") && merged.contains("// keep"));
        assert!(merged.contains("\"github\""));
        assert!(merged.contains("${input:asgardeo-client-secret}"));
        assert!(merged.contains("\"password\": true"));
        // Running again changes nothing: one entry, one input.
        let again = merge(Host::Vscode, &merged, "asgardeo", &server, input.as_ref()).unwrap();
        assert_eq!(again, merged);
    }

    #[test]
    fn env_references_never_the_secret() {
        for host in [
            Host::ClaudeCode,
            Host::Cursor,
            Host::Windsurf,
            Host::ClaudeDesktop,
        ] {
            let (server, _) = entry(host, &settings());
            let text = server.to_string();
            assert!(!text.contains("s3cret"), "{host:?}");
            match host {
                Host::ClaudeCode => assert_eq!(server["env"]["CLIENT_SECRET"], "${CLIENT_SECRET}"),
                Host::Cursor | Host::Windsurf => {
                    assert_eq!(server["env"]["CLIENT_SECRET"], "${env:CLIENT_SECRET}")
                }
                _ => assert!(server["env"].get("CLIENT_SECRET").is_none()),
            }
        }
    }

    #[test]
    fn a_file_that_is_not_an_object_is_refused_not_overwritten() {
        let (server, _) = entry(Host::Cursor, &settings());
        assert!(merge(Host::Cursor, "[1, 2]", "asgardeo", &server, None).is_err());
        assert!(merge(Host::Cursor, "{ broken", "asgardeo", &server, None).is_err());
    }
}

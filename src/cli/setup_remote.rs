//! `asgardeo-mcp setup-remote`: registers a remote deployment in the organization it will
//! administer, with this server's own tools (one in-process MCP session, so every step is the
//! call a host would make and is audited as one):
//!
//! 1. the API resource the server is protected as: identifier = the audience (its public
//!    `/mcp` URL), one read and one write scope per toolset;
//! 2. the MCP client application people sign in with: a public client with authorization code,
//!    PKCE and refresh tokens, the given redirect URLs, authorized for those scopes under RBAC,
//!    and the server's identifier among its tokens' audiences (what `serve --http` checks);
//! 3. two organization roles, `<name> readers` (the read scopes) and `<name> administrators`
//!    (all of them), optionally given to users.
//!
//! Each step finds what an earlier run made and keeps it, so running it again is safe.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use rmcp::RoleClient;
use rmcp::service::RunningService;
use serde_json::{Value, json};

use super::{Global, build_server_with, output};
use crate::server::connect_in_process;
use crate::tools::remote_scopes;

#[derive(Args)]
pub(crate) struct SetupRemoteArgs {
    /// The identifier the server is registered under: its public URL with `/mcp`
    /// (what `serve --http --public-url` serves, e.g. `https://mcp.example.com/mcp`).
    #[arg(long)]
    audience: String,
    /// Redirect URLs of the MCP hosts people use (loopback URLs match any port).
    #[arg(
        long = "redirect-url",
        value_delimiter = ',',
        default_values_t = [
            "http://127.0.0.1/callback".to_owned(),
            "http://localhost/callback".to_owned(),
            "https://claude.ai/api/mcp/auth_callback".to_owned(),
        ]
    )]
    redirect_urls: Vec<String>,
    /// The name of the API resource, the client application (`<name> client`) and the roles.
    #[arg(long, default_value = "asgardeo-mcp")]
    name: String,
    /// Users (usernames) to give the administrators role: every tool.
    #[arg(long = "admin-user", value_delimiter = ',')]
    admin_users: Vec<String>,
    /// Users (usernames) to give the readers role: only tools that change nothing.
    #[arg(long = "reader-user", value_delimiter = ',')]
    reader_users: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) type Session = RunningService<RoleClient, ()>;

/// One tool call: its structured result, or its words as the error.
pub(super) async fn call(session: &Session, tool: &str, arguments: Value) -> Result<Value> {
    let Value::Object(arguments) = arguments else {
        bail!("arguments of {tool} must be an object");
    };
    let params = rmcp::model::CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    let result = session
        .call_tool(params)
        .await
        .with_context(|| format!("calling {tool}"))?;
    if result.is_error == Some(true) {
        let words: Vec<String> = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect();
        bail!("{tool}: {}", words.join(" "));
    }
    Ok(result.structured_content.unwrap_or(Value::Null))
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn step(json: bool, words: &str) {
    if !json {
        output::line(words);
    }
}

pub async fn run(global: &Global, args: &SetupRemoteArgs) -> Result<ExitCode> {
    let audience = url::Url::parse(&args.audience)
        .context("--audience must be a URL (the server's public URL with /mcp)")?;
    if !matches!(audience.scheme(), "https" | "http") {
        bail!("--audience must be an http(s) URL");
    }
    // The person running this asked for these writes; nothing here deletes.
    let server = build_server_with(global, true).await?;
    let session = connect_in_process(server, ())
        .await
        .context("starting the in-process MCP client")?;
    let outcome = setup(&session, args).await;
    session.close().await;
    let report = outcome?;
    if args.json {
        output::line(&serde_json::to_string_pretty(&report)?);
    } else {
        output::line(&format!(
            "\nDone. Serve with:\n  asgardeo-mcp serve --http --public-url {} --audience {} --allowed-clients {}\n(or ASGARDEO_MCP_ALLOWED_CLIENTS={}). People sign in with client id {} (public client, PKCE; no secret); the server takes tokens from that client only.",
            args.audience.trim_end_matches("/mcp"),
            args.audience,
            report["client_id"].as_str().unwrap_or_default(),
            report["client_id"].as_str().unwrap_or_default(),
            report["client_id"].as_str().unwrap_or_default()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

async fn setup(session: &Session, args: &SetupRemoteArgs) -> Result<Value> {
    let json = args.json;
    let scopes = remote_scopes();
    let read_scopes: Vec<String> = scopes
        .iter()
        .filter(|s| s.ends_with(":read"))
        .cloned()
        .collect();

    // 1. The API resource.
    let resource = match call(
        session,
        "get_api_resource_by_identifier",
        json!({ "identifier": args.audience }),
    )
    .await
    {
        Ok(found) => {
            step(
                json,
                &format!("api resource {} exists: kept", args.audience),
            );
            found
        }
        Err(_) => {
            let created = call(
                session,
                "create_api_resource",
                json!({
                    "identifier": args.audience,
                    "name": args.name,
                    "requiresAuthorization": true,
                    "scopes": scopes,
                }),
            )
            .await?;
            step(json, &format!("api resource {} created", args.audience));
            created
        }
    };
    let resource_id = text(&resource, "/id").context("the API resource has no id")?;

    // 2. The MCP client application.
    let client_name = format!("{} client", args.name);
    let first_redirect = args
        .redirect_urls
        .first()
        .context("give at least one --redirect-url")?;
    let app = match call(
        session,
        "get_application_by_name",
        json!({ "application_name": client_name }),
    )
    .await
    {
        Ok(found) => {
            step(json, &format!("application {client_name} exists: kept"));
            found
        }
        Err(_) => {
            let created = call(
                session,
                "create_mobile_app",
                json!({ "application_name": client_name, "redirect_url": first_redirect }),
            )
            .await?;
            step(json, &format!("application {client_name} created"));
            created
        }
    };
    let app_id = text(&app, "/id").context("the application has no id")?;
    let client_id = text(&app, "/client_id")
        .or_else(|| text(&app, "/oauth/client_id"))
        .context("the application has no client id")?;
    call(
        session,
        "update_application_oauth_config",
        json!({
            "id": app_id,
            "redirect_urls": args.redirect_urls,
            "audiences": [args.audience],
        }),
    )
    .await?;
    step(
        json,
        &format!("redirect URLs and token audience {} set", args.audience),
    );
    let authorized = call(session, "list_authorized_api", json!({ "app_id": app_id })).await?;
    let already = authorized.to_string().contains(&resource_id);
    if already {
        call(
            session,
            "update_authorized_scopes",
            json!({ "app_id": app_id, "api_id": resource_id, "add_scopes": scopes }),
        )
        .await
        .or_else(|e| {
            // Every scope authorized already: nothing to change.
            let words = e.to_string();
            if words.contains("nothing") || words.contains("already") {
                Ok(Value::Null)
            } else {
                Err(e)
            }
        })?;
    } else {
        call(
            session,
            "authorize_api",
            json!({ "appId": app_id, "id": resource_id, "policyIdentifier": "RBAC", "scopes": scopes }),
        )
        .await?;
    }
    step(
        json,
        "application authorized for the server's scopes (RBAC)",
    );

    // 3. Roles, and who holds them.
    let mut roles = serde_json::Map::new();
    for (suffix, permissions, users) in [
        ("readers", read_scopes.as_slice(), &args.reader_users),
        ("administrators", scopes, &args.admin_users),
    ] {
        let name = format!("{} {suffix}", args.name);
        let role_id = match find_role(session, &name).await? {
            Some(id) => {
                step(json, &format!("role {name} exists: kept"));
                id
            }
            None => {
                let created = call(
                    session,
                    "create_role",
                    json!({ "name": name, "permissions": permissions, "audience": "organization" }),
                )
                .await?;
                step(json, &format!("role {name} created"));
                text(&created, "/id").context("the role has no id")?
            }
        };
        let mut user_ids = Vec::new();
        for username in users {
            user_ids.push(find_user(session, username).await?);
        }
        if !user_ids.is_empty() {
            call(
                session,
                "assign_role",
                json!({ "role_id": role_id, "user_ids": user_ids }),
            )
            .await?;
            step(json, &format!("role {name} given to {}", users.join(", ")));
        }
        roles.insert(name, json!({ "id": role_id, "scopes": permissions }));
    }
    Ok(json!({
        "audience": args.audience,
        "api_resource_id": resource_id,
        "application_id": app_id,
        "client_id": client_id,
        "allowed_clients": [client_id],
        "serve": ["serve", "--http", "--audience", args.audience, "--allowed-clients", client_id],
        "redirect_urls": args.redirect_urls,
        "scopes": scopes,
        "roles": roles,
    }))
}

async fn find_role(session: &Session, name: &str) -> Result<Option<String>> {
    let listed = call(session, "list_roles", json!({ "name_starts_with": name })).await?;
    Ok(listed["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == name || r["display_name"] == name)
        .and_then(|r| text(r, "/id")))
}

async fn find_user(session: &Session, username: &str) -> Result<String> {
    let listed = call(
        session,
        "list_users",
        json!({ "username_starts_with": username }),
    )
    .await?;
    listed["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| {
            u["username"].as_str().is_some_and(|n| {
                n == username || n.split_once('/').is_some_and(|(_, n)| n == username)
            })
        })
        .and_then(|u| text(u, "/id"))
        .with_context(|| format!("no user named {username}"))
}

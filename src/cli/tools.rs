//! `asgardeo-mcp tools`: the tools this configuration exposes (`--read-only`, `--tools`,
//! `--exclude-tools` applied exactly as the server applies them), with toolset, access, the
//! scope a person needs for it in remote mode, and the WSO2 scopes each needs.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Global, filter, output, product};
use crate::server::{is_read_only, tool_definitions};
use crate::tools::{catalog_entry, remote_scope, required_scopes};

#[derive(Serialize)]
struct Listed {
    name: String,
    toolset: &'static str,
    access: &'static str,
    destructive: bool,
    scopes: Vec<&'static str>,
    /// The scope a person's token needs for this tool in remote mode (`serve --http`).
    remote_scope: String,
    description: String,
}

pub fn list(global: &Global, json: bool) -> Result<ExitCode> {
    let exposed = filter(global)?.apply()?;
    let definitions = tool_definitions(product(global)?);
    let listed: Vec<Listed> = definitions
        .iter()
        .filter(|tool| exposed.iter().any(|e| e.name == tool.name))
        .map(|tool| Listed {
            name: tool.name.to_string(),
            toolset: catalog_entry(&tool.name).map_or("", |e| e.toolset),
            access: if is_read_only(tool) { "read" } else { "write" },
            destructive: tool.annotations.as_ref().and_then(|a| a.destructive_hint) == Some(true),
            scopes: required_scopes(&tool.name),
            remote_scope: remote_scope(&tool.name).unwrap_or_default(),
            description: tool.description.as_deref().unwrap_or_default().to_owned(),
        })
        .collect();
    if json {
        output::line(&serde_json::to_string_pretty(&listed)?);
        return Ok(ExitCode::SUCCESS);
    }
    for tool in &listed {
        output::line(&format!(
            "{:<34} {:<14} {:<6} {:<26} {}",
            tool.name,
            tool.toolset,
            tool.access,
            tool.remote_scope,
            tool.scopes.join(" ")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

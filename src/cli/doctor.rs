//! `asgardeo-mcp doctor`: checks configuration, reachability, TLS, credentials and granted
//! scopes, and says which tools are usable and which scope each unusable tool lacks. A check
//! that could not run because an earlier one failed says "not checked", never "unusable".

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Global, filter, output, upstream_settings};
use crate::api::{ApiFailure, TokenError, Upstream};
use crate::server::AsgardeoServer;
use crate::tools::{CATALOG, OrExplain, ToolError, required_scopes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Fail,
    Warn,
    NotChecked,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
            Status::NotChecked => "not checked",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    /// The check ran and did not fail (`status` tells warnings and unchecked items apart).
    pub ok: bool,
    pub status: Status,
    pub detail: String,
}

impl Check {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

#[derive(Debug, Serialize)]
pub struct ToolReadiness {
    pub tool: &'static str,
    pub usable: bool,
    /// `usable`, `missing_scopes`, or `not_checked` (the token could not be had).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub checks: Vec<Check>,
    pub requested_scopes: Vec<String>,
    pub granted_scopes: Vec<String>,
    pub tools: Vec<ToolReadiness>,
}

impl Report {
    /// No check failed (warnings and unchecked items allowed).
    pub fn healthy(&self) -> bool {
        self.ok
    }
}

pub(crate) fn check(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name,
        ok: matches!(status, Status::Ok | Status::Warn),
        status,
        detail: detail.into(),
    }
}

/// Problems in BASE_URL's shape that the server accepts but that are usually mistakes.
fn base_url_warnings(base_url: &str) -> Option<String> {
    let path = url::Url::parse(base_url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    if !path.contains("/t/") && !path.contains("/o/") {
        return Some(format!(
            "BASE_URL {base_url} has no /t/<org> part; Asgardeo URLs look like https://api.asgardeo.io/t/<org> (WSO2 IS: https://<host>/t/<tenant>)"
        ));
    }
    None
}

fn readiness(granted: Option<&BTreeSet<String>>) -> Vec<ToolReadiness> {
    CATALOG
        .iter()
        .map(|entry| match granted {
            None => ToolReadiness {
                tool: entry.name,
                usable: false,
                status: "not_checked",
                missing_scopes: Vec::new(),
            },
            Some(granted) => {
                let missing: Vec<&'static str> = required_scopes(entry.name)
                    .into_iter()
                    .filter(|s| !granted.contains(*s))
                    .collect();
                ToolReadiness {
                    tool: entry.name,
                    usable: missing.is_empty(),
                    status: if missing.is_empty() {
                        "usable"
                    } else {
                        "missing_scopes"
                    },
                    missing_scopes: missing,
                }
            }
        })
        .collect()
}

pub async fn diagnose(upstream: &Upstream) -> Report {
    let base = upstream.base_url().to_owned();
    let mut checks = vec![match base_url_warnings(&base) {
        Some(warning) => check("configuration", Status::Warn, warning),
        None => check("configuration", Status::Ok, format!("BASE_URL {base}")),
    }];
    let mut granted = None;
    match upstream.token().await {
        Ok(token) => {
            checks.push(check(
                "reachability and TLS",
                Status::Ok,
                format!("{} answered", upstream.token_url()),
            ));
            checks.push(check(
                "credentials",
                Status::Ok,
                "the client-credentials grant succeeded",
            ));
            let missing: Vec<&String> = upstream
                .requested_scopes()
                .iter()
                .filter(|s| !token.scopes.contains(*s))
                .collect();
            checks.push(if missing.is_empty() {
                check(
                    "granted scopes",
                    Status::Ok,
                    format!("all {} requested scope(s) granted", token.scopes.len()),
                )
            } else {
                check(
                    "granted scopes",
                    Status::Warn,
                    format!(
                        "{} of {} requested scope(s) granted; not granted: {}",
                        upstream.requested_scopes().len() - missing.len(),
                        upstream.requested_scopes().len(),
                        missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            });
            granted = Some(token.scopes);
        }
        Err(TokenError::Transport { detail, .. }) => {
            checks.push(check(
                "reachability and TLS",
                Status::Fail,
                format!(
                    "connecting to {} failed: {detail}. Check BASE_URL, the network, and CERT_PATH if the server uses a private CA.",
                    upstream.token_url()
                ),
            ));
            checks.push(check(
                "credentials",
                Status::NotChecked,
                "the token endpoint could not be reached",
            ));
        }
        Err(TokenError::Rejected {
            status: 404, url, ..
        }) => {
            checks.push(check(
                "reachability and TLS",
                Status::Fail,
                format!(
                    "{url} answered 404: there is no such organization (or tenant). Check the /t/<org> part of BASE_URL ({base})."
                ),
            ));
            checks.push(check(
                "credentials",
                Status::NotChecked,
                "the organization was not found",
            ));
        }
        Err(err @ TokenError::Rejected { .. }) => {
            checks.push(check(
                "reachability and TLS",
                Status::Ok,
                format!("{} answered", upstream.token_url()),
            ));
            checks.push(check(
                "credentials",
                Status::Fail,
                format!("{err}. Check CLIENT_ID and CLIENT_SECRET."),
            ));
        }
        Err(err) => {
            checks.push(check(
                "reachability and TLS",
                Status::Ok,
                format!("{} answered", upstream.token_url()),
            ));
            checks.push(check("credentials", Status::Fail, err.to_string()));
        }
    }
    if granted.is_some() {
        let probe = upstream
            .applications()
            .get_all_applications()
            .limit(1u64)
            .send()
            .await
            .or_failure()
            .await;
        checks.push(match probe {
            Ok(_) => check("management API", Status::Ok, "listing applications works"),
            Err(failure) => check("management API", Status::Fail, explain(&failure)),
        });
    } else {
        checks.push(check(
            "management API",
            Status::NotChecked,
            "no token to call it with",
        ));
    }
    Report {
        ok: checks.iter().all(|c| c.status != Status::Fail),
        base_url: Some(base),
        checks,
        requested_scopes: upstream.requested_scopes().to_vec(),
        tools: readiness(granted.as_ref()),
        granted_scopes: granted.unwrap_or_default().into_iter().collect(),
    }
}

fn explain(failure: &ApiFailure) -> String {
    ToolError::from_failure("listing applications", failure).message
}

fn print(report: &Report, json: bool) -> Result<()> {
    if json {
        output::line(&serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    output::line(&format!(
        "asgardeo-mcp doctor: {}",
        report.base_url.as_deref().unwrap_or("(not configured)")
    ));
    for c in &report.checks {
        output::line(&format!(
            "  [{}] {}: {}",
            c.status.label(),
            c.name,
            c.detail
        ));
    }
    output::line(&format!(
        "requested scopes: {}",
        report.requested_scopes.join(" ")
    ));
    output::line(&format!(
        "granted scopes: {}",
        report.granted_scopes.join(" ")
    ));
    let usable: Vec<&str> = report
        .tools
        .iter()
        .filter(|t| t.status == "usable")
        .map(|t| t.tool)
        .collect();
    output::line(&format!(
        "usable tools ({}): {}",
        usable.len(),
        usable.join(", ")
    ));
    for tool in &report.tools {
        match tool.status {
            "missing_scopes" => output::line(&format!(
                "  unusable: {} (missing scope {})",
                tool.tool,
                tool.missing_scopes.join(", ")
            )),
            "not_checked" => output::line(&format!("  not checked: {}", tool.tool)),
            _ => {}
        }
    }
    Ok(())
}

pub(crate) async fn run(global: &Global, json: bool) -> Result<ExitCode> {
    let scopes = AsgardeoServer::scopes_for_filter(&filter(global)?)?;
    let upstream = Upstream::new(upstream_settings(global).await?.with_scopes(scopes))?;
    let report = diagnose(&upstream).await;
    print(&report, json)?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `doctor --json` prints JSON even when the configuration itself is wrong.
pub fn print_setup_error(err: &anyhow::Error) -> ExitCode {
    let report = Report {
        ok: false,
        base_url: None,
        checks: vec![
            check("configuration", Status::Fail, format!("{err:#}")),
            check(
                "reachability and TLS",
                Status::NotChecked,
                "the configuration is not usable",
            ),
            check(
                "credentials",
                Status::NotChecked,
                "the configuration is not usable",
            ),
            check(
                "management API",
                Status::NotChecked,
                "the configuration is not usable",
            ),
        ],
        requested_scopes: Vec::new(),
        granted_scopes: Vec::new(),
        tools: readiness(None),
    };
    match serde_json::to_string_pretty(&report) {
        Ok(text) => output::line(&text),
        Err(_) => output::error(&format!("asgardeo-mcp: {err:#}")),
    }
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_without_an_organization_is_flagged() {
        assert!(base_url_warnings("https://api.asgardeo.io").is_some());
        assert!(base_url_warnings("https://api.asgardeo.io/t/acme").is_none());
    }
}

//! `asgardeo-mcp doctor`: checks configuration, reachability, TLS, credentials and granted
//! scopes, and says which tools are usable and which scope each unusable tool lacks.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::tools::{CATALOG, required_scopes};
use crate::upstream::{TokenError, Upstream};

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct ToolReadiness {
    pub tool: &'static str,
    pub usable: bool,
    pub missing_scopes: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub base_url: String,
    pub checks: Vec<Check>,
    pub granted_scopes: Vec<String>,
    pub tools: Vec<ToolReadiness>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// Tool readiness for a token granting `granted`.
    pub fn readiness(granted: &BTreeSet<String>) -> Vec<ToolReadiness> {
        CATALOG
            .iter()
            .map(|entry| {
                let missing: Vec<&'static str> = required_scopes(entry.name)
                    .into_iter()
                    .filter(|s| !granted.contains(*s))
                    .collect();
                ToolReadiness {
                    tool: entry.name,
                    usable: missing.is_empty(),
                    missing_scopes: missing,
                }
            })
            .collect()
    }
}

pub async fn run(upstream: &Upstream) -> Report {
    let mut checks = vec![Check {
        name: "configuration",
        ok: true,
        detail: format!("BASE_URL {}", upstream.base_url()),
    }];
    let mut granted = BTreeSet::new();
    match upstream.token().await {
        Ok(token) => {
            checks.push(Check {
                name: "reachability and TLS",
                ok: true,
                detail: format!("{} answered", upstream.token_url()),
            });
            checks.push(Check {
                name: "credentials",
                ok: true,
                detail: "the client-credentials grant succeeded".into(),
            });
            granted = token.scopes.clone();
            checks.push(Check {
                name: "granted scopes",
                ok: !granted.is_empty(),
                detail: format!("{} scope(s) granted", granted.len()),
            });
        }
        Err(TokenError::Transport(err)) => {
            let kind = if err.is_timeout() {
                "timed out"
            } else {
                "failed"
            };
            let mut detail = format!("connecting to {} {kind}: {err}", upstream.token_url());
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                detail.push_str(&format!(": {s}"));
                source = s.source();
            }
            detail.push_str(
                ". Check BASE_URL, the network, and CERT_PATH if the server uses a private CA.",
            );
            checks.push(Check {
                name: "reachability and TLS",
                ok: false,
                detail,
            });
        }
        Err(err @ TokenError::Rejected { .. }) => {
            checks.push(Check {
                name: "reachability and TLS",
                ok: true,
                detail: format!("{} answered", upstream.token_url()),
            });
            checks.push(Check {
                name: "credentials",
                ok: false,
                detail: format!("{err}. Check CLIENT_ID and CLIENT_SECRET."),
            });
        }
        Err(err) => checks.push(Check {
            name: "credentials",
            ok: false,
            detail: err.to_string(),
        }),
    }
    if checks.iter().all(|c| c.ok) {
        let probe = upstream
            .applications()
            .get_all_applications()
            .limit(1u64)
            .send()
            .await;
        match probe {
            Ok(_) => checks.push(Check {
                name: "management API",
                ok: true,
                detail: "listing applications works".into(),
            }),
            Err(e) => {
                let failure = crate::upstream::ApiFailure::from_error(e).await;
                checks.push(Check {
                    name: "management API",
                    ok: false,
                    detail: crate::tools::ToolError::explain(
                        "listing applications",
                        &failure,
                        upstream.base_url(),
                    )
                    .message,
                });
            }
        }
    }
    Report {
        base_url: upstream.base_url().to_owned(),
        checks,
        tools: Report::readiness(&granted),
        granted_scopes: granted.into_iter().collect(),
    }
}

//! `asgardeo-mcp doctor --http <URL>`: checks a remote deployment from the outside, the way an
//! MCP client meets it: the 401 challenge, the protected resource metadata, the organization's
//! OpenID configuration and keys, readiness, and (with BASE_URL and credentials configured) that
//! the organization has the server registered under that URL with its scopes.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use super::doctor::{Check, Status, check};
use super::{Global, build_server, output};
use crate::server::connect_in_process;
use crate::tools::remote_scopes;

#[derive(Debug, Serialize)]
struct HttpReport {
    ok: bool,
    url: String,
    checks: Vec<Check>,
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = http
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    response
        .json()
        .await
        .map_err(|e| format!("{url} did not answer JSON: {e}"))
}

pub(crate) async fn run(global: &Global, url: &url::Url, json_out: bool) -> Result<ExitCode> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let resource = url.as_str().trim_end_matches('/').to_owned();
    let resource = if resource.ends_with("/mcp") {
        resource
    } else {
        format!("{resource}/mcp")
    };
    let base = resource.trim_end_matches("/mcp").to_owned();
    let mut checks = Vec::new();

    // 1. The challenge an unauthenticated client meets.
    let challenge = http
        .post(&resource)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }))
        .send()
        .await;
    checks.push(match challenge {
        Ok(answer) if answer.status() == reqwest::StatusCode::UNAUTHORIZED => {
            let header = answer
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if header.contains("resource_metadata=") {
                check("challenge", Status::Ok, format!("401 with {header}"))
            } else {
                check(
                    "challenge",
                    Status::Fail,
                    "401 without resource_metadata in WWW-Authenticate: clients cannot find how to sign in",
                )
            }
        }
        Ok(answer) => check(
            "challenge",
            Status::Fail,
            format!(
                "{resource} answered {} without a token: it is not protected (started with --no-auth?)",
                answer.status()
            ),
        ),
        Err(e) => check(
            "challenge",
            Status::Fail,
            format!("{resource} is not reachable: {e}"),
        ),
    });

    // 2. The protected resource metadata.
    let metadata_url = format!("{base}/.well-known/oauth-protected-resource/mcp");
    let metadata = get_json(&http, &metadata_url).await;
    let mut issuer = None;
    checks.push(match &metadata {
        Ok(doc) => {
            let servers: Vec<&str> = doc["authorization_servers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let missing: Vec<&str> = remote_scopes()
                .iter()
                .map(String::as_str)
                .filter(|s| {
                    !doc["scopes_supported"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|x| x == *s))
                })
                .collect();
            issuer = servers.first().map(|s| (*s).to_owned());
            if doc["resource"] != resource.as_str() {
                check(
                    "metadata",
                    Status::Fail,
                    format!(
                        "the metadata names resource {} but clients reach {resource}: set --public-url",
                        doc["resource"]
                    ),
                )
            } else if servers.is_empty() {
                check("metadata", Status::Fail, "no authorization server listed")
            } else if !missing.is_empty() {
                check(
                    "metadata",
                    Status::Warn,
                    format!("scopes not listed: {}", missing.join(" ")),
                )
            } else {
                check(
                    "metadata",
                    Status::Ok,
                    format!(
                        "resource {resource}, authorization server {}",
                        servers.join(" ")
                    ),
                )
            }
        }
        Err(e) => check("metadata", Status::Fail, e.clone()),
    });

    // 3. The organization as authorization server, and its keys.
    let mut jwks_uri = None;
    checks.push(match &issuer {
        None => check(
            "authorization server",
            Status::NotChecked,
            "no authorization server to check",
        ),
        Some(issuer) => {
            let discovery = format!("{issuer}/.well-known/openid-configuration");
            match get_json(&http, &discovery).await {
                Ok(doc) if doc["issuer"] == issuer.as_str() => {
                    jwks_uri = doc["jwks_uri"].as_str().map(str::to_owned);
                    let s256 = doc["code_challenge_methods_supported"]
                        .as_array()
                        .is_none_or(|l| l.iter().any(|m| m == "S256"));
                    if doc["authorization_endpoint"].is_string()
                        && doc["token_endpoint"].is_string()
                        && s256
                    {
                        check(
                            "authorization server",
                            Status::Ok,
                            format!("{discovery}: authorization code with PKCE (S256)"),
                        )
                    } else {
                        check(
                            "authorization server",
                            Status::Fail,
                            format!(
                                "{discovery} lacks an authorization or token endpoint, or S256 PKCE"
                            ),
                        )
                    }
                }
                Ok(doc) => check(
                    "authorization server",
                    Status::Fail,
                    format!(
                        "{discovery} names issuer {} instead of {issuer}",
                        doc["issuer"]
                    ),
                ),
                Err(e) => check("authorization server", Status::Fail, e),
            }
        }
    });
    checks.push(match &jwks_uri {
        None => check("signing keys", Status::NotChecked, "no jwks_uri to fetch"),
        Some(uri) => match get_json(&http, uri).await {
            Ok(doc) => {
                let keys = doc["keys"]
                    .as_array()
                    .map(|k| {
                        k.iter()
                            .filter(|k| k["kty"] == "RSA" || k["kty"] == "EC")
                            .count()
                    })
                    .unwrap_or(0);
                if keys > 0 {
                    check(
                        "signing keys",
                        Status::Ok,
                        format!("{keys} key(s) at {uri}"),
                    )
                } else {
                    check(
                        "signing keys",
                        Status::Fail,
                        format!("no RSA or EC key at {uri}"),
                    )
                }
            }
            Err(e) => check("signing keys", Status::Fail, e),
        },
    });

    // 4. Readiness (the server's own token, the keys).
    checks.push(match http.get(format!("{base}/readyz")).send().await {
        Ok(answer) if answer.status().is_success() => {
            check("readiness", Status::Ok, "/readyz answered 200")
        }
        Ok(answer) => {
            let status = answer.status();
            let body = answer.text().await.unwrap_or_default();
            check(
                "readiness",
                Status::Fail,
                format!("/readyz answered {status}: {body}"),
            )
        }
        Err(e) => check("readiness", Status::Fail, format!("/readyz: {e}")),
    });

    // 5. The organization knows the server under this URL (needs this machine's credentials).
    checks.push(registration(global, &resource).await);
    // 6. The clients whose tokens it takes are authorized for it under RBAC.
    checks.push(trusted_clients(global, &resource).await);

    let ok = checks
        .iter()
        .all(|c| c.ok || c.status == Status::NotChecked);
    let report = HttpReport {
        ok,
        url: resource,
        checks,
    };
    if json_out {
        output::line(&serde_json::to_string_pretty(&report)?);
    } else {
        output::line(&format!("remote deployment {}", report.url));
        for c in &report.checks {
            output::line(&format!(
                "{:<12} {:<22} {}",
                c.status_label(),
                c.name,
                c.detail
            ));
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Each client in ASGARDEO_MCP_ALLOWED_CLIENTS, as `serve --http` will judge its tokens: known
/// to the organization and authorized for this server's API resource under RBAC.
async fn trusted_clients(global: &Global, resource: &str) -> Check {
    let allowed: Vec<String> = std::env::var("ASGARDEO_MCP_ALLOWED_CLIENTS")
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if allowed.is_empty() {
        return check(
            "trusted clients",
            Status::NotChecked,
            "ASGARDEO_MCP_ALLOWED_CLIENTS is not set here (serve --http needs it: the client id setup-remote printed)",
        );
    }
    #[cfg(not(feature = "remote"))]
    {
        let _ = (global, resource);
        check(
            "trusted clients",
            Status::NotChecked,
            "this build has no remote mode to judge tokens with",
        )
    }
    #[cfg(feature = "remote")]
    trusted_clients_checked(global, resource, allowed).await
}

#[cfg(feature = "remote")]
async fn trusted_clients_checked(global: &Global, resource: &str, allowed: Vec<String>) -> Check {
    let Ok(server) = build_server(global).await else {
        return check(
            "trusted clients",
            Status::NotChecked,
            "no BASE_URL/CLIENT_ID/CLIENT_SECRET here to look the clients up",
        );
    };
    let clients = crate::remote::TrustedClients::new(
        allowed.clone(),
        resource,
        server.tools().upstream.clone(),
    );
    for client in &allowed {
        if let Err(refusal) = clients.admit(Some(client)).await {
            return check("trusted clients", Status::Fail, refusal.to_string());
        }
    }
    check(
        "trusted clients",
        Status::Ok,
        format!(
            "{} authorized for {resource} under RBAC; tokens from any other client are refused",
            allowed.join(", ")
        ),
    )
}

async fn registration(global: &Global, resource: &str) -> Check {
    let server = match build_server(global).await {
        Ok(server) => server,
        Err(_) => {
            return check(
                "registration",
                Status::NotChecked,
                "no BASE_URL/CLIENT_ID/CLIENT_SECRET here to look the server up in the organization",
            );
        }
    };
    let Ok(session) = connect_in_process(server, ()).await else {
        return check(
            "registration",
            Status::NotChecked,
            "could not start the in-process client",
        );
    };
    let found = super::setup_remote::call(
        &session,
        "get_api_resource_by_identifier",
        json!({ "identifier": resource }),
    )
    .await;
    session.close().await;
    match found {
        Ok(api) => {
            let listed = api.to_string();
            let missing: Vec<&str> = remote_scopes()
                .iter()
                .map(String::as_str)
                .filter(|s| !listed.contains(&format!("\"{s}\"")))
                .collect();
            if missing.is_empty() {
                check(
                    "registration",
                    Status::Ok,
                    format!("API resource {resource} with every mcp: scope"),
                )
            } else {
                check(
                    "registration",
                    Status::Warn,
                    format!(
                        "API resource {resource} lacks {}: run setup-remote again",
                        missing.join(" ")
                    ),
                )
            }
        }
        Err(e) => check(
            "registration",
            Status::Fail,
            format!(
                "the organization has no API resource {resource} ({e}); run `asgardeo-mcp setup-remote --audience {resource}`"
            ),
        ),
    }
}

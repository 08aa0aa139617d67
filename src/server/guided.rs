//! The host's UI beyond tools: prompts for the guided tasks users ask for, the organization's
//! applications and API resources as `asgardeo://` resources (with templates for an
//! application's configuration and its integration guide per stack), and completion of their
//! arguments from the organization itself.
//!
//! Resources are read through the server's own tool pipeline (`call_tool`), so a resource
//! shows exactly what the matching read tool shows, and a tool that is filtered out or lacks
//! its scope makes its resources fail the same way.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, CompletionInfo,
    GetPromptRequestParams, GetPromptResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams,
    ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Role,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

use super::AsgardeoServer;

pub const FRAMEWORKS: [&str; 7] = [
    "react", "nextjs", "express", "browser", "python", "m2m", "mobile",
];
const WEB_FRAMEWORKS: [&str; 3] = ["react", "nextjs", "express"];
const PROVIDERS: [&str; 5] = ["google", "github", "facebook", "microsoft", "apple"];
const FACTORS: [&str; 3] = ["totp", "email_otp", "sms_otp"];

struct PromptSpec {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    arguments: &'static [(&'static str, &'static str, bool)],
}

const PROMPTS: [PromptSpec; 4] = [
    PromptSpec {
        name: "secure_web_app",
        title: "Secure a React, Next.js or Express app",
        description: "Create (or reuse) the application, get working sign-in code for the stack, and fix the configuration until every check passes.",
        arguments: &[
            ("framework", "react, nextjs or express", true),
            (
                "application_name",
                "The application to create or reuse",
                true,
            ),
            (
                "app_url",
                "Where the app runs, e.g. http://localhost:5173",
                false,
            ),
        ],
    },
    PromptSpec {
        name: "add_social_login",
        title: "Add social login",
        description: "Connect a social identity provider and offer it on an application's login page.",
        arguments: &[
            (
                "application_name",
                "The application whose login gets the provider",
                true,
            ),
            (
                "provider",
                "google, github, facebook, microsoft or apple",
                true,
            ),
        ],
    },
    PromptSpec {
        name: "add_mfa",
        title: "Add multi-factor authentication",
        description: "Add a second login step (TOTP, email OTP or SMS OTP) to an application.",
        arguments: &[
            ("application_name", "The application to protect", true),
            ("factor", "totp, email_otp or sms_otp", true),
        ],
    },
    PromptSpec {
        name: "setup_m2m_client",
        title: "Set up an M2M client for an API",
        description: "Create a machine-to-machine client, authorize it for an API resource's scopes, and get the token request.",
        arguments: &[
            ("application_name", "Name for the new M2M client", true),
            (
                "api_identifier",
                "The API resource's identifier (audience)",
                true,
            ),
        ],
    },
];

pub fn list_prompts() -> ListPromptsResult {
    ListPromptsResult::with_all_items(
        PROMPTS
            .iter()
            .map(|p| {
                Prompt::new(
                    p.name,
                    Some(p.description),
                    Some(
                        p.arguments
                            .iter()
                            .map(|(name, description, required)| {
                                PromptArgument::new(*name)
                                    .with_description(*description)
                                    .with_required(*required)
                            })
                            .collect(),
                    ),
                )
                .with_title(p.title)
            })
            .collect(),
    )
}

fn argument<'a>(request: &'a GetPromptRequestParams, name: &str) -> Option<&'a str> {
    request
        .arguments
        .as_ref()
        .and_then(|a| a.get(name))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn one_of<'a>(value: &'a str, allowed: &[&str], name: &str) -> Result<&'a str, ErrorData> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(ErrorData::invalid_params(
            format!(
                "`{name}` must be one of {}; got `{value}`",
                allowed.join(", ")
            ),
            None,
        ))
    }
}

pub fn get_prompt(request: &GetPromptRequestParams) -> Result<GetPromptResult, ErrorData> {
    let spec = PROMPTS
        .iter()
        .find(|p| p.name == request.name)
        .ok_or_else(|| {
            ErrorData::invalid_params(
                format!(
                    "no prompt named `{}`; the prompts are {}",
                    request.name,
                    PROMPTS.map(|p| p.name).join(", ")
                ),
                None,
            )
        })?;
    let missing: Vec<&str> = spec
        .arguments
        .iter()
        .filter(|(name, _, required)| *required && argument(request, name).is_none())
        .map(|(name, ..)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(ErrorData::invalid_params(
            format!("prompt `{}` needs {}", spec.name, missing.join(", ")),
            None,
        ));
    }
    let arg = |name: &str| argument(request, name).unwrap_or_default();
    let text = match spec.name {
        "secure_web_app" => {
            let framework = one_of(arg("framework"), &WEB_FRAMEWORKS, "framework")?;
            let name = arg("application_name");
            let default_url = if framework == "react" {
                "http://localhost:5173"
            } else {
                "http://localhost:3000"
            };
            let url = argument(request, "app_url").unwrap_or(default_url);
            let (create, redirect) = match framework {
                "react" => ("create_single_page_app", url.to_owned()),
                "express" => ("create_webapp_with_ssr", format!("{url}/login")),
                _ => ("create_webapp_with_ssr", url.to_owned()),
            };
            format!(
                "Secure my {framework} app with Asgardeo sign-in. The app runs at {url}.\n\n\
                 1. Call get_application_by_name with application_name {name:?}. If it does not exist, call {create} with application_name {name:?} and redirect_url {redirect:?}. Keep any client_secret it returns for the .env.\n\
                 2. Call get_integration_guide with application_name {name:?}, framework \"{framework}\" and app_url {url:?}.\n\
                 3. If `ready` is false, apply each failed check's `fix` (usually update_application_oauth_config), then call get_integration_guide again until it is ready.\n\
                 4. Give me the install commands, every file in full, the .env (with the secret filled in if you have it) and the run command, exactly as the guide returns them."
            )
        }
        "add_social_login" => {
            let provider = one_of(arg("provider"), &PROVIDERS, "provider")?;
            let name = arg("application_name");
            format!(
                "Add {provider} sign-in to the application {name:?}.\n\n\
                 1. Call list_connections; if there is no {provider} connection, ask me for the {provider} OAuth app's client id and secret, then call create_social_connection for {provider}.\n\
                 2. Call list_login_options for {name:?} to see the exact option names.\n\
                 3. Call set_login_flow for {name:?} with a first step offering both the username-and-password option and the {provider} option (dry_run first and show me the plan).\n\
                 4. Tell me the callback URL to register in the {provider} developer console (from the connection)."
            )
        }
        "add_mfa" => {
            let factor = one_of(arg("factor"), &FACTORS, "factor")?;
            let name = arg("application_name");
            format!(
                "Add {factor} as a second factor to the application {name:?}.\n\n\
                 1. Call get_application_by_name for {name:?} and show me its current login flow.\n\
                 2. Call list_login_options for {name:?} to find the {factor} option's exact name.\n\
                 3. Call set_login_flow with the current first step kept and a second step offering {factor}; use dry_run first and show me the plan before the real call.\n\
                 4. Summarize what users will see at their next sign-in."
            )
        }
        _ => {
            let name = arg("application_name");
            let api = arg("api_identifier");
            format!(
                "Set up a machine-to-machine client {name:?} for the API {api:?}.\n\n\
                 1. Call get_api_resource_by_identifier with identifier {api:?} and list its scopes.\n\
                 2. Call create_m2m_app with application_name {name:?}; keep its client_secret.\n\
                 3. Call authorize_api for the new application and the API with the scopes I need (ask me which, if unclear).\n\
                 4. Call get_integration_guide with application_name {name:?} and framework \"m2m\", and give me the token request with the secret filled in."
            )
        }
    };
    let mut result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]);
    result.description = Some(spec.description.to_owned());
    Ok(result)
}

/// `asgardeo://` URIs: segments percent-encoded (RFC 3986 unreserved characters stay).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The tool call a resource URI stands for.
fn resource_call(uri: &str) -> Option<(&'static str, Value)> {
    let rest = uri.strip_prefix("asgardeo://")?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["applications"] => Some(("list_applications", json!({ "all": true }))),
        ["applications", name] => Some((
            "get_application_by_name",
            json!({ "application_name": decode(name)? }),
        )),
        ["applications", name, "guide", framework] => Some((
            "get_integration_guide",
            json!({ "application_name": decode(name)?, "framework": decode(framework)? }),
        )),
        ["api-resources"] => Some(("list_api_resources", json!({ "limit": 100 }))),
        ["api-resources", identifier] => Some((
            "get_api_resource_by_identifier",
            json!({ "identifier": decode(identifier)? }),
        )),
        _ => None,
    }
}

pub fn resource_templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new("asgardeo://applications/{application_name}", "application")
            .with_description("An application's configuration: OAuth settings, claims, authorized APIs, login flow.")
            .with_mime_type("application/json"),
        ResourceTemplate::new(
            "asgardeo://applications/{application_name}/guide/{framework}",
            "integration_guide",
        )
        .with_description("Working sign-in code for the application on a stack (react, nextjs, express, browser, python, m2m, mobile).")
        .with_mime_type("application/json"),
        ResourceTemplate::new("asgardeo://api-resources/{identifier}", "api_resource")
            .with_description("An API resource with its scopes.")
            .with_mime_type("application/json"),
    ])
}

impl AsgardeoServer {
    /// A read tool's structured answer, through the server's own pipeline.
    async fn read_through(
        &self,
        tool: &'static str,
        arguments: Value,
        context: RequestContext<RoleServer>,
    ) -> Result<Value, ErrorData> {
        let Value::Object(arguments) = arguments else {
            return Err(ErrorData::internal_error(
                "resource arguments are an object",
                None,
            ));
        };
        let request = CallToolRequestParams::new(tool).with_arguments(arguments);
        let result = match self.call_tool(request, context).await? {
            CallToolResponse::Complete(result) => result,
            _ => {
                return Err(ErrorData::internal_error(
                    "a read tool asked for input",
                    None,
                ));
            }
        };
        let text = || {
            result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect::<Vec<_>>()
                .join("\n")
        };
        if result.is_error == Some(true) {
            return Err(ErrorData::resource_not_found(text(), None));
        }
        Ok(result
            .structured_content
            .clone()
            .unwrap_or_else(|| json!(text())))
    }

    pub(super) async fn resources(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut resources = vec![
            Resource::new("asgardeo://applications", "applications")
                .with_description("Every application of the organization")
                .with_mime_type("application/json"),
            Resource::new("asgardeo://api-resources", "api_resources")
                .with_description("The organization's API resources")
                .with_mime_type("application/json"),
        ];
        // Listing is best effort: a filtered-out tool or a missing scope leaves those out.
        if let Ok(apps) = self
            .read_through("list_applications", json!({ "all": true }), context.clone())
            .await
        {
            for name in names(&apps, "applications", "name") {
                resources.push(
                    Resource::new(
                        format!("asgardeo://applications/{}", encode(&name)),
                        name.clone(),
                    )
                    .with_title(format!("Application {name}"))
                    .with_mime_type("application/json"),
                );
            }
        }
        if let Ok(apis) = self
            .read_through("list_api_resources", json!({ "limit": 100 }), context)
            .await
        {
            for identifier in names(&apis, "api_resources", "identifier") {
                resources.push(
                    Resource::new(
                        format!("asgardeo://api-resources/{}", encode(&identifier)),
                        identifier.clone(),
                    )
                    .with_title(format!("API resource {identifier}"))
                    .with_mime_type("application/json"),
                );
            }
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    pub(super) async fn read(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, ErrorData> {
        let (tool, arguments) = resource_call(&request.uri).ok_or_else(|| {
            ErrorData::resource_not_found(
                format!(
                    "no resource `{}`: the resources are asgardeo://applications, asgardeo://applications/{{application_name}}, asgardeo://applications/{{application_name}}/guide/{{framework}}, asgardeo://api-resources and asgardeo://api-resources/{{identifier}} (names percent-encoded)",
                    request.uri
                ),
                None,
            )
        })?;
        let value = self.read_through(tool, arguments, context).await?;
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::TextResourceContents {
                uri: request.uri,
                mime_type: Some("application/json".into()),
                text,
                meta: None,
            },
        ]))
    }

    pub(super) async fn completions(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let typed = request.argument.value.to_lowercase();
        let prompt = request
            .r#ref
            .as_prompt_name()
            .unwrap_or_default()
            .to_owned();
        let candidates: Vec<String> = match request.argument.name.as_str() {
            "application_name" if prompt != "setup_m2m_client" => self
                .read_through("list_applications", json!({ "all": true }), context)
                .await
                .map(|v| names(&v, "applications", "name"))
                .unwrap_or_default(),
            "api_identifier" | "identifier" => self
                .read_through("list_api_resources", json!({ "limit": 100 }), context)
                .await
                .map(|v| names(&v, "api_resources", "identifier"))
                .unwrap_or_default(),
            "framework" if prompt == "secure_web_app" => owned(&WEB_FRAMEWORKS),
            "framework" => owned(&FRAMEWORKS),
            "provider" => owned(&PROVIDERS),
            "factor" => owned(&FACTORS),
            _ => Vec::new(),
        };
        let mut matching: Vec<String> = candidates
            .into_iter()
            .filter(|c| c.to_lowercase().contains(&typed))
            .collect();
        matching.sort_by_key(|c| !c.to_lowercase().starts_with(&typed));
        let total = matching.len();
        matching.truncate(CompletionInfo::MAX_VALUES);
        let info = CompletionInfo::with_pagination(
            matching,
            Some(total as u32),
            total > CompletionInfo::MAX_VALUES,
        )
        .map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(CompleteResult::new(info))
    }
}

fn owned(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// The `field` of every item of the list under `key`.
fn names(answer: &Value, key: &str, field: &str) -> Vec<String> {
    answer[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[field].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_round_trip_names_with_spaces_and_urls() {
        let name = "Research and Development/ü";
        let uri = format!("asgardeo://applications/{}", encode(name));
        assert_eq!(
            resource_call(&uri),
            Some((
                "get_application_by_name",
                json!({ "application_name": name })
            ))
        );
        let api = "https://api.example.com/orders";
        let uri = format!("asgardeo://api-resources/{}", encode(api));
        assert!(!uri["asgardeo://".len()..].contains("//"));
        assert_eq!(resource_call(&uri).unwrap().1["identifier"], api);
        assert_eq!(resource_call("asgardeo://nothing"), None);
        assert_eq!(resource_call("asgardeo://applications/%ZZ"), None);
    }

    #[test]
    fn prompts_check_their_arguments() {
        let mut request = GetPromptRequestParams::new("add_mfa");
        assert!(get_prompt(&request).is_err());
        request.arguments = Some(
            json!({ "application_name": "Shop", "factor": "totp" })
                .as_object()
                .unwrap()
                .clone(),
        );
        let text = serde_json::to_string(&get_prompt(&request).unwrap()).unwrap();
        assert!(text.contains("set_login_flow") && text.contains("Shop"));
        request.arguments = Some(
            json!({ "application_name": "Shop", "factor": "fax" })
                .as_object()
                .unwrap()
                .clone(),
        );
        assert!(get_prompt(&request).unwrap_err().message.contains("totp"));
    }
}

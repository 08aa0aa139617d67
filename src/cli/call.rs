//! `asgardeo-mcp call <tool> --arg k=v ...`: one call through a real MCP session in this
//! process, so the command line sees exactly what a host would. Each `--arg` value is converted
//! by the tool's input schema (`application_name=2024` stays a string).

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::{Global, build_server, output};
use crate::server::connect_in_process;

/// The JSON type the schema gives `key`, if it declares one.
fn declared_type<'a>(schema: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    let property = schema.get("properties")?.get(key)?;
    property.get("type").and_then(Value::as_str)
}

/// `value` as the schema's type for `key`.
fn convert(schema: &Map<String, Value>, key: &str, value: &str) -> Result<Value> {
    let parsed = || serde_json::from_str::<Value>(value);
    Ok(match declared_type(schema, key) {
        Some("string") => Value::String(value.to_owned()),
        Some("integer") => Value::from(
            value
                .trim()
                .parse::<i64>()
                .with_context(|| format!("--arg {key}: `{value}` is not an integer"))?,
        ),
        Some("number") => Value::from(
            value
                .trim()
                .parse::<f64>()
                .with_context(|| format!("--arg {key}: `{value}` is not a number"))?,
        ),
        Some("boolean") => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => bail!("--arg {key}: `{value}` is not true or false"),
        },
        Some("array") => match parsed() {
            Ok(v @ Value::Array(_)) => v,
            // `a,b,c` for a list of strings.
            _ => Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .filter(|s| s.as_str() != Some(""))
                    .collect(),
            ),
        },
        Some("object") => parsed().with_context(|| format!("--arg {key}: not a JSON object"))?,
        // Undeclared (the tool will say so) or untyped: JSON if it is JSON, else text.
        _ => parsed().unwrap_or_else(|_| Value::String(value.to_owned())),
    })
}

pub fn arguments(
    schema: &Map<String, Value>,
    args: &[String],
    json: Option<&str>,
) -> Result<Map<String, Value>> {
    let mut map = match json {
        Some(text) => match serde_json::from_str(text).context("--json is not JSON")? {
            Value::Object(m) => m,
            _ => bail!("--json must be a JSON object"),
        },
        None => Map::new(),
    };
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            bail!("--arg `{arg}` is not KEY=VALUE")
        };
        map.insert(key.to_owned(), convert(schema, key, value)?);
    }
    Ok(map)
}

pub async fn run(
    global: &Global,
    tool: &str,
    args: &[String],
    json: Option<&str>,
) -> Result<ExitCode> {
    let server = build_server(global).await?;
    let session = connect_in_process(server, ())
        .await
        .context("starting the in-process MCP client")?;
    let tools = session
        .list_all_tools()
        .await
        .context("listing the tools")?;
    let Some(definition) = tools.iter().find(|t| t.name == tool) else {
        bail!("`{tool}` is not a tool this configuration exposes; `asgardeo-mcp tools` lists them");
    };
    let arguments = arguments(&definition.input_schema, args, json)?;
    let params = rmcp::model::CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    let result = session
        .call_tool(params)
        .await
        .with_context(|| format!("calling `{tool}`"))?;
    session.close().await;
    let failed = result.is_error == Some(true);
    match &result.structured_content {
        Some(value) if !failed => output::line(&serde_json::to_string_pretty(value)?),
        _ => {
            for block in &result.content {
                if let Some(text) = block.as_text() {
                    output::line(&text.text);
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_follow_the_schema() {
        let schema = json!({ "properties": {
            "application_name": { "type": "string" },
            "limit": { "type": "integer" },
            "all": { "type": "boolean" },
            "claims": { "type": "array" }
        } });
        let schema = schema.as_object().unwrap();
        let args = arguments(
            schema,
            &[
                "application_name=2024".into(),
                "limit=5".into(),
                "all=yes".into(),
                "claims=email,username".into(),
                "other={\"a\":1}".into(),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            Value::Object(args),
            json!({ "application_name": "2024", "limit": 5, "all": true,
                    "claims": ["email", "username"], "other": { "a": 1 } })
        );
        assert!(arguments(schema, &["limit=lots".into()], None).is_err());
    }
}

//! The stderr log filter. Whatever level a user asks for, libraries that log message bodies at
//! debug level (rmcp dumps every request and result, which carry passwords and client secrets)
//! are capped at info, so no secret reaches the logs.

use tracing_subscriber::EnvFilter;

/// Libraries capped at info because their debug output can contain secrets.
const CAPPED: [&str; 5] = ["rmcp", "hyper", "hyper_util", "h2", "reqwest"];

pub fn filter(requested: Option<&str>) -> EnvFilter {
    let base = requested
        .map(str::to_owned)
        .unwrap_or_else(|| "asgardeo_mcp=info,warn".to_owned());
    let caps: Vec<String> = CAPPED.iter().map(|c| format!("{c}=info")).collect();
    EnvFilter::new(format!("{base},{}", caps.join(",")))
}

//! The stderr log. The user's filter (`--log`, `RUST_LOG`) decides what is shown, `off` included;
//! a second filter that no directive can lift then drops every debug or trace event from the
//! libraries that dump whole messages at those levels (rmcp prints each request and result,
//! which carry passwords and client secrets; hyper, h2 and reqwest can print headers).

use std::str::FromStr;

use tracing::Level;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::filter::{FilterExt, FilterFn};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Libraries whose events below info may carry message bodies or headers.
const DUMPING: [&str; 6] = ["rmcp", "hyper", "hyper_util", "h2", "reqwest", "tower_http"];

/// The default when the user asks for nothing: this server's own info, others' warnings.
pub const DEFAULT: &str = "asgardeo_mcp=info,warn";

/// Whether an event of `target` at `level` may be shown at all.
pub fn allowed(target: &str, level: &Level) -> bool {
    let dumping = DUMPING
        .iter()
        .any(|t| target == *t || target.starts_with(&format!("{t}::")));
    !dumping || *level <= Level::INFO
}

fn default_filter() -> Targets {
    Targets::new()
        .with_target("asgardeo_mcp", Level::INFO)
        .with_default(Level::WARN)
}

/// The user's filter (`level`, `target=level`, comma-separated, `off`), or the default when
/// none is given or it does not parse (with a warning). Span directives are not supported:
/// this server's log is organized by targets.
pub fn user_filter(requested: Option<&str>) -> (Targets, Option<String>) {
    match requested.map(str::trim).filter(|r| !r.is_empty()) {
        None => (default_filter(), None),
        // Span and field directives (`[span]=debug`) are EnvFilter syntax this filter does
        // not read; say so rather than silently matching nothing.
        Some(text) if text.contains(['[', '{']) => (
            default_filter(),
            Some(format!(
                "the log filter `{text}` uses span directives, which are not supported; using `{DEFAULT}`"
            )),
        ),
        Some(text) => match Targets::from_str(text) {
            Ok(filter) => (filter, None),
            Err(e) => (
                default_filter(),
                Some(format!(
                    "the log filter `{text}` is not valid ({e}); using `{DEFAULT}`"
                )),
            ),
        },
    }
}

/// The user's filter and the cap together, as one per-layer filter.
pub fn filter<S>(
    requested: Option<&str>,
) -> (impl Filter<S> + Send + Sync + 'static, Option<String>)
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let (user, problem) = user_filter(requested);
    let cap = FilterFn::new(|meta: &tracing::Metadata<'_>| allowed(meta.target(), meta.level()));
    (user.and(cap), problem)
}

/// Installs the stderr log with the user's filter and the cap.
pub fn init(requested: Option<&str>) {
    let (filter, problem) = filter(requested);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
    if let Some(problem) = problem {
        tracing::warn!("{problem}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumping_libraries_are_capped_at_info() {
        assert!(!allowed("rmcp::service", &Level::DEBUG));
        assert!(!allowed("rmcp", &Level::TRACE));
        assert!(!allowed("hyper_util::client", &Level::DEBUG));
        assert!(allowed("rmcp::service", &Level::INFO));
        assert!(allowed("asgardeo_mcp::api", &Level::TRACE));
        assert!(allowed("rmcpx", &Level::DEBUG));
    }
}

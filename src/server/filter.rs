//! Which tools a server exposes, decided in one place: `--read-only` (which wins over any allow
//! pattern), allow and deny patterns (globs or toolset names). A pattern that matches nothing
//! is an error, and so is a filter that leaves no tool.

use crate::tools::{Access, CATALOG, TOOLSETS, ToolEntry, catalog_entry};

/// Which tools are exposed. Read-only wins over any allow pattern.
#[derive(Debug, Clone, Default)]
pub struct ToolFilter {
    pub read_only: bool,
    /// Glob patterns or toolset names; empty means every tool.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    #[error("`{0}` matches no tool and no toolset (toolsets: {toolsets}; `asgardeo-mcp tools` lists the tools)", toolsets = TOOLSETS.join(", "))]
    NoMatch(String),
    #[error(
        "these settings leave no tool to expose{0}; loosen --tools/--exclude-tools or drop --read-only"
    )]
    Empty(String),
}

/// Why a tool is not exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hidden {
    ReadOnly,
    Excluded,
}

/// `*` matches any run of characters, `?` any one character.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(
        &pattern.chars().collect::<Vec<_>>(),
        &text.chars().collect::<Vec<_>>(),
    )
}

fn pattern_matches(pattern: &str, tool: &str) -> bool {
    let pattern = pattern.trim();
    glob_matches(pattern, tool) || catalog_entry(tool).is_some_and(|e| e.toolset == pattern)
}

impl ToolFilter {
    /// `None` when `tool` is exposed, or why it is not.
    pub fn hides(&self, tool: &ToolEntry) -> Option<Hidden> {
        let name = tool.name;
        if self.read_only && tool.access != Access::Read {
            return Some(Hidden::ReadOnly);
        }
        let included =
            self.include.is_empty() || self.include.iter().any(|p| pattern_matches(p, name));
        if !included || self.exclude.iter().any(|p| pattern_matches(p, name)) {
            return Some(Hidden::Excluded);
        }
        None
    }

    /// Every pattern must match something.
    pub fn check_patterns(&self) -> Result<(), FilterError> {
        for pattern in self.include.iter().chain(&self.exclude) {
            if !CATALOG.iter().any(|e| pattern_matches(pattern, e.name)) {
                return Err(FilterError::NoMatch(pattern.clone()));
            }
        }
        Ok(())
    }

    /// The catalogue entries this filter exposes, or an error when the patterns are wrong or
    /// leave none.
    pub fn apply(&self) -> Result<Vec<&'static ToolEntry>, FilterError> {
        self.check_patterns()?;
        let exposed: Vec<&'static ToolEntry> =
            CATALOG.iter().filter(|t| self.hides(t).is_none()).collect();
        if exposed.is_empty() {
            let mut how = Vec::new();
            if self.read_only {
                how.push("--read-only".to_owned());
            }
            if !self.include.is_empty() {
                how.push(format!("--tools {}", self.include.join(",")));
            }
            if !self.exclude.is_empty() {
                how.push(format!("--exclude-tools {}", self.exclude.join(",")));
            }
            return Err(FilterError::Empty(if how.is_empty() {
                String::new()
            } else {
                format!(" ({})", how.join(" "))
            }));
        }
        Ok(exposed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("create_*", "create_user"));
        assert!(glob_matches("*_app", "create_m2m_app"));
        assert!(glob_matches("list_?laims", "list_claims"));
        assert!(!glob_matches("create_*", "list_claims"));
    }

    #[test]
    fn a_filter_that_leaves_nothing_is_an_error() {
        let filter = ToolFilter {
            read_only: true,
            include: vec!["create_*".into()],
            exclude: Vec::new(),
        };
        assert!(matches!(filter.apply(), Err(FilterError::Empty(_))));
        let unmatched = ToolFilter {
            include: vec!["nothing_*".into()],
            ..Default::default()
        };
        assert!(matches!(unmatched.apply(), Err(FilterError::NoMatch(p)) if p == "nothing_*"));
    }
}

//! What the SCIM toolsets (users, groups, roles) share: cursor paging over SCIM's
//! `startIndex`/`count` (a cursor is the 1-based index of the next entry), and the members of
//! a group or role as an id with a readable name.

use rmcp::schemars::{self, JsonSchema};
use serde::Serialize;

use super::{ToolError, input};

/// A user, group or role that something refers to.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Member {
    /// From SCIM's `value` and `display`; `None` without an id.
    pub fn from_parts(id: Option<String>, name: Option<String>) -> Option<Self> {
        Some(Self { id: id?, name })
    }

    pub fn id_only(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: None,
        }
    }
}

/// One page of a SCIM list: where it starts and how many it asks for.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub start: i32,
    pub count: i32,
}

impl Page {
    /// The page a tool's `cursor` and `limit` ask for (50 by default, at most 100).
    pub fn asked(cursor: Option<&str>, limit: Option<u32>) -> Result<Self, ToolError> {
        let start = match cursor {
            None => 1,
            Some(c) => c
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ToolError::invalid("cursor", "is not a cursor a previous answer gave")
                })?,
        };
        let count = i32::try_from(limit.unwrap_or(50).clamp(1, 100)).unwrap_or(50);
        Ok(Self { start, count })
    }

    /// The cursor of the page after this one, when there is one.
    pub fn next_cursor(&self, returned: usize, total: Option<i64>) -> Option<String> {
        let next = i64::from(self.start) + returned as i64;
        (returned > 0 && total.is_some_and(|t| next <= t)).then(|| next.to_string())
    }
}

/// Checked identifiers without repeats, at most `max`.
pub fn ids(argument: &str, values: &[String], max: usize) -> Result<Vec<String>, ToolError> {
    input::at_most(argument, values, max)?;
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let id = input::path_segment(argument, value)?.to_owned();
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// The id of what a write created, from its `Location` when its answer could not be read.
pub fn id_from_location(location: Option<&str>) -> Option<String> {
    location?
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_walk_the_pages_and_stop_at_the_end() {
        let first = Page::asked(None, Some(2)).unwrap();
        assert_eq!(first.next_cursor(2, Some(5)).as_deref(), Some("3"));
        let last = Page::asked(Some("5"), Some(2)).unwrap();
        assert_eq!(last.next_cursor(1, Some(5)), None);
        assert_eq!(first.next_cursor(0, Some(5)), None);
        assert!(Page::asked(Some("0"), None).is_err());
        assert!(Page::asked(Some("abc"), None).is_err());
        assert_eq!(Page::asked(None, Some(1000)).unwrap().count, 100);
    }
}

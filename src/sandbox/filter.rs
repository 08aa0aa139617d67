//! The filter expressions the list endpoints take, read by the same parsers the tools' builders
//! are tested against: `wso2::filter` (the server's `FilterTreeBuilder`, quirks included) for
//! the server APIs, `wso2::scim` for SCIM lists, with SCIM's `startIndex`/`count` paging.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::error::ApiError;
use crate::wso2::{filter, scim};

/// A SCIM list request: the 1-based start, how many, and the clauses all entries must meet.
pub struct ScimQuery {
    pub start: usize,
    pub count: usize,
    pub clauses: Vec<scim::Clause>,
}

impl ScimQuery {
    pub fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let number = |key: &str, default: usize| -> Result<usize, ApiError> {
            query.get(key).map_or(Ok(default), |v| {
                v.parse().map_err(|_| {
                    ApiError::bad_request(
                        "invalidValue",
                        format!("`{key}` must be a non-negative integer"),
                    )
                    .scim()
                })
            })
        };
        Ok(Self {
            start: number("startIndex", 1)?.max(1),
            count: number("count", 100)?,
            clauses: query
                .get("filter")
                .filter(|f| !f.trim().is_empty())
                .map(|f| {
                    scim::parse_filter(f)
                        .map_err(|e| ApiError::bad_request("invalidFilter", e).scim())
                })
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// Whether `value_of(attribute)` meets every clause (an unknown attribute never does).
    pub fn matches<'a>(&self, value_of: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.clauses
            .iter()
            .all(|c| value_of(&c.attribute).is_some_and(|v| c.matches(v)))
    }

    /// The SCIM list answer for the entries that match, this page of them.
    pub fn answer<T: serde::Serialize>(&self, matching: Vec<T>) -> Value {
        let total = matching.len();
        let page: Vec<T> = matching
            .into_iter()
            .skip(self.start - 1)
            .take(self.count)
            .collect();
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": total,
            "startIndex": self.start,
            "itemsPerPage": page.len(),
            "Resources": page,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter(filter::Filter);

impl Filter {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        filter::parse(text)
            .map(Filter)
            .map_err(|e| ApiError::bad_request("SANDBOX-FILTER", format!("invalid filter: {e}")))
    }

    /// Whether `lookup(attribute)` satisfies the filter; an unknown attribute never matches.
    pub fn matches<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.matches(&lookup)
    }

    /// As an endpoint that flattens the filter reads it: every clause must hold, whatever
    /// `or` or `not` stood between them (`FilterQueriesUtil.setExpressionNodeList`).
    pub fn matches_flattened<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.clauses().iter().all(|c| c.matches(&lookup))
    }

    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.0.attributes().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(filter: &str, name: &str) -> bool {
        Filter::parse(filter)
            .unwrap()
            .matches(|a| (a == "name").then_some(name))
    }

    #[test]
    fn operators() {
        assert!(check("name eq My App", "My App"));
        assert!(check("name eq \"My App\"", "My App"));
        assert!(!check("name eq My", "My App"));
        assert!(check("name sw My", "My App"));
        assert!(check("name ew App", "My App"));
        assert!(check("name co y A", "My App"));
        assert!(check("name ne Other", "My App"));
        assert!(check("name sw My and name ew App", "My App"));
        assert!(check("name eq Other or name eq \"My App\"", "My App"));
        assert!(!check("clientId eq x", "My App"));
    }

    #[test]
    fn malformed_filters_are_400() {
        assert!(Filter::parse("name").is_err());
        assert!(Filter::parse("name xx 3").is_err());
    }
}

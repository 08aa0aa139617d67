//! The filter expressions the list endpoints take, read by the same parser the tools' builder
//! is tested against (`wso2::filter`, which follows the server's `FilterTreeBuilder`), so the
//! sandbox reads a filter exactly the way a real server would, quirks included.

use super::error::ApiError;
use crate::wso2::filter;

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

//! The filter expressions WSO2's list endpoints take: `attr op value`, joined by `and`, with
//! `eq`, `ne`, `sw`, `ew`, `co` (case-insensitive operators, optionally quoted values).

use super::error::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    attribute: String,
    op: Op,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Sw,
    Ew,
    Co,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut clauses = Vec::new();
        for part in split_and(text) {
            let mut words = part.trim().splitn(3, ' ');
            let (Some(attribute), Some(op), Some(value)) =
                (words.next(), words.next(), words.next())
            else {
                return Err(ApiError::bad_request(
                    "SANDBOX-FILTER",
                    format!("filter `{text}` is not `attribute operator value`"),
                ));
            };
            let op = match op.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "sw" => Op::Sw,
                "ew" => Op::Ew,
                "co" => Op::Co,
                other => {
                    return Err(ApiError::bad_request(
                        "SANDBOX-FILTER",
                        format!("filter operator `{other}` is not supported (eq, ne, sw, ew, co)"),
                    ));
                }
            };
            let value = value.trim().trim_matches('"').to_owned();
            clauses.push(Clause {
                attribute: attribute.to_owned(),
                op,
                value,
            });
        }
        Ok(Self { clauses })
    }

    /// Whether `lookup(attribute)` satisfies every clause; an unknown attribute never matches.
    pub fn matches<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.clauses.iter().all(|c| {
            let Some(actual) = lookup(&c.attribute) else {
                return false;
            };
            match c.op {
                Op::Eq => actual == c.value,
                Op::Ne => actual != c.value,
                Op::Sw => actual.starts_with(&c.value),
                Op::Ew => actual.ends_with(&c.value),
                Op::Co => actual.contains(&c.value),
            }
        })
    }

    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.clauses.iter().map(|c| c.attribute.as_str())
    }
}

fn split_and(text: &str) -> Vec<&str> {
    let lower = text.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(" and ") {
        let at = search + found;
        parts.push(&text[start..at]);
        start = at + 5;
        search = start;
    }
    parts.push(&text[start..]);
    parts
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
        assert!(!check("clientId eq x", "My App"));
    }

    #[test]
    fn malformed_filters_are_400() {
        assert!(Filter::parse("name").is_err());
        assert!(Filter::parse("name gt 3").is_err());
    }
}

//! The bits of SCIM 2.0 grammar (RFC 7644) the tools write and the sandbox reads: filter
//! clauses with JSON-quoted values (§3.4.2.2) and value-path selectors in PATCH paths
//! (`members[value eq "id"]`, §3.5.2). One writer and one parser, round-trip tested, so a
//! hostile value can never change what a filter or a path selects.

use serde_json::Value;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A filter comparison SCIM servers support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Co,
    Sw,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Co => "co",
            Op::Sw => "sw",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "eq" => Some(Op::Eq),
            "co" => Some(Op::Co),
            "sw" => Some(Op::Sw),
            _ => None,
        }
    }
}

/// `attribute op "value"`, the value as a JSON string.
pub fn clause(attribute: &str, op: Op, value: &str) -> String {
    format!(
        "{attribute} {} {}",
        op.as_str(),
        Value::String(value.to_owned())
    )
}

/// `attribute[value eq "id"]`: the one entry of a multi-valued attribute with that value.
pub fn value_path(attribute: &str, value: &str) -> String {
    format!("{attribute}[{}]", clause("value", Op::Eq, value))
}

/// A parsed `attribute op "value"` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub attribute: String,
    pub op: Op,
    pub value: String,
}

impl Clause {
    pub fn matches(&self, actual: &str) -> bool {
        match self.op {
            Op::Eq => actual.eq_ignore_ascii_case(&self.value),
            Op::Co => actual
                .to_ascii_lowercase()
                .contains(&self.value.to_ascii_lowercase()),
            Op::Sw => actual
                .to_ascii_lowercase()
                .starts_with(&self.value.to_ascii_lowercase()),
        }
    }
}

/// Parses one clause; the value is a JSON string, or a bare word.
pub fn parse_clause(text: &str) -> Option<Clause> {
    let text = text.trim();
    let (attribute, rest) = text.split_once(char::is_whitespace)?;
    let (op, value) = rest.trim_start().split_once(char::is_whitespace)?;
    let value = value.trim();
    let value = if value.starts_with('"') {
        serde_json::from_str::<String>(value).ok()?
    } else {
        value.to_owned()
    };
    Some(Clause {
        attribute: attribute.to_owned(),
        op: Op::parse(op)?,
        value,
    })
}

/// Parses `clause and clause ...` (the conjunctions the tools write); `and` inside a quoted
/// value is part of the value.
pub fn parse_filter(text: &str) -> Result<Vec<Clause>, String> {
    let mut clauses = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut rest = text.trim();
    while let Some(c) = rest.chars().next() {
        if !quoted && rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(" and ") {
            clauses.push(current.clone());
            current.clear();
            rest = &rest[5..];
            continue;
        }
        match c {
            '\\' if quoted && !escaped => escaped = true,
            '"' if !escaped => {
                quoted = !quoted;
                escaped = false;
            }
            _ => escaped = false,
        }
        current.push(c);
        rest = &rest[c.len_utf8()..];
    }
    clauses.push(current);
    clauses
        .iter()
        .map(|c| {
            parse_clause(c).ok_or_else(|| format!("cannot read the filter clause `{}`", c.trim()))
        })
        .collect()
}

/// Parses `attribute[value eq "id"]` into the attribute and the selected value.
pub fn parse_value_path(path: &str) -> Option<(String, String)> {
    let (attribute, rest) = path.trim().split_once('[')?;
    let inner = rest.strip_suffix(']')?;
    let clause = parse_clause(inner)?;
    (clause.attribute == "value" && clause.op == Op::Eq)
        .then(|| (attribute.trim().to_owned(), clause.value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clauses_quote_their_values() {
        assert_eq!(
            clause("userName", Op::Eq, "alice"),
            r#"userName eq "alice""#
        );
        assert_eq!(
            value_path("members", r#"x"] or [value eq "y"#),
            r#"members[value eq "x\"] or [value eq \"y"]"#
        );
    }

    proptest! {
        #[test]
        fn any_value_round_trips(value in any::<String>()) {
            let parsed = parse_clause(&clause("userName", Op::Sw, &value)).unwrap();
            prop_assert_eq!(parsed.value, value.clone());
            prop_assert_eq!(parsed.op, Op::Sw);
            let (attribute, selected) = parse_value_path(&value_path("users", &value)).unwrap();
            prop_assert_eq!(attribute, "users");
            prop_assert_eq!(selected, value);
        }
    }

    #[test]
    fn conjunctions_split_outside_quotes_only() {
        let text = format!(
            "{} and {}",
            clause("userName", Op::Sw, "rock and roll"),
            clause("emails", Op::Co, "@x.org")
        );
        let parsed = parse_filter(&text).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].value, "rock and roll");
        assert_eq!(parsed[1].attribute, "emails");
        assert!(parse_filter("userName").is_err());
    }

    #[test]
    fn matching_is_case_insensitive_as_scim_says_for_strings() {
        let c = parse_clause("userName sw Ali").unwrap();
        assert!(c.matches("alice"));
        assert!(
            !parse_clause(r#"emails co "@example.org""#)
                .unwrap()
                .matches("a@example.com")
        );
        assert_eq!(parse_value_path("members"), None);
    }
}

//! WSO2's filter expressions (`name eq "My App" and clientId eq abc`): one builder that writes
//! them for every tool, and one parser that reads them the way the server does, for the sandbox.
//!
//! The grammar is that of `FilterTreeBuilder` in wso2/carbon-identity-framework
//! (identity-core, `org.wso2.carbon.identity.core.model`), which applications, API resources,
//! authenticators and IdPs share. Its quirks decide what the builder may write:
//! - outside quotes, words are runs of `[A-Za-z0-9@:_\-+.*/]` and of characters from U+00A0 up;
//!   every other printable character (`&`, `#`, `,`, `'`...) is silently dropped and words are
//!   joined by one space, so an unquoted `R&D` reads as `R D`;
//! - `"` and `'` quote (with `\"`, `\\` and C-style escapes); a quote ends at a line break;
//! - `and`, `or` and `not` are keywords only unquoted and only in lower case when the tree is
//!   built (`AND` silently ends the expression);
//! - a clause is split at the first operator found anywhere in it, in the order
//!   eq, ne, co, sw, ew, pr, gt, ge, lt, le, and its value is trimmed; so a value containing
//!   ` eq ` (or an operator that precedes the clause's own) cannot be expressed at all.
//!
//! The builder therefore quotes every value and refuses (with [`Unrepresentable`]) any clause
//! that would not read back as written; callers then search by a fragment and compare exactly.

use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Pr,
    Gt,
    Ge,
    Lt,
    Le,
}

/// The order in which the server looks for operators in a clause.
const SEARCH_ORDER: [Op; 10] = [
    Op::Eq,
    Op::Ne,
    Op::Co,
    Op::Sw,
    Op::Ew,
    Op::Pr,
    Op::Gt,
    Op::Ge,
    Op::Lt,
    Op::Le,
];

impl Op {
    pub fn keyword(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Pr => "pr",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }

    /// What the server searches for: ` eq ` (` pr` has no trailing space).
    fn marker(self) -> String {
        match self {
            Op::Pr => " pr".to_owned(),
            other => format!(" {} ", other.keyword()),
        }
    }

    /// Whether `actual` satisfies `self value` (case-sensitive, as a binary collation does).
    pub fn holds(self, actual: &str, value: &str) -> bool {
        match self {
            Op::Eq => actual == value,
            Op::Ne => actual != value,
            Op::Co => actual.contains(value),
            Op::Sw => actual.starts_with(value),
            Op::Ew => actual.ends_with(value),
            Op::Pr => !actual.is_empty(),
            Op::Gt => actual > value,
            Op::Ge => actual >= value,
            Op::Lt => actual < value,
            Op::Le => actual <= value,
        }
    }
}

/// A filter expression tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Clause {
        attribute: String,
        op: Op,
        value: String,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

/// A clause the server's parser would read differently from what was meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepresentable {
    pub value: String,
    pub why: &'static str,
}

impl fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` cannot be written in a filter: {}",
            self.value, self.why
        )
    }
}

impl std::error::Error for Unrepresentable {}

impl Filter {
    /// `attribute op "value"`, or why the server could not read that back.
    pub fn clause(attribute: &str, op: Op, value: &str) -> Result<Self, Unrepresentable> {
        let refuse = |why| {
            Err(Unrepresentable {
                value: value.to_owned(),
                why,
            })
        };
        if value.contains(['\n', '\r']) {
            return refuse("a line break ends a quoted value");
        }
        if value.trim() != value || value.is_empty() {
            return refuse("the server trims values, so leading or trailing spaces are lost");
        }
        let filter = Filter::Clause {
            attribute: attribute.to_owned(),
            op,
            value: value.to_owned(),
        };
        match parse(&filter.to_string()) {
            Ok(read) if read == filter => Ok(filter),
            _ => refuse("it contains an operator word (such as ` eq `) that the server splits on"),
        }
    }

    pub fn and(self, other: Filter) -> Filter {
        Filter::And(Box::new(self), Box::new(other))
    }

    pub fn or(self, other: Filter) -> Filter {
        Filter::Or(Box::new(self), Box::new(other))
    }

    /// Whether `lookup(attribute)` satisfies the filter; an unknown attribute never matches.
    pub fn matches<'a>(&self, lookup: &impl Fn(&str) -> Option<&'a str>) -> bool {
        match self {
            Filter::Clause {
                attribute,
                op,
                value,
            } => lookup(attribute).is_some_and(|actual| op.holds(actual, value)),
            Filter::And(a, b) => a.matches(lookup) && b.matches(lookup),
            Filter::Or(a, b) => a.matches(lookup) || b.matches(lookup),
            Filter::Not(a) => !a.matches(lookup),
        }
    }

    /// Whether every condition is joined by `and`: the only way endpoints that flatten the
    /// tree read a filter as written (the API resources list: `FilterQueriesUtil`).
    pub fn is_conjunction(&self) -> bool {
        match self {
            Filter::Clause { .. } => true,
            Filter::And(a, b) => a.is_conjunction() && b.is_conjunction(),
            Filter::Or(..) | Filter::Not(_) => false,
        }
    }

    /// Every clause, the operators between them dropped: how `FilterQueriesUtil` reads a
    /// filter (each term ANDed, `or` and `not` lost).
    pub fn clauses(&self) -> Vec<&Filter> {
        match self {
            Filter::Clause { .. } => vec![self],
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut all = a.clauses();
                all.extend(b.clauses());
                all
            }
            Filter::Not(a) => a.clauses(),
        }
    }

    /// Every attribute the filter names.
    pub fn attributes(&self) -> Vec<&str> {
        match self {
            Filter::Clause { attribute, .. } => vec![attribute.as_str()],
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut all = a.attributes();
                all.extend(b.attributes());
                all
            }
            Filter::Not(a) => a.attributes(),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Clause {
                attribute,
                op: Op::Pr,
                ..
            } => write!(f, "{attribute} pr"),
            Filter::Clause {
                attribute,
                op,
                value,
            } => {
                write!(f, "{attribute} {} \"", op.keyword())?;
                for c in value.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
            Filter::And(a, b) => write!(f, "({a}) and ({b})"),
            Filter::Or(a, b) => write!(f, "({a}) or ({b})"),
            Filter::Not(a) => write!(f, "not ({a})"),
        }
    }
}

/// A filter the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Reads a filter the way the server does.
pub fn parse(text: &str) -> Result<Filter, ParseError> {
    let mut tokens = tokenize(text).into_iter();
    let mut parser = Parser {
        tokens: &mut tokens,
        symbol: String::new(),
    };
    let tree = parser.expression()?;
    Ok(tree)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@:_-+.*/".contains(c) || (c as u32) >= 160
}

/// The token list of `FilterTreeBuilder`'s constructor: `(`, `)`, keywords as written, and the
/// words and quoted strings between them joined by single spaces.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut pending = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if (c as u32) <= 32 {
            continue;
        }
        if is_word_char(c) {
            let mut word = String::from(c);
            while let Some(&next) = chars.peek() {
                if !is_word_char(next) {
                    break;
                }
                word.push(next);
                chars.next();
            }
            if ["and", "or", "not"]
                .iter()
                .any(|k| word.eq_ignore_ascii_case(k))
            {
                let trimmed = pending.trim().to_owned();
                if !trimmed.is_empty() {
                    tokens.push(trimmed);
                }
                pending.clear();
                tokens.push(word);
            } else {
                pending.push(' ');
                pending.push_str(&word);
            }
        } else if c == '"' || c == '\'' {
            let mut quoted = String::new();
            while let Some(d) = chars.next() {
                if d == c || d == '\n' || d == '\r' {
                    break;
                }
                if d == '\\' {
                    let Some(e) = chars.next() else { break };
                    quoted.push(match e {
                        'a' => '\u{7}',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'v' => '\u{b}',
                        other => other,
                    });
                } else {
                    quoted.push(d);
                }
            }
            pending.push(' ');
            pending.push_str(&quoted);
        } else if c == '(' {
            tokens.push("(".into());
        } else if c == ')' {
            tokens.push(pending.trim().to_owned());
            pending.clear();
            tokens.push(")".into());
        }
        // Any other character is an "ordinary" token the server ignores.
    }
    if !pending.is_empty() {
        tokens.push(pending);
    }
    tokens
}

struct Parser<'a, I: Iterator<Item = String>> {
    tokens: &'a mut I,
    symbol: String,
}

impl<I: Iterator<Item = String>> Parser<'_, I> {
    fn next(&mut self) {
        self.symbol = self.tokens.next().unwrap_or_else(|| "-1".to_owned());
    }

    fn expression(&mut self) -> Result<Filter, ParseError> {
        let mut root = self.term()?;
        while self.symbol == "or" {
            let right = self.term()?;
            root = Filter::Or(Box::new(root), Box::new(right));
        }
        Ok(root)
    }

    fn term(&mut self) -> Result<Filter, ParseError> {
        let mut root = self.factor()?;
        while self.symbol == "and" {
            let right = self.factor()?;
            root = Filter::And(Box::new(root), Box::new(right));
        }
        Ok(root)
    }

    fn factor(&mut self) -> Result<Filter, ParseError> {
        self.next();
        if self.symbol == "not" {
            let inner = self.factor()?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.symbol == "(" {
            let inner = self.expression()?;
            self.next();
            return Ok(inner);
        }
        let clause = clause_of(&self.symbol)?;
        self.next();
        Ok(clause)
    }
}

/// `validateAndBuildFilterExpression`: the first operator found anywhere decides the split.
fn clause_of(text: &str) -> Result<Filter, ParseError> {
    let lower = text.to_lowercase();
    for op in SEARCH_ORDER {
        let marker = op.marker();
        if !lower.contains(&marker) {
            continue;
        }
        let trimmed = text.trim();
        let parts = split_case_insensitive(trimmed, &marker);
        let attribute = parts.first().map_or("", |p| p.trim());
        let value = if op == Op::Pr {
            String::new()
        } else {
            parts
                .get(1)
                .map(|v| v.trim().to_owned())
                .ok_or_else(|| ParseError(format!("`{text}` has no value")))?
        };
        if attribute.is_empty() {
            return Err(ParseError(format!("`{text}` names no attribute")));
        }
        return Ok(Filter::Clause {
            attribute: attribute.to_owned(),
            op,
            value,
        });
    }
    Err(ParseError(format!(
        "`{}` is not `attribute operator value` (operators: eq, ne, co, sw, ew, pr, gt, ge, lt, le)",
        text.trim()
    )))
}

/// Java's `String.split` on `marker` in any letter case, trailing empty parts dropped.
fn split_case_insensitive<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let lower = text.to_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    // Lower-casing keeps byte offsets only for ASCII; the markers are ASCII, and a non-ASCII
    // text whose lower case changes length falls back to exact-case matching.
    let haystack = if lower.len() == text.len() {
        lower
    } else {
        text.to_owned()
    };
    let mut from = 0;
    while let Some(at) = haystack[from..].find(marker) {
        let at = from + at;
        parts.push(&text[start..at]);
        start = at + marker.len();
        from = start;
    }
    parts.push(&text[start..]);
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// The longest run of `value` that fits in a `co` clause, for a search that is then narrowed
/// by comparing names exactly.
pub fn searchable_fragment(attribute: &str, value: &str) -> Option<Filter> {
    let mut best: Option<(usize, Filter)> = None;
    let words: Vec<&str> = value.split(' ').collect();
    for start in 0..words.len() {
        for end in (start + 1..=words.len()).rev() {
            let candidate = words[start..end].join(" ");
            let len = candidate.chars().count();
            if best.as_ref().is_some_and(|(l, _)| *l >= len) {
                break;
            }
            if let Ok(filter) = Filter::clause(attribute, Op::Co, &candidate) {
                best = Some((len, filter));
                break;
            }
        }
    }
    best.map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(attribute: &str, op: Op, value: &str) -> Filter {
        Filter::Clause {
            attribute: attribute.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn the_servers_quirks_are_reproduced() {
        assert_eq!(
            parse("name eq My App").unwrap(),
            clause("name", Op::Eq, "My App")
        );
        // Unquoted, `and` splits the value into a second clause, and `&` disappears.
        assert!(matches!(
            parse("name eq Research and Development"),
            Err(_) | Ok(Filter::And(..))
        ));
        assert_eq!(parse("name eq R&D").unwrap(), clause("name", Op::Eq, "R D"));
        // Upper-case AND ends the expression silently.
        assert_eq!(
            parse("name eq a AND clientId eq b").unwrap(),
            clause("name", Op::Eq, "a")
        );
        assert_eq!(
            parse("name sw a and clientId eq b").unwrap(),
            clause("name", Op::Sw, "a").and(clause("clientId", Op::Eq, "b"))
        );
        assert_eq!(
            parse("(name co x) or not (name ew y)").unwrap(),
            clause("name", Op::Co, "x").or(Filter::Not(Box::new(clause("name", Op::Ew, "y"))))
        );
        assert_eq!(
            parse(r#"name eq "a \"b\" \\ c""#).unwrap(),
            clause("name", Op::Eq, r#"a "b" \ c"#)
        );
        assert!(parse("name").is_err());
    }

    #[test]
    fn hostile_values_round_trip_or_are_refused() {
        let values = [
            "Research and Development",
            "Sales or Marketing",
            "not mine",
            "R&D",
            "He said \"hi\"",
            "back\\slash",
            "(parenthesised) app",
            "naïve café 日本語 🚀",
            "it's",
            "a  b",
            "50% off_sale",
            "My product",
            "x eq y",
            "x co y",
            " padded",
            "line\nbreak",
            "AND",
            "or",
        ];
        for value in values {
            for op in [Op::Eq, Op::Co, Op::Sw, Op::Ew] {
                match Filter::clause("name", op, value) {
                    Ok(filter) => {
                        assert_eq!(parse(&filter.to_string()).unwrap(), filter, "{value:?}");
                        assert!(
                            filter.matches(&|a| (a == "name").then_some(value)) || op == Op::Ne
                        );
                    }
                    Err(err) => {
                        assert!(
                            value.contains('\n')
                                || value.trim() != value
                                || value.to_lowercase().contains(" eq ")
                                || value.to_lowercase().contains(" co "),
                            "{value:?} refused: {err}"
                        );
                    }
                }
            }
        }
        let both = Filter::clause("name", Op::Eq, "Research and Development")
            .unwrap()
            .and(Filter::clause("clientId", Op::Eq, "a or b").unwrap());
        assert_eq!(parse(&both.to_string()).unwrap(), both);
    }

    #[test]
    fn an_unrepresentable_value_still_has_a_searchable_fragment() {
        let fragment = searchable_fragment("name", "Tom eq Jerry show").unwrap();
        assert_eq!(fragment, clause("name", Op::Co, "Jerry show"));
        assert_eq!(
            searchable_fragment("name", "Plain name").unwrap(),
            clause("name", Op::Co, "Plain name")
        );
    }
}

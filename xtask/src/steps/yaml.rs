//! YAML to JSON. Mapping keys become strings (`200:` is a status code, not a number) and a
//! duplicate key is an error rather than a silent overwrite.

use anyhow::{Result, bail};
use serde_json::{Map, Value};

pub fn parse(text: &str) -> Result<Value> {
    let yaml: serde_norway::Value = serde_norway::from_str(text)?;
    to_json(yaml)
}

fn to_json(yaml: serde_norway::Value) -> Result<Value> {
    use serde_norway::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n)?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_>>()?),
        Y::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => bail!("unsupported mapping key {other:?}"),
                };
                if map.insert(key.clone(), to_json(value)?).is_some() {
                    bail!("duplicate key `{key}`");
                }
            }
            Value::Object(map)
        }
        Y::Tagged(tagged) => to_json(tagged.value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_keys_become_strings() {
        let doc = parse("responses:\n  200:\n    description: ok\n").unwrap();
        assert_eq!(doc["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert!(parse("a: 1\na: 2\n").is_err());
    }
}

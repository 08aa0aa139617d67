//! Canonical JSON: sorted keys (serde_json's map is a BTreeMap here), two-space indentation,
//! a final newline. The same document always renders to the same bytes.

use anyhow::Result;
use serde_json::Value;

pub fn to_string(doc: &Value) -> Result<String> {
    let mut out = serde_json::to_string_pretty(doc)?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_whatever_the_input_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"d":2,"c":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"c":3,"d":2},"b":1}"#).unwrap();
        assert_eq!(to_string(&a).unwrap(), to_string(&b).unwrap());
        assert_eq!(
            to_string(&a).unwrap(),
            "{\n  \"a\": {\n    \"c\": 3,\n    \"d\": 2\n  },\n  \"b\": 1\n}\n"
        );
    }
}

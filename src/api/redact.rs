//! Hides secret values in JSON that is about to be shown (a dry run's requests, a resource
//! before and after a change): a string under a key that names a secret, and the `value` of a
//! `{"key": …, "value": …}` property whose key does (how WSO2 carries a connection's secret).

use serde_json::Value;

pub const REDACTED: &str = "<redacted>";

fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['_', '-'], "");
    ["secret", "password", "privatekey", "credential"]
        .iter()
        .any(|word| key.contains(word))
}

/// Replaces every secret string in `value` with [`REDACTED`].
pub fn redact_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let property_is_secret = map
                .get("key")
                .and_then(Value::as_str)
                .is_some_and(names_a_secret);
            for (key, inner) in map.iter_mut() {
                let secret = names_a_secret(key) || (property_is_secret && key == "value");
                if secret && inner.is_string() {
                    *inner = Value::String(REDACTED.into());
                } else if secret && inner.is_array() {
                    // `"password": ["…"]`, or SCIM's multi-valued secrets.
                    for item in inner.as_array_mut().into_iter().flatten() {
                        if item.is_string() {
                            *item = Value::String(REDACTED.into());
                        } else {
                            redact_secrets(item);
                        }
                    }
                } else {
                    redact_secrets(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_hidden_wherever_they_sit() {
        let mut value = json!({
            "name": "Google",
            "clientSecret": "s3cret",
            "password": "hunter2",
            "federatedAuthenticators": { "authenticators": [{ "properties": [
                { "key": "ClientId", "value": "public-id" },
                { "key": "ClientSecret", "value": "s3cret" },
                { "key": "private_key", "value": "-----BEGIN" }
            ] }] },
            "accessToken": { "type": "JWT" }
        });
        redact_secrets(&mut value);
        let text = value.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("hunter2") && !text.contains("BEGIN"),
            "{text}"
        );
        assert!(
            text.contains("public-id"),
            "non-secret properties stay: {text}"
        );
        assert_eq!(
            value["accessToken"],
            json!({ "type": "JWT" }),
            "configuration objects stay"
        );
        assert_eq!(value["clientSecret"], json!(REDACTED));
    }
}

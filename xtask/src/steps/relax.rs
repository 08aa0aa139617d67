//! Tolerance: response schemas are relaxed where the live server sends more than the spec
//! allows, so that a real response never fails to decode. Each relaxation comes from the
//! manifest with its reason; one that no longer applies is an error, so none goes stale.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::manifest::{Relaxation, RelaxedKeyword};

pub fn apply(doc: &mut Value, relaxations: &[Relaxation]) -> Result<()> {
    for relax in relaxations {
        let Some(target) = doc.pointer_mut(&relax.at).and_then(Value::as_object_mut) else {
            bail!(
                "relaxation at {} ({}): nothing there",
                relax.at,
                relax.reason
            );
        };
        let applied = match relax.drop {
            RelaxedKeyword::Enum => target.remove("enum").is_some(),
            RelaxedKeyword::Required => target.remove("required").is_some(),
            RelaxedKeyword::Pattern => target.remove("pattern").is_some(),
        };
        if !applied {
            bail!(
                "relaxation at {} ({}): `{:?}` does not apply there",
                relax.at,
                relax.reason,
                relax.drop
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn relax(at: &str, drop: RelaxedKeyword) -> Relaxation {
        Relaxation {
            at: at.into(),
            drop,
            reason: "live server".into(),
        }
    }

    #[test]
    fn drops_enum_and_required_where_listed() {
        let mut doc = json!({ "components": { "schemas": { "App": {
            "required": ["id"], "properties": { "access": { "type": "string", "enum": ["READ"] } } } } } });
        apply(
            &mut doc,
            &[
                relax(
                    "/components/schemas/App/properties/access",
                    RelaxedKeyword::Enum,
                ),
                relax("/components/schemas/App", RelaxedKeyword::Required),
            ],
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({ "components": { "schemas": { "App": { "properties": { "access": { "type": "string" } } } } } })
        );
    }

    #[test]
    fn a_stale_relaxation_is_an_error() {
        let mut doc = json!({ "components": { "schemas": { "App": {} } } });
        assert!(
            apply(
                &mut doc,
                &[relax("/components/schemas/App", RelaxedKeyword::Enum)]
            )
            .is_err()
        );
        assert!(
            apply(
                &mut doc,
                &[relax("/components/schemas/Gone", RelaxedKeyword::Enum)]
            )
            .is_err()
        );
    }
}

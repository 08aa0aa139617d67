//! Properties the server serializes under another name than the document gives (its model's
//! `@JsonProperty`), renamed to the wire name, each from the manifest with its reason. One whose
//! property is gone is an error, so none goes stale.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::manifest::WireName;

pub fn apply(doc: &mut Value, names: &[WireName]) -> Result<()> {
    for wire in names {
        let Some((parent, property)) = wire.at.rsplit_once('/') else {
            bail!("wire name at {}: not a property pointer", wire.at);
        };
        let Some(properties) = doc.pointer_mut(parent).and_then(Value::as_object_mut) else {
            bail!("wire name at {} ({}): nothing there", wire.at, wire.reason);
        };
        let Some(schema) = properties.remove(property) else {
            bail!(
                "wire name at {} ({}): no such property",
                wire.at,
                wire.reason
            );
        };
        properties.insert(wire.name.clone(), schema);
        // A `required` list beside `properties` names the property too.
        let owner = parent.trim_end_matches("/properties");
        if let Some(required) = doc
            .pointer_mut(&format!("{owner}/required"))
            .and_then(Value::as_array_mut)
        {
            for name in required.iter_mut() {
                if name.as_str() == Some(property) {
                    *name = Value::String(wire.name.clone());
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(at: &str, name: &str) -> WireName {
        WireName {
            at: at.into(),
            name: name.into(),
            reason: "the model's @JsonProperty".into(),
        }
    }

    #[test]
    fn a_property_takes_its_wire_name_and_a_stale_one_fails() {
        let mut doc = json!({ "components": { "schemas": { "List": {
            "required": ["APIResources"],
            "properties": { "APIResources": { "type": "array" }, "links": {} } } } } });
        let at = "/components/schemas/List/properties/APIResources";
        apply(&mut doc, &[wire(at, "apiResources")]).unwrap();
        assert_eq!(
            doc["components"]["schemas"]["List"],
            json!({ "required": ["apiResources"], "properties": { "apiResources": { "type": "array" }, "links": {} } })
        );
        assert!(apply(&mut doc, &[wire(at, "apiResources")]).is_err());
    }
}

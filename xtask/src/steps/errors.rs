//! Errors are read by the seam, whatever their shape: every non-2xx response is removed, so
//! the generated clients hand each error over whole (status, headers, bytes) instead of
//! decoding it into the document's error schema. Real servers answer the same operation with
//! several shapes: charon's SCIM errors carry a string `status`, the authentication valve's an
//! integer one; a 403 from the SCIM endpoint for a super-admin has no body at all; a gateway
//! answers HTML. A typed error that fails to decode would hide the status and the server's
//! words behind "could not be read".

use serde_json::Value;

use super::for_each_operation;

pub fn read_by_the_seam(doc: &mut Value) {
    for_each_operation(doc, |_, _, op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses.retain(|status, _| status.starts_with('2'));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_successes_remain() {
        let mut doc = json!({ "paths": { "/a": { "get": { "responses": {
            "200": { "description": "" },
            "401": { "description": "" },
            "404": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
            "default": { "description": "" } } } } } });
        read_by_the_seam(&mut doc);
        assert_eq!(
            doc["paths"]["/a"]["get"]["responses"],
            json!({ "200": { "description": "" } })
        );
    }
}

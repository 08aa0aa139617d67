//! Repairs made on the YAML text, before parsing, because a parser would lose data:
//! trailing tabs (YAML forbids them after a plain scalar) and the mis-indented
//! `UserObjectPassInvite` of scim2-users.yaml, which a loader folds into `UserObject`.

/// The mis-indented line and its correct indentation (a sibling of `UserObject`).
const MISINDENTED: [(&str, &str); 1] =
    [("        UserObjectPassInvite:", "    UserObjectPassInvite:")];

pub fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_end_matches([' ', '\t', '\r']);
        let fixed = MISINDENTED
            .iter()
            .find(|(bad, _)| line == *bad)
            .map_or(line, |(_, good)| good);
        out.push_str(fixed);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_tabs_and_spaces_are_removed() {
        assert_eq!(repair("a: b\t\nc: d  \r\n"), "a: b\nc: d\n");
    }

    #[test]
    fn misindented_invite_schema_becomes_a_sibling() {
        let text = "    UserObject:\n      type: object\n      properties:\n        name:\n          type: string\n        UserObjectPassInvite:\n      type: object\n";
        let doc: serde_norway::Value = serde_norway::from_str(&repair(text)).unwrap();
        assert!(doc.get("UserObjectPassInvite").is_some());
        assert!(
            doc["UserObject"]["properties"]
                .get("UserObjectPassInvite")
                .is_none()
        );
    }
}

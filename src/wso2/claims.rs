//! Claim names as people and models write them (`email`, `first_name`, a URI) resolved to
//! the organization's local claim URIs, with close matches for a name that does not exist.

use std::collections::BTreeMap;

/// A requested claim the organization does not have, with the closest names it does have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownClaim {
    pub name: String,
    pub close: Vec<String>,
}

/// The short names a model naturally uses for common claims.
const CLAIM_ALIASES: [(&str, &str); 8] = [
    ("first_name", "http://wso2.org/claims/givenname"),
    ("firstname", "http://wso2.org/claims/givenname"),
    ("last_name", "http://wso2.org/claims/lastname"),
    ("lastname", "http://wso2.org/claims/lastname"),
    ("email_address", "http://wso2.org/claims/emailaddress"),
    ("phone", "http://wso2.org/claims/mobile"),
    ("mobile", "http://wso2.org/claims/mobile"),
    ("user_name", "http://wso2.org/claims/username"),
];

/// Resolves each requested claim to a local claim URI: a URI as is, or a short name via the
/// OIDC dialect (`email`, `given_name`), the local claim's last segment (`username`), its
/// display name, or an alias (`last_name`). Unknown names list close matches.
pub fn resolve_claims(
    requested: &[String],
    local: &[(String, String)],
    oidc: &BTreeMap<String, String>,
) -> Result<Vec<String>, UnknownClaim> {
    let mut resolved = Vec::new();
    for raw in requested {
        let name = raw.trim();
        let lower = name.to_ascii_lowercase();
        let found = local
            .iter()
            .find(|(uri, _)| uri == name)
            .map(|(uri, _)| uri.clone())
            .or_else(|| oidc.get(&lower).cloned())
            .or_else(|| {
                local
                    .iter()
                    .find(|(uri, _)| {
                        uri.rsplit('/')
                            .next()
                            .is_some_and(|s| s.eq_ignore_ascii_case(name))
                    })
                    .map(|(u, _)| u.clone())
            })
            .or_else(|| {
                local
                    .iter()
                    .find(|(_, display)| display.eq_ignore_ascii_case(&name.replace('_', " ")))
                    .map(|(u, _)| u.clone())
            })
            .or_else(|| {
                CLAIM_ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == lower)
                    .map(|(_, uri)| (*uri).to_owned())
                    .filter(|uri| local.iter().any(|(u, _)| u == uri))
            });
        match found {
            Some(uri) => {
                if !resolved.contains(&uri) {
                    resolved.push(uri);
                }
            }
            None => {
                return Err(UnknownClaim {
                    name: name.to_owned(),
                    close: close_matches(&lower, local, oidc),
                });
            }
        }
    }
    Ok(resolved)
}

fn close_matches(
    wanted: &str,
    local: &[(String, String)],
    oidc: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut candidates: Vec<(usize, String)> = local
        .iter()
        .map(|(uri, _)| uri.clone())
        .chain(oidc.keys().cloned())
        .map(|c| {
            let tail = c.rsplit('/').next().unwrap_or(&c).to_ascii_lowercase();
            (edit_distance(wanted, &tail), c)
        })
        .filter(|(d, c)| *d <= 3 || c.to_ascii_lowercase().contains(wanted))
        .collect();
    candidates.sort();
    candidates.dedup_by(|a, b| a.1 == b.1);
    candidates.into_iter().take(3).map(|(_, c)| c).collect()
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> (Vec<(String, String)>, BTreeMap<String, String>) {
        let local = vec![
            (
                "http://wso2.org/claims/username".to_owned(),
                "Username".to_owned(),
            ),
            (
                "http://wso2.org/claims/lastname".to_owned(),
                "Last Name".to_owned(),
            ),
            (
                "http://wso2.org/claims/emailaddress".to_owned(),
                "Email".to_owned(),
            ),
        ];
        let oidc = BTreeMap::from([
            (
                "email".to_owned(),
                "http://wso2.org/claims/emailaddress".to_owned(),
            ),
            (
                "family_name".to_owned(),
                "http://wso2.org/claims/lastname".to_owned(),
            ),
        ]);
        (local, oidc)
    }

    #[test]
    fn short_claim_names_resolve_to_uris() {
        let (local, oidc) = catalogue();
        let uris = resolve_claims(
            &[
                "username".into(),
                "last_name".into(),
                "email".into(),
                "http://wso2.org/claims/username".into(),
            ],
            &local,
            &oidc,
        )
        .unwrap();
        assert_eq!(
            uris,
            [
                "http://wso2.org/claims/username",
                "http://wso2.org/claims/lastname",
                "http://wso2.org/claims/emailaddress"
            ]
        );
    }

    #[test]
    fn an_unknown_claim_lists_close_matches() {
        let (local, oidc) = catalogue();
        let err = resolve_claims(&["usernme".into()], &local, &oidc).unwrap_err();
        assert_eq!(err.name, "usernme");
        assert!(
            err.close
                .contains(&"http://wso2.org/claims/username".to_owned()),
            "{err:?}"
        );
    }
}

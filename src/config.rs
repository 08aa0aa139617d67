//! Configuration from the environment, exactly as the reference server reads it (`BASE_URL`,
//! `CLIENT_ID`, `CLIENT_SECRET`, with `ASGARDEO_*` fallbacks, `PRODUCT_MODE`, `CERT_PATH`),
//! with command-line overrides. Anything missing or malformed is one clear error at start.

use crate::server::Product;
use crate::upstream::UpstreamSettings;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error(
        "missing {0}: set it in the environment (or pass --sandbox to try every tool against the embedded sandbox)"
    )]
    Missing(String),
    #[error("BASE_URL `{0}` is not an http(s) URL such as https://api.asgardeo.io/t/<org>")]
    BadBaseUrl(String),
    #[error("PRODUCT_MODE `{0}` is not known: use `asgardeo` (the default) or `wso2is`")]
    BadProductMode(String),
    #[error("CERT_PATH `{path}` cannot be read: {reason}")]
    BadCertPath { path: String, reason: String },
}

/// Where settings come from: a lookup by variable name (the process environment in `main`,
/// a map in tests) and explicit overrides.
pub struct Sources<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    pub product_mode: Option<String>,
    pub cert_path: Option<String>,
}

fn pick(sources: &Sources<'_>, flag: &Option<String>, names: &[&str]) -> Option<String> {
    flag.clone()
        .or_else(|| names.iter().find_map(|n| (sources.env)(n)))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub fn product(sources: &Sources<'_>) -> Result<Product, ConfigError> {
    match pick(
        sources,
        &sources.product_mode,
        &["PRODUCT_MODE", "ASGARDEO_PRODUCT_MODE"],
    )
    .as_deref()
    .map(str::to_ascii_lowercase)
    .as_deref()
    {
        None | Some("asgardeo") => Ok(Product::Asgardeo),
        Some("wso2is") => Ok(Product::Wso2Is),
        Some(other) => Err(ConfigError::BadProductMode(other.to_owned())),
    }
}

/// The upstream settings, or every missing variable named at once.
pub fn upstream(sources: &Sources<'_>) -> Result<UpstreamSettings, ConfigError> {
    let base_url = pick(
        sources,
        &sources.base_url,
        &["BASE_URL", "ASGARDEO_BASE_URL"],
    );
    let client_id = pick(
        sources,
        &sources.client_id,
        &["CLIENT_ID", "ASGARDEO_CLIENT_ID"],
    );
    let client_secret = pick(sources, &None, &["CLIENT_SECRET", "ASGARDEO_CLIENT_SECRET"]);
    let missing: Vec<&str> = [
        ("BASE_URL", base_url.is_none()),
        ("CLIENT_ID", client_id.is_none()),
        ("CLIENT_SECRET", client_secret.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    let (Some(base_url), Some(client_id), Some(client_secret)) =
        (base_url, client_id, client_secret)
    else {
        return Err(ConfigError::Missing(missing.join(", ")));
    };
    let valid = ["https://", "http://"]
        .iter()
        .any(|p| base_url.starts_with(p) && base_url.len() > p.len())
        && !base_url.chars().any(char::is_whitespace)
        && !base_url.contains('?');
    if !valid {
        return Err(ConfigError::BadBaseUrl(base_url));
    }
    let mut settings = UpstreamSettings::new(&base_url, &client_id, &client_secret);
    if let Some(path) = pick(
        sources,
        &sources.cert_path,
        &["CERT_PATH", "ASGARDEO_CERT_PATH"],
    ) {
        let pem = std::fs::read(&path).map_err(|e| ConfigError::BadCertPath {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(ConfigError::BadCertPath {
                path,
                reason: "it holds no PEM certificate".into(),
            });
        }
        settings.extra_ca_pem = Some(pem);
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(
        vars: &[(&str, &str)],
        flag_base: Option<&str>,
    ) -> Result<UpstreamSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let env = move |k: &str| map.get(k).cloned();
        upstream(&Sources {
            env: &env,
            base_url: flag_base.map(str::to_owned),
            client_id: None,
            product_mode: None,
            cert_path: None,
        })
    }

    #[test]
    fn reference_variables_and_fallbacks() {
        let s = resolve(
            &[
                ("BASE_URL", "https://api.asgardeo.io/t/acme/"),
                ("ASGARDEO_CLIENT_ID", "id"),
                ("ASGARDEO_CLIENT_SECRET", "secret"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(s.base_url, "https://api.asgardeo.io/t/acme");
        assert_eq!(s.client_id, "id");
    }

    #[test]
    fn every_missing_variable_is_named() {
        assert_eq!(
            resolve(&[("CLIENT_ID", "x")], None).unwrap_err(),
            ConfigError::Missing("BASE_URL, CLIENT_SECRET".into())
        );
    }

    #[test]
    fn flags_override_and_urls_are_checked() {
        let vars = [
            ("BASE_URL", "https://a/t/x"),
            ("CLIENT_ID", "i"),
            ("CLIENT_SECRET", "s"),
        ];
        assert_eq!(
            resolve(&vars, Some("https://b/t/y")).unwrap().base_url,
            "https://b/t/y"
        );
        assert!(matches!(
            resolve(&vars, Some("api.asgardeo.io")),
            Err(ConfigError::BadBaseUrl(_))
        ));
    }

    #[test]
    fn cert_path_must_hold_a_pem_certificate() {
        let base = [
            ("BASE_URL", "https://a/t/x"),
            ("CLIENT_ID", "i"),
            ("CLIENT_SECRET", "s"),
        ];
        let dir = std::env::temp_dir().join(format!("cert-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let pem = dir.join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for (path, ok) in [
            (dir.join("missing.pem"), false),
            (not_pem, false),
            (pem, true),
        ] {
            let mut vars: Vec<(&str, String)> =
                base.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            vars.push(("CERT_PATH", path.display().to_string()));
            let map: HashMap<String, String> =
                vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let env = move |k: &str| map.get(k).cloned();
            let result = upstream(&Sources {
                env: &env,
                base_url: None,
                client_id: None,
                product_mode: None,
                cert_path: None,
            });
            assert_eq!(result.is_ok(), ok, "{path:?}: {result:?}");
            if !ok {
                assert!(matches!(result, Err(ConfigError::BadCertPath { .. })));
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn product_mode_is_asgardeo_or_wso2is() {
        let resolve = |mode: Option<&str>| {
            let env = |_: &str| None;
            product(&Sources {
                env: &env,
                base_url: None,
                client_id: None,
                product_mode: mode.map(str::to_owned),
                cert_path: None,
            })
        };
        assert_eq!(resolve(None), Ok(Product::Asgardeo));
        assert_eq!(resolve(Some("WSO2IS")), Ok(Product::Wso2Is));
        assert_eq!(
            resolve(Some("keycloak")),
            Err(ConfigError::BadProductMode("keycloak".into()))
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = resolve(
            &[
                ("BASE_URL", "https://a/t/x"),
                ("CLIENT_ID", "i"),
                ("CLIENT_SECRET", "s3cr3t-value"),
            ],
            None,
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("s3cr3t-value"));
    }
}

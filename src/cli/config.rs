//! Configuration from the environment, exactly as the reference server reads it (`BASE_URL`,
//! `CLIENT_ID`, `CLIENT_SECRET`, with `ASGARDEO_*` fallbacks, `PRODUCT_MODE`, `CERT_PATH`),
//! with command-line overrides. Anything missing or malformed is one clear error at start.

use crate::api::UpstreamSettings;
use crate::server::Product;
use crate::wso2::urls::{self, UrlUse};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error(
        "missing {0}: set it in the environment (or pass --sandbox to try every tool against the embedded sandbox)"
    )]
    Missing(String),
    #[error("BASE_URL `{0}` is not an http(s) URL such as https://api.asgardeo.io/t/<org>")]
    BadBaseUrl(String),
    #[error(
        "BASE_URL `{0}` still holds a placeholder: replace `<your-org>` with your organization's name"
    )]
    Placeholder(String),
    #[error(
        "BASE_URL `{0}` uses plain http to a host other than this machine, so the client secret and tokens would travel in clear text; use https, or pass --allow-insecure-http if you really mean it"
    )]
    InsecureBaseUrl(String),
    #[error("{variable} is `{value}`: use true/false, 1/0 or yes/no")]
    BadBool { variable: String, value: String },
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
    /// Accept a plain-http BASE_URL to a host other than this machine.
    pub allow_insecure_http: bool,
}

/// A boolean environment variable: `1/0`, `true/false`, `yes/no` (any case), or an error that
/// names it. Unset or empty is `None`.
pub fn env_bool(
    env: &dyn Fn(&str) -> Option<String>,
    variable: &str,
) -> Result<Option<bool>, ConfigError> {
    let Some(value) = env(variable)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        _ => Err(ConfigError::BadBool {
            variable: variable.to_owned(),
            value,
        }),
    }
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
    if base_url.contains('<') || base_url.contains('>') {
        return Err(ConfigError::Placeholder(base_url));
    }
    let parsed = url::Url::parse(&base_url).ok();
    let valid = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
    }) && !base_url.chars().any(char::is_whitespace);
    if !valid {
        return Err(ConfigError::BadBaseUrl(base_url));
    }
    if !sources.allow_insecure_http && urls::check(&base_url, UrlUse::Tenant).is_err() {
        return Err(ConfigError::InsecureBaseUrl(base_url));
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
            allow_insecure_http: false,
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
                allow_insecure_http: false,
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
                allow_insecure_http: false,
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

    #[test]
    fn plain_http_is_for_loopback_and_placeholders_are_caught() {
        let vars = |base: &str| {
            vec![
                ("BASE_URL", base.to_owned()),
                ("CLIENT_ID", "i".to_owned()),
                ("CLIENT_SECRET", "s".to_owned()),
            ]
        };
        let run = |base: &str, allow: bool| {
            let map: HashMap<String, String> = vars(base)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            let env = move |k: &str| map.get(k).cloned();
            upstream(&Sources {
                env: &env,
                base_url: None,
                client_id: None,
                product_mode: None,
                cert_path: None,
                allow_insecure_http: allow,
            })
        };
        assert!(matches!(
            run("http://api.example.com/t/acme", false),
            Err(ConfigError::InsecureBaseUrl(_))
        ));
        assert!(run("http://api.example.com/t/acme", true).is_ok());
        assert!(run("http://127.0.0.1:9443/t/acme", false).is_ok());
        assert!(matches!(
            run("https://api.asgardeo.io/t/<your-org>", false),
            Err(ConfigError::Placeholder(_))
        ));
    }

    #[test]
    fn boolean_variables_are_strict_and_named() {
        let env = |k: &str| match k {
            "A" => Some("YES".to_owned()),
            "B" => Some("0".to_owned()),
            "C" => Some("maybe".to_owned()),
            _ => None,
        };
        assert_eq!(env_bool(&env, "A"), Ok(Some(true)));
        assert_eq!(env_bool(&env, "B"), Ok(Some(false)));
        assert_eq!(env_bool(&env, "D"), Ok(None));
        let err = env_bool(&env, "C").unwrap_err().to_string();
        assert!(err.contains("C is `maybe`"), "{err}");
    }
}

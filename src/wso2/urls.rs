//! The URL policy, one rule per kind of field, checked with the `url` crate: https everywhere;
//! plain http only to a loopback host (a developer's machine); custom schemes only for a mobile
//! app's redirect URL; no credentials, fragments, or schemes that run code. The value is kept
//! as the user wrote it (WSO2 compares redirect URLs as strings); parsing only checks it.

use url::{Host, Url};

/// What a URL is for, which decides what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    /// Where a browser-based app (SPA, server-side web) receives the authorization response.
    WebRedirect,
    /// Where a mobile app receives it: also a custom scheme such as `myapp://callback`.
    MobileRedirect,
    /// A page users open: access URL, logout return URL, logo.
    Page,
    /// The organization's own URL, `BASE_URL`.
    Tenant,
}

/// Why a URL is refused, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Schemes that run code or read local files when followed.
const NEVER: [&str; 5] = ["javascript", "data", "file", "vbscript", "blob"];

/// Whether `host` is this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks `text` for `use_`; returns the parsed URL.
pub fn check(text: &str, use_: UrlUse) -> Result<Url, Refused> {
    let text = text.trim();
    let url = Url::parse(text).map_err(|e| {
        Refused(format!(
            "`{text}` is not an absolute URL ({e}); write it like https://app.example.com/callback"
        ))
    })?;
    let scheme = url.scheme();
    if NEVER.contains(&scheme) {
        return Err(Refused(format!(
            "`{text}` uses the `{scheme}` scheme, which is never safe to send users to"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused(format!(
            "`{text}` carries credentials (user:password@); remove them"
        )));
    }
    if use_ != UrlUse::Tenant && text.chars().any(char::is_whitespace) {
        return Err(Refused(format!("`{text}` contains spaces")));
    }
    match scheme {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Refused(format!(
                "`{text}` uses plain http to a host other than this machine; use https (http is accepted only for localhost, 127.0.0.1 and ::1)"
            )));
        }
        _ if use_ == UrlUse::MobileRedirect => {}
        _ => {
            return Err(Refused(format!(
                "`{text}` uses the `{scheme}` scheme; use https (or http for localhost){}",
                if use_ == UrlUse::WebRedirect {
                    "; custom schemes are for mobile apps (create_mobile_app)"
                } else {
                    ""
                }
            )));
        }
    }
    if matches!(scheme, "https" | "http") && url.host().is_none() {
        return Err(Refused(format!("`{text}` names no host")));
    }
    if matches!(use_, UrlUse::WebRedirect | UrlUse::MobileRedirect) && url.fragment().is_some() {
        return Err(Refused(format!(
            "`{text}` has a fragment (#...); OAuth redirect URLs cannot (RFC 6749 §3.1.2)"
        )));
    }
    Ok(url)
}

/// `scheme://host[:port]` of an http(s) URL, for CORS.
pub fn origin_of(text: &str) -> Option<String> {
    let url = Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Checks an allowed-origin entry: exactly an origin (no path), https or loopback http.
pub fn check_origin(text: &str) -> Result<String, Refused> {
    let trimmed = text.trim().trim_end_matches('/');
    let url = check(trimmed, UrlUse::Page)?;
    let origin = origin_of(trimmed).unwrap_or_default();
    let path_free = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    if !path_free || origin.is_empty() {
        return Err(Refused(format!(
            "`{text}` is not an origin; give scheme://host[:port] such as https://app.example.com"
        )));
    }
    Ok(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_use_has_its_own_policy() {
        use UrlUse::*;
        let ok = |t: &str, u| check(t, u).is_ok();
        assert!(ok("https://app.example.com/cb", WebRedirect));
        assert!(ok("http://localhost:3000/cb", WebRedirect));
        assert!(ok("http://127.0.0.1:8080/cb", WebRedirect));
        assert!(ok("http://[::1]:8080/cb", WebRedirect));
        assert!(ok("http://app.localhost/cb", WebRedirect));
        assert!(!ok("http://evil.example.com/cb", WebRedirect));
        assert!(!ok("http://localhost.evil.com/cb", WebRedirect));
        assert!(!ok("myapp://callback", WebRedirect));
        assert!(ok("myapp://callback", MobileRedirect));
        assert!(ok("com.example.app:/oauth2redirect", MobileRedirect));
        assert!(!ok("http://evil.example.com/cb", MobileRedirect));
        assert!(!ok("javascript://alert(1)", MobileRedirect));
        assert!(!ok("data:text/html,hi", MobileRedirect));
        assert!(!ok("https://user:pw@app.example.com/cb", WebRedirect));
        assert!(!ok("https://app.example.com/cb#x", WebRedirect));
        assert!(!ok("not a url", WebRedirect));
        assert!(!ok("myapp://x", Page));
        assert!(ok("https://app.example.com/logo.png", Page));
        assert!(!ok("http://api.asgardeo.io/t/acme", Tenant));
        assert!(ok("http://127.0.0.1:9443/t/acme", Tenant));
    }

    #[test]
    fn origins_come_from_url_origin() {
        assert_eq!(
            origin_of("https://App.Example.com:443/callback?x=1").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            origin_of("http://localhost:3000/cb").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(origin_of("myapp://callback"), None);
        assert_eq!(
            check_origin("https://app.example.com/").unwrap(),
            "https://app.example.com"
        );
        assert!(check_origin("https://app.example.com/path").is_err());
        assert!(check_origin("http://evil.example.com").is_err());
    }
}

//! Bearer tokens checked here, never passed on: the signature against the organization's JWKS
//! (cached; fetched again when a token names a key the cache does not hold, at most once per
//! `REFRESH_FLOOR`), the algorithm against a pinned list (never `none`), then `iss`, `aud`,
//! `exp` and `nbf` with a small leeway. What passes becomes the [`RemoteUser`] the server
//! filters tools by and writes into the audit log.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use crate::api::Upstream;
use crate::server::RemoteUser;

/// Never fetch the JWKS again sooner than this after the last fetch, whatever tokens arrive.
const REFRESH_FLOOR: Duration = Duration::from_secs(30);
/// Keys are fetched again after this long even when every token finds its key.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// The largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// The largest token looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A signature algorithm a token may use. `none` and HMAC are not among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Ps256,
    Es256,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "PS256" => Some(Self::Ps256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
        }
    }
}

/// What a token must satisfy.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// The organization's issuer: `<BASE_URL>/oauth2/token` for Asgardeo and WSO2 IS.
    pub issuer: String,
    /// The identifier this server is registered under (the token's `aud` must contain it).
    pub audience: String,
    pub jwks_url: url::Url,
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
}

/// Why a token was refused: each becomes a 401 `invalid_token` with these words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the token is not a JWT ({0})")]
    Malformed(&'static str),
    #[error("the token's header is not accepted: {0}")]
    Header(&'static str),
    #[error("the token's claims are not valid: {0}")]
    Claims(&'static str),
    #[error("the token's algorithm `{0}` is not accepted (accepted: {1})")]
    Algorithm(String, String),
    #[error("the token is signed by a key the organization does not publish (kid `{0}`)")]
    UnknownKey(String),
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by `{0}`, not by this server's organization")]
    Issuer(String),
    #[error("the token is not meant for this server (its audience does not include `{0}`)")]
    Audience(String),
    #[error("the organization's keys could not be fetched: {0}")]
    Keys(String),
}

impl Rejection {
    /// Whether the fault is ours (the keys are unreachable), not the token's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Keys(_))
    }
}

#[derive(Debug, Clone)]
enum Key {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    P256 { point: Vec<u8> },
}

#[derive(Debug, Clone)]
struct PublishedKey {
    key: Key,
    /// The JWK's `alg`, when it names one: the token's must then be the same.
    alg: Option<String>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, PublishedKey>,
    /// Keys without a `kid`, used when a token names none.
    anonymous: Vec<PublishedKey>,
    fetched: Option<Instant>,
}

/// The validator: the policy and the cached keys. Cheap to clone.
#[derive(Clone)]
pub struct Validator {
    policy: Arc<TokenPolicy>,
    upstream: Upstream,
    keys: Arc<RwLock<KeySet>>,
    /// Held while fetching, so that concurrent unknown kids cause one fetch.
    fetching: Arc<Mutex<()>>,
}

impl Validator {
    pub fn new(policy: TokenPolicy, upstream: Upstream) -> Self {
        Self {
            policy: Arc::new(policy),
            upstream,
            keys: Arc::default(),
            fetching: Arc::default(),
        }
    }

    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// Whether keys have been fetched (for readiness); fetches them if not.
    pub async fn ensure_keys(&self) -> Result<usize, Rejection> {
        if let Some(count) = self.fresh_count().await {
            return Ok(count);
        }
        self.refresh(true).await?;
        Ok(self.fresh_count().await.unwrap_or(0))
    }

    async fn fresh_count(&self) -> Option<usize> {
        let keys = self.keys.read().await;
        keys.fetched
            .filter(|at| at.elapsed() < MAX_AGE)
            .map(|_| keys.keys.len() + keys.anonymous.len())
    }

    /// Fetches the JWKS again unless it was fetched within `REFRESH_FLOOR` (or `force`).
    async fn refresh(&self, force: bool) -> Result<(), Rejection> {
        let _one = self.fetching.lock().await;
        if let Some(at) = self.keys.read().await.fetched
            && at.elapsed() < REFRESH_FLOOR
            && !force
        {
            return Ok(());
        }
        let document = self
            .upstream
            .fetch_public_json(&self.policy.jwks_url, MAX_JWKS_BYTES)
            .await
            .map_err(Rejection::Keys)?;
        let mut set = KeySet {
            fetched: Some(Instant::now()),
            ..Default::default()
        };
        for jwk in document["keys"].as_array().into_iter().flatten() {
            let Some(key) = parse_jwk(jwk) else { continue };
            match jwk["kid"].as_str() {
                Some(kid) => {
                    set.keys.insert(kid.to_owned(), key);
                }
                None => set.anonymous.push(key),
            }
        }
        tracing::debug!(
            keys = set.keys.len() + set.anonymous.len(),
            url = %self.policy.jwks_url,
            "fetched the organization's signing keys"
        );
        *self.keys.write().await = set;
        Ok(())
    }

    async fn key_for(&self, kid: Option<&str>) -> Result<Option<PublishedKey>, Rejection> {
        let lookup = |set: &KeySet| match kid {
            Some(kid) => set.keys.get(kid).cloned(),
            None if set.keys.len() + set.anonymous.len() == 1 => {
                set.keys.values().chain(&set.anonymous).next().cloned()
            }
            None => None,
        };
        {
            let set = self.keys.read().await;
            let stale = set.fetched.is_none_or(|at| at.elapsed() >= MAX_AGE);
            if !stale && let Some(key) = lookup(&set) {
                return Ok(Some(key));
            }
        }
        // Unknown key (a rotation) or stale cache: fetch once, then look again. Keys past their
        // age still serve while the organization cannot be reached.
        let refreshed = self.refresh(false).await;
        let found = lookup(&*self.keys.read().await);
        match (refreshed, found) {
            (_, Some(key)) => Ok(Some(key)),
            (Err(e), None) => Err(e),
            (Ok(()), None) => Ok(None),
        }
    }

    /// Checks a bearer token; the person it names, with their scopes, when it passes.
    pub async fn validate(&self, token: &str) -> Result<RemoteUser, Rejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed("not three dot-separated parts"));
        };
        let header = decode_json(head).ok_or(Rejection::Malformed("unreadable header"))?;
        // RFC 7515 §4.1.11: a `crit` header names extensions the recipient must understand;
        // this one understands none, so any is refused.
        if header.get("crit").is_some() {
            return Err(Rejection::Header(
                "its `crit` names an extension this server does not implement",
            ));
        }
        let alg_name = header["alg"].as_str().unwrap_or_default();
        let accepted = || {
            self.policy
                .algorithms
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let alg = Algorithm::parse(alg_name)
            .filter(|a| self.policy.algorithms.contains(a))
            .ok_or_else(|| Rejection::Algorithm(alg_name.chars().take(20).collect(), accepted()))?;
        let signature = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Rejection::Malformed("unreadable signature"))?;
        let kid = header["kid"].as_str();
        let key = self.key_for(kid).await?.ok_or_else(|| {
            Rejection::UnknownKey(kid.unwrap_or("none").chars().take(100).collect())
        })?;
        if key.alg.as_deref().is_some_and(|a| a != alg.name()) {
            return Err(Rejection::Algorithm(alg_name.to_owned(), accepted()));
        }
        let signed = &token.as_bytes()[..head.len() + 1 + body.len()];
        verify(alg, &key.key, signed, &signature)?;
        let claims = decode_json(body).ok_or(Rejection::Malformed("unreadable claims"))?;
        self.check_claims(&claims)?;
        Ok(user_from(&claims))
    }

    fn check_claims(&self, claims: &Value) -> Result<(), Rejection> {
        let now = chrono::Utc::now().timestamp();
        let leeway = self.policy.leeway.as_secs() as i64;
        // RFC 7519 §4.1.4-6: NumericDate values, so a string or an object is no date at all
        // (and an `nbf` given as "9999999999" must not be skipped as absent).
        let date = |name: &'static str| -> Result<Option<i64>, Rejection> {
            match claims.get(name) {
                None => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
                    .map(Some)
                    .ok_or(Rejection::Claims("a date claim is out of range")),
                Some(_) => Err(Rejection::Claims(match name {
                    "exp" => "`exp` is not a number",
                    "nbf" => "`nbf` is not a number",
                    _ => "`iat` is not a number",
                })),
            }
        };
        let exp = date("exp")?.ok_or(Rejection::Malformed("no `exp` claim"))?;
        if now > exp + leeway {
            return Err(Rejection::Expired);
        }
        if let Some(nbf) = date("nbf")?
            && now + leeway < nbf
        {
            return Err(Rejection::NotYetValid);
        }
        date("iat")?;
        // Who the person is: every audit record and legacy session is theirs.
        if claims["sub"].as_str().is_none_or(|s| s.trim().is_empty()) {
            return Err(Rejection::Claims("no `sub` claim"));
        }
        let iss = claims["iss"].as_str().unwrap_or_default();
        if iss != self.policy.issuer {
            return Err(Rejection::Issuer(iss.chars().take(200).collect()));
        }
        let audience = &self.policy.audience;
        let meant = match &claims["aud"] {
            Value::String(a) => a == audience,
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !meant {
            return Err(Rejection::Audience(audience.clone()));
        }
        Ok(())
    }
}

fn decode_json(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

fn parse_jwk(jwk: &Value) -> Option<PublishedKey> {
    if jwk["use"].as_str().is_some_and(|u| u != "sig") {
        return None;
    }
    let field = |name: &str| {
        jwk[name]
            .as_str()
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
    };
    let key = match jwk["kty"].as_str()? {
        "RSA" => Key::Rsa {
            n: field("n")?,
            e: field("e")?,
        },
        "EC" if jwk["crv"] == "P-256" => {
            let (x, y) = (field("x")?, field("y")?);
            if x.len() != 32 || y.len() != 32 {
                return None;
            }
            let mut point = vec![4u8];
            point.extend(x);
            point.extend(y);
            Key::P256 { point }
        }
        _ => return None,
    };
    Some(PublishedKey {
        key,
        alg: jwk["alg"].as_str().map(str::to_owned),
    })
}

fn verify(alg: Algorithm, key: &Key, signed: &[u8], signature: &[u8]) -> Result<(), Rejection> {
    let verified = match (alg, key) {
        (Algorithm::Rs256, Key::Rsa { n, e }) => RsaPublicKeyComponents { n, e }.verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            signed,
            signature,
        ),
        (Algorithm::Ps256, Key::Rsa { n, e }) => RsaPublicKeyComponents { n, e }.verify(
            &signature::RSA_PSS_2048_8192_SHA256,
            signed,
            signature,
        ),
        (Algorithm::Es256, Key::P256 { point }) => {
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(signed, signature)
        }
        _ => return Err(Rejection::Signature),
    };
    verified.map_err(|_| Rejection::Signature)
}

/// The person a valid token names: `sub`, the username claim when present, the client, and the
/// scopes (`scope` as a space-separated string, or `scp` as a list).
fn user_from(claims: &Value) -> RemoteUser {
    let text = |name: &str| claims[name].as_str().map(str::to_owned);
    let scopes: BTreeSet<String> = match (&claims["scope"], &claims["scp"]) {
        (Value::String(s), _) => s.split_whitespace().map(str::to_owned).collect(),
        (_, Value::Array(list)) => list
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        _ => BTreeSet::new(),
    };
    RemoteUser {
        sub: text("sub").unwrap_or_default(),
        username: text("username").or_else(|| text("preferred_username")),
        client_id: text("client_id").or_else(|| text("azp")),
        scopes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_for_other_uses_or_types_are_ignored() {
        assert!(
            parse_jwk(&serde_json::json!({"kty": "RSA", "use": "enc", "n": "AQ", "e": "AQAB"}))
                .is_none()
        );
        assert!(parse_jwk(&serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})).is_none());
        assert!(
            parse_jwk(&serde_json::json!({"kty": "EC", "crv": "P-384", "x": "AQ", "y": "AQ"}))
                .is_none()
        );
        assert!(parse_jwk(&serde_json::json!({"kty": "RSA", "n": "AQ", "e": "AQAB"})).is_some());
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let user = user_from(&serde_json::json!({"sub": "u", "scope": "a b", "azp": "c"}));
        assert_eq!(user.scopes.len(), 2);
        assert_eq!(user.client_id.as_deref(), Some("c"));
        let user = user_from(&serde_json::json!({"sub": "u", "scp": ["x"]}));
        assert!(user.scopes.contains("x"));
    }
}

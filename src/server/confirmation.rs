//! Confirmation tokens for destructive calls, for hosts that cannot ask the person (no
//! elicitation): the first call changes nothing and returns its plan with a token; repeating
//! the call with the token runs it. A token is an HMAC (a key made at start, never shown) over
//! the tool, the call's arguments and the version of the resource's state when the plan was
//! made, with an expiry and a nonce: it cannot be forged, reused, moved to other arguments or
//! to another tool, and a resource that changed since the plan refuses it when the call runs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::state_digest;

const VERSION: &str = "c1";

/// Why a token does not confirm this call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the confirmation token is malformed")]
    Malformed,
    #[error("the confirmation token was not issued by this server (or the server restarted since)")]
    Forged,
    #[error("the confirmation token was issued for another tool")]
    OtherTool,
    #[error("the confirmation token was issued for different arguments")]
    OtherArguments,
    #[error("the confirmation token has expired")]
    Expired,
    #[error("the confirmation token was already used")]
    Used,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    tool: String,
    /// Digest of the arguments (without the confirmation controls).
    args: String,
    /// Digest of the resource's state the plan was made from.
    state: String,
    /// Expiry, Unix seconds.
    exp: u64,
    nonce: String,
}

/// Issues and redeems confirmation tokens. One per server process.
pub struct Confirmations {
    key: hmac::Key,
    random: SystemRandom,
    ttl: Duration,
    /// Nonces already redeemed, with their expiry (pruned as they expire).
    used: Mutex<HashMap<String, u64>>,
}

impl Confirmations {
    pub fn new(ttl: Duration) -> Self {
        let random = SystemRandom::new();
        let mut secret = [0u8; 32];
        // The system's random source failing is not recoverable for signing; a zero key
        // would still be unguessable to nobody, so refuse every token instead (see below).
        let ok = random.fill(&mut secret).is_ok();
        let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
        if !ok {
            tracing::error!("no system randomness: confirmation tokens cannot be issued");
        }
        Self {
            key,
            random,
            ttl: if ok { ttl } else { Duration::ZERO },
            used: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token confirming `tool` with `arguments` on the resource in state `state`.
    pub fn issue(&self, tool: &str, arguments: &Map<String, Value>, state: &str) -> String {
        let mut nonce = [0u8; 16];
        let _ = self.random.fill(&mut nonce);
        let claims = Claims {
            tool: tool.to_owned(),
            args: arguments_digest(arguments),
            state: state.to_owned(),
            exp: now() + self.ttl.as_secs(),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{VERSION}.{payload}");
        let tag = hmac::sign(&self.key, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Checks `token` for this call and spends it; gives the state version it confirmed.
    pub fn redeem(
        &self,
        token: &str,
        tool: &str,
        arguments: &Map<String, Value>,
    ) -> Result<String, Refusal> {
        let (signed, tag) = token.trim().rsplit_once('.').ok_or(Refusal::Malformed)?;
        let (version, payload) = signed.split_once('.').ok_or(Refusal::Malformed)?;
        if version != VERSION {
            return Err(Refusal::Malformed);
        }
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| Refusal::Malformed)?;
        hmac::verify(&self.key, signed.as_bytes(), &tag).map_err(|_| Refusal::Forged)?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(Refusal::Malformed)?;
        if claims.tool != tool {
            return Err(Refusal::OtherTool);
        }
        if claims.args != arguments_digest(arguments) {
            return Err(Refusal::OtherArguments);
        }
        let now = now();
        if now >= claims.exp {
            return Err(Refusal::Expired);
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|_, exp| *exp > now);
        if used.insert(claims.nonce, claims.exp).is_some() {
            return Err(Refusal::Used);
        }
        Ok(claims.state)
    }
}

fn arguments_digest(arguments: &Map<String, Value>) -> String {
    state_digest(&Value::Object(arguments.clone()))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_token_confirms_exactly_one_call_once() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "application_id": "a1" }));
        let token = c.issue("delete_application", &a, "state-1");
        assert_eq!(
            c.redeem(&token, "delete_application", &a),
            Ok("state-1".into())
        );
        assert_eq!(
            c.redeem(&token, "delete_application", &a),
            Err(Refusal::Used)
        );
    }

    #[test]
    fn a_token_is_refused_for_other_arguments_tools_or_after_expiry() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "application_id": "a1" }));
        let token = c.issue("delete_application", &a, "s");
        let other = args(json!({ "application_id": "a2" }));
        assert_eq!(
            c.redeem(&token, "delete_application", &other),
            Err(Refusal::OtherArguments)
        );
        assert_eq!(c.redeem(&token, "delete_role", &a), Err(Refusal::OtherTool));
        let expired = Confirmations::new(Duration::ZERO);
        let token = expired.issue("delete_application", &a, "s");
        assert_eq!(
            expired.redeem(&token, "delete_application", &a),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn a_tampered_or_foreign_token_is_refused() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "id": "1" }));
        let token = c.issue("delete_user", &a, "s");
        let other_server = Confirmations::new(Duration::from_secs(120));
        assert_eq!(
            other_server.redeem(&token, "delete_user", &a),
            Err(Refusal::Forged)
        );
        let (signed, tag) = token.rsplit_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&json!({ "tool": "delete_user", "args": "x", "state": "s", "exp": u64::MAX, "nonce": "n" })).unwrap(),
        );
        let (version, _) = signed.split_once('.').unwrap();
        assert_eq!(
            c.redeem(
                &format!("{version}.{forged_claims}.{tag}"),
                "delete_user",
                &a
            ),
            Err(Refusal::Forged)
        );
        assert_eq!(
            c.redeem("nonsense", "delete_user", &a),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            c.redeem("c1.%%%.%%%", "delete_user", &a),
            Err(Refusal::Malformed)
        );
    }
}

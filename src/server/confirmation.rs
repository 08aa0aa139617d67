//! Confirmation tokens for destructive calls, for hosts that cannot ask the person (no
//! elicitation): the first call changes nothing and returns its plan with a token; repeating
//! the call with the token runs it. The same token is the request state of an input request
//! (2026-07-28), marked as such. A token is an HMAC (a key made at start, never shown) over the
//! tool, keyed MACs of the call's arguments, of the resource's state when the plan was made and
//! of the person it was made for, how it was handed out, an expiry and a nonce: it cannot be
//! forged, reused, moved to other arguments, another tool or another person, passed off as an
//! answered input request, and a resource that changed since the plan refuses it when the call
//! runs. Nothing in it is an unkeyed digest: the model sees the token, and the state of a
//! secret's rotation includes the secret.

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

const VERSION: &str = "c2";

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
    #[error("the confirmation token was issued to another person")]
    OtherPerson,
    #[error(
        "the confirmation token was not handed out as an input request, so it cannot answer one"
    )]
    NotAsked,
}

/// How a token was handed out: with the plan (the person repeats the call with it), or as
/// the state of an input request the server made through the client's elicitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Plan,
    InputRequest,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    tool: String,
    /// MAC of the arguments (without the confirmation controls).
    args: String,
    /// MAC of the digest of the resource's state the plan was made from.
    state: String,
    /// MAC of the person the plan was made for (`sub` in remote mode; empty on stdio).
    who: String,
    via: Delivery,
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

    /// The keyed MAC of `text` for `purpose`: what a token carries instead of the text.
    fn mac(&self, purpose: &str, text: &str) -> String {
        let tag = hmac::sign(&self.key, format!("{purpose}\0{text}").as_bytes());
        URL_SAFE_NO_PAD.encode(&tag.as_ref()[..18])
    }

    /// The seal of a resource state's digest, as a token carries it.
    pub fn seal(&self, state_digest: &str) -> String {
        self.mac("state", state_digest)
    }

    /// A token confirming `tool` with `arguments`, for `person`, on the resource in state
    /// `state` (its digest), handed out as `via`.
    pub fn issue(
        &self,
        tool: &str,
        arguments: &Map<String, Value>,
        state: &str,
        person: &str,
        via: Delivery,
    ) -> String {
        let mut nonce = [0u8; 16];
        let _ = self.random.fill(&mut nonce);
        let claims = Claims {
            tool: tool.to_owned(),
            args: self.mac("args", &arguments_digest(arguments)),
            state: self.seal(state),
            who: self.mac("who", person),
            via,
            exp: now() + self.ttl.as_secs(),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{VERSION}.{payload}");
        let tag = hmac::sign(&self.key, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Checks `token` for this call by `person`, redeemed as `via`, and spends it; gives the
    /// sealed state it confirmed.
    pub fn redeem(
        &self,
        token: &str,
        tool: &str,
        arguments: &Map<String, Value>,
        person: &str,
        via: Delivery,
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
        if claims.args != self.mac("args", &arguments_digest(arguments)) {
            return Err(Refusal::OtherArguments);
        }
        if claims.who != self.mac("who", person) {
            return Err(Refusal::OtherPerson);
        }
        // A plan's token answers no input request: only one the server itself made through
        // the client's elicitation is an elicitation. An input request's token may still be
        // given back by hand.
        if via == Delivery::InputRequest && claims.via != Delivery::InputRequest {
            return Err(Refusal::NotAsked);
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

    use Delivery::{InputRequest, Plan};

    #[test]
    fn a_token_confirms_exactly_one_call_once() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "application_id": "a1" }));
        let token = c.issue("delete_application", &a, "state-1", "", Plan);
        assert_eq!(
            c.redeem(&token, "delete_application", &a, "", Plan),
            Ok(c.seal("state-1"))
        );
        assert_eq!(
            c.redeem(&token, "delete_application", &a, "", Plan),
            Err(Refusal::Used)
        );
    }

    #[test]
    fn a_token_holds_no_unkeyed_digest_and_binds_its_person_and_delivery() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "app_id": "a1" }));
        let state = state_digest(&json!({ "clientSecret": "s3cret" }));
        let token = c.issue("regenerate_client_secret", &a, &state, "alice", Plan);
        let payload = token.split('.').nth(1).unwrap();
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert!(!claims.contains(&state), "{claims}");
        assert!(!claims.contains(&arguments_digest(&a)), "{claims}");
        assert!(!claims.contains("alice"), "{claims}");
        assert_eq!(
            c.redeem(&token, "regenerate_client_secret", &a, "bob", Plan),
            Err(Refusal::OtherPerson)
        );
        assert_eq!(
            c.redeem(
                &token,
                "regenerate_client_secret",
                &a,
                "alice",
                InputRequest
            ),
            Err(Refusal::NotAsked)
        );
        let asked = c.issue(
            "regenerate_client_secret",
            &a,
            &state,
            "alice",
            InputRequest,
        );
        assert_eq!(
            c.redeem(
                &asked,
                "regenerate_client_secret",
                &a,
                "alice",
                InputRequest
            ),
            Ok(c.seal(&state))
        );
    }

    #[test]
    fn a_token_is_refused_for_other_arguments_tools_or_after_expiry() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "application_id": "a1" }));
        let token = c.issue("delete_application", &a, "s", "", Plan);
        let other = args(json!({ "application_id": "a2" }));
        assert_eq!(
            c.redeem(&token, "delete_application", &other, "", Plan),
            Err(Refusal::OtherArguments)
        );
        assert_eq!(
            c.redeem(&token, "delete_role", &a, "", Plan),
            Err(Refusal::OtherTool)
        );
        let expired = Confirmations::new(Duration::ZERO);
        let token = expired.issue("delete_application", &a, "s", "", Plan);
        assert_eq!(
            expired.redeem(&token, "delete_application", &a, "", Plan),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn a_tampered_or_foreign_token_is_refused() {
        let c = Confirmations::new(Duration::from_secs(120));
        let a = args(json!({ "id": "1" }));
        let token = c.issue("delete_user", &a, "s", "", Plan);
        let other_server = Confirmations::new(Duration::from_secs(120));
        assert_eq!(
            other_server.redeem(&token, "delete_user", &a, "", Plan),
            Err(Refusal::Forged)
        );
        let (signed, tag) = token.rsplit_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&json!({ "tool": "delete_user", "args": "x", "state": "s", "who": "w", "via": "plan", "exp": u64::MAX, "nonce": "n" })).unwrap(),
        );
        let (version, _) = signed.split_once('.').unwrap();
        assert_eq!(
            c.redeem(
                &format!("{version}.{forged_claims}.{tag}"),
                "delete_user",
                &a,
                "",
                Plan
            ),
            Err(Refusal::Forged)
        );
        assert_eq!(
            c.redeem("nonsense", "delete_user", &a, "", Plan),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            c.redeem("c2.%%%.%%%", "delete_user", &a, "", Plan),
            Err(Refusal::Malformed)
        );
    }
}

//! The signing key: one RSA key (2048 bits) made on first use, published at `/oauth2/jwks`, and
//! RS256 JSON Web Tokens signed with it. RS256 because the Asgardeo SDKs accept only RSA
//! algorithms (`RS256`, `RS384`, `RS512`, `PS256`) for ID tokens.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

pub struct SigningKey {
    pair: RsaKeyPair,
    /// The public key as a JWK (RFC 7517), with `kid`, `use` and `alg`.
    pub jwk: Value,
    pub kid: String,
}

/// The process's key. Made once (it takes a moment), shared by every sandbox in the process.
pub fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(SigningKey::generate)
}

impl SigningKey {
    /// A new key (another organization's, for tests of what must be refused).
    pub fn generate() -> Self {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .expect("2048-bit RSA key generation does not fail with the OS RNG");
        let der = private
            .to_pkcs1_der()
            .expect("a generated RSA key encodes as PKCS#1");
        let pair = RsaKeyPair::from_der(der.as_bytes()).expect("ring reads a 2048-bit PKCS#1 key");
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let kid = URL_SAFE_NO_PAD
            .encode(&ring::digest::digest(&ring::digest::SHA256, n.as_bytes()).as_ref()[..16]);
        let jwk = json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e });
        SigningKey { pair, jwk, kid }
    }

    /// `claims` as a compact JWS (RFC 7515 §7.1) with `alg: RS256` and this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&json!({}), claims)
    }

    /// A JWS whose protected header also carries `extra` (for tests of what must be refused,
    /// such as a `crit` header).
    pub fn sign_with_header(&self, extra: &Value, claims: &Value) -> String {
        let mut header = json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid });
        if let (Some(header), Some(extra)) = (header.as_object_mut(), extra.as_object()) {
            header.extend(extra.clone());
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing with a valid key and a buffer of the modulus length succeeds");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

    #[test]
    fn a_token_verifies_against_the_published_key_and_fails_when_altered() {
        let key = signing_key();
        let token = key.sign(&json!({ "sub": "kim" }));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |field: &str| {
            URL_SAFE_NO_PAD
                .decode(key.jwk[field].as_str().unwrap())
                .unwrap()
        };
        let public = RsaPublicKeyComponents {
            n: decode("n"),
            e: decode("e"),
        };
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &signature)
            .expect("the signature verifies with the JWK");
        let altered = format!(
            "{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(r#"{"sub":"eve"}"#)
        );
        assert!(
            public
                .verify(&RSA_PKCS1_2048_8192_SHA256, altered.as_bytes(), &signature)
                .is_err()
        );
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], key.jwk["kid"]);
        assert_eq!(header["alg"], "RS256");
    }
}

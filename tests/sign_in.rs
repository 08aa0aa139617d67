//! The sandbox as an OpenID Provider, driven as a browser and an SDK would drive it, for
//! applications the tools create: what a real server grants, and what it refuses.

#![cfg(feature = "sandbox")]

mod common;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Fixture;
use common::mcp::{McpClient, Setup};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, ORIGIN};
use serde_json::{Value, json};

const APP: &str = "http://127.0.0.1:5173";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9ljZo4HUjlQdb3sLF8e1ezqZXkOjsQcVWxA2";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(f: &Fixture) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: f.sandbox.base_url.clone(),
        }
    }

    /// An authorization request for `client` to `redirect` with a PKCE challenge.
    async fn authorize_pkce(&self, client: &str, redirect: &str) -> reqwest::Response {
        let challenge = challenge(VERIFIER);
        self.authorize(&[
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .await
    }

    async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .get(format!("{}/oauth2/authorize", self.base))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    /// Submits the login form of `page` as `user`; answers the response (a redirect on success).
    async fn log_in(&self, page: &str, user: &str, password: &str) -> reqwest::Response {
        let key = page
            .split("name=\"sessionDataKey\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("the login form carries a sessionDataKey");
        self.http
            .post(format!("{}/commonauth", self.base))
            .form(&[
                ("sessionDataKey", key),
                ("username", user),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.base))
            .header(ORIGIN, APP)
            .form(form)
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }
}

fn query_of(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response.headers()[LOCATION].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn claims_of(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn spa(f: &Fixture) -> String {
    let mcp = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let created = mcp
        .ok(
            "create_single_page_app",
            json!({ "application_name": "Provider SPA", "redirect_url": APP }),
        )
        .await;
    created["client_id"].as_str().unwrap().to_owned()
}

/// Signs the seeded user in to `client` with PKCE; answers the code.
async fn code_for(b: &Browser, client: &str) -> String {
    let challenge = challenge(VERIFIER);
    let form = b
        .authorize(&[
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", APP),
            ("scope", "openid profile email internal_login"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(form.status(), StatusCode::OK);
    let page = form.text().await.unwrap();
    let refused = b.log_in(&page, "admin@sandbox.test", "wrong").await;
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(refused.text().await.unwrap().contains("Login failed!"));
    let back = b
        .log_in(
            &page,
            asgardeo_mcp::sandbox::SEEDED_USER,
            asgardeo_mcp::sandbox::SEEDED_PASSWORD,
        )
        .await;
    assert_eq!(back.status(), StatusCode::FOUND);
    assert!(back.headers()[LOCATION].to_str().unwrap().starts_with(APP));
    let query = query_of(&back);
    assert_eq!(query["state"], "s1");
    query["code"].clone()
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_and_gets_tokens_that_verify() {
    let f = Fixture::default().await;
    let client = spa(&f).await;
    let b = Browser::new(&f);
    let code = code_for(&b, &client).await;

    let (status, tokens) = b
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", APP),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // The ID token is RS256, signed by the key at /oauth2/jwks, for this client and nonce.
    let id_token = tokens["id_token"].as_str().unwrap();
    let jwks: Value = b
        .http
        .get(format!("{}/oauth2/jwks", b.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    let parts: Vec<&str> = id_token.split('.').collect();
    let decode = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    ring::signature::RsaPublicKeyComponents {
        n: decode(&key["n"]),
        e: decode(&key["e"]),
    }
    .verify(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
    )
    .expect("the ID token verifies against the published key");
    let claims = claims_of(id_token);
    assert_eq!(claims["iss"], format!("{}/oauth2/token", b.base));
    assert_eq!(claims["aud"], client.as_str());
    assert_eq!(claims["nonce"], "n1");
    assert_eq!(claims["given_name"], "Sandbox");
    assert_eq!(claims["username"], "admin@sandbox.test");

    // The access token reads the user's own profile, from the app's origin (CORS).
    let access = tokens["access_token"].as_str().unwrap();
    let me = b
        .http
        .get(format!("{}/scim2/Me", b.base))
        .header(ORIGIN, APP)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.headers()["access-control-allow-origin"], APP);
    assert_eq!(
        me.json::<Value>().await.unwrap()["userName"],
        "DEFAULT/admin@sandbox.test"
    );
    let info: Value = b
        .http
        .get(format!("{}/oauth2/userinfo", b.base))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], "admin@sandbox.test");

    // Refresh tokens rotate: the new one works, the old one no longer does.
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("SPAs get refresh tokens");
    let (status, renewed) = b
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", refresh),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let (status, again) = b
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", refresh),
        ])
        .await;
    assert_eq!(
        (status, again["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // A revoked access token stops working.
    let fresh = renewed["access_token"].as_str().unwrap();
    let revoked = b
        .http
        .post(format!("{}/oauth2/revoke", b.base))
        .form(&[("token", fresh), ("client_id", client.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let after = b
        .http
        .get(format!("{}/oauth2/userinfo", b.base))
        .bearer_auth(fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn what_a_real_server_refuses_the_sandbox_refuses() {
    let f = Fixture::default().await;
    let client = spa(&f).await;
    let b = Browser::new(&f);

    // A redirect URL other than the registered one: the error page, never the application.
    let wrong = b
        .authorize_pkce(&client, "http://127.0.0.1:5173/elsewhere")
        .await;
    assert_eq!(wrong.status(), StatusCode::FOUND);
    let location = wrong.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.contains("/authenticationendpoint/oauth2_error.do"),
        "{location}"
    );
    assert_eq!(query_of(&wrong)["oauthErrorCode"], "invalid_callback");
    let page = b
        .http
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Registered callback does not match with the provided url."));

    // The loopback port does not matter (RFC 8252), the path does.
    let other_port = b.authorize_pkce(&client, "http://127.0.0.1:6000").await;
    assert_eq!(other_port.status(), StatusCode::OK);

    // PKCE is mandatory for the SPA the tool made.
    let no_pkce = b
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client),
            ("redirect_uri", APP),
            ("state", "x"),
        ])
        .await;
    let query = query_of(&no_pkce);
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("PKCE is mandatory"));
    assert_eq!(query["state"], "x");

    // A code with the wrong verifier is refused, and is spent.
    let code = code_for(&b, &client).await;
    let (status, body) = b
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", APP),
            ("code_verifier", &"x".repeat(43)),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = b
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", APP),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An origin no application allows gets no cross-origin answer.
    let foreign = b
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/oauth2/token", b.base))
        .header(ORIGIN, "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let allowed = b
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/scim2/Me", b.base))
        .header(ORIGIN, APP)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        allowed.headers()["access-control-allow-headers"],
        "authorization"
    );

    // A confidential client must authenticate; an M2M client cannot sign users in.
    let mcp = McpClient::start(f.upstream.clone(), Setup::default()).await;
    let web = mcp
        .ok(
            "create_webapp_with_ssr",
            json!({ "application_name": "Provider Web", "redirect_url": "http://127.0.0.1:3000/login" }),
        )
        .await;
    let web_client = web["client_id"].as_str().unwrap();
    let (status, body) = b
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", web_client),
            ("code", "x"),
            ("redirect_uri", "x"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let m2m = mcp
        .ok(
            "create_m2m_app",
            json!({ "application_name": "Provider M2M" }),
        )
        .await;
    let refused = b
        .authorize(&[
            ("response_type", "code"),
            ("client_id", m2m["client_id"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(refused.status(), StatusCode::FOUND);
}

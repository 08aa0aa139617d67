//! The sandbox's in-memory organization: every resource the simulated APIs serve, held as the
//! generated API models, behind one lock. Identifiers come from a seeded generator, so the same
//! seed gives the same organization.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::api::{api_resources, applications, authenticators, claims, oidc_scopes, users};

/// A confidential client the token endpoint knows, with the scopes it may be granted.
#[derive(Debug, Clone)]
pub struct TokenClient {
    pub client_id: String,
    pub client_secret: String,
    pub allowed_scopes: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub scopes: BTreeSet<String>,
    pub expires_at: Instant,
    /// For a token issued to a user (authorization code, refresh): the user's id and the
    /// application's client id. `None` for client-credentials tokens.
    pub user: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    /// Everything but the inbound protocol, as the create/patch models carry it.
    pub model: applications::types::ApplicationModel,
    pub oidc: Option<applications::types::OpenIdConnectConfiguration>,
    pub authorized: Vec<AuthorizedApi>,
    /// Console, My Account: hidden by `excludeSystemPortals`.
    pub system_portal: bool,
}

#[derive(Debug, Clone)]
pub struct AuthorizedApi {
    pub api_id: String,
    pub policy: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ApiResource {
    /// Creation order: what cursors point at, so deletions never break a cursor.
    pub seq: u64,
    pub id: String,
    pub name: String,
    pub identifier: String,
    pub description: Option<String>,
    pub requires_authorization: bool,
    pub kind: String,
    pub scopes: Vec<Scope>,
}

/// A scope of an API resource.
#[derive(Debug, Clone)]
pub struct Scope {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
}

impl Scope {
    pub fn model(&self) -> api_resources::types::ScopeGetModel {
        api_resources::types::ScopeGetModel {
            id: Some(self.id.clone()),
            name: Some(self.name.clone()),
            display_name: Some(self.display_name.clone()),
            description: self.description.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dialect {
    pub id: String,
    pub uri: String,
    pub claims: Vec<claims::types::ExternalClaimRes>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub resource: users::types::UserResponseObject,
    /// Kept only to show that it was set; never served.
    pub has_password: bool,
    pub pending_invite: bool,
    /// Groups the user store holds without a SCIM id, served by name only.
    pub legacy_groups: Vec<String>,
    /// SHA-256 of the user's id and password, what the sandbox's login form checks; never
    /// served.
    pub password_digest: Option<[u8; 32]>,
}

impl User {
    pub fn digest(id: &str, password: &str) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(id.as_bytes());
        ctx.update(b"\0");
        ctx.update(password.as_bytes());
        ctx.finish()
            .as_ref()
            .try_into()
            .expect("SHA-256 is 32 bytes")
    }

    pub fn password_matches(&self, password: &str) -> bool {
        let id = self.resource.id.as_deref().unwrap_or_default();
        self.password_digest
            // Compared without an early exit, as password checks should be.
            .is_some_and(|d| {
                d.iter()
                    .zip(Self::digest(id, password))
                    .fold(0, |acc, (a, b)| acc | (a ^ b))
                    == 0
            })
    }
}

/// A connection (identity provider) with the one federated authenticator it signs in with.
#[derive(Debug, Clone)]
pub struct Idp {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub image: Option<String>,
    pub enabled: bool,
    /// The federated authenticator's name (`GoogleOIDCAuthenticator`).
    pub authenticator: String,
    /// Its configuration; secrets among them are kept, never served.
    pub properties: Vec<(String, String)>,
}

/// A SCIM group: its members as (user id, username).
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub members: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct LoginFlowJob {
    pub prompt: String,
    pub started: Instant,
    /// The authentication sequence the prompt maps to, or why it cannot be mapped.
    pub outcome: Result<serde_json::Value, String>,
}

pub struct Store {
    pub org: String,
    rng: StdRng,
    pub clients: Vec<TokenClient>,
    pub tokens: HashMap<String, IssuedToken>,
    pub token_lifetime: Duration,
    pub apps: Vec<App>,
    pub api_resources: Vec<ApiResource>,
    pub local_claims: Vec<claims::types::LocalClaimRes>,
    pub dialects: Vec<Dialect>,
    pub idps: Vec<Idp>,
    pub groups: Vec<Group>,
    pub authenticators: Vec<authenticators::types::Authenticator>,
    pub oidc_scopes: Vec<oidc_scopes::types::Scope>,
    pub users: Vec<User>,
    pub roles: Vec<serde_json::Value>,
    pub login_flows: HashMap<String, LoginFlowJob>,
    pub login_flow_duration: Duration,
    pub login_flow_result_delay: Duration,
    pub ai_login_flow: bool,
    /// Secondary user stores (upper case); the primary store is always there.
    pub user_stores: Vec<String>,
    /// The OpenID Provider's state: sign-ins waiting for the login form, codes, refresh
    /// tokens and browser sessions.
    pub signin: super::provider::SignInState,
}

impl Store {
    pub fn empty(org: &str, seed: u64) -> Self {
        Self {
            org: org.to_owned(),
            rng: StdRng::seed_from_u64(seed),
            clients: Vec::new(),
            tokens: HashMap::new(),
            token_lifetime: Duration::from_secs(3600),
            apps: Vec::new(),
            api_resources: Vec::new(),
            local_claims: Vec::new(),
            dialects: Vec::new(),
            idps: Vec::new(),
            groups: Vec::new(),
            authenticators: Vec::new(),
            oidc_scopes: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
            login_flows: HashMap::new(),
            login_flow_duration: Duration::from_millis(1500),
            login_flow_result_delay: Duration::ZERO,
            ai_login_flow: true,
            user_stores: Vec::new(),
            signin: Default::default(),
        }
    }

    pub fn new_id(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random())
            .into_uuid()
            .to_string()
    }

    /// An opaque alphanumeric string, shaped like Asgardeo's client ids and secrets.
    pub fn new_opaque(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[self.rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    }

    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.id == id)
    }

    pub fn app_mut(&mut self, id: &str) -> Option<&mut App> {
        self.apps.iter_mut().find(|a| a.id == id)
    }

    pub fn next_api_seq(&self) -> u64 {
        self.api_resources
            .iter()
            .map(|a| a.seq)
            .max()
            .map_or(1, |s| s + 1)
    }

    /// The user with this id, if any.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.resource.id.as_deref() == Some(id))
    }

    /// Whether some API resource has a scope of this name.
    /// Every scope the application is authorized for, over all its authorized APIs.
    pub fn authorized_scopes(&self, app_id: &str) -> Vec<String> {
        self.app(app_id)
            .map(|app| {
                app.authorized
                    .iter()
                    .flat_map(|a| a.scopes.iter().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn scope_exists(&self, name: &str) -> bool {
        self.api_resources
            .iter()
            .any(|r| r.scopes.iter().any(|s| s.name == name))
    }

    /// Applications whose login flow names the connection `idp`.
    pub fn apps_using_idp(&self, idp: &str) -> Vec<String> {
        self.apps
            .iter()
            .filter(|a| {
                a.model.authentication_sequence.as_ref().is_some_and(|s| {
                    s.steps
                        .iter()
                        .any(|st| st.options.iter().any(|o| o.idp == idp))
                })
            })
            .map(|a| a.id.clone())
            .collect()
    }

    pub fn api_resource(&self, id: &str) -> Option<&ApiResource> {
        self.api_resources.iter().find(|a| a.id == id)
    }

    pub fn issue_token(&mut self, scopes: BTreeSet<String>) -> (String, Duration) {
        let token = self.new_opaque(36);
        let lifetime = self.token_lifetime;
        self.tokens.insert(
            token.clone(),
            IssuedToken {
                scopes,
                expires_at: Instant::now() + lifetime,
                user: None,
            },
        );
        (token, lifetime)
    }

    /// Adds a client allowed `scopes`; returns its credentials.
    pub fn add_client(&mut self, scopes: BTreeSet<String>) -> TokenClient {
        let client = TokenClient {
            client_id: self.new_opaque(28),
            client_secret: self.new_opaque(40),
            allowed_scopes: scopes,
        };
        self.clients.push(client.clone());
        client
    }
}

//! A realistic new organization: system portals, an M2M client for the server, the WSO2 local
//! claims with their OIDC mapping, the standard OIDC scopes, the local authenticators and the
//! management API resources (no connections: a new organization has none). Deterministic for a
//! given seed.

use std::collections::BTreeSet;

use super::store::{ApiResource, App, AuthorizedApi, Dialect, Scope, Store, TokenClient};
use crate::api::all_operations;
use crate::api::{applications, authenticators, claims, oidc_scopes};

pub use crate::wso2::{LOCAL_DIALECT, OIDC_DIALECT};
pub const SANDBOX_CLIENT_NAME: &str = "MCP Sandbox Client";

/// (local claim URI, display name, OIDC claim name).
const CLAIMS: [(&str, &str, &str); 18] = [
    ("http://wso2.org/claims/username", "Username", "username"),
    ("http://wso2.org/claims/userid", "User ID", "sub"),
    ("http://wso2.org/claims/emailaddress", "Email", "email"),
    (
        "http://wso2.org/claims/emailVerified",
        "Email Verified",
        "email_verified",
    ),
    (
        "http://wso2.org/claims/givenname",
        "First Name",
        "given_name",
    ),
    (
        "http://wso2.org/claims/lastname",
        "Last Name",
        "family_name",
    ),
    (
        "http://wso2.org/claims/middleName",
        "Middle Name",
        "middle_name",
    ),
    ("http://wso2.org/claims/fullname", "Full Name", "name"),
    ("http://wso2.org/claims/nickname", "Nick Name", "nickname"),
    ("http://wso2.org/claims/mobile", "Mobile", "phone_number"),
    (
        "http://wso2.org/claims/phoneVerified",
        "Phone Verified",
        "phone_number_verified",
    ),
    ("http://wso2.org/claims/dob", "Birth Date", "birthdate"),
    ("http://wso2.org/claims/gender", "Gender", "gender"),
    ("http://wso2.org/claims/locality", "Locality", "locale"),
    ("http://wso2.org/claims/photourl", "Photo URL", "picture"),
    ("http://wso2.org/claims/url", "URL", "website"),
    ("http://wso2.org/claims/country", "Country", "country"),
    ("http://wso2.org/claims/groups", "Groups", "groups"),
];

/// (scope, display name, OIDC claims).
const OIDC_SCOPES: [(&str, &str, &[&str]); 5] = [
    ("openid", "Open ID", &["sub"]),
    (
        "profile",
        "Profile",
        &[
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "picture",
            "website",
            "gender",
            "birthdate",
            "locale",
        ],
    ),
    ("email", "Email", &["email", "email_verified"]),
    ("phone", "Phone", &["phone_number", "phone_number_verified"]),
    ("address", "Address", &["country"]),
];

/// (authenticator name, display name, tags).
pub const LOCAL_AUTHENTICATORS: [(&str, &str, &str); 7] = [
    (
        "BasicAuthenticator",
        "Username & Password",
        "Username-Password",
    ),
    ("email-otp-authenticator", "Email OTP", "Passwordless"),
    ("sms-otp-authenticator", "SMS OTP", "MFA"),
    ("totp", "TOTP", "MFA"),
    ("FIDOAuthenticator", "Passkey", "Passwordless"),
    ("MagicLinkAuthenticator", "Magic Link", "Passwordless"),
    ("backup-code-authenticator", "Backup Code", "Recovery"),
];

use crate::wso2::dialect_id as encode_id;

/// Seeds `store`; returns the M2M client the server uses.
pub fn organization(store: &mut Store, extra_apps: usize) -> TokenClient {
    claims_and_dialects(store);
    scopes(store);
    local_authenticators(store);
    let system_apis = system_api_resources(store);
    for portal in ["Console", "My Account"] {
        let app = application(store, portal, None, true);
        store.apps.push(app);
    }
    let all_scopes: BTreeSet<String> = all_operations()
        .flat_map(|(_, _, _, scopes)| scopes.iter().map(|s| (*s).to_owned()))
        .chain(crate::api::UNDOCUMENTED_SCOPES.map(str::to_owned))
        .collect();
    let client = store.add_client(all_scopes);
    let mut m2m = application(store, SANDBOX_CLIENT_NAME, None, false);
    if let Some(oidc) = m2m.oidc.as_mut() {
        oidc.client_id = Some(client.client_id.clone());
        oidc.client_secret = Some(client.client_secret.clone());
        oidc.grant_types = vec!["client_credentials".into()];
    }
    m2m.authorized = system_apis
        .iter()
        .map(|api| AuthorizedApi {
            api_id: api.id.clone(),
            policy: "RBAC".into(),
            scopes: api.scopes.iter().map(|s| s.name.clone()).collect(),
        })
        .collect();
    store.apps.push(m2m);
    let admin = super::users::seeded_admin(store);
    store.users.push(admin);
    for i in 1..=extra_apps {
        let app = application(
            store,
            &format!("Seeded App {i:04}"),
            Some(&format!("https://app{i:04}.example.com/callback")),
            false,
        );
        store.apps.push(app);
    }
    client
}

/// An application with a confidential OIDC client (or a public one when it has a redirect URL).
fn application(store: &mut Store, name: &str, redirect: Option<&str>, system_portal: bool) -> App {
    let id = store.new_id();
    let client_id = store.new_opaque(28);
    let mut oidc = applications::types::OpenIdConnectConfiguration::builder()
        .client_id(Some(client_id))
        .grant_types(vec![
            "authorization_code".to_owned(),
            "refresh_token".to_owned(),
        ])
        .callback_ur_ls(redirect.map(|r| vec![r.to_owned()]).unwrap_or_default())
        .public_client(redirect.is_some());
    if redirect.is_none() {
        oidc = oidc.client_secret(Some(store.new_opaque(40)));
    }
    let model = applications::types::ApplicationModel::builder()
        .name(name.to_owned())
        .description(Some(format!("{name} (seeded)")));
    App {
        id,
        model: model.try_into().unwrap_or_else(|_| unreachable_model(name)),
        oidc: oidc.try_into().ok(),
        authorized: Vec::new(),
        system_portal,
    }
}

fn unreachable_model(name: &str) -> applications::types::ApplicationModel {
    serde_json::from_value(serde_json::json!({ "name": name }))
        .unwrap_or_else(|_| unreachable!("a name is a valid application"))
}

fn claims_and_dialects(store: &mut Store) {
    for (uri, display, _) in CLAIMS {
        let claim = claims::types::LocalClaimRes {
            id: Some(encode_id(uri)),
            claim_uri: Some(uri.to_owned()),
            dialect_uri: Some(LOCAL_DIALECT.to_owned()),
            display_name: Some(display.to_owned()),
            description: Some(display.to_owned()),
            supported_by_default: Some(true),
            ..Default::default()
        };
        store.local_claims.push(claim);
    }
    let oidc_id = encode_id(OIDC_DIALECT);
    let oidc_claims = CLAIMS
        .iter()
        .map(|(uri, _, oidc)| claims::types::ExternalClaimRes {
            id: Some(encode_id(oidc)),
            claim_uri: Some((*oidc).to_owned()),
            claim_dialect_uri: Some(OIDC_DIALECT.to_owned()),
            mapped_local_claim_uri: Some((*uri).to_owned()),
            properties: Vec::new(),
        })
        .collect();
    store.dialects.push(Dialect {
        id: "local".into(),
        uri: LOCAL_DIALECT.into(),
        claims: Vec::new(),
    });
    store.dialects.push(Dialect {
        id: oidc_id,
        uri: OIDC_DIALECT.into(),
        claims: oidc_claims,
    });
    let scim = "urn:ietf:params:scim:schemas:core:2.0:User";
    store.dialects.push(Dialect {
        id: encode_id(scim),
        uri: scim.into(),
        claims: Vec::new(),
    });
}

fn scopes(store: &mut Store) {
    for (name, display, claims) in OIDC_SCOPES {
        store.oidc_scopes.push(oidc_scopes::types::Scope {
            name: Some(name.to_owned()),
            display_name: Some(display.to_owned()),
            description: None,
            claims: claims.iter().map(|c| (*c).to_owned()).collect(),
        });
    }
}

fn local_authenticators(store: &mut Store) {
    for (name, display, tag) in LOCAL_AUTHENTICATORS {
        store
            .authenticators
            .push(authenticators::types::Authenticator {
                id: Some(encode_id(name)),
                name: Some(name.to_owned()),
                display_name: Some(display.to_owned()),
                is_enabled: Some(true),
                type_: Some("LOCAL".into()),
                defined_by: Some("SYSTEM".into()),
                tags: vec![tag.to_owned()],
                ..Default::default()
            });
    }
}

/// One SYSTEM API resource per management API, with the scopes its operations need.
fn system_api_resources(store: &mut Store) -> Vec<ApiResource> {
    const APIS: [(&str, &str, &str); 9] = [
        (
            "applications",
            "Application Management API",
            "/api/server/v1/applications",
        ),
        (
            "api_resources",
            "API Resource Management API",
            "/api/server/v1/api-resources",
        ),
        (
            "claims",
            "Claim Management API",
            "/api/server/v1/claim-dialects",
        ),
        (
            "identity_providers",
            "Identity Provider Management API",
            "/api/server/v1/identity-providers",
        ),
        (
            "authenticators",
            "Authenticator Management API",
            "/api/server/v1/authenticators",
        ),
        (
            "oidc_scopes",
            "OIDC Scope Management API",
            "/api/server/v1/oidc/scopes",
        ),
        ("users", "SCIM2 Users API", "/scim2/Users"),
        ("roles", "SCIM2 Roles V2 API", "/scim2/v2/Roles"),
        ("groups", "SCIM2 Groups API", "/scim2/Groups"),
    ];
    let mut created = Vec::new();
    for (api, name, identifier) in APIS {
        let mut names: BTreeSet<&str> = all_operations()
            .filter(|(a, ..)| *a == api)
            .flat_map(|(.., s)| s.iter().copied())
            .collect();
        if api == "applications" {
            // Granted by the Application Management API though no operation documents them.
            names.extend(crate::api::UNDOCUMENTED_SCOPES);
        }
        let scopes = names
            .into_iter()
            .map(|scope| Scope {
                id: store.new_id(),
                name: scope.to_owned(),
                display_name: scope.replace("internal_", "").replace('_', " "),
                description: None,
            })
            .collect();
        let resource = ApiResource {
            seq: store.next_api_seq(),
            id: store.new_id(),
            name: name.to_owned(),
            identifier: identifier.to_owned(),
            description: None,
            requires_authorization: true,
            kind: "SYSTEM".to_owned(),
            scopes,
        };
        created.push(resource.clone());
        store.api_resources.push(resource);
    }
    created
}

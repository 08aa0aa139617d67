//! Which clients' tokens get in. A valid token from the organization is not enough: any
//! application of the organization can be made to mint one (authorized for this server's API
//! resource, with `No Policy`, and this server's URL among its audiences), so a token is taken
//! only from a client this deployment trusts (`--allowed-clients`, which `setup-remote` prints),
//! and only while that client is authorized for this server's API resource under RBAC, so that a
//! person's `mcp:` scopes are the ones their roles give. The organization is asked once a minute
//! per client; while it cannot be reached, a recent yes still counts.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::api::Upstream;
use crate::wso2::filter::{Filter, Op};

/// How long the organization's answer about a client is kept.
const FRESH: Duration = Duration::from_secs(60);
/// How long a yes still counts while the organization cannot be reached.
const STALE_YES: Duration = Duration::from_secs(3600);

/// Why a client's token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientRefusal {
    #[error("the token names no client (`azp` or `client_id`)")]
    Unnamed,
    #[error(
        "the token was issued to client `{0}`, which this server does not trust (--allowed-clients)"
    )]
    NotAllowed(String),
    #[error(
        "client `{0}` is not authorized for this server's API resource `{1}` in the organization"
    )]
    NotAuthorized(String, String),
    #[error(
        "client `{0}` is authorized for this server's API resource with policy `{1}`; only RBAC keeps a person's scopes to the ones their roles give"
    )]
    NotRbac(String, String),
    #[error("the organization could not be asked about client `{0}`: {1}")]
    Unavailable(String, String),
}

impl ClientRefusal {
    /// Whether the fault is the server's (the organization unreachable), not the token's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(..))
    }
}

#[derive(Debug, Clone)]
struct Answer {
    verdict: Result<(), ClientRefusal>,
    at: Instant,
}

/// The trusted clients and what the organization last said of each. Cheap to clone.
#[derive(Clone)]
pub struct TrustedClients {
    allowed: Arc<BTreeSet<String>>,
    audience: Arc<str>,
    upstream: Upstream,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
}

impl TrustedClients {
    pub fn new(
        allowed: impl IntoIterator<Item = String>,
        audience: &str,
        upstream: Upstream,
    ) -> Self {
        Self {
            allowed: Arc::new(allowed.into_iter().collect()),
            audience: audience.into(),
            upstream,
            answers: Arc::default(),
        }
    }

    pub fn allowed(&self) -> impl Iterator<Item = &str> {
        self.allowed.iter().map(String::as_str)
    }

    /// Whether a token issued to `client` gets in.
    pub async fn admit(&self, client: Option<&str>) -> Result<(), ClientRefusal> {
        let client = client
            .filter(|c| !c.is_empty())
            .ok_or(ClientRefusal::Unnamed)?;
        if !self.allowed.contains(client) {
            return Err(ClientRefusal::NotAllowed(
                client.chars().take(100).collect(),
            ));
        }
        let mut answers = self.answers.lock().await;
        if let Some(answer) = answers.get(client)
            && answer.at.elapsed() < FRESH
        {
            return answer.verdict.clone();
        }
        let verdict = self.ask(client).await;
        let verdict = match (&verdict, answers.get(client)) {
            // The organization is out of reach: a recent yes still holds.
            (Err(ClientRefusal::Unavailable(..)), Some(last))
                if last.verdict.is_ok() && last.at.elapsed() < STALE_YES =>
            {
                return Ok(());
            }
            _ => verdict,
        };
        if !verdict.as_ref().is_err_and(ClientRefusal::is_unavailable) {
            answers.insert(
                client.to_owned(),
                Answer {
                    verdict: verdict.clone(),
                    at: Instant::now(),
                },
            );
        }
        verdict
    }

    /// Asks the organization: the application with this client id, then whether it is
    /// authorized for the API resource whose identifier is this server's audience, under RBAC.
    async fn ask(&self, client: &str) -> Result<(), ClientRefusal> {
        let unavailable = |why: String| {
            ClientRefusal::Unavailable(client.to_owned(), why.chars().take(300).collect())
        };
        let filter = Filter::clause("clientId", Op::Eq, client)
            .map_err(|e| ClientRefusal::NotAllowed(format!("{client} ({e})")))?;
        let apps = self
            .upstream
            .applications()
            .get_all_applications()
            .filter(filter.to_string())
            .attributes("clientId")
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .into_inner();
        let Some(app_id) = apps
            .applications
            .iter()
            .find(|a| a.client_id.as_deref() == Some(client))
            .and_then(|a| a.id.clone())
        else {
            return Err(ClientRefusal::NotAuthorized(
                client.to_owned(),
                self.audience.to_string(),
            ));
        };
        let authorized = self
            .upstream
            .applications()
            .get_authorized_apis()
            .application_id(&app_id)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .into_inner();
        let ours = authorized
            .iter()
            .find(|api| api.identifier.as_deref() == Some(&*self.audience));
        match ours {
            None => Err(ClientRefusal::NotAuthorized(
                client.to_owned(),
                self.audience.to_string(),
            )),
            Some(api) => match api.policy_id.as_deref() {
                Some(p) if p.eq_ignore_ascii_case("RBAC") => Ok(()),
                other => Err(ClientRefusal::NotRbac(
                    client.to_owned(),
                    other.unwrap_or("none").to_owned(),
                )),
            },
        }
    }
}

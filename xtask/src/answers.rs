//! `openapi/server-code.toml`: how WSO2's server code answers each operation we keep, read from
//! the code rather than the documents (success statuses, body, `Location`, the request fields
//! it checks, its errors, and where each is decided, at a pinned commit). The derivation takes
//! every operation's success responses from here; `OPERATIONS.md` shows the rest.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerCode {
    #[serde(rename = "operation")]
    pub operations: Vec<Answer>,
}

/// One operation, as the server's code answers it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The operationId (after the manifest's renames).
    pub id: String,
    /// Every 2xx status the code can send.
    pub success: Vec<u16>,
    pub body: Body,
    /// Whether a success carries `Location`.
    #[serde(default)]
    pub location: bool,
    /// Request fields the server checks (equality, enums, existence), in words.
    #[serde(default)]
    pub checks: String,
    /// The error bodies and statuses a tool meets, in words.
    pub errors: String,
    /// Where the success is built: repository, commit, file and line.
    pub source: String,
    /// Where versions or configuration change the answer.
    #[serde(default)]
    pub variants: String,
}

/// What a success carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    /// Nothing.
    None,
    /// The documented body, on every success status.
    Model,
    /// The documented body on some statuses or configurations, nothing on others: the client
    /// reads the bytes and the tool decodes what is there.
    Optional,
}

impl Body {
    pub fn as_str(self) -> &'static str {
        match self {
            Body::None => "none",
            Body::Model => "model",
            Body::Optional => "optional",
        }
    }
}

impl ServerCode {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let code: ServerCode =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        code.validate()?;
        Ok(code)
    }

    fn validate(&self) -> Result<()> {
        let mut seen = BTreeSet::new();
        for answer in &self.operations {
            if !seen.insert(answer.id.as_str()) {
                bail!("server-code: `{}` is listed twice", answer.id);
            }
            if answer.success.is_empty() || answer.success.iter().any(|s| !(200..300).contains(s)) {
                bail!(
                    "server-code: `{}` needs its 2xx statuses in `success`",
                    answer.id
                );
            }
            if answer.source.trim().is_empty() || answer.errors.trim().is_empty() {
                bail!(
                    "server-code: `{}` needs its `source` and `errors`",
                    answer.id
                );
            }
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Answer> {
        self.operations.iter().find(|a| a.id == id)
    }

    /// Fails unless exactly the kept operations are described.
    pub fn covers(&self, kept: &BTreeSet<String>) -> Result<()> {
        let described: BTreeSet<String> = self.operations.iter().map(|a| a.id.clone()).collect();
        let missing: Vec<&String> = kept.difference(&described).collect();
        let stale: Vec<&String> = described.difference(kept).collect();
        if !missing.is_empty() {
            bail!(
                "server-code.toml does not say how the server answers {missing:?}: read the server code and add them"
            );
        }
        if !stale.is_empty() {
            bail!("server-code.toml describes operations no API keeps: {stale:?}");
        }
        Ok(())
    }
}

//! The manifest (`openapi/sources.toml`): which upstream documents we derive from, and how.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub api: Vec<Api>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// Our name for the API: the output file stem and the Rust module name.
    pub name: String,
    /// The upstream file name, as found in a `--from` folder.
    pub file: String,
    /// The pinned download address (a commit, never a branch).
    pub url: String,
    pub sha256: String,
    /// Where the API lives under the tenant's base URL (`/api/server/v1`, `/scim2`).
    pub base_path: String,
    /// The operations we keep, by their (possibly renamed) operationId.
    pub operations: Vec<String>,
    /// `"METHOD /path" = "operationId"`: names for operations upstream leaves unnamed or names badly.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// `operationId = [scopes]`: the WSO2 scopes of operations whose upstream prose omits them.
    #[serde(default)]
    pub scopes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub relax: Vec<Relaxation>,
    /// Places where real servers answer differently from the document (after the tolerant
    /// step; response twins are named `<Name>Response`).
    #[serde(default)]
    pub tolerate: Vec<Tolerance>,
    /// Properties the server's code names differently on the wire than the document does.
    #[serde(default)]
    pub wire_name: Vec<WireName>,
}

/// A property whose name on the wire (the server model's `@JsonProperty`) is not the
/// document's: renamed, request and response alike.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireName {
    /// JSON pointer to the property in the upstream document, after pruning.
    pub at: String,
    /// The name the server's code serializes.
    pub name: String,
    /// Where the server's code says so.
    pub reason: String,
}

/// One place where a real server's answer differs from the document, widened on purpose.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// JSON pointer into the derived document.
    pub at: String,
    /// `"any"`: the value there may be any JSON (a field that arrives in several shapes).
    #[serde(default)]
    pub accept: Option<String>,
    /// Declares a property the document omits (a field found in an older or newer place).
    #[serde(default)]
    pub add_property: Option<String>,
    /// The added property's JSON type (default `string`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Where this was seen: the server code or captured response it comes from.
    pub reason: String,
}

/// A tolerance added to a schema because the live server sends more than the spec allows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relaxation {
    /// JSON pointer to a schema in the derived document.
    pub at: String,
    /// What to relax there: drop `enum`, `required` or `pattern` from a schema. (Success
    /// statuses come from `server-code.toml`.)
    pub drop: RelaxedKeyword,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelaxedKeyword {
    Enum,
    Required,
    /// A regular expression the tools never need checked by a generated client.
    Pattern,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        for api in &self.api {
            if !seen.insert(&api.name) {
                bail!("API `{}` is listed twice in the manifest", api.name);
            }
            if api.sha256.len() != 64 || !api.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("API `{}`: sha256 must be 64 hex digits", api.name);
            }
            if !api.base_path.starts_with('/') || api.base_path.ends_with('/') {
                bail!(
                    "API `{}`: base_path must start with `/` and not end with one",
                    api.name
                );
            }
        }
        Ok(())
    }
}

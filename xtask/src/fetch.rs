//! Where upstream documents come from: the pinned URLs, or a local folder of the same files.
//! Either way the bytes must match the manifest's sha256.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::manifest::Api;

pub enum Source {
    Pinned,
    Folder(PathBuf),
}

impl Source {
    pub fn read(&self, api: &Api) -> Result<String> {
        let bytes = match self {
            Source::Folder(dir) => {
                let path = dir.join(&api.file);
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?
            }
            Source::Pinned => download(&api.url)?,
        };
        verify_sha256(&api.name, &bytes, &api.sha256)?;
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", api.file))
    }
}

fn download(url: &str) -> Result<Vec<u8>> {
    let mut response = ureq::get(url)
        .call()
        .with_context(|| format!("downloading {url}"))?;
    response
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_vec()
        .with_context(|| format!("reading {url}"))
}

pub fn verify_sha256(name: &str, bytes: &[u8], expected: &str) -> Result<()> {
    let actual = hex(&Sha256::digest(bytes));
    if !actual.eq_ignore_ascii_case(expected) {
        bail!(
            "sha256 mismatch for API `{name}`: the manifest pins {expected}, the document is \
             {actual}. Upstream moved or the file was edited; to take a new version, pin its \
             commit URL and sha256 in openapi/sources.toml on purpose"
        );
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_mismatch_names_the_api_and_both_digests() {
        let expected = "0".repeat(64);
        let err = verify_sha256("users", b"hello", &expected)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`users`"), "{err}");
        assert!(err.contains(&expected), "{err}");
        assert!(
            err.contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            "{err}"
        );
    }

    #[test]
    fn sha256_match_passes() {
        verify_sha256(
            "x",
            b"hello",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        )
        .unwrap();
    }
}

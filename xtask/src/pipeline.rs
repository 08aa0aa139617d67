//! The whole derivation: for each API of the manifest, read the pinned upstream document, run
//! the steps in order, and render canonical JSON; then the operations table. Nothing here
//! touches the disk except `write` and `drift`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::answers::ServerCode;
use crate::canonical;
use crate::fetch::Source;
use crate::manifest::{Api, Manifest};
use crate::operations_table;
use crate::steps::{self, for_each_operation};

/// One file of `openapi/`, by name, with its full contents.
pub struct Output {
    pub name: String,
    pub contents: String,
}

pub fn regenerate(manifest_path: &Path, source: &Source) -> Result<Vec<Output>> {
    let manifest = Manifest::load(manifest_path)?;
    let code = ServerCode::load(&manifest_path.with_file_name(SERVER_CODE))?;
    code.covers(
        &manifest
            .api
            .iter()
            .flat_map(|a| a.operations.iter().cloned())
            .collect(),
    )?;
    let mut outputs = Vec::new();
    let mut derived = Vec::new();
    for api in &manifest.api {
        let text = source.read(api)?;
        let doc = derive(api, &text, &code)
            .with_context(|| format!("deriving API `{}` from {}", api.name, api.file))?;
        outputs.push(Output {
            name: format!("{}.json", api.name),
            contents: canonical::to_string(&doc)?,
        });
        derived.push((api, doc));
    }
    outputs.push(Output {
        name: "OPERATIONS.md".into(),
        contents: operations_table::render(&derived, &code),
    });
    Ok(outputs)
}

/// The hand-edited table of how the server code answers each operation, beside the manifest.
pub const SERVER_CODE: &str = "server-code.toml";

/// Upstream text in, our trimmed document out.
pub fn derive(api: &Api, text: &str, code: &ServerCode) -> Result<Value> {
    let mut doc = steps::yaml::parse(&steps::text_faults::repair(text))?;
    if steps::swagger2::is_swagger2(&doc) {
        doc = steps::swagger2::convert(doc)?;
    }
    steps::naming::apply(&mut doc, &api.names)?;
    steps::multipart::drop_operations(&mut doc);
    steps::media_types::normalize(&mut doc);
    steps::upstream_faults::repair(&mut doc);
    steps::scopes::extract(&mut doc, &api.scopes);
    steps::errors::read_by_the_seam(&mut doc);
    steps::prune::keep_operations(&mut doc, &api.operations)?;
    steps::wire_names::apply(&mut doc, &api.wire_name)?;
    steps::prose::drop_prose(&mut doc);
    steps::relax::apply(&mut doc, &api.relax)?;
    steps::success::apply(&mut doc, code)?;
    steps::tolerant::apply(&mut doc, &api.tolerate)?;
    doc["info"] = json!({ "title": api.name, "version": doc.pointer("/info/version").cloned().unwrap_or(json!("v1")) });
    doc["openapi"] = json!("3.0.3");
    doc["x-base-path"] = json!(api.base_path);
    require_scopes(&mut doc)?;
    let prose = steps::prose::remaining_prose(&doc);
    if !prose.is_empty() {
        bail!("prose survived the prose step at {prose:?}");
    }
    Ok(doc)
}

fn require_scopes(doc: &mut Value) -> Result<()> {
    let mut unscoped = Vec::new();
    for_each_operation(doc, |method, path, op| {
        if op.get(steps::scopes::KEY).is_none() {
            unscoped.push(format!("{} {path}", method.to_uppercase()));
        }
    });
    if !unscoped.is_empty() {
        bail!("no WSO2 scope is known for {unscoped:?}: add them to the API's [api.scopes] table");
    }
    Ok(())
}

pub fn write(dir: &Path, outputs: &[Output]) -> Result<()> {
    for output in outputs {
        let path = dir.join(&output.name);
        std::fs::write(&path, &output.contents)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    for stale in unexpected_files(dir, outputs)? {
        std::fs::remove_file(dir.join(&stale))
            .with_context(|| format!("removing stale {stale}"))?;
    }
    Ok(())
}

/// One line per file that `write` would change, create or remove.
pub fn drift(dir: &Path, outputs: &[Output]) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for output in outputs {
        match std::fs::read_to_string(dir.join(&output.name)) {
            Ok(existing) if existing == output.contents => {}
            Ok(_) => lines.push(format!("differs: openapi/{}", output.name)),
            Err(_) => lines.push(format!("missing: openapi/{}", output.name)),
        }
    }
    for stale in unexpected_files(dir, outputs)? {
        lines.push(format!("not derived from the manifest: openapi/{stale}"));
    }
    Ok(lines)
}

fn unexpected_files(dir: &Path, outputs: &[Output]) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(stale);
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !outputs.iter().any(|o| o.name == name) {
            stale.push(name);
        }
    }
    stale.sort();
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::steps::prose::remaining_prose;

    fn root() -> PathBuf {
        crate::workspace_root()
    }

    /// The pinned upstream copies, where this checkout sits beside `shared/` (as in CI).
    fn upstream() -> Option<PathBuf> {
        let dir = root().join("../shared/openapi-upstream/wso2is");
        dir.is_dir().then_some(dir)
    }

    #[test]
    fn committed_openapi_holds_no_prose() {
        let mut checked = 0;
        for entry in std::fs::read_dir(root().join("openapi")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let doc: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(
                    remaining_prose(&doc),
                    Vec::<String>::new(),
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
        let manifest =
            crate::manifest::Manifest::load(&root().join("openapi/sources.toml")).unwrap();
        assert_eq!(
            checked,
            manifest.api.len(),
            "one document per manifest entry"
        );
    }

    #[test]
    fn derivation_is_deterministic_and_matches_the_committed_files() {
        let Some(dir) = upstream() else {
            eprintln!("skipped: ../shared/openapi-upstream is not beside this checkout");
            return;
        };
        let manifest = root().join("openapi/sources.toml");
        let first = regenerate(&manifest, &Source::Folder(dir.clone())).unwrap();
        let second = regenerate(&manifest, &Source::Folder(dir)).unwrap();
        assert_eq!(first.len(), second.len());
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(
                a.contents, b.contents,
                "{} differs between two runs",
                a.name
            );
        }
        assert_eq!(
            drift(&root().join("openapi"), &first).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn check_names_modified_missing_and_stray_files() {
        let Some(dir) = upstream() else {
            eprintln!("skipped: ../shared/openapi-upstream is not beside this checkout");
            return;
        };
        let outputs =
            regenerate(&root().join("openapi/sources.toml"), &Source::Folder(dir)).unwrap();
        let out = std::env::temp_dir().join(format!("regen-check-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        write(&out, &outputs).unwrap();
        assert!(drift(&out, &outputs).unwrap().is_empty());
        std::fs::write(out.join("users.json"), "{}\n").unwrap();
        std::fs::remove_file(out.join("roles.json")).unwrap();
        std::fs::write(out.join("stray.json"), "{}\n").unwrap();
        let lines = drift(&out, &outputs).unwrap();
        assert_eq!(
            lines,
            [
                "differs: openapi/users.json",
                "missing: openapi/roles.json",
                "not derived from the manifest: openapi/stray.json"
            ]
        );
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn an_edited_upstream_copy_fails_its_sha256() {
        let Some(dir) = upstream() else {
            eprintln!("skipped: ../shared/openapi-upstream is not beside this checkout");
            return;
        };
        let copy = std::env::temp_dir().join(format!("regen-sha-{}", std::process::id()));
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
        }
        let target = copy.join("roles-v2.yaml");
        let mut text = std::fs::read_to_string(&target).unwrap();
        text.push_str("\n# edited\n");
        std::fs::write(&target, text).unwrap();
        let err = regenerate(
            &root().join("openapi/sources.toml"),
            &Source::Folder(copy.clone()),
        )
        .err()
        .expect("a sha256 mismatch")
        .to_string();
        assert!(err.contains("sha256 mismatch for API `roles`"), "{err}");
        std::fs::remove_dir_all(&copy).unwrap();
    }
}

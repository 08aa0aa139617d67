//! The whole derivation: for each API of the manifest, read the pinned upstream document, run
//! the steps in order, and render canonical JSON; then the operations table. Nothing here
//! touches the disk except `write` and `drift`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

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
    let mut outputs = Vec::new();
    let mut derived = Vec::new();
    for api in &manifest.api {
        let text = source.read(api)?;
        let doc = derive(api, &text)
            .with_context(|| format!("deriving API `{}` from {}", api.name, api.file))?;
        outputs.push(Output {
            name: format!("{}.json", api.name),
            contents: canonical::to_string(&doc)?,
        });
        derived.push((api, doc));
    }
    outputs.push(Output {
        name: "OPERATIONS.md".into(),
        contents: operations_table::render(&derived),
    });
    Ok(outputs)
}

/// Upstream text in, our trimmed document out.
pub fn derive(api: &Api, text: &str) -> Result<Value> {
    let mut doc = steps::yaml::parse(&steps::text_faults::repair(text))?;
    if steps::swagger2::is_swagger2(&doc) {
        doc = steps::swagger2::convert(doc)?;
    }
    steps::naming::apply(&mut doc, &api.names)?;
    steps::multipart::drop_operations(&mut doc);
    steps::media_types::normalize(&mut doc);
    steps::upstream_faults::repair(&mut doc);
    steps::scopes::extract(&mut doc, &api.scopes);
    steps::auth_responses::drop_bodiless_errors(&mut doc);
    steps::prune::keep_operations(&mut doc, &api.operations)?;
    steps::prose::drop_prose(&mut doc);
    steps::relax::apply(&mut doc, &api.relax)?;
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

//! Project automation. `cargo xtask regen-specs [--from DIR] [--check]` derives `openapi/` from
//! the pinned upstream WSO2 OpenAPI documents.

mod answers;
mod canonical;
mod fetch;
mod manifest;
mod operations_table;
mod pipeline;
mod steps;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask regen-specs [--from DIR] [--check]

  --from DIR   read the upstream documents from DIR (offline) instead of downloading them
  --check      write nothing; fail, naming each file, if openapi/ is not what it would write";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<ExitCode> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("regen-specs") => {}
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => bail!("unknown task `{other}`\n{USAGE}"),
    }
    let mut from = None;
    let mut check = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = Some(PathBuf::from(args.next().context("--from needs a folder")?)),
            "--check" => check = true,
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    let out_dir = workspace_root().join("openapi");
    let source = match from {
        Some(dir) => fetch::Source::Folder(dir),
        None => fetch::Source::Pinned,
    };
    let outputs = pipeline::regenerate(&out_dir.join("sources.toml"), &source)?;
    if check {
        let drift = pipeline::drift(&out_dir, &outputs)?;
        if drift.is_empty() {
            println!("openapi/ is up to date ({} files)", outputs.len());
            return Ok(ExitCode::SUCCESS);
        }
        for line in &drift {
            eprintln!("{line}");
        }
        eprintln!("openapi/ has drifted: run `cargo xtask regen-specs --from <upstream folder>`");
        return Ok(ExitCode::FAILURE);
    }
    pipeline::write(&out_dir, &outputs)?;
    println!("wrote {} files to {}", outputs.len(), out_dir.display());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

//! Generates one typed client per trimmed OpenAPI document in `openapi/` (see `src/api.rs`).

use std::path::Path;

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed=openapi");
    let mut entries: Vec<_> = std::fs::read_dir("openapi")
        .expect("openapi/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        generate(&path, Path::new(&out_dir));
    }
}

fn generate(path: &Path, out_dir: &Path) {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let spec: openapiv3::OpenAPI =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(quote_path("crate::api::Upstream"))
        .with_hooks(progenitor::HooksMode::Expected)
        .with_derive("PartialEq");
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("generating a client for {}: {e}", path.display()));
    let file: syn::File = syn::parse2(tokens)
        .unwrap_or_else(|e| panic!("parsing generated code for {}: {e}", path.display()));
    let mut code = prettyplease::unparse(&file);
    code.push_str(&shape_constants(&text));
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("UTF-8 file name");
    std::fs::write(out_dir.join(format!("{stem}.rs")), code).expect("writing generated client");
}

fn quote_path(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("a valid Rust path")
}

/// Facts the xtask lifted into the document: where the API lives and the scopes of each operation.
fn shape_constants(text: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    let base_path = doc["x-base-path"].as_str().expect("x-base-path");
    let mut rows = Vec::new();
    let mut names = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(id) = op.get("operationId").and_then(|v| v.as_str()) else {
                continue;
            };
            let scopes: Vec<String> = op["x-scopes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str())
                        .map(|s| format!("{s:?}"))
                        .collect()
                })
                .unwrap_or_default();
            rows.push(format!(
                "    ({id:?}, {:?}, {path:?}, &[{}]),\n",
                method.to_uppercase(),
                scopes.join(", ")
            ));
            names.push(format!("    ({:?}, {id:?}),\n", snake_case(id)));
        }
    }
    rows.sort();
    names.sort();
    format!(
        "\n/// Where this API lives under the tenant's base URL.\npub const BASE_PATH: &str = {base_path:?};\n\
         /// Each kept operation: (operationId, HTTP method, path under BASE_PATH, the WSO2 scopes it requires).\n\
         pub const OPERATIONS: &[(&str, &str, &str, &[&str])] = &[\n{}];\n\
         /// The generated method of each operation (progenitor's name for it) and its operationId.\n\
         pub const METHOD_NAMES: &[(&str, &str)] = &[\n{}];\n",
        rows.concat(),
        names.concat()
    )
}

/// progenitor's method name for an operationId (heck's snake case, as progenitor uses).
fn snake_case(id: &str) -> String {
    heck::ToSnakeCase::to_snake_case(id)
}

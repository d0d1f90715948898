//! The crate dependency table of DESIGN.md, enforced.
//!
//! Reads `cargo metadata` and fails on any dependency edge the table does not
//! allow, and on any `#[wasm_bindgen]` export outside `wasm-bridge`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Workspace crates each crate may depend on (normal and build dependencies),
/// and whether it may use crates from outside the workspace, and which.
struct Rule {
    krate: &'static str,
    workspace: &'static [&'static str],
    /// `None` = any external crate; `Some(list)` = only these.
    external: Option<&'static [&'static str]>,
}

const RULES: &[Rule] = &[
    Rule { krate: "ia32", workspace: &[], external: Some(&[]) },
    Rule { krate: "kernel", workspace: &["ia32"], external: Some(&[]) },
    Rule { krate: "machine-model", workspace: &["ia32"], external: Some(&["iced-x86"]) },
    Rule { krate: "asm", workspace: &["ia32"], external: Some(&["iced-x86", "object"]) },
    Rule { krate: "lessons", workspace: &[], external: Some(&["pulldown-cmark", "miniz_oxide", "base64"]) },
    Rule { krate: "sim", workspace: &["kernel", "machine-model", "asm", "ia32", "lessons"], external: None },
    Rule {
        krate: "wasm-bridge",
        workspace: &["sim"],
        external: Some(&["serde", "serde_json", "wasm-bindgen", "js-sys"]),
    },
    Rule {
        krate: "web-ui",
        workspace: &["wasm-bridge"],
        external: Some(&["yew", "gloo", "web-sys", "js-sys", "wasm-bindgen-futures", "serde", "serde_json"]),
    },
    Rule { krate: "native-boot", workspace: &["kernel", "ia32", "asm"], external: Some(&[]) },
    Rule { krate: "xtask", workspace: &[], external: None },
    Rule { krate: "wasm-tools", workspace: &[], external: None },
    Rule {
        krate: "tests",
        workspace: &["ia32", "kernel", "machine-model", "asm", "lessons", "sim", "wasm-bridge", "xtask"],
        external: None,
    },
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// (crate, dependency, kind) for every declared dependency of every workspace member.
fn edges(metadata: &Value) -> Vec<(String, String, String)> {
    let mut edges = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default().to_string();
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let kind = dependency["kind"].as_str().unwrap_or("normal").to_string();
            edges.push((name.clone(), dependency["name"].as_str().unwrap_or_default().to_string(), kind));
        }
    }
    edges
}

fn violations(edges: &[(String, String, String)], members: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for member in members {
        if !RULES.iter().any(|rule| rule.krate == member) {
            problems.push(format!("workspace crate `{member}` has no row in the layering table (DESIGN.md)"));
        }
    }
    for (krate, dependency, kind) in edges {
        if kind == "dev" {
            continue;
        }
        let Some(rule) = RULES.iter().find(|rule| rule.krate == krate) else {
            continue;
        };
        let is_workspace = members.iter().any(|member| member == dependency);
        let allowed = if is_workspace {
            rule.workspace.contains(&dependency.as_str())
        } else {
            rule.external.is_none_or(|list| list.contains(&dependency.as_str()))
        };
        if !allowed {
            problems.push(format!("`{krate}` must not depend on `{dependency}` ({kind} dependency)"));
        }
    }
    problems
}

#[test]
fn dependency_edges_follow_the_design_table() {
    let metadata = metadata();
    let members: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|package| package["name"].as_str().unwrap_or_default().to_string())
        .collect();
    let problems = violations(&edges(&metadata), &members);
    assert!(problems.is_empty(), "layering violations:\n  {}", problems.join("\n  "));
}

#[test]
fn a_forbidden_edge_is_reported() {
    let members: Vec<String> = ["kernel", "machine-model", "ia32", "web-ui", "sim", "wasm-bridge"]
        .iter()
        .map(|name| name.to_string())
        .collect();
    let edges = vec![
        ("kernel".to_string(), "machine-model".to_string(), "normal".to_string()),
        ("web-ui".to_string(), "sim".to_string(), "normal".to_string()),
        ("kernel".to_string(), "serde".to_string(), "normal".to_string()),
        ("kernel".to_string(), "ia32".to_string(), "normal".to_string()),
    ];
    let problems = violations(&edges, &members);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("`kernel` must not depend on `machine-model`"));
    assert!(problems[1].contains("`web-ui` must not depend on `sim`"));
    assert!(problems[2].contains("`kernel` must not depend on `serde`"));
}

fn rust_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "node_modules" {
                rust_files(&path, found);
            }
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

#[test]
fn wasm_bindgen_exports_live_only_in_wasm_bridge() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "found only {} Rust files under {}", files.len(), root.display());
    let bridge = root.join("wasm-bridge");
    let this_file = root.join("tests").join("tests").join("layering.rs");
    let mut offenders: BTreeMap<String, usize> = BTreeMap::new();
    for file in files.iter().filter(|file| !file.starts_with(&bridge) && **file != this_file) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let count = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .filter(|line| line.contains("#[wasm_bindgen]") || line.contains("#[wasm_bindgen("))
            .count();
        if count > 0 {
            offenders.insert(file.strip_prefix(&root).unwrap_or(file).display().to_string(), count);
        }
    }
    assert!(offenders.is_empty(), "#[wasm_bindgen] outside wasm-bridge: {offenders:?}");
}

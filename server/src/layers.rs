//! The house's layering and vocabulary, checked on the source: pages never reach into the JSON
//! API (both call `home`), `home` knows no HTTP, the web kit knows neither face, the hub stands on the kit and
//! not on the home's HTTP face, `ApiError` stays in HTTP code, the store knows no sync client,
//! the wire vocabulary (`wire`) stands below all of them, a concept has one name on both sides
//! of the wire, and errors keep their cause.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Lines of code (not comments) of the files under `dir` (in this crate's `src/`; a folder or
/// one file) that contain any of `needles`.
fn offending(dir: &str, needles: &[&str]) -> Vec<String> {
    offending_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir),
        needles,
    )
}

/// [`offending`] under any folder (or in one file).
fn offending_in(root: &Path, needles: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    if root.is_file() {
        files.push(root.to_owned());
    } else {
        rust_files(root, &mut files);
    }
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("source");
        for (number, line) in text.lines().enumerate() {
            // Comments may name what the code must not use.
            let code = line.trim_start();
            if !code.starts_with("//") && needles.iter().any(|n| code.contains(n)) {
                found.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn no_page_imports_the_json_api() {
    // `pages` sits beside `api` in `http`, so `super::super::api` is the same module.
    let found = offending("http/pages", &["http::api", "super::super::api"]);
    assert!(
        found.is_empty(),
        "pages must call `home`, not `http::api`:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_home_layer_knows_no_http() {
    let found = offending("home", &["axum", "crate::http", "ApiError"]);
    assert!(
        found.is_empty(),
        "`home` must not know HTTP:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_web_kit_knows_neither_face() {
    let found = offending(
        "web",
        &[
            "crate::http",
            "crate::hub",
            "crate::home",
            "AppState",
            "HubState",
        ],
    );
    assert!(
        found.is_empty(),
        "the kit (`web`) serves both faces and may know neither:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_hub_stands_on_the_kit_not_on_the_homes_face() {
    let found = offending("hub", &["crate::http", "AppState"]);
    assert!(
        found.is_empty(),
        "the hub uses `web` and its own `HubState`, not the home's `http`:\n{}",
        found.join("\n")
    );
}

#[test]
fn api_error_stays_in_http_code() {
    let below_http = [
        "domain",
        "home",
        "store",
        "export",
        "sync",
        "hub/report.rs",
        "hub/evaluation.rs",
        "hub/registry.rs",
        "hub/store",
        "hub/ingest.rs",
        "hub/profile.rs",
        "hub/workbook.rs",
        "wire",
    ];
    let found: Vec<String> = below_http
        .iter()
        .flat_map(|dir| offending(dir, &["ApiError", "PageError"]))
        .collect();
    assert!(
        found.is_empty(),
        "`ApiError` belongs to the HTTP faces; use cases return their own errors:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_knows_no_sync_client() {
    // The store logs and keeps the wire's words (`crate::wire`); deciding what to push is
    // `sync`'s, which calls down into the store, never the other way.
    let found = offending("store", &["crate::sync", "kejia_server::sync"]);
    assert!(
        found.is_empty(),
        "`store` must not import `sync` (the shared words are in `wire`):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_wire_stands_below_store_sync_hub_and_http() {
    let found = offending(
        "wire",
        &[
            "crate::store",
            "crate::sync",
            "crate::hub",
            "crate::http",
            "crate::web",
            "crate::home",
            "rusqlite",
            "reqwest",
            "axum",
        ],
    );
    assert!(
        found.is_empty(),
        "`wire` is pure data and hashing; it imports no store, sync, hub or HTTP:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_source_and_the_presenter_have_one_name_on_both_sides_of_the_wire() {
    // The API says `"source"`; the server and the kiosk both call it `Source`, and what is
    // presented `Presenting` (no `Method`, no `Who`).
    let kiosk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiosk/src");
    // Spelled in two halves, so that this line does not find itself.
    let needles = [concat!("enum", " Method"), concat!("enum", " Who")];
    let mut found = offending("", &needles);
    found.extend(offending_in(&kiosk, &needles));
    assert!(
        found.is_empty(),
        "a check-in's source is `Source`, who presents it `Presenting`:\n{}",
        found.join("\n")
    );
}

#[test]
fn errors_keep_their_cause() {
    // `map_err(|e| X(e.to_string()))` drops the cause: an error variant holds the error
    // (`#[from]`, `#[source]`) and its text says the same. Left out: `sync/`, the change log
    // and the sync state, being moved on another branch (issue 17), and the hub's reason for
    // a batch it cannot read, which becomes the 400's message on purpose.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let needle = concat!("(e.to_string", "()))");
    let mut found = offending("", &[needle]);
    found.extend(offending_in(&root.join("../kiosk/src"), &[needle]));
    found.extend(offending_in(&root.join("../src"), &[needle]));
    found.retain(|line| {
        ![
            "/sync/",
            "/changelog.rs:",
            "/sync_state.rs:",
            "Unopened::Malformed",
        ]
        .iter()
        .any(|left_out| line.contains(left_out))
    });
    assert!(
        found.is_empty(),
        "keep the cause as the error's source:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_module_with_submodules_is_a_folder_with_mod_rs() {
    // One module style: `name/mod.rs` for a module with children; `name.rs` beside a `name/`
    // folder only when the folder holds that file's tests.
    let roots = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiosk/src"),
    ];
    let mut mixed = Vec::new();
    for root in roots {
        let mut folders = vec![root];
        while let Some(folder) = folders.pop() {
            for entry in fs::read_dir(&folder).expect("folder") {
                let path = entry.expect("entry").path();
                if !path.is_dir() {
                    continue;
                }
                if path.with_extension("rs").is_file() {
                    let children = fs::read_dir(&path).expect("folder");
                    for child in children {
                        let name = child.expect("entry").file_name();
                        let name = name.to_string_lossy();
                        let tests = name == "tests.rs" || name.ends_with("proptests.rs");
                        if !tests {
                            mixed.push(format!("{}/{name}", path.display()));
                        }
                    }
                }
                folders.push(path);
            }
        }
    }
    assert!(
        mixed.is_empty(),
        "a module with children is `name/mod.rs`, not `name.rs` beside `name/`:\n{}",
        mixed.join("\n")
    );
}

/// The modules (`a::b`) whose `use` lines a library file has, resolved to the files of the
/// crate: `crate::`, `super::` and `self::` paths, one level of braces.
fn module_imports(src: &Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let test_code = |path: &Path| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with("tests.rs")
            || name == "test_support.rs"
            || name == "layers.rs"
            || path.components().any(|c| c.as_os_str() == "tests")
    };
    let module_of = |path: &Path| -> String {
        let relative = path
            .strip_prefix(src)
            .expect("under src")
            .with_extension("");
        let mut segments: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if segments.last().is_some_and(|s| s == "mod" || s == "lib") {
            segments.pop();
        }
        segments.join("::")
    };
    let modules: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter(|f| !test_code(f))
        .map(|f| (module_of(&f), f))
        .collect();
    let known: std::collections::BTreeSet<&str> = modules.iter().map(|(m, _)| m.as_str()).collect();
    let resolve = |path: &str| -> Option<String> {
        let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        while !segments.is_empty() {
            let candidate = segments.join("::");
            if known.contains(candidate.as_str()) {
                return Some(candidate);
            }
            segments.pop();
        }
        None
    };
    let mut imports = std::collections::BTreeMap::new();
    for (module, file) in &modules {
        let text = fs::read_to_string(file).expect("source");
        let code = text.split("mod tests {").next().unwrap_or(&text);
        let parent: Vec<&str> = module.split("::").collect();
        let parent = parent[..parent.len().saturating_sub(1)].join("::");
        let mut found = Vec::new();
        for statement in code.split(';') {
            // From the `use` on (attributes, comments and `pub` before it left out).
            let Some(start) = statement.lines().position(|line| {
                let line = line.trim_start();
                line.starts_with("use ")
                    || line.starts_with("pub use ")
                    || line.starts_with("pub(crate) use ")
            }) else {
                continue;
            };
            let statement: Vec<&str> = statement.lines().skip(start).collect();
            let statement = statement.join(" ");
            let Some((_, used)) = statement.split_once("use ") else {
                continue;
            };
            let used: String = used.split_whitespace().collect();
            let absolute = if let Some(rest) = used.strip_prefix("crate::") {
                rest.to_owned()
            } else if let Some(rest) = used.strip_prefix("super::") {
                format!("{parent}::{rest}")
            } else if let Some(rest) = used.strip_prefix("self::") {
                format!("{module}::{rest}")
            } else {
                continue;
            };
            let (head, braces) = match absolute.split_once('{') {
                Some((head, rest)) => (head.trim_end_matches(':'), Some(rest)),
                None => (absolute.as_str(), None),
            };
            let mut paths = vec![head.to_owned()];
            if let Some(items) = braces {
                for item in items.trim_end_matches('}').split(',') {
                    let first = item.split("::").next().unwrap_or("");
                    if !first.is_empty() && first != "self" {
                        paths.push(format!("{head}::{first}"));
                    }
                }
            }
            found.extend(paths.iter().filter_map(|p| resolve(p)));
        }
        found.sort();
        found.dedup();
        imports.insert(module.clone(), found);
    }
    imports
}

#[test]
fn no_two_modules_import_each_other() {
    // A parent and its child may (the parent declares the child, the child uses the parent's
    // items); two other modules that need each other are one concept split wrongly, or a
    // missing third module.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let imports = module_imports(&src);
    assert!(imports.len() > 100, "the scan found too few modules");
    let related = |a: &str, b: &str| {
        a.is_empty()
            || b.is_empty()
            || a.starts_with(&format!("{b}::"))
            || b.starts_with(&format!("{a}::"))
    };
    let mut circles = Vec::new();
    for (a, used) in &imports {
        for b in used {
            let back = imports.get(b).is_some_and(|theirs| theirs.contains(a));
            if a < b && back && !related(a, b) {
                circles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "modules that import each other:\n{}",
        circles.join("\n")
    );
}

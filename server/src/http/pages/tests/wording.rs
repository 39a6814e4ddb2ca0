//! One voice on every page: members are 会员 everywhere, and the phone pages address the member
//! as 您 (as the kiosk does). The words to avoid are spelled as escapes so this file passes too.

use std::path::{Path, PathBuf};

/// The other word for "members" (cheng yuan), which the pages no longer use.
const MEMBER_WORD_TO_AVOID: &str = "\u{6210}\u{5458}";
/// The familiar "you" (ni), which the phone pages no longer use.
const FAMILIAR_YOU: &str = "\u{4f60}";

/// Every file under `dir`, recursively (or `dir` itself when it is a file).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The lines, by file and number, under `dirs` holding `word`.
fn holding(word: &str, dirs: &[PathBuf]) -> Vec<String> {
    let mut hits = Vec::new();
    for dir in dirs {
        for file in files_under(dir) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                if line.contains(word) {
                    hits.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    hits
}

fn server_dir(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn no_template_or_server_source_says_chengyuan_for_members() {
    let dirs = [
        server_dir("templates"),
        server_dir("src"),
        server_dir("static"),
        server_dir("../src"),
        server_dir("../tests"),
    ];
    let hits = holding(MEMBER_WORD_TO_AVOID, &dirs);
    assert!(hits.is_empty(), "say 会员:\n{}", hits.join("\n"));
    // The scan sees the pages at all: the word they do use is there.
    assert!(!holding("会员", &dirs[..1]).is_empty());
}

#[test]
fn the_phone_pages_address_the_member_as_nin() {
    let dirs = [
        server_dir("templates/phone"),
        server_dir("src/http/pages/phone"),
    ];
    let hits = holding(FAMILIAR_YOU, &dirs);
    assert!(hits.is_empty(), "say 您:\n{}", hits.join("\n"));
    assert!(!holding("您", &dirs).is_empty());
}

//! The repository stands alone: no test, build script or source file reads a path outside it,
//! so a clone with nothing beside it builds and passes its tests (what the tests need, like the
//! Admin API spec in `spec/`, is vendored).
//!
//! The check reads every `.rs` file of the workspace as Rust tokens (comments and doc comments
//! are not paths) and resolves, lexically:
//! - a statement that names `CARGO_MANIFEST_DIR` (`concat!(env!(..), "/..")`,
//!   `Path::new(env!(..)).join("..")`, `format!("{}/..", env!(..))`): the crate's directory
//!   followed by every string literal of the statement, in order;
//! - `include_str!`, `include_bytes!`, `include!` and `#[path = ".."]`: against the file's
//!   directory, as the compiler does;
//! - any other relative literal with a `..` segment: against the crate's directory, where
//!   `cargo test` runs;
//! - any literal naming a `shared/` folder, where the spec files lived before they were vendored.
//!
//! It lives in this small test binary rather than in a new one, to cost no extra link.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environment variable whose value is a crate's directory.
const MANIFEST_DIR: &str = "CARGO_MANIFEST_DIR";
/// The macros that read a file at compile time, relative to the file that calls them.
const INCLUDE_MACROS: [&str; 3] = ["include_str", "include_bytes", "include"];
/// The folder beside the repository that the tests once read.
const SHARED: &str = "shared";

/// A path in one source file that resolves outside the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escape {
    pub line: usize,
    pub resolved: PathBuf,
    pub how: &'static str,
}

/// A source file reduced to what paths are made of; attributes other than `#[path]` (doc
/// comments among them) are dropped, as they are prose or configuration.
#[derive(Debug)]
enum Token {
    Literal {
        text: String,
        line: usize,
    },
    Ident(String),
    Punct(char),
    Open(Delimiter),
    Close(Delimiter),
    /// `#[path = "..."]`: a module file, relative to this file.
    PathAttribute {
        text: String,
        line: usize,
    },
}

fn flatten(stream: TokenStream, out: &mut Vec<Token>) {
    let mut trees = stream.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match tree {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                if matches!(trees.peek(), Some(TokenTree::Punct(q)) if q.as_char() == '!') {
                    trees.next();
                }
                match trees.peek() {
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
                        if let Some(token) = path_attribute(g.stream()) {
                            out.push(token);
                        }
                        trees.next();
                    }
                    _ => out.push(Token::Punct('#')),
                }
            }
            TokenTree::Punct(p) => out.push(Token::Punct(p.as_char())),
            TokenTree::Ident(i) => out.push(Token::Ident(i.to_string())),
            TokenTree::Literal(l) => {
                if let Some(text) = string_value(&l.to_string()) {
                    let line = l.span().start().line;
                    out.push(Token::Literal { text, line });
                }
            }
            TokenTree::Group(g) => {
                out.push(Token::Open(g.delimiter()));
                flatten(g.stream(), out);
                out.push(Token::Close(g.delimiter()));
            }
        }
    }
}

/// `path = "..."` inside an attribute's brackets.
fn path_attribute(stream: TokenStream) -> Option<Token> {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    match trees.as_slice() {
        [
            TokenTree::Ident(name),
            TokenTree::Punct(eq),
            TokenTree::Literal(l),
        ] if name == "path" && eq.as_char() == '=' => Some(Token::PathAttribute {
            text: string_value(&l.to_string())?,
            line: l.span().start().line,
        }),
        _ => None,
    }
}

/// The value of a string literal as written in the source (`"a\\b"`, `r#"..."#`, `b"..."`,
/// `c"..."`); `None` for numbers and characters. Escapes other than `\\` and `\"` are kept as
/// written: they do not occur in paths.
fn string_value(source: &str) -> Option<String> {
    let body = source.trim_start_matches(['b', 'c']);
    if let Some(raw) = body.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = &raw[hashes..raw.len() - hashes];
        return Some(inner.strip_prefix('"')?.strip_suffix('"')?.to_owned());
    }
    let inner = body.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\\\\", "\\").replace("\\\"", "\""))
}

/// `text` without `{...}` format placeholders.
fn without_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `base` followed by the segments of `text`, lexically: `..` removes the last component.
fn joined(base: &Path, text: &str) -> PathBuf {
    let mut path = base.to_path_buf();
    for segment in without_placeholders(text).split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                path.pop();
            }
            name => path.push(name),
        }
    }
    path
}

fn is_url(text: &str) -> bool {
    text.contains("://")
}

/// Every path in `source` (the text of `file`, in the crate at `crate_dir`) that resolves
/// outside `root`, at most one per line.
pub fn escapes(
    source: &str,
    file: &Path,
    crate_dir: &Path,
    root: &Path,
) -> Result<Vec<Escape>, String> {
    let stream: TokenStream = source
        .parse()
        .map_err(|e| format!("cannot be read as Rust tokens: {e}"))?;
    let mut tokens = Vec::new();
    flatten(stream, &mut tokens);
    let file_dir = file.parent().unwrap_or(root);
    let mut found: BTreeMap<usize, Escape> = BTreeMap::new();
    let mut report = |line: usize, resolved: PathBuf, how: &'static str| {
        if !resolved.starts_with(root) {
            found.entry(line).or_insert(Escape {
                line,
                resolved,
                how,
            });
        }
    };

    // A statement ends at `;` and at braces: a path is built within one.
    let statements = tokens.split(|t| {
        matches!(
            t,
            Token::Punct(';') | Token::Open(Delimiter::Brace) | Token::Close(Delimiter::Brace)
        )
    });
    for statement in statements {
        // Literals that are resolved by a rule of their own; the rest are checked one by one.
        let mut claimed = vec![false; statement.len()];

        for (i, token) in statement.iter().enumerate() {
            let included = match (token, statement.get(i + 1), statement.get(i + 3)) {
                (
                    Token::Ident(name),
                    Some(Token::Punct('!')),
                    Some(Token::Literal { text, line }),
                ) if INCLUDE_MACROS.contains(&name.as_str()) => Some((i + 3, text, *line)),
                (Token::PathAttribute { text, line }, _, _) => Some((i, text, *line)),
                _ => None,
            };
            if let Some((at, text, line)) = included {
                claimed[at] = true;
                let base = if text.starts_with('/') {
                    Path::new("/")
                } else {
                    file_dir
                };
                report(line, joined(base, text), "included relative to the file");
            }
        }

        let names_manifest_dir = statement
            .iter()
            .any(|t| matches!(t, Token::Literal { text, .. } if text == MANIFEST_DIR));
        if names_manifest_dir {
            let mut path = crate_dir.to_path_buf();
            let mut escaped_at = None;
            for (i, token) in statement.iter().enumerate() {
                let Token::Literal { text, line } = token else {
                    continue;
                };
                // An include's argument was resolved against its file above.
                if std::mem::replace(&mut claimed[i], true) || text == MANIFEST_DIR {
                    continue;
                }
                path = joined(&path, text);
                escaped_at = if path.starts_with(root) {
                    None
                } else {
                    escaped_at.or(Some(*line))
                };
            }
            if let Some(line) = escaped_at {
                report(line, path, "built from CARGO_MANIFEST_DIR");
            }
        }

        for (i, token) in statement.iter().enumerate() {
            let Token::Literal { text, line } = token else {
                continue;
            };
            if claimed[i] || is_url(text) {
                continue;
            }
            let segments: Vec<&str> = text.split(['/', '\\']).collect();
            let names_shared = segments
                .iter()
                .enumerate()
                .any(|(s, segment)| *segment == SHARED && s + 1 < segments.len());
            // An absolute literal that climbs (`/organization/users/..`) is an API path in a
            // test of dot segments, not a file: only relative ones climb out of the crate.
            let climbs = !text.starts_with('/') && segments.contains(&"..");
            if names_shared || climbs {
                let base = if text.starts_with('/') {
                    Path::new("/")
                } else {
                    crate_dir
                };
                let how = if names_shared {
                    "names a shared/ folder"
                } else {
                    "relative to the crate's directory"
                };
                report(*line, joined(base, text), how);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// The workspace root: the nearest directory above this crate whose `Cargo.toml` declares
/// `[workspace]`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| manifest.lines().any(|l| l.trim() == "[workspace]"))
        })
        .expect("a Cargo.toml with [workspace] above this crate")
        .to_path_buf()
}

/// Every `.rs` file under `root`, except build output (`target/`) and hidden folders.
pub fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The directory of the crate that holds `file`: the nearest one with a `Cargo.toml`.
pub fn crate_dir_of(file: &Path, root: &Path) -> PathBuf {
    file.ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root))
        .find(|dir| dir.join("Cargo.toml").is_file())
        .unwrap_or(root)
        .to_path_buf()
}

#[test]
fn no_source_file_reads_outside_the_repository() {
    let root = workspace_root();
    let files = rust_files(&root);
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("tests/stands_alone/mod.rs")),
        "the walk of {} misses this very file",
        root.display()
    );
    let mut problems = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let crate_dir = crate_dir_of(file, &root);
        match escapes(&source, file, &crate_dir, &root) {
            Ok(found) => problems.extend(found.into_iter().map(|e| {
                format!(
                    "{}:{}: a path {} resolves to {}",
                    file.strip_prefix(&root).unwrap_or(file).display(),
                    e.line,
                    e.how,
                    e.resolved.display()
                )
            })),
            Err(e) => problems.push(format!("{}: {e}", file.display())),
        }
    }
    assert!(
        problems.is_empty(),
        "paths outside the repository {} (vendor what they need into it, as spec/ holds the \
         Admin API spec):\n{}",
        root.display(),
        problems.join("\n")
    );
}

/// What [`escapes`] finds in `source`, as (line, how), for a file `tests/t.rs` of the crate
/// `crates/demo` in the repository `/repo`.
fn found_in(source: &str) -> Vec<(usize, &'static str)> {
    let root = Path::new("/repo");
    let crate_dir = root.join("crates/demo");
    escapes(source, &crate_dir.join("tests/t.rs"), &crate_dir, root)
        .expect("the fixture is Rust")
        .into_iter()
        .map(|e| (e.line, e.how))
        .collect()
}

// The fixtures below spell `..` through a `{up}` placeholder, so that this file holds no
// escaping literal of its own: the guard reads this file too.

#[test]
fn paths_that_leave_the_repository_are_found_with_their_line() {
    let up = ["..", "..", ".."].join("/");
    let up4 = ["..", "..", "..", ".."].join("/");
    let shared = SHARED;
    let source = format!(
        r#"
const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/{up}/elsewhere/openapi.admin.yaml"
);
fn f() {{
    let a = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("..").join("x");
    let b = format!("{{}}/{up}/x", env!("CARGO_MANIFEST_DIR"));
    let c = include_str!("{up4}/x.json");
    let d = std::fs::read("{up}/x");
    let e = std::fs::read("/work/{shared}/openai-admin-api/openapi.admin.yaml");
}}
#[path = "{up4}/module.rs"]
mod elsewhere;
"#
    );
    assert_eq!(
        found_in(&source),
        [
            (4, "built from CARGO_MANIFEST_DIR"),
            (7, "built from CARGO_MANIFEST_DIR"),
            (8, "built from CARGO_MANIFEST_DIR"),
            (9, "included relative to the file"),
            (10, "relative to the crate's directory"),
            (11, "names a shared/ folder"),
            (13, "included relative to the file"),
        ]
    );
}

#[test]
fn paths_inside_the_repository_and_prose_are_not_escapes() {
    let up = ["..", ".."].join("/");
    let up3 = ["..", "..", ".."].join("/");
    let shared = SHARED;
    let source = format!(
        r#"
//! A comment may say {up3}/{shared}/x: comments are not paths.
/// So may a doc comment: "{up3}/{shared}/x".
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/{up}/spec/openapi.admin.yaml");
const DEMO: &str = include_str!("{up}/scenarios/demo.json");
fn f() {{
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("{up}/docs/policies.md");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/{shared}/x.json");
    let entry = "a/{up}/x";
    let url = "https://example.com/{up3}/{shared}/x";
    let route = "/v1/organization/users";
}}
"#
    );
    assert_eq!(found_in(&source), []);
}

#[test]
fn string_literals_are_read_as_the_compiler_reads_them() {
    assert_eq!(string_value(r#""a\\b\"c""#).as_deref(), Some(r#"a\b"c"#));
    assert_eq!(string_value(r###"r#"x"y"#"###).as_deref(), Some(r#"x"y"#));
    assert_eq!(string_value(r#"b"bytes""#).as_deref(), Some("bytes"));
    assert_eq!(string_value("'c'"), None);
    assert_eq!(string_value("42"), None);
}

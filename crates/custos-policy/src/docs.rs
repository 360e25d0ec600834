//! `docs/policies.md`, generated from the registry so that the reference cannot drift from the
//! code. A test fails when the file differs; `CUSTOS_BLESS=1 cargo test -p custos-policy`
//! rewrites it.

use crate::meta::PolicyMeta;
use crate::registry::Registry;
use std::fmt::Write;

/// The policy reference in Markdown.
pub fn render_markdown(registry: &Registry) -> String {
    let mut out = String::new();
    out.push_str("# Built-in policies\n\n");
    out.push_str(
        "Generated from the policy registry (`crates/custos-policy`); do not edit by hand.\n\
         Regenerate with `CUSTOS_BLESS=1 cargo test -p custos-policy docs_policies_md_is_in_sync`.\n\n",
    );
    out.push_str("| id | title | severity | resource | needs |\n|---|---|---|---|---|\n");
    for check in registry.checks() {
        let meta = check.meta();
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {title} | {severity} | {resource} | {needs} |",
            id = meta.id,
            title = meta.title,
            severity = meta.severity,
            resource = meta.resource_kind,
            needs = needs(meta),
        );
    }
    for check in registry.checks() {
        out.push('\n');
        render_policy(&mut out, check.meta());
    }
    out
}

fn needs(meta: &PolicyMeta) -> String {
    meta.needs
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_policy(out: &mut String, meta: &PolicyMeta) {
    let _ = writeln!(out, "## {}\n", meta.id);
    let _ = writeln!(out, "**{}**\n", meta.title);
    let _ = writeln!(out, "- Severity: {}", meta.severity);
    let _ = writeln!(out, "- Category: {}", meta.category);
    let _ = writeln!(out, "- Resource: {}", meta.resource_kind);
    let _ = writeln!(out, "- Needs: {}", needs(meta));
    let _ = writeln!(out, "\nFires when: {}\n", meta.description);
    if meta.params.is_empty() {
        out.push_str("Parameters: none.\n\n");
    } else {
        out.push_str("| parameter | default | type | meaning |\n|---|---|---|---|\n");
        for spec in meta.params {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} |",
                spec.name,
                spec.default,
                spec.kind.expected(),
                spec.doc
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Remediation: {}\n", meta.remediation);
    let controls: Vec<String> = meta.controls.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "Controls: {}", controls.join("; "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn docs_policies_md_is_in_sync() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/policies.md");
        let expected = render_markdown(&Registry::builtin());
        if std::env::var_os("CUSTOS_BLESS").is_some_and(|v| v == "1") {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("create docs/");
            }
            std::fs::write(&path, &expected).expect("write docs/policies.md");
            return;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/policies.md is out of date: run `CUSTOS_BLESS=1 cargo test -p custos-policy docs_policies_md_is_in_sync`"
        );
    }
}

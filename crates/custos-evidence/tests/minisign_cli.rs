//! Interoperability: a pack's manifest verifies with the `minisign` tool (Debian's package),
//! so an auditor needs nothing from custos. Skipped when the tool is not installed, except in
//! CI (`CI` set), where `.ci/run` installs it and its absence is a failure.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn minisign_installed() -> bool {
    let installed = Command::new("minisign").arg("-v").output().is_ok();
    assert!(
        installed || std::env::var_os("CI").is_none(),
        "CI is set but the minisign tool is missing: .ci/run installs it"
    );
    installed
}

fn minisign_verifies(dir: &Path) -> bool {
    Command::new("minisign")
        .current_dir(dir)
        .args(["-Vm", "manifest.json", "-p", "evidence.pub"])
        .output()
        .expect("run minisign")
        .status
        .success()
}

#[tokio::test]
async fn the_minisign_tool_verifies_the_manifest() {
    if !minisign_installed() {
        eprintln!("minisign is not installed; skipping (apt-get install minisign)");
        return;
    }
    let key = signing_key();
    let archive = pack(&key).await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["manifest.json", "manifest.json.minisig"] {
        std::fs::write(dir.path().join(name), content(&archive, name)).unwrap();
    }
    std::fs::write(
        dir.path().join("evidence.pub"),
        key.public_key().to_file_text().0,
    )
    .unwrap();
    assert!(minisign_verifies(dir.path()));

    // And refuses a changed manifest.
    let mut manifest = content(&archive, "manifest.json");
    manifest[10] ^= 0x01;
    std::fs::write(dir.path().join("manifest.json"), manifest).unwrap();
    assert!(!minisign_verifies(dir.path()));
}

#[tokio::test]
async fn the_minisign_tool_reads_the_generated_public_key_file() {
    if !minisign_installed() {
        return;
    }
    let pair = custos_evidence::keygen(None).unwrap();
    let key = custos_evidence::SigningKey::from_text(&pair.secret, None).unwrap();
    let archive = pack(&key).await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["manifest.json", "manifest.json.minisig"] {
        std::fs::write(dir.path().join(name), content(&archive, name)).unwrap();
    }
    std::fs::write(dir.path().join("evidence.pub"), &pair.public.0).unwrap();
    assert!(minisign_verifies(dir.path()));
}

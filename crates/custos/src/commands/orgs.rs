//! `custos orgs`: organizations and their stored keys.

use super::context::{self, stored_key_name};
use super::output;
use crate::cli::{Format, OrgsAddArgs, OrgsCommand, RotateArgs};
use anyhow::{Context, bail};
use custos_config::KeySource;
use custos_store::SealedSecret;
use custos_store::crypto::{self, MasterKey};
use secrecy::SecretString;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub async fn run(command: OrgsCommand) -> anyhow::Result<ExitCode> {
    match command {
        OrgsCommand::Add(args) => add(args).await,
        OrgsCommand::List { store, config } => list(&store, &config).await,
        OrgsCommand::Remove { org, store } => remove(&org, &store).await,
        OrgsCommand::RotateMasterKey(args) => rotate(args).await,
    }
}

async fn add(args: OrgsAddArgs) -> anyhow::Result<ExitCode> {
    let read_key = if let Some(var) = &args.key_env {
        KeySource::Env(var.clone()).read_plain()?
    } else if let Some(path) = &args.key_file {
        KeySource::File(path.clone()).read_plain()?
    } else if args.key_stdin {
        Some(read_stdin_key()?)
    } else {
        None
    };
    let write_key = match &args.write_key_env {
        Some(var) => KeySource::Env(var.clone()).read_plain()?,
        None => None,
    };
    let store = context::open_store(&args.store).await?;
    if read_key.is_some() || write_key.is_some() {
        let (master, created) = context::master_key_or_create(&args.master_key.file)?;
        if let Some(path) = created {
            eprintln!(
                "created the master key file {} (mode 0600): back it up; without it the stored keys cannot be read",
                path.display()
            );
        }
        for (access, key) in [("read", read_key), ("write", write_key)] {
            if let Some(key) = key {
                let name = stored_key_name(&args.org, access);
                store
                    .put_secret(&name, &crypto::seal(&master, &name, &key)?)
                    .await?;
                println!(
                    "stored the {access} key of {} as {name:?} (master key {})",
                    args.org,
                    master.key_id()
                );
            }
        }
    }
    store
        .upsert_organization(&args.org, args.name.as_deref())
        .await?;
    println!("organization {} registered", args.org);
    Ok(ExitCode::SUCCESS)
}

fn read_stdin_key() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the key from standard input")?;
    let key = line.trim();
    if key.is_empty() {
        bail!(
            "standard input held no key: pipe the admin key in, e.g. `custos orgs add org-... --key-stdin < key.txt`"
        );
    }
    Ok(SecretString::from(key.to_owned()))
}

async fn list(
    args: &crate::cli::StoreArgs,
    config: &crate::cli::ConfigArgs,
) -> anyhow::Result<ExitCode> {
    let config = context::load_config(config)?;
    let store = context::open_store_read_only(args).await?;
    let stored = store.secrets().await?;
    let known = store.organizations().await?;
    let mut ids: Vec<String> = config
        .config()
        .organizations
        .iter()
        .map(|o| o.id.clone())
        .collect();
    ids.extend(known.iter().map(|(id, _)| id.clone()));
    ids.sort();
    ids.dedup();
    let mut rows = Vec::new();
    for id in ids {
        let configured = config.config().organizations.iter().find(|o| o.id == id);
        let name = configured
            .and_then(|o| o.name.clone())
            .or_else(|| {
                known
                    .iter()
                    .find(|(k, _)| *k == id)
                    .and_then(|(_, n)| n.clone())
            })
            .unwrap_or_default();
        let key_of = |access: &str| -> String {
            let name = stored_key_name(&id, access);
            let configured = configured.and_then(|o| match access {
                "read" => Some(o.read_key.clone()),
                _ => o.write_key.clone(),
            });
            match configured {
                Some(KeySource::Env(var)) => format!("env {var}"),
                Some(KeySource::File(path)) => format!("file {}", path.display()),
                Some(KeySource::Stored(name)) => format!("stored {name}"),
                None if stored.iter().any(|(n, _)| *n == name) => format!("stored {name}"),
                None => "-".into(),
            }
        };
        let latest = store.latest_scan(&id).await?;
        rows.push(vec![
            id.clone(),
            name,
            key_of("read"),
            key_of("write"),
            latest.as_ref().map_or_else(
                || "-".into(),
                |r| {
                    format!(
                        "{} ({}, {})",
                        r.id,
                        r.status,
                        output::time(Some(r.started_at))
                    )
                },
            ),
        ]);
    }
    output::print(
        Format::Table,
        &["org", "name", "read key", "write key", "latest scan"],
        &rows,
        &rows,
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn remove(org: &str, args: &crate::cli::StoreArgs) -> anyhow::Result<ExitCode> {
    let store = context::open_store(args).await?;
    let mut removed = 0;
    for access in ["read", "write"] {
        if store.delete_secret(&stored_key_name(org, access)).await? {
            removed += 1;
        }
    }
    if removed == 0 {
        bail!("organization {org} has no stored key; `custos orgs list` shows what is stored");
    }
    println!("deleted {removed} stored key(s) of {org}; its scans and history stay in the store");
    Ok(ExitCode::SUCCESS)
}

/// Opens every secret with the current key and seals it under the new one, all in one
/// transaction; nothing is written unless every secret opened. A new key file is written as
/// `NEW.partial` first and renamed into place only once the re-sealed secrets committed, so a
/// failed rotation leaves no new key file behind (and the old key still opens everything).
/// Secrets already under the new key (a rotation that was interrupted) are left as they are,
/// and a `.partial` file whose key already seals stored secrets is that rotation's key: rerunning
/// finishes the job.
async fn rotate(args: RotateArgs) -> anyhow::Result<ExitCode> {
    let store = context::open_store(&args.store).await?;
    let current = MasterKey::load(Some(&args.master_key.file))?;
    let secrets = store.secrets().await?;
    let partial = partial_key_file(&args.new_key_file);
    let (new, pending) = if args.new_key_file.exists() {
        (MasterKey::from_file(&args.new_key_file)?, None)
    } else {
        let (key, fresh) = pending_key(&partial, &secrets)?;
        (key, Some(fresh))
    };
    let resealed = reseal(&current, &new, &secrets);
    let committed = match resealed {
        Ok(resealed) => store.put_secrets(&resealed).await.map_err(Into::into),
        Err(e) => Err(e),
    };
    if let Err(e) = committed {
        // A key file created by this run seals nothing: the transaction did not commit.
        if pending == Some(true) {
            let _ = std::fs::remove_file(&partial);
        }
        return Err(e);
    }
    if pending.is_some() {
        std::fs::rename(&partial, &args.new_key_file).with_context(|| {
            format!(
                "the stored keys are re-encrypted under the key in {}, which could not be renamed: rename it to {} by hand",
                partial.display(),
                args.new_key_file.display()
            )
        })?;
    }
    println!(
        "re-encrypted {} stored key(s) from master key {} to {}{}; keep {} and retire the old key",
        secrets.len(),
        current.key_id(),
        new.key_id(),
        if pending.is_some() {
            " (new key file created, mode 0600)"
        } else {
            ""
        },
        args.new_key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Where a new master key waits until the secrets re-sealed under it have committed.
fn partial_key_file(new_key_file: &Path) -> PathBuf {
    let mut name = new_key_file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    new_key_file.with_file_name(name)
}

/// The key to rotate to when its file does not exist yet, and whether it is fresh: the
/// `.partial` key of an earlier run if stored secrets are already sealed with it (that run
/// committed but did not rename), else a new one (replacing a `.partial` that seals nothing).
fn pending_key(
    partial: &Path,
    secrets: &[(String, SealedSecret)],
) -> anyhow::Result<(MasterKey, bool)> {
    if partial.exists() {
        let earlier = MasterKey::from_file(partial)?;
        if secrets.iter().any(|(_, s)| s.key_id == earlier.key_id()) {
            return Ok((earlier, false));
        }
        std::fs::remove_file(partial)
            .with_context(|| format!("removing the unused key file {}", partial.display()))?;
    }
    Ok((MasterKey::generate_file(partial)?, true))
}

/// Every secret not yet under `new`, opened with `current` and sealed with `new`; the first
/// one that does not open stops everything.
fn reseal(
    current: &MasterKey,
    new: &MasterKey,
    secrets: &[(String, SealedSecret)],
) -> anyhow::Result<Vec<(String, SealedSecret)>> {
    if new.key_id() == current.key_id() {
        bail!(
            "the new master key is the current one (key id {}): give another file",
            new.key_id()
        );
    }
    secrets
        .iter()
        .filter(|(_, s)| s.key_id != new.key_id())
        .map(|(name, sealed)| {
            let plain = crypto::open(current, name, sealed).with_context(|| {
                format!("opening the stored key {name:?}; nothing was re-encrypted")
            })?;
            Ok((name.clone(), crypto::seal(new, name, &plain)?))
        })
        .collect()
}

//! `custos orgs`: organizations and their stored keys.

use super::context::{self, stored_key_name};
use super::output;
use crate::cli::{Format, OrgsAddArgs, OrgsCommand, RotateArgs};
use anyhow::{Context, bail};
use custos_config::KeySource;
use custos_store::crypto::{self, MasterKey};
use secrecy::SecretString;
use std::io::BufRead;
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
        let (master, created) = context::master_key_or_create(&args.master_key_file)?;
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
    let store = context::open_store(args).await?;
    let stored = store.secrets().await?;
    let known = store.organizations().await?;
    let mut ids: Vec<String> = config.organizations.iter().map(|o| o.id.clone()).collect();
    ids.extend(known.iter().map(|(id, _)| id.clone()));
    ids.sort();
    ids.dedup();
    let mut rows = Vec::new();
    for id in ids {
        let configured = config.organizations.iter().find(|o| o.id == id);
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

/// Opens every secret with the current key and seals it under the new one; nothing is
/// written unless every secret opened. Secrets already under the new key (a rotation that was
/// interrupted) are left as they are, so rerunning finishes the job.
async fn rotate(args: RotateArgs) -> anyhow::Result<ExitCode> {
    let store = context::open_store(&args.store).await?;
    let current = MasterKey::load(Some(&args.master_key_file))?;
    let (new, created) = if args.new_key_file.exists() {
        (MasterKey::from_file(&args.new_key_file)?, false)
    } else {
        (MasterKey::generate_file(&args.new_key_file)?, true)
    };
    if new.key_id() == current.key_id() {
        bail!(
            "the new master key is the current one (key id {}): give another file",
            new.key_id()
        );
    }
    let secrets = store.secrets().await?;
    let mut opened = Vec::new();
    for (name, sealed) in secrets.iter().filter(|(_, s)| s.key_id != new.key_id()) {
        let plain = crypto::open(&current, name, sealed).with_context(|| {
            format!("opening the stored key {name:?}; nothing was re-encrypted")
        })?;
        opened.push((name, plain));
    }
    for (name, plain) in opened {
        store
            .put_secret(name, &crypto::seal(&new, name, &plain)?)
            .await?;
    }
    println!(
        "re-encrypted {} stored key(s) from master key {} to {}{}; keep {} and retire the old key",
        secrets.len(),
        current.key_id(),
        new.key_id(),
        if created {
            " (new key file created, mode 0600)"
        } else {
            ""
        },
        args.new_key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

//! What most commands share: the configuration, the store, the organization and its keys.

use crate::cli::{ConfigArgs, StoreArgs};
use anyhow::{Context, bail};
use custos_config::{Config, DEFAULT_BASE_URL, KeySource, OrganizationConfig};
use custos_store::crypto::{self, MasterKey};
use custos_store::{Location, ScanRun, Store};
use secrecy::SecretString;
use std::path::{Path, PathBuf};

/// The configuration: `--config`, else `./custos.toml` when it exists, else the defaults.
pub fn load_config(args: &ConfigArgs) -> anyhow::Result<Config> {
    match &args.config {
        Some(path) => Ok(Config::load(path)?),
        None if Path::new("custos.toml").exists() => Ok(Config::load(Path::new("custos.toml"))?),
        None => Ok(Config::default()),
    }
}

/// The store, to write (created and migrated as needed).
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<Box<dyn Store>> {
    custos_store::open(&args.db)
        .await
        .with_context(|| format!("cannot open the store {}", Location::shown(&args.db)))
}

/// The store, for a command that only reads: nothing is created, migrated or written, so a
/// read-only file can be read.
pub async fn open_store_read_only(args: &StoreArgs) -> anyhow::Result<Box<dyn Store>> {
    custos_store::open_read_only(&args.db)
        .await
        .with_context(|| format!("cannot read the store {}", Location::shown(&args.db)))
}

/// The name under which an organization's key is stored.
pub fn stored_key_name(org_id: &str, access: &str) -> String {
    format!("org/{org_id}/{access}")
}

/// An organization to scan, with its keys read.
pub struct Target {
    pub id: String,
    pub name: Option<String>,
    pub base_url: String,
    pub read_key: SecretString,
    pub project_keys: Vec<(String, SecretString)>,
}

/// The organization `--org` names: from the config, else registered with `custos orgs add`,
/// else (with `--org`) read with `OPENAI_ADMIN_KEY`.
pub async fn target(
    config: &Config,
    store: &dyn Store,
    org: Option<&str>,
    base_url: Option<&str>,
    master_key_file: &Path,
) -> anyhow::Result<Target> {
    let keys = Keys {
        store,
        master_key_file,
    };
    let in_config = match org {
        Some(id) => config.organizations.iter().find(|o| o.id == id),
        None if config.organizations.is_empty() => None,
        None => Some(config.organization(None)?),
    };
    if let Some(org) = in_config {
        return configured_target(org, base_url, &keys).await;
    }
    let Some(id) = org else {
        bail!(
            "no organization is configured: pass --org org-... (with OPENAI_ADMIN_KEY set), \
             register one with `custos orgs add`, or list it in custos.toml"
        );
    };
    let name = store
        .organizations()
        .await?
        .into_iter()
        .find(|(known, _)| known == id)
        .and_then(|(_, name)| name);
    let stored = stored_key_name(id, "read");
    let read_key = if store.secret(&stored).await?.is_some() {
        keys.read(&KeySource::Stored(stored)).await?
    } else {
        keys.read(&KeySource::Env("OPENAI_ADMIN_KEY".into()))
            .await
            .with_context(|| {
                format!(
                    "organization {id} has no stored key (`custos orgs add {id}`) and \
                     OPENAI_ADMIN_KEY is not set"
                )
            })?
    };
    Ok(Target {
        id: id.to_owned(),
        name,
        base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_owned(),
        read_key,
        project_keys: Vec::new(),
    })
}

async fn configured_target(
    org: &OrganizationConfig,
    base_url: Option<&str>,
    keys: &Keys<'_>,
) -> anyhow::Result<Target> {
    let read_key = keys
        .read(&org.read_key)
        .await
        .with_context(|| format!("reading the read key of organization {}", org.id))?;
    let mut project_keys = Vec::new();
    for project in &org.project_keys {
        let key = keys.read(&project.key).await.with_context(|| {
            format!(
                "reading the key of project {} of organization {}",
                project.project_id, org.id
            )
        })?;
        project_keys.push((project.project_id.clone(), key));
    }
    Ok(Target {
        id: org.id.clone(),
        name: org.name.clone(),
        base_url: base_url.unwrap_or(&org.base_url).to_owned(),
        read_key,
        project_keys,
    })
}

/// Reads keys from their sources; stored ones are opened with the master key.
struct Keys<'a> {
    store: &'a dyn Store,
    master_key_file: &'a Path,
}

impl Keys<'_> {
    async fn read(&self, source: &KeySource) -> anyhow::Result<SecretString> {
        if let Some(key) = source.read_plain()? {
            return Ok(key);
        }
        let KeySource::Stored(name) = source else {
            bail!("the key source gave no key");
        };
        let sealed = self.store.secret(name).await?.with_context(|| {
            format!("no stored key named {name:?}: add it with `custos orgs add`")
        })?;
        let master = MasterKey::load(Some(self.master_key_file))?;
        Ok(crypto::open(&master, name, &sealed)?)
    }
}

/// The master key to seal with: `CUSTOS_MASTER_KEY`, the file, or a new file.
pub fn master_key_or_create(file: &Path) -> anyhow::Result<(MasterKey, Option<PathBuf>)> {
    if let Some(key) = MasterKey::from_env()? {
        return Ok((key, None));
    }
    if file.exists() {
        return Ok((MasterKey::from_file(file)?, None));
    }
    Ok((MasterKey::generate_file(file)?, Some(file.to_owned())))
}

/// The organization `--org` names, or every organization of the store.
pub async fn orgs_or_all(store: &dyn Store, org: Option<&str>) -> anyhow::Result<Vec<String>> {
    Ok(match org {
        Some(org) => vec![org.to_owned()],
        None => store
            .organizations()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    })
}

/// The organization a read command is about: `--org`, else the only one the store knows.
pub async fn org_of_store(store: &dyn Store, org: Option<&str>) -> anyhow::Result<String> {
    if let Some(org) = org {
        return Ok(org.to_owned());
    }
    let known = store.organizations().await?;
    match known.as_slice() {
        [(only, _)] => Ok(only.clone()),
        [] => bail!("the store holds no organization yet: run `custos scan` first"),
        _ => bail!(
            "the store holds several organizations ({}): choose one with --org",
            known
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Scan `id` (checked to belong to `org`), or the organization's latest visible scan.
pub async fn scan_or_latest(
    store: &dyn Store,
    org: &str,
    id: Option<i64>,
) -> anyhow::Result<ScanRun> {
    match id {
        Some(id) => {
            let run = store
                .scan(id)
                .await?
                .with_context(|| format!("there is no scan {id}: `custos scans` lists them"))?;
            if run.org_id != org {
                bail!("scan {id} is of organization {}, not {org}", run.org_id);
            }
            if !run.status.is_visible() {
                bail!(
                    "scan {id} is {}: it has no snapshot to read; choose a complete or partial scan",
                    run.status
                );
            }
            Ok(run)
        }
        None => store.latest_scan(org).await?.with_context(|| {
            format!("organization {org} has no finished scan yet: run `custos scan --org {org}`")
        }),
    }
}

//! What a command or a request is about: the store, the organization and its keys, the scan.

use crate::config::ValidConfig;
use crate::provider::Target;
use crate::{Error, Result};
use custos_config::{DEFAULT_BASE_URL, KeySource, OrganizationConfig};
use custos_store::crypto::{self, MasterKey};
use custos_store::{Location, ObjectRecord, ScanRun, ScanStatus, Store};
use secrecy::SecretString;
use std::path::{Path, PathBuf};

/// The environment variable holding the admin key of an organization named only by its id.
pub const ADMIN_KEY_VARIABLE: &str = "OPENAI_ADMIN_KEY";

/// The store at `location`, to write (created and migrated as needed).
pub async fn open_store(location: &str) -> Result<Box<dyn Store>> {
    custos_store::open(location)
        .await
        .map_err(|source| Error::OpenStore {
            location: Location::shown(location),
            source,
        })
}

/// The store at `location`, to read only: nothing is created, migrated or written, so a
/// read-only file can be read.
pub async fn open_store_read_only(location: &str) -> Result<Box<dyn Store>> {
    custos_store::open_read_only(location)
        .await
        .map_err(|source| Error::ReadStore {
            location: Location::shown(location),
            source,
        })
}

/// The name under which an organization's key is stored.
pub fn stored_key_name(org_id: &str, access: &str) -> String {
    format!("org/{org_id}/{access}")
}

/// The organization `org` names (the only configured one when `None`): from the config, else
/// registered with `custos orgs add`, else (named) read with [`ADMIN_KEY_VARIABLE`]. Its
/// provider is its entry's; an organization the config does not list is read through the
/// default provider. `base_url` overrides the configured one.
pub async fn target(
    config: &ValidConfig,
    store: &dyn Store,
    org: Option<&str>,
    base_url: Option<&str>,
    master_key_file: &Path,
) -> Result<Target> {
    let keys = Keys {
        store,
        master_key_file,
    };
    let organizations = &config.config().organizations;
    let in_config = match org {
        Some(id) => organizations.iter().find(|o| o.id == id),
        None if organizations.is_empty() => None,
        None => Some(config.config().organization(None)?),
    };
    if let Some(org) = in_config {
        return configured_target(config, org, base_url, &keys).await;
    }
    let Some(id) = org else {
        return Err(Error::Selection(format!(
            "no organization is configured: pass --org org-... (with {ADMIN_KEY_VARIABLE} set), \
             register one with `custos orgs add`, or list it in custos.toml"
        )));
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
        keys.read(&KeySource::Env(ADMIN_KEY_VARIABLE.into()))
            .await
            .map_err(|source| Error::NoKey {
                org_id: id.to_owned(),
                variable: ADMIN_KEY_VARIABLE,
                source: Box::new(source),
            })?
    };
    Ok(Target {
        source: config.source_for(id),
        id: id.to_owned(),
        name,
        base_url: base_url.unwrap_or(DEFAULT_BASE_URL).to_owned(),
        read_key,
        project_keys: Vec::new(),
    })
}

async fn configured_target(
    config: &ValidConfig,
    org: &OrganizationConfig,
    base_url: Option<&str>,
    keys: &Keys<'_>,
) -> Result<Target> {
    let reading = |what: String| {
        move |source| Error::Key {
            what,
            source: Box::new(source),
        }
    };
    let read_key = keys
        .read(&org.read_key)
        .await
        .map_err(reading(format!("the read key of organization {}", org.id)))?;
    let mut project_keys = Vec::new();
    for project in &org.project_keys {
        let key = keys.read(&project.key).await.map_err(reading(format!(
            "the key of project {} of organization {}",
            project.project_id, org.id
        )))?;
        project_keys.push((project.project_id.clone(), key));
    }
    Ok(Target {
        source: config.source_for(&org.id),
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
    async fn read(&self, source: &KeySource) -> Result<SecretString> {
        read_key(self.store, source, self.master_key_file).await
    }
}

/// The key `source` names: from the environment or a file, or stored in `store` and opened
/// with the master key (`CUSTOS_MASTER_KEY`, else `master_key_file`).
pub async fn read_key(
    store: &dyn Store,
    source: &KeySource,
    master_key_file: &Path,
) -> Result<SecretString> {
    let KeySource::Stored(name) = source else {
        // Every other source is read from the environment or a file.
        return source.read_plain()?.ok_or_else(|| {
            custos_config::ConfigError::Key("the key source gave no key".to_owned()).into()
        });
    };
    let sealed = store
        .secret(name)
        .await?
        .ok_or_else(|| Error::NoStoredKey(name.clone()))?;
    let master = MasterKey::load(Some(master_key_file))?;
    Ok(crypto::open(&master, name, &sealed)?)
}

/// The master key to seal with: `CUSTOS_MASTER_KEY`, the file, or a new file (returned too).
pub fn master_key_or_create(file: &Path) -> Result<(MasterKey, Option<PathBuf>)> {
    if let Some(key) = MasterKey::from_env()? {
        return Ok((key, None));
    }
    if file.exists() {
        return Ok((MasterKey::from_file(file)?, None));
    }
    Ok((MasterKey::generate_file(file)?, Some(file.to_owned())))
}

/// The organization `org` names, or every organization of the store.
pub async fn orgs_or_all(store: &dyn Store, org: Option<&str>) -> Result<Vec<String>> {
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

/// The organization a read is about: `org`, else the only one the store knows.
pub async fn org_of_store(store: &dyn Store, org: Option<&str>) -> Result<String> {
    if let Some(org) = org {
        return Ok(org.to_owned());
    }
    let known = store.organizations().await?;
    match known.as_slice() {
        [(only, _)] => Ok(only.clone()),
        [] => Err(Error::Selection(
            "the store holds no organization yet: run `custos scan` first".to_owned(),
        )),
        _ => Err(Error::Selection(format!(
            "the store holds several organizations ({}): choose one with --org",
            known
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Scan `id` (checked to belong to `org` and to have a snapshot), or the organization's latest
/// visible scan.
pub async fn scan_or_latest(store: &dyn Store, org: &str, id: Option<i64>) -> Result<ScanRun> {
    let Some(id) = id else {
        return store.latest_scan(org).await?.ok_or_else(|| {
            Error::Selection(format!(
                "organization {org} has no finished scan yet: run `custos scan --org {org}`"
            ))
        });
    };
    let run = store.scan(id).await?.ok_or_else(|| {
        Error::Selection(format!("there is no scan {id}: `custos scans` lists them"))
    })?;
    if run.org_id != org {
        return Err(Error::Selection(format!(
            "scan {id} is of organization {}, not {org}",
            run.org_id
        )));
    }
    if !run.status.is_visible() {
        return Err(Error::Selection(format!(
            "scan {id} is {}: it has no snapshot to read; choose a complete or partial scan",
            run.status
        )));
    }
    Ok(run)
}

/// The objects of one kind in a scan, and whether the scan read them all.
#[derive(Debug)]
pub struct KindObjects {
    pub run: ScanRun,
    /// Sorted by id (byte order).
    pub objects: Vec<ObjectRecord>,
    /// An endpoint giving this kind failed in this (partial) scan: the list is incomplete.
    pub incomplete: bool,
}

/// The objects of `kind` in scan `id` of `org` (its latest visible scan when `None`).
pub async fn kind_objects(
    store: &dyn Store,
    org: &str,
    kind: &str,
    id: Option<i64>,
) -> Result<KindObjects> {
    let run = scan_or_latest(store, org, id).await?;
    let incomplete = run.status == ScanStatus::Partial
        && run
            .endpoints
            .iter()
            .any(|e| !e.ok && e.kinds.iter().any(|k| k == kind));
    let objects = store.objects(run.id, Some(kind)).await?;
    Ok(KindObjects {
        run,
        objects,
        incomplete,
    })
}

//! The command line's arguments handed to the application layer: `--config`, `--db`.

use crate::cli::{ConfigArgs, StoreArgs};
use custos_app::ValidConfig;
use custos_store::Store;

pub use custos_app::context::{
    kind_objects, master_key_or_create, org_of_store, orgs_or_all, read_key, scan_or_latest,
    stored_key_name, target,
};

/// The configuration, validated: `--config`, else `./custos.toml` when it exists, else the
/// defaults.
pub fn load_config(args: &ConfigArgs) -> anyhow::Result<ValidConfig> {
    Ok(ValidConfig::discover(args.config.as_deref())?)
}

/// The custom policy files that did not load, as warnings on stderr (the other policies run).
pub fn warn_policy_errors(config: &ValidConfig) {
    for error in config.policy_errors() {
        eprintln!("warning: custom policy not loaded: {error}");
    }
}

/// The store, to write (created and migrated as needed).
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<Box<dyn Store>> {
    Ok(custos_app::context::open_store(&args.db).await?)
}

/// The store, for a command that only reads.
pub async fn open_store_read_only(args: &StoreArgs) -> anyhow::Result<Box<dyn Store>> {
    Ok(custos_app::context::open_store_read_only(&args.db).await?)
}

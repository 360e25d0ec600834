//! `custos users add|list|disable|rekey|anchor`: custos's own principals. The first
//! `users add` of a store needs no token and must create an admin (the bootstrap), whose public
//! key becomes the trust anchor, written to the anchor file; every later change needs an
//! admin's token (CUSTOS_TOKEN or --token-file) and the anchor.

use super::context::open_store;
use super::output;
use crate::cli::{FormatArgs, StoreArgs};
use anyhow::Context;
use custos_actions::TrustAnchor;
use custos_actions::principal::{self, NewPrincipal, SignedIn};
use custos_store::{PrincipalRole, Store};
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Who runs the command: a token from CUSTOS_TOKEN or a file.
#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// A file holding your custos token (CUSTOS_TOKEN takes precedence).
    #[arg(long, env = "CUSTOS_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// The trust anchor file (the bootstrap admin's public key): keep it beside the master
    /// key, where whoever can write to the store cannot change it (CUSTOS_TRUST_ANCHOR, the
    /// key itself, takes precedence).
    #[arg(
        long,
        env = "CUSTOS_TRUST_ANCHOR_FILE",
        default_value = "custos.anchor"
    )]
    pub trust_anchor: PathBuf,
}

impl AuthArgs {
    /// The trust anchor, read from outside the store.
    pub fn anchor(&self) -> anyhow::Result<TrustAnchor> {
        Ok(TrustAnchor::load(&self.trust_anchor)?)
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a principal and print its token (shown once). The first one must be an admin.
    Add {
        #[command(flatten)]
        auth: AuthArgs,
        /// The principal's name (letters, digits, '-', '_', '.').
        name: String,
        /// viewer, operator (may request), approver or admin.
        #[arg(long)]
        role: String,
        /// The email the principal has in OpenAI (only its hash is stored): approvals are
        /// matched against the owners of the target through it.
        #[arg(long)]
        email: String,
        /// The principal who approves this one's provisioning requests.
        #[arg(long)]
        manager: Option<String>,
    },
    /// List the principals.
    List {
        #[command(flatten)]
        auth: AuthArgs,
        #[command(flatten)]
        output: FormatArgs,
    },
    /// Disable a principal (its token stops working, and its approvals no longer let an
    /// action be executed).
    Disable {
        #[command(flatten)]
        auth: AuthArgs,
        name: String,
    },
    /// Issue a new token for a principal and register its signing key (the old token stops
    /// working): for a lost token, and for every principal of a store made before signed
    /// approvals, after `custos users anchor`.
    Rekey {
        #[command(flatten)]
        auth: AuthArgs,
        name: String,
    },
    /// Make your own key (an admin's) the trust anchor of a store made before signed
    /// approvals, and write the anchor file. A store that has an anchor refuses.
    Anchor {
        #[command(flatten)]
        auth: AuthArgs,
    },
}

pub async fn run(cmd: UsersCommand) -> anyhow::Result<ExitCode> {
    let now = super::now_unix();
    match cmd {
        UsersCommand::Add {
            auth,
            name,
            role,
            email,
            manager,
        } => {
            let store = open_store(&auth.store).await?;
            let role: PrincipalRole = role.parse().map_err(|_| {
                anyhow::anyhow!("--role {role:?}: choose viewer, operator, approver or admin")
            })?;
            let new = NewPrincipal {
                name: name.clone(),
                role,
                email,
                manager,
            };
            let token = if store.principals().await?.is_empty() {
                refuse_existing_anchor(&auth.trust_anchor)?;
                let (token, anchor) = principal::bootstrap(&*store, &new, now).await?;
                write_anchor(&anchor, &auth.trust_anchor)?;
                token
            } else {
                let anchor = auth.anchor()?;
                let actor = authenticate(&*store, auth.token_file.as_deref()).await?;
                principal::add_principal(&*store, &anchor, &actor, &new, now).await?
            };
            eprintln!(
                "added {name} ({role}); its token is printed once below: hand it over securely"
            );
            println!("{}", token.expose_secret());
        }
        UsersCommand::List { auth, output } => {
            let store = open_store(&auth.store).await?;
            authenticate(&*store, auth.token_file.as_deref()).await?;
            let principals = store.principals().await?;
            let rows: Vec<Vec<String>> = principals
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.role.to_string(),
                        p.manager.clone().unwrap_or_else(|| "-".into()),
                        if p.disabled { "disabled" } else { "active" }.into(),
                        output::time(Some(p.created_at)),
                    ]
                })
                .collect();
            let json: Vec<serde_json::Value> = principals
                .iter()
                .map(|p| {
                    serde_json::json!({"name": p.name, "role": p.role, "manager": p.manager,
                        "disabled": p.disabled, "created_at": p.created_at})
                })
                .collect();
            output::print(
                output.format,
                &["name", "role", "manager", "status", "created"],
                &rows,
                &json,
            )?;
        }
        UsersCommand::Disable { auth, name } => {
            let store = open_store(&auth.store).await?;
            let anchor = auth.anchor()?;
            let actor = authenticate(&*store, auth.token_file.as_deref()).await?;
            principal::set_disabled(&*store, &anchor, &actor, &name, true, now).await?;
            eprintln!("{name} is disabled");
        }
        UsersCommand::Rekey { auth, name } => {
            let store = open_store(&auth.store).await?;
            let anchor = auth.anchor()?;
            let actor = authenticate(&*store, auth.token_file.as_deref()).await?;
            let token = principal::rekey(&*store, &anchor, &actor, &name, now).await?;
            eprintln!(
                "{name} has a new token, printed once below (the old one no longer works): hand it over securely"
            );
            println!("{}", token.expose_secret());
        }
        UsersCommand::Anchor { auth } => {
            let store = open_store(&auth.store).await?;
            refuse_existing_anchor(&auth.trust_anchor)?;
            let actor = authenticate(&*store, auth.token_file.as_deref()).await?;
            let anchor = principal::adopt_anchor(&*store, &actor, now).await?;
            write_anchor(&anchor, &auth.trust_anchor)?;
            eprintln!(
                "next: `custos users rekey NAME` for every other principal; actions requested before now must be requested again"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A new store's anchor must not overwrite another store's.
fn refuse_existing_anchor(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!(
            "the trust anchor file {} exists already (another store's?): pass --trust-anchor with a new path, or remove it if that store is gone",
            path.display()
        );
    }
    Ok(())
}

fn write_anchor(anchor: &TrustAnchor, path: &Path) -> anyhow::Result<()> {
    // Printed first, so that the anchor is not lost if the file cannot be written.
    eprintln!(
        "trust anchor {anchor}: written to {}; keep it beside the master key, out of reach of whoever can write to the store (or pin it with CUSTOS_TRUST_ANCHOR)",
        path.display()
    );
    anchor.write_new(path)?;
    Ok(())
}

/// The principal of CUSTOS_TOKEN, else of the token file.
pub async fn authenticate(
    store: &dyn Store,
    token_file: Option<&Path>,
) -> anyhow::Result<SignedIn> {
    let token = match std::env::var("CUSTOS_TOKEN") {
        Ok(token) if !token.trim().is_empty() => SecretString::from(token.trim().to_owned()),
        _ => {
            let path = token_file.context(
                "no custos token: set CUSTOS_TOKEN or pass --token-file (an admin issues tokens with `custos users add`)",
            )?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?;
            SecretString::from(text.lines().next().unwrap_or_default().trim().to_owned())
        }
    };
    Ok(principal::authenticate(store, &token).await?)
}

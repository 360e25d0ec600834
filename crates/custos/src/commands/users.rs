//! `custos users add|list|disable`: custos's own principals. The first `users add` of a store
//! needs no token and must create an admin (the bootstrap); every later change needs an
//! admin's token (CUSTOS_TOKEN or --token-file).

use super::context::open_store;
use super::output;
use crate::cli::{Format, StoreArgs};
use anyhow::Context;
use custos_actions::principal::{self, NewPrincipal};
use custos_store::{PrincipalRecord, PrincipalRole, Store};
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
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Disable a principal (its token stops working).
    Disable {
        #[command(flatten)]
        auth: AuthArgs,
        name: String,
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
            let actor = if store.principals().await?.is_empty() {
                None
            } else {
                Some(authenticate(&*store, auth.token_file.as_deref()).await?)
            };
            let new = NewPrincipal {
                name: name.clone(),
                role,
                email,
                manager,
            };
            let token = principal::add_principal(&*store, actor.as_ref(), &new, now).await?;
            eprintln!(
                "added {name} ({role}); its token is printed once below: hand it over securely"
            );
            println!("{}", token.expose_secret());
        }
        UsersCommand::List { auth, format } => {
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
                format,
                &["name", "role", "manager", "status", "created"],
                &rows,
                &json,
            )?;
        }
        UsersCommand::Disable { auth, name } => {
            let store = open_store(&auth.store).await?;
            let actor = authenticate(&*store, auth.token_file.as_deref()).await?;
            principal::set_disabled(&*store, &actor, &name, true, now).await?;
            eprintln!("{name} is disabled");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The principal of CUSTOS_TOKEN, else of the token file.
pub async fn authenticate(
    store: &dyn Store,
    token_file: Option<&Path>,
) -> anyhow::Result<PrincipalRecord> {
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

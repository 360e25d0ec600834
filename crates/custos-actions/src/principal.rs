//! custos's own users: who may request, approve and execute. A principal authenticates with
//! an API token `cst_<name>_<secret>`; the store keeps only the token's argon2 hash.

use crate::{ActionError, Result};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use custos_store::{JournalNote, PrincipalRecord, PrincipalRole, Store};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const TOKEN_PREFIX: &str = "cst_";

/// A principal to add.
#[derive(Debug, Clone)]
pub struct NewPrincipal {
    pub name: String,
    pub role: PrincipalRole,
    pub email: String,
    pub manager: Option<String>,
}

/// Adds a principal and returns its token, shown once. The first principal of a store must be
/// an admin and needs no `actor` (the bootstrap); every later one needs an admin `actor`.
pub async fn add_principal(
    store: &dyn Store,
    actor: Option<&PrincipalRecord>,
    new: &NewPrincipal,
    now: i64,
) -> Result<SecretString> {
    let existing = store.principals().await?;
    match actor {
        None if existing.is_empty() => {
            if new.role != PrincipalRole::Admin {
                return Err(ActionError::Forbidden {
                    principal: new.name.clone(),
                    role: new.role.to_string(),
                    what: "be the first principal",
                    hint: "the first principal must be an admin (--role admin)",
                });
            }
        }
        None => {
            return Err(ActionError::Unauthenticated(
                "principals exist already, so adding one needs an admin's token".into(),
            ));
        }
        Some(actor) => require(actor, PrincipalRole::Admin, "add principals")?,
    }
    if let Some(manager) = &new.manager
        && !existing.iter().any(|p| &p.name == manager)
    {
        return Err(ActionError::InvalidParam {
            template: "users add",
            param: "manager".into(),
            reason: format!("no principal is named {manager:?}: add the manager first"),
        });
    }
    let secret = hex::encode(custos_store::crypto::random_bytes()?);
    let token = SecretString::from(format!("{TOKEN_PREFIX}{}_{secret}", new.name));
    let principal = PrincipalRecord {
        name: new.name.clone(),
        role: new.role,
        email_sha256: custos_store::email_hash(&new.email).0,
        manager: new.manager.clone(),
        token_hash: hash_token(&token)?,
        disabled: false,
        created_at: now,
    };
    let note = JournalNote::new(
        now,
        Some(actor.map_or(new.name.as_str(), |a| a.name.as_str())),
        "principal_added",
        json!({"name": new.name, "role": new.role, "manager": new.manager}),
    );
    store.add_principal(&principal, &note).await?;
    Ok(token)
}

/// Disables (or re-enables) a principal; only an admin may, and not itself.
pub async fn set_disabled(
    store: &dyn Store,
    actor: &PrincipalRecord,
    name: &str,
    disabled: bool,
    now: i64,
) -> Result<()> {
    require(actor, PrincipalRole::Admin, "disable principals")?;
    if actor.name == name {
        return Err(ActionError::Forbidden {
            principal: actor.name.clone(),
            role: actor.role.to_string(),
            what: "disable itself",
            hint: "ask another admin",
        });
    }
    let kind = if disabled {
        "principal_disabled"
    } else {
        "principal_enabled"
    };
    let note = JournalNote::new(now, Some(&actor.name), kind, json!({"name": name}));
    if !store.set_principal_disabled(name, disabled, &note).await? {
        return Err(ActionError::Unauthenticated(format!(
            "no principal is named {name:?}"
        )));
    }
    Ok(())
}

/// The principal a token belongs to, if it is enabled and the token matches its hash.
pub async fn authenticate(store: &dyn Store, token: &SecretString) -> Result<PrincipalRecord> {
    let text = token.expose_secret().trim();
    let name = text
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.rsplit_once('_'))
        .map(|(name, _)| name)
        .ok_or_else(|| ActionError::Unauthenticated("the token is not a custos token".into()))?;
    let principal = store
        .principal(name)
        .await?
        .ok_or_else(|| ActionError::Unauthenticated(format!("no principal is named {name:?}")))?;
    let hash = PasswordHash::new(&principal.token_hash).map_err(|_| {
        ActionError::Unauthenticated(format!("{name}'s stored token hash is unreadable"))
    })?;
    Argon2::default()
        .verify_password(text.as_bytes(), &hash)
        .map_err(|_| ActionError::Unauthenticated(format!("the token of {name} does not match")))?;
    if principal.disabled {
        return Err(ActionError::Unauthenticated(format!("{name} is disabled")));
    }
    Ok(principal)
}

/// Fails unless `principal`'s role includes `role`.
pub fn require(principal: &PrincipalRecord, role: PrincipalRole, what: &'static str) -> Result<()> {
    if principal.disabled {
        return Err(ActionError::Unauthenticated(format!(
            "{} is disabled",
            principal.name
        )));
    }
    if principal.role.includes(role) {
        return Ok(());
    }
    Err(ActionError::Forbidden {
        principal: principal.name.clone(),
        role: principal.role.to_string(),
        what,
        hint: match role {
            PrincipalRole::Operator => "an operator, approver or admin must do it",
            PrincipalRole::Approver => "an approver or admin must do it",
            _ => "an admin must do it",
        },
    })
}

fn hash_token(token: &SecretString) -> Result<String> {
    Argon2::default()
        .hash_password(token.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ActionError::Unauthenticated(format!("cannot hash the new token: {e}")))
}

//! custos's own users: who may request, approve and execute. A principal authenticates with
//! an API token `cst_<name>_<secret>`; the store keeps only the token's argon2 hash. The token
//! also gives the principal's signing key ([`PrincipalKey`]), whose public half an admin
//! registers in a signed journal statement: authority comes from those statements, never from
//! the `principals` rows alone (see [`crate::trust`]).

use crate::trust::{self, Ledger, PrincipalKey, Signed, Statement, TrustAnchor};
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

/// A principal whose token matched: its stored row and the signing key its token gives.
#[derive(Debug)]
pub struct SignedIn {
    pub record: PrincipalRecord,
    pub key: PrincipalKey,
}

impl std::ops::Deref for SignedIn {
    type Target = PrincipalRecord;

    fn deref(&self) -> &PrincipalRecord {
        &self.record
    }
}

impl SignedIn {
    /// `statement` signed by this principal.
    pub fn sign(&self, statement: Statement) -> Signed {
        self.key.sign(&self.record.name, statement)
    }
}

/// Adds the first principal of a store, an admin, and returns its token (shown once) and the
/// trust anchor (its public key), to keep outside the store.
pub async fn bootstrap(
    store: &dyn Store,
    new: &NewPrincipal,
    now: i64,
) -> Result<(SecretString, TrustAnchor)> {
    if !store.principals().await?.is_empty() {
        return Err(ActionError::Unauthenticated(
            "principals exist already, so adding one needs an admin's token".into(),
        ));
    }
    if new.role != PrincipalRole::Admin {
        return Err(ActionError::Forbidden {
            principal: new.name.clone(),
            role: new.role.to_string(),
            what: "be the first principal",
            hint: "the first principal must be an admin (--role admin)",
        });
    }
    let (token, key) = new_token(&new.name)?;
    let anchor = TrustAnchor(key.public());
    insert(
        store,
        &key.sign(&new.name, register(new, &key, now)),
        new,
        &token,
        now,
    )
    .await?;
    Ok((token, anchor))
}

/// Adds a principal as the admin `actor` and returns its token, shown once.
pub async fn add_principal(
    store: &dyn Store,
    anchor: &TrustAnchor,
    actor: &SignedIn,
    new: &NewPrincipal,
    now: i64,
) -> Result<SecretString> {
    signed_in_admin(store, anchor, actor, "add principals").await?;
    if let Some(manager) = &new.manager
        && store.principal(manager).await?.is_none()
    {
        return Err(ActionError::InvalidParam {
            template: "users add",
            param: "manager".into(),
            reason: format!("no principal is named {manager:?}: add the manager first"),
        });
    }
    let (token, key) = new_token(&new.name)?;
    insert(
        store,
        &actor.sign(register(new, &key, now)),
        new,
        &token,
        now,
    )
    .await?;
    Ok(token)
}

/// Issues a new token for `name` and registers its key, signed by the admin `actor`: for a
/// lost token, and for principals of a store made before signed registrations. The old token
/// stops working.
pub async fn rekey(
    store: &dyn Store,
    anchor: &TrustAnchor,
    actor: &SignedIn,
    name: &str,
    now: i64,
) -> Result<SecretString> {
    signed_in_admin(store, anchor, actor, "re-key principals").await?;
    if actor.name == name {
        return Err(ActionError::Forbidden {
            principal: actor.name.clone(),
            role: actor.role.to_string(),
            what: "re-key itself",
            hint: "ask another admin",
        });
    }
    let principal = store
        .principal(name)
        .await?
        .ok_or_else(|| ActionError::Unauthenticated(format!("no principal is named {name:?}")))?;
    let (token, key) = new_token(name)?;
    let signed = actor.sign(Statement::Register {
        name: name.to_owned(),
        role: principal.role,
        public_key: key.public(),
        email_sha256: principal.email_sha256.clone(),
        manager: principal.manager.clone(),
        at: now,
    });
    let note = signed.attach(JournalNote::new(
        now,
        Some(&actor.name),
        "principal_rekeyed",
        json!({"name": name, "public_key": key.public()}),
    ));
    store
        .set_principal_token(name, &hash_token(&token)?, &note)
        .await?;
    Ok(token)
}

/// Makes the admin `actor`'s own key the trust anchor of a store made before signed
/// registrations (it has principals, but no registration in its journal). Refuses a store
/// that has an anchor already.
pub async fn adopt_anchor(store: &dyn Store, actor: &SignedIn, now: i64) -> Result<TrustAnchor> {
    require(actor, PrincipalRole::Admin, "set the trust anchor")?;
    let anchor = TrustAnchor(actor.key.public());
    if store.journal().await?.iter().any(trust::is_signed) {
        return Err(ActionError::Forbidden {
            principal: actor.name.clone(),
            role: actor.role.to_string(),
            what: "set the trust anchor",
            hint: "the store has signed registrations already, so it has an anchor: use its anchor file (or CUSTOS_TRUST_ANCHOR)",
        });
    }
    let signed = actor.sign(Statement::Register {
        name: actor.name.clone(),
        role: PrincipalRole::Admin,
        public_key: anchor.0,
        email_sha256: actor.email_sha256.clone(),
        manager: actor.manager.clone(),
        at: now,
    });
    let note = signed.attach(JournalNote::new(
        now,
        Some(&actor.name),
        "trust_anchor",
        json!({"name": actor.name, "public_key": anchor.0}),
    ));
    store.append_journal(&note).await?;
    Ok(anchor)
}

/// Disables (or re-enables) a principal; only an admin may, and not itself.
pub async fn set_disabled(
    store: &dyn Store,
    anchor: &TrustAnchor,
    actor: &SignedIn,
    name: &str,
    disabled: bool,
    now: i64,
) -> Result<()> {
    signed_in_admin(store, anchor, actor, "disable principals").await?;
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
    let signed = actor.sign(Statement::SetDisabled {
        name: name.to_owned(),
        disabled,
        at: now,
    });
    let note = signed.attach(JournalNote::new(
        now,
        Some(&actor.name),
        kind,
        json!({"name": name}),
    ));
    if !store.set_principal_disabled(name, disabled, &note).await? {
        return Err(ActionError::Unauthenticated(format!(
            "no principal is named {name:?}"
        )));
    }
    Ok(())
}

/// The principal a token belongs to, if it is enabled and the token matches its hash.
pub async fn authenticate(store: &dyn Store, token: &SecretString) -> Result<SignedIn> {
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
    Ok(SignedIn {
        record: principal,
        key: PrincipalKey::from_token(token),
    })
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

/// Fails unless `actor` is an admin whose signed registration (under `anchor`) matches its
/// token and row: what it signs will verify.
async fn signed_in_admin(
    store: &dyn Store,
    anchor: &TrustAnchor,
    actor: &SignedIn,
    what: &'static str,
) -> Result<()> {
    require(actor, PrincipalRole::Admin, what)?;
    Ledger::replay(&store.journal().await?, anchor).check_signer(actor, &actor.key.public())
}

fn new_token(name: &str) -> Result<(SecretString, PrincipalKey)> {
    let secret = hex::encode(custos_store::crypto::random_bytes()?);
    let token = SecretString::from(format!("{TOKEN_PREFIX}{name}_{secret}"));
    let key = PrincipalKey::from_token(&token);
    Ok((token, key))
}

fn register(new: &NewPrincipal, key: &PrincipalKey, now: i64) -> Statement {
    Statement::Register {
        name: new.name.clone(),
        role: new.role,
        public_key: key.public(),
        email_sha256: custos_store::email_hash(&new.email).0,
        manager: new.manager.clone(),
        at: now,
    }
}

async fn insert(
    store: &dyn Store,
    signed: &Signed,
    new: &NewPrincipal,
    token: &SecretString,
    now: i64,
) -> Result<()> {
    let principal = PrincipalRecord {
        name: new.name.clone(),
        role: new.role,
        email_sha256: custos_store::email_hash(&new.email).0,
        manager: new.manager.clone(),
        token_hash: hash_token(token)?,
        disabled: false,
        created_at: now,
    };
    let note = signed.attach(JournalNote::new(
        now,
        Some(&signed.signer),
        "principal_added",
        json!({"name": new.name, "role": new.role, "manager": new.manager}),
    ));
    store.add_principal(&principal, &note).await?;
    Ok(())
}

fn hash_token(token: &SecretString) -> Result<String> {
    Argon2::default()
        .hash_password(token.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ActionError::Unauthenticated(format!("cannot hash the new token: {e}")))
}

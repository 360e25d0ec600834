//! Who is asking: `Authorization: Bearer cst_...` with a principal's token
//! (`custos_actions::principal`), and the role each endpoint needs.
//!
//! A handler states its role in its signature by taking [`Signed<Viewer>`] or
//! [`Signed<Operator>`]: the extractor authenticates and checks the role before the handler
//! runs, and answers 401 or 403 otherwise. Verifying a token's argon2 hash takes tens of
//! milliseconds on purpose, so a verified token is remembered for [`TOKEN_CACHE_TTL`], keyed
//! by the token's SHA-256 (the token itself is never kept); a principal disabled meanwhile is
//! refused once its entry expires.

use crate::AppState;
use crate::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use custos_actions::principal;
use custos_store::{PrincipalRecord, PrincipalRole};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified token is taken without verifying it again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(60);

/// The most tokens remembered at once: a flood of distinct valid tokens costs bounded memory.
const TOKEN_CACHE_ENTRIES: usize = 10_000;

/// A role an endpoint needs.
pub trait Role: Send + Sync + 'static {
    const ROLE: PrincipalRole;
    /// What the role allows, for a refusal: "read through the API".
    const WHAT: &'static str;
}

/// Reads: findings, scans, inventory, policies, metrics.
#[derive(Debug)]
pub struct Viewer;

impl Role for Viewer {
    const ROLE: PrincipalRole = PrincipalRole::Viewer;
    const WHAT: &'static str = "read through the API";
}

/// Changes to findings and scans started by hand.
#[derive(Debug)]
pub struct Operator;

impl Role for Operator {
    const ROLE: PrincipalRole = PrincipalRole::Operator;
    const WHAT: &'static str = "suppress findings or start scans";
}

/// A signed-in principal whose role includes `R`'s.
#[derive(Debug)]
pub struct Signed<R: Role> {
    pub principal: PrincipalRecord,
    role: PhantomData<R>,
}

impl<R: Role> FromRequestParts<AppState> for Signed<R> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, shared: &AppState) -> Result<Self, Problem> {
        let principal = signed_in(parts, shared).await?;
        principal::require(&principal, R::ROLE, R::WHAT)?;
        Ok(Signed {
            principal,
            role: PhantomData,
        })
    }
}

/// The principal of the request's bearer token.
pub(crate) async fn signed_in(
    parts: &Parts,
    shared: &AppState,
) -> Result<PrincipalRecord, Problem> {
    let unauthenticated = |detail: &str| Problem::new(StatusCode::UNAUTHORIZED, detail.to_owned());
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| {
            unauthenticated("no Authorization header: send `Authorization: Bearer cst_...` with your custos token")
        })?
        .to_str()
        .map_err(|_| unauthenticated("the Authorization header is not text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("the Authorization header is not `Bearer cst_...`"))?;
    let token = SecretString::from(token.to_owned());
    shared.tokens.principal(&token, shared.store.as_ref()).await
}

/// Tokens verified recently, by their SHA-256.
#[derive(Debug, Default)]
pub struct TokenCache {
    verified: Mutex<HashMap<[u8; 32], (PrincipalRecord, Instant)>>,
}

impl TokenCache {
    /// The principal of `token`: remembered, or verified against the store (and remembered).
    async fn principal(
        &self,
        token: &SecretString,
        store: &dyn custos_store::Store,
    ) -> Result<PrincipalRecord, Problem> {
        let key: [u8; 32] = Sha256::digest(token.expose_secret().as_bytes()).into();
        if let Some(principal) = self.remembered(&key) {
            return Ok(principal);
        }
        // Why a token failed (no such principal, disabled, wrong secret) stays in the log:
        // the answer does not tell a guesser which names exist.
        let signed = principal::authenticate(store, token)
            .await
            .map_err(|e| match e {
                custos_actions::ActionError::Unauthenticated(why) => {
                    tracing::info!(why, "a token was refused");
                    Problem::new(
                        StatusCode::UNAUTHORIZED,
                        "the token is not valid: unknown, replaced, or of a disabled principal"
                            .to_owned(),
                    )
                }
                other => other.into(),
            })?;
        let mut verified = self.lock();
        let now = Instant::now();
        if verified.len() >= TOKEN_CACHE_ENTRIES {
            verified.retain(|_, (_, at)| now.duration_since(*at) < TOKEN_CACHE_TTL);
            if verified.len() >= TOKEN_CACHE_ENTRIES {
                verified.clear();
            }
        }
        verified.insert(key, (signed.record.clone(), now));
        Ok(signed.record)
    }

    fn remembered(&self, key: &[u8; 32]) -> Option<PrincipalRecord> {
        let mut verified = self.lock();
        match verified.get(key) {
            Some((principal, at)) if at.elapsed() < TOKEN_CACHE_TTL => Some(principal.clone()),
            Some(_) => {
                verified.remove(key);
                None
            }
            None => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (PrincipalRecord, Instant)>> {
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

//! Authentication: password hashes (argon2id), sessions, API tokens and sign-in throttling.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use xaso_domain::auth::Role;
use xaso_storage::{users, Store};

use crate::{Error, Result};

/// How long a sign-in lasts.
pub const SESSION_DAYS: i64 = 7;
/// Failed sign-ins allowed per account inside the window.
pub const MAX_FAILURES: u32 = 5;
/// Failed sign-ins allowed per client address inside the window (an office may share one
/// address, so it is higher than the per-account limit).
pub const MAX_CLIENT_FAILURES: u32 = 20;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A role held on a unit.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub role: Role,
    /// `None` only for the administrator.
    pub unit_id: Option<String>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
}

/// Who is acting: a signed-in person, a token's owner, or the system itself (CLI, demo loader).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub username: String,
    pub display_name: String,
    pub assignments: Vec<Assignment>,
    /// The id of the session token hash or API token that authenticated this request.
    pub credential: Credential,
    /// Set when the request carries a record made offline on a phone (see [`Offline`]).
    pub offline: Option<Offline>,
}

/// A record the field app recorded offline and is now sending: its key (the phone's UUIDv7
/// for it), its form and when the phone recorded it. The first audit entry the change writes
/// also writes the record's receipt, in the change's own transaction, so the record is stored
/// once however often it is sent (see `crate::field`).
#[derive(Debug, Clone)]
pub struct Offline {
    pub key: String,
    pub kind: String,
    /// When the phone recorded it (storage time text).
    pub recorded_at: String,
    /// The record the receipt names, when it is not the one the first audit entry names.
    names: Option<(&'static str, String)>,
    written: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Offline {
    pub fn new(key: &str, kind: &str, recorded_at: &str) -> Offline {
        Offline {
            key: key.to_string(),
            kind: kind.to_string(),
            recorded_at: recorded_at.to_string(),
            names: None,
            written: Default::default(),
        }
    }

    /// The same record, whose receipt names `record_type`/`record_id` (what the phone is shown)
    /// rather than what the first audit entry names.
    pub fn naming(&self, record_type: &'static str, record_id: &str) -> Offline {
        Offline {
            names: Some((record_type, record_id.to_string())),
            ..self.clone()
        }
    }

    /// What the receipt names, given the first audit entry's record.
    pub(crate) fn names<'a>(
        &'a self,
        record_type: &'a str,
        record_id: &'a str,
    ) -> (&'a str, &'a str) {
        match &self.names {
            Some((t, id)) => (t, id),
            None => (record_type, record_id),
        }
    }

    /// True the first time only: the receipt goes with the first audit entry.
    pub(crate) fn take_receipt(&self) -> bool {
        !self.written.swap(true, std::sync::atomic::Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session(String),
    Token(String),
    System,
}

impl Actor {
    /// The command line and the demo loader act as the system, with every right.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_string(),
            display_name: name.to_string(),
            assignments: vec![Assignment {
                role: Role::Admin,
                unit_id: None,
                unit_code: None,
                unit_name: None,
            }],
            credential: Credential::System,
            offline: None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.assignments.iter().any(|a| a.role == Role::Admin)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.assignments.iter().any(|a| a.role == role)
    }
}

/// Loads a user's roles into an actor.
pub async fn actor_for(
    store: &Store,
    user_id: &str,
    credential: Credential,
) -> Result<Option<Actor>> {
    let mut conn = store.read().await?;
    let Some(user) = users::by_id(&mut conn, user_id).await? else {
        return Ok(None);
    };
    if user.active == 0 {
        return Ok(None);
    }
    let assignments = users::assignments(&mut conn, user_id)
        .await?
        .into_iter()
        .filter_map(|a| {
            Some(Assignment {
                role: Role::parse(&a.role)?,
                unit_id: a.unit_id,
                unit_code: a.unit_code,
                unit_name: a.unit_full_name,
            })
        })
        .collect();
    Ok(Some(Actor {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        assignments,
        credential,
        offline: None,
    }))
}

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random secret: 32 bytes as hex.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What we store in place of a session or API token: its SHA-256. The tokens are 256-bit
/// random values, so a fast hash is enough (unlike passwords).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Counts failed sign-ins per key (account name, client address) and refuses further tries for a
/// while once a key has failed too often; also limits other uses per window (anonymous reports,
/// sign-ups per client). The counts are rows in the database, so every server instance counts
/// the same tries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Throttle;

impl Throttle {
    /// The window's start: uses before it no longer count.
    fn window_after() -> String {
        let window =
            chrono::Duration::from_std(THROTTLE_WINDOW).unwrap_or(chrono::Duration::minutes(15));
        xaso_domain::time::to_storage(Utc::now() - window)
    }

    async fn blocked(&self, store: &Store, key: &str, limit: u32) -> Result<bool> {
        let mut conn = store.read().await?;
        let n = users::throttle_count(&mut conn, key, &Self::window_after()).await?;
        Ok(n >= i64::from(limit))
    }

    async fn fail(&self, store: &Store, key: &str) -> Result<i64> {
        let mut tx = store.begin().await?;
        let n = users::throttle_hit(tx.conn(), key, &xaso_storage::now(), &Self::window_after())
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Counts one more use of something limited per window (sign-ups from one client); false
    /// once `limit` uses were counted in the window. Counted and compared in one statement, so
    /// clients spread over several instances get no more.
    pub async fn take(&self, store: &Store, key: &str, limit: u32) -> Result<bool> {
        Ok(self.fail(store, key).await? <= i64::from(limit))
    }

    async fn clear(&self, store: &Store, key: &str) -> Result<()> {
        let mut tx = store.begin().await?;
        users::throttle_clear(tx.conn(), key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets counts whose window ended (the server calls it every few minutes).
    pub async fn forget_old(store: &Store) -> Result<u64> {
        let mut tx = store.begin().await?;
        let n = users::throttle_forget(tx.conn(), &Self::window_after()).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// A successful sign-in: the session token for the cookie, and who signed in.
pub struct SignedIn {
    pub token: String,
    pub actor: Actor,
}

/// Checks a username and password and opens a session.
pub async fn login(
    store: &Store,
    throttle: &Throttle,
    username: &str,
    password: &str,
    client: &str,
) -> Result<SignedIn> {
    let username = username.trim().to_lowercase();
    let user_key = format!("user:{username}");
    let client_key = format!("client:{client}");
    if throttle.blocked(store, &user_key, MAX_FAILURES).await?
        || throttle
            .blocked(store, &client_key, MAX_CLIENT_FAILURES)
            .await?
    {
        tracing::warn!(username = %username, client = %client, "sign-in refused: throttled");
        return Err(Error::Throttled);
    }
    let user = {
        let mut conn = store.read().await?;
        users::by_username(&mut conn, &username).await?
    };
    let ok = match &user {
        Some(u) if u.active != 0 => {
            let (pw, hash) = (password.to_string(), u.password_hash.clone());
            tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
                .await
                .unwrap_or(false)
        }
        _ => false,
    };
    let Some(user) = user.filter(|_| ok) else {
        throttle.fail(store, &user_key).await?;
        throttle.fail(store, &client_key).await?;
        tracing::info!(username = %username, client = %client, "sign-in failed");
        return Err(Error::BadCredentials);
    };
    throttle.clear(store, &user_key).await?;
    let token = random_secret();
    let hash = token_hash(&token);
    let expires = xaso_domain::time::to_storage(Utc::now() + chrono::Duration::days(SESSION_DAYS));
    let mut tx = store.begin().await?;
    users::insert_session(tx.conn(), &hash, &user.id, &expires).await?;
    users::delete_expired_sessions(tx.conn(), &xaso_storage::now()).await?;
    tx.commit().await?;
    let actor = actor_for(store, &user.id, Credential::Session(hash))
        .await?
        .ok_or(Error::BadCredentials)?;
    tracing::info!(username = %username, "signed in");
    Ok(SignedIn { token, actor })
}

/// The person behind a session cookie, if the session is live.
pub async fn from_session(store: &Store, token: &str) -> Result<Option<Actor>> {
    let hash = token_hash(token);
    let user_id = {
        let mut conn = store.read().await?;
        users::session_user(&mut conn, &hash, &xaso_storage::now()).await?
    };
    match user_id {
        Some(id) => actor_for(store, &id, Credential::Session(hash)).await,
        None => Ok(None),
    }
}

/// The owner of an API token, if the token is live.
pub async fn from_token(store: &Store, token: &str) -> Result<Option<Actor>> {
    let hash = token_hash(token);
    let found = {
        let mut conn = store.read().await?;
        users::token_user(&mut conn, &hash).await?
    };
    match found {
        Some((token_id, user_id)) => {
            let mut conn = store.read().await?;
            users::touch_token(&mut conn, &token_id).await?;
            drop(conn);
            actor_for(store, &user_id, Credential::Token(token_id)).await
        }
        None => Ok(None),
    }
}

pub async fn logout(store: &Store, token: &str) -> Result<()> {
    let mut tx = store.begin().await?;
    users::delete_session(tx.conn(), &token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

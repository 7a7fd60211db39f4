//! Accounts: adding people with roles, passwords, API tokens.

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::auth::{check_password, parse_username, Role};
use xaso_domain::text;
use xaso_storage::{units, users, Store};

use crate::auth::{hash_password, random_secret, token_hash, verify_password, Credential};
use crate::{Actor, Error, Result};

/// A role to give, with the code of its unit (as of a date; codes are reused).
#[derive(Debug, Clone)]
pub struct RoleGrant {
    pub role: Role,
    pub unit_code: Option<String>,
}

/// A user as listed.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub roles: Vec<String>,
}

async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}

fn account_error(at: &str, e: xaso_domain::auth::AccountError) -> Error {
    Error::invalid(at, e.to_string())
}

/// Creates a user with roles. Only administrators (and the command line) may.
pub async fn add(
    store: &Store,
    actor: &Actor,
    username: &str,
    display_name: &str,
    password: &str,
    grants: &[RoleGrant],
    as_of: NaiveDate,
) -> Result<String> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let username = parse_username(username).map_err(|e| account_error("username", e))?;
    check_password(password).map_err(|e| account_error("password", e))?;
    let display_name = text::clean(display_name);
    let display_name = if display_name.is_empty() {
        username.clone()
    } else {
        display_name
    };
    let mut resolved = Vec::new();
    {
        let mut conn = store.read().await?;
        if users::by_username(&mut conn, &username).await?.is_some() {
            return Err(Error::Conflict(format!("user {username} already exists")));
        }
        for g in grants {
            let unit = match (&g.unit_code, g.role.is_scoped()) {
                (Some(code), true) => Some(
                    units::by_code(&mut conn, code, as_of)
                        .await?
                        .ok_or_else(|| {
                            Error::invalid("unit", format!("no unit has code {code} on {as_of}"))
                        })?,
                ),
                (None, true) => {
                    return Err(Error::invalid(
                        "unit",
                        format!("role {} needs a unit", g.role.as_str()),
                    ))
                }
                (_, false) => None,
            };
            resolved.push((g.role, unit));
        }
    }
    let password_hash = hash(password.to_string()).await?;
    let id = xaso_storage::new_id();
    let mut tx = store.begin().await?;
    users::insert(tx.conn(), &id, &username, &display_name, &password_hash).await?;
    let mut roles = Vec::new();
    for (role, unit) in &resolved {
        users::assign(
            tx.conn(),
            &xaso_storage::new_id(),
            &id,
            role.as_str(),
            unit.as_ref().map(|u| u.id.as_str()),
        )
        .await?;
        roles.push(
            json!({"role": role.as_str(), "unit": unit.as_ref().map(|u| u.full_name.clone())}),
        );
    }
    let first_unit = resolved
        .iter()
        .find_map(|(_, u)| u.as_ref().map(|u| u.id.clone()));
    let after = json!({"username": username, "display_name": display_name, "roles": roles});
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "user",
            record_id: &id,
            unit_id: first_unit.as_deref(),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Sets a user's password (administrators and the command line), ending their sessions.
pub async fn set_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    password: &str,
) -> Result<()> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    check_password(password).map_err(|e| account_error("password", e))?;
    let user = {
        let mut conn = store.read().await?;
        users::by_username(&mut conn, &username.trim().to_lowercase())
            .await?
            .ok_or(Error::NotFound)?
    };
    let h = hash(password.to_string()).await?;
    let mut tx = store.begin().await?;
    users::set_password(tx.conn(), &user.id, &h).await?;
    users::delete_all_sessions(tx.conn(), &user.id).await?;
    password_audit(&mut tx, actor, &user.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in person changes their own password, giving the current one. Their other
/// sessions end.
pub async fn change_own_password(
    store: &Store,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<()> {
    let user_id = actor.user_id.as_deref().ok_or(Error::Unauthenticated)?;
    let user = {
        let mut conn = store.read().await?;
        users::by_id(&mut conn, user_id)
            .await?
            .ok_or(Error::Unauthenticated)?
    };
    let (cur, stored) = (current.to_string(), user.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&cur, &stored))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(Error::invalid("current", "the current password is wrong"));
    }
    check_password(new).map_err(|e| account_error("new", e))?;
    if new == current {
        return Err(Error::invalid(
            "new",
            "the new password is the same as the current one",
        ));
    }
    let h = hash(new.to_string()).await?;
    let mut tx = store.begin().await?;
    users::set_password(tx.conn(), user_id, &h).await?;
    if let Credential::Session(keep) = &actor.credential {
        users::delete_other_sessions(tx.conn(), user_id, keep).await?;
    }
    password_audit(&mut tx, actor, user_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn password_audit(tx: &mut xaso_storage::Tx, actor: &Actor, user_id: &str) -> Result<()> {
    let before = json!({"password": "(old)"});
    let after = json!({"password": "(changed)"});
    crate::audit::record(
        tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "user",
            record_id: user_id,
            unit_id: None,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    Ok(())
}

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<UserSummary>> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let mut conn = store.read().await?;
    let mut out = Vec::new();
    for u in users::list(&mut conn).await? {
        let roles = users::assignments(&mut conn, &u.id)
            .await?
            .into_iter()
            .map(|a| match a.unit_full_name {
                Some(unit) => format!(
                    "{} @ {} ({})",
                    a.role,
                    unit,
                    a.unit_code.unwrap_or_default()
                ),
                None => a.role,
            })
            .collect();
        out.push(UserSummary {
            username: u.username,
            display_name: u.display_name,
            active: u.active != 0,
            roles,
        });
    }
    Ok(out)
}

/// A token as listed (never its secret).
#[derive(Debug, Clone)]
pub struct TokenSummary {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// Creates an API token for the actor; the secret is returned once and stored only hashed.
pub async fn create_token(store: &Store, actor: &Actor, name: &str) -> Result<String> {
    let user_id = actor.user_id.as_deref().ok_or(Error::Unauthenticated)?;
    let name = text::clean(name);
    if name.is_empty() || name.chars().count() > 80 {
        return Err(Error::invalid(
            "name",
            "give the token a name of 1–80 characters",
        ));
    }
    let secret = format!("xaso_{}", random_secret());
    insert_token(store, actor, user_id, &name, &secret).await?;
    Ok(secret)
}

/// Stores a token with a given secret (the demo's documented fixed token uses this).
pub async fn insert_token(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    name: &str,
    secret: &str,
) -> Result<()> {
    let id = xaso_storage::new_id();
    let mut tx = store.begin().await?;
    users::insert_token(tx.conn(), &id, user_id, name, &token_hash(secret)).await?;
    let after = json!({"name": name, "owner": user_id});
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "api_token",
            record_id: &id,
            unit_id: None,
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn tokens(store: &Store, actor: &Actor) -> Result<Vec<TokenSummary>> {
    let user_id = actor.user_id.as_deref().ok_or(Error::Unauthenticated)?;
    let mut conn = store.read().await?;
    Ok(users::tokens_of(&mut conn, user_id)
        .await?
        .into_iter()
        .map(|t| TokenSummary {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked: t.revoked_at.is_some(),
        })
        .collect())
}

/// Revokes one of the actor's own tokens.
pub async fn revoke_token(store: &Store, actor: &Actor, id: &str) -> Result<()> {
    let user_id = actor.user_id.as_deref().ok_or(Error::Unauthenticated)?;
    let mut tx = store.begin().await?;
    let token = users::token_by_id(tx.conn(), id)
        .await?
        .ok_or(Error::NotFound)?;
    if token.user_id != user_id {
        return Err(Error::NotFound);
    }
    users::revoke_token(tx.conn(), id).await?;
    let before = json!({"name": token.name, "revoked": false});
    let after = json!({"name": token.name, "revoked": true});
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "api_token",
            record_id: id,
            unit_id: None,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

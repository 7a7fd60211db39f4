//! Accounts, role assignments, sessions and API tokens.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub active: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct AssignmentRow {
    pub id: String,
    pub role: String,
    pub unit_id: Option<String>,
    pub unit_code: Option<String>,
    pub unit_full_name: Option<String>,
}

const USER_COLUMNS: &str = "id, username, display_name, password_hash, active, created_at";

pub async fn by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    Ok(sqlx::query_as(&sql)
        .bind(username)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    username: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<()> {
    let now = crate::now();
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash, active, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5)",
    )
    .bind(id)
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(conn: &mut AnyConnection, id: &str, password_hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .bind(crate::now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn assignments(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<AssignmentRow>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.role, r.unit_id, u.code AS unit_code, u.full_name AS unit_full_name \
         FROM role_assignments r LEFT JOIN units u ON u.id = r.unit_id \
         WHERE r.user_id = $1 ORDER BY r.created_at",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

pub async fn assign(
    conn: &mut AnyConnection,
    id: &str,
    user_id: &str,
    role: &str,
    unit_id: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO role_assignments (id, user_id, role, unit_id, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(role)
    .bind(unit_id)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

// --- sessions ---

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    expires_at: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(crate::now())
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user id of a live session.
pub async fn session_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar(
            "SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(conn)
        .await?,
    )
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user except one (after a password change).
pub async fn delete_other_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_all_sessions(conn: &mut AnyConnection, user_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(conn: &mut AnyConnection, now: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}

// --- Throttling ---

/// Uses counted for `key` in the window that began after `window_after` (0 when none).
pub async fn throttle_count(
    conn: &mut AnyConnection,
    key: &str,
    window_after: &str,
) -> Result<i64> {
    Ok(
        sqlx::query_scalar(
            "SELECT count FROM throttle_counts WHERE key = $1 AND window_start > $2",
        )
        .bind(key)
        .bind(window_after)
        .fetch_optional(conn)
        .await?
        .unwrap_or(0),
    )
}

/// Counts one more use of `key` (a window older than `window_after` starts again at `now`);
/// returns the count in the window. One statement, so instances counting at once add up.
pub async fn throttle_hit(
    conn: &mut AnyConnection,
    key: &str,
    now: &str,
    window_after: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO throttle_counts (key, count, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
         count = CASE WHEN throttle_counts.window_start > $3 THEN throttle_counts.count + 1 ELSE 1 END, \
         window_start = CASE WHEN throttle_counts.window_start > $3 THEN throttle_counts.window_start \
         ELSE excluded.window_start END \
         RETURNING count",
    )
    .bind(key)
    .bind(now)
    .bind(window_after)
    .fetch_one(conn)
    .await?)
}

pub async fn throttle_clear(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM throttle_counts WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets windows that ended (before `window_after`).
pub async fn throttle_forget(conn: &mut AnyConnection, window_after: &str) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM throttle_counts WHERE window_start <= $1")
            .bind(window_after)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

// --- API tokens ---

#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    id: &str,
    user_id: &str,
    name: &str,
    token_hash: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// The user id of a live (not revoked) token.
pub async fn token_user(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn touch_token(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(crate::now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn tokens_of(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<TokenRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

pub async fn token_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<TokenRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn revoke_token(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(crate::now())
        .execute(conn)
        .await?;
    Ok(())
}

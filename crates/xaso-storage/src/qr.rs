//! Queries for QR codes and their scan counts.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct QrRow {
    pub token: String,
    pub target_type: String,
    pub target_id: String,
    pub unit_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub retired_at: Option<String>,
    pub retired_reason: Option<String>,
}

const COLUMNS: &str =
    "token, target_type, target_id, unit_id, created_by, created_at, retired_at, retired_reason";

pub async fn insert(conn: &mut AnyConnection, q: &QrRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO qr_codes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&q.token)
    .bind(&q.target_type)
    .bind(&q.target_id)
    .bind(&q.unit_id)
    .bind(&q.created_by)
    .bind(&q.created_at)
    .bind(&q.retired_at)
    .bind(&q.retired_reason)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_token(conn: &mut AnyConnection, token: &str) -> Result<Option<QrRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM qr_codes WHERE token = $1"))
            .bind(token)
            .fetch_optional(conn)
            .await?,
    )
}

/// The codes of a target, newest first.
pub async fn for_target(
    conn: &mut AnyConnection,
    target_type: &str,
    target_id: &str,
) -> Result<Vec<QrRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM qr_codes WHERE target_type = $1 AND target_id = $2 ORDER BY created_at DESC"
    ))
    .bind(target_type)
    .bind(target_id)
    .fetch_all(conn)
    .await?)
}

pub async fn retire(conn: &mut AnyConnection, token: &str, at: &str, reason: &str) -> Result<()> {
    sqlx::query("UPDATE qr_codes SET retired_at = $2, retired_reason = $3 WHERE token = $1")
        .bind(token)
        .bind(at)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds buffered scan counts: one statement per (code, day), in the caller's transaction.
pub async fn add_scans(conn: &mut AnyConnection, token: &str, day: &str, n: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO qr_scans (token, day, count) VALUES ($1, $2, $3) ON CONFLICT (token, day) DO UPDATE SET count = qr_scans.count + excluded.count",
    )
    .bind(token)
    .bind(day)
    .bind(n)
    .execute(conn)
    .await?;
    Ok(())
}

/// Scans of one code per day, oldest first.
pub async fn scans(conn: &mut AnyConnection, token: &str) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT day, count FROM qr_scans WHERE token = $1 ORDER BY day")
            .bind(token)
            .fetch_all(conn)
            .await?,
    )
}

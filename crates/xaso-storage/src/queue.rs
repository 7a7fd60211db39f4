//! Queries for the background job queue (`queued_jobs`).

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    /// JSON.
    pub payload: String,
    /// queued, running, done or failed.
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub last_error: String,
    pub claimed_at: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, last_error, claimed_at, created_at, finished_at";

pub async fn insert(conn: &mut AnyConnection, j: &JobRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO queued_jobs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&j.id)
    .bind(&j.kind)
    .bind(&j.payload)
    .bind(&j.status)
    .bind(j.attempts)
    .bind(j.max_attempts)
    .bind(&j.run_at)
    .bind(&j.last_error)
    .bind(&j.claimed_at)
    .bind(&j.created_at)
    .bind(&j.finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<JobRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM queued_jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Queued jobs whose time has come, oldest due first.
pub async fn due(conn: &mut AnyConnection, now: &str, limit: i64) -> Result<Vec<JobRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM queued_jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Takes a queued job for one attempt; false when another worker took it first.
pub async fn claim(conn: &mut AnyConnection, id: &str, now: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET status = 'running', claimed_at = $2, attempts = attempts + 1 \
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the end of an attempt: done, failed for good, or queued again for `run_at`.
pub async fn settle(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    run_at: &str,
    error: &str,
    finished_at: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE queued_jobs SET status = $2, run_at = $3, last_error = $4, finished_at = $5, \
         claimed_at = NULL WHERE id = $1 AND status = 'running'",
    )
    .bind(id)
    .bind(status)
    .bind(run_at)
    .bind(error)
    .bind(finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts back jobs a stopped worker left running (claimed before `claimed_before`).
pub async fn requeue_stale(conn: &mut AnyConnection, claimed_before: &str) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET status = 'queued', claimed_at = NULL \
         WHERE status = 'running' AND claimed_at < $1",
    )
    .bind(claimed_before)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

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
    /// Who started it (long jobs a person watches); empty for the platform's own jobs.
    pub owner: String,
    pub phase: String,
    pub progress_done: i64,
    pub progress_total: i64,
    /// Written with the progress while the job runs.
    pub heartbeat_at: Option<String>,
    /// What came of it (JSON), for long jobs.
    pub result: Option<String>,
}

const COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, last_error, claimed_at, created_at, finished_at, owner, phase, progress_done, progress_total, heartbeat_at, result";

/// Which kinds of job a worker takes: every kind but some, or only some. Long jobs have a
/// lane of their own, so a large import does not hold back a notification.
#[derive(Debug, Clone, Copy)]
pub enum Kinds<'a> {
    Except(&'a [&'a str]),
    Only(&'a [&'a str]),
}

pub async fn insert(conn: &mut AnyConnection, j: &JobRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO queued_jobs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
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
    .bind(&j.owner)
    .bind(&j.phase)
    .bind(j.progress_done)
    .bind(j.progress_total)
    .bind(&j.heartbeat_at)
    .bind(&j.result)
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

/// Queued jobs of these kinds whose time has come, oldest due first.
pub async fn due(
    conn: &mut AnyConnection,
    now: &str,
    limit: i64,
    kinds: Kinds<'_>,
) -> Result<Vec<JobRow>> {
    let (list, not) = match kinds {
        Kinds::Except(list) => (list, "NOT "),
        Kinds::Only(list) => (list, ""),
    };
    let filter = if list.is_empty() {
        // NOT IN () is every kind; IN () is none.
        if not.is_empty() { "1 = 0" } else { "1 = 1" }.to_string()
    } else {
        let marks: Vec<String> = (0..list.len()).map(|i| format!("${}", i + 3)).collect();
        format!("kind {not}IN ({})", marks.join(", "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM queued_jobs WHERE status = 'queued' AND run_at <= $1 AND {filter} \
         ORDER BY run_at, id LIMIT $2"
    );
    let mut q = sqlx::query_as(&sql).bind(now).bind(limit);
    for k in list {
        q = q.bind(*k);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Takes a queued job for one attempt; false when another worker took it first.
pub async fn claim(conn: &mut AnyConnection, id: &str, now: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET status = 'running', claimed_at = $2, heartbeat_at = $2, \
         attempts = attempts + 1 WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the end of an attempt: done, failed for good, or queued again for `run_at`. Only
/// the claim made at `claimed_at` settles it: false when the job was taken over meanwhile (its
/// lease ran out), and then nothing is written.
pub async fn settle(
    conn: &mut AnyConnection,
    id: &str,
    claimed_at: &str,
    status: &str,
    run_at: &str,
    error: &str,
    finished_at: Option<&str>,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET status = $2, run_at = $3, last_error = $4, finished_at = $5, \
         claimed_at = NULL WHERE id = $1 AND status = 'running' AND claimed_at = $6",
    )
    .bind(id)
    .bind(status)
    .bind(run_at)
    .bind(error)
    .bind(finished_at)
    .bind(claimed_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Puts a job this process was running back in line as if the attempt had not begun (the
/// server is stopping); only while the claim made at `claimed_at` still holds it.
pub async fn release(conn: &mut AnyConnection, id: &str, claimed_at: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET status = 'queued', claimed_at = NULL, heartbeat_at = NULL, \
         attempts = attempts - 1 WHERE id = $1 AND status = 'running' AND claimed_at = $2",
    )
    .bind(id)
    .bind(claimed_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Jobs due by `now` or running.
pub async fn count_due(conn: &mut AnyConnection, now: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM queued_jobs \
         WHERE (status = 'queued' AND run_at <= $1) OR status = 'running'",
    )
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Renews the lease of a job still held by the claim made at `claimed_at`; false when it was
/// taken over.
pub async fn renew(
    conn: &mut AnyConnection,
    id: &str,
    claimed_at: &str,
    now: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET heartbeat_at = $3 \
         WHERE id = $1 AND status = 'running' AND claimed_at = $2",
    )
    .bind(id)
    .bind(claimed_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Puts back jobs whose worker stopped renewing them (last heartbeat, or the claim, before
/// `beat_before`), but for the kinds in `except` (long jobs: see `abandoned`).
pub async fn requeue_stale(
    conn: &mut AnyConnection,
    beat_before: &str,
    except: &[&str],
) -> Result<u64> {
    let marks: Vec<String> = (0..except.len()).map(|i| format!("${}", i + 2)).collect();
    let filter = if except.is_empty() {
        String::new()
    } else {
        format!(" AND kind NOT IN ({})", marks.join(", "))
    };
    let sql = format!(
        "UPDATE queued_jobs SET status = 'queued', claimed_at = NULL \
         WHERE status = 'running' AND COALESCE(heartbeat_at, claimed_at) < $1{filter}"
    );
    let mut q = sqlx::query(&sql).bind(beat_before);
    for k in except {
        q = q.bind(*k);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// A running job's progress, written with its heartbeat.
pub async fn progress(
    conn: &mut AnyConnection,
    id: &str,
    phase: &str,
    done: i64,
    total: i64,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE queued_jobs SET phase = $2, progress_done = $3, progress_total = $4, \
         heartbeat_at = $5 WHERE id = $1 AND status = 'running'",
    )
    .bind(id)
    .bind(phase)
    .bind(done)
    .bind(total)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What came of a job (JSON).
pub async fn set_result(conn: &mut AnyConnection, id: &str, result: &str) -> Result<()> {
    sqlx::query("UPDATE queued_jobs SET result = $2 WHERE id = $1")
        .bind(id)
        .bind(result)
        .execute(conn)
        .await?;
    Ok(())
}

/// Running jobs of these kinds whose heartbeat stopped before `beat_before` (their process
/// stopped): queued again from the start when `again`, marked interrupted otherwise.
pub async fn abandoned(
    conn: &mut AnyConnection,
    kinds: &[&str],
    beat_before: &str,
    again: bool,
    now: &str,
) -> Result<u64> {
    if kinds.is_empty() {
        return Ok(0);
    }
    let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
    let set = if again {
        "status = 'queued', claimed_at = NULL, run_at = $2, attempts = attempts - 1"
    } else {
        "status = 'interrupted', claimed_at = NULL, finished_at = $2"
    };
    let sql = format!(
        "UPDATE queued_jobs SET {set} WHERE status = 'running' \
         AND COALESCE(heartbeat_at, claimed_at) < $1 AND kind IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(beat_before).bind(now);
    for k in kinds {
        q = q.bind(*k);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Queues an interrupted or failed job again from the start, for one more attempt.
pub async fn restart(conn: &mut AnyConnection, id: &str, now: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE queued_jobs SET status = 'queued', run_at = $2, max_attempts = attempts + 1, \
         last_error = '', result = NULL, phase = '', progress_done = 0, progress_total = 0, \
         claimed_at = NULL, heartbeat_at = NULL, finished_at = NULL \
         WHERE id = $1 AND status IN ('interrupted', 'failed')",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

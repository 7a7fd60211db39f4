//! Queries for an asset's fault and maintenance log and the citizens' reports linked to it.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct LogRow {
    pub id: String,
    pub asset_id: String,
    pub kind: String,
    pub on_day: String,
    pub text: String,
    pub cost_vnd: Option<i64>,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert(conn: &mut AnyConnection, l: &LogRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO ict_logs (id, asset_id, kind, on_day, text, cost_vnd, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&l.id)
    .bind(&l.asset_id)
    .bind(&l.kind)
    .bind(&l.on_day)
    .bind(&l.text)
    .bind(l.cost_vnd)
    .bind(&l.created_by)
    .bind(&l.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An asset's log, newest first.
pub async fn of_asset(conn: &mut AnyConnection, asset_id: &str) -> Result<Vec<LogRow>> {
    Ok(sqlx::query_as(
        "SELECT id, asset_id, kind, on_day, text, cost_vnd, created_by, created_at FROM ict_logs \
         WHERE asset_id = $1 ORDER BY on_day DESC, created_at DESC",
    )
    .bind(asset_id)
    .fetch_all(conn)
    .await?)
}

/// Links a citizen's report to the asset it is about.
pub async fn link_case(
    conn: &mut AnyConnection,
    asset_id: &str,
    case_id: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ict_asset_cases (asset_id, case_id, linked_at) VALUES ($1, $2, $3) \
         ON CONFLICT (asset_id, case_id) DO NOTHING",
    )
    .bind(asset_id)
    .bind(case_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A report about an asset: (case number, status, received at, description).
#[derive(Debug, Clone, FromRow)]
pub struct LinkedCase {
    pub number: i64,
    pub status: String,
    pub created_at: String,
    pub description: String,
}

/// The reports about an asset, newest first.
pub async fn cases_of(conn: &mut AnyConnection, asset_id: &str) -> Result<Vec<LinkedCase>> {
    Ok(sqlx::query_as(
        "SELECT c.number, c.status, c.created_at, c.description FROM ict_asset_cases l \
         JOIN feedback_cases c ON c.id = l.case_id WHERE l.asset_id = $1 ORDER BY c.created_at DESC",
    )
    .bind(asset_id)
    .fetch_all(conn)
    .await?)
}

/// The asset a report is about (its tag and id), if any.
pub async fn asset_of_case(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<Option<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.tag, a.name FROM ict_asset_cases l JOIN ict_assets a ON a.id = l.asset_id \
         WHERE l.case_id = $1 LIMIT 1",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await?)
}

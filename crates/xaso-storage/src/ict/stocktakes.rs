//! Queries for stocktakes: a commune's assets checked by scanning their labels.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct StocktakeRow {
    pub id: String,
    pub unit_id: String,
    pub number: i64,
    pub place_id: Option<String>,
    pub note: String,
    pub started_by: String,
    pub started_at: String,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
}

const COLUMNS: &str =
    "id, unit_id, number, place_id, note, started_by, started_at, closed_by, closed_at";

pub async fn insert(conn: &mut AnyConnection, s: &StocktakeRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO ict_stocktakes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&s.id)
    .bind(&s.unit_id)
    .bind(s.number)
    .bind(&s.place_id)
    .bind(&s.note)
    .bind(&s.started_by)
    .bind(&s.started_at)
    .bind(&s.closed_by)
    .bind(&s.closed_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<StocktakeRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM ict_stocktakes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A commune's stocktakes, newest first.
pub async fn of_unit(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<StocktakeRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM ict_stocktakes WHERE unit_id = $1 ORDER BY number DESC"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

/// The commune's open stocktake, if any (at most one is open at a time).
pub async fn open_of(conn: &mut AnyConnection, unit_id: &str) -> Result<Option<StocktakeRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM ict_stocktakes WHERE unit_id = $1 AND closed_at IS NULL \
         ORDER BY number DESC LIMIT 1"
    ))
    .bind(unit_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn close(conn: &mut AnyConnection, id: &str, by: &str, at: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE ict_stocktakes SET closed_by = $2, closed_at = $3 WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ItemRow {
    pub stocktake_id: String,
    pub asset_id: String,
    pub scanned_by: Option<String>,
    pub scanned_at: Option<String>,
    pub outcome: Option<String>,
}

/// Records a scan; a second scan of the same asset changes nothing. True when it was new.
pub async fn scan(
    conn: &mut AnyConnection,
    stocktake_id: &str,
    asset_id: &str,
    by: &str,
    at: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO ict_stocktake_items (stocktake_id, asset_id, scanned_by, scanned_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (stocktake_id, asset_id) DO NOTHING",
    )
    .bind(stocktake_id)
    .bind(asset_id)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Writes an item's outcome at closing (adding the item for a missing asset).
pub async fn set_outcome(
    conn: &mut AnyConnection,
    stocktake_id: &str,
    asset_id: &str,
    outcome: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ict_stocktake_items (stocktake_id, asset_id, outcome) VALUES ($1, $2, $3) \
         ON CONFLICT (stocktake_id, asset_id) DO UPDATE SET outcome = excluded.outcome",
    )
    .bind(stocktake_id)
    .bind(asset_id)
    .bind(outcome)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn items(conn: &mut AnyConnection, stocktake_id: &str) -> Result<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "SELECT stocktake_id, asset_id, scanned_by, scanned_at, outcome FROM ict_stocktake_items \
         WHERE stocktake_id = $1 ORDER BY scanned_at",
    )
    .bind(stocktake_id)
    .fetch_all(conn)
    .await?)
}

/// The next stocktake number of a commune.
pub async fn next_number(conn: &mut AnyConnection, unit_id: &str) -> Result<i64> {
    let n: Option<i64> =
        sqlx::query_scalar("SELECT MAX(number) FROM ict_stocktakes WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_one(conn)
            .await?;
    Ok(n.unwrap_or(0) + 1)
}

/// Sets an asset's status (closing a stocktake marks the missing ones).
pub async fn set_asset_status(
    conn: &mut AnyConnection,
    asset_id: &str,
    status: &str,
    by: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE ict_assets SET status = $2, updated_by = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(asset_id)
    .bind(status)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

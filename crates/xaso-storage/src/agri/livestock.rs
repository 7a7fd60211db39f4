//! Livestock surveys: one row per village, survey date and species.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct LivestockRow {
    pub id: String,
    /// The commune.
    pub unit_id: String,
    pub village_id: String,
    pub surveyed_on: String,
    pub species: String,
    pub head: i64,
    pub recorded_by: String,
    pub recorded_at: String,
}

const COLUMNS: &str =
    "id, unit_id, village_id, surveyed_on, species, head, recorded_by, recorded_at";

/// Replaces a village's counts for one survey date.
pub async fn replace(
    conn: &mut AnyConnection,
    village_id: &str,
    surveyed_on: &str,
    rows: &[LivestockRow],
) -> Result<()> {
    sqlx::query("DELETE FROM agri_livestock WHERE village_id = $1 AND surveyed_on = $2")
        .bind(village_id)
        .bind(surveyed_on)
        .execute(&mut *conn)
        .await?;
    for r in rows {
        sqlx::query(&format!(
            "INSERT INTO agri_livestock ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&r.id)
        .bind(&r.unit_id)
        .bind(&r.village_id)
        .bind(&r.surveyed_on)
        .bind(&r.species)
        .bind(r.head)
        .bind(&r.recorded_by)
        .bind(&r.recorded_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The survey dates of the given communes, the latest first.
pub async fn dates(conn: &mut AnyConnection, commune_ids: &[String]) -> Result<Vec<String>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT surveyed_on FROM agri_livestock WHERE unit_id IN ({}) \
         ORDER BY surveyed_on DESC",
        crate::placeholders(1, commune_ids.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// One survey's counts in the given communes: (commune code, village code, species, head).
pub async fn counts(
    conn: &mut AnyConnection,
    surveyed_on: &str,
    commune_ids: &[String],
) -> Result<Vec<(String, String, String, i64)>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT c.code, v.code, l.species, l.head FROM agri_livestock l \
         JOIN units c ON c.id = l.unit_id JOIN units v ON v.id = l.village_id \
         WHERE l.surveyed_on = $1 AND l.unit_id IN ({}) ORDER BY c.code, v.code",
        crate::placeholders(2, commune_ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(surveyed_on);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

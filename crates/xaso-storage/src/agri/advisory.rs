//! Advisories to farmers.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct AdvisoryRow {
    pub id: String,
    pub unit_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub audience: String,
    pub crop: Option<String>,
    pub growing_area_id: Option<String>,
    pub village_id: Option<String>,
    pub sms_text: String,
    /// How many plots it concerned when sent.
    pub plots: i64,
    pub portal_post_id: Option<String>,
    /// queued, sent, failed
    pub relay_status: String,
    pub relay_detail: String,
    pub created_by: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, unit_id, kind, title, body, audience, crop, growing_area_id, \
     village_id, sms_text, plots, portal_post_id, relay_status, relay_detail, created_by, created_at";

pub async fn insert(conn: &mut AnyConnection, a: &AdvisoryRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO agri_advisories ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&a.id)
    .bind(&a.unit_id)
    .bind(&a.kind)
    .bind(&a.title)
    .bind(&a.body)
    .bind(&a.audience)
    .bind(&a.crop)
    .bind(&a.growing_area_id)
    .bind(&a.village_id)
    .bind(&a.sms_text)
    .bind(a.plots)
    .bind(&a.portal_post_id)
    .bind(&a.relay_status)
    .bind(&a.relay_detail)
    .bind(&a.created_by)
    .bind(&a.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<AdvisoryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agri_advisories WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A commune's advisories, the newest first (at most `limit`).
pub async fn of_unit(
    conn: &mut AnyConnection,
    unit_id: &str,
    limit: i64,
) -> Result<Vec<AdvisoryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agri_advisories WHERE unit_id = $1 \
         ORDER BY created_at DESC LIMIT $2"
    ))
    .bind(unit_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Records what became of an advisory's portal post and Zalo message.
pub async fn set_relay(
    conn: &mut AnyConnection,
    id: &str,
    post: Option<&str>,
    status: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE agri_advisories SET portal_post_id = COALESCE($1, portal_post_id), \
         relay_status = $2, relay_detail = $3 WHERE id = $4",
    )
    .bind(post)
    .bind(status)
    .bind(detail)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The crops of the plots' latest plantings, as (plot id, crop).
pub async fn latest_crops(
    conn: &mut AnyConnection,
    unit_id: &str,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT pl.plot_id, pl.crop FROM agri_plantings pl JOIN agri_plots p ON p.id = pl.plot_id \
         WHERE p.unit_id = $1 AND pl.sown_on = (SELECT MAX(x.sown_on) FROM agri_plantings x \
         WHERE x.plot_id = pl.plot_id)",
    )
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

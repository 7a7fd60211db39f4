//! Growing areas, seasons, plantings, field logs and what the statistics read of them.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct GrowingAreaRow {
    pub id: String,
    pub unit_id: String,
    pub code: String,
    pub name: String,
    pub crop: String,
    pub decision: String,
    pub issued_by: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub illustrative: i64,
    pub created_by: String,
    pub created_at: String,
}

const AREA_COLUMNS: &str = "id, unit_id, code, name, crop, decision, issued_by, valid_from, \
     valid_until, illustrative, created_by, created_at";

pub async fn insert_growing_area(conn: &mut AnyConnection, g: &GrowingAreaRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO agri_growing_areas ({AREA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12)"
    ))
    .bind(&g.id)
    .bind(&g.unit_id)
    .bind(&g.code)
    .bind(&g.name)
    .bind(&g.crop)
    .bind(&g.decision)
    .bind(&g.issued_by)
    .bind(&g.valid_from)
    .bind(&g.valid_until)
    .bind(g.illustrative)
    .bind(&g.created_by)
    .bind(&g.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn growing_area(conn: &mut AnyConnection, id: &str) -> Result<Option<GrowingAreaRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AREA_COLUMNS} FROM agri_growing_areas WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn growing_area_by_code(
    conn: &mut AnyConnection,
    unit_id: &str,
    code: &str,
) -> Result<Option<GrowingAreaRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AREA_COLUMNS} FROM agri_growing_areas WHERE unit_id = $1 AND code = $2"
    ))
    .bind(unit_id)
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

pub async fn growing_areas_of(
    conn: &mut AnyConnection,
    unit_id: &str,
) -> Result<Vec<GrowingAreaRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AREA_COLUMNS} FROM agri_growing_areas WHERE unit_id = $1 ORDER BY code"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

/// Puts a plot in a growing area (or takes it out with `None`).
pub async fn set_plot_growing_area(
    conn: &mut AnyConnection,
    plot_id: &str,
    area_id: Option<&str>,
    by: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE agri_plots SET growing_area_id = $1, updated_by = $2, updated_at = $3 \
         WHERE id = $4",
    )
    .bind(area_id)
    .bind(by)
    .bind(at)
    .bind(plot_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct SeasonRow {
    pub id: String,
    pub unit_id: String,
    pub key: String,
    pub kind: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: String,
    pub created_at: String,
}

const SEASON_COLUMNS: &str =
    "id, unit_id, key, kind, name, starts_on, ends_on, created_by, created_at";

pub async fn insert_season(conn: &mut AnyConnection, s: &SeasonRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO agri_seasons ({SEASON_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&s.id)
    .bind(&s.unit_id)
    .bind(&s.key)
    .bind(&s.kind)
    .bind(&s.name)
    .bind(&s.starts_on)
    .bind(&s.ends_on)
    .bind(&s.created_by)
    .bind(&s.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn season(conn: &mut AnyConnection, id: &str) -> Result<Option<SeasonRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SEASON_COLUMNS} FROM agri_seasons WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A commune's seasons, the latest first.
pub async fn seasons_of(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<SeasonRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SEASON_COLUMNS} FROM agri_seasons WHERE unit_id = $1 ORDER BY starts_on DESC"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

pub async fn season_by_key(
    conn: &mut AnyConnection,
    unit_id: &str,
    key: &str,
) -> Result<Option<SeasonRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SEASON_COLUMNS} FROM agri_seasons WHERE unit_id = $1 AND key = $2"
    ))
    .bind(unit_id)
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct PlantingRow {
    pub id: String,
    pub plot_id: String,
    pub season_id: String,
    pub crop: String,
    pub variety: String,
    pub sown_area_m2: f64,
    pub sown_on: String,
    pub recorded_by: String,
    pub recorded_at: String,
    /// The plot's village when planted.
    pub village_id: Option<String>,
    /// Harvests logged so far, and their total in kg.
    pub harvests: i64,
    pub harvest_kg: f64,
}

const PLANTING_COLUMNS: &str = "id, plot_id, season_id, crop, variety, sown_area_m2, sown_on, \
     recorded_by, recorded_at, village_id, harvests, harvest_kg";

pub async fn insert_planting(conn: &mut AnyConnection, p: &PlantingRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO agri_plantings ({PLANTING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12)"
    ))
    .bind(&p.id)
    .bind(&p.plot_id)
    .bind(&p.season_id)
    .bind(&p.crop)
    .bind(&p.variety)
    .bind(p.sown_area_m2)
    .bind(&p.sown_on)
    .bind(&p.recorded_by)
    .bind(&p.recorded_at)
    .bind(&p.village_id)
    .bind(p.harvests)
    .bind(p.harvest_kg)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts a harvest of `kg` on a planting.
pub async fn add_harvest(conn: &mut AnyConnection, planting_id: &str, kg: f64) -> Result<()> {
    sqlx::query(
        "UPDATE agri_plantings SET harvests = harvests + 1, harvest_kg = harvest_kg + $1 \
         WHERE id = $2",
    )
    .bind(kg)
    .bind(planting_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a removed harvest out of its planting's count and sum.
pub async fn remove_harvest(conn: &mut AnyConnection, planting_id: &str, kg: f64) -> Result<()> {
    sqlx::query(
        "UPDATE agri_plantings SET harvests = harvests - 1, harvest_kg = harvest_kg - $1 \
         WHERE id = $2 AND harvests > 0",
    )
    .bind(kg)
    .bind(planting_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a field-log entry; `false` when it was not there (removed meanwhile).
pub async fn delete_log(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM agri_logs WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn planting(conn: &mut AnyConnection, id: &str) -> Result<Option<PlantingRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PLANTING_COLUMNS} FROM agri_plantings WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A plot's plantings, the latest first.
pub async fn plantings_of(conn: &mut AnyConnection, plot_id: &str) -> Result<Vec<PlantingRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PLANTING_COLUMNS} FROM agri_plantings WHERE plot_id = $1 \
         ORDER BY sown_on DESC, recorded_at DESC"
    ))
    .bind(plot_id)
    .fetch_all(conn)
    .await?)
}

/// The plantings on a producer's plots, the latest first (for linking a batch).
pub async fn plantings_of_producer(
    conn: &mut AnyConnection,
    producer_id: &str,
) -> Result<Vec<PlantingRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM agri_plantings pl JOIN agri_plots p ON p.id = pl.plot_id \
         WHERE p.producer_id = $1 ORDER BY pl.sown_on DESC, pl.recorded_at DESC",
        PLANTING_COLUMNS
            .split(", ")
            .map(|c| format!("pl.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(producer_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct LogRow {
    pub id: String,
    pub plot_id: String,
    pub planting_id: Option<String>,
    pub kind: String,
    pub done_on: String,
    pub input_type: Option<String>,
    pub product: String,
    pub active_ingredient: String,
    pub dose: String,
    pub phi_days: Option<i64>,
    pub pest: String,
    pub severity: Option<String>,
    pub photo_key: Option<String>,
    pub quantity: Option<f64>,
    pub quantity_unit: Option<String>,
    pub quantity_kg: Option<f64>,
    pub note: String,
    pub warning: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

const LOG_COLUMNS: &str = "id, plot_id, planting_id, kind, done_on, input_type, product, \
     active_ingredient, dose, phi_days, pest, severity, photo_key, quantity, quantity_unit, \
     quantity_kg, note, warning, recorded_by, recorded_at";

pub async fn insert_log(conn: &mut AnyConnection, l: &LogRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO agri_logs ({LOG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    let q = sqlx::query(&sql)
        .bind(&l.id)
        .bind(&l.plot_id)
        .bind(&l.planting_id)
        .bind(&l.kind)
        .bind(&l.done_on)
        .bind(&l.input_type)
        .bind(&l.product)
        .bind(&l.active_ingredient)
        .bind(&l.dose)
        .bind(l.phi_days)
        .bind(&l.pest)
        .bind(&l.severity)
        .bind(&l.photo_key);
    let q = crate::bind_f64(q, l.quantity).bind(&l.quantity_unit);
    crate::bind_f64(q, l.quantity_kg)
        .bind(&l.note)
        .bind(&l.warning)
        .bind(&l.recorded_by)
        .bind(&l.recorded_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn log(conn: &mut AnyConnection, id: &str) -> Result<Option<LogRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LOG_COLUMNS} FROM agri_logs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A plot's log, the latest first.
pub async fn logs_of(conn: &mut AnyConnection, plot_id: &str) -> Result<Vec<LogRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LOG_COLUMNS} FROM agri_logs WHERE plot_id = $1 \
         ORDER BY done_on DESC, recorded_at DESC"
    ))
    .bind(plot_id)
    .fetch_all(conn)
    .await?)
}

/// The batch a planting's crop went into, if a batch names it.
pub async fn batch_planting(conn: &mut AnyConnection, batch_id: &str) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT planting_id FROM batches WHERE id = $1")
            .bind(batch_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn set_batch_planting(
    conn: &mut AnyConnection,
    batch_id: &str,
    planting_id: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE batches SET planting_id = $1 WHERE id = $2")
        .bind(planting_id)
        .bind(batch_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Plantings of one crop in one village as the statistics read them, summed in the database.
#[derive(Debug, Clone, FromRow)]
pub struct FactRow {
    pub commune_id: String,
    pub village_id: Option<String>,
    pub crop: String,
    pub plantings: i64,
    pub sown_m2: f64,
    pub harvested_m2: f64,
    pub output_kg: f64,
}

/// The plantings of the seasons with this key in the given communes (by unit id), summed by
/// commune, village and crop (from the plantings' index alone).
pub async fn facts(
    conn: &mut AnyConnection,
    season_key: &str,
    commune_ids: &[String],
) -> Result<Vec<FactRow>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT s.unit_id AS commune_id, pl.village_id, pl.crop, COUNT(*) AS plantings, \
           SUM(pl.sown_area_m2) AS sown_m2, \
           SUM(CASE WHEN pl.harvests > 0 THEN pl.sown_area_m2 ELSE 0.0 END) AS harvested_m2, \
           SUM(pl.harvest_kg) AS output_kg \
         FROM agri_seasons s JOIN agri_plantings pl ON pl.season_id = s.id \
         WHERE s.key = $1 AND s.unit_id IN ({}) \
         GROUP BY s.unit_id, pl.village_id, pl.crop",
        crate::placeholders(2, commune_ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(season_key);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

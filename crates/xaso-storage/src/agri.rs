//! Agricultural plots.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

pub mod advisory;
pub mod farm;
pub mod farming;
pub mod livestock;

#[derive(Debug, Clone, FromRow)]
pub struct PlotRow {
    pub id: String,
    pub unit_id: String,
    pub village_id: Option<String>,
    pub name: String,
    pub land_use: String,
    pub irrigation: Option<String>,
    pub tenure: Option<String>,
    pub holder: String,
    pub holder_phone: String,
    /// GeoJSON geometry (Polygon or MultiPolygon).
    pub geometry: String,
    pub area_m2: f64,
    pub min_lat: f64,
    pub min_lng: f64,
    pub max_lat: f64,
    pub max_lng: f64,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
    /// The producer (a farm selling through the platform) the plot belongs to.
    pub producer_id: Option<String>,
    pub growing_area_id: Option<String>,
    /// The farm household or organisation that works it.
    pub farm_id: Option<String>,
}

const COLUMNS: &str = "id, unit_id, village_id, name, land_use, irrigation, tenure, holder, \
     holder_phone, geometry, area_m2, min_lat, min_lng, max_lat, max_lng, created_by, created_at, \
     updated_by, updated_at, producer_id, growing_area_id, farm_id";

pub async fn insert(conn: &mut AnyConnection, p: &PlotRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO agri_plots ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    ))
    .bind(&p.id)
    .bind(&p.unit_id)
    .bind(&p.village_id)
    .bind(&p.name)
    .bind(&p.land_use)
    .bind(&p.irrigation)
    .bind(&p.tenure)
    .bind(&p.holder)
    .bind(&p.holder_phone)
    .bind(&p.geometry)
    .bind(p.area_m2)
    .bind(p.min_lat)
    .bind(p.min_lng)
    .bind(p.max_lat)
    .bind(p.max_lng)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .bind(&p.updated_by)
    .bind(&p.updated_at)
    .bind(&p.producer_id)
    .bind(&p.growing_area_id)
    .bind(&p.farm_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<PlotRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM agri_plots WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A commune's plots whose bounding box meets the box (south, west, north, east), or all of
/// them; at most `limit`, by name.
pub async fn of_unit(
    conn: &mut AnyConnection,
    unit_id: &str,
    bbox: Option<(f64, f64, f64, f64)>,
    limit: i64,
) -> Result<Vec<PlotRow>> {
    Ok(match bbox {
        Some((s, w, n, e)) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM agri_plots WHERE unit_id = $1 AND max_lat >= $2 \
                 AND min_lat <= $3 AND max_lng >= $4 AND min_lng <= $5 ORDER BY name, id LIMIT $6"
            ))
            .bind(unit_id)
            .bind(s)
            .bind(n)
            .bind(w)
            .bind(e)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM agri_plots WHERE unit_id = $1 ORDER BY name, id LIMIT $2"
            ))
            .bind(unit_id)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
    })
}

/// A producer's plots, by name.
pub async fn of_producer(conn: &mut AnyConnection, producer_id: &str) -> Result<Vec<PlotRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agri_plots WHERE producer_id = $1 ORDER BY name, id"
    ))
    .bind(producer_id)
    .fetch_all(conn)
    .await?)
}

/// The plots of a growing area, by name.
pub async fn of_growing_area(conn: &mut AnyConnection, area_id: &str) -> Result<Vec<PlotRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agri_plots WHERE growing_area_id = $1 ORDER BY name, id"
    ))
    .bind(area_id)
    .fetch_all(conn)
    .await?)
}

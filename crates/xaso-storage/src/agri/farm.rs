//! Farm households and organisations.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct FarmRow {
    pub id: String,
    pub unit_id: String,
    pub village_id: Option<String>,
    pub kind: String,
    pub name: String,
    pub representative: String,
    pub phone: String,
    pub place_id: Option<String>,
    pub producer_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, unit_id, village_id, kind, name, representative, phone, place_id, \
     producer_id, created_by, created_at";

pub async fn insert(conn: &mut AnyConnection, f: &FarmRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO agri_farms ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&f.id)
    .bind(&f.unit_id)
    .bind(&f.village_id)
    .bind(&f.kind)
    .bind(&f.name)
    .bind(&f.representative)
    .bind(&f.phone)
    .bind(&f.place_id)
    .bind(&f.producer_id)
    .bind(&f.created_by)
    .bind(&f.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<FarmRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM agri_farms WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A commune's farms, by name.
pub async fn of_unit(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<FarmRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agri_farms WHERE unit_id = $1 ORDER BY name, id"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

/// Puts a plot in a farm.
pub async fn set_plot_farm(conn: &mut AnyConnection, plot_id: &str, farm_id: &str) -> Result<()> {
    sqlx::query("UPDATE agri_plots SET farm_id = $1 WHERE id = $2")
        .bind(farm_id)
        .bind(plot_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A farm's plots' ids.
pub async fn plot_ids(conn: &mut AnyConnection, farm_id: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM agri_plots WHERE farm_id = $1 ORDER BY name, id")
            .bind(farm_id)
            .fetch_all(conn)
            .await?,
    )
}

//! Queries for evidence file metadata.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct EvidenceRow {
    pub id: String,
    pub unit_id: String,
    pub year: i64,
    pub set_key: String,
    pub indicator_code: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub object_key: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const COLUMNS: &str =
    "id, unit_id, year, set_key, indicator_code, filename, content_type, size, object_key, uploaded_by, uploaded_at";

pub async fn insert(conn: &mut AnyConnection, e: &EvidenceRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO evidence_files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&e.id)
    .bind(&e.unit_id)
    .bind(e.year)
    .bind(&e.set_key)
    .bind(&e.indicator_code)
    .bind(&e.filename)
    .bind(&e.content_type)
    .bind(e.size)
    .bind(&e.object_key)
    .bind(&e.uploaded_by)
    .bind(&e.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn of_year(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
) -> Result<Vec<EvidenceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM evidence_files WHERE unit_id = $1 AND year = $2 ORDER BY set_key, indicator_code, uploaded_at"
    ))
    .bind(unit_id)
    .bind(year)
    .fetch_all(conn)
    .await?)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<EvidenceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM evidence_files WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM evidence_files WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many rows point at a stored object: one scan may stand behind several indicators.
pub async fn object_refs(conn: &mut AnyConnection, object_key: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM evidence_files WHERE object_key = $1")
        .bind(object_key)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

// --- recognition dossier files (same shape, their own table) ---

#[derive(Debug, Clone, FromRow)]
pub struct DossierFileRow {
    pub id: String,
    pub unit_id: String,
    pub year: i64,
    pub level: String,
    pub item: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub object_key: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const DOSSIER_COLUMNS: &str =
    "id, unit_id, year, level, item, filename, content_type, size, object_key, uploaded_by, uploaded_at";

pub async fn insert_dossier_file(conn: &mut AnyConnection, d: &DossierFileRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dossier_files ({DOSSIER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&d.id)
    .bind(&d.unit_id)
    .bind(d.year)
    .bind(&d.level)
    .bind(&d.item)
    .bind(&d.filename)
    .bind(&d.content_type)
    .bind(d.size)
    .bind(&d.object_key)
    .bind(&d.uploaded_by)
    .bind(&d.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn dossier_files(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    level: &str,
) -> Result<Vec<DossierFileRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DOSSIER_COLUMNS} FROM dossier_files WHERE unit_id = $1 AND year = $2 AND level = $3 ORDER BY item, uploaded_at"
    ))
    .bind(unit_id)
    .bind(year)
    .bind(level)
    .fetch_all(conn)
    .await?)
}

pub async fn dossier_file(conn: &mut AnyConnection, id: &str) -> Result<Option<DossierFileRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DOSSIER_COLUMNS} FROM dossier_files WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn delete_dossier_file(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM dossier_files WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many files any dossier holds under a checklist item.
pub async fn dossier_item_files(conn: &mut AnyConnection, item: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dossier_files WHERE item = $1")
        .bind(item)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

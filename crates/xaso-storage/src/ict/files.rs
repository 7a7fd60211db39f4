//! Queries for an asset's photos and papers.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct FileRow {
    pub id: String,
    pub asset_id: String,
    pub kind: String,
    pub title: String,
    pub object_key: String,
    pub thumb_key: Option<String>,
    pub file_name: String,
    pub file_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const COLUMNS: &str = "id, asset_id, kind, title, object_key, thumb_key, file_name, file_type, \
                       size_bytes, uploaded_by, uploaded_at";

pub async fn insert(conn: &mut AnyConnection, f: &FileRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO ict_files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&f.id)
    .bind(&f.asset_id)
    .bind(&f.kind)
    .bind(&f.title)
    .bind(&f.object_key)
    .bind(&f.thumb_key)
    .bind(&f.file_name)
    .bind(&f.file_type)
    .bind(f.size_bytes)
    .bind(&f.uploaded_by)
    .bind(&f.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An asset's files, oldest first.
pub async fn of_asset(conn: &mut AnyConnection, asset_id: &str) -> Result<Vec<FileRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM ict_files WHERE asset_id = $1 ORDER BY uploaded_at, id"
    ))
    .bind(asset_id)
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<FileRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM ict_files WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM ict_files WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

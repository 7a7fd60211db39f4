//! Queries for producers and their products.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct ProducerRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub name_key: String,
    pub commune_id: String,
    pub place_id: Option<String>,
    pub address: String,
    pub representative: String,
    pub phone: Option<String>,
    pub registration_no: String,
    pub description: String,
    pub status: String,
    pub status_reason: String,
    pub owner: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const PRODUCER_COLUMNS: &str = "id, kind, name, name_key, commune_id, place_id, address, representative, phone, registration_no, description, status, status_reason, owner, decided_by, decided_at, created_by, created_at, updated_by, updated_at";

/// Inserts or rewrites a producer (every column but `id`, `created_by`, `created_at`).
pub async fn save_producer(conn: &mut AnyConnection, p: &ProducerRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO producers ({PRODUCER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, name_key = excluded.name_key, \
         place_id = excluded.place_id, address = excluded.address, representative = excluded.representative, \
         phone = excluded.phone, registration_no = excluded.registration_no, description = excluded.description, \
         status = excluded.status, status_reason = excluded.status_reason, owner = excluded.owner, \
         decided_by = excluded.decided_by, decided_at = excluded.decided_at, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&p.id)
    .bind(&p.kind)
    .bind(&p.name)
    .bind(&p.name_key)
    .bind(&p.commune_id)
    .bind(&p.place_id)
    .bind(&p.address)
    .bind(&p.representative)
    .bind(&p.phone)
    .bind(&p.registration_no)
    .bind(&p.description)
    .bind(&p.status)
    .bind(&p.status_reason)
    .bind(&p.owner)
    .bind(&p.decided_by)
    .bind(&p.decided_at)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .bind(&p.updated_by)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn producer(conn: &mut AnyConnection, id: &str) -> Result<Option<ProducerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PRODUCER_COLUMNS} FROM producers WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Producers of some communes, optionally only those in one status; pending first, then by name.
pub async fn producers_in(
    conn: &mut AnyConnection,
    commune_ids: &[String],
    status: Option<&str>,
) -> Result<Vec<ProducerRow>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=commune_ids.len()).map(|i| format!("${i}")).collect();
    let mut sql = format!(
        "SELECT {PRODUCER_COLUMNS} FROM producers WHERE commune_id IN ({})",
        marks.join(", ")
    );
    if status.is_some() {
        sql.push_str(&format!(" AND status = ${}", commune_ids.len() + 1));
    }
    sql.push_str(" ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, name_key");
    let mut q = sqlx::query_as(&sql);
    for id in commune_ids {
        q = q.bind(id);
    }
    if let Some(s) = status {
        q = q.bind(s);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Producers an account manages.
pub async fn producers_of_owner(conn: &mut AnyConnection, owner: &str) -> Result<Vec<ProducerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PRODUCER_COLUMNS} FROM producers WHERE owner = $1 ORDER BY name_key"
    ))
    .bind(owner)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct ProductRow {
    pub id: String,
    pub producer_id: String,
    pub name: String,
    pub name_key: String,
    pub category: String,
    pub description: String,
    pub sale_unit: String,
    pub gtin: Option<String>,
    pub ocop_stars: Option<i64>,
    pub ocop_certificate: String,
    pub ocop_decided_on: Option<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const PRODUCT_COLUMNS: &str = "id, producer_id, name, name_key, category, description, sale_unit, gtin, ocop_stars, ocop_certificate, ocop_decided_on, status, created_by, created_at, updated_by, updated_at";

/// Inserts or rewrites a product.
pub async fn save_product(conn: &mut AnyConnection, p: &ProductRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO products ({PRODUCT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, category = excluded.category, \
         description = excluded.description, sale_unit = excluded.sale_unit, gtin = excluded.gtin, \
         ocop_stars = excluded.ocop_stars, ocop_certificate = excluded.ocop_certificate, \
         ocop_decided_on = excluded.ocop_decided_on, status = excluded.status, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&p.id)
    .bind(&p.producer_id)
    .bind(&p.name)
    .bind(&p.name_key)
    .bind(&p.category)
    .bind(&p.description)
    .bind(&p.sale_unit)
    .bind(&p.gtin)
    .bind(p.ocop_stars)
    .bind(&p.ocop_certificate)
    .bind(&p.ocop_decided_on)
    .bind(&p.status)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .bind(&p.updated_by)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn product(conn: &mut AnyConnection, id: &str) -> Result<Option<ProductRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn product_by_gtin(conn: &mut AnyConnection, gtin14: &str) -> Result<Option<ProductRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE gtin = $1"
    ))
    .bind(gtin14)
    .fetch_optional(conn)
    .await?)
}

pub async fn products_of(conn: &mut AnyConnection, producer_id: &str) -> Result<Vec<ProductRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE producer_id = $1 ORDER BY name_key"
    ))
    .bind(producer_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct BatchRow {
    pub id: String,
    pub product_id: String,
    pub lot: String,
    pub produced_on: String,
    pub quantity: Option<f64>,
    pub quantity_unit: String,
    pub expires_on: Option<String>,
    pub origin_place_id: Option<String>,
    pub note: String,
    pub status: String,
    pub recall_reason: String,
    pub released_at: Option<String>,
    pub recalled_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const BATCH_COLUMNS: &str = "id, product_id, lot, produced_on, quantity, quantity_unit, expires_on, origin_place_id, note, status, recall_reason, released_at, recalled_at, created_by, created_at, updated_by, updated_at";

/// Inserts or rewrites a batch.
pub async fn save_batch(conn: &mut AnyConnection, b: &BatchRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO batches ({BATCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO UPDATE SET lot = excluded.lot, produced_on = excluded.produced_on, quantity = excluded.quantity, \
         quantity_unit = excluded.quantity_unit, expires_on = excluded.expires_on, origin_place_id = excluded.origin_place_id, \
         note = excluded.note, status = excluded.status, recall_reason = excluded.recall_reason, \
         released_at = excluded.released_at, recalled_at = excluded.recalled_at, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    );
    let q = sqlx::query(&sql)
        .bind(&b.id)
        .bind(&b.product_id)
        .bind(&b.lot)
        .bind(&b.produced_on);
    crate::bind_f64(q, b.quantity)
        .bind(&b.quantity_unit)
        .bind(&b.expires_on)
        .bind(&b.origin_place_id)
        .bind(&b.note)
        .bind(&b.status)
        .bind(&b.recall_reason)
        .bind(&b.released_at)
        .bind(&b.recalled_at)
        .bind(&b.created_by)
        .bind(&b.created_at)
        .bind(&b.updated_by)
        .bind(&b.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn batch(conn: &mut AnyConnection, id: &str) -> Result<Option<BatchRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn batch_by_lot(
    conn: &mut AnyConnection,
    product_id: &str,
    lot: &str,
) -> Result<Option<BatchRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE product_id = $1 AND lot = $2"
    ))
    .bind(product_id)
    .bind(lot)
    .fetch_optional(conn)
    .await?)
}

/// Batches of a product, newest production first.
pub async fn batches_of(conn: &mut AnyConnection, product_id: &str) -> Result<Vec<BatchRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE product_id = $1 ORDER BY produced_on DESC, lot"
    ))
    .bind(product_id)
    .fetch_all(conn)
    .await?)
}

/// A document a producer registered with (private to its account and the commune).
#[derive(Debug, Clone, FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub producer_id: String,
    pub kind: String,
    pub title: String,
    pub object_key: String,
    pub file_name: String,
    pub file_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const DOCUMENT_COLUMNS: &str = "id, producer_id, kind, title, object_key, file_name, file_type, size_bytes, uploaded_by, uploaded_at";

pub async fn insert_document(conn: &mut AnyConnection, d: &DocumentRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO producer_documents ({DOCUMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&d.id)
    .bind(&d.producer_id)
    .bind(&d.kind)
    .bind(&d.title)
    .bind(&d.object_key)
    .bind(&d.file_name)
    .bind(&d.file_type)
    .bind(d.size_bytes)
    .bind(&d.uploaded_by)
    .bind(&d.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A producer's documents, oldest first.
pub async fn documents_of(conn: &mut AnyConnection, producer_id: &str) -> Result<Vec<DocumentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM producer_documents WHERE producer_id = $1 ORDER BY uploaded_at, id"
    ))
    .bind(producer_id)
    .fetch_all(conn)
    .await?)
}

pub async fn document(conn: &mut AnyConnection, id: &str) -> Result<Option<DocumentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM producer_documents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn delete_document(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM producer_documents WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

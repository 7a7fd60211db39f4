//! Queries for product photos, certifications and marketplace listings.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct PhotoRow {
    pub id: String,
    pub product_id: String,
    pub object_key: String,
    pub thumb_key: String,
    pub width: i64,
    pub height: i64,
    pub position: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const PHOTO_COLUMNS: &str =
    "id, product_id, object_key, thumb_key, width, height, position, uploaded_by, uploaded_at";

pub async fn insert_photo(conn: &mut AnyConnection, p: &PhotoRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO product_photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&p.id)
    .bind(&p.product_id)
    .bind(&p.object_key)
    .bind(&p.thumb_key)
    .bind(p.width)
    .bind(p.height)
    .bind(p.position)
    .bind(&p.uploaded_by)
    .bind(&p.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn photos_of(conn: &mut AnyConnection, product_id: &str) -> Result<Vec<PhotoRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM product_photos WHERE product_id = $1 ORDER BY position, id"
    ))
    .bind(product_id)
    .fetch_all(conn)
    .await?)
}

pub async fn photo(conn: &mut AnyConnection, id: &str) -> Result<Option<PhotoRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM product_photos WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn delete_photo(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM product_photos WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct CertificationRow {
    pub id: String,
    pub product_id: String,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub object_key: Option<String>,
    pub file_name: String,
    pub file_type: String,
    pub created_by: String,
    pub created_at: String,
}

const CERT_COLUMNS: &str =
    "id, product_id, kind, number, issuer, issued_on, expires_on, object_key, \
    file_name, file_type, created_by, created_at";

pub async fn insert_certification(conn: &mut AnyConnection, c: &CertificationRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO certifications ({CERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&c.id)
    .bind(&c.product_id)
    .bind(&c.kind)
    .bind(&c.number)
    .bind(&c.issuer)
    .bind(&c.issued_on)
    .bind(&c.expires_on)
    .bind(&c.object_key)
    .bind(&c.file_name)
    .bind(&c.file_type)
    .bind(&c.created_by)
    .bind(&c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn certifications_of(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<Vec<CertificationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM certifications WHERE product_id = $1 ORDER BY issued_on DESC, id"
    ))
    .bind(product_id)
    .fetch_all(conn)
    .await?)
}

pub async fn certification(conn: &mut AnyConnection, id: &str) -> Result<Option<CertificationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM certifications WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn delete_certification(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM certifications WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ListingRow {
    pub id: String,
    pub product_id: String,
    pub marketplace: String,
    pub status: String,
    pub url: String,
    pub price_vnd: Option<i64>,
    pub weight_g: Option<i64>,
    pub ingredients: String,
    pub storage: String,
    pub shelf_life: String,
    pub updated_by: String,
    pub updated_at: String,
}

const LISTING_COLUMNS: &str = "id, product_id, marketplace, status, url, price_vnd, weight_g, \
    ingredients, storage, shelf_life, updated_by, updated_at";

/// Creates or rewrites the listing of a product on a marketplace.
pub async fn save_listing(conn: &mut AnyConnection, l: &ListingRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO listings ({LISTING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (product_id, marketplace) DO UPDATE SET status = excluded.status, url = excluded.url, \
         price_vnd = excluded.price_vnd, weight_g = excluded.weight_g, ingredients = excluded.ingredients, \
         storage = excluded.storage, shelf_life = excluded.shelf_life, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at"
    ))
    .bind(&l.id)
    .bind(&l.product_id)
    .bind(&l.marketplace)
    .bind(&l.status)
    .bind(&l.url)
    .bind(l.price_vnd)
    .bind(l.weight_g)
    .bind(&l.ingredients)
    .bind(&l.storage)
    .bind(&l.shelf_life)
    .bind(&l.updated_by)
    .bind(&l.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn listings_of(conn: &mut AnyConnection, product_id: &str) -> Result<Vec<ListingRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LISTING_COLUMNS} FROM listings WHERE product_id = $1 ORDER BY marketplace"
    ))
    .bind(product_id)
    .fetch_all(conn)
    .await?)
}

/// Approved producers' products in these communes, with their producer's id, for the
/// catalogue and the listing exports.
pub async fn approved_products_in(
    conn: &mut AnyConnection,
    commune_ids: &[String],
) -> Result<Vec<(String, String)>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT p.id, r.id FROM products p JOIN producers r ON r.id = p.producer_id \
         WHERE r.status = 'approved' AND r.commune_id IN ({}) ORDER BY p.name, p.id",
        crate::placeholders(1, commune_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for c in commune_ids {
        q = q.bind(c);
    }
    Ok(q.fetch_all(conn).await?)
}

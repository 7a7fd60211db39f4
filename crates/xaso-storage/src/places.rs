//! Queries for places and unit boundaries.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct PlaceRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub name_key: String,
    pub address: String,
    pub address_key: String,
    pub commune_id: String,
    pub village_id: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub cell: i64,
    pub plus_code: String,
    pub vpostcode: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub public_name: i64,
    pub approximate: i64,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, kind, name, name_key, address, address_key, commune_id, village_id, latitude, longitude, cell, plus_code, vpostcode, contact_name, contact_phone, public_name, approximate, status, created_by, created_at, updated_by, updated_at";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the fields an insert and an update share, in column order from `id` to `status`.
fn bind_fields<'q>(q: AnyQuery<'q>, p: &'q PlaceRow) -> AnyQuery<'q> {
    q.bind(&p.id)
        .bind(&p.kind)
        .bind(&p.name)
        .bind(&p.name_key)
        .bind(&p.address)
        .bind(&p.address_key)
        .bind(&p.commune_id)
        .bind(&p.village_id)
        .bind(p.latitude)
        .bind(p.longitude)
        .bind(p.cell)
        .bind(&p.plus_code)
        .bind(&p.vpostcode)
        .bind(&p.contact_name)
        .bind(&p.contact_phone)
        .bind(p.public_name)
        .bind(p.approximate)
        .bind(&p.status)
}

pub async fn insert(conn: &mut AnyConnection, p: &PlaceRow) -> Result<()> {
    insert_many(conn, std::slice::from_ref(p)).await
}

/// Inserts many places in one multi-row statement (the caller keeps batches to a few hundred).
pub async fn insert_many(conn: &mut AnyConnection, rows: &[PlaceRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // SQLite keeps `$N` names in a list it searches linearly, so thousands of them make one
    // statement quadratic; plain `?` placeholders are positional and cost nothing to look up.
    let sqlite = conn.backend_name() == "SQLite";
    let mut sql = format!("INSERT INTO places ({COLUMNS}) VALUES ");
    for i in 0..rows.len() {
        let b = i * 22;
        sql.push_str(if i > 0 { ", (" } else { "(" });
        for j in 1..=22 {
            if j > 1 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push_str(&format!("${}", b + j));
            }
        }
        sql.push(')');
    }
    let mut q = sqlx::query(&sql);
    for p in rows {
        q = bind_fields(q, p)
            .bind(&p.created_by)
            .bind(&p.created_at)
            .bind(&p.updated_by)
            .bind(&p.updated_at);
    }
    q.execute(conn).await?;
    Ok(())
}

/// Name key, position and cell of every place of a commune (for duplicate checks on import).
pub async fn keys_in_commune(
    conn: &mut AnyConnection,
    commune_id: &str,
) -> Result<Vec<(String, f64, f64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT name_key, latitude, longitude, cell FROM places WHERE commune_id = $1",
    )
    .bind(commune_id)
    .fetch_all(conn)
    .await?)
}

pub async fn update(conn: &mut AnyConnection, p: &PlaceRow) -> Result<()> {
    let q = sqlx::query(
        "UPDATE places SET kind = $2, name = $3, name_key = $4, address = $5, address_key = $6, commune_id = $7, village_id = $8, latitude = $9, longitude = $10, cell = $11, plus_code = $12, vpostcode = $13, contact_name = $14, contact_phone = $15, public_name = $16, approximate = $17, status = $18, updated_by = $19, updated_at = $20 WHERE id = $1",
    );
    bind_fields(q, p)
        .bind(&p.updated_by)
        .bind(&p.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`update`] only if nobody changed the place since `expected` (its `updated_at` then);
/// `false` when someone did, and nothing is written.
pub async fn update_if(conn: &mut AnyConnection, p: &PlaceRow, expected: &str) -> Result<bool> {
    let q = sqlx::query(
        "UPDATE places SET kind = $2, name = $3, name_key = $4, address = $5, address_key = $6, commune_id = $7, village_id = $8, latitude = $9, longitude = $10, cell = $11, plus_code = $12, vpostcode = $13, contact_name = $14, contact_phone = $15, public_name = $16, approximate = $17, status = $18, updated_by = $19, updated_at = $20 WHERE id = $1 AND updated_at = $21",
    );
    let done = bind_fields(q, p)
        .bind(&p.updated_by)
        .bind(&p.updated_at)
        .bind(expected)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<PlaceRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM places WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Several places by id, in one statement (order not kept).
pub async fn by_ids(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<PlaceRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM places WHERE id IN ({})",
        params.join(", ")
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Places whose full code is `code` (upper case), newest first.
pub async fn by_plus_code(conn: &mut AnyConnection, code: &str) -> Result<Vec<PlaceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM places WHERE plus_code = $1 ORDER BY created_at DESC"
    ))
    .bind(code)
    .fetch_all(conn)
    .await?)
}

/// A filter for lists: communes (ids), kind, folded text, active only.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub commune_ids: Vec<String>,
    pub village_id: Option<String>,
    pub kind: Option<String>,
    /// Folded search text, matched inside the name or the address.
    pub text_key: Option<String>,
    pub active_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Places matching a filter, by name. Every list is scoped to communes, so the index on
/// (commune_id, kind) bounds the rows read.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<Vec<PlaceRow>> {
    if f.commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!("SELECT {COLUMNS} FROM places WHERE commune_id IN (");
    let mut n = 0;
    for i in 0..f.commune_ids.len() {
        n += 1;
        sql.push_str(&format!("{}${n}", if i > 0 { ", " } else { "" }));
    }
    sql.push(')');
    if f.village_id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND village_id = ${n}"));
    }
    if f.kind.is_some() {
        n += 1;
        sql.push_str(&format!(" AND kind = ${n}"));
    }
    if f.text_key.is_some() {
        n += 1;
        sql.push_str(&format!(
            " AND (name_key LIKE ${n} OR address_key LIKE ${n} OR plus_code LIKE ${n})"
        ));
    }
    if f.active_only {
        sql.push_str(" AND status = 'active'");
    }
    sql.push_str(&format!(
        " ORDER BY name_key, id LIMIT {} OFFSET {}",
        f.limit.clamp(1, 1_000_000),
        f.offset.max(0)
    ));
    let mut q = sqlx::query_as(&sql);
    for id in &f.commune_ids {
        q = q.bind(id);
    }
    if let Some(v) = &f.village_id {
        q = q.bind(v);
    }
    if let Some(k) = &f.kind {
        q = q.bind(k);
    }
    if let Some(t) = &f.text_key {
        // The key is folded (lower case, no diacritics); codes are upper case.
        q = q.bind(format!("%{}%", t.replace(['%', '_'], "")));
    }
    Ok(q.fetch_all(conn).await?)
}

/// Active places in the square of grid cells `r` cells around (row, col), optionally of one
/// kind: one index range per row of cells (`cells_per_row` is the grid's width).
pub async fn in_square(
    conn: &mut AnyConnection,
    (row, col): (i64, i64),
    r: i64,
    cells_per_row: i64,
    kind: Option<&str>,
) -> Result<Vec<(String, f64, f64)>> {
    // One SELECT per row of cells, joined with UNION ALL: each is a plain index range scan on
    // both engines (an OR of ranges is not always planned as one). Each part packs its places
    // into one text value ("id lat lng;…"), because decoding a row through sqlx's Any driver
    // costs microseconds and a dense square holds hundreds of places. The kind, if any, is the
    // last parameter, shared by every part.
    let pack = if conn.backend_name() == "PostgreSQL" {
        "string_agg(id || ' ' || latitude::text || ' ' || longitude::text, ';')"
    } else {
        "group_concat(id || ' ' || latitude || ' ' || longitude, ';')"
    };
    let rows = (2 * r + 1) as usize;
    let kind_param = 2 * rows + 1;
    let parts: Vec<String> = (0..rows)
        .map(|i| {
            let mut part = format!(
                "SELECT {pack} FROM places WHERE cell BETWEEN ${} AND ${} AND status = 'active'",
                2 * i + 1,
                2 * i + 2
            );
            if kind.is_some() {
                part.push_str(&format!(" AND kind = ${kind_param}"));
            }
            part
        })
        .collect();
    let sql = parts.join(" UNION ALL ");
    let mut q = sqlx::query_as::<_, (Option<String>,)>(&sql);
    for rr in row - r..=row + r {
        let base = rr * cells_per_row;
        q = q.bind(base + col - r).bind(base + col + r);
    }
    if let Some(k) = kind {
        q = q.bind(k);
    }
    let mut out = Vec::new();
    for (packed,) in q.fetch_all(conn).await? {
        for item in packed.as_deref().unwrap_or("").split(';') {
            let mut f = item.split(' ');
            if let (Some(id), Some(la), Some(lo)) = (f.next(), f.next(), f.next()) {
                if let (Ok(la), Ok(lo)) = (la.parse(), lo.parse()) {
                    out.push((id.to_string(), la, lo));
                }
            }
        }
    }
    Ok(out)
}

/// How many places are stored.
pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM places")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

// --- boundaries ---

#[derive(Debug, Clone, FromRow)]
pub struct BoundaryRow {
    pub unit_id: String,
    pub geometry: String,
    pub centre_lat: f64,
    pub centre_lng: f64,
    pub source: String,
    pub updated_at: String,
}

pub async fn upsert_boundary(conn: &mut AnyConnection, b: &BoundaryRow) -> Result<()> {
    sqlx::query("DELETE FROM unit_boundaries WHERE unit_id = $1")
        .bind(&b.unit_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO unit_boundaries (unit_id, geometry, centre_lat, centre_lng, source, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&b.unit_id)
    .bind(&b.geometry)
    .bind(b.centre_lat)
    .bind(b.centre_lng)
    .bind(&b.source)
    .bind(&b.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn boundary(conn: &mut AnyConnection, unit_id: &str) -> Result<Option<BoundaryRow>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, geometry, centre_lat, centre_lng, source, updated_at FROM unit_boundaries WHERE unit_id = $1",
    )
    .bind(unit_id)
    .fetch_optional(conn)
    .await?)
}

/// A unit's reference point only (the boundary itself is large).
pub async fn centre(conn: &mut AnyConnection, unit_id: &str) -> Result<Option<(f64, f64)>> {
    Ok(
        sqlx::query_as("SELECT centre_lat, centre_lng FROM unit_boundaries WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Refreshes planner statistics after a bulk import (PostgreSQL also gets its visibility map,
/// which index-only scans need). Runs outside any transaction.
pub async fn refresh_statistics(conn: &mut AnyConnection) -> Result<()> {
    let sql = if conn.backend_name() == "PostgreSQL" {
        "VACUUM (ANALYZE) places"
    } else {
        "ANALYZE places"
    };
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}

/// Every stored boundary: unit id and GeoJSON geometry (to find the commune under a point).
pub async fn boundaries(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT unit_id, geometry FROM unit_boundaries ORDER BY unit_id")
            .fetch_all(conn)
            .await?,
    )
}

/// What changes whenever a boundary is stored: how many there are and the latest update.
pub async fn boundaries_version(conn: &mut AnyConnection) -> Result<String> {
    let (n, at): (i64, Option<String>) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT), MAX(updated_at) FROM unit_boundaries")
            .fetch_one(conn)
            .await?;
    Ok(format!("{n}|{}", at.unwrap_or_default()))
}

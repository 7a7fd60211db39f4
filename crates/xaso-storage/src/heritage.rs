//! Queries for place photos, relic details, audio guides, tours and relic scan counts.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct PhotoRow {
    pub id: String,
    pub place_id: String,
    pub object_key: String,
    pub thumb_key: String,
    pub width: i64,
    pub height: i64,
    pub size: i64,
    pub caption: String,
    pub position: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const PHOTO_COLUMNS: &str =
    "id, place_id, object_key, thumb_key, width, height, size, caption, position, uploaded_by, uploaded_at";

pub async fn insert_photo(conn: &mut AnyConnection, p: &PhotoRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO place_photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&p.id)
    .bind(&p.place_id)
    .bind(&p.object_key)
    .bind(&p.thumb_key)
    .bind(p.width)
    .bind(p.height)
    .bind(p.size)
    .bind(&p.caption)
    .bind(p.position)
    .bind(&p.uploaded_by)
    .bind(&p.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn photos_of(conn: &mut AnyConnection, place_id: &str) -> Result<Vec<PhotoRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM place_photos WHERE place_id = $1 ORDER BY position, uploaded_at"
    ))
    .bind(place_id)
    .fetch_all(conn)
    .await?)
}

pub async fn photo(conn: &mut AnyConnection, id: &str) -> Result<Option<PhotoRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM place_photos WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The position after the last photo of a place.
pub async fn next_photo_position(conn: &mut AnyConnection, place_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM place_photos WHERE place_id = $1",
    )
    .bind(place_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

pub async fn delete_photo(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM place_photos WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct RelicRow {
    pub place_id: String,
    pub rank: String,
    pub decision: String,
    /// JSON: language code → texts.
    pub texts: String,
    pub updated_by: String,
    pub updated_at: String,
}

pub async fn relic(conn: &mut AnyConnection, place_id: &str) -> Result<Option<RelicRow>> {
    Ok(sqlx::query_as(
        "SELECT place_id, rank, decision, texts, updated_by, updated_at FROM relics WHERE place_id = $1",
    )
    .bind(place_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn upsert_relic(conn: &mut AnyConnection, r: &RelicRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO relics (place_id, rank, decision, texts, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (place_id) DO UPDATE SET rank = excluded.rank, decision = excluded.decision, texts = excluded.texts, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(&r.place_id)
    .bind(&r.rank)
    .bind(&r.decision)
    .bind(&r.texts)
    .bind(&r.updated_by)
    .bind(&r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Relic details of several places at once (a commune's list, a tour).
pub async fn relics_of(conn: &mut AnyConnection, place_ids: &[String]) -> Result<Vec<RelicRow>> {
    if place_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=place_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT place_id, rank, decision, texts, updated_by, updated_at FROM relics WHERE place_id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query_as(&sql);
    for id in place_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct AudioRow {
    pub id: String,
    pub place_id: String,
    pub lang: String,
    pub title: String,
    pub object_key: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const AUDIO_COLUMNS: &str =
    "id, place_id, lang, title, object_key, content_type, size, uploaded_by, uploaded_at";

pub async fn insert_audio(conn: &mut AnyConnection, a: &AudioRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO relic_audio ({AUDIO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&a.id)
    .bind(&a.place_id)
    .bind(&a.lang)
    .bind(&a.title)
    .bind(&a.object_key)
    .bind(&a.content_type)
    .bind(a.size)
    .bind(&a.uploaded_by)
    .bind(&a.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn audio_of(conn: &mut AnyConnection, place_id: &str) -> Result<Vec<AudioRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AUDIO_COLUMNS} FROM relic_audio WHERE place_id = $1 ORDER BY lang, uploaded_at"
    ))
    .bind(place_id)
    .fetch_all(conn)
    .await?)
}

pub async fn audio(conn: &mut AnyConnection, id: &str) -> Result<Option<AudioRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AUDIO_COLUMNS} FROM relic_audio WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn delete_audio(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM relic_audio WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct TourRow {
    pub id: String,
    pub unit_id: String,
    pub texts: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const TOUR_COLUMNS: &str = "id, unit_id, texts, created_by, created_at, updated_by, updated_at";

pub async fn tour(conn: &mut AnyConnection, id: &str) -> Result<Option<TourRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {TOUR_COLUMNS} FROM tours WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Tours of the given units (a commune and the area above it).
pub async fn tours_of(conn: &mut AnyConnection, unit_ids: &[String]) -> Result<Vec<TourRow>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=unit_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {TOUR_COLUMNS} FROM tours WHERE unit_id IN ({}) ORDER BY created_at",
        marks.join(", ")
    );
    let mut q = sqlx::query_as(&sql);
    for id in unit_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Tours passing by a place.
pub async fn tours_through(conn: &mut AnyConnection, place_id: &str) -> Result<Vec<TourRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOUR_COLUMNS} FROM tours WHERE id IN (SELECT tour_id FROM tour_stops WHERE place_id = $1) ORDER BY created_at"
    ))
    .bind(place_id)
    .fetch_all(conn)
    .await?)
}

/// Writes a tour and replaces its stops.
pub async fn save_tour(conn: &mut AnyConnection, t: &TourRow, stops: &[String]) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO tours ({TOUR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET texts = excluded.texts, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&t.id)
    .bind(&t.unit_id)
    .bind(&t.texts)
    .bind(&t.created_by)
    .bind(&t.created_at)
    .bind(&t.updated_by)
    .bind(&t.updated_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM tour_stops WHERE tour_id = $1")
        .bind(&t.id)
        .execute(&mut *conn)
        .await?;
    for (i, place) in stops.iter().enumerate() {
        sqlx::query("INSERT INTO tour_stops (tour_id, position, place_id) VALUES ($1, $2, $3)")
            .bind(&t.id)
            .bind(i as i64 + 1)
            .bind(place)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn delete_tour(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM tour_stops WHERE tour_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM tours WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The stops of a tour, in order (place ids).
pub async fn stops(conn: &mut AnyConnection, tour_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT place_id FROM tour_stops WHERE tour_id = $1 ORDER BY position")
            .bind(tour_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Scans of the relics of one commune: (place id, day, count), oldest day first.
pub async fn relic_scans(
    conn: &mut AnyConnection,
    commune_id: &str,
    since: &str,
) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT c.target_id, s.day, CAST(SUM(s.count) AS BIGINT) FROM qr_scans s \
         JOIN qr_codes c ON c.token = s.token \
         JOIN places p ON p.id = c.target_id \
         WHERE c.target_type = 'place' AND p.kind = 'relic' AND p.commune_id = $1 AND s.day >= $2 \
         GROUP BY c.target_id, s.day ORDER BY s.day",
    )
    .bind(commune_id)
    .bind(since)
    .fetch_all(conn)
    .await?)
}

/// All-time scans of each relic of one commune: (place id, count).
pub async fn relic_scan_totals(
    conn: &mut AnyConnection,
    commune_id: &str,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT c.target_id, CAST(SUM(s.count) AS BIGINT) FROM qr_scans s \
         JOIN qr_codes c ON c.token = s.token \
         JOIN places p ON p.id = c.target_id \
         WHERE c.target_type = 'place' AND p.kind = 'relic' AND p.commune_id = $1 \
         GROUP BY c.target_id",
    )
    .bind(commune_id)
    .fetch_all(conn)
    .await?)
}

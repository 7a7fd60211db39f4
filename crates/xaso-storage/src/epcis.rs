//! Queries for EPCIS events and where stamps were scanned.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: String,
    pub capture_id: String,
    pub event_type: String,
    /// UTC, RFC 3339 with milliseconds, so text order is time order.
    pub event_time: String,
    pub biz_step: String,
    pub read_point: String,
    pub place_id: Option<String>,
    /// The JSON-LD context the event was captured with (a JSON array).
    pub context: String,
    /// The event as JSON.
    pub body: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

const COLUMNS: &str = "id, capture_id, event_type, event_time, biz_step, read_point, place_id, \
    context, body, recorded_by, recorded_at";

/// Stores one event and the batches it touches.
pub async fn insert_event(
    conn: &mut AnyConnection,
    e: &EventRow,
    batches: &[String],
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO epcis_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&e.id)
    .bind(&e.capture_id)
    .bind(&e.event_type)
    .bind(&e.event_time)
    .bind(&e.biz_step)
    .bind(&e.read_point)
    .bind(&e.place_id)
    .bind(&e.context)
    .bind(&e.body)
    .bind(&e.recorded_by)
    .bind(&e.recorded_at)
    .execute(&mut *conn)
    .await?;
    for b in batches {
        sqlx::query("INSERT INTO epcis_event_batches (event_id, batch_id) VALUES ($1, $2)")
            .bind(&e.id)
            .bind(b)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn event_exists(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    let n: Option<(String,)> = sqlx::query_as("SELECT id FROM epcis_events WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(n.is_some())
}

/// What an event query asks for; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events touching any of these batches (`None`: any batch).
    pub batches: Option<Vec<String>>,
    pub capture_id: Option<String>,
    pub from: Option<String>,
    pub before: Option<String>,
    pub biz_step: Option<String>,
    pub event_type: Option<String>,
    pub offset: i64,
    pub limit: i64,
    /// The newest events first (a batch's latest steps); oldest first otherwise.
    pub newest_first: bool,
}

/// Events in time order, each with every batch it touches.
pub async fn events(
    conn: &mut AnyConnection,
    f: &EventFilter,
) -> Result<Vec<(EventRow, Vec<String>)>> {
    let mut sql = format!("SELECT {COLUMNS} FROM epcis_events e WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let arg = |v: &str, binds: &mut Vec<String>| {
        binds.push(v.to_string());
        format!("${}", binds.len())
    };
    if let Some(batches) = &f.batches {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = batches.iter().map(|b| arg(b, &mut binds)).collect();
        sql.push_str(&format!(
            " AND e.id IN (SELECT event_id FROM epcis_event_batches WHERE batch_id IN ({}))",
            list.join(", ")
        ));
    }
    if let Some(v) = &f.capture_id {
        sql.push_str(&format!(" AND e.capture_id = {}", arg(v, &mut binds)));
    }
    if let Some(v) = &f.from {
        sql.push_str(&format!(" AND e.event_time >= {}", arg(v, &mut binds)));
    }
    if let Some(v) = &f.before {
        sql.push_str(&format!(" AND e.event_time < {}", arg(v, &mut binds)));
    }
    if let Some(v) = &f.biz_step {
        sql.push_str(&format!(" AND e.biz_step = {}", arg(v, &mut binds)));
    }
    if let Some(v) = &f.event_type {
        sql.push_str(&format!(" AND e.event_type = {}", arg(v, &mut binds)));
    }
    let order = if f.newest_first {
        "e.event_time DESC, e.id DESC"
    } else {
        "e.event_time, e.id"
    };
    sql.push_str(&format!(
        " ORDER BY {order} LIMIT {} OFFSET {}",
        f.limit.clamp(1, 10_000),
        f.offset.max(0)
    ));
    let mut q = sqlx::query_as::<_, EventRow>(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let links: Vec<(String,)> = sqlx::query_as(
            "SELECT batch_id FROM epcis_event_batches WHERE event_id = $1 ORDER BY batch_id",
        )
        .bind(&r.id)
        .fetch_all(&mut *conn)
        .await?;
        out.push((r, links.into_iter().map(|l| l.0).collect()));
    }
    Ok(out)
}

/// How many events touch a batch.
pub async fn count_of_batch(conn: &mut AnyConnection, batch_id: &str) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM epcis_event_batches WHERE batch_id = $1")
            .bind(batch_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(n)
}

/// Records where a stamp was scanned (already rounded by the caller).
pub async fn insert_scan_place(
    conn: &mut AnyConnection,
    code: &str,
    at: &str,
    lat: f64,
    lng: f64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO stamp_scan_places (code, scanned_at, latitude, longitude) VALUES ($1, $2, $3, $4)",
    )
    .bind(code)
    .bind(at)
    .bind(lat)
    .bind(lng)
    .execute(conn)
    .await?;
    Ok(())
}

/// The places a stamp was scanned at since `since`, newest first (at most 50).
pub async fn scan_places(
    conn: &mut AnyConnection,
    code: &str,
    since: &str,
) -> Result<Vec<(String, f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT scanned_at, latitude, longitude FROM stamp_scan_places \
         WHERE code = $1 AND scanned_at >= $2 ORDER BY scanned_at DESC LIMIT 50",
    )
    .bind(code)
    .bind(since)
    .fetch_all(conn)
    .await?)
}

/// Every stamp that has at least one scan place.
pub async fn located_stamps(conn: &mut AnyConnection) -> Result<std::collections::HashSet<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT code FROM stamp_scan_places")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

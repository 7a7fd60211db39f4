//! Queries for emergency alerts and who received and played them (migration 0034).

pub mod upstream;

use sqlx::{AnyConnection, FromRow};

use crate::{placeholders, Result};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub identifier: String,
    pub unit_id: String,
    pub first_id: Option<String>,
    pub msg_type: String,
    pub status: String,
    pub hazard: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub risk_level: Option<i64>,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub area_desc: String,
    pub area_units: String,
    pub repeats: i64,
    pub sent_at: String,
    pub expires_at: String,
    pub sent_by: String,
    pub cap_xml: String,
    pub audio_key: Option<String>,
    pub audio_type: Option<String>,
    pub audio_ms: i64,
    /// The drawn area (CAP polygon text), or empty.
    pub polygon: String,
}

const COLUMNS: &str = "id, identifier, unit_id, first_id, msg_type, status, hazard, urgency, \
     severity, certainty, risk_level, headline, description, instruction, area_desc, area_units, \
     repeats, sent_at, expires_at, sent_by, cap_xml, audio_key, audio_type, audio_ms, polygon";

pub async fn insert(conn: &mut AnyConnection, a: &AlertRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO alerts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(&a.id)
    .bind(&a.identifier)
    .bind(&a.unit_id)
    .bind(&a.first_id)
    .bind(&a.msg_type)
    .bind(&a.status)
    .bind(&a.hazard)
    .bind(&a.urgency)
    .bind(&a.severity)
    .bind(&a.certainty)
    .bind(a.risk_level)
    .bind(&a.headline)
    .bind(&a.description)
    .bind(&a.instruction)
    .bind(&a.area_desc)
    .bind(&a.area_units)
    .bind(a.repeats)
    .bind(&a.sent_at)
    .bind(&a.expires_at)
    .bind(&a.sent_by)
    .bind(&a.cap_xml)
    .bind(&a.audio_key)
    .bind(&a.audio_type)
    .bind(a.audio_ms)
    .bind(&a.polygon)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<AlertRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The newest alerts, newest first.
pub async fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts ORDER BY sent_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The messages of one alert (the first and its updates and cancellation), oldest first.
pub async fn thread(conn: &mut AnyConnection, first_id: &str) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE id = $1 OR first_id = $1 ORDER BY sent_at, id"
    ))
    .bind(first_id)
    .fetch_all(conn)
    .await?)
}

/// Messages not expired at `now` (storage text), newest first; the caller drops threads whose
/// latest message is a cancellation.
pub async fn unexpired(conn: &mut AnyConnection, now: &str) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE expires_at > $1 ORDER BY sent_at DESC, id DESC"
    ))
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Keeps the speech made for an alert.
pub async fn set_audio(
    conn: &mut AnyConnection,
    id: &str,
    key: &str,
    mime: &str,
    ms: i64,
) -> Result<()> {
    sqlx::query("UPDATE alerts SET audio_key = $1, audio_type = $2, audio_ms = $3 WHERE id = $4")
        .bind(key)
        .bind(mime)
        .bind(ms)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct DeliveryRow {
    pub alert_id: String,
    pub asset_id: String,
    pub received_at: Option<String>,
    pub played_at: Option<String>,
}

/// Notes that a device received an alert (the first time counts).
pub async fn received(
    conn: &mut AnyConnection,
    alert_id: &str,
    asset_id: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_deliveries (alert_id, asset_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (alert_id, asset_id) DO UPDATE SET received_at = \
         COALESCE(alert_deliveries.received_at, excluded.received_at)",
    )
    .bind(alert_id)
    .bind(asset_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Notes that a device played an alert (the first time counts; it received it then at the latest).
pub async fn played(
    conn: &mut AnyConnection,
    alert_id: &str,
    asset_id: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_deliveries (alert_id, asset_id, received_at, played_at) \
         VALUES ($1, $2, $3, $3) ON CONFLICT (alert_id, asset_id) DO UPDATE SET \
         received_at = COALESCE(alert_deliveries.received_at, excluded.received_at), \
         played_at = COALESCE(alert_deliveries.played_at, excluded.played_at)",
    )
    .bind(alert_id)
    .bind(asset_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The deliveries of some alerts.
pub async fn deliveries(
    conn: &mut AnyConnection,
    alert_ids: &[String],
) -> Result<Vec<DeliveryRow>> {
    if alert_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT alert_id, asset_id, received_at, played_at FROM alert_deliveries \
         WHERE alert_id IN ({})",
        placeholders(1, alert_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in alert_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Where an alert message was relayed (the webhook, the portal) and how it went.
#[derive(Debug, Clone, FromRow)]
pub struct RelayRow {
    pub id: String,
    pub alert_id: String,
    pub channel: String,
    pub status: String,
    pub detail: String,
    pub at: String,
}

pub async fn add_relay(conn: &mut AnyConnection, r: &RelayRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_relays (id, alert_id, channel, status, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.id)
    .bind(&r.alert_id)
    .bind(&r.channel)
    .bind(&r.status)
    .bind(&r.detail)
    .bind(&r.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The relays of some alert messages, oldest first.
pub async fn relays(conn: &mut AnyConnection, alert_ids: &[String]) -> Result<Vec<RelayRow>> {
    if alert_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, alert_id, channel, status, detail, at FROM alert_relays \
         WHERE alert_id IN ({}) ORDER BY at, id",
        placeholders(1, alert_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in alert_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

//! Queries for devices that report: tokens, heartbeats, online spans and notices.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct DeviceRow {
    pub asset_id: String,
    pub token_hash: Option<String>,
    pub token_made_by: String,
    pub token_made_at: String,
    pub state: String,
    pub state_since: Option<String>,
    pub last_seen_at: Option<String>,
    pub clients: Option<i64>,
    pub uptime_s: Option<i64>,
    pub firmware: String,
    pub signal_dbm: Option<i64>,
}

const DEVICE_COLUMNS: &str = "asset_id, token_hash, token_made_by, token_made_at, state, \
     state_since, last_seen_at, clients, uptime_s, firmware, signal_dbm";

pub async fn device(conn: &mut AnyConnection, asset_id: &str) -> Result<Option<DeviceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DEVICE_COLUMNS} FROM ict_devices WHERE asset_id = $1"
    ))
    .bind(asset_id)
    .fetch_optional(conn)
    .await?)
}

/// Sets a device's token (a new device starts as never seen; an existing one keeps its state).
pub async fn set_token(
    conn: &mut AnyConnection,
    asset_id: &str,
    token_hash: Option<&str>,
    by: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ict_devices (asset_id, token_hash, token_made_by, token_made_at, state) \
         VALUES ($1, $2, $3, $4, 'never') \
         ON CONFLICT (asset_id) DO UPDATE SET token_hash = excluded.token_hash, \
         token_made_by = excluded.token_made_by, token_made_at = excluded.token_made_at",
    )
    .bind(asset_id)
    .bind(token_hash)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a heartbeat if the token is the device's: its time and figures. Returns the state
/// the device was in, or `None` when the device or the token is unknown (nothing written).
#[allow(clippy::too_many_arguments)]
pub async fn beat(
    conn: &mut AnyConnection,
    asset_id: &str,
    token_hash: &str,
    at: &str,
    clients: Option<i64>,
    uptime_s: Option<i64>,
    firmware: Option<&str>,
    signal_dbm: Option<i64>,
) -> Result<Option<String>> {
    // The state before the update: a row's old values are not visible to RETURNING, so the
    // state is only changed by `set_state`, never here.
    Ok(sqlx::query_scalar(
        "UPDATE ict_devices SET last_seen_at = $3, clients = $4, uptime_s = $5, \
         firmware = COALESCE($6, firmware), signal_dbm = $7 \
         WHERE asset_id = $1 AND token_hash = $2 RETURNING state",
    )
    .bind(asset_id)
    .bind(token_hash)
    .bind(at)
    .bind(clients)
    .bind(uptime_s)
    .bind(firmware)
    .bind(signal_dbm)
    .fetch_optional(conn)
    .await?)
}

/// Moves a device from one state to another; false when it was not in `from` any more.
pub async fn set_state(
    conn: &mut AnyConnection,
    asset_id: &str,
    from: &str,
    to: &str,
    since: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE ict_devices SET state = $3, state_since = $4 WHERE asset_id = $1 AND state = $2",
    )
    .bind(asset_id)
    .bind(from)
    .bind(to)
    .bind(since)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A device the offline check looks at: online, of a kind, silent since before a cutoff.
#[derive(Debug, Clone, FromRow)]
pub struct SilentRow {
    pub asset_id: String,
    pub unit_id: String,
    pub last_seen_at: String,
}

/// Online devices of a kind (not retired) whose last heartbeat is older than `cutoff`.
pub async fn silent(
    conn: &mut AnyConnection,
    kind: &str,
    cutoff: &str,
    limit: i64,
) -> Result<Vec<SilentRow>> {
    Ok(sqlx::query_as(
        "SELECT d.asset_id, a.unit_id, d.last_seen_at FROM ict_devices d \
         JOIN ict_assets a ON a.id = d.asset_id \
         WHERE d.state = 'online' AND d.last_seen_at < $2 AND a.kind = $1 \
         AND a.status <> 'retired' ORDER BY d.last_seen_at LIMIT $3",
    )
    .bind(kind)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Sets a device offline if it is still online and still silent since before `cutoff`.
pub async fn go_offline(
    conn: &mut AnyConnection,
    asset_id: &str,
    cutoff: &str,
    at: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE ict_devices SET state = 'offline', state_since = $3 \
         WHERE asset_id = $1 AND state = 'online' AND last_seen_at < $2",
    )
    .bind(asset_id)
    .bind(cutoff)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn open_span(conn: &mut AnyConnection, id: &str, asset_id: &str, at: &str) -> Result<()> {
    sqlx::query("INSERT INTO ict_online_spans (id, asset_id, started_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(asset_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn close_span(conn: &mut AnyConnection, asset_id: &str, at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE ict_online_spans SET ended_at = $2 WHERE asset_id = $1 AND ended_at IS NULL",
    )
    .bind(asset_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct SpanRow {
    pub asset_id: String,
    pub started_at: String,
    pub ended_at: Option<String>,
}

/// Spans of some devices (all devices when `asset_ids` is `None`) that were open at or after
/// `since`.
pub async fn spans_since(
    conn: &mut AnyConnection,
    asset_ids: Option<&[String]>,
    since: &str,
) -> Result<Vec<SpanRow>> {
    let filter = crate::in_filter("asset_id", asset_ids, 2);
    let sql = format!(
        "SELECT asset_id, started_at, ended_at FROM ict_online_spans \
         WHERE (ended_at IS NULL OR ended_at >= $1){filter} ORDER BY asset_id, started_at"
    );
    let mut q = sqlx::query_as(&sql).bind(since);
    for id in asset_ids.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct NoticeRow {
    pub id: String,
    pub asset_id: String,
    pub unit_id: String,
    pub event: String,
    pub at: String,
    pub last_seen_at: Option<String>,
}

pub async fn insert_notice(conn: &mut AnyConnection, n: &NoticeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO ict_device_notices (id, asset_id, unit_id, event, at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&n.id)
    .bind(&n.asset_id)
    .bind(&n.unit_id)
    .bind(&n.event)
    .bind(&n.at)
    .bind(&n.last_seen_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn notice(conn: &mut AnyConnection, id: &str) -> Result<Option<NoticeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, asset_id, unit_id, event, at, last_seen_at FROM ict_device_notices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A commune's newest notices (or one device's, with `asset_id`).
pub async fn notices(
    conn: &mut AnyConnection,
    unit_id: &str,
    asset_id: Option<&str>,
    limit: i64,
) -> Result<Vec<NoticeRow>> {
    let sql = format!(
        "SELECT id, asset_id, unit_id, event, at, last_seen_at FROM ict_device_notices \
         WHERE unit_id = $1{} ORDER BY at DESC LIMIT $2",
        if asset_id.is_some() {
            " AND asset_id = $3"
        } else {
            ""
        }
    );
    let mut q = sqlx::query_as(&sql).bind(unit_id).bind(limit);
    if let Some(a) = asset_id {
        q = q.bind(a);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Devices with a token per commune and state, for the metrics: (unit code, state, count).
pub async fn counts_by_unit(conn: &mut AnyConnection) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT u.code, d.state, COUNT(*) FROM ict_devices d \
         JOIN ict_assets a ON a.id = d.asset_id JOIN units u ON u.id = a.unit_id \
         WHERE d.token_hash IS NOT NULL AND a.status <> 'retired' \
         GROUP BY u.code, d.state ORDER BY u.code, d.state",
    )
    .fetch_all(conn)
    .await?)
}

/// A public Wi-Fi point for the map: the access point, its place's position and its device
/// state (none when it does not report).
#[derive(Debug, Clone, FromRow)]
pub struct WifiRow {
    pub asset_id: String,
    pub unit_id: String,
    pub unit_code: String,
    pub unit_name: String,
    pub tag: String,
    pub status: String,
    pub wifi_ssid: String,
    pub wifi_hours: String,
    pub wifi_howto: String,
    pub place_id: Option<String>,
    pub place_name: Option<String>,
    pub plus_code: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub state: Option<String>,
    pub last_seen_at: Option<String>,
}

/// Public Wi-Fi access points (kinds flagged public Wi-Fi, not retired) of some communes (all
/// when `None`), by commune and tag.
pub async fn wifi_points(
    conn: &mut AnyConnection,
    communes: Option<&[String]>,
) -> Result<Vec<WifiRow>> {
    let filter = crate::in_filter("a.unit_id", communes, 1);
    let sql = format!(
        "SELECT a.id AS asset_id, a.unit_id, u.code AS unit_code, u.full_name AS unit_name, a.tag, \
         a.status, a.wifi_ssid, a.wifi_hours, a.wifi_howto, a.place_id, p.name AS place_name, \
         p.plus_code, p.latitude AS lat, p.longitude AS lon, d.state, d.last_seen_at \
         FROM ict_assets a JOIN ict_kinds k ON k.key = a.kind JOIN units u ON u.id = a.unit_id \
         LEFT JOIN places p ON p.id = a.place_id LEFT JOIN ict_devices d ON d.asset_id = a.id \
         WHERE k.public_wifi = 1 AND a.status <> 'retired'{filter} ORDER BY u.code, a.tag"
    );
    let mut q = sqlx::query_as(&sql);
    for id in communes.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

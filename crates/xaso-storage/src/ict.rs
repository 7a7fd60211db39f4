//! Queries for the ICT register: asset kinds and assets.

pub mod devices;
pub mod files;
pub mod logs;
pub mod stocktakes;

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct KindRow {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub offline_after_min: Option<i64>,
    pub public_wifi: i64,
    pub position: i64,
    pub updated_by: String,
    pub updated_at: String,
}

const KIND_COLUMNS: &str =
    "key, name_vi, name_en, offline_after_min, public_wifi, position, updated_by, updated_at";

pub async fn kinds(conn: &mut AnyConnection) -> Result<Vec<KindRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KIND_COLUMNS} FROM ict_kinds ORDER BY position, key"
    ))
    .fetch_all(conn)
    .await?)
}

/// Adds a kind or changes its names, threshold and Wi-Fi flag (the position is kept).
pub async fn save_kind(conn: &mut AnyConnection, k: &KindRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO ict_kinds ({KIND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (key) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
         offline_after_min = excluded.offline_after_min, public_wifi = excluded.public_wifi, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&k.key)
    .bind(&k.name_vi)
    .bind(&k.name_en)
    .bind(k.offline_after_min)
    .bind(k.public_wifi)
    .bind(k.position)
    .bind(&k.updated_by)
    .bind(&k.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct AssetRow {
    pub id: String,
    pub unit_id: String,
    pub tag: String,
    pub kind: String,
    pub name: String,
    pub name_key: String,
    pub place_id: Option<String>,
    pub location: String,
    pub custodian: String,
    pub serial: String,
    pub model: String,
    pub purchased_on: Option<String>,
    pub funding: Option<String>,
    pub value_vnd: Option<i64>,
    pub warranty_until: Option<String>,
    pub status: String,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub vlan: Option<i64>,
    pub admin_url: Option<String>,
    pub wifi_ssid: String,
    pub wifi_hours: String,
    pub wifi_howto: String,
    pub note: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const ASSET_COLUMNS: &str = "id, unit_id, tag, kind, name, name_key, place_id, location, custodian, serial, model, \
     purchased_on, funding, value_vnd, warranty_until, status, ip, mac, vlan, admin_url, wifi_ssid, wifi_hours, \
     wifi_howto, note, created_by, created_at, updated_by, updated_at";

/// Writes an asset: a new one, or every field of an existing one but its unit, tag and creation.
pub async fn save_asset(conn: &mut AnyConnection, a: &AssetRow) -> Result<()> {
    let marks = crate::marks(1, 28);
    sqlx::query(&format!(
        "INSERT INTO ict_assets ({ASSET_COLUMNS}) VALUES ({marks}) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
         name_key = excluded.name_key, place_id = excluded.place_id, location = excluded.location, \
         custodian = excluded.custodian, serial = excluded.serial, model = excluded.model, \
         purchased_on = excluded.purchased_on, funding = excluded.funding, value_vnd = excluded.value_vnd, \
         warranty_until = excluded.warranty_until, status = excluded.status, ip = excluded.ip, \
         mac = excluded.mac, vlan = excluded.vlan, admin_url = excluded.admin_url, \
         wifi_ssid = excluded.wifi_ssid, wifi_hours = excluded.wifi_hours, wifi_howto = excluded.wifi_howto, \
         note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&a.id)
    .bind(&a.unit_id)
    .bind(&a.tag)
    .bind(&a.kind)
    .bind(&a.name)
    .bind(&a.name_key)
    .bind(&a.place_id)
    .bind(&a.location)
    .bind(&a.custodian)
    .bind(&a.serial)
    .bind(&a.model)
    .bind(&a.purchased_on)
    .bind(&a.funding)
    .bind(a.value_vnd)
    .bind(&a.warranty_until)
    .bind(&a.status)
    .bind(&a.ip)
    .bind(&a.mac)
    .bind(a.vlan)
    .bind(&a.admin_url)
    .bind(&a.wifi_ssid)
    .bind(&a.wifi_hours)
    .bind(&a.wifi_howto)
    .bind(&a.note)
    .bind(&a.created_by)
    .bind(&a.created_at)
    .bind(&a.updated_by)
    .bind(&a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn asset(conn: &mut AnyConnection, id: &str) -> Result<Option<AssetRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ASSET_COLUMNS} FROM ict_assets WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A unit's assets of some kinds that are not retired, by tag.
pub async fn assets_of_kinds(
    conn: &mut AnyConnection,
    unit_id: &str,
    kinds: &[&str],
) -> Result<Vec<AssetRow>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {ASSET_COLUMNS} FROM ict_assets WHERE unit_id = $1 AND status <> 'retired' \
         AND kind IN ({}) ORDER BY tag",
        crate::placeholders(2, kinds.len())
    );
    let mut q = sqlx::query_as(&sql).bind(unit_id);
    for k in kinds {
        q = q.bind(*k);
    }
    Ok(q.fetch_all(conn).await?)
}

/// The asset with a tag (tags are unique across communes).
pub async fn asset_by_tag(conn: &mut AnyConnection, tag: &str) -> Result<Option<AssetRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ASSET_COLUMNS} FROM ict_assets WHERE tag = $1"
    ))
    .bind(tag)
    .fetch_optional(conn)
    .await?)
}

/// The assets of a commune, by kind and tag.
pub async fn assets_of(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<AssetRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ASSET_COLUMNS} FROM ict_assets WHERE unit_id = $1 ORDER BY tag"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

/// The next tag number of a commune (1, 2, 3 …), counted in the `counters` table so that two
/// officers adding assets at once get different numbers.
pub async fn next_tag_number(conn: &mut AnyConnection, unit_id: &str) -> Result<i64> {
    crate::next_counter(conn, &format!("ict_tag:{unit_id}")).await
}

//! The ICT register: each commune's devices as assets, with kinds kept as data.
//!
//! Rights: the commune's officers (and the area's, and administrators) see and change the assets
//! of the communes they cover; nobody else sees an asset's record, whose network details (IP, MAC,
//! VLAN, admin URL) are for staff only. Kinds are province-wide data: administrators and area
//! officers of a province edit them. Every change is audited with the whole record before and
//! after.

pub mod devices;
pub mod files;
pub mod labels;
pub mod logs;
pub mod stocktakes;
pub mod transfer;

use chrono::NaiveDate;
use serde_json::{json, Value};
use xaso_domain::auth::Role;
use xaso_domain::ict::{AssetInput, Funding, Kind, KindInput, NewAsset, Status};
use xaso_domain::places::FieldProblem;
use xaso_domain::units::{Level, Unit};
use xaso_storage::ict::{self as db, AssetRow, KindRow};
use xaso_storage::Store;

use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// The feedback category a device label's "report a problem" link chooses (public Wi-Fi,
/// loudspeakers, boards). A deployment that names it otherwise gets the form without a choice
/// made; the report is linked to the device either way.
pub const REPORT_CATEGORY: &str = "ha-tang-so";

/// Roles that keep a commune's register.
pub const MANAGERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

fn today() -> NaiveDate {
    xaso_domain::time::today_vn()
}

fn invalid(problems: Vec<FieldProblem>) -> Error {
    Error::Invalid(
        problems
            .into_iter()
            .map(|p| Problem::new(p.field, p.detail))
            .collect(),
    )
}

fn kind_of(r: KindRow) -> Kind {
    Kind {
        key: r.key,
        name_vi: r.name_vi,
        name_en: r.name_en,
        offline_after_min: r.offline_after_min,
        public_wifi: r.public_wifi != 0,
    }
}

/// The kinds of asset, in the order lists show them.
pub async fn kinds(store: &Store) -> Result<Vec<Kind>> {
    let mut conn = store.read().await?;
    Ok(db::kinds(&mut conn)
        .await?
        .into_iter()
        .map(kind_of)
        .collect())
}

/// Whether the actor may edit the kinds (administrators and province area officers).
pub async fn edits_kinds(store: &Store, actor: Option<&Actor>) -> Result<bool> {
    authz::is_province_wide(store, actor).await
}

/// Adds a kind or changes one (same code). Audited.
pub async fn save_kind(store: &Store, actor: Option<&Actor>, input: &KindInput) -> Result<Kind> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !edits_kinds(store, Some(actor)).await? {
        return Err(Error::Forbidden);
    }
    let k = input.check().map_err(invalid)?;
    let mut tx = store.begin().await?;
    let before = db::kinds(tx.conn())
        .await?
        .into_iter()
        .find(|r| r.key == k.key);
    let position = before.as_ref().map(|b| b.position).unwrap_or(100);
    db::save_kind(
        tx.conn(),
        &KindRow {
            key: k.key.clone(),
            name_vi: k.name_vi.clone(),
            name_en: k.name_en.clone(),
            offline_after_min: k.offline_after_min,
            public_wifi: k.public_wifi as i64,
            position,
            updated_by: actor.username.clone(),
            updated_at: xaso_storage::now(),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "ict_kind",
            record_id: &k.key,
            unit_id: None,
            before: before.map(|b| serde_json::to_value(kind_of(b)).unwrap_or(Value::Null)),
            after: Some(serde_json::to_value(&k).unwrap_or(Value::Null)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(k)
}

/// One asset as staff see it.
#[derive(Debug, Clone)]
pub struct Asset {
    pub row: AssetRow,
    pub kind: Kind,
    pub commune: Unit,
}

impl Asset {
    pub fn status(&self) -> Status {
        Status::parse(&self.row.status).unwrap_or(Status::InUse)
    }

    pub fn funding(&self) -> Option<Funding> {
        self.row.funding.as_deref().and_then(Funding::parse)
    }

    pub fn purchased_on(&self) -> Option<NaiveDate> {
        self.row.purchased_on.as_deref().and_then(day)
    }

    pub fn warranty_until(&self) -> Option<NaiveDate> {
        self.row.warranty_until.as_deref().and_then(day)
    }

    /// The record as a form shows it (dates as dd/mm/yyyy), for editing and for partial updates.
    pub fn input(&self) -> AssetInput {
        let r = &self.row;
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%d/%m/%Y").to_string());
        AssetInput {
            kind: r.kind.clone(),
            name: r.name.clone(),
            place_id: r.place_id.clone().unwrap_or_default(),
            location: r.location.clone(),
            custodian: r.custodian.clone(),
            serial: r.serial.clone(),
            model: r.model.clone(),
            purchased_on: date(self.purchased_on()).unwrap_or_default(),
            funding: r.funding.clone().unwrap_or_default(),
            value_vnd: r.value_vnd.map(|v| v.to_string()).unwrap_or_default(),
            warranty_until: date(self.warranty_until()).unwrap_or_default(),
            status: r.status.clone(),
            ip: r.ip.clone().unwrap_or_default(),
            mac: r.mac.clone().unwrap_or_default(),
            vlan: r.vlan.map(|v| v.to_string()).unwrap_or_default(),
            admin_url: r.admin_url.clone().unwrap_or_default(),
            wifi_ssid: r.wifi_ssid.clone(),
            wifi_hours: r.wifi_hours.clone(),
            wifi_howto: r.wifi_howto.clone(),
            note: r.note.clone(),
        }
    }
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

/// What the audit log keeps of an asset: every field but the bookkeeping.
fn snapshot(r: &AssetRow) -> Value {
    json!({
        "tag": r.tag, "kind": r.kind, "name": r.name, "place_id": r.place_id,
        "location": r.location, "custodian": r.custodian, "serial": r.serial, "model": r.model,
        "purchased_on": r.purchased_on, "funding": r.funding, "value_vnd": r.value_vnd,
        "warranty_until": r.warranty_until, "status": r.status, "ip": r.ip, "mac": r.mac,
        "vlan": r.vlan, "admin_url": r.admin_url, "wifi_ssid": r.wifi_ssid,
        "wifi_hours": r.wifi_hours, "wifi_howto": r.wifi_howto, "note": r.note,
    })
}

/// The commune with this code today (the register is kept per commune).
pub async fn commune(store: &Store, code: &str) -> Result<Unit> {
    let unit = crate::units::by_code(store, code, today()).await?;
    if unit.level != Level::Commune {
        return Err(Error::invalid(
            "unit",
            "the ICT register is kept per commune (xã, phường)",
        ));
    }
    Ok(unit)
}

/// Whether the actor keeps the register of a commune.
pub async fn manages(store: &Store, actor: Option<&Actor>, commune_id: &str) -> Result<bool> {
    match actor {
        Some(a) => authz::has_role_over(store, a, MANAGERS, commune_id).await,
        None => Ok(false),
    }
}

async fn unit_by_id(store: &Store, id: &str) -> Result<Unit> {
    let mut conn = store.read().await?;
    xaso_storage::units::by_id(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

async fn assemble(store: &Store, rows: Vec<AssetRow>, commune: &Unit) -> Result<Vec<Asset>> {
    let kinds = kinds(store).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let kind = kinds
                .iter()
                .find(|k| k.key == row.kind)
                .cloned()
                .unwrap_or_else(|| Kind {
                    key: row.kind.clone(),
                    name_vi: row.kind.clone(),
                    name_en: String::new(),
                    offline_after_min: None,
                    public_wifi: false,
                });
            Asset {
                row,
                kind,
                commune: commune.clone(),
            }
        })
        .collect())
}

/// The commune with this code, when the actor keeps its register (401 signed out, before
/// anything about the unit; 403 for others).
async fn authz_commune(store: &Store, actor: Option<&Actor>, code: &str) -> Result<Unit> {
    actor.ok_or(Error::Unauthenticated)?;
    let commune = commune(store, code).await?;
    authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    Ok(commune)
}

/// The assets of a commune (its keepers only).
pub async fn list(store: &Store, actor: Option<&Actor>, code: &str) -> Result<(Unit, Vec<Asset>)> {
    let commune = authz_commune(store, actor, code).await?;
    let rows = {
        let mut conn = store.read().await?;
        db::assets_of(&mut conn, &commune.id).await?
    };
    let assets = assemble(store, rows, &commune).await?;
    Ok((commune, assets))
}

/// One asset's record (its commune's keepers only: 401 signed out, 403 for anyone else).
pub async fn get(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Asset> {
    // Signed-out callers learn nothing, not even whether the asset exists.
    actor.ok_or(Error::Unauthenticated)?;
    let row = {
        let mut conn = store.read().await?;
        db::asset(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    authz::require_role_over(store, actor, MANAGERS, &row.unit_id).await?;
    let commune = unit_by_id(store, &row.unit_id).await?;
    Ok(assemble(store, vec![row], &commune)
        .await?
        .pop()
        .expect("one row"))
}

/// Checks that a chosen place is one of the commune's.
async fn check_place(store: &Store, place_id: Option<&str>, commune: &Unit) -> Result<()> {
    if let Some(p) = place_id {
        let mut conn = store.read().await?;
        let place = xaso_storage::places::by_id(&mut conn, p).await?;
        if place.is_none_or(|pl| pl.commune_id != commune.id) {
            return Err(Error::invalid(
                "place_id",
                "choose a place registered in this commune",
            ));
        }
    }
    Ok(())
}

fn row_of(a: NewAsset, id: String, unit_id: String, tag: String, by: &str, now: &str) -> AssetRow {
    AssetRow {
        id,
        unit_id,
        tag,
        name_key: xaso_domain::text::fold(&a.name),
        kind: a.kind,
        name: a.name,
        place_id: a.place_id,
        location: a.location,
        custodian: a.custodian,
        serial: a.serial,
        model: a.model,
        purchased_on: a.purchased_on.map(|d| d.to_string()),
        funding: a.funding.map(|f| f.as_str().to_string()),
        value_vnd: a.value_vnd,
        warranty_until: a.warranty_until.map(|d| d.to_string()),
        status: a.status.as_str().to_string(),
        ip: a.ip,
        mac: a.mac,
        vlan: a.vlan,
        admin_url: a.admin_url,
        wifi_ssid: a.wifi_ssid,
        wifi_hours: a.wifi_hours,
        wifi_howto: a.wifi_howto,
        note: a.note,
        created_by: by.to_string(),
        created_at: now.to_string(),
        updated_by: by.to_string(),
        updated_at: now.to_string(),
    }
}

/// Adds an asset to a commune's register with the commune's next tag. Audited.
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &AssetInput,
) -> Result<Asset> {
    actor.ok_or(Error::Unauthenticated)?;
    let commune = commune(store, code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let checked = input.check(&kinds(store).await?).map_err(invalid)?;
    check_place(store, checked.place_id.as_deref(), &commune).await?;
    let now = xaso_storage::now();
    let mut tx = store.begin().await?;
    let n = db::next_tag_number(tx.conn(), &commune.id).await?;
    let row = row_of(
        checked,
        xaso_storage::new_id(),
        commune.id.clone(),
        xaso_domain::ict::tag(&commune.code, n),
        &actor.username,
        &now,
    );
    db::save_asset(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "ict_asset",
            record_id: &row.id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(assemble(store, vec![row], &commune)
        .await?
        .pop()
        .expect("one row"))
}

/// Replaces an asset's fields (its commune, tag and creation stay). Audited with the record
/// before and after; a save that changes nothing writes nothing.
pub async fn update(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    input: &AssetInput,
) -> Result<Asset> {
    let current = get(store, actor, id).await?;
    let actor = actor.expect("get checked the actor");
    let checked = input.check(&kinds(store).await?).map_err(invalid)?;
    check_place(store, checked.place_id.as_deref(), &current.commune).await?;
    let now = xaso_storage::now();
    let before = current.row.clone();
    let mut row = row_of(
        checked,
        before.id.clone(),
        before.unit_id.clone(),
        before.tag.clone(),
        &actor.username,
        &now,
    );
    row.created_by = before.created_by.clone();
    row.created_at = before.created_at.clone();
    if snapshot(&row) == snapshot(&before) {
        return Ok(current);
    }
    let mut tx = store.begin().await?;
    db::save_asset(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "ict_asset",
            record_id: &row.id,
            unit_id: Some(&row.unit_id),
            before: Some(snapshot(&before)),
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(assemble(store, vec![row], &current.commune)
        .await?
        .pop()
        .expect("one row"))
}

/// The places an asset of a commune may stand at: the commune's active places but households,
/// by name (at most 500).
pub async fn place_choices(store: &Store, commune: &Unit) -> Result<Vec<(String, String)>> {
    let mut conn = store.read().await?;
    let rows = xaso_storage::places::list(
        &mut conn,
        &xaso_storage::places::Filter {
            commune_ids: vec![commune.id.clone()],
            active_only: true,
            limit: 2000,
            ..Default::default()
        },
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter(|p| p.kind != "household")
        .take(500)
        .map(|p| {
            let label = if p.name.is_empty() {
                p.address
            } else if p.address.is_empty() {
                p.name
            } else {
                format!("{} — {}", p.name, p.address)
            };
            (p.id, label)
        })
        .collect())
}

/// One change in an asset's history: when, by whom, and each field that changed (field, value
/// before, value after; empty for none).
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub fields: Vec<(String, String, String)>,
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The asset's history from the audit log, newest first (its keepers: the caller has read the
/// asset with [`get`]).
pub async fn history(store: &Store, asset: &Asset) -> Result<Vec<HistoryEntry>> {
    let rows = {
        let mut conn = store.read().await?;
        xaso_storage::audit::list(
            &mut conn,
            &xaso_storage::audit::AuditFilter {
                record_type: Some("ict_asset".into()),
                record_id: Some(asset.row.id.clone()),
                limit: 200,
                ..Default::default()
            },
        )
        .await?
    };
    let parse = |s: &Option<String>| -> serde_json::Map<String, Value> {
        s.as_deref()
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let before = parse(&r.before_json);
            let after = parse(&r.after_json);
            let mut keys: Vec<&String> = after.keys().chain(before.keys()).collect();
            keys.sort();
            keys.dedup();
            let fields = keys
                .into_iter()
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| (k.clone(), shown(before.get(k)), shown(after.get(k))))
                .collect();
            HistoryEntry {
                at: r.at,
                actor: r.actor,
                action: r.action,
                fields,
            }
        })
        .collect())
}

/// What anyone who scans an asset's label may see: its tag, kind, commune and status, and for
/// a public Wi-Fi point the network name, hours and how to connect. Never network details,
/// custodian, serial or value.
#[derive(Debug, Clone)]
pub struct PublicAsset {
    pub id: String,
    pub tag: String,
    pub kind: Kind,
    pub commune: Unit,
    pub status: Status,
    /// (network name, hours, how to connect) for public Wi-Fi points.
    pub wifi: Option<(String, String, String)>,
    /// The registered place's name and digital address (Plus Code), for a problem report.
    pub place: Option<(String, String)>,
}

/// What a scanned label shows: the record to the asset's keepers, the public part to others.
#[derive(Debug, Clone)]
pub enum Scan {
    /// The asset's id: its keepers go to the record.
    Staff(String),
    Public(Box<PublicAsset>),
}

/// The landing of an asset's label.
pub async fn scan(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Scan> {
    let row = {
        let mut conn = store.read().await?;
        db::asset(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let commune = unit_by_id(store, &row.unit_id).await?;
    if manages(store, actor, &row.unit_id).await? {
        return Ok(Scan::Staff(row.id));
    }
    let asset = assemble(store, vec![row], &commune)
        .await?
        .pop()
        .expect("one row");
    let place = match &asset.row.place_id {
        Some(p) => {
            let mut conn = store.read().await?;
            xaso_storage::places::by_id(&mut conn, p)
                .await?
                .map(|p| (p.name, p.plus_code))
        }
        None => None,
    };
    let wifi = (asset.kind.public_wifi && !asset.row.wifi_ssid.is_empty()).then(|| {
        (
            asset.row.wifi_ssid.clone(),
            asset.row.wifi_hours.clone(),
            asset.row.wifi_howto.clone(),
        )
    });
    Ok(Scan::Public(Box::new(PublicAsset {
        id: asset.row.id.clone(),
        tag: asset.row.tag.clone(),
        status: asset.status(),
        kind: asset.kind,
        commune,
        wifi,
        place,
    })))
}

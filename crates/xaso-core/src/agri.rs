//! Agricultural data: a commune's plots, drawn or imported as GeoJSON, with their geodesic area.
//! Plots name who holds them, so they are for the commune's staff (its officers, the area's
//! officers, and the village teams for their villages); nothing here is public.

use serde_json::{json, Value};
use xaso_domain::agri::{check_plot, check_shape, LandUse, PlotInput};
use xaso_domain::auth::Role;
use xaso_domain::units::{Level, Unit};
use xaso_storage::agri::{self as db, PlotRow};
use xaso_storage::Store;

use crate::{authz, Actor, Error, Result};

pub mod advisory;
pub mod export;
pub mod farm;
pub mod farming;
pub mod kml;
pub mod livestock;
pub mod logs;
pub mod stats;

/// Who records and reads plots.
pub const STAFF: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer, Role::VillageTeam];
/// At most this many plots in one import, and in one answer.
pub const MAX_BATCH: usize = 5000;

pub(crate) async fn commune(store: &Store, code: &str) -> Result<Unit> {
    let unit = crate::units::by_code(store, code, xaso_domain::time::today_vn()).await?;
    if unit.level != Level::Commune {
        return Err(Error::invalid("unit", "plots belong to a commune"));
    }
    Ok(unit)
}

/// The commune, if the actor is its staff (who may see and draw its plots).
pub async fn staff_unit(store: &Store, actor: Option<&Actor>, code: &str) -> Result<Unit> {
    let unit = commune(store, code).await?;
    authz::require_role_over(store, actor, STAFF, &unit.id).await?;
    Ok(unit)
}

/// The commune and what of it the actor may see as staff: `None` for all of it (its officers,
/// the area's), or the ids of the villages whose teams the actor is in. Neither: forbidden.
pub async fn staff_scope(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Option<Vec<String>>)> {
    let unit = commune(store, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    if authz::has_role_over(store, a, STAFF, &unit.id).await? {
        return Ok((unit, None));
    }
    let (_, villages) =
        crate::units::children(store, &unit.code, xaso_domain::time::today_vn()).await?;
    let mut mine = Vec::new();
    for v in villages {
        if authz::has_role_over(store, a, STAFF, &v.id).await? {
            mine.push(v.id);
        }
    }
    if mine.is_empty() {
        return Err(Error::Forbidden);
    }
    Ok((unit, Some(mine)))
}

/// Whether the actor may read and log on a plot: the staff over its village (or commune), or
/// the account of the producer it belongs to.
pub async fn may_use(store: &Store, actor: &Actor, p: &PlotRow) -> Result<bool> {
    let over = p.village_id.as_ref().unwrap_or(&p.unit_id);
    if authz::has_role_over(store, actor, STAFF, over).await? {
        return Ok(true);
    }
    owns_producer(store, actor, p.producer_id.as_deref()).await
}

async fn owns_producer(store: &Store, actor: &Actor, producer_id: Option<&str>) -> Result<bool> {
    let Some(id) = producer_id else {
        return Ok(false);
    };
    let mut conn = store.read().await?;
    Ok(xaso_storage::producers::producer(&mut conn, id)
        .await?
        .and_then(|p| p.owner)
        .is_some_and(|o| o == actor.username))
}

/// A plot the actor may use, or why not.
pub async fn usable(store: &Store, actor: Option<&Actor>, id: &str) -> Result<PlotRow> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    let row = {
        let mut conn = store.read().await?;
        db::get(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    if !may_use(store, a, &row).await? {
        return Err(Error::Forbidden);
    }
    Ok(row)
}

/// A plot as GeoJSON (a Feature; its properties in English keys, with Vietnamese labels).
pub fn feature(p: &PlotRow, village: Option<&str>) -> Value {
    let land = LandUse::parse(&p.land_use);
    json!({
        "type": "Feature",
        "id": p.id,
        "geometry": serde_json::from_str::<Value>(&p.geometry).unwrap_or(Value::Null),
        "properties": {
            "name": p.name,
            "land_use": p.land_use,
            "land_use_vi": land.map(LandUse::vi),
            "irrigation": p.irrigation,
            "tenure": p.tenure,
            "holder": p.holder,
            "holder_phone": p.holder_phone,
            "village": village,
            "area_m2": (p.area_m2 * 10.0).round() / 10.0,
            "area_ha": (p.area_m2 / 10.0).round() / 1000.0,
        }
    })
}

/// Records plots from a GeoJSON FeatureCollection (each feature a Polygon or MultiPolygon with the
/// plot's fields as properties): all of them or none; the first problem is named by its feature.
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    collection: &Value,
) -> Result<Vec<PlotRow>> {
    let unit = commune(store, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let features = match (
        collection.get("type").and_then(Value::as_str),
        collection.get("features"),
    ) {
        (Some("FeatureCollection"), Some(Value::Array(f))) => f,
        _ => return Err(Error::invalid("body", "send a GeoJSON FeatureCollection")),
    };
    if features.is_empty() || features.len() > MAX_BATCH {
        return Err(Error::invalid(
            "features",
            format!("send 1 to {MAX_BATCH} plots"),
        ));
    }
    let (_, villages) =
        crate::units::children(store, &unit.code, xaso_domain::time::today_vn()).await?;
    let now = xaso_storage::now();
    let mut rows = Vec::with_capacity(features.len());
    for (n, f) in features.iter().enumerate() {
        let at = |field: &str| format!("features[{n}].{field}");
        let input: PlotInput =
            serde_json::from_value(f.get("properties").cloned().unwrap_or(json!({})))
                .map_err(|e| Error::invalid(at("properties"), e.to_string()))?;
        let fields = check_plot(&input).map_err(|errs| {
            let (field, why) = errs[0].clone();
            Error::invalid(at(field), why)
        })?;
        let geometry = f.get("geometry").cloned().unwrap_or(Value::Null);
        let (shape, area) =
            check_shape(&geometry).map_err(|why| Error::invalid(at("geometry"), why))?;
        let village = match input.village.trim() {
            "" => None,
            v => Some(
                villages
                    .iter()
                    .find(|u| u.code == v)
                    .ok_or_else(|| Error::invalid(at("village"), "not a village of this commune"))?
                    .clone(),
            ),
        };
        let producer = match input.producer.trim() {
            "" => None,
            id => {
                let mut conn = store.read().await?;
                let p = xaso_storage::producers::producer(&mut conn, id)
                    .await?
                    .filter(|p| p.commune_id == unit.id)
                    .ok_or_else(|| {
                        Error::invalid(at("producer"), "not a producer of this commune")
                    })?;
                Some(p.id)
            }
        };
        let farm = match input.farm.trim() {
            "" => None,
            id => {
                let mut conn = store.read().await?;
                let f = xaso_storage::agri::farm::get(&mut conn, id)
                    .await?
                    .filter(|f| f.unit_id == unit.id)
                    .ok_or_else(|| Error::invalid(at("farm"), "not a farm of this commune"))?;
                Some(f.id)
            }
        };
        // Village teams record in their own village only; a producer's account, its own plots.
        let over = village.as_ref().map_or(&unit.id, |v| &v.id);
        if !authz::has_role_over(store, a, STAFF, over).await?
            && !owns_producer(store, a, producer.as_deref()).await?
        {
            return Err(Error::Forbidden);
        }
        let (s, w, no, e) = shape.bbox();
        rows.push(PlotRow {
            id: xaso_storage::new_id(),
            unit_id: unit.id.clone(),
            village_id: village.map(|v| v.id),
            name: fields.name,
            land_use: fields.land_use.as_str().into(),
            irrigation: fields.irrigation.map(|i| i.as_str().into()),
            tenure: fields.tenure.map(|t| t.as_str().into()),
            holder: fields.holder,
            holder_phone: fields.holder_phone,
            geometry: geometry.to_string(),
            area_m2: area,
            min_lat: s,
            min_lng: w,
            max_lat: no,
            max_lng: e,
            created_by: a.username.clone(),
            created_at: now.clone(),
            updated_by: a.username.clone(),
            updated_at: now.clone(),
            producer_id: producer,
            growing_area_id: None,
            farm_id: farm,
        });
    }
    let mut tx = store.begin().await?;
    for r in &rows {
        db::insert(tx.conn(), r).await?;
        crate::audit::record(
            &mut tx,
            a,
            crate::audit::Change {
                action: "create",
                record_type: "agri_plot",
                record_id: &r.id,
                unit_id: Some(&unit.id),
                before: None,
                after: Some(json!({"name": r.name, "land_use": r.land_use, "area_m2": r.area_m2})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows)
}

/// A commune's plots as a FeatureCollection (only those meeting the box, when given; a village
/// team gets its villages' plots).
pub async fn collection(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    bbox: Option<(f64, f64, f64, f64)>,
) -> Result<Value> {
    let (unit, scope) = staff_scope(store, actor, code).await?;
    let (_, villages) =
        crate::units::children(store, &unit.code, xaso_domain::time::today_vn()).await?;
    let mut rows = {
        let mut conn = store.read().await?;
        db::of_unit(&mut conn, &unit.id, bbox, MAX_BATCH as i64).await?
    };
    // A village team sees its villages' plots.
    if let Some(mine) = &scope {
        rows.retain(|p| p.village_id.as_ref().is_some_and(|v| mine.contains(v)));
    }
    let village = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| villages.iter().find(|v| &v.id == id))
            .map(|v| v.code.as_str())
    };
    Ok(json!({
        "type": "FeatureCollection",
        "features": rows.iter().map(|p| feature(p, village(&p.village_id))).collect::<Vec<_>>(),
    }))
}

/// One plot (its commune's staff, or its producer).
pub async fn get(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Value> {
    let row = usable(store, actor, id).await?;
    let village = match &row.village_id {
        Some(v) => {
            let mut conn = store.read().await?;
            xaso_storage::units::by_id(&mut conn, v)
                .await?
                .map(|u| u.code)
        }
        None => None,
    };
    Ok(feature(&row, village.as_deref()))
}

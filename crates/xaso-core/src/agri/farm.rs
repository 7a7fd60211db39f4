//! Farm households and organisations: who works the plots, where they live or work (a
//! registered place) and the producer they sell through. Their contacts are the commune
//! staff's only, like plots' holders.

use serde_json::json;
use xaso_domain::agri::farm::{check_farm, FarmInput};
use xaso_domain::units::Unit;
use xaso_storage::agri::farm::{self as db, FarmRow};
use xaso_storage::agri::PlotRow;
use xaso_storage::Store;

use super::{staff_scope, STAFF};
use crate::{authz, Actor, Error, Result};

/// Records a farm (the commune's staff; a village team in its village).
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &FarmInput,
) -> Result<FarmRow> {
    let (unit, scope) = staff_scope(store, actor, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let f = check_farm(input).map_err(Error::problems)?;
    let (_, villages) =
        crate::units::children(store, &unit.code, xaso_domain::time::today_vn()).await?;
    let village = match input.village.trim() {
        "" => None,
        v => Some(
            villages
                .iter()
                .find(|u| u.code == v)
                .ok_or_else(|| Error::invalid("village", "not a village of this commune"))?
                .id
                .clone(),
        ),
    };
    if let Some(mine) = &scope {
        if !village.as_ref().is_some_and(|v| mine.contains(v)) {
            return Err(Error::Forbidden);
        }
    }
    let place = match input.place.trim() {
        "" => None,
        p => Some(
            crate::producers::place_by_address(store, &unit, p, "place")
                .await?
                .id,
        ),
    };
    let producer = match input.producer.trim() {
        "" => None,
        id => {
            let mut conn = store.read().await?;
            Some(
                xaso_storage::producers::producer(&mut conn, id)
                    .await?
                    .filter(|p| p.commune_id == unit.id)
                    .ok_or_else(|| Error::invalid("producer", "not a producer of this commune"))?
                    .id,
            )
        }
    };
    let row = FarmRow {
        id: xaso_storage::new_id(),
        unit_id: unit.id.clone(),
        village_id: village,
        kind: f.kind.as_str().into(),
        name: f.name,
        representative: f.representative,
        phone: f.phone,
        place_id: place,
        producer_id: producer,
        created_by: a.username.clone(),
        created_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::insert(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "agri_farm",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: None,
            // No contact details in the log.
            after: Some(
                json!({"kind": row.kind, "name": row.name, "village": row.village_id,
                "place": row.place_id, "producer": row.producer_id}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// A commune's farms (its staff; a village team sees its villages').
pub async fn list(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<FarmRow>)> {
    let (unit, scope) = staff_scope(store, actor, code).await?;
    let mut conn = store.read().await?;
    let mut rows = db::of_unit(&mut conn, &unit.id).await?;
    if let Some(mine) = &scope {
        rows.retain(|f| f.village_id.as_ref().is_some_and(|v| mine.contains(v)));
    }
    Ok((unit, rows))
}

/// A farm with what it works.
#[derive(Debug, Clone)]
pub struct FarmView {
    pub farm: FarmRow,
    pub commune: Unit,
    pub village: Option<Unit>,
    pub place: Option<crate::places::Place>,
    pub producer: Option<(String, String)>,
    pub plots: Vec<PlotRow>,
}

/// One farm (the staff over its village or commune).
pub async fn get(store: &Store, actor: Option<&Actor>, id: &str) -> Result<FarmView> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    let mut conn = store.read().await?;
    let farm = db::get(&mut conn, id).await?.ok_or(Error::NotFound)?;
    drop(conn);
    let over = farm.village_id.as_ref().unwrap_or(&farm.unit_id);
    if !authz::has_role_over(store, a, STAFF, over).await? {
        return Err(Error::Forbidden);
    }
    let mut conn = store.read().await?;
    let commune = xaso_storage::units::by_id(&mut conn, &farm.unit_id)
        .await?
        .ok_or(Error::NotFound)?;
    let village = match &farm.village_id {
        Some(v) => xaso_storage::units::by_id(&mut conn, v).await?,
        None => None,
    };
    let producer = match &farm.producer_id {
        Some(p) => xaso_storage::producers::producer(&mut conn, p)
            .await?
            .map(|p| (p.id, p.name)),
        None => None,
    };
    let mut plots = Vec::new();
    for pid in db::plot_ids(&mut conn, &farm.id).await? {
        if let Some(p) = xaso_storage::agri::get(&mut conn, &pid).await? {
            plots.push(p);
        }
    }
    drop(conn);
    let place = crate::places::public(store, farm.place_id.as_deref()).await?;
    Ok(FarmView {
        farm,
        commune,
        village,
        place,
        producer,
        plots,
    })
}

/// What a growing area holds: its plots (how many, their area in m²) and the farm households
/// and organisations working them, by name.
pub async fn growing_area_members(
    store: &Store,
    area_id: &str,
) -> Result<(usize, f64, Vec<String>)> {
    let mut conn = store.read().await?;
    let plots = xaso_storage::agri::of_growing_area(&mut conn, area_id).await?;
    let mut farms: Vec<String> = Vec::new();
    for p in &plots {
        if let Some(f) = &p.farm_id {
            if let Some(f) = xaso_storage::agri::farm::get(&mut conn, f).await? {
                if !farms.contains(&f.name) {
                    farms.push(f.name);
                }
            }
        }
    }
    farms.sort();
    Ok((plots.len(), plots.iter().map(|p| p.area_m2).sum(), farms))
}

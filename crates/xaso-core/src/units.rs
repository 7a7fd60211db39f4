//! Administrative units: reading the tree as of a date, a unit's history, search, adding
//! villages, and importing unit lists and reform mappings from CSV.

mod import;

pub use import::{import_csv, ImportKind, ImportOptions, ImportReport};

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::text;
use xaso_domain::units::{full_name, Level, NewVillage, Unit, UnitLink, Validity};
use xaso_storage::{units, Store};

use crate::{authz, Actor, Error, Result};

/// A unit with everything its page shows.
#[derive(Debug, Clone)]
pub struct UnitView {
    pub unit: Unit,
    /// Province first.
    pub ancestors: Vec<Unit>,
    /// Children valid on the day asked for.
    pub children: Vec<Unit>,
    pub predecessors: Vec<UnitLink>,
    pub successors: Vec<UnitLink>,
    /// Other units that had the same code at other times.
    pub same_code: Vec<Unit>,
}

/// A search hit with the names of its parents, for telling apart units with the same name.
#[derive(Debug, Clone)]
pub struct Found {
    pub unit: Unit,
    /// "Huyện Đức Hòa, Tỉnh Long An".
    pub context: String,
}

/// The unit that had `code` on `day`, or `NotFound`.
/// The ids of the communes a unit stands for: itself when it is a commune, else every commune
/// under it.
pub async fn communes_of(store: &Store, unit: &Unit) -> Result<Vec<String>> {
    if unit.level == Level::Commune {
        return Ok(vec![unit.id.clone()]);
    }
    let mut conn = store.read().await?;
    Ok(units::subtree(&mut conn, &unit.id)
        .await?
        .into_iter()
        .filter(|u| u.level == Level::Commune)
        .map(|u| u.id)
        .collect())
}

pub async fn by_code(store: &Store, code: &str, day: NaiveDate) -> Result<Unit> {
    let mut conn = store.read().await?;
    units::by_code(&mut conn, code.trim(), day)
        .await?
        .ok_or(Error::NotFound)
}

/// Every period a code has been in use, oldest first.
pub async fn periods(store: &Store, code: &str) -> Result<Vec<Unit>> {
    let mut conn = store.read().await?;
    Ok(units::all_by_code(&mut conn, code.trim()).await?)
}

pub async fn view(store: &Store, code: &str, day: NaiveDate) -> Result<UnitView> {
    let unit = by_code(store, code, day).await?;
    view_of(store, unit, day).await
}

pub async fn view_of(store: &Store, unit: Unit, day: NaiveDate) -> Result<UnitView> {
    let mut conn = store.read().await?;
    let mut ancestors = units::ancestors(&mut conn, &unit).await?;
    ancestors.reverse();
    let children = units::children(&mut conn, &unit.id, Some(day)).await?;
    let predecessors = units::predecessors(&mut conn, &unit.id).await?;
    let successors = units::successors(&mut conn, &unit.id).await?;
    let same_code = units::all_by_code(&mut conn, &unit.code)
        .await?
        .into_iter()
        .filter(|u| u.id != unit.id)
        .collect();
    Ok(UnitView {
        unit,
        ancestors,
        children,
        predecessors,
        successors,
        same_code,
    })
}

/// Provinces valid on `day`.
pub async fn roots(store: &Store, day: NaiveDate) -> Result<Vec<Unit>> {
    let mut conn = store.read().await?;
    Ok(units::roots(&mut conn, day).await?)
}

/// Children of the unit with `code` on `day`.
pub async fn children(store: &Store, code: &str, day: NaiveDate) -> Result<(Unit, Vec<Unit>)> {
    let unit = by_code(store, code, day).await?;
    let mut conn = store.read().await?;
    let kids = units::children(&mut conn, &unit.id, Some(day)).await?;
    Ok((unit, kids))
}

/// Searches names with or without diacritics ("duc hoa ha" finds "Xã Đức Hòa Hạ").
pub async fn search(
    store: &Store,
    q: &str,
    day: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<Found>> {
    let key = text::fold(q);
    if key.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let mut conn = store.read().await?;
    let hits = units::search(&mut conn, &key, day, limit.clamp(1, 100)).await?;
    let mut out = Vec::with_capacity(hits.len());
    for unit in hits {
        let context = units::ancestors(&mut conn, &unit)
            .await?
            .iter()
            .map(|u| u.full_name.clone())
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Found { unit, context });
    }
    Ok(out)
}

/// Adds a village (ấp, thôn, …) under the commune that has `commune_code` on `day`. Allowed to
/// the commune's officers, area officers above it and administrators.
pub async fn add_village(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    day: NaiveDate,
    input: NewVillage,
) -> Result<Unit> {
    let commune = by_code(store, commune_code, day).await?;
    let actor = authz::require_role_over(
        store,
        actor,
        &[Role::CommuneOfficer, Role::AreaOfficer],
        &commune.id,
    )
    .await?;
    if commune.level != Level::Commune {
        return Err(Error::invalid(
            "parent",
            format!(
                "{} is not a commune; villages go under communes",
                commune.full_name
            ),
        ));
    }
    let validity = Validity {
        from: input.valid_from.or(commune.valid_from),
        to: commune.valid_to,
    };
    if !commune.validity().covers(&validity)
        || validity.from.zip(validity.to).is_some_and(|(f, t)| f > t)
    {
        return Err(Error::invalid(
            "valid_from",
            "the village cannot start before its commune or after the commune ended",
        ));
    }
    let mut tx = store.begin().await?;
    let key = text::fold(&input.name);
    for sibling in units::children(tx.conn(), &commune.id, None).await? {
        if text::fold(&sibling.name) == key && sibling.validity().overlaps(&validity) {
            return Err(Error::Conflict(format!(
                "{} already has {}",
                commune.full_name, sibling.full_name
            )));
        }
    }
    let next = units::village_codes(tx.conn(), &commune.code)
        .await?
        .iter()
        .filter_map(|c| c.rsplit_once('-').and_then(|(_, n)| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let code = format!("{}-{next:02}", commune.code);
    let id = xaso_storage::new_id();
    let full = full_name(&input.unit_type, &input.name);
    let search_key = text::fold(&full);
    let source = format!("added by {}", actor.username);
    units::insert(
        tx.conn(),
        &units::NewUnit {
            id: &id,
            code: &code,
            name: &input.name,
            full_name: &full,
            unit_type: &input.unit_type,
            level: Level::Village,
            parent_id: Some(&commune.id),
            valid_from: validity.from,
            valid_to: validity.to,
            search_key: &search_key,
            source: &source,
        },
    )
    .await?;
    let unit = units::by_id(tx.conn(), &id).await?.ok_or(Error::NotFound)?;
    let after = json!({
        "code": unit.code, "name": unit.name, "full_name": unit.full_name,
        "unit_type": unit.unit_type, "parent": commune.full_name,
        "valid_from": unit.valid_from, "valid_to": unit.valid_to,
    });
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "unit",
            record_id: &unit.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user = %actor.username, code = %unit.code, "village added");
    Ok(unit)
}

/// An area as it stood on a date, and the communes that cover it today.
#[derive(Debug, Clone)]
pub struct AreaOverview {
    pub area: Unit,
    /// Province first.
    pub ancestors: Vec<Unit>,
    pub as_of: NaiveDate,
    /// Commune-level units of the area on `as_of`.
    pub communes_then: Vec<Unit>,
    /// Today's communes that took over the area, each with the old units it was formed from.
    pub communes_now: Vec<(Unit, Vec<Unit>)>,
    /// The province of today's communes.
    pub province_now: Option<Unit>,
}

/// The installation's area (a district before the reform, or a province): its communes then,
/// and the communes that replaced them.
pub async fn area_overview(store: &Store, code: &str, as_of: NaiveDate) -> Result<AreaOverview> {
    let area = by_code(store, code, as_of).await?;
    let today = xaso_domain::time::today_vn();
    let mut conn = store.read().await?;
    let mut ancestors = units::ancestors(&mut conn, &area).await?;
    ancestors.reverse();
    let communes_then: Vec<Unit> = units::children(&mut conn, &area.id, Some(as_of))
        .await?
        .into_iter()
        .filter(|u| u.level == Level::Commune)
        .collect();
    let mut now: Vec<(Unit, Vec<Unit>)> = Vec::new();
    for old in &communes_then {
        if old.validity().contains(today) {
            if !now.iter().any(|(u, _)| u.id == old.id) {
                now.push((old.clone(), Vec::new()));
            }
            continue;
        }
        for link in units::successors(&mut conn, &old.id).await? {
            match now.iter_mut().find(|(u, _)| u.id == link.unit.id) {
                Some((_, olds)) => olds.push(old.clone()),
                None => now.push((link.unit.clone(), vec![old.clone()])),
            }
        }
    }
    now.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    let province_now = match now.first() {
        Some((u, _)) => units::ancestors(&mut conn, u).await?.pop(),
        None => None,
    };
    Ok(AreaOverview {
        area,
        ancestors,
        as_of,
        communes_then,
        communes_now: now,
        province_now,
    })
}

//! A season's statistics for a commune (by village) or an area (by commune): the same lines at
//! every level, so villages add up to their commune and communes to their area.

use serde_json::{json, Value};
use xaso_domain::agri::farming::Crop;
use xaso_domain::agri::stats::{grouped, lines, CropLine, PlantingFact};
use xaso_domain::auth::Role;
use xaso_domain::time::today_vn;
use xaso_domain::units::{Level, Unit};
use xaso_storage::agri::farming as db;
use xaso_storage::Store;

use crate::{authz, Actor, Error, Result};

/// Who reads the statistics: the unit's staff and the officers above it.
pub const READERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer, Role::VillageTeam];

/// A season's statistics for a unit.
#[derive(Debug, Clone)]
pub struct Stats {
    pub unit: Unit,
    pub season_key: String,
    pub season_name: String,
    pub total: Vec<CropLine>,
    /// Villages of a commune, or communes of an area: (code, name, lines); plots with no
    /// village come last under an empty code.
    pub parts: Vec<(String, String, Vec<CropLine>)>,
}

/// The season keys known in a unit's communes, the latest first, with a name for each.
pub async fn season_keys(store: &Store, unit: &Unit) -> Result<Vec<(String, String)>> {
    let communes = crate::units::communes_of(store, unit).await?;
    let mut all: Vec<(String, String, String)> = Vec::new();
    let mut conn = store.read().await?;
    for c in &communes {
        for s in db::seasons_of(&mut conn, c).await? {
            if !all.iter().any(|(k, _, _)| *k == s.key) {
                all.push((s.key, s.name, s.starts_on));
            }
        }
    }
    all.sort_by(|a, b| b.2.cmp(&a.2));
    Ok(all.into_iter().map(|(k, n, _)| (k, n)).collect())
}

/// A season's statistics for a commune or an area (`season` a key such as `dong-xuan-2026`;
/// empty: the latest season declared).
pub async fn stats(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    season: &str,
) -> Result<Stats> {
    let unit = crate::units::by_code(store, code, today_vn()).await?;
    if unit.level == Level::Village {
        return Err(Error::invalid(
            "code",
            "statistics are for a commune or an area",
        ));
    }
    authz::require_role_over(store, actor, READERS, &unit.id).await?;
    let keys = season_keys(store, &unit).await?;
    let (season_key, season_name) = match season.trim() {
        "" => keys.first().cloned().unwrap_or_default(),
        k => keys
            .iter()
            .find(|(key, _)| key == k)
            .cloned()
            .ok_or_else(|| Error::invalid("season", "no season with this key here"))?,
    };
    // Every unit under this one (communes and villages), for their codes: one query.
    let under = {
        let mut conn = store.read().await?;
        xaso_storage::units::subtree(&mut conn, &unit.id).await?
    };
    let communes: Vec<String> = under
        .iter()
        .filter(|u| u.level == Level::Commune)
        .map(|u| u.id.clone())
        .collect();
    let rows = {
        let mut conn = store.read().await?;
        db::facts(&mut conn, &season_key, &communes).await?
    };
    let codes: std::collections::HashMap<&str, &str> = under
        .iter()
        .map(|u| (u.id.as_str(), u.code.as_str()))
        .collect();
    let code = |id: &str| codes.get(id).map(|c| c.to_string()).unwrap_or_default();
    let facts: Vec<PlantingFact> = rows
        .into_iter()
        .map(|r| PlantingFact {
            commune: code(&r.commune_id),
            village: r.village_id.as_deref().map(code),
            crop: Crop::parse(&r.crop).unwrap_or(Crop::Other),
            plantings: r.plantings as u64,
            sown_m2: r.sown_m2,
            harvested_m2: r.harvested_m2,
            output_kg: r.output_kg,
        })
        .collect();
    let total = lines(&facts);
    let names = {
        let (_, children) = crate::units::children(store, &unit.code, today_vn()).await?;
        children
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect::<Vec<_>>()
    };
    let name = |code: &str| {
        names
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let parts = if unit.level == Level::Commune {
        let mut g: Vec<_> = grouped(&facts, |f| f.village.clone())
            .into_iter()
            .map(|(k, l)| {
                let code = k.unwrap_or_default();
                (code.clone(), name(&code), l)
            })
            .collect();
        // Plots with no village last.
        g.sort_by_key(|(c, _, _)| (c.is_empty(), c.clone()));
        g
    } else {
        grouped(&facts, |f| f.commune.clone())
            .into_iter()
            .map(|(code, l)| (code.clone(), name(&code), l))
            .collect()
    };
    Ok(Stats {
        unit,
        season_key,
        season_name,
        total,
        parts,
    })
}

fn lines_json(lines: &[CropLine]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|l| {
                json!({
                    "crop": l.crop.as_str(),
                    "crop_vi": l.crop.vi(),
                    "plantings": l.plantings,
                    "sown_ha": round(l.sown_m2 / 10_000.0, 4),
                    "harvested_ha": round(l.harvested_m2 / 10_000.0, 4),
                    "output_t": round(l.output_kg / 1000.0, 3),
                    "yield_ta_per_ha": l.yield_ta_per_ha().map(|y| round(y, 2)),
                })
            })
            .collect(),
    )
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// The statistics as the API gives them.
pub fn to_json(s: &Stats) -> Value {
    json!({
        "unit": {"code": s.unit.code, "name": s.unit.name, "level": s.unit.level.as_str()},
        "season": {"key": s.season_key, "name": s.season_name},
        "total": lines_json(&s.total),
        "parts": s.parts.iter().map(|(code, name, l)| json!({
            "code": code, "name": name, "lines": lines_json(l),
        })).collect::<Vec<_>>(),
    })
}

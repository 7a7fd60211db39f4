//! Livestock surveys: headcounts entered per village (by its team, or by the commune for any of
//! its villages) on a survey date, read per commune and added up for an area.

use serde_json::{json, Value};
use xaso_domain::agri::livestock::{check_survey_date, parse_head, totals, Species};
use xaso_domain::time::today_vn;
use xaso_domain::units::{Level, Unit};
use xaso_storage::agri::livestock::{self as db, LivestockRow};
use xaso_storage::Store;

use super::stats::READERS;
use super::{commune, STAFF};
use crate::{authz, Actor, Error, Result};

/// One headcount as the form gives it: the village's code, the species, the number as typed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub village: String,
    pub species: String,
    pub head: String,
}

/// The villages of a commune the actor may enter counts for, with their counts on `date`
/// (species → head) when there are any.
pub async fn form(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    date: Option<&str>,
) -> Result<(Unit, Vec<(Unit, Counts)>)> {
    let unit = commune(store, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let (_, villages) = crate::units::children(store, &unit.code, today_vn()).await?;
    let existing = match date {
        Some(d) => {
            let mut conn = store.read().await?;
            db::counts(&mut conn, d, std::slice::from_ref(&unit.id)).await?
        }
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for v in villages {
        if !authz::has_role_over(store, a, STAFF, &v.id).await? {
            continue;
        }
        let counts = existing
            .iter()
            .filter(|(_, village, _, _)| *village == v.code)
            .filter_map(|(_, _, s, n)| Species::parse(s).map(|s| (s, *n)))
            .collect();
        out.push((v, counts));
    }
    // Neither the commune's staff nor a team of one of its villages.
    if out.is_empty() && !authz::has_role_over(store, a, STAFF, &unit.id).await? {
        return Err(Error::Forbidden);
    }
    Ok((unit, out))
}

/// Keeps one survey's counts for the villages given (all or nothing): each village's counts
/// for that date are replaced by the ones sent; an empty box is not counted.
pub async fn save(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    surveyed_on: &str,
    entries: &[Entry],
) -> Result<usize> {
    let unit = commune(store, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let date = check_survey_date(surveyed_on, today_vn())
        .map_err(|why| Error::invalid("surveyed_on", why))?;
    let (_, villages) = crate::units::children(store, &unit.code, today_vn()).await?;
    let mut by_village: Vec<(Unit, Vec<LivestockRow>)> = Vec::new();
    let now = xaso_storage::now();
    for e in entries {
        let field = format!("{}.{}", e.village, e.species);
        let village = villages
            .iter()
            .find(|v| v.code == e.village)
            .ok_or_else(|| Error::invalid(&field, "not a village of this commune"))?;
        let species = Species::parse(&e.species)
            .ok_or_else(|| Error::invalid(&field, "not a species of the survey"))?;
        let head = parse_head(&e.head).map_err(|why| Error::invalid(&field, why))?;
        let i = match by_village.iter().position(|(v, _)| v.id == village.id) {
            Some(i) => i,
            None => {
                if !authz::has_role_over(store, a, STAFF, &village.id).await? {
                    return Err(Error::Forbidden);
                }
                by_village.push((village.clone(), Vec::new()));
                by_village.len() - 1
            }
        };
        if let Some(head) = head {
            by_village[i].1.push(LivestockRow {
                id: xaso_storage::new_id(),
                unit_id: unit.id.clone(),
                village_id: village.id.clone(),
                surveyed_on: date.to_string(),
                species: species.as_str().into(),
                head,
                recorded_by: a.username.clone(),
                recorded_at: now.clone(),
            });
        }
    }
    if by_village.is_empty() {
        return Err(Error::invalid(
            "entries",
            "enter the counts of at least one village",
        ));
    }
    let mut tx = store.begin().await?;
    for (v, rows) in &by_village {
        db::replace(tx.conn(), &v.id, &date.to_string(), rows).await?;
        crate::audit::record(
            &mut tx,
            a,
            crate::audit::Change {
                action: "update",
                record_type: "agri_livestock",
                record_id: &v.id,
                unit_id: Some(&unit.id),
                before: None,
                after: Some(json!({"surveyed_on": date.to_string(),
                    "counts": rows.iter().map(|r| (r.species.clone(), r.head)).collect::<Vec<_>>()})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(by_village.len())
}

/// Head by species, in the vocabulary's order.
pub type Counts = Vec<(Species, i64)>;

/// A survey's headcounts for a commune (parts: villages) or an area (parts: communes).
#[derive(Debug, Clone)]
pub struct Livestock {
    pub surveyed_on: Option<String>,
    /// Every survey date of the unit, the latest first.
    pub dates: Vec<String>,
    pub total: Counts,
    /// (code, name, head) per village of a commune or commune of an area.
    pub parts: Vec<(String, String, Counts)>,
}

/// The headcounts of one survey (`date`, or the latest) for a commune or an area.
pub async fn summary(
    store: &Store,
    actor: Option<&Actor>,
    unit: &Unit,
    date: Option<&str>,
) -> Result<Livestock> {
    authz::require_role_over(store, actor, READERS, &unit.id).await?;
    let communes = crate::units::communes_of(store, unit).await?;
    let mut conn = store.read().await?;
    let dates = db::dates(&mut conn, &communes).await?;
    let surveyed_on = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            dates
                .iter()
                .find(|x| *x == d)
                .cloned()
                .ok_or_else(|| Error::invalid("survey", "no survey on this date here"))?,
        ),
        None => dates.first().cloned(),
    };
    let counts = match &surveyed_on {
        Some(d) => db::counts(&mut conn, d, &communes).await?,
        None => Vec::new(),
    };
    drop(conn);
    let parsed: Vec<(String, String, Species, i64)> = counts
        .into_iter()
        .filter_map(|(c, v, s, n)| Species::parse(&s).map(|s| (c, v, s, n)))
        .collect();
    let total = totals(
        parsed
            .iter()
            .map(|(_, _, s, n)| (*s, *n))
            .collect::<Vec<_>>()
            .iter(),
    );
    let (_, children) = crate::units::children(store, &unit.code, today_vn()).await?;
    let key = |c: &(String, String, Species, i64)| {
        if unit.level == Level::Commune {
            c.1.clone()
        } else {
            c.0.clone()
        }
    };
    let mut codes: Vec<String> = parsed.iter().map(key).collect();
    codes.dedup();
    let parts = codes
        .into_iter()
        .map(|code| {
            let name = children
                .iter()
                .find(|u| u.code == code)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            let mine: Vec<(Species, i64)> = parsed
                .iter()
                .filter(|c| key(c) == code)
                .map(|(_, _, s, n)| (*s, *n))
                .collect();
            (code, name, totals(mine.iter()))
        })
        .collect();
    Ok(Livestock {
        surveyed_on,
        dates,
        total,
        parts,
    })
}

fn counts_json(c: &[(Species, i64)]) -> Value {
    Value::Object(
        c.iter()
            .map(|(s, n)| (s.as_str().to_string(), json!(n)))
            .collect(),
    )
}

/// A survey's headcounts as the API gives them.
pub fn to_json(l: &Livestock) -> Value {
    json!({
        "surveyed_on": l.surveyed_on,
        "total": counts_json(&l.total),
        "parts": l.parts.iter().map(|(code, name, c)| json!({
            "code": code, "name": name, "head": counts_json(c),
        })).collect::<Vec<_>>(),
    })
}

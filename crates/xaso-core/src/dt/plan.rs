//! The yearly DT plan: the province's indicator catalogue, each commune's targets for a year
//! (for the commune and its villages), actual values computed from the programme's records or
//! entered with evidence, plan against actual, the area roll-up and the xlsx report filled
//! from a template file ([`report`]).
//!
//! Rights: administrators and province-level area officers edit the catalogue; a commune's
//! officers (and the area's) set its targets and enter its actual values. Plans, targets and
//! actual values are public; who entered them and the evidence files are staff-only.

pub mod report;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::json;
use xaso_domain::dt::plan::{
    check_indicator, parse_number, progress, Aggregate, IndicatorDef, IndicatorInput, Measure,
    NumberError,
};
use xaso_domain::units::{Level, Unit};
use xaso_storage::dt::plan::{self as db, ActualRow, IndicatorRow};
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::{commune, invalid, today, villages, MANAGERS};
use crate::catalogue::{document_type, Upload, MAX_UPLOAD_BYTES};
use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// A catalogue entry with who changed it last.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub def: IndicatorDef,
    pub updated_by: String,
    pub updated_at: String,
}

fn to_indicator(r: IndicatorRow) -> Option<Indicator> {
    Some(Indicator {
        def: IndicatorDef {
            measure: Measure::parse(&r.measure)?,
            aggregate: Aggregate::parse(&r.aggregate)?,
            key: r.key,
            name_vi: r.name_vi,
            name_en: r.name_en,
            unit: r.unit,
            position: r.position,
            active: r.active != 0,
            note: r.note,
        },
        updated_by: r.updated_by,
        updated_at: r.updated_at,
    })
}

/// The whole catalogue (active and retired entries), in order.
pub async fn catalogue(store: &Store) -> Result<Vec<Indicator>> {
    let mut conn = store.read().await?;
    Ok(db::indicators(&mut conn)
        .await?
        .into_iter()
        .filter_map(to_indicator)
        .collect())
}

/// The active entries of the catalogue, in order.
pub async fn active(store: &Store) -> Result<Vec<IndicatorDef>> {
    Ok(catalogue(store)
        .await?
        .into_iter()
        .filter(|i| i.def.active)
        .map(|i| i.def)
        .collect())
}

/// Whether the actor may edit the catalogue: administrators and area officers of a province.
pub async fn edits_catalogue(store: &Store, actor: Option<&Actor>) -> Result<bool> {
    crate::authz::is_province_wide(store, actor).await
}

/// Adds an entry to the catalogue or changes one (same key). Audited.
pub async fn save_indicator(
    store: &Store,
    actor: Option<&Actor>,
    input: &IndicatorInput,
) -> Result<IndicatorDef> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !edits_catalogue(store, Some(actor)).await? {
        return Err(Error::Forbidden);
    }
    let def = check_indicator(input).map_err(invalid)?;
    let row = IndicatorRow {
        key: def.key.clone(),
        name_vi: def.name_vi.clone(),
        name_en: def.name_en.clone(),
        unit: def.unit.clone(),
        measure: def.measure.as_str(),
        aggregate: def.aggregate.as_str().into(),
        position: def.position,
        active: i64::from(def.active),
        note: def.note.clone(),
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    let before = db::indicator(tx.conn(), &def.key).await?;
    db::save_indicator(tx.conn(), &row).await?;
    let view = |r: &IndicatorRow| {
        json!({"name_vi": r.name_vi, "name_en": r.name_en, "unit": r.unit, "measure": r.measure,
            "aggregate": r.aggregate, "position": r.position, "active": r.active != 0, "note": r.note})
    };
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "dt_indicator",
            record_id: &def.key,
            unit_id: None,
            before: before.as_ref().map(view),
            after: Some(view(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(def)
}

/// Figures computed from the programme's records for one unit (a commune or a village).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub members_trained: f64,
    pub people_trained: f64,
    pub helped: HashMap<String, f64>,
    pub helped_total: f64,
    pub wifi_points: f64,
    pub sellers: f64,
}

impl Counts {
    /// The value of a computed measure (None for an entered one).
    pub fn value(&self, m: Measure) -> Option<f64> {
        match m {
            Measure::Entered => None,
            Measure::MembersTrained => Some(self.members_trained),
            Measure::PeopleTrained => Some(self.people_trained),
            Measure::Support(None) => Some(self.helped_total),
            Measure::Support(Some(s)) => Some(self.helped.get(s.as_str()).copied().unwrap_or(0.0)),
            Measure::WifiPoints => Some(self.wifi_points),
            Measure::EcommerceSellers => Some(self.sellers),
        }
    }
}

/// Computed figures of a year, per commune and (for one commune's villages) per village.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    pub communes: HashMap<String, Counts>,
    pub villages: HashMap<String, Counts>,
}

fn year_span(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{year:04}-12-31"))
}

/// Computes the year's figures of some communes, or (None) of every commune, with a fixed number
/// of grouped queries. Villages are counted only when `with_villages`.
pub async fn compute(
    store: &Store,
    year: i32,
    communes: Option<&[String]>,
    with_villages: bool,
) -> Result<Computed> {
    let (from, to) = year_span(year);
    let (from, to) = (from.as_str(), to.as_str());
    // The grouped queries are independent: each runs on its own pooled connection.
    let trained = async {
        let mut conn = store.read().await?;
        Ok::<_, Error>(db::trained_by_commune(&mut conn, from, to, communes).await?)
    };
    let trained_villages = async {
        match (with_villages, communes) {
            (true, Some(ids)) => {
                let mut conn = store.read().await?;
                Ok::<_, Error>(db::trained_by_village(&mut conn, from, to, ids).await?)
            }
            _ => Ok(Vec::new()),
        }
    };
    let support = async {
        let mut conn = store.read().await?;
        if with_villages {
            Ok::<_, Error>(db::support_by_unit(&mut conn, from, to, communes).await?)
        } else {
            // Without villages, the totals per commune come from an index alone.
            Ok(db::support_by_commune(&mut conn, from, to, communes)
                .await?
                .into_iter()
                .map(|(commune, service, n)| (commune, String::new(), service, n))
                .collect())
        }
    };
    let wifi = async {
        let mut conn = store.read().await?;
        Ok::<_, Error>(db::wifi_by_unit(&mut conn, communes).await?)
    };
    let sellers = async {
        let mut conn = store.read().await?;
        Ok::<_, Error>(db::sellers_by_commune(&mut conn, communes).await?)
    };
    let (trained, trained_villages, support, wifi, sellers) =
        tokio::try_join!(trained, trained_villages, support, wifi, sellers)?;

    let mut out = Computed::default();
    for (commune, members, people) in trained {
        let c = out.communes.entry(commune).or_default();
        c.members_trained = members as f64;
        c.people_trained = people as f64;
    }
    for (village, members, people) in trained_villages {
        let v = out.villages.entry(village).or_default();
        v.members_trained = members as f64;
        v.people_trained = people as f64;
    }
    for (commune, village, service, people) in support {
        let n = people as f64;
        let c = out.communes.entry(commune).or_default();
        *c.helped.entry(service.clone()).or_insert(0.0) += n;
        c.helped_total += n;
        if with_villages {
            let v = out.villages.entry(village).or_default();
            *v.helped.entry(service).or_insert(0.0) += n;
            v.helped_total += n;
        }
    }
    for (commune, village, n) in wifi {
        out.communes.entry(commune).or_default().wifi_points += n as f64;
        if let (true, Some(v)) = (with_villages, village) {
            out.villages.entry(v).or_default().wifi_points += n as f64;
        }
    }
    for (commune, n) in sellers {
        out.communes.entry(commune).or_default().sellers = n as f64;
    }
    Ok(out)
}

/// Where an actual value comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Computed from the platform's records on `as_of`.
    Computed { as_of: NaiveDate },
    /// Entered by the commune with its evidence.
    Entered {
        evidence: String,
        has_file: bool,
        entered_by: String,
        entered_at: String,
    },
    /// An entered indicator nobody has filled in yet.
    Missing,
}

/// Target and actual of one indicator for one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub source: Source,
}

impl Cell {
    pub fn figure(&self) -> Figure {
        Figure {
            target: self.target,
            actual: self.actual,
        }
    }

    pub fn progress(&self) -> Option<f64> {
        self.figure().progress()
    }

    /// Whether the actual value reached the target (None without both).
    pub fn met(&self) -> Option<bool> {
        self.figure().met()
    }
}

/// Target and actual value without where the value comes from: what a roll-up shows per
/// commune.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub target: Option<f64>,
    pub actual: Option<f64>,
}

impl Figure {
    pub fn progress(&self) -> Option<f64> {
        progress(self.target, self.actual)
    }

    /// Whether the actual value reached the target (None without both).
    pub fn met(&self) -> Option<bool> {
        match (self.target, self.actual) {
            (Some(t), Some(a)) => Some(a >= t),
            _ => None,
        }
    }
}

/// A commune's plan for a year.
#[derive(Debug, Clone)]
pub struct Plan {
    pub commune: Unit,
    pub year: i32,
    pub indicators: Vec<IndicatorDef>,
    /// One cell per indicator, in the catalogue's order.
    pub cells: Vec<Cell>,
    /// The villages, each with one cell per indicator.
    pub villages: Vec<(Unit, Vec<Cell>)>,
}

impl Plan {
    /// Indicators with a target, and how many of them are met.
    pub fn met_count(&self) -> (usize, usize) {
        let with: Vec<&Cell> = self.cells.iter().filter(|c| c.target.is_some()).collect();
        (
            with.iter().filter(|c| c.met() == Some(true)).count(),
            with.len(),
        )
    }
}

/// The oldest and newest year a plan may be kept for.
pub fn check_year(year: i32) -> Result<()> {
    let this = today().year();
    if (2020..=this + 1).contains(&year) {
        Ok(())
    } else {
        Err(Error::invalid(
            "year",
            format!("plans are kept for 2020 to {}", this + 1),
        ))
    }
}

/// The day computed values stand for: today for this year, the year's last day before.
fn as_of(year: i32) -> NaiveDate {
    let t = today();
    if year >= t.year() {
        t
    } else {
        NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid day")
    }
}

fn cell(
    def: &IndicatorDef,
    target: Option<f64>,
    counts: Option<&Counts>,
    entered: Option<&ActualRow>,
    year: i32,
) -> Cell {
    if def.measure.is_computed() {
        return Cell {
            target,
            actual: Some(counts.and_then(|c| c.value(def.measure)).unwrap_or(0.0)),
            source: Source::Computed { as_of: as_of(year) },
        };
    }
    match entered {
        Some(a) => Cell {
            target,
            actual: Some(a.value),
            source: Source::Entered {
                evidence: a.evidence.clone(),
                has_file: a.evidence_file.is_some(),
                entered_by: a.entered_by.clone(),
                entered_at: a.entered_at.clone(),
            },
        },
        None => Cell {
            target,
            actual: None,
            source: Source::Missing,
        },
    }
}

/// A commune's plan against actual for a year, with its villages.
pub async fn plan(store: &Store, code: &str, year: i32) -> Result<Plan> {
    check_year(year)?;
    let commune = commune(store, code).await?;
    let villages = villages(store, &commune).await?;
    let indicators = active(store).await?;
    let mut ids: Vec<String> = vec![commune.id.clone()];
    ids.extend(villages.iter().map(|v| v.id.clone()));
    let (targets, actuals) = {
        let mut conn = store.read().await?;
        (
            db::targets(&mut conn, year as i64, Some(&ids)).await?,
            db::actuals(&mut conn, year as i64, Some(&ids)).await?,
        )
    };
    let targets: HashMap<(&str, &str), f64> = targets
        .iter()
        .map(|t| ((t.unit_id.as_str(), t.indicator_key.as_str()), t.target))
        .collect();
    let actuals: HashMap<(&str, &str), &ActualRow> = actuals
        .iter()
        .map(|a| ((a.unit_id.as_str(), a.indicator_key.as_str()), a))
        .collect();
    let computed = compute(store, year, Some(std::slice::from_ref(&commune.id)), true).await?;
    let cells = indicators
        .iter()
        .map(|d| {
            cell(
                d,
                targets.get(&(commune.id.as_str(), d.key.as_str())).copied(),
                computed.communes.get(&commune.id),
                actuals.get(&(commune.id.as_str(), d.key.as_str())).copied(),
                year,
            )
        })
        .collect();
    let village_cells = villages
        .iter()
        .map(|v| {
            let row = indicators
                .iter()
                .map(|d| {
                    let target = targets.get(&(v.id.as_str(), d.key.as_str())).copied();
                    if d.measure.is_computed() && !d.measure.by_village() {
                        // Counted per commune only (sellers): nothing to show per village.
                        return Cell {
                            target,
                            actual: None,
                            source: Source::Missing,
                        };
                    }
                    cell(
                        d,
                        target,
                        computed.villages.get(&v.id),
                        actuals.get(&(v.id.as_str(), d.key.as_str())).copied(),
                        year,
                    )
                })
                .collect();
            (v.clone(), row)
        })
        .collect();
    Ok(Plan {
        commune,
        year,
        indicators,
        cells,
        villages: village_cells,
    })
}

fn number_problem(e: NumberError) -> &'static str {
    match e {
        NumberError::NotANumber => "write a number, such as 120 or 85,5",
        NumberError::Negative => "the number must not be negative",
        NumberError::PercentOutOfRange => "a share in % is from 0 to 100",
    }
}

/// One typed target: the unit (the commune or one of its villages, by code), the indicator and
/// the text typed (empty clears it).
#[derive(Debug, Clone)]
pub struct TargetEntry {
    pub unit_code: String,
    pub key: String,
    pub raw: String,
}

/// Saves a commune's targets for a year (its own and its villages'): all or nothing, every
/// problem reported at `UNIT:KEY`. One audit entry holds every change.
pub async fn save_targets(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    entries: &[TargetEntry],
) -> Result<usize> {
    check_year(year)?;
    let commune = commune(store, code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let villages = villages(store, &commune).await?;
    let indicators = active(store).await?;
    let mut problems = Vec::new();
    let mut checked: Vec<(String, String, Option<f64>)> = Vec::new();
    for e in entries {
        let at = format!("{}:{}", e.unit_code, e.key);
        let unit_id = if e.unit_code == commune.code {
            Some(commune.id.clone())
        } else {
            villages
                .iter()
                .find(|v| v.code == e.unit_code)
                .map(|v| v.id.clone())
        };
        let Some(unit_id) = unit_id else {
            problems.push(Problem::new(&at, "not this commune or one of its villages"));
            continue;
        };
        let Some(def) = indicators.iter().find(|d| d.key == e.key) else {
            problems.push(Problem::new(&at, "no active indicator has this key"));
            continue;
        };
        match parse_number(&e.raw, def.is_percent()) {
            Ok(v) => checked.push((unit_id, def.key.clone(), v)),
            Err(err) => problems.push(Problem::new(&at, number_problem(err))),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut ids: Vec<String> = vec![commune.id.clone()];
    ids.extend(villages.iter().map(|v| v.id.clone()));
    let mut tx = store.begin().await?;
    let old: HashMap<(String, String), f64> = db::targets(tx.conn(), year as i64, Some(&ids))
        .await?
        .into_iter()
        .map(|t| ((t.unit_id, t.indicator_key), t.target))
        .collect();
    let code_of = |id: &str| {
        if id == commune.id {
            commune.code.clone()
        } else {
            villages
                .iter()
                .find(|v| v.id == id)
                .map(|v| v.code.clone())
                .unwrap_or_default()
        }
    };
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    for (unit_id, key, value) in &checked {
        let prev = old.get(&(unit_id.clone(), key.clone())).copied();
        if prev == *value {
            continue;
        }
        match value {
            Some(v) => {
                db::set_target(tx.conn(), unit_id, year as i64, key, *v, &actor.username).await?
            }
            None => db::delete_target(tx.conn(), unit_id, year as i64, key).await?,
        }
        let label = format!("{}:{key}", code_of(unit_id));
        before.insert(label.clone(), json!(prev));
        after.insert(label, json!(value));
    }
    let changed = after.len();
    if changed > 0 {
        crate::audit::record(
            &mut tx,
            &actor,
            crate::audit::Change {
                action: "update",
                record_type: "dt_targets",
                record_id: &format!("{}/{year}", commune.code),
                unit_id: Some(&commune.id),
                before: Some(serde_json::Value::Object(before)),
                after: Some(serde_json::Value::Object(after)),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// What the actual-value form sends for an entered indicator.
#[derive(Debug, Clone, Default)]
pub struct ActualInput {
    pub key: String,
    /// Empty clears the value.
    pub value: String,
    /// Where the figure comes from (a report's number and date, the office that gave it).
    pub evidence: String,
    pub file: Option<Upload>,
}

/// Enters (or clears) the commune's actual value of an entered indicator, with its evidence.
/// Audited.
pub async fn save_actual(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    input: ActualInput,
) -> Result<()> {
    check_year(year)?;
    let commune = commune(store, code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let def = active(store)
        .await?
        .into_iter()
        .find(|d| d.key == input.key)
        .ok_or_else(|| Error::invalid("key", "no active indicator has this key"))?;
    if def.measure.is_computed() {
        return Err(Error::invalid(
            "key",
            "this indicator is computed from the records; it cannot be typed",
        ));
    }
    let mut problems = Vec::new();
    let value = match parse_number(&input.value, def.is_percent()) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem::new("value", number_problem(e)));
            None
        }
    };
    let evidence = xaso_domain::text::clean(&input.evidence);
    if value.is_some() && evidence.chars().count() < 5 {
        problems.push(Problem::new(
            "evidence",
            "say where the figure comes from (a report, its number and date)",
        ));
    }
    if evidence.chars().count() > 500 {
        problems.push(Problem::new(
            "evidence",
            "the evidence is at most 500 characters",
        ));
    }
    let file = input.file.filter(|f| !f.bytes.is_empty());
    let mut ext = "";
    if let Some(f) = &file {
        if f.bytes.len() > MAX_UPLOAD_BYTES {
            problems.push(Problem::new("file", "the document is larger than 20 MB"));
        } else {
            match document_type(&f.bytes) {
                Some((_, e)) => ext = e,
                None => problems.push(Problem::new(
                    "file",
                    "the document must be a PDF, JPEG or PNG",
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let before = {
        let mut conn = store.read().await?;
        db::actuals(
            &mut conn,
            year as i64,
            Some(std::slice::from_ref(&commune.id)),
        )
        .await?
        .into_iter()
        .find(|a| a.indicator_key == def.key)
    };
    // A new file replaces the old one; without one the old file stays with the new figure.
    let (evidence_file, evidence_file_name) = match &file {
        Some(f) => {
            let key = format!(
                "dt-evidence/{}/{year}/{}.{ext}",
                commune.code,
                xaso_storage::new_id()
            );
            files
                .put(&key, f.bytes.clone())
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            let name: String = f
                .name
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            (
                Some(key),
                if name.is_empty() {
                    format!("minh-chung.{ext}")
                } else {
                    name
                },
            )
        }
        None => before
            .as_ref()
            .map(|b| (b.evidence_file.clone(), b.evidence_file_name.clone()))
            .unwrap_or_default(),
    };
    let mut tx = store.begin().await?;
    let after = match value {
        Some(v) => {
            let row = ActualRow {
                unit_id: commune.id.clone(),
                indicator_key: def.key.clone(),
                value: v,
                evidence: evidence.clone(),
                evidence_file: evidence_file.clone(),
                evidence_file_name: evidence_file_name.clone(),
                entered_by: actor.username.clone(),
                entered_at: xaso_storage::now(),
            };
            db::set_actual(tx.conn(), year as i64, &row).await?;
            Some(json!({"value": v, "evidence": evidence, "file": evidence_file_name}))
        }
        None => {
            db::delete_actual(tx.conn(), &commune.id, year as i64, &def.key).await?;
            None
        }
    };
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: if after.is_none() { "delete" } else { "update" },
            record_type: "dt_actual",
            record_id: &format!("{}/{year}/{}", commune.code, def.key),
            unit_id: Some(&commune.id),
            before: before.as_ref().map(
                |b| json!({"value": b.value, "evidence": b.evidence, "file": b.evidence_file_name}),
            ),
            after,
        },
    )
    .await?;
    tx.commit().await?;
    if let (Some(_), Some(old)) = (&file, before.and_then(|b| b.evidence_file)) {
        let _ = files.delete(&old).await;
    }
    Ok(())
}

/// The evidence file of an entered value (name, media type, bytes): the commune's managers only.
pub async fn evidence_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    key: &str,
) -> Result<(String, &'static str, Vec<u8>)> {
    let commune = commune(store, code).await?;
    authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let row = {
        let mut conn = store.read().await?;
        db::actuals(
            &mut conn,
            year as i64,
            Some(std::slice::from_ref(&commune.id)),
        )
        .await?
        .into_iter()
        .find(|a| a.indicator_key == key)
        .ok_or(Error::NotFound)?
    };
    let object = row.evidence_file.ok_or(Error::NotFound)?;
    let bytes = files
        .get(&object)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mime = document_type(&bytes)
        .map(|(m, _)| m)
        .unwrap_or("application/octet-stream");
    Ok((row.evidence_file_name, mime, bytes))
}

/// One indicator over an area.
#[derive(Debug, Clone)]
pub struct AreaLine {
    pub indicator: IndicatorDef,
    /// The communes' targets and actual values combined as the indicator says.
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub with_target: usize,
    pub met: usize,
}

/// The plans of every commune under an area for a year.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub unit: Unit,
    pub year: i32,
    pub indicators: Vec<IndicatorDef>,
    pub lines: Vec<AreaLine>,
    /// Each commune with one figure per indicator, in the catalogue's order.
    pub communes: Vec<(Unit, Vec<Figure>)>,
}

/// `(unit, "KEY=N;KEY=N")` rows as (unit, key) → number.
fn unpack(rows: &[(String, String)]) -> HashMap<(&str, &str), f64> {
    rows.iter()
        .flat_map(|(unit, packed)| {
            packed.split(';').filter_map(move |pair| {
                let (key, value) = pair.split_once('=')?;
                Some(((unit.as_str(), key), value.parse().ok()?))
            })
        })
        .collect()
}

/// Rolls up the plans of the communes under an area (a province, or an old district), with a
/// fixed number of queries however many communes there are.
pub async fn rollup(store: &Store, code: &str, year: i32) -> Result<Rollup> {
    check_year(year)?;
    let day = today();
    let unit = crate::units::by_code(store, code, day).await?;
    if matches!(unit.level, Level::Commune | Level::Village) {
        return Err(Error::invalid(
            "unit",
            format!("{} is not above communes", unit.full_name),
        ));
    }
    // Five independent reads, each on its own pooled connection.
    let communes = async {
        let mut conn = store.read().await?;
        Ok::<_, Error>(xaso_storage::units::communes_under(&mut conn, &unit.id, day).await?)
    };
    let targets = async {
        let mut conn = store.read().await?;
        Ok::<_, Error>(db::packed_targets(&mut conn, store.engine(), year as i64).await?)
    };
    let actuals = async {
        let mut conn = store.read().await?;
        Ok::<_, Error>(db::packed_actuals(&mut conn, store.engine(), year as i64).await?)
    };
    let (communes, indicators, targets, actuals, computed) = tokio::try_join!(
        communes,
        active(store),
        targets,
        actuals,
        compute(store, year, None, false)
    )?;
    let targets = unpack(&targets);
    let actuals = unpack(&actuals);
    let rows: Vec<(Unit, Vec<Figure>)> = communes
        .into_iter()
        .map(|c| {
            let counts = computed.communes.get(&c.id);
            let figures = indicators
                .iter()
                .map(|d| {
                    let key = (c.id.as_str(), d.key.as_str());
                    Figure {
                        target: targets.get(&key).copied(),
                        actual: if d.measure.is_computed() {
                            Some(counts.and_then(|n| n.value(d.measure)).unwrap_or(0.0))
                        } else {
                            actuals.get(&key).copied()
                        },
                    }
                })
                .collect();
            (c, figures)
        })
        .collect();
    let lines = indicators
        .iter()
        .enumerate()
        .map(|(n, d)| {
            let ts: Vec<f64> = rows.iter().filter_map(|(_, c)| c[n].target).collect();
            let avs: Vec<f64> = rows.iter().filter_map(|(_, c)| c[n].actual).collect();
            AreaLine {
                indicator: d.clone(),
                target: d.aggregate.combine(&ts),
                actual: d.aggregate.combine(&avs),
                with_target: ts.len(),
                met: rows
                    .iter()
                    .filter(|(_, c)| c[n].met() == Some(true))
                    .count(),
            }
        })
        .collect();
    Ok(Rollup {
        unit,
        year,
        indicators,
        lines,
        communes: rows,
    })
}

/// The actual values of some indicators for communes in a year (computed or entered), for the
/// NTM criteria that bind to them: commune id → key → (value, as-of day).
pub async fn values_for(
    store: &Store,
    year: i32,
    communes: Option<&[String]>,
    keys: &[String],
) -> Result<HashMap<String, HashMap<String, (f64, NaiveDate)>>> {
    let mut out: HashMap<String, HashMap<String, (f64, NaiveDate)>> = HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let defs: Vec<IndicatorDef> = active(store)
        .await?
        .into_iter()
        .filter(|d| keys.contains(&d.key))
        .collect();
    if defs.iter().any(|d| d.measure.is_computed()) {
        let computed = compute(store, year, communes, false).await?;
        let day = as_of(year);
        for (commune, counts) in &computed.communes {
            for d in defs.iter().filter(|d| d.measure.is_computed()) {
                if let Some(v) = counts.value(d.measure) {
                    out.entry(commune.clone())
                        .or_default()
                        .insert(d.key.clone(), (v, day));
                }
            }
        }
        // A commune with no records at all still has a computed value: zero.
        for id in communes.unwrap_or_default() {
            for d in defs.iter().filter(|d| d.measure.is_computed()) {
                out.entry(id.clone())
                    .or_default()
                    .entry(d.key.clone())
                    .or_insert((0.0, day));
            }
        }
    }
    if defs.iter().any(|d| !d.measure.is_computed()) {
        let mut conn = store.read().await?;
        for a in db::actuals(&mut conn, year as i64, communes).await? {
            if defs
                .iter()
                .any(|d| d.key == a.indicator_key && !d.measure.is_computed())
            {
                let day = a
                    .entered_at
                    .get(..10)
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .unwrap_or_else(today);
                out.entry(a.unit_id)
                    .or_default()
                    .insert(a.indicator_key, (a.value, day));
            }
        }
    }
    Ok(out)
}

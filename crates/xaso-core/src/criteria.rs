//! NTM criteria tracking: versioned sets, commune profiles, yearly values, assessment, roll-up.

pub mod pdf;
pub mod xlsx;
pub mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::criteria::{
    assess_set, level_reached, national_sets, CriteriaSet, NtmLevel, ReviewAction, ReviewState,
    SetResult, Status, Value, ValueError,
};
use xaso_domain::units::{Level, Unit};
use xaso_storage::criteria as db;
use xaso_storage::{units, Store};

use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// One stored version of a set.
#[derive(Debug, Clone)]
pub struct SetVersion {
    pub version: i64,
    pub set: CriteriaSet,
    pub change_note: String,
    pub created_by: String,
    pub created_at: String,
}

fn parse_version(row: db::SetVersionRow) -> Result<SetVersion> {
    let set: CriteriaSet = serde_json::from_str(&row.definition).map_err(|e| {
        Error::Internal(format!(
            "stored set {} v{} is unreadable: {e}",
            row.set_key, row.version
        ))
    })?;
    Ok(SetVersion {
        version: row.version,
        set,
        change_note: row.change_note,
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

/// Stores version 1 of every national set the database does not have yet. Runs on start; the
/// sets are reference data, not accounts, so `serve` may create them.
pub async fn ensure_national(store: &Store) -> Result<usize> {
    let mut added = 0;
    let mut tx = store.begin().await?;
    for set in national_sets() {
        if db::latest_set(tx.conn(), &set.key).await?.is_none() {
            let def = serde_json::to_string(&set).map_err(|e| Error::Internal(e.to_string()))?;
            db::insert_version(
                tx.conn(),
                &set.key,
                1,
                &def,
                "national set shipped with Xã Số",
                "system",
            )
            .await?;
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// The newest version of every set.
pub async fn sets(store: &Store) -> Result<Vec<SetVersion>> {
    let mut conn = store.read().await?;
    db::latest_sets(&mut conn)
        .await?
        .into_iter()
        .map(parse_version)
        .collect()
}

pub async fn set(store: &Store, key: &str) -> Result<SetVersion> {
    let mut conn = store.read().await?;
    parse_version(
        db::latest_set(&mut conn, key)
            .await?
            .ok_or(Error::NotFound)?,
    )
}

/// The sets that apply in a programme year, lowest level first.
pub async fn sets_for_year(store: &Store, year: i32) -> Result<Vec<Arc<SetVersion>>> {
    let mut out: Vec<Arc<SetVersion>> = sets(store)
        .await?
        .into_iter()
        .filter(|v| v.set.from_year <= year && year <= v.set.to_year)
        .map(Arc::new)
        .collect();
    out.sort_by_key(|v| v.set.level);
    Ok(out)
}

/// Stores a new version of a set (a province's own details, or a whole imported set).
/// Administrators only; the set is validated first and the change is audited.
pub async fn save_set(store: &Store, actor: &Actor, set: CriteriaSet, note: &str) -> Result<i64> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    set.validate()
        .map_err(|e| Error::invalid("set", e.to_string()))?;
    let bound: Vec<(&str, &str)> = set
        .criteria
        .iter()
        .flat_map(|c| c.indicators.iter())
        .filter_map(|i| Some((i.code.as_str(), i.dt_indicator.as_deref()?)))
        .collect();
    if !bound.is_empty() {
        let known: Vec<String> = crate::dt::plan::catalogue(store)
            .await?
            .into_iter()
            .map(|i| i.def.key)
            .collect();
        let problems: Vec<Problem> = bound
            .iter()
            .filter(|(_, key)| !known.iter().any(|k| k == key))
            .map(|(code, key)| {
                Problem::new(
                    "set",
                    format!("indicator {code}: no DT-plan indicator has the key `{key}`"),
                )
            })
            .collect();
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
    }
    let note = xaso_domain::text::clean(note);
    if note.is_empty() {
        return Err(Error::invalid(
            "note",
            "say why the set changes (e.g. the province decision)",
        ));
    }
    let def = serde_json::to_string(&set).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    let previous = db::latest_set(tx.conn(), &set.key).await?;
    let version = previous.as_ref().map(|p| p.version + 1).unwrap_or(1);
    let id = db::insert_version(tx.conn(), &set.key, version, &def, &note, &actor.username).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: if previous.is_some() {
                "update"
            } else {
                "create"
            },
            record_type: "criteria_set",
            record_id: &id,
            unit_id: None,
            before: previous.map(|p| json!({"set": p.set_key, "version": p.version})),
            after: Some(json!({"set": set.key, "version": version, "note": note})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// A commune's situation for a year: its region or group, and the level it aims for.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub threshold_key: String,
    pub target: Option<NtmLevel>,
}

/// The default day a code is read on for a programme year: the year's last day, or today.
pub fn default_day(year: i32) -> NaiveDate {
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_else(xaso_domain::time::today_vn);
    end.min(xaso_domain::time::today_vn())
        .max(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(end))
}

pub(crate) fn check_year(year: i32) -> Result<()> {
    if (2010..=2100).contains(&year) {
        Ok(())
    } else {
        Err(Error::invalid(
            "year",
            format!("year {year} is out of range"),
        ))
    }
}

/// The unit that had `code` during `year`, and a day of that year on which it existed: the
/// year's last day (or today), or the unit's last day when it ended during the year (Đức Hòa Hạ
/// in 2025 is read on 30/06/2025).
pub async fn unit_in_year(store: &Store, code: &str, year: i32) -> Result<(Unit, NaiveDate)> {
    let day = default_day(year);
    match crate::units::by_code(store, code, day).await {
        Ok(u) => Ok((u, day)),
        Err(Error::NotFound) => {
            let start = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(Error::NotFound)?;
            let unit = crate::units::periods(store, code)
                .await?
                .into_iter()
                .rfind(|u| {
                    u.valid_to.is_some_and(|t| t >= start && t < day)
                        && u.valid_from.is_none_or(|f| f <= day)
                })
                .ok_or(Error::NotFound)?;
            let last = unit.valid_to.unwrap_or(day);
            Ok((unit, last))
        }
        Err(e) => Err(e),
    }
}

async fn commune_in_year(store: &Store, code: &str, year: i32) -> Result<Unit> {
    let (unit, _) = unit_in_year(store, code, year).await?;
    commune_check(unit)
}

async fn commune(store: &Store, code: &str, day: NaiveDate) -> Result<Unit> {
    commune_check(crate::units::by_code(store, code, day).await?)
}

fn commune_check(unit: Unit) -> Result<Unit> {
    if unit.level != Level::Commune {
        return Err(Error::invalid(
            "unit",
            format!(
                "{} is not a commune; criteria are kept per commune",
                unit.full_name
            ),
        ));
    }
    Ok(unit)
}

/// Sets a commune's region or group and target level for a year. Area officers and
/// administrators decide this.
pub async fn set_profile(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    threshold_key: &str,
    target: Option<NtmLevel>,
) -> Result<()> {
    check_year(year)?;
    let unit = commune_in_year(store, code, year).await?;
    let actor = authz::require_role_over(store, actor, &[Role::AreaOfficer], &unit.id).await?;
    let applicable = sets_for_year(store, year).await?;
    if applicable.is_empty() {
        return Err(Error::invalid(
            "year",
            format!("no criteria set applies to {year}"),
        ));
    }
    if !applicable
        .iter()
        .any(|v| v.set.keys.iter().any(|k| k == threshold_key))
    {
        let keys = applicable[0].set.keys.join(", ");
        return Err(Error::invalid(
            "threshold_key",
            format!("`{threshold_key}` is not one of {keys}"),
        ));
    }
    if let Some(t) = target {
        if !applicable.iter().any(|v| v.set.level == t) {
            return Err(Error::invalid(
                "target",
                format!("level {} has no set in {year}", t.as_str()),
            ));
        }
    }
    let mut tx = store.begin().await?;
    ensure_editable(&mut tx, &unit, year).await?;
    let before = db::profile(tx.conn(), &unit.id, year as i64).await?;
    db::upsert_profile(
        tx.conn(),
        &unit.id,
        year as i64,
        threshold_key,
        target.map(|t| t.as_str()),
        &actor.username,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "commune_profile",
            record_id: &format!("{}/{year}", unit.code),
            unit_id: Some(&unit.id),
            before: before
                .map(|b| json!({"year": year, "key": b.threshold_key, "target": b.target_level})),
            after: Some(
                json!({"year": year, "key": threshold_key, "target": target.map(|t| t.as_str())}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One value as typed: `raw` empty clears the value.
#[derive(Debug, Clone)]
pub struct Entry {
    pub set_key: String,
    pub code: String,
    pub raw: String,
    pub note: Option<String>,
}

pub(crate) fn value_problem(e: &ValueError) -> &'static str {
    match e {
        ValueError::NeedsJudgement => "answer Đạt or Không đạt",
        ValueError::NeedsNumber => "enter a number",
        ValueError::PercentOutOfRange => "a percentage must be between 0 and 100",
        ValueError::Negative => "the number must not be negative",
        ValueError::NotANumber => "not a number",
    }
}

/// A value checked against its indicator, ready to store (`None` clears it).
#[derive(Debug, Clone)]
pub struct Checked {
    pub set_key: String,
    pub code: String,
    pub value: Option<Value>,
    pub note: Option<String>,
}

/// Checks typed entries against the sets of the year; problems are located as "SET:CODE".
fn check_entries(
    applicable: &[Arc<SetVersion>],
    year: i32,
    entries: &[Entry],
) -> Result<Vec<Checked>> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for e in entries {
        let at = format!("{}:{}", e.set_key, e.code);
        let Some(v) = applicable.iter().find(|v| v.set.key == e.set_key) else {
            problems.push(Problem::new(
                &at,
                format!("set {} does not apply to {year}", e.set_key),
            ));
            continue;
        };
        let Some(ind) = v.set.indicator(&e.code) else {
            problems.push(Problem::new(
                &at,
                format!("set {} has no indicator {}", e.set_key, e.code),
            ));
            continue;
        };
        let note_given = e
            .note
            .as_deref()
            .is_some_and(|n| !xaso_domain::text::clean(n).is_empty());
        match Value::parse(&e.raw, ind.kind) {
            // A number bound to a DT-plan indicator is computed; typing one overrides it, and an
            // override needs its reason.
            Ok(Some(_))
                if ind.dt_indicator.is_some()
                    && ind.kind != xaso_domain::criteria::Kind::Judged
                    && !note_given =>
            {
                problems.push(Problem::new(
                    &at,
                    "this value replaces the DT-plan figure: write the reason in the note",
                ))
            }
            Ok(value) => checked.push(Checked {
                set_key: e.set_key.clone(),
                code: e.code.clone(),
                value,
                note: e
                    .note
                    .as_deref()
                    .map(xaso_domain::text::clean)
                    .filter(|n| !n.is_empty()),
            }),
            Err(err) => problems.push(Problem::new(&at, value_problem(&err))),
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Stores checked values of one commune inside a transaction, with one audit entry holding every
/// change. Refuses (409) a year that is submitted or approved.
async fn write_values(
    tx: &mut xaso_storage::Tx,
    actor: &Actor,
    unit: &Unit,
    year: i32,
    checked: &[Checked],
) -> Result<usize> {
    ensure_editable(tx, unit, year).await?;
    let old: HashMap<(String, String), db::ValueRow> = db::values(tx.conn(), &unit.id, year as i64)
        .await?
        .into_iter()
        .map(|r| ((r.set_key.clone(), r.indicator_code.clone()), r))
        .collect();
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    let mut changed = 0;
    for c in checked {
        let prev = old.get(&(c.set_key.clone(), c.code.clone()));
        let new_text = c.value.map(|v| v.to_storage());
        let unchanged = match prev {
            Some(p) => Some(&p.value) == new_text.as_ref() && p.note == c.note,
            None => new_text.is_none(),
        };
        if unchanged {
            continue;
        }
        match &new_text {
            Some(text) => {
                let v = db::NewValue {
                    unit_id: &unit.id,
                    year: year as i64,
                    set_key: &c.set_key,
                    code: &c.code,
                    value: text,
                    note: c.note.as_deref(),
                    by: &actor.username,
                };
                db::upsert_value(tx.conn(), &v).await?
            }
            None => db::delete_value(tx.conn(), &unit.id, year as i64, &c.set_key, &c.code).await?,
        }
        let label = format!("{}:{}", c.set_key, c.code);
        before.insert(
            label.clone(),
            prev.map(|p| json!(p.value))
                .unwrap_or(serde_json::Value::Null),
        );
        after.insert(
            label,
            new_text
                .map(|t| json!(t))
                .unwrap_or(serde_json::Value::Null),
        );
        changed += 1;
    }
    if changed > 0 {
        crate::audit::record(
            tx,
            actor,
            crate::audit::Change {
                action: "update",
                record_type: "indicator_values",
                record_id: &format!("{}/{year}", unit.code),
                unit_id: Some(&unit.id),
                before: Some(serde_json::Value::Object(before)),
                after: Some(serde_json::Value::Object(after)),
            },
        )
        .await?;
    }
    Ok(changed)
}

/// Saves a commune's values for a year. Every entry is checked first; one bad entry saves
/// nothing and every problem is reported (at = "SET:CODE"). Commune officers of the commune,
/// area officers above it and administrators may enter values.
pub async fn save_values(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    entries: &[Entry],
) -> Result<usize> {
    check_year(year)?;
    let unit = commune_in_year(store, code, year).await?;
    let actor = authz::require_role_over(
        store,
        actor,
        &[Role::CommuneOfficer, Role::AreaOfficer],
        &unit.id,
    )
    .await?;
    let applicable = sets_for_year(store, year).await?;
    let checked = check_entries(&applicable, year, entries)?;
    let mut tx = store.begin().await?;
    let changed = write_values(&mut tx, &actor, &unit, year, &checked).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Saves checked values of several communes in one transaction: all or nothing. The actor needs
/// the right over every commune.
pub async fn save_many(
    store: &Store,
    actor: Option<&Actor>,
    year: i32,
    batches: &[(Unit, Vec<Checked>)],
) -> Result<usize> {
    check_year(year)?;
    let mut allowed = None;
    for (unit, _) in batches {
        allowed = Some(
            authz::require_role_over(
                store,
                actor,
                &[Role::CommuneOfficer, Role::AreaOfficer],
                &unit.id,
            )
            .await?,
        );
    }
    let Some(actor) = allowed else {
        return Ok(0);
    };
    let mut tx = store.begin().await?;
    let mut changed = 0;
    for (unit, checked) in batches {
        changed += write_values(&mut tx, &actor, unit, year, checked).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Where the year stands in the approval flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub state: ReviewState,
    pub comment: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

impl Review {
    fn from_row(row: Option<db::ReviewRow>) -> Review {
        match row {
            Some(r) => Review {
                state: ReviewState::parse(&r.state).unwrap_or(ReviewState::Draft),
                comment: r.comment,
                updated_by: Some(r.updated_by),
                updated_at: Some(r.updated_at),
            },
            None => Review {
                state: ReviewState::Draft,
                comment: None,
                updated_by: None,
                updated_at: None,
            },
        }
    }
}

/// Refuses changes to a year that is submitted or approved (for other modules' writes).
pub(crate) async fn ensure_editable_tx(
    tx: &mut xaso_storage::Tx,
    unit: &Unit,
    year: i32,
) -> Result<()> {
    ensure_editable(tx, unit, year).await
}

/// Refuses changes to a year that is submitted or approved.
async fn ensure_editable(tx: &mut xaso_storage::Tx, unit: &Unit, year: i32) -> Result<()> {
    let state = Review::from_row(db::review(tx.conn(), &unit.id, year as i64).await?).state;
    if state.editable() {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "{} {year} is {}; it must be returned or reopened before it changes",
            unit.full_name,
            state.as_str()
        )))
    }
}

/// Moves a commune's year through the approval flow: the commune submits; the area officer
/// approves (locking the data), returns it with a comment, or reopens an approved year with a
/// reason. Every step is audited.
pub async fn review(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    action: ReviewAction,
    comment: &str,
) -> Result<ReviewState> {
    check_year(year)?;
    let unit = commune_in_year(store, code, year).await?;
    let roles: &[Role] = if action.commune_may() {
        &[Role::CommuneOfficer, Role::AreaOfficer]
    } else {
        &[Role::AreaOfficer]
    };
    let actor = authz::require_role_over(store, actor, roles, &unit.id).await?;
    let comment = xaso_domain::text::clean(comment);
    if action.needs_comment() && comment.is_empty() {
        return Err(Error::invalid(
            "comment",
            "say why (the commune reads this)",
        ));
    }
    if action == ReviewAction::Submit {
        let missing = missing_evidence(store, &unit, year).await?;
        if !missing.is_empty() {
            return Err(Error::Invalid(
                missing
                    .into_iter()
                    .map(|(set, code)| {
                        crate::error::Problem::new(
                            "evidence",
                            format!("{set}:{code} has a value but no evidence file"),
                        )
                    })
                    .collect(),
            ));
        }
    }
    let mut tx = store.begin().await?;
    let before = Review::from_row(db::review(tx.conn(), &unit.id, year as i64).await?);
    let after = before
        .state
        .apply(action)
        .map_err(|e| Error::Conflict(e.to_string()))?;
    let comment = (!comment.is_empty()).then_some(comment);
    db::set_review(
        tx.conn(),
        &unit.id,
        year as i64,
        after.as_str(),
        comment.as_deref(),
        &actor.username,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "year_review",
            record_id: &format!("{}/{year}", unit.code),
            unit_id: Some(&unit.id),
            before: Some(json!({"state": before.state.as_str()})),
            after: Some(
                json!({"state": after.as_str(), "action": action.as_str(), "comment": comment}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A stored value with who entered it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub value: Value,
    pub note: Option<String>,
    pub entered_by: String,
    pub entered_at: String,
    /// True when nobody typed it: the value of the DT-plan indicator the set binds it to.
    pub from_dt: bool,
}

/// The DT-plan figure an indicator is bound to, for a commune and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    /// The DT-plan indicator's key.
    pub key: String,
    pub value: f64,
    /// The day the figure was computed (or entered, for an entered DT indicator).
    pub as_of: NaiveDate,
}

/// DT-plan figures of one commune: key → (value, as-of day).
pub type DtFigures = HashMap<String, (f64, NaiveDate)>;

/// The DT-plan keys the sets of a year bind to.
fn dt_keys(applicable: &[Arc<SetVersion>]) -> Vec<String> {
    let mut keys: Vec<String> = applicable
        .iter()
        .flat_map(|v| v.set.criteria.iter())
        .flat_map(|c| c.indicators.iter())
        .filter_map(|i| i.dt_indicator.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The DT-plan figures the year's sets need, of some communes (None: all).
async fn dt_figures(
    store: &Store,
    applicable: &[Arc<SetVersion>],
    year: i32,
    communes: Option<&[String]>,
) -> Result<HashMap<String, DtFigures>> {
    let keys = dt_keys(applicable);
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    crate::dt::plan::values_for(store, year, communes, &keys).await
}

/// One set's outcome for a commune, with the version it used and the values behind it.
#[derive(Debug, Clone)]
pub struct SetOutcome {
    pub version: Arc<SetVersion>,
    pub result: SetResult,
    pub values: BTreeMap<String, Stored>,
    /// Indicators bound to a DT-plan indicator, with its figure (indicator code → figure).
    pub linked: BTreeMap<String, Linked>,
}

#[derive(Debug, Clone)]
pub struct Assessment {
    pub unit: Unit,
    pub year: i32,
    pub profile: Option<Profile>,
    pub review: Review,
    pub sets: Vec<SetOutcome>,
    pub level: Option<NtmLevel>,
}

impl Assessment {
    /// Whether the commune reached its target (None without a target).
    pub fn on_track(&self) -> Option<bool> {
        self.profile
            .as_ref()?
            .target
            .map(|t| self.level.is_some_and(|l| l >= t))
    }
}

fn to_profile(p: db::ProfileRow) -> Profile {
    Profile {
        threshold_key: p.threshold_key,
        target: p.target_level.as_deref().and_then(NtmLevel::parse),
    }
}

fn evaluate(
    unit: Unit,
    year: i32,
    profile: Option<Profile>,
    review: Review,
    applicable: &[Arc<SetVersion>],
    rows: Vec<db::ValueRow>,
    dt: Option<&DtFigures>,
) -> Assessment {
    let key = profile
        .as_ref()
        .map(|p| p.threshold_key.clone())
        .unwrap_or_default();
    let mut by_set: HashMap<String, BTreeMap<String, Stored>> = HashMap::new();
    for r in rows {
        if let Some(value) = Value::from_storage(&r.value) {
            by_set.entry(r.set_key).or_default().insert(
                r.indicator_code,
                Stored {
                    value,
                    note: r.note,
                    entered_by: r.entered_by,
                    entered_at: r.entered_at,
                    from_dt: false,
                },
            );
        }
    }
    let target = profile.as_ref().and_then(|p| p.target);
    let mut outcomes = Vec::with_capacity(applicable.len());
    // A pilot framework counts only for the communes taking part: those aiming at its level.
    for v in applicable
        .iter()
        .filter(|v| !v.set.pilot || target == Some(v.set.level))
    {
        let mut values = by_set.remove(&v.set.key).unwrap_or_default();
        let mut linked = BTreeMap::new();
        for i in v.set.criteria.iter().flat_map(|c| c.indicators.iter()) {
            let Some(key) = &i.dt_indicator else { continue };
            let Some((value, as_of)) = dt.and_then(|d| d.get(key)).copied() else {
                continue;
            };
            linked.insert(
                i.code.clone(),
                Linked {
                    key: key.clone(),
                    value,
                    as_of,
                },
            );
            // A number indicator takes the figure unless an officer entered a value (with a
            // reason); a judged one keeps the officer's judgement and shows the figure beside.
            if i.kind != xaso_domain::criteria::Kind::Judged && !values.contains_key(&i.code) {
                let value = if i.kind.is_percent() {
                    value.clamp(0.0, 100.0)
                } else {
                    value
                };
                values.insert(
                    i.code.clone(),
                    Stored {
                        value: Value::Number(value),
                        note: None,
                        entered_by: String::new(),
                        entered_at: as_of.to_string(),
                        from_dt: true,
                    },
                );
            }
        }
        let plain: BTreeMap<String, Value> =
            values.iter().map(|(k, s)| (k.clone(), s.value)).collect();
        let result = assess_set(&v.set, &key, year, &plain);
        outcomes.push(SetOutcome {
            version: Arc::clone(v),
            result,
            values,
            linked,
        });
    }
    let level = if profile.is_some() {
        let statuses: Vec<(&CriteriaSet, Status)> = outcomes
            .iter()
            .map(|o| (&o.version.set, o.result.status))
            .collect();
        level_reached(&statuses)
    } else {
        None
    };
    Assessment {
        unit,
        year,
        profile,
        review,
        sets: outcomes,
        level,
    }
}

/// Values that need evidence (the set says so) but have no file: a year with any cannot be
/// submitted.
async fn missing_evidence(store: &Store, unit: &Unit, year: i32) -> Result<Vec<(String, String)>> {
    let a = assess(store, &unit.code, year, None).await?;
    let files: Vec<crate::evidence::Evidence> = {
        let mut conn = store.read().await?;
        xaso_storage::evidence::of_year(&mut conn, &unit.id, year as i64)
            .await?
            .into_iter()
            .map(Into::into)
            .collect()
    };
    Ok(crate::evidence::missing(&a, &files))
}

/// Assesses one commune for a year against every set that applies.
pub async fn assess(
    store: &Store,
    code: &str,
    year: i32,
    day: Option<NaiveDate>,
) -> Result<Assessment> {
    check_year(year)?;
    let unit = match day {
        Some(day) => commune(store, code, day).await?,
        None => commune_in_year(store, code, year).await?,
    };
    let applicable = sets_for_year(store, year).await?;
    let mut conn = store.read().await?;
    let profile = db::profile(&mut conn, &unit.id, year as i64)
        .await?
        .map(to_profile);
    let rows = db::values(&mut conn, &unit.id, year as i64).await?;
    let review = Review::from_row(db::review(&mut conn, &unit.id, year as i64).await?);
    drop(conn);
    let dt = dt_figures(
        store,
        &applicable,
        year,
        Some(std::slice::from_ref(&unit.id)),
    )
    .await?;
    Ok(evaluate(
        unit.clone(),
        year,
        profile,
        review,
        &applicable,
        rows,
        dt.get(&unit.id),
    ))
}

/// Communes below an area and their levels for a year.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub unit: Unit,
    pub year: i32,
    pub day: NaiveDate,
    /// Only xã are assessed for NTM; thị trấn and phường are not counted.
    pub communes: Vec<Assessment>,
    /// How many communes reached at least each level.
    pub at_least: BTreeMap<NtmLevel, usize>,
    pub on_track: usize,
    pub with_target: usize,
}

/// Rolls up the xã under any unit above communes (a district before 2025, a province).
pub async fn rollup(
    store: &Store,
    code: &str,
    year: i32,
    day: Option<NaiveDate>,
) -> Result<Rollup> {
    check_year(year)?;
    let (unit, day) = match day {
        Some(day) => (crate::units::by_code(store, code, day).await?, day),
        None => unit_in_year(store, code, year).await?,
    };
    if unit.level == Level::Commune || unit.level == Level::Village {
        return Err(Error::invalid(
            "unit",
            format!("{} is not above communes", unit.full_name),
        ));
    }
    let mut conn = store.read().await?;
    let communes: Vec<Unit> = units::subtree(&mut conn, &unit.id)
        .await?
        .into_iter()
        .filter(|u| u.level == Level::Commune && u.unit_type == "Xã" && u.validity().contains(day))
        .collect();
    drop(conn);
    let assessed = assess_many(store, communes, year).await?;
    let applicable = sets_for_year(store, year).await?;
    let mut at_least = BTreeMap::new();
    for v in &applicable {
        let n = assessed
            .iter()
            .filter(|a| a.level.is_some_and(|l| l >= v.set.level))
            .count();
        at_least.insert(v.set.level, n);
    }
    let with_target = assessed.iter().filter(|a| a.on_track().is_some()).count();
    let on_track = assessed
        .iter()
        .filter(|a| a.on_track() == Some(true))
        .count();
    Ok(Rollup {
        unit,
        year,
        day,
        communes: assessed,
        at_least,
        on_track,
        with_target,
    })
}

/// Assesses many communes with a fixed number of queries (sets, profiles and values of the year
/// are read once).
pub async fn assess_many(store: &Store, communes: Vec<Unit>, year: i32) -> Result<Vec<Assessment>> {
    let applicable = sets_for_year(store, year).await?;
    let mut conn = store.read().await?;
    let mut profiles: HashMap<String, Profile> = db::profiles_of_year(&mut conn, year as i64)
        .await?
        .into_iter()
        .map(|p| (p.unit_id.clone(), to_profile(p)))
        .collect();
    let mut values: HashMap<String, Vec<db::ValueRow>> = HashMap::new();
    for (unit_id, packed) in
        db::packed_values_of_year(&mut conn, store.engine(), year as i64).await?
    {
        let rows = packed
            .split(';')
            .filter_map(|item| {
                let (key, value) = item.split_once('=')?;
                let (set_key, code) = key.split_once(':')?;
                Some(db::ValueRow {
                    unit_id: String::new(),
                    set_key: set_key.to_string(),
                    indicator_code: code.to_string(),
                    value: value.to_string(),
                    note: None,
                    entered_by: String::new(),
                    entered_at: String::new(),
                })
            })
            .collect();
        values.insert(unit_id, rows);
    }
    let mut reviews: HashMap<String, db::ReviewRow> = db::reviews_of_year(&mut conn, year as i64)
        .await?
        .into_iter()
        .map(|r| (r.unit_id, r.review))
        .collect();
    drop(conn);
    let ids: Vec<String> = communes.iter().map(|u| u.id.clone()).collect();
    let dt = dt_figures(store, &applicable, year, Some(&ids)).await?;
    Ok(communes
        .into_iter()
        .map(|u| {
            let id = u.id.clone();
            evaluate(
                u,
                year,
                profiles.remove(&id),
                Review::from_row(reviews.remove(&id)),
                &applicable,
                values.remove(&id).unwrap_or_default(),
                dt.get(&id),
            )
        })
        .collect())
}

/// Every xã in the country valid at the end of `year`, assessed.
pub async fn assess_all(store: &Store, year: i32) -> Result<Vec<Assessment>> {
    check_year(year)?;
    let mut conn = store.read().await?;
    let communes: Vec<Unit> = units::communes_on(&mut conn, default_day(year))
        .await?
        .into_iter()
        .filter(|u| u.unit_type == "Xã")
        .collect();
    drop(conn);
    assess_many(store, communes, year).await
}

/// The unmet indicators of an assessment, for the gap report.
#[derive(Debug, Clone)]
pub struct Gap {
    pub set_key: String,
    pub level: NtmLevel,
    pub criterion: String,
    pub code: String,
    pub name_vi: String,
    pub status: Status,
    pub value: Option<Value>,
    pub threshold: Option<f64>,
    pub distance: Option<f64>,
}

/// Every indicator not met in the sets up to the target level; without a target, up to the
/// level just above the one reached.
pub fn gaps(a: &Assessment) -> Vec<Gap> {
    let next = a
        .sets
        .iter()
        .map(|o| o.version.set.level)
        .find(|l| a.level.is_none_or(|reached| *l > reached));
    let limit = a.profile.as_ref().and_then(|p| p.target).or(next);
    let mut out = Vec::new();
    for o in &a.sets {
        if limit.is_some_and(|t| o.version.set.level > t) {
            continue;
        }
        for (c, cr) in o.version.set.criteria.iter().zip(&o.result.criteria) {
            for (i, ir) in c.indicators.iter().zip(&cr.indicators) {
                if ir.status != Status::Met {
                    out.push(Gap {
                        set_key: o.version.set.key.clone(),
                        level: o.version.set.level,
                        criterion: c.no.clone(),
                        code: i.code.clone(),
                        name_vi: i.name_vi.clone(),
                        status: ir.status,
                        value: ir.value,
                        threshold: ir.threshold,
                        distance: ir.gap,
                    });
                }
            }
        }
    }
    out
}

/// One year on a commune's public scorecard.
#[derive(Debug, Clone)]
pub struct YearLine {
    pub year: i32,
    pub level: Option<NtmLevel>,
    pub target: Option<NtmLevel>,
    /// Criteria met in the first (NTM) set of the year, and its total.
    pub criteria_met: usize,
    pub criteria_total: usize,
    pub review: ReviewState,
    /// Whether any value was entered that year.
    pub has_data: bool,
}

/// A commune's public record: levels and criteria met by year, and — for a commune formed in a
/// merger — the records of the communes it was formed from. Nothing private: no notes, no names.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub unit: Unit,
    pub years: Vec<YearLine>,
    pub predecessors: Vec<(Unit, Vec<YearLine>)>,
}

impl Scorecard {
    /// The newest year with data.
    pub fn latest(&self) -> Option<&YearLine> {
        self.years.iter().rev().find(|y| y.has_data)
    }
}

async fn year_lines(store: &Store, unit: &Unit) -> Result<Vec<YearLine>> {
    use chrono::Datelike;
    let first = unit.valid_from.map(|d| d.year()).unwrap_or(2022).max(2022);
    let last = unit
        .valid_to
        .map(|d| d.year())
        .unwrap_or(i32::MAX)
        .min(xaso_domain::time::today_vn().year());
    let mut out = Vec::new();
    for year in first..=last {
        let applicable = sets_for_year(store, year).await?;
        let mut conn = store.read().await?;
        let profile = db::profile(&mut conn, &unit.id, year as i64)
            .await?
            .map(to_profile);
        let rows = db::values(&mut conn, &unit.id, year as i64).await?;
        let review = Review::from_row(db::review(&mut conn, &unit.id, year as i64).await?);
        drop(conn);
        let has_data = !rows.is_empty();
        let dt = dt_figures(
            store,
            &applicable,
            year,
            Some(std::slice::from_ref(&unit.id)),
        )
        .await?;
        let a = evaluate(
            unit.clone(),
            year,
            profile,
            review,
            &applicable,
            rows,
            dt.get(&unit.id),
        );
        out.push(YearLine {
            year,
            level: a.level,
            target: a.profile.as_ref().and_then(|p| p.target),
            criteria_met: a.sets.first().map(|s| s.result.criteria_met).unwrap_or(0),
            criteria_total: a.sets.first().map(|s| s.result.criteria_total).unwrap_or(0),
            review: a.review.state,
            has_data,
        });
    }
    Ok(out)
}

/// The public scorecard of the commune that has `code` on `day` (today by default).
pub async fn scorecard(store: &Store, code: &str, day: Option<NaiveDate>) -> Result<Scorecard> {
    let day = day.unwrap_or_else(xaso_domain::time::today_vn);
    let unit = match crate::units::by_code(store, code, day).await {
        Ok(u) => u,
        // A code no longer in use opens on its last period.
        Err(Error::NotFound) => crate::units::periods(store, code)
            .await?
            .pop()
            .ok_or(Error::NotFound)?,
        Err(e) => return Err(e),
    };
    if unit.level != Level::Commune {
        return Err(Error::invalid(
            "unit",
            format!("{} is not a commune", unit.full_name),
        ));
    }
    let years = year_lines(store, &unit).await?;
    let mut predecessors = Vec::new();
    let links = {
        let mut conn = store.read().await?;
        units::predecessors(&mut conn, &unit.id).await?
    };
    for link in links {
        let lines = year_lines(store, &link.unit).await?;
        predecessors.push((link.unit, lines));
    }
    Ok(Scorecard {
        unit,
        years,
        predecessors,
    })
}

/// One condition for a district to be recognised as NTM (2021–2025, Decision 320/QĐ-TTg), as far
/// as commune data can tell.
#[derive(Debug, Clone)]
pub struct DistrictCondition {
    /// "H1" … "H5", as in shared/reference/ntm-criteria-2021-2025.yaml.
    pub id: &'static str,
    /// `None` when the platform does not track what the condition needs yet.
    pub met: Option<bool>,
    /// The figure behind it, e.g. "16/17".
    pub figure: Option<String>,
}

/// The district conditions of 320/QĐ-TTg for a roll-up of a district in 2021–2025: 100% of xã at
/// NTM (H1) and at least 10% at NTM nâng cao (H2) come from commune data; the others (towns'
/// civilised-urban standard, residents' satisfaction, the nine district criteria) are not tracked.
pub fn district_conditions(r: &Rollup) -> Vec<DistrictCondition> {
    if r.unit.level != Level::District || r.year > 2025 {
        return Vec::new();
    }
    let total = r.communes.len();
    let ntm = r.at_least.get(&NtmLevel::Ntm).copied().unwrap_or(0);
    let nang_cao = r.at_least.get(&NtmLevel::NangCao).copied().unwrap_or(0);
    vec![
        DistrictCondition {
            id: "H1",
            met: Some(total > 0 && ntm == total),
            figure: Some(format!("{ntm}/{total}")),
        },
        DistrictCondition {
            id: "H2",
            met: Some(total > 0 && nang_cao * 10 >= total),
            figure: Some(format!(
                "{nang_cao}/{total} ({}%)",
                (nang_cao * 100).checked_div(total).unwrap_or(0)
            )),
        },
        DistrictCondition {
            id: "H3",
            met: None,
            figure: None,
        },
        DistrictCondition {
            id: "H4",
            met: None,
            figure: None,
        },
        DistrictCondition {
            id: "H5",
            met: None,
            figure: None,
        },
    ]
}

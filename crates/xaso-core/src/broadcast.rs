//! Loudspeakers and public e-bulletin boards: bulletins and their approval, programmes of
//! daily slots per device group, what each device is to play (`devices`) and the media it
//! plays (`media`). Writers are the unit's commune and area officers; every change is audited
//! and moves the schedules' version, so devices fetch again.

pub mod devices;
pub mod media;
pub mod speech;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::broadcast::{
    check_bulletin, parse_slots, BulletinInput, BulletinKind, BulletinStatus, Candidate, Medium,
    Priority, Slot, Source, Weekdays,
};
use xaso_domain::units::{Level, Unit};
use xaso_storage::broadcast::{self as db, BulletinRow, ProgrammeRow};
use xaso_storage::Store;

use crate::{authz, Actor, Error, Result};

/// Who writes, approves and schedules a unit's bulletins.
pub const WRITERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

/// The ICT register's kinds that play: loudspeaker cluster heads and board players.
pub const SPEAKER_KIND: &str = "speaker_cluster";
pub const BOARD_KIND: &str = "e_board";

/// What a device of this ICT kind drives, if it plays at all.
pub fn medium_of_kind(kind: &str) -> Option<Medium> {
    match kind {
        SPEAKER_KIND => Some(Medium::Speaker),
        BOARD_KIND => Some(Medium::Board),
        _ => None,
    }
}

/// A bulletin with its meaning read.
#[derive(Debug, Clone)]
pub struct Bulletin {
    pub row: BulletinRow,
    pub kind: BulletinKind,
    pub priority: Priority,
    pub source: Source,
    pub status: BulletinStatus,
    pub unit: Unit,
    /// Where a priority bulletin airs: the commune or one of its villages.
    pub target: Unit,
}

fn moment(s: &Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(xaso_domain::time::from_storage)
}

impl Bulletin {
    pub fn valid_from(&self) -> Option<DateTime<Utc>> {
        moment(&self.row.valid_from)
    }

    pub fn valid_to(&self) -> Option<DateTime<Utc>> {
        moment(&self.row.valid_to)
    }

    /// What approval still needs, if anything: audio needs its recording, a slide its picture.
    pub fn missing(&self) -> Option<&'static str> {
        match self.kind {
            BulletinKind::Audio if self.row.media_key.is_none() || self.row.duration_ms <= 0 => {
                Some("upload the recording (MP3, Ogg or WAV) before approving")
            }
            BulletinKind::Slide if self.row.media_key.is_none() => {
                Some("upload the slide's picture before approving")
            }
            _ => None,
        }
    }

    /// How long it lasts on a medium: the recording (or the speech made of a text) on
    /// speakers, the time it is shown on boards.
    pub fn length_on(&self, medium: Medium) -> i64 {
        match medium {
            Medium::Speaker => self.row.duration_ms,
            Medium::Board => self.row.show_ms,
        }
    }

    /// The bulletin as the planner sees it on a medium (approved ones only).
    pub fn candidate(&self, medium: Medium) -> Option<Candidate> {
        candidate_of(&self.row, medium)
    }
}

/// A stored bulletin as the planner sees it on a medium: approved ones that play there, with
/// their length on it (the recording's on speakers, the time shown on boards).
pub fn candidate_of(row: &BulletinRow, medium: Medium) -> Option<Candidate> {
    let kind = BulletinKind::parse(&row.kind)?;
    if row.status != BulletinStatus::Approved.as_str() || !medium.plays(kind) {
        return None;
    }
    Some(Candidate {
        id: row.id.clone(),
        priority: Priority::parse(&row.priority)?,
        rank: row.clash_order,
        approved_at: moment(&row.approved_at)?,
        duration_ms: match medium {
            Medium::Speaker => row.duration_ms,
            Medium::Board => row.show_ms,
        },
        valid_from: moment(&row.valid_from),
        valid_to: moment(&row.valid_to),
    })
}

/// Units read once per call, by id.
#[derive(Default)]
struct Units(HashMap<String, Unit>);

impl Units {
    async fn get(&mut self, store: &Store, id: &str) -> Result<Unit> {
        if let Some(u) = self.0.get(id) {
            return Ok(u.clone());
        }
        let mut conn = store.read().await?;
        let u = xaso_storage::units::by_id(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?;
        self.0.insert(id.to_string(), u.clone());
        Ok(u)
    }

    async fn bulletin(&mut self, store: &Store, row: BulletinRow) -> Result<Bulletin> {
        let unit = self.get(store, &row.unit_id).await?;
        let target = self.get(store, &row.target_unit_id).await?;
        Ok(Bulletin {
            kind: BulletinKind::parse(&row.kind).unwrap_or(BulletinKind::Text),
            priority: Priority::parse(&row.priority).unwrap_or(Priority::Normal),
            source: Source::parse(&row.source).unwrap_or(Source::Commune),
            status: BulletinStatus::parse(&row.status).unwrap_or(BulletinStatus::Draft),
            row,
            unit,
            target,
        })
    }
}

/// Whether the actor writes the unit's bulletins and programmes.
pub async fn writes(store: &Store, actor: Option<&Actor>, unit_id: &str) -> Result<bool> {
    match actor {
        Some(a) => authz::has_role_over(store, a, WRITERS, unit_id).await,
        None => Ok(false),
    }
}

async fn require_writer<'a>(
    store: &Store,
    actor: Option<&'a Actor>,
    unit_id: &str,
) -> Result<&'a Actor> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    if !authz::has_role_over(store, a, WRITERS, unit_id).await? {
        return Err(Error::Forbidden);
    }
    Ok(a)
}

/// The unit with this code today.
pub async fn unit(store: &Store, code: &str) -> Result<Unit> {
    crate::units::by_code(store, code, xaso_domain::time::today_vn()).await
}

/// A unit by its id.
pub async fn unit_by_id(store: &Store, id: &str) -> Result<Unit> {
    Units::default().get(store, id).await
}

/// A bulletin, for the writers of its unit.
pub async fn bulletin(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Bulletin> {
    let row = {
        let mut conn = store.read().await?;
        db::bulletin(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    require_writer(store, actor, &row.unit_id).await?;
    Units::default().bulletin(store, row).await
}

/// A unit's bulletins, newest first (its writers).
pub async fn bulletins(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<Bulletin>)> {
    let unit = unit(store, code).await?;
    require_writer(store, actor, &unit.id).await?;
    let rows = {
        let mut conn = store.read().await?;
        db::bulletins(&mut conn, &unit.id, 500).await?
    };
    let mut units = Units::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(units.bulletin(store, r).await?);
    }
    Ok((unit, out))
}

/// The programmes a bulletin is in (its unit's writers).
pub async fn programmes_of(
    store: &Store,
    actor: Option<&Actor>,
    bulletin: &Bulletin,
) -> Result<Vec<ProgrammeRow>> {
    require_writer(store, actor, &bulletin.row.unit_id).await?;
    let mut conn = store.read().await?;
    Ok(db::programmes_of(&mut conn, &bulletin.row.id).await?)
}

/// The unit's loudspeakers and boards in service: (asset id, "tag · name", medium).
pub async fn players_of(
    store: &Store,
    actor: Option<&Actor>,
    unit: &Unit,
) -> Result<Vec<(String, String, Medium)>> {
    require_writer(store, actor, &unit.id).await?;
    let mut conn = store.read().await?;
    Ok(
        xaso_storage::ict::assets_of_kinds(&mut conn, &unit.id, &[SPEAKER_KIND, BOARD_KIND])
            .await?
            .into_iter()
            .filter_map(|a| {
                let m = medium_of_kind(&a.kind)?;
                Some((a.id, format!("{} · {}", a.tag, a.name), m))
            })
            .collect(),
    )
}

/// The villages of a commune today (where its bulletins and programmes can aim).
pub async fn villages(store: &Store, unit: &Unit) -> Result<Vec<Unit>> {
    if unit.level != Level::Commune {
        return Ok(Vec::new());
    }
    let (_, kids) =
        crate::units::children(store, &unit.code, xaso_domain::time::today_vn()).await?;
    Ok(kids)
}

/// The unit itself or one of its villages, by code (empty: the unit).
async fn target_of(store: &Store, unit: &Unit, code: &str) -> Result<Unit> {
    let code = code.trim();
    if code.is_empty() || code == unit.code {
        return Ok(unit.clone());
    }
    villages(store, unit)
        .await?
        .into_iter()
        .find(|v| v.code == code)
        .ok_or_else(|| Error::invalid("target", "choose the commune or one of its villages"))
}

/// Writes one audit entry.
async fn audit(
    tx: &mut xaso_storage::Tx,
    actor: &Actor,
    change: crate::audit::Change<'_>,
) -> Result<()> {
    crate::audit::record(tx, actor, change).await
}

fn change<'a>(
    action: &'a str,
    record_type: &'a str,
    id: &'a str,
    unit_id: &'a str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> crate::audit::Change<'a> {
    crate::audit::Change {
        action,
        record_type,
        record_id: id,
        unit_id: Some(unit_id),
        before,
        after,
    }
}

fn summary(b: &BulletinRow) -> serde_json::Value {
    json!({
        "kind": b.kind, "title": b.title, "body": b.body, "priority": b.priority,
        "source": b.source, "target_unit_id": b.target_unit_id, "clash_order": b.clash_order,
        "show_ms": b.show_ms, "valid_from": b.valid_from, "valid_to": b.valid_to,
        "status": b.status, "media_sha256": b.media_sha256, "duration_ms": b.duration_ms,
    })
}

/// Writes a new bulletin (a draft) for the unit.
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &BulletinInput,
    target: &str,
) -> Result<Bulletin> {
    let unit = unit(store, code).await?;
    let a = require_writer(store, actor, &unit.id).await?;
    let f = check_bulletin(input).map_err(Error::problems)?;
    if f.priority == Priority::Emergency {
        return Err(Error::invalid(
            "priority",
            "an emergency is sent as an emergency alert, which interrupts every device at once",
        ));
    }
    let target = target_of(store, &unit, target).await?;
    let now = xaso_storage::now();
    let row = BulletinRow {
        id: xaso_storage::new_id(),
        unit_id: unit.id.clone(),
        target_unit_id: target.id.clone(),
        kind: f.kind.as_str().into(),
        title: f.title,
        body: f.body,
        priority: f.priority.as_str().into(),
        source: f.source.as_str().into(),
        clash_order: f.rank,
        show_ms: f.show_ms,
        duration_ms: 0,
        media_key: None,
        media_type: None,
        media_bytes: None,
        media_sha256: None,
        valid_from: f.valid_from.map(xaso_domain::time::to_storage),
        valid_to: f.valid_to.map(xaso_domain::time::to_storage),
        status: BulletinStatus::Draft.as_str().into(),
        created_by: a.username.clone(),
        created_at: now.clone(),
        updated_by: a.username.clone(),
        updated_at: now,
        approved_by: None,
        approved_at: None,
    };
    let mut tx = store.begin().await?;
    db::save_bulletin(tx.conn(), &row).await?;
    speech::enqueue(&mut tx, &row).await?;
    audit(
        &mut tx,
        a,
        change(
            "create",
            "bulletin",
            &row.id,
            &unit.id,
            None,
            Some(summary(&row)),
        ),
    )
    .await?;
    tx.commit().await?;
    Units::default().bulletin(store, row).await
}

/// Changes a bulletin (its kind stays). An approved one goes back to draft and must be
/// approved again; a withdrawn one cannot change.
pub async fn update(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    input: &BulletinInput,
    target: &str,
) -> Result<Bulletin> {
    let b = bulletin(store, actor, id).await?;
    let a = actor.expect("bulletin() checked the actor");
    if b.status == BulletinStatus::Withdrawn {
        return Err(Error::Conflict("a withdrawn bulletin cannot change".into()));
    }
    let input = BulletinInput {
        kind: b.kind.as_str().into(),
        ..input.clone()
    };
    let f = check_bulletin(&input).map_err(Error::problems)?;
    if f.priority == Priority::Emergency {
        return Err(Error::invalid(
            "priority",
            "an emergency is sent as an emergency alert, which interrupts every device at once",
        ));
    }
    let target = target_of(store, &b.unit, target).await?;
    let row = BulletinRow {
        target_unit_id: target.id.clone(),
        title: f.title,
        body: f.body,
        priority: f.priority.as_str().into(),
        source: f.source.as_str().into(),
        clash_order: f.rank,
        show_ms: f.show_ms,
        valid_from: f.valid_from.map(xaso_domain::time::to_storage),
        valid_to: f.valid_to.map(xaso_domain::time::to_storage),
        status: BulletinStatus::Draft.as_str().into(),
        approved_by: None,
        approved_at: None,
        updated_by: a.username.clone(),
        updated_at: xaso_storage::now(),
        ..b.row.clone()
    };
    let mut tx = store.begin().await?;
    db::save_bulletin(tx.conn(), &row).await?;
    if row.body != b.row.body {
        speech::enqueue(&mut tx, &row).await?;
    }
    if b.status == BulletinStatus::Approved {
        db::bump_version(tx.conn()).await?;
    }
    audit(
        &mut tx,
        a,
        change(
            "update",
            "bulletin",
            &row.id,
            &row.unit_id,
            Some(summary(&b.row)),
            Some(summary(&row)),
        ),
    )
    .await?;
    tx.commit().await?;
    Units::default().bulletin(store, row).await
}

/// Approves a draft: from now it airs where it is scheduled (and, for a priority bulletin,
/// at the front of the next slot of every device it aims at).
pub async fn approve(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Bulletin> {
    set_status(store, actor, id, BulletinStatus::Approved).await
}

/// Withdraws a bulletin: devices drop it at their next fetch.
pub async fn withdraw(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Bulletin> {
    set_status(store, actor, id, BulletinStatus::Withdrawn).await
}

async fn set_status(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    to: BulletinStatus,
) -> Result<Bulletin> {
    let b = bulletin(store, actor, id).await?;
    let a = actor.expect("bulletin() checked the actor");
    match (b.status, to) {
        (BulletinStatus::Draft, BulletinStatus::Approved) => {
            if let Some(why) = b.missing() {
                return Err(Error::invalid("media", why));
            }
        }
        (BulletinStatus::Draft | BulletinStatus::Approved, BulletinStatus::Withdrawn) => {}
        _ => {
            return Err(Error::Conflict(format!(
                "a {} bulletin cannot become {}",
                b.status.as_str(),
                to.as_str()
            )))
        }
    }
    let now = xaso_storage::now();
    let row = BulletinRow {
        status: to.as_str().into(),
        approved_by: (to == BulletinStatus::Approved)
            .then(|| a.username.clone())
            .or(b.row.approved_by.clone()),
        approved_at: (to == BulletinStatus::Approved)
            .then(|| now.clone())
            .or(b.row.approved_at.clone()),
        updated_by: a.username.clone(),
        updated_at: now,
        ..b.row.clone()
    };
    let mut tx = store.begin().await?;
    db::save_bulletin(tx.conn(), &row).await?;
    db::bump_version(tx.conn()).await?;
    let action = if to == BulletinStatus::Approved {
        "approve"
    } else {
        "withdraw"
    };
    audit(
        &mut tx,
        a,
        change(
            action,
            "bulletin",
            &row.id,
            &row.unit_id,
            Some(json!({"status": b.row.status})),
            Some(json!({"status": row.status})),
        ),
    )
    .await?;
    tx.commit().await?;
    Units::default().bulletin(store, row).await
}

/// A programme with its meaning read and its bulletins in order.
#[derive(Debug, Clone)]
pub struct Programme {
    pub row: ProgrammeRow,
    pub medium: Medium,
    pub weekdays: Weekdays,
    pub slots: Vec<Slot>,
    /// The commune or village it aims at (when not one device).
    pub target_unit: Option<Unit>,
    /// The one device it aims at: (asset id, its name).
    pub target_asset: Option<(String, String)>,
    pub items: Vec<Bulletin>,
}

/// A programme as its writer types it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProgrammeInput {
    #[serde(default)]
    pub name: String,
    /// speaker or board
    #[serde(default)]
    pub medium: String,
    /// A unit code (the commune or a village), or `asset:<id>` for one device.
    #[serde(default)]
    pub target: String,
    /// Days as Vietnamese write them: 2 … 7, CN.
    #[serde(default)]
    pub weekdays: Vec<String>,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// `05:30-06:00, 17:00-17:30`
    #[serde(default)]
    pub slots: String,
    /// Bulletin ids in the order they air.
    #[serde(default)]
    pub items: Vec<String>,
}

async fn programme_view(
    store: &Store,
    units: &mut Units,
    row: ProgrammeRow,
    items: Vec<BulletinRow>,
) -> Result<Programme> {
    let target_unit = match &row.target_unit_id {
        Some(id) => Some(units.get(store, id).await?),
        None => None,
    };
    let target_asset = match &row.target_asset_id {
        Some(id) => {
            let mut conn = store.read().await?;
            xaso_storage::ict::asset(&mut conn, id)
                .await?
                .map(|a| (a.id, format!("{} · {}", a.tag, a.name)))
        }
        None => None,
    };
    let mut bulletins = Vec::with_capacity(items.len());
    for b in items {
        bulletins.push(units.bulletin(store, b).await?);
    }
    Ok(Programme {
        medium: Medium::parse(&row.medium).unwrap_or(Medium::Speaker),
        weekdays: Weekdays(row.weekdays as u8),
        slots: parse_slots(&row.slots).unwrap_or_default(),
        target_unit,
        target_asset,
        items: bulletins,
        row,
    })
}

/// A unit's programmes with their bulletins (its writers).
pub async fn programmes(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<Programme>)> {
    let unit = unit(store, code).await?;
    require_writer(store, actor, &unit.id).await?;
    let (rows, items) = {
        let mut conn = store.read().await?;
        let rows = db::programmes(&mut conn, &unit.id).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let items = db::items(&mut conn, &ids, false).await?;
        (rows, items)
    };
    let mut by_programme: HashMap<String, Vec<BulletinRow>> = HashMap::new();
    for (p, b) in items {
        by_programme.entry(p).or_default().push(b);
    }
    let mut units = Units::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let items = by_programme.remove(&r.id).unwrap_or_default();
        out.push(programme_view(store, &mut units, r, items).await?);
    }
    Ok((unit, out))
}

/// One programme (its unit's writers).
pub async fn programme(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Programme> {
    let (row, items) = {
        let mut conn = store.read().await?;
        let row = db::programme(&mut conn, id).await?.ok_or(Error::NotFound)?;
        let items = db::items(&mut conn, std::slice::from_ref(&row.id), false).await?;
        (row, items)
    };
    require_writer(store, actor, &row.unit_id).await?;
    let items = items.into_iter().map(|(_, b)| b).collect();
    programme_view(store, &mut Units::default(), row, items).await
}

fn parse_day(
    field: &'static str,
    s: &str,
    problems: &mut Vec<(&'static str, String)>,
) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        return None;
    }
    let d = xaso_domain::time::parse_date(s);
    if d.is_none() {
        problems.push((field, "write the date as dd/mm/yyyy".into()));
    }
    d
}

/// Writes a programme of the unit (new when `id` is `None`).
pub async fn save_programme(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    id: Option<&str>,
    input: &ProgrammeInput,
) -> Result<Programme> {
    let unit = unit(store, code).await?;
    let a = require_writer(store, actor, &unit.id).await?;
    let before = match id {
        Some(id) => {
            let mut conn = store.read().await?;
            let p = db::programme(&mut conn, id).await?.ok_or(Error::NotFound)?;
            if p.unit_id != unit.id {
                return Err(Error::NotFound);
            }
            Some(p)
        }
        None => None,
    };
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let name = xaso_domain::text::clean(&input.name);
    if name.is_empty() || name.chars().count() > 120 {
        problems.push((
            "name",
            "a programme needs a name (at most 120 characters)".into(),
        ));
    }
    let medium = Medium::parse(&input.medium);
    if medium.is_none() {
        problems.push(("medium", "choose loudspeakers or boards".into()));
    }
    let weekdays = Weekdays::from_vn_days(input.weekdays.iter().map(String::as_str));
    if weekdays.0 == 0 {
        problems.push(("weekdays", "choose at least one day of the week".into()));
    }
    let slots = match parse_slots(&input.slots) {
        Ok(s) => s,
        Err(e) => {
            problems.push(("slots", e));
            Vec::new()
        }
    };
    let from = parse_day("valid_from", &input.valid_from, &mut problems);
    let to = parse_day("valid_to", &input.valid_to, &mut problems);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            problems.push((
                "valid_to",
                "the last day must not be before the first".into(),
            ));
        }
    }
    // The devices it aims at: one of the unit's speakers or boards, or the unit or a village.
    let (target_unit, target_asset) = match input.target.trim().strip_prefix("asset:") {
        Some(asset_id) => {
            let mut conn = store.read().await?;
            match xaso_storage::ict::asset(&mut conn, asset_id).await? {
                Some(asset)
                    if asset.unit_id == unit.id
                        && medium.is_some()
                        && medium_of_kind(&asset.kind) == medium =>
                {
                    (None, Some(asset.id))
                }
                _ => {
                    problems.push((
                        "target",
                        "choose one of the commune's devices of this medium".into(),
                    ));
                    (None, None)
                }
            }
        }
        None => match target_of(store, &unit, &input.target).await {
            Ok(t) => (Some(t.id), None),
            Err(_) => {
                problems.push((
                    "target",
                    "choose the commune, one of its villages or a device".into(),
                ));
                (None, None)
            }
        },
    };
    // Its bulletins: the unit's own, playable on the medium, not withdrawn; each once.
    let mut items: Vec<String> = Vec::new();
    {
        let mut conn = store.read().await?;
        for bid in input
            .items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            if items.iter().any(|i| i == bid) {
                continue;
            }
            let ok = db::bulletin(&mut conn, bid).await?.is_some_and(|b| {
                b.unit_id == unit.id
                    && b.status != BulletinStatus::Withdrawn.as_str()
                    && BulletinKind::parse(&b.kind)
                        .is_some_and(|k| medium.is_none_or(|m| m.plays(k)))
            });
            if !ok {
                problems.push(("items", "a bulletin of the list is not the commune's, was withdrawn, or does not play on this medium".into()));
                break;
            }
            items.push(bid.to_string());
        }
    }
    let Some(medium) = medium.filter(|_| problems.is_empty()) else {
        return Err(Error::problems(problems));
    };
    let row = ProgrammeRow {
        id: before
            .as_ref()
            .map(|b| b.id.clone())
            .unwrap_or_else(xaso_storage::new_id),
        unit_id: unit.id.clone(),
        name,
        medium: medium.as_str().into(),
        target_unit_id: target_unit,
        target_asset_id: target_asset,
        weekdays: i64::from(weekdays.0),
        valid_from: from.map(|d| d.to_string()),
        valid_to: to.map(|d| d.to_string()),
        slots: slots.iter().map(Slot::label).collect::<Vec<_>>().join(","),
        updated_by: a.username.clone(),
        updated_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::save_programme(tx.conn(), &row).await?;
    db::set_items(tx.conn(), &row.id, &items).await?;
    db::bump_version(tx.conn()).await?;
    let view = |p: &ProgrammeRow, items: Option<&[String]>| {
        json!({"name": p.name, "medium": p.medium, "target_unit_id": p.target_unit_id,
               "target_asset_id": p.target_asset_id, "weekdays": p.weekdays,
               "valid_from": p.valid_from, "valid_to": p.valid_to, "slots": p.slots,
               "items": items})
    };
    audit(
        &mut tx,
        a,
        change(
            if before.is_some() { "update" } else { "create" },
            "broadcast_programme",
            &row.id,
            &unit.id,
            before.as_ref().map(|b| view(b, None)),
            Some(view(&row, Some(&items))),
        ),
    )
    .await?;
    tx.commit().await?;
    programme(store, actor, &row.id).await
}

/// Deletes a programme (the page asks first); devices drop it at their next fetch.
pub async fn delete_programme(store: &Store, actor: Option<&Actor>, id: &str) -> Result<()> {
    let p = programme(store, actor, id).await?;
    let a = actor.expect("programme() checked the actor");
    let mut tx = store.begin().await?;
    db::delete_programme(tx.conn(), id).await?;
    db::bump_version(tx.conn()).await?;
    audit(
        &mut tx,
        a,
        change(
            "delete",
            "broadcast_programme",
            id,
            &p.row.unit_id,
            Some(json!({"name": p.row.name, "slots": p.row.slots})),
            None,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

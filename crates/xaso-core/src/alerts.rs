//! Emergency alerts with one action: an authorised officer of a commune or an area issues an
//! alert for some of its units; it is kept as an OASIS CAP 1.2 message, goes at once to every
//! connected loudspeaker and board of those units (the device event stream), is spoken for the
//! loudspeakers through the job queue, shows as a banner on public pages, and is listed in the
//! CAP Atom feed. Updates and cancellations are messages that reference the first one.

mod audio;
pub mod cap;
pub mod follow;
pub mod hub;
pub mod relay;
pub mod upstream;

pub use audio::{audio, set_recording, AlertSpeechJob};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use xaso_domain::alerts::{check_alert, spoken_text, AlertFields, AlertInput, MsgType};
use xaso_domain::auth::Role;
use xaso_domain::units::{Level, Unit};
use xaso_storage::alerts::{self as db, AlertRow, DeliveryRow};
use xaso_storage::Store;

use crate::broadcast::devices::Player;
use crate::{authz, Actor, Error, Result};
pub use hub::Hub;

/// Who issues alerts for a unit.
pub const ISSUERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

/// The job that speaks an alert for loudspeakers.
pub const JOB_ALERT_SPEECH: &str = "alerts.speak";

/// A message with the units it covers.
#[derive(Debug, Clone)]
pub struct Alert {
    pub row: AlertRow,
    pub unit: Unit,
    pub area: Vec<Unit>,
}

impl Alert {
    pub fn msg_type(&self) -> MsgType {
        MsgType::parse(&self.row.msg_type).unwrap_or(MsgType::Alert)
    }

    /// The first message's id (its own for a first message).
    pub fn first_id(&self) -> &str {
        self.row.first_id.as_deref().unwrap_or(&self.row.id)
    }

    pub fn expires(&self) -> Option<DateTime<Utc>> {
        xaso_domain::time::from_storage(&self.row.expires_at)
    }
}

fn area_ids(row: &AlertRow) -> Vec<String> {
    serde_json::from_str(&row.area_units).unwrap_or_default()
}

/// A message's drawn area, (latitude, longitude), or none.
pub fn polygon_of(row: &AlertRow) -> Vec<(f64, f64)> {
    xaso_domain::alerts::upstream::parse_polygon(&row.polygon).unwrap_or_default()
}

/// Whether a device gets a message: its units are in the area, and it stands within the drawn
/// area if there is one (a device with no place always does).
pub fn reaches(row: &AlertRow, player: &Player) -> bool {
    area_ids(row).iter().any(|u| player.unit_ids.contains(u))
        && hub::within(&polygon_of(row), player.position)
}

async fn unit_by_id(store: &Store, id: &str) -> Result<Unit> {
    let mut conn = store.read().await?;
    xaso_storage::units::by_id(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

async fn assemble(store: &Store, row: AlertRow) -> Result<Alert> {
    let unit = unit_by_id(store, &row.unit_id).await?;
    let mut area = Vec::new();
    for id in area_ids(&row) {
        area.push(unit_by_id(store, &id).await?);
    }
    Ok(Alert { row, unit, area })
}

/// Whether the actor issues alerts for the unit.
pub async fn issues(store: &Store, actor: Option<&Actor>, unit_id: &str) -> Result<bool> {
    match actor {
        Some(a) => authz::has_role_over(store, a, ISSUERS, unit_id).await,
        None => Ok(false),
    }
}

/// Where an alert of this unit can aim: a commune and its villages, or an area's communes.
pub async fn area_choices(store: &Store, unit: &Unit) -> Result<Vec<Unit>> {
    let today = xaso_domain::time::today_vn();
    let (_, kids) = crate::units::children(store, &unit.code, today).await?;
    Ok(match unit.level {
        Level::Commune => std::iter::once(unit.clone()).chain(kids).collect(),
        _ => kids
            .into_iter()
            .filter(|u| u.level == Level::Commune)
            .collect(),
    })
}

/// What devices get for a message (the same JSON for every device).
pub fn event_json(row: &AlertRow) -> String {
    json!({
        "id": row.id,
        "first": row.first_id.as_deref().unwrap_or(&row.id),
        "identifier": row.identifier,
        "msg_type": row.msg_type,
        "status": row.status,
        "hazard": row.hazard,
        "urgency": row.urgency,
        "severity": row.severity,
        "certainty": row.certainty,
        "headline": row.headline,
        "description": row.description,
        "instruction": row.instruction,
        "text": spoken_text(&row.headline, &row.description, &row.instruction),
        "expires": xaso_domain::time::from_storage(&row.expires_at),
        "repeats": row.repeats,
        "audio": row.audio_key.is_some(),
        "audio_ms": row.audio_ms,
    })
    .to_string()
}

fn publish(hub: &Hub, row: &AlertRow) {
    hub.publish(hub::Event {
        kind: hub::Kind::Alert,
        units: area_ids(row),
        data: event_json(row),
        polygon: polygon_of(row),
    });
}

/// Sends one message: kept with its CAP XML, audited, queued for speech, then on its way to
/// every connected device of its area.
#[allow(clippy::too_many_arguments)]
async fn send(
    store: &Store,
    hub: &Hub,
    actor: &Actor,
    unit: &Unit,
    first: Option<&AlertRow>,
    msg_type: MsgType,
    f: AlertFields,
    area: Vec<Unit>,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Alert> {
    let id = xaso_storage::new_id();
    let mut row = AlertRow {
        identifier: cap::identifier(&id),
        id,
        unit_id: unit.id.clone(),
        first_id: first.map(|f| f.first_id.clone().unwrap_or_else(|| f.id.clone())),
        msg_type: msg_type.as_str().into(),
        status: f.status.as_str().into(),
        hazard: f.hazard.as_str().into(),
        urgency: f.urgency.as_str().into(),
        severity: f.severity.as_str().into(),
        certainty: f.certainty.as_str().into(),
        risk_level: f.risk_level.map(i64::from),
        headline: f.headline,
        description: f.description,
        instruction: f.instruction,
        area_desc: area
            .iter()
            .map(|u| u.full_name.clone())
            .collect::<Vec<_>>()
            .join("; "),
        area_units: serde_json::to_string(&area.iter().map(|u| &u.id).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into()),
        repeats: f.repeats,
        sent_at: xaso_domain::time::to_storage(now),
        expires_at: xaso_domain::time::to_storage(f.expires),
        sent_by: actor.username.clone(),
        cap_xml: String::new(),
        audio_key: None,
        audio_type: None,
        audio_ms: 0,
        polygon: if f.polygon.is_empty() {
            first.map(|r| r.polygon.clone()).unwrap_or_default()
        } else {
            xaso_domain::alerts::polygon_text(&f.polygon)
        },
    };
    let codes: Vec<(String, String)> = area
        .iter()
        .map(|u| (u.full_name.clone(), u.code.clone()))
        .collect();
    let sender_name = format!("Ủy ban nhân dân {}", unit.full_name);
    row.cap_xml = cap::message(&row, first, &codes, &sender_name, &cap::Sender::of(base))?;
    let mut tx = store.begin().await?;
    db::insert(tx.conn(), &row).await?;
    relay::queue(&mut tx, &row, base).await?;
    if msg_type != MsgType::Cancel {
        crate::queue::enqueue(
            &mut tx,
            JOB_ALERT_SPEECH,
            &json!({"alert": row.id}),
            crate::queue::DEFAULT_ATTEMPTS,
        )
        .await?;
    }
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: match msg_type {
                MsgType::Alert => "issue",
                MsgType::Update => "update",
                MsgType::Cancel => "cancel",
            },
            record_type: "alert",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(
                json!({"identifier": row.identifier, "headline": row.headline,
                               "severity": row.severity, "area": row.area_desc,
                               "status": row.status, "first_id": row.first_id}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    publish(hub, &row);
    Ok(Alert {
        row,
        unit: unit.clone(),
        area,
    })
}

/// Issues an alert for some of the unit's area (unit codes from [`area_choices`]; none: the
/// unit itself). `base` is the public address the CAP message links to.
pub async fn issue(
    store: &Store,
    hub: &Hub,
    actor: Option<&Actor>,
    code: &str,
    input: &AlertInput,
    area_codes: &[String],
    base: &str,
) -> Result<Alert> {
    issue_at(store, hub, actor, code, input, area_codes, base, Utc::now()).await
}

/// [`issue`] as if at `now` (the demo's past alert).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue_at(
    store: &Store,
    hub: &Hub,
    actor: Option<&Actor>,
    code: &str,
    input: &AlertInput,
    area_codes: &[String],
    base: &str,
    now: DateTime<Utc>,
) -> Result<Alert> {
    let unit = crate::units::by_code(store, code, xaso_domain::time::today_vn()).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    if !issues(store, actor, &unit.id).await? {
        return Err(Error::Forbidden);
    }
    let choices = area_choices(store, &unit).await?;
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let mut area: Vec<Unit> = Vec::new();
    for c in area_codes
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    {
        match choices.iter().find(|u| u.code == c) {
            Some(u) if !area.iter().any(|p| p.id == u.id) => area.push(u.clone()),
            Some(_) => {}
            None => {
                problems.push((
                    "area",
                    "choose the area among the unit's own communes or villages".into(),
                ));
                break;
            }
        }
    }
    let picked = !area.is_empty();
    if area.is_empty() {
        area.push(unit.clone());
    }
    let f = match check_alert(input, now) {
        Ok(f) if problems.is_empty() => f,
        Ok(_) => return Err(Error::problems(problems)),
        Err(mut more) => {
            more.extend(problems);
            return Err(Error::problems(more));
        }
    };
    // A drawn area, no units picked: the units whose boundary it reaches.
    if !picked && !f.polygon.is_empty() {
        area = drawn_area(store, &unit, &choices, &f.polygon).await?;
    }
    send(
        store,
        hub,
        a,
        &unit,
        None,
        MsgType::Alert,
        f,
        area,
        base,
        now,
    )
    .await
}

/// The units of `choices` a drawn area reaches (by their boundaries); a unit without a known
/// boundary is reached when it is the issuing unit itself. Refused when it reaches none.
async fn drawn_area(
    store: &Store,
    unit: &Unit,
    choices: &[Unit],
    polygon: &[(f64, f64)],
) -> Result<Vec<Unit>> {
    use xaso_domain::alerts::upstream::{covers, CapArea, Place};
    let area = CapArea {
        polygons: vec![polygon.to_vec()],
        ..CapArea::default()
    };
    let mut out = Vec::new();
    for c in choices {
        let boundary = crate::places::boundary_geojson(store, &c.id)
            .await?
            .and_then(|g| xaso_domain::places::Boundary::from_geojson(&g));
        let reached = match &boundary {
            Some(b) => covers(
                &area,
                &Place {
                    code: &c.code,
                    names: Vec::new(),
                    boundary: Some(b),
                },
            ),
            None => c.id == unit.id,
        };
        if reached {
            out.push(c.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "polygon",
            "the drawn area must reach the unit's own communes",
        ));
    }
    Ok(out)
}

/// The messages of an alert, oldest first (public: alerts are public information).
pub async fn thread(store: &Store, first_id: &str) -> Result<Vec<Alert>> {
    let rows = {
        let mut conn = store.read().await?;
        db::thread(&mut conn, first_id).await?
    };
    if rows.is_empty() {
        return Err(Error::NotFound);
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(assemble(store, r).await?);
    }
    Ok(out)
}

/// One message.
pub async fn message(store: &Store, id: &str) -> Result<AlertRow> {
    let mut conn = store.read().await?;
    db::get(&mut conn, id).await?.ok_or(Error::NotFound)
}

async fn latest_for_writing(
    store: &Store,
    actor: Option<&Actor>,
    first_id: &str,
) -> Result<(Unit, AlertRow, Vec<Alert>, Actor)> {
    let messages = thread(store, first_id).await?;
    let first = messages[0].clone();
    let a = actor.ok_or(Error::Unauthenticated)?;
    if !issues(store, actor, &first.row.unit_id).await? {
        return Err(Error::Forbidden);
    }
    let latest = messages
        .last()
        .expect("a thread has its first message")
        .row
        .clone();
    if latest.msg_type == MsgType::Cancel.as_str() {
        return Err(Error::Conflict("this alert was cancelled".into()));
    }
    Ok((first.unit.clone(), latest, messages, a.clone()))
}

/// Updates an alert (same area): a new message referencing the first.
pub async fn update(
    store: &Store,
    hub: &Hub,
    actor: Option<&Actor>,
    first_id: &str,
    input: &AlertInput,
    base: &str,
) -> Result<Alert> {
    let (unit, _, messages, a) = latest_for_writing(store, actor, first_id).await?;
    let f = check_alert(input, Utc::now()).map_err(Error::problems)?;
    let first = &messages[0];
    send(
        store,
        hub,
        &a,
        &unit,
        Some(&first.row),
        MsgType::Update,
        f,
        first.area.clone(),
        base,
        Utc::now(),
    )
    .await
}

/// Cancels an alert: devices stop airing it, banners go; the message says why.
pub async fn cancel(
    store: &Store,
    hub: &Hub,
    actor: Option<&Actor>,
    first_id: &str,
    reason: &str,
    base: &str,
) -> Result<Alert> {
    let (unit, latest, messages, a) = latest_for_writing(store, actor, first_id).await?;
    let reason = xaso_domain::text::clean(reason);
    if reason.chars().count() < 5 {
        return Err(Error::invalid("reason", "say why the alert is cancelled"));
    }
    let input = AlertInput {
        hazard: latest.hazard.clone(),
        urgency: "Past".into(),
        severity: "Minor".into(),
        certainty: "Observed".into(),
        headline: format!("Hủy cảnh báo: {}", latest.headline)
            .chars()
            .take(160)
            .collect(),
        description: reason,
        status: latest.status.clone(),
        hours: "1".into(),
        ..Default::default()
    };
    let f = check_alert(&input, Utc::now()).map_err(Error::problems)?;
    let first = &messages[0];
    send(
        store,
        hub,
        &a,
        &unit,
        Some(&first.row),
        MsgType::Cancel,
        f,
        first.area.clone(),
        base,
        Utc::now(),
    )
    .await
}

/// The alerts in force at `now`: the latest message of each thread, when it is not a
/// cancellation and has not expired. Newest first.
pub async fn in_force(store: &Store, now: DateTime<Utc>) -> Result<Vec<AlertRow>> {
    let rows = {
        let mut conn = store.read().await?;
        db::unexpired(&mut conn, &xaso_domain::time::to_storage(now)).await?
    };
    // Every thread's latest message, whether or not it expired (a later cancellation may be
    // the one that counts).
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut conn = store.read().await?;
    for r in rows {
        let first = r.first_id.clone().unwrap_or_else(|| r.id.clone());
        if seen.contains(&first) {
            continue;
        }
        seen.push(first.clone());
        let latest = db::thread(&mut conn, &first).await?.pop();
        if let Some(l) = latest.filter(|l| {
            l.msg_type != MsgType::Cancel.as_str()
                && xaso_domain::time::from_storage(&l.expires_at).is_some_and(|e| e > now)
        }) {
            out.push(l);
        }
    }
    Ok(out)
}

/// The alerts in force for a device's units.
pub async fn in_force_for(
    store: &Store,
    player: &Player,
    now: DateTime<Utc>,
) -> Result<Vec<AlertRow>> {
    Ok(in_force(store, now)
        .await?
        .into_iter()
        .filter(|a| reaches(a, player))
        .collect())
}

/// Recent messages (the feed and the lists), newest first.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<AlertRow>> {
    let mut conn = store.read().await?;
    Ok(db::recent(&mut conn, limit).await?)
}

/// A device says it received a message over its stream.
pub async fn received(store: &Store, player: &Player, alert_id: &str) -> Result<()> {
    let row = message(store, alert_id).await?;
    if !area_ids(&row).iter().any(|u| player.unit_ids.contains(u)) {
        return Err(Error::NotFound);
    }
    let mut tx = store.begin().await?;
    db::received(tx.conn(), &row.id, &player.asset.id, &xaso_storage::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// When a device received and played one message (if it did).
pub type Seen = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// One device of an alert's area, and when it received and played each message.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub asset_id: String,
    pub tag: String,
    pub name: String,
    pub kind: String,
    /// Per message of the thread, in order: (received, played).
    pub messages: Vec<Seen>,
}

/// Who received and played an alert's messages: every loudspeaker and board of its area (its
/// issuers).
pub async fn deliveries(
    store: &Store,
    actor: Option<&Actor>,
    first_id: &str,
) -> Result<(Vec<Alert>, Vec<DeviceRecord>)> {
    let messages = thread(store, first_id).await?;
    if !issues(store, actor, &messages[0].row.unit_id).await? {
        return Err(if actor.is_some() {
            Error::Forbidden
        } else {
            Error::Unauthenticated
        });
    }
    let area: Vec<String> = messages[0].area.iter().map(|u| u.id.clone()).collect();
    let drawn = polygon_of(&messages[0].row);
    // The devices: those of the area's communes whose units meet the area.
    let mut communes: Vec<String> = Vec::new();
    for u in &messages[0].area {
        let commune = if u.level == Level::Commune {
            Some(u.id.clone())
        } else {
            u.parent_id.clone()
        };
        if let Some(c) = commune.filter(|c| !communes.contains(c)) {
            communes.push(c);
        }
    }
    let mut devices = Vec::new();
    for c in communes {
        let assets = {
            let mut conn = store.read().await?;
            xaso_storage::ict::assets_of_kinds(
                &mut conn,
                &c,
                &[crate::broadcast::SPEAKER_KIND, crate::broadcast::BOARD_KIND],
            )
            .await?
        };
        for a in assets {
            let p = crate::broadcast::devices::player_of(store, a).await?;
            if p.unit_ids.iter().any(|u| area.contains(u)) && hub::within(&drawn, p.position) {
                devices.push(p.asset);
            }
        }
    }
    let ids: Vec<String> = messages.iter().map(|m| m.row.id.clone()).collect();
    let rows: Vec<DeliveryRow> = {
        let mut conn = store.read().await?;
        db::deliveries(&mut conn, &ids).await?
    };
    let t = |s: &Option<String>| s.as_deref().and_then(xaso_domain::time::from_storage);
    let records = devices
        .into_iter()
        .map(|a| DeviceRecord {
            messages: ids
                .iter()
                .map(|m| {
                    rows.iter()
                        .find(|r| r.alert_id == *m && r.asset_id == a.id)
                        .map_or((None, None), |r| (t(&r.received_at), t(&r.played_at)))
                })
                .collect(),
            asset_id: a.id,
            tag: a.tag,
            name: a.name,
            kind: a.kind,
        })
        .collect();
    Ok((messages, records))
}

/// The alerts in force as every public page's banner shows them: read from the database at
/// most every 10 seconds (and at once after this server issues, updates or cancels one), and
/// filtered by expiry at each read. Another server instance shows a change within 10 s.
#[derive(Default)]
pub struct Banners {
    cached: std::sync::RwLock<Option<(std::time::Instant, Arc<Vec<AlertRow>>)>>,
    bus: crate::cluster::Bus,
}

/// How long the banners are kept before they are read again.
pub const BANNER_TTL: std::time::Duration = std::time::Duration::from_secs(10);

impl Banners {
    pub fn new() -> Banners {
        Banners::default()
    }

    /// Banners whose changes other instances hear of.
    pub fn with_bus(bus: crate::cluster::Bus) -> Banners {
        Banners {
            bus,
            ..Banners::default()
        }
    }

    /// The alerts in force now.
    pub async fn get(&self, store: &Store) -> Result<Arc<Vec<AlertRow>>> {
        let now = Utc::now();
        let fresh = |rows: &Arc<Vec<AlertRow>>| -> Arc<Vec<AlertRow>> {
            if rows
                .iter()
                .all(|a| xaso_domain::time::from_storage(&a.expires_at).is_some_and(|e| e > now))
            {
                rows.clone()
            } else {
                Arc::new(
                    rows.iter()
                        .filter(|a| {
                            xaso_domain::time::from_storage(&a.expires_at).is_some_and(|e| e > now)
                        })
                        .cloned()
                        .collect(),
                )
            }
        };
        if let Some((at, rows)) = self.cached.read().expect("banner lock").as_ref() {
            if at.elapsed() < BANNER_TTL {
                return Ok(fresh(rows));
            }
        }
        let rows = Arc::new(in_force(store, now).await?);
        *self.cached.write().expect("banner lock") =
            Some((std::time::Instant::now(), rows.clone()));
        Ok(rows)
    }

    /// Forgets what it keeps (after a change on this server), here and on the others.
    pub fn clear(&self) {
        self.clear_local();
        self.bus.publish(crate::cluster::Change::Alerts);
    }

    /// Forgets what it keeps here (another instance made a change).
    pub fn clear_local(&self) {
        *self.cached.write().expect("banner lock") = None;
    }
}

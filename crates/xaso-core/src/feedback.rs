//! Citizen feedback (phản ánh, kiến nghị), the job of Long An's 1022 hotline: citizens report a
//! problem with its place, the commune responsible gets it with a deadline set by its category,
//! staff move it through its statuses with notes, and the reporter follows it with a tracking
//! code, asks to reopen it and rates the result.
//!
//! Confidentiality: the reporter's name and contacts are read only by staff who handle cases of
//! the case's commune ([`HANDLERS`]); every public view ([`Case::public`]) leaves them out.

pub mod notify;
pub mod senders;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::feedback::{self as dom, Channel, DeadlineUnit, Status};
use xaso_domain::places::{distance_m, in_vietnam};
use xaso_domain::text;
use xaso_domain::time::{from_storage, to_storage};
use xaso_domain::units::{Level, Unit};
use xaso_storage::feedback::{self as db, CaseFilter, CaseRow, CategoryRow, EventRow, PhotoRow};
use xaso_storage::{Files, Store, Tx};

use crate::auth::Credential;
use crate::{authz, places, Actor, Error, Result};

/// Roles that handle cases (and so read reporters' contacts) in the communes they cover.
pub const HANDLERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];
/// Roles that may enter a case for a caller or a visitor (hotline, Zalo, counter).
pub const INTAKE: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer, Role::VillageTeam];
/// Largest photo accepted from a phone.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// Job kinds this module enqueues.
pub const JOB_PHOTO: &str = "feedback.photo";
pub const JOB_NOTIFY: &str = "feedback.notify";

#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    /// The Open311 service_code.
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub description: String,
    pub group: String,
    pub keywords: String,
    /// The department or person of the commune who handles it ("Công chức Địa chính – Xây dựng").
    pub handler: String,
    pub deadline_value: i64,
    pub deadline_unit: DeadlineUnit,
    /// Codes of the NTM criteria it touches.
    pub criteria: Vec<String>,
    pub active: bool,
    pub position: i64,
}

impl Category {
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" && !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.name_vi
        }
    }
}

fn category_of(r: CategoryRow) -> Category {
    Category {
        deadline_unit: DeadlineUnit::parse(&r.deadline_unit).unwrap_or(DeadlineUnit::WorkingDays),
        criteria: r
            .criteria
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        id: r.id,
        code: r.code,
        name_vi: r.name_vi,
        name_en: r.name_en,
        description: r.description,
        group: r.grp,
        keywords: r.keywords,
        handler: r.handler,
        deadline_value: r.deadline_value,
        active: r.active != 0,
        position: r.position,
    }
}

/// The categories, in display order; only active ones unless `all`.
pub async fn categories(store: &Store, all: bool) -> Result<Vec<Category>> {
    let mut conn = store.read().await?;
    Ok(db::categories(&mut conn)
        .await?
        .into_iter()
        .map(category_of)
        .filter(|c| all || c.active)
        .collect())
}

/// An active category by its code (the Open311 service_code).
pub async fn category_by_code(store: &Store, code: &str) -> Result<Category> {
    let mut conn = store.read().await?;
    db::category_by_code(&mut conn, code.trim())
        .await?
        .map(category_of)
        .filter(|c| c.active)
        .ok_or(Error::NotFound)
}

/// What an administrator sets on a category.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub description: String,
    pub group: String,
    pub keywords: String,
    pub handler: String,
    pub deadline_value: i64,
    pub deadline_unit: String,
    pub criteria: String,
    pub active: bool,
    pub position: i64,
}

/// Adds (`id` None) or changes a category. Administrators only: a category's deadline binds
/// every commune.
pub async fn save_category(
    store: &Store,
    actor: Option<&Actor>,
    id: Option<&str>,
    input: CategoryInput,
) -> Result<Category> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let code = input.code.trim().to_ascii_lowercase();
    let mut problems = Vec::new();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        problems.push(crate::error::Problem::new(
            "code",
            "the code is 1 to 40 letters, digits, - or _",
        ));
    }
    let name_vi = text::clean(&input.name_vi);
    if name_vi.is_empty() || name_vi.chars().count() > 120 {
        problems.push(crate::error::Problem::new(
            "name_vi",
            "give the Vietnamese name (120 characters at most)",
        ));
    }
    let unit = DeadlineUnit::parse(&input.deadline_unit);
    if unit.is_none() {
        problems.push(crate::error::Problem::new(
            "deadline_unit",
            "the deadline is counted in hours or working days",
        ));
    }
    if !(1..=dom::MAX_DEADLINE).contains(&input.deadline_value) {
        problems.push(crate::error::Problem::new(
            "deadline_value",
            "the deadline is between 1 and 60",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut tx = store.begin().await?;
    let before = match id {
        Some(id) => Some(db::category(tx.conn(), id).await?.ok_or(Error::NotFound)?),
        None => None,
    };
    if let Some(other) = db::category_by_code(tx.conn(), &code).await? {
        if Some(other.id.as_str()) != id {
            return Err(Error::invalid("code", "another category has this code"));
        }
    }
    let row = CategoryRow {
        id: id.map(String::from).unwrap_or_else(xaso_storage::new_id),
        code,
        name_vi,
        name_en: text::clean(&input.name_en),
        description: text::clean(&input.description),
        grp: text::clean(&input.group),
        keywords: text::clean(&input.keywords),
        handler: text::clean(&input.handler),
        deadline_value: input.deadline_value,
        deadline_unit: unit.map(|u| u.as_str()).unwrap_or("working_days").into(),
        criteria: input
            .criteria
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        active: input.active as i64,
        position: input.position,
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
    };
    db::save_category(tx.conn(), &row).await?;
    let snapshot = |r: &CategoryRow| {
        json!({"code": r.code, "name": r.name_vi, "handler": r.handler, "deadline": r.deadline_value,
               "unit": r.deadline_unit, "criteria": r.criteria, "active": r.active != 0})
    };
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "feedback_category",
            record_id: &row.id,
            unit_id: None,
            before: before.as_ref().map(snapshot),
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(category_of(row))
}

/// Who reported: read only by the staff handling the case.
#[derive(Debug, Clone, Default)]
pub struct Reporter {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub zalo: String,
}

#[derive(Debug, Clone)]
pub struct Photo {
    pub id: String,
    pub ready: bool,
    /// Hidden from the public by staff (public views leave it out).
    pub hidden: bool,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub public_note: String,
    /// Empty on public views.
    pub internal_note: String,
}

/// A case. `reporter`, `token` and internal notes are filled only for the staff handling it.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub number: i64,
    pub token: Option<String>,
    pub category: Category,
    pub commune: Unit,
    pub village: Option<Unit>,
    pub place_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub description: String,
    pub status: Status,
    pub status_note: String,
    pub channel: Channel,
    pub reporter: Option<Reporter>,
    pub handler: String,
    pub assignee: String,
    pub due_at: DateTime<Utc>,
    pub merged_into: Option<i64>,
    pub split_from: Option<i64>,
    pub rating: Option<i64>,
    pub rating_comment: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub photos: Vec<Photo>,
    pub events: Vec<Event>,
}

impl Case {
    /// Open and past its deadline at `now`.
    pub fn overdue_at(&self, now: &DateTime<Utc>) -> bool {
        self.status.is_open() && self.due_at < *now
    }

    /// What anyone may see: no reporter, no tracking code, no internal notes, no assignee.
    pub fn public(mut self) -> Case {
        self.reporter = None;
        self.token = None;
        self.assignee = String::new();
        self.photos.retain(|p| !p.hidden);
        for e in &mut self.events {
            e.internal_note.clear();
            if !e.actor.is_empty() && e.actor != REPORTER && e.actor != SYSTEM {
                e.actor = STAFF.into();
            }
        }
        self
    }

    /// Resolved (or closed) within its deadline.
    pub fn on_time(&self) -> Option<bool> {
        self.resolved_at.map(|r| r <= self.due_at)
    }
}

/// Names written as the actor of events not made by a staff account.
pub const REPORTER: &str = "reporter";
pub const SYSTEM: &str = "system";
/// What the public sees in place of a staff member's account name.
pub const STAFF: &str = "staff";

/// A status as stored (a row written by this module always holds a known one).
fn stored_status(s: &str) -> Status {
    Status::parse(s).unwrap_or(Status::Received)
}

fn time(s: &str) -> DateTime<Utc> {
    from_storage(s).unwrap_or_else(Utc::now)
}

/// A tracking code: 12 characters from an alphabet without look-alikes (no I, L, O, U, 0, 1),
/// about 60 bits: nobody finds a case by guessing.
pub fn new_token() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A typed tracking code in its stored form ("k7qx-4m2p 9rtz" → "K7QX4M2P9RTZ").
pub fn clean_token(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// "K7QX-4M2P-9RTZ", as printed for people.
pub fn show_token(token: &str) -> String {
    token
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

struct Loaded {
    categories: HashMap<String, Category>,
    units: HashMap<String, Unit>,
    numbers: HashMap<String, i64>,
}

impl Loaded {
    async fn new(store: &Store) -> Result<Loaded> {
        let mut conn = store.read().await?;
        let categories = db::categories(&mut conn)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), category_of(r)))
            .collect();
        Ok(Loaded {
            categories,
            units: HashMap::new(),
            numbers: HashMap::new(),
        })
    }

    async fn unit(&mut self, store: &Store, id: &str) -> Result<Unit> {
        if let Some(u) = self.units.get(id) {
            return Ok(u.clone());
        }
        let mut conn = store.read().await?;
        let u = xaso_storage::units::by_id(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?;
        self.units.insert(id.into(), u.clone());
        Ok(u)
    }

    async fn number(&mut self, store: &Store, id: &Option<String>) -> Result<Option<i64>> {
        let Some(id) = id else { return Ok(None) };
        if let Some(n) = self.numbers.get(id) {
            return Ok(Some(*n));
        }
        let mut conn = store.read().await?;
        let n = db::case_by_id(&mut conn, id).await?.map(|r| r.number);
        if let Some(n) = n {
            self.numbers.insert(id.clone(), n);
        }
        Ok(n)
    }

    /// A case row as a [`Case`]; photos and events are read only when `full`.
    async fn case(&mut self, store: &Store, r: CaseRow, full: bool) -> Result<Case> {
        let category = self
            .categories
            .get(&r.category_id)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("case {} has no category", r.id)))?;
        let commune = self.unit(store, &r.commune_id).await?;
        let village = match &r.village_id {
            Some(v) => Some(self.unit(store, v).await?),
            None => None,
        };
        let (photos, events) = if full {
            let mut conn = store.read().await?;
            let photos = db::photos_of(&mut conn, &r.id)
                .await?
                .into_iter()
                .map(|p| Photo {
                    ready: p.thumb_key.is_some(),
                    hidden: p.hidden != 0,
                    id: p.id,
                    width: p.width,
                    height: p.height,
                })
                .collect();
            let events = db::events_of(&mut conn, &r.id)
                .await?
                .into_iter()
                .map(|e| Event {
                    at: time(&e.at),
                    actor: e.actor,
                    kind: e.kind,
                    from_status: Status::parse(&e.from_status),
                    to_status: Status::parse(&e.to_status),
                    public_note: e.public_note,
                    internal_note: e.internal_note,
                })
                .collect();
            (photos, events)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Case {
            merged_into: self.number(store, &r.merged_into).await?,
            split_from: self.number(store, &r.split_from).await?,
            id: r.id,
            number: r.number,
            token: Some(r.token),
            category,
            commune,
            village,
            place_id: r.place_id,
            latitude: r.latitude,
            longitude: r.longitude,
            address: r.address,
            description: r.description,
            status: stored_status(&r.status),
            status_note: r.status_note,
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Web),
            reporter: Some(Reporter {
                name: r.reporter_name,
                phone: r.reporter_phone,
                email: r.reporter_email,
                zalo: r.reporter_zalo,
            }),
            handler: r.handler,
            assignee: r.assignee,
            due_at: time(&r.due_at),
            rating: r.rating,
            rating_comment: r.rating_comment,
            created_at: time(&r.created_at),
            updated_at: time(&r.updated_at),
            resolved_at: r.resolved_at.as_deref().map(time),
            photos,
            events,
        })
    }
}

/// Whether the actor handles cases of this commune (and so sees reporters).
pub async fn handles(store: &Store, actor: Option<&Actor>, commune_id: &str) -> Result<bool> {
    match actor {
        Some(a) => authz::has_role_over(store, a, HANDLERS, commune_id).await,
        None => Ok(false),
    }
}

/// A case by its id, number ("123") or tracking code: whole for its handlers, public otherwise.
pub async fn case(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Case> {
    let row = find_row(store, id).await?.ok_or(Error::NotFound)?;
    let staff = handles(store, actor, &row.commune_id).await?;
    let c = Loaded::new(store).await?.case(store, row, true).await?;
    Ok(if staff { c } else { c.public() })
}

async fn find_row(store: &Store, id: &str) -> Result<Option<CaseRow>> {
    let mut conn = store.read().await?;
    if let Ok(n) = id.trim().trim_start_matches('#').parse::<i64>() {
        return Ok(db::case_by_number(&mut conn, n).await?);
    }
    Ok(db::case_by_id(&mut conn, id).await?)
}

/// The case a tracking code opens, as its reporter sees it (public view plus the code).
pub async fn tracked(store: &Store, token: &str) -> Result<Case> {
    let token = clean_token(token);
    let row = {
        let mut conn = store.read().await?;
        db::case_by_token(&mut conn, &token)
            .await?
            .ok_or(Error::NotFound)?
    };
    let c = Loaded::new(store).await?.case(store, row, true).await?;
    let mut public = c.public();
    public.token = Some(token);
    Ok(public)
}

/// Where a report says the problem is. One of `place_code`, `unit_code` or a position is needed;
/// a position alone is routed to the commune whose boundary holds it.
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// A digital address as printed on a plate ("RFG4+6P Đức Hòa") or a full Plus Code.
    pub place_code: String,
    /// A village's or commune's code (a village chosen from the list).
    pub unit_code: String,
    /// Free text ("trước cổng trường tiểu học").
    pub address: String,
}

/// A report as it arrives, from the public form, a staff member's intake or Open311.
#[derive(Debug, Clone)]
pub struct Report {
    pub category: String,
    pub description: String,
    pub location: Location,
    pub reporter: Reporter,
    pub channel: Channel,
    pub photos: Vec<Vec<u8>>,
    /// The ICT register's device the report is about (from its label's page): the case is
    /// linked to it so its keepers see the report on the device's record.
    pub asset_id: Option<String>,
}

/// What the reporter gets back.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: String,
    pub number: i64,
    pub token: String,
    pub commune: Unit,
    pub due_at: DateTime<Utc>,
}

struct Routed {
    commune: Unit,
    village: Option<Unit>,
    place_id: Option<String>,
    position: Option<(f64, f64)>,
}

/// The stored boundaries, parsed, with the version they were read at. Parsing them is most of
/// the cost of routing a report by its position, so they are kept until a boundary changes
/// (one database per process, as the server runs).
type Parsed = (
    String,
    std::sync::Arc<Vec<(String, xaso_domain::places::Boundary)>>,
);
static BOUNDARIES: std::sync::Mutex<Option<Parsed>> = std::sync::Mutex::new(None);

async fn boundaries(
    store: &Store,
) -> Result<std::sync::Arc<Vec<(String, xaso_domain::places::Boundary)>>> {
    let version = {
        let mut conn = store.read().await?;
        xaso_storage::places::boundaries_version(&mut conn).await?
    };
    if let Some((v, list)) = BOUNDARIES.lock().expect("boundary cache").as_ref() {
        if *v == version {
            return Ok(list.clone());
        }
    }
    let rows = {
        let mut conn = store.read().await?;
        xaso_storage::places::boundaries(&mut conn).await?
    };
    let list: Vec<_> = rows
        .into_iter()
        .filter_map(|(unit_id, geometry)| {
            let value = serde_json::from_str::<serde_json::Value>(&geometry).ok()?;
            Some((
                unit_id,
                xaso_domain::places::Boundary::from_geojson(&value)?,
            ))
        })
        .collect();
    let list = std::sync::Arc::new(list);
    *BOUNDARIES.lock().expect("boundary cache") = Some((version, list.clone()));
    Ok(list)
}

/// The commune (valid today) whose boundary holds a point.
async fn commune_at(store: &Store, lat: f64, lng: f64) -> Result<Option<Unit>> {
    let today = xaso_domain::time::today_vn();
    for (unit_id, b) in boundaries(store).await?.iter() {
        if !b.contains(lat, lng) {
            continue;
        }
        let mut conn = store.read().await?;
        if let Some(u) = xaso_storage::units::by_id(&mut conn, unit_id).await? {
            if u.level == Level::Commune && u.validity().contains(today) {
                return Ok(Some(u));
            }
        }
    }
    Ok(None)
}

async fn route(store: &Store, loc: &Location) -> Result<Routed> {
    let position = match (loc.latitude, loc.longitude) {
        (Some(lat), Some(lng)) => {
            if !lat.is_finite() || !lng.is_finite() || !in_vietnam(lat, lng) {
                return Err(Error::invalid(
                    "location",
                    "the position is not in Vietnam; check the GPS or tap the map",
                ));
            }
            Some((lat, lng))
        }
        (None, None) => None,
        _ => {
            return Err(Error::invalid(
                "location",
                "give both the latitude and the longitude",
            ))
        }
    };
    if !loc.place_code.trim().is_empty() {
        // A short code alone is read near the chosen commune, or the one under the position.
        let near = if !loc.unit_code.trim().is_empty() {
            Some(places::units_for(store, loc.unit_code.trim()).await?.0)
        } else if let Some((lat, lng)) = position {
            commune_at(store, lat, lng).await?
        } else {
            None
        };
        let code = match &near {
            Some(n) => places::full_code(store, n, &loc.place_code, "place_code").await?,
            None => {
                let first = loc
                    .place_code
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                if xaso_domain::pluscode::is_full(&first) {
                    first
                } else {
                    places::recover_with_locality(store, &loc.place_code)
                        .await
                        .map_err(|_| {
                            Error::invalid(
                                "place_code",
                                "write the digital address with its commune (RFG4+6P Đức Hòa)",
                            )
                        })?
                }
            }
        };
        let found = places::at_code(store, &code).await?;
        let Some(place) = found.into_iter().next() else {
            return Err(Error::invalid(
                "place_code",
                "no place is registered at this digital address",
            ));
        };
        return Ok(Routed {
            position: position.or(Some((place.latitude, place.longitude))),
            commune: place.commune,
            village: place.village,
            place_id: Some(place.id),
        });
    }
    if !loc.unit_code.trim().is_empty() {
        let (commune, village) = places::units_for(store, loc.unit_code.trim())
            .await
            .map_err(|e| match e {
                Error::NotFound => {
                    Error::invalid("unit", "no commune or village has this code today")
                }
                other => other,
            })?;
        return Ok(Routed {
            commune,
            village,
            place_id: None,
            position,
        });
    }
    if let Some((lat, lng)) = position {
        let commune = commune_at(store, lat, lng).await?.ok_or_else(|| {
            Error::invalid(
                "location",
                "this position is outside the communes served here; choose the village instead",
            )
        })?;
        return Ok(Routed {
            commune,
            village: None,
            place_id: None,
            position,
        });
    }
    Err(Error::invalid(
        "location",
        "say where the problem is: use the GPS, tap the map, give a digital address or choose a village",
    ))
}

/// A phone photo's kind (`jpg`, `png`, `webp`) by its first bytes, and at most
/// [`MAX_PHOTO_BYTES`]; shared with the field log's pest photos.
pub(crate) fn check_photo(bytes: &[u8]) -> Result<&'static str> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::invalid("photo", "a photo is larger than 10 MB"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("webp")
    } else {
        Err(Error::invalid(
            "photo",
            "a photo is not a picture we can read (JPEG, PNG or WebP)",
        ))
    }
}

fn check_reporter(r: &Reporter) -> Result<Reporter> {
    let name = text::clean(&r.name);
    let phone_in = text::clean(&r.phone);
    let phone = if phone_in.is_empty() {
        String::new()
    } else {
        xaso_domain::places::phone_number(&phone_in)
            .ok_or_else(|| Error::invalid("phone", "the phone number is not a Vietnamese number"))?
    };
    let email = text::clean(&r.email).to_lowercase();
    if !email.is_empty()
        && (email.len() > 200
            || email.contains(' ')
            || !email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')))
    {
        return Err(Error::invalid("email", "the e-mail address is not valid"));
    }
    let zalo = text::clean(&r.zalo);
    if zalo.len() > 40 || !zalo.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(
            "zalo",
            "the Zalo id is the number the commune's Zalo account gives you",
        ));
    }
    if name.chars().count() > 120 {
        return Err(Error::invalid("name", "the name is too long"));
    }
    Ok(Reporter {
        name,
        phone,
        email,
        zalo,
    })
}

/// The account name written on a case's history for this actor.
fn actor_name(actor: Option<&Actor>) -> String {
    actor.map_or_else(|| REPORTER.to_string(), |a| a.username.clone())
}

/// The actor the audit log names for a citizen (no account).
fn citizen() -> Actor {
    Actor {
        user_id: None,
        username: REPORTER.into(),
        display_name: REPORTER.into(),
        assignments: Vec::new(),
        credential: Credential::System,
        offline: None,
    }
}

/// Files a report. Citizens (no account) may use the web, app and QR-poster channels; the
/// hotline, Zalo and counter channels are for staff entering a case for someone. Photos are
/// checked and kept as sent, then resized in the background. All or nothing.
pub async fn submit(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    report: Report,
) -> Result<Submitted> {
    submit_at(store, files, actor, report, Utc::now()).await
}

/// [`submit`] at a given time (for deadlines in tests and imports).
pub async fn submit_at(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    report: Report,
    now: DateTime<Utc>,
) -> Result<Submitted> {
    let category = category_by_code(store, &report.category)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("category", "choose what the problem is about"),
            other => other,
        })?;
    let description = text::clean(&report.description);
    if description.chars().count() < 10 {
        return Err(Error::invalid(
            "description",
            "describe the problem in a sentence or more (10 characters at least)",
        ));
    }
    if description.chars().count() > dom::MAX_DESCRIPTION {
        return Err(Error::invalid(
            "description",
            "the description is too long (4000 characters at most)",
        ));
    }
    if report.photos.len() > dom::MAX_PHOTOS {
        return Err(Error::invalid("photo", "send at most 4 photos"));
    }
    let mut kinds = Vec::with_capacity(report.photos.len());
    for p in &report.photos {
        kinds.push(check_photo(p)?);
    }
    let reporter = check_reporter(&report.reporter)?;
    let address = text::clean(&report.location.address);
    if address.chars().count() > 300 {
        return Err(Error::invalid("address", "the address is too long"));
    }
    let routed = route(store, &report.location).await?;
    let asset = match report
        .asset_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(a) => {
            let mut conn = store.read().await?;
            match xaso_storage::ict::asset(&mut conn, a).await? {
                Some(row) if row.unit_id == routed.commune.id => Some(row),
                _ => {
                    return Err(Error::invalid(
                        "asset",
                        "the device this report is about is not registered in this commune",
                    ))
                }
            }
        }
        None => None,
    };
    let staff_channel = dom::STAFF_CHANNELS.contains(&report.channel);
    if staff_channel {
        match actor {
            Some(a) if authz::has_role_over(store, a, INTAKE, &routed.commune.id).await? => {}
            Some(_) => return Err(Error::Forbidden),
            None => return Err(Error::Unauthenticated),
        }
    }
    let id = xaso_storage::new_id();
    let token = new_token();
    // Photos go to storage first: a crash leaves an orphan file, never a case without its photo.
    let mut photo_rows = Vec::new();
    let stamp = to_storage(now);
    for (bytes, ext) in report.photos.into_iter().zip(kinds) {
        let pid = xaso_storage::new_id();
        let key = format!("feedback/{id}/{pid}.upload.{ext}");
        let size = bytes.len() as i64;
        files
            .put(&key, bytes)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        photo_rows.push(PhotoRow {
            id: pid,
            case_id: id.clone(),
            object_key: key,
            thumb_key: None,
            width: 0,
            height: 0,
            size,
            hidden: 0,
            created_at: stamp.clone(),
        });
    }
    let due = dom::due_at(now, category.deadline_value, category.deadline_unit);
    let created_by = actor_name(actor);
    let mut tx = store.begin().await?;
    let number = db::next_number(tx.conn(), "feedback_case").await?;
    let row = CaseRow {
        id: id.clone(),
        number,
        token: token.clone(),
        category_id: category.id.clone(),
        commune_id: routed.commune.id.clone(),
        village_id: routed.village.as_ref().map(|v| v.id.clone()),
        place_id: routed.place_id,
        latitude: routed.position.map(|p| p.0),
        longitude: routed.position.map(|p| p.1),
        address,
        description,
        status: Status::Received.as_str().into(),
        status_note: String::new(),
        channel: report.channel.as_str().into(),
        reporter_name: reporter.name,
        reporter_phone: reporter.phone,
        reporter_email: reporter.email,
        reporter_zalo: reporter.zalo,
        handler: category.handler.clone(),
        assignee: String::new(),
        due_at: to_storage(due),
        overdue_noticed: 0,
        merged_into: None,
        split_from: None,
        rating: None,
        rating_comment: String::new(),
        created_by: created_by.clone(),
        created_at: stamp.clone(),
        updated_at: stamp.clone(),
        resolved_at: None,
    };
    db::save_case(tx.conn(), &row).await?;
    for p in &photo_rows {
        db::insert_photo(tx.conn(), p).await?;
        crate::queue::enqueue(
            &mut tx,
            JOB_PHOTO,
            &json!({"photo": p.id}),
            crate::queue::DEFAULT_ATTEMPTS,
        )
        .await?;
    }
    let event = event_row(
        &id,
        &stamp,
        &created_by,
        "received",
        None,
        Status::Received,
        "",
        "",
    );
    db::insert_event(tx.conn(), &event).await?;
    if let Some(a) = &asset {
        xaso_storage::ict::logs::link_case(tx.conn(), &a.id, &id, &stamp).await?;
    }
    notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Staff).await?;
    let who = actor.cloned().unwrap_or_else(citizen);
    crate::audit::record(
        &mut tx,
        &who,
        crate::audit::Change {
            action: "create",
            record_type: "feedback_case",
            record_id: &id,
            unit_id: Some(&routed.commune.id),
            before: None,
            // The reporter's identity stays on the case, not in the log.
            after: Some(
                json!({"number": number, "category": category.code, "channel": row.channel,
                               "photos": photo_rows.len(), "due_at": row.due_at,
                               "asset": asset.as_ref().map(|a| &a.tag)}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted {
        id,
        number,
        token,
        commune: routed.commune,
        due_at: due,
    })
}

#[allow(clippy::too_many_arguments)]
fn event_row(
    case_id: &str,
    at: &str,
    actor: &str,
    kind: &str,
    from: Option<Status>,
    to: Status,
    public_note: &str,
    internal_note: &str,
) -> EventRow {
    EventRow {
        id: xaso_storage::new_id(),
        case_id: case_id.into(),
        at: at.into(),
        actor: actor.into(),
        kind: kind.into(),
        from_status: from.map(|s| s.as_str()).unwrap_or("").into(),
        to_status: to.as_str().into(),
        public_note: public_note.into(),
        internal_note: internal_note.into(),
    }
}

/// Resizes an uploaded photo (the [`JOB_PHOTO`] job): the stored picture becomes a JPEG of at
/// most 1600 px without the camera's metadata, with a thumbnail; the upload is removed.
pub async fn process_photo(store: &Store, files: &Files, photo_id: &str) -> Result<()> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    if row.thumb_key.is_some() {
        return Ok(());
    }
    let bytes = files
        .get(&row.object_key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let processed = tokio::task::spawn_blocking(move || crate::heritage::process_photo(&bytes))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let (w, h, size) = (
        processed.width as i64,
        processed.height as i64,
        processed.full.len() as i64,
    );
    let (full, thumb) = crate::heritage::put_photo(
        files,
        &format!("feedback/{}", row.case_id),
        &row.id,
        processed,
    )
    .await?;
    let mut tx = store.begin().await?;
    db::photo_processed(tx.conn(), &row.id, &full, &thumb, w, h, size).await?;
    tx.commit().await?;
    if let Err(e) = files.delete(&row.object_key).await {
        tracing::warn!(error = %e, key = %row.object_key, "uploaded photo left behind");
    }
    Ok(())
}

/// A case's photo (resized JPEG, or its thumbnail): public once resized (resizing drops the
/// camera's metadata) unless staff hid it; a hidden one only for the case's handlers.
pub async fn photo_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    photo_id: &str,
    thumb: bool,
) -> Result<Vec<u8>> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let Some(thumb_key) = &row.thumb_key else {
        return Err(Error::NotFound);
    };
    if row.hidden != 0 {
        let commune = {
            let mut conn = store.read().await?;
            db::case_by_id(&mut conn, &row.case_id)
                .await?
                .ok_or(Error::NotFound)?
                .commune_id
        };
        if !handles(store, actor, &commune).await? {
            // Not "forbidden": a visitor must not learn that a hidden photo exists.
            return Err(Error::NotFound);
        }
    }
    let key = if thumb { thumb_key } else { &row.object_key };
    files
        .get(key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Hides a case's photo from the public (a face, a private paper in the picture), or shows it
/// again. The case's handlers only; audited.
pub async fn set_photo_hidden(
    store: &Store,
    actor: Option<&Actor>,
    photo_id: &str,
    hidden: bool,
) -> Result<i64> {
    let photo = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (row, actor) = load_for_staff(store, actor, &photo.case_id).await?;
    let mut tx = store.begin().await?;
    db::set_photo_hidden(tx.conn(), photo_id, hidden).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "feedback_case",
            record_id: &row.id,
            unit_id: Some(&row.commune_id),
            before: Some(json!({"photo": photo_id, "hidden": photo.hidden != 0})),
            after: Some(json!({"photo": photo_id, "hidden": hidden})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.number)
}

async fn load_for_staff(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(CaseRow, Actor)> {
    let row = find_row(store, id).await?.ok_or(Error::NotFound)?;
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !authz::has_role_over(store, actor, HANDLERS, &row.commune_id).await? {
        return Err(Error::Forbidden);
    }
    Ok((row, actor.clone()))
}

fn note(input: &str, field: &str) -> Result<String> {
    let n = text::clean(input);
    if n.chars().count() > 2000 {
        return Err(Error::invalid(
            field,
            "the note is too long (2000 characters at most)",
        ));
    }
    Ok(n)
}

/// Writes one step of a case in one transaction: the case as it now is, the step's event, the
/// notices it calls for and the audit entry.
async fn record_step(
    store: &Store,
    actor: &Actor,
    before: &CaseRow,
    row: &CaseRow,
    event: &EventRow,
    notice: Option<notify::Audience>,
    extra: serde_json::Value,
) -> Result<()> {
    let mut tx = store.begin().await?;
    db::save_case(tx.conn(), row).await?;
    db::insert_event(tx.conn(), event).await?;
    if let Some(audience) = notice {
        notify::enqueue(&mut tx, row, &event.id, audience).await?;
    }
    audit_case(&mut tx, actor, "update", before, row, extra).await?;
    tx.commit().await?;
    Ok(())
}

async fn audit_case(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    before: &CaseRow,
    after: &CaseRow,
    extra: serde_json::Value,
) -> Result<()> {
    let snap = |r: &CaseRow| {
        json!({"status": r.status, "commune": r.commune_id, "handler": r.handler, "assignee": r.assignee,
               "category": r.category_id, "merged_into": r.merged_into, "rating": r.rating})
    };
    let mut after_json = snap(after);
    if let (Some(obj), Some(more)) = (after_json.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            obj.insert(k.clone(), v.clone());
        }
    }
    crate::audit::record(
        tx,
        actor,
        crate::audit::Change {
            action,
            record_type: "feedback_case",
            record_id: &after.id,
            unit_id: Some(&after.commune_id),
            before: Some(snap(before)),
            after: Some(after_json),
        },
    )
    .await
}

/// Moves a case to another status, with a note for the reporter and one for staff. Closing
/// without a fix and rejecting need a public reason.
pub async fn change_status(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    to: Status,
    public_note: &str,
    internal_note: &str,
) -> Result<Case> {
    change_status_at(store, actor, id, to, public_note, internal_note, Utc::now()).await
}

#[allow(clippy::too_many_arguments)]
pub async fn change_status_at(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    to: Status,
    public_note: &str,
    internal_note: &str,
    now: DateTime<Utc>,
) -> Result<Case> {
    let (before, actor) = load_for_staff(store, actor, id).await?;
    let from = stored_status(&before.status);
    if !from.may_become(to) {
        return Err(Error::Conflict(format!(
            "a case that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let public_note = note(public_note, "public_note")?;
    let internal_note = note(internal_note, "internal_note")?;
    if to.needs_reason() && public_note.is_empty() {
        return Err(Error::invalid(
            "public_note",
            "say why, for the reporter, when a case is closed without a fix or rejected",
        ));
    }
    let stamp = to_storage(now);
    let mut row = before.clone();
    row.status = to.as_str().into();
    if !public_note.is_empty() {
        row.status_note = public_note.clone();
    }
    row.updated_at = stamp.clone();
    if !to.is_open() {
        row.resolved_at = Some(stamp.clone());
    }
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "status",
        Some(from),
        to,
        &public_note,
        &internal_note,
    );
    let notice = Some(notify::Audience::Reporter);
    record_step(store, &actor, &before, &row, &event, notice, json!({})).await?;
    case(store, Some(&actor), &row.id).await
}

/// Adds a note without changing the status (a public one is shown on the tracking page).
pub async fn add_note(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    public_note: &str,
    internal_note: &str,
) -> Result<Case> {
    let (row, actor) = load_for_staff(store, actor, id).await?;
    let public_note = note(public_note, "public_note")?;
    let internal_note = note(internal_note, "internal_note")?;
    if public_note.is_empty() && internal_note.is_empty() {
        return Err(Error::invalid("public_note", "write a note"));
    }
    let status = stored_status(&row.status);
    let stamp = xaso_storage::now();
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "note",
        None,
        status,
        &public_note,
        &internal_note,
    );
    let notice = (!public_note.is_empty()).then_some(notify::Audience::Reporter);
    record_step(
        store,
        &actor,
        &row,
        &row,
        &event,
        notice,
        json!({"note": true}),
    )
    .await?;
    case(store, Some(&actor), &row.id).await
}

/// Hands a case to another commune (its handlers must cover both) or department/person.
pub async fn reassign(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    commune_code: &str,
    handler: &str,
    assignee: &str,
    internal_note: &str,
) -> Result<Case> {
    let (before, actor) = load_for_staff(store, actor, id).await?;
    let mut row = before.clone();
    if !commune_code.trim().is_empty() {
        let (commune, _) = places::units_for(store, commune_code.trim()).await?;
        if commune.id != row.commune_id {
            if !authz::has_role_over(store, &actor, HANDLERS, &commune.id).await? {
                return Err(Error::Forbidden);
            }
            row.commune_id = commune.id;
            row.village_id = None;
        }
    }
    row.handler = text::clean(handler);
    row.assignee = text::clean(assignee);
    let internal_note = note(internal_note, "internal_note")?;
    row.updated_at = xaso_storage::now();
    let status = stored_status(&row.status);
    let event = event_row(
        &row.id,
        &row.updated_at,
        &actor.username,
        "assign",
        None,
        status,
        "",
        &internal_note,
    );
    record_step(store, &actor, &before, &row, &event, None, json!({})).await?;
    case(store, Some(&actor), &row.id).await
}

/// Marks `id` as a duplicate of `into`: it is rejected with a note naming the case that goes
/// on, its photos join that case, and its reporter is told.
pub async fn merge(store: &Store, actor: Option<&Actor>, id: &str, into: &str) -> Result<Case> {
    let (before, actor) = load_for_staff(store, actor, id).await?;
    let (target, _) = load_for_staff(store, Some(&actor), into).await?;
    if target.id == before.id {
        return Err(Error::invalid(
            "into",
            "a case cannot be merged into itself",
        ));
    }
    if target.merged_into.is_some() {
        return Err(Error::invalid(
            "into",
            "that case was itself merged into another",
        ));
    }
    let from = stored_status(&before.status);
    if !from.is_open() {
        return Err(Error::Conflict("only an open case can be merged".into()));
    }
    let stamp = xaso_storage::now();
    let public_note = format!(
        "Trùng với phản ánh số {}; việc xử lý tiếp tục ở đó.",
        target.number
    );
    let mut row = before.clone();
    row.status = Status::Rejected.as_str().into();
    row.status_note = public_note.clone();
    row.merged_into = Some(target.id.clone());
    row.updated_at = stamp.clone();
    row.resolved_at = Some(stamp.clone());
    let mut tx = store.begin().await?;
    db::save_case(tx.conn(), &row).await?;
    for p in db::photos_of(tx.conn(), &before.id).await? {
        db::move_photo(tx.conn(), &p.id, &target.id).await?;
    }
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "merge",
        Some(from),
        Status::Rejected,
        &public_note,
        "",
    );
    db::insert_event(tx.conn(), &event).await?;
    let target_status = stored_status(&target.status);
    db::insert_event(
        tx.conn(),
        &event_row(
            &target.id,
            &stamp,
            &actor.username,
            "merged",
            None,
            target_status,
            "",
            &format!("Gộp phản ánh số {} vào đây.", before.number),
        ),
    )
    .await?;
    notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Reporter).await?;
    audit_case(
        &mut tx,
        &actor,
        "update",
        &before,
        &row,
        json!({"merged_into_number": target.number}),
    )
    .await?;
    tx.commit().await?;
    case(store, Some(&actor), &row.id).await
}

/// Splits a second problem out of a case into a new one (same place and reporter), which gets
/// its own category, deadline and tracking code. Returns the new case.
pub async fn split(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    category: &str,
    description: &str,
) -> Result<Case> {
    let (source, actor) = load_for_staff(store, actor, id).await?;
    let category = category_by_code(store, category)
        .await
        .map_err(|_| Error::invalid("category", "choose the category of the new case"))?;
    let description = text::clean(description);
    if description.chars().count() < 10 {
        return Err(Error::invalid(
            "description",
            "describe the split-off problem (10 characters at least)",
        ));
    }
    let now = Utc::now();
    let stamp = to_storage(now);
    let due = dom::due_at(now, category.deadline_value, category.deadline_unit);
    let mut tx = store.begin().await?;
    let number = db::next_number(tx.conn(), "feedback_case").await?;
    let row = CaseRow {
        id: xaso_storage::new_id(),
        number,
        token: new_token(),
        category_id: category.id.clone(),
        description,
        status: Status::Received.as_str().into(),
        status_note: String::new(),
        handler: category.handler.clone(),
        assignee: String::new(),
        due_at: to_storage(due),
        overdue_noticed: 0,
        merged_into: None,
        split_from: Some(source.id.clone()),
        rating: None,
        rating_comment: String::new(),
        created_by: actor.username.clone(),
        created_at: stamp.clone(),
        updated_at: stamp.clone(),
        resolved_at: None,
        ..source.clone()
    };
    db::save_case(tx.conn(), &row).await?;
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "split",
        None,
        Status::Received,
        &format!("Tách từ phản ánh số {}.", source.number),
        "",
    );
    db::insert_event(tx.conn(), &event).await?;
    notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Reporter).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "feedback_case",
            record_id: &row.id,
            unit_id: Some(&row.commune_id),
            before: None,
            after: Some(
                json!({"number": number, "category": category.code, "split_from": source.number}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    case(store, Some(&actor), &row.id).await
}

async fn reporter_row(store: &Store, token: &str) -> Result<CaseRow> {
    let token = clean_token(token);
    let mut conn = store.read().await?;
    db::case_by_token(&mut conn, &token)
        .await?
        .ok_or(Error::NotFound)
}

/// The reporter asks to look at a closed case again (within 30 days of its closing): it goes
/// back to "received" with a fresh deadline.
pub async fn reopen(store: &Store, token: &str, reason: &str) -> Result<Case> {
    let before = reporter_row(store, token).await?;
    let from = stored_status(&before.status);
    if from.is_open() {
        return Err(Error::Conflict("the case is still open".into()));
    }
    if before.merged_into.is_some() {
        return Err(Error::Conflict(
            "the case was merged into another; follow that one".into(),
        ));
    }
    let now = Utc::now();
    if let Some(closed) = before.resolved_at.as_deref().and_then(from_storage) {
        if now - closed > chrono::Duration::days(30) {
            return Err(Error::Conflict(
                "a case can be reopened within 30 days of its closing; please report it again"
                    .into(),
            ));
        }
    }
    let reason = note(reason, "reason")?;
    if reason.chars().count() < 5 {
        return Err(Error::invalid(
            "reason",
            "say why the case should be looked at again",
        ));
    }
    let category = {
        let mut conn = store.read().await?;
        db::category(&mut conn, &before.category_id)
            .await?
            .map(category_of)
            .ok_or(Error::NotFound)?
    };
    let stamp = to_storage(now);
    let mut row = before.clone();
    row.status = Status::Received.as_str().into();
    row.status_note = String::new();
    row.resolved_at = None;
    row.rating = None;
    row.rating_comment = String::new();
    row.overdue_noticed = 0;
    row.due_at = to_storage(dom::due_at(
        now,
        category.deadline_value,
        category.deadline_unit,
    ));
    row.updated_at = stamp.clone();
    let event = event_row(
        &row.id,
        &stamp,
        REPORTER,
        "reopen",
        Some(from),
        Status::Received,
        &reason,
        "",
    );
    let notice = Some(notify::Audience::Staff);
    let extra = json!({"reopened": true});
    record_step(store, &citizen(), &before, &row, &event, notice, extra).await?;
    tracked(store, token).await
}

/// The reporter rates how a closed case was handled (1 to 5 stars), once.
pub async fn rate(store: &Store, token: &str, stars: i64, comment: &str) -> Result<Case> {
    let before = reporter_row(store, token).await?;
    let status = stored_status(&before.status);
    if status.is_open() || status == Status::Rejected {
        return Err(Error::Conflict(
            "a case is rated once it has been resolved or closed".into(),
        ));
    }
    if before.rating.is_some() {
        return Err(Error::Conflict("this case has already been rated".into()));
    }
    if !(1..=5).contains(&stars) {
        return Err(Error::invalid("rating", "choose from 1 to 5 stars"));
    }
    let comment = note(comment, "comment")?;
    let stamp = xaso_storage::now();
    let mut row = before.clone();
    row.rating = Some(stars);
    row.rating_comment = comment.clone();
    row.updated_at = stamp.clone();
    let event = event_row(
        &row.id, &stamp, REPORTER, "rating", None, status, &comment, "",
    );
    record_step(store, &citizen(), &before, &row, &event, None, json!({})).await?;
    tracked(store, token).await
}

/// What a list of cases asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// A commune's (or larger unit's) code; empty = everywhere the reader may look.
    pub unit: String,
    pub statuses: Vec<Status>,
    pub categories: Vec<String>,
    pub numbers: Vec<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub bbox: Option<(f64, f64, f64, f64)>,
    pub page: i64,
    pub per_page: i64,
}

async fn filter_of(store: &Store, q: &ListQuery, now: DateTime<Utc>) -> Result<CaseFilter> {
    let mut f = CaseFilter {
        statuses: q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
        numbers: q.numbers.clone(),
        created_from: q.from.map(to_storage),
        created_to: q.to.map(to_storage),
        overdue_at: q.overdue.then(|| to_storage(now)),
        bbox: q.bbox,
        limit: q.per_page.clamp(1, 1000),
        offset: (q.page.max(1) - 1) * q.per_page.clamp(1, 1000),
        ..CaseFilter::default()
    };
    if !q.categories.is_empty() {
        let mut conn = store.read().await?;
        let all = db::categories(&mut conn).await?;
        f.category_ids = all
            .into_iter()
            .filter(|c| q.categories.contains(&c.code))
            .map(|c| c.id)
            .collect();
        if f.category_ids.is_empty() {
            f.category_ids.push(String::new());
        }
    }
    if !q.unit.trim().is_empty() {
        let unit =
            crate::units::by_code(store, q.unit.trim(), xaso_domain::time::today_vn()).await?;
        f.communes = Some(crate::units::communes_of(store, &unit).await?);
    }
    Ok(f)
}

/// A page of cases as the public sees them, newest first, with the total count.
pub async fn list_public(store: &Store, q: &ListQuery) -> Result<(Vec<Case>, i64)> {
    let f = filter_of(store, q, Utc::now()).await?;
    let total = {
        let mut conn = store.read().await?;
        db::count_cases(&mut conn, &f).await?
    };
    Ok((public_rows(store, &f).await?, total))
}

/// A page of cases as the public sees them, newest first, without counting them all (for
/// Open311, whose answers carry no total).
pub async fn list_public_page(store: &Store, q: &ListQuery) -> Result<Vec<Case>> {
    let f = filter_of(store, q, Utc::now()).await?;
    public_rows(store, &f).await
}

async fn public_rows(store: &Store, f: &CaseFilter) -> Result<Vec<Case>> {
    let rows = {
        let mut conn = store.read().await?;
        db::cases(&mut conn, f).await?
    };
    let mut l = Loaded::new(store).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(l.case(store, r, false).await?.public());
    }
    Ok(out)
}

/// A page of the cases of the communes the actor handles (with reporters), and the count.
pub async fn list_staff(
    store: &Store,
    actor: Option<&Actor>,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<(Vec<Case>, i64)> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let mut f = filter_of(store, q, now).await?;
    let scope = authz::covered_ids(store, actor, HANDLERS).await?;
    if let Some(scope) = scope {
        if scope.is_empty() {
            return Err(Error::Forbidden);
        }
        let allowed: Vec<String> = match f.communes.take() {
            Some(asked) => asked.into_iter().filter(|c| scope.contains(c)).collect(),
            None => scope.into_iter().collect(),
        };
        f.communes = Some(allowed);
    }
    let rows = {
        let mut conn = store.read().await?;
        (
            db::cases(&mut conn, &f).await?,
            db::count_cases(&mut conn, &f).await?,
        )
    };
    let mut l = Loaded::new(store).await?;
    let mut out = Vec::with_capacity(rows.0.len());
    for r in rows.0 {
        out.push(l.case(store, r, false).await?);
    }
    Ok((out, rows.1))
}

/// A point on the public map.
#[derive(Debug, Clone)]
pub struct Point {
    pub number: i64,
    pub category: String,
    pub status: Status,
    pub latitude: f64,
    pub longitude: f64,
}

/// The newest cases with a position in a box (at most `limit`), for the public map.
pub async fn map_points(store: &Store, q: &ListQuery, limit: i64) -> Result<Vec<Point>> {
    let mut f = filter_of(store, q, Utc::now()).await?;
    f.limit = limit.clamp(1, 2000);
    f.offset = 0;
    let rows = {
        let mut conn = store.read().await?;
        db::points(&mut conn, &f).await?
    };
    let cats = Loaded::new(store).await?.categories;
    Ok(rows
        .into_iter()
        .map(|r| Point {
            number: r.number,
            category: cats
                .get(&r.category_id)
                .map(|c| c.code.clone())
                .unwrap_or_default(),
            status: stored_status(&r.status),
            latitude: r.latitude,
            longitude: r.longitude,
        })
        .collect())
}

/// Open cases of a category near a point: shown on the form before submitting ("is it already
/// reported?") and to staff as likely duplicates. Public view, nearest first.
pub async fn nearby_open(
    store: &Store,
    category: &str,
    lat: f64,
    lng: f64,
    except: Option<&str>,
) -> Result<Vec<(Case, f64)>> {
    let Ok(cat) = category_by_code(store, category).await else {
        return Ok(Vec::new());
    };
    let dlat = dom::DUPLICATE_RADIUS_M / 111_000.0;
    let dlng = dlat / lat.to_radians().cos().max(0.1);
    let f = CaseFilter {
        statuses: vec!["received".into(), "accepted".into(), "in_progress".into()],
        category_ids: vec![cat.id],
        bbox: Some((lat - dlat, lng - dlng, lat + dlat, lng + dlng)),
        hide_merged: true,
        limit: 50,
        ..CaseFilter::default()
    };
    let rows = {
        let mut conn = store.read().await?;
        db::cases(&mut conn, &f).await?
    };
    let mut l = Loaded::new(store).await?;
    let mut out = Vec::new();
    for r in rows {
        if Some(r.id.as_str()) == except {
            continue;
        }
        let d = distance_m(
            lat,
            lng,
            r.latitude.unwrap_or(lat),
            r.longitude.unwrap_or(lng),
        );
        if d <= dom::DUPLICATE_RADIUS_M {
            out.push((l.case(store, r, false).await?.public(), d));
        }
    }
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out.truncate(5);
    Ok(out)
}

/// Likely duplicates of a case, for its handlers: open cases of the same category within
/// 300 m, or at the same registered place.
pub async fn suggested_duplicates(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<Vec<(Case, f64)>> {
    let (row, _) = load_for_staff(store, actor, id).await?;
    if !Status::parse(&row.status).is_some_and(|s| s.is_open()) {
        return Ok(Vec::new());
    }
    let (Some(lat), Some(lng)) = (row.latitude, row.longitude) else {
        return Ok(Vec::new());
    };
    let code = {
        let mut conn = store.read().await?;
        db::category(&mut conn, &row.category_id)
            .await?
            .map(|c| c.code)
            .unwrap_or_default()
    };
    nearby_open(store, &code, lat, lng, Some(&row.id)).await
}

/// A commune's (or area's) figures.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// (category code, status) → count.
    pub counts: Vec<(String, Status, i64)>,
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    /// Median time from report to resolution, in hours.
    pub median_hours: Option<f64>,
    /// Share of closed cases closed within their deadline.
    pub on_time_share: Option<f64>,
    pub rating_avg: Option<f64>,
    pub ratings: i64,
}

/// Statistics of the cases of a unit (a commune, or every commune under a larger unit).
pub async fn stats(store: &Store, unit_code: &str) -> Result<Stats> {
    let q = ListQuery {
        unit: unit_code.into(),
        ..ListQuery::default()
    };
    let now = Utc::now();
    let mut f = filter_of(store, &q, now).await?;
    f.hide_merged = true;
    let (counts, closed, overdue) = {
        let mut conn = store.read().await?;
        let counts = db::counts(&mut conn, &f).await?;
        let closed = db::closed_times(&mut conn, &f).await?;
        let mut of = f.clone();
        of.overdue_at = Some(to_storage(now));
        let overdue = db::count_cases(&mut conn, &of).await?;
        (counts, closed, overdue)
    };
    let cats = Loaded::new(store).await?.categories;
    let mut s = Stats {
        overdue,
        ..Stats::default()
    };
    for c in counts {
        let status = stored_status(&c.status);
        s.total += c.n;
        if status.is_open() {
            s.open += c.n;
        }
        let code = cats
            .get(&c.category_id)
            .map(|c| c.code.clone())
            .unwrap_or_default();
        s.counts.push((code, status, c.n));
    }
    let mut hours: Vec<f64> = Vec::new();
    let mut on_time = 0;
    let mut ratings = Vec::new();
    for c in &closed {
        let (Some(created), Some(resolved), Some(due)) = (
            from_storage(&c.created_at),
            c.resolved_at.as_deref().and_then(from_storage),
            from_storage(&c.due_at),
        ) else {
            continue;
        };
        hours.push((resolved - created).num_minutes() as f64 / 60.0);
        if resolved <= due {
            on_time += 1;
        }
        if let Some(r) = c.rating {
            ratings.push(r as f64);
        }
    }
    hours.sort_by(|a, b| a.total_cmp(b));
    if !hours.is_empty() {
        let m = hours.len() / 2;
        s.median_hours = Some(if hours.len() % 2 == 1 {
            hours[m]
        } else {
            (hours[m - 1] + hours[m]) / 2.0
        });
        s.on_time_share = Some(on_time as f64 / hours.len() as f64);
    }
    if !ratings.is_empty() {
        s.ratings = ratings.len() as i64;
        s.rating_avg = Some(ratings.iter().sum::<f64>() / ratings.len() as f64);
    }
    Ok(s)
}

/// The national 2021–2025 commune set, which a bare criterion number in a category's tags
/// refers to; other sets are named: "vn-xa-ntm-2026-2030:2".
pub const DEFAULT_CRITERIA_SET: &str = "vn-xa-ntm-2021-2025";

/// The (set key, criterion number) a category tag names.
pub fn criterion_of(tag: &str) -> (String, String) {
    match tag.rsplit_once(':') {
        Some((set, no)) => (set.trim().to_string(), no.trim().to_string()),
        None => (DEFAULT_CRITERIA_SET.to_string(), tag.trim().to_string()),
    }
}

/// Open cases of a commune whose category touches each NTM criterion: (set key, criterion
/// number) → cases (public view), for the commune's criteria page.
pub async fn open_by_criterion(
    store: &Store,
    commune_id: &str,
) -> Result<HashMap<(String, String), Vec<Case>>> {
    let f = CaseFilter {
        communes: Some(vec![commune_id.to_string()]),
        statuses: vec!["received".into(), "accepted".into(), "in_progress".into()],
        hide_merged: true,
        limit: 500,
        ..CaseFilter::default()
    };
    let rows = {
        let mut conn = store.read().await?;
        db::cases(&mut conn, &f).await?
    };
    let mut l = Loaded::new(store).await?;
    let mut out: HashMap<(String, String), Vec<Case>> = HashMap::new();
    for r in rows {
        let c = l.case(store, r, false).await?.public();
        for tag in &c.category.criteria {
            out.entry(criterion_of(tag)).or_default().push(c.clone());
        }
    }
    Ok(out)
}

/// Tells staff about cases that have just passed their deadline (once per case) and records it
/// on each case. Run by the server every few minutes; returns how many were flagged.
pub async fn notice_overdue(store: &Store, now: DateTime<Utc>) -> Result<usize> {
    let stamp = to_storage(now);
    let rows = {
        let mut conn = store.read().await?;
        db::newly_overdue(&mut conn, &stamp, 200).await?
    };
    let mut n = 0;
    for row in rows {
        let status = stored_status(&row.status);
        let mut tx = store.begin().await?;
        if !db::mark_overdue_noticed(tx.conn(), &row.id).await? {
            continue; // another instance told
        }
        n += 1;
        let event = event_row(&row.id, &stamp, SYSTEM, "overdue", None, status, "", "");
        db::insert_event(tx.conn(), &event).await?;
        notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Staff).await?;
        tx.commit().await?;
    }
    Ok(n)
}

/// Checks an Open311 api_key; the key's label names the client in the case's history.
pub async fn open311_client(store: &Store, key: &str) -> Result<Option<String>> {
    if key.is_empty() {
        return Ok(None);
    }
    let hash = crate::auth::token_hash(key);
    let mut conn = store.read().await?;
    Ok(db::key_by_hash(&mut conn, &hash).await?.map(|k| k.label))
}

/// Creates an Open311 key for a client app (administrators). The key is returned once; only
/// its hash is kept.
pub async fn create_open311_key(
    store: &Store,
    actor: Option<&Actor>,
    label: &str,
    key: Option<&str>,
) -> Result<String> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let label = text::clean(label);
    if label.is_empty() {
        return Err(Error::invalid("label", "name the app the key is for"));
    }
    let key = key.map(String::from).unwrap_or_else(|| {
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill(&mut bytes);
        hex::encode(bytes)
    });
    let row = db::KeyRow {
        id: xaso_storage::new_id(),
        key_hash: crate::auth::token_hash(&key),
        label: label.clone(),
        created_by: actor.username.clone(),
        created_at: xaso_storage::now(),
        revoked_at: None,
    };
    let mut tx = store.begin().await?;
    db::insert_key(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "open311_key",
            record_id: &row.id,
            unit_id: None,
            before: None,
            after: Some(json!({"label": label})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// The Open311 keys (administrators): label, creation, revocation; never the key.
pub async fn open311_keys(store: &Store, actor: Option<&Actor>) -> Result<Vec<db::KeyRow>> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let mut conn = store.read().await?;
    Ok(db::keys(&mut conn).await?)
}

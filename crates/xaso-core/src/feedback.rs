//! Citizen feedback (phản ánh, kiến nghị), the job of Long An's 1022 hotline: citizens report a
//! problem with its place, the commune responsible gets it with a deadline set by its category,
//! staff move it through its statuses with notes, and the reporter follows it with a tracking
//! code, asks to reopen it and rates the result.
//!
//! Confidentiality: the reporter's name and contacts are read only by staff who handle cases of
//! the case's commune ([`HANDLERS`]); every public view ([`Case::public`]) leaves them out.

mod handling;
mod intake;
mod lists;
pub mod notify;
mod photos;
mod reporter;
pub mod senders;

pub use handling::*;
pub use intake::*;
pub use lists::*;
pub use photos::*;
pub use reporter::*;

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

//! Training: a catalogue of topics a commune can extend, courses made of sessions, and
//! attendance taken three ways (a participant scans the session's code and confirms on their
//! phone, the trainer ticks a roster, or a spreadsheet is uploaded). Closing a session issues a
//! certificate to everyone who attended.

mod attendance;

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use serde_json::json;
use xaso_domain::dt::{Audience, Method, NewSession, SessionInput};
use xaso_domain::text;
use xaso_domain::units::Unit;
use xaso_storage::dt::{self as db, AttendanceRow, CourseRow, SessionRow, TopicRow};
use xaso_storage::qr::QrRow;
use xaso_storage::Store;

use super::{commune, invalid, manages, unit, villages, MANAGERS};
use crate::error::Problem;
use crate::qr::TargetType;
use crate::{authz, Actor, Error, Result};

pub use attendance::{check_in, import_xlsx, record, save_roster, CheckedIn, Person};

/// A training topic.
#[derive(Debug, Clone)]
pub struct Topic {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    /// Added by the commune (the built-in ones are shared).
    pub local: bool,
}

impl From<TopicRow> for Topic {
    fn from(r: TopicRow) -> Topic {
        Topic {
            local: r.commune_id.is_some(),
            id: r.id,
            name_vi: r.name_vi,
            name_en: r.name_en,
        }
    }
}

impl Topic {
    pub fn name(&self, english: bool) -> &str {
        if english && !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.name_vi
        }
    }
}

/// The topics a commune can choose from: the built-in ones and its own.
pub async fn topics(store: &Store, commune_id: &str) -> Result<Vec<Topic>> {
    let mut conn = store.read().await?;
    Ok(db::topics(&mut conn, commune_id)
        .await?
        .into_iter()
        .map(Topic::from)
        .collect())
}

/// Adds a topic of the commune's own.
pub async fn add_topic(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    name_vi: &str,
    name_en: &str,
) -> Result<String> {
    let commune = commune(store, commune_code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let name_vi = text::clean(name_vi);
    let name_en = text::clean(name_en);
    if name_vi.is_empty() || name_vi.chars().count() > 150 || name_en.chars().count() > 150 {
        return Err(Error::invalid(
            "name_vi",
            "a topic needs a Vietnamese name of at most 150 characters",
        ));
    }
    let existing = topics(store, &commune.id).await?;
    if existing
        .iter()
        .any(|t| text::fold(&t.name_vi) == text::fold(&name_vi))
    {
        return Err(Error::invalid(
            "name_vi",
            "this topic is already in the list",
        ));
    }
    let row = TopicRow {
        id: xaso_storage::new_id(),
        commune_id: Some(commune.id.clone()),
        name_vi,
        name_en,
        position: 100 + existing.len() as i64,
    };
    let mut tx = store.begin().await?;
    db::insert_topic(tx.conn(), &row, &xaso_storage::now()).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_topic",
            record_id: &row.id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(json!({"name_vi": row.name_vi, "name_en": row.name_en})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

/// A course and its sessions.
#[derive(Debug, Clone)]
pub struct Course {
    pub id: String,
    pub commune: Unit,
    pub title: String,
    pub topics: Vec<Topic>,
    pub audience: Audience,
    pub description: String,
    pub sessions: Vec<Session>,
}

/// A session as staff and the check-in page see it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub course_id: String,
    pub course_title: String,
    pub audience: Audience,
    pub commune: Unit,
    pub day: NaiveDate,
    pub starts: String,
    pub ends: String,
    pub place_id: Option<String>,
    /// The registered place's public name, or the free-text place.
    pub place: String,
    pub trainer: String,
    pub capacity: i64,
    pub closed: bool,
    pub attendees: i64,
}

impl Session {
    /// Whether people can still check themselves in (today, not closed, seats left).
    pub fn open_for_check_in(&self, today: NaiveDate) -> bool {
        !self.closed && self.day == today && self.attendees < self.capacity
    }
}

/// What a course's form sends.
#[derive(Debug, Clone, Default)]
pub struct CourseInput {
    pub title: String,
    pub topics: Vec<String>,
    pub audience: String,
    pub description: String,
}

async fn course_row(store: &Store, id: &str) -> Result<CourseRow> {
    let mut conn = store.read().await?;
    db::course(&mut conn, id).await?.ok_or(Error::NotFound)
}

async fn check_course(
    store: &Store,
    commune_id: &str,
    input: &CourseInput,
) -> Result<(String, Vec<String>, Audience, String)> {
    let mut problems = Vec::new();
    let title = text::clean(&input.title);
    if title.is_empty() || title.chars().count() > 200 {
        problems.push(Problem::new(
            "title",
            "a course needs a title of at most 200 characters",
        ));
    }
    let known: HashSet<String> = topics(store, commune_id)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut chosen: Vec<String> = Vec::new();
    for t in &input.topics {
        if !known.contains(t) {
            problems.push(Problem::new("topics", "choose topics from the list"));
            break;
        }
        if !chosen.contains(t) {
            chosen.push(t.clone());
        }
    }
    if chosen.is_empty() && problems.is_empty() {
        problems.push(Problem::new("topics", "choose at least one topic"));
    }
    let audience = Audience::parse(&input.audience);
    if audience.is_none() {
        problems.push(Problem::new(
            "audience",
            "say whether the course is for team members or citizens",
        ));
    }
    let description = text::nfc(input.description.trim());
    if description.chars().count() > 4000 {
        problems.push(Problem::new(
            "description",
            "the description is at most 4000 characters",
        ));
    }
    if problems.is_empty() {
        Ok((title, chosen, audience.expect("checked"), description))
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Creates a course in a commune.
pub async fn create_course(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    input: &CourseInput,
) -> Result<String> {
    let commune = commune(store, commune_code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let (title, topics, audience, description) = check_course(store, &commune.id, input).await?;
    let now = xaso_storage::now();
    let row = CourseRow {
        id: xaso_storage::new_id(),
        commune_id: commune.id.clone(),
        title,
        topics: serde_json::to_string(&topics).unwrap_or_else(|_| "[]".into()),
        audience: audience.as_str().into(),
        description,
        created_by: actor.username.clone(),
        created_at: now.clone(),
        updated_by: actor.username.clone(),
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    db::save_course(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_course",
            record_id: &row.id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(json!({"title": row.title, "topics": topics, "audience": row.audience})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

fn session_of(
    row: SessionRow,
    course: &CourseRow,
    commune: &Unit,
    place: String,
    attendees: i64,
) -> Session {
    Session {
        day: xaso_domain::time::parse_date(&row.day).unwrap_or_default(),
        id: row.id,
        course_id: row.course_id,
        course_title: course.title.clone(),
        audience: Audience::parse(&course.audience).unwrap_or(Audience::Members),
        commune: commune.clone(),
        starts: row.starts,
        ends: row.ends,
        place_id: row.place_id,
        place: if place.is_empty() {
            row.place_note
        } else {
            place
        },
        trainer: row.trainer,
        capacity: row.capacity,
        closed: row.status == "closed",
        attendees,
    }
}

async fn place_name(store: &Store, place_id: Option<&str>) -> Result<String> {
    Ok(match crate::places::public(store, place_id).await? {
        Some(p) => p.public_title().unwrap_or_default().to_string(),
        None => String::new(),
    })
}

async fn session_view(store: &Store, row: SessionRow) -> Result<Session> {
    let course = course_row(store, &row.course_id).await?;
    let commune = unit(store, &row.commune_id).await?;
    let attendees = {
        let mut conn = store.read().await?;
        db::count_attendance(&mut conn, &row.id).await?
    };
    let place = place_name(store, row.place_id.as_deref()).await?;
    Ok(session_of(row, &course, &commune, place, attendees))
}

/// A course with its sessions (the commune's managers).
pub async fn course(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Course> {
    let row = course_row(store, id).await?;
    authz::require_role_over(store, actor, MANAGERS, &row.commune_id).await?;
    let commune = unit(store, &row.commune_id).await?;
    let all = topics(store, &row.commune_id).await?;
    let ids: Vec<String> = serde_json::from_str(&row.topics).unwrap_or_default();
    let chosen = ids
        .iter()
        .filter_map(|i| all.iter().find(|t| &t.id == i).cloned())
        .collect();
    let rows = {
        let mut conn = store.read().await?;
        db::sessions_of_course(&mut conn, &row.id).await?
    };
    let mut sessions = Vec::with_capacity(rows.len());
    for s in rows {
        sessions.push(session_view(store, s).await?);
    }
    Ok(Course {
        id: row.id.clone(),
        commune,
        title: row.title.clone(),
        topics: chosen,
        audience: Audience::parse(&row.audience).unwrap_or(Audience::Members),
        description: row.description.clone(),
        sessions,
    })
}

/// The courses of a commune, newest first, with their sessions (the commune's managers).
pub async fn courses(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
) -> Result<(Unit, Vec<Course>)> {
    let commune = commune(store, commune_code).await?;
    authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let rows = {
        let mut conn = store.read().await?;
        db::courses_in(&mut conn, std::slice::from_ref(&commune.id)).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(course(store, actor, &r.id).await?);
    }
    Ok((commune, out))
}

/// What a session's form sends: the checked fields and the place (by id, from the registry).
#[derive(Debug, Clone, Default)]
pub struct SessionForm {
    pub input: SessionInput,
    pub place_id: String,
}

async fn check_session(
    store: &Store,
    commune_id: &str,
    f: &SessionForm,
) -> Result<(NewSession, Option<String>)> {
    let checked = f.input.check();
    let place_id = f.place_id.trim();
    let mut problems = match &checked {
        Ok(_) => Vec::new(),
        Err(ps) => match invalid(ps.clone()) {
            Error::Invalid(list) => list,
            _ => Vec::new(),
        },
    };
    let place = if place_id.is_empty() {
        None
    } else {
        match crate::places::public(store, Some(place_id)).await? {
            Some(p) if p.commune.id == commune_id => Some(p.id),
            _ => {
                problems.push(Problem::new(
                    "place_id",
                    "the place is not a registered place of this commune",
                ));
                None
            }
        }
    };
    match checked {
        Ok(s) if problems.is_empty() => Ok((s, place)),
        _ => Err(Error::Invalid(problems)),
    }
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Adds a session to a course.
pub async fn create_session(
    store: &Store,
    actor: Option<&Actor>,
    course_id: &str,
    form: &SessionForm,
) -> Result<String> {
    let course = course_row(store, course_id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &course.commune_id).await?;
    let (s, place_id) = check_session(store, &course.commune_id, form).await?;
    let now = xaso_storage::now();
    let row = SessionRow {
        id: xaso_storage::new_id(),
        course_id: course.id.clone(),
        commune_id: course.commune_id.clone(),
        day: s.day.to_string(),
        starts: hhmm(s.starts),
        ends: hhmm(s.ends),
        place_id,
        place_note: s.place_note,
        trainer: s.trainer,
        capacity: s.capacity,
        status: "open".into(),
        closed_at: None,
        closed_by: None,
        created_by: actor.username.clone(),
        created_at: now.clone(),
        updated_by: actor.username.clone(),
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    db::save_session(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_session",
            record_id: &row.id,
            unit_id: Some(&course.commune_id),
            before: None,
            after: Some(
                json!({"course": course.id, "day": row.day, "starts": row.starts,
                "ends": row.ends, "place": row.place_id, "place_note": row.place_note,
                "trainer": row.trainer, "capacity": row.capacity}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

async fn session_row(store: &Store, id: &str) -> Result<SessionRow> {
    let mut conn = store.read().await?;
    db::session(&mut conn, id).await?.ok_or(Error::NotFound)
}

/// What the public check-in page shows of a session: course, day, time and place.
pub async fn public_session(store: &Store, id: &str) -> Result<Session> {
    session_view(store, session_row(store, id).await?).await
}

/// One person present at a session, as staff see it.
#[derive(Debug, Clone)]
pub struct Attendee {
    pub id: String,
    pub person_key: String,
    pub member_id: Option<String>,
    pub name: String,
    pub village: Option<String>,
    pub phone: Option<String>,
    pub method: Method,
    pub recorded_at: String,
    /// The newest certificate's id and whether it is still valid.
    pub certificate: Option<(String, bool)>,
}

/// A line of the trainer's roster: a team member of the commune, present or not.
#[derive(Debug, Clone)]
pub struct RosterLine {
    pub member_id: String,
    pub name: String,
    pub village: String,
    pub present: bool,
}

/// A session as its managers see it: who came, the roster of team members, and the check-in
/// code.
#[derive(Debug, Clone)]
pub struct SessionDetail {
    pub session: Session,
    pub attendees: Vec<Attendee>,
    pub roster: Vec<RosterLine>,
    pub villages: Vec<Unit>,
    pub check_in_token: String,
}

/// A session with its attendance (the commune's managers). Makes its check-in code on first
/// use.
pub async fn session(store: &Store, actor: Option<&Actor>, id: &str) -> Result<SessionDetail> {
    let row = session_row(store, id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &row.commune_id).await?;
    let code = crate::qr::code_for(
        store,
        &actor,
        TargetType::TrainingSession,
        &row.id,
        Some(&row.commune_id),
    )
    .await?;
    let session = session_view(store, row).await?;
    let villages = villages(store, &session.commune).await?;
    let village_name: HashMap<String, String> = villages
        .iter()
        .map(|v| (v.id.clone(), v.name.clone()))
        .collect();
    let (rows, certs, teams) = {
        let mut conn = store.read().await?;
        let rows = db::attendance_of(&mut conn, &session.id).await?;
        let certs = db::certificates_of(&mut conn, &session.id).await?;
        let teams = db::teams_in(&mut conn, std::slice::from_ref(&session.commune.id)).await?;
        (rows, certs, teams)
    };
    let attendees: Vec<Attendee> = rows
        .into_iter()
        .map(|a| Attendee {
            certificate: certs
                .iter()
                .rfind(|c| c.attendance_id == a.id)
                .map(|c| (c.id.clone(), c.revoked_at.is_none())),
            village: a
                .village_id
                .as_ref()
                .and_then(|v| village_name.get(v).cloned()),
            method: Method::parse(&a.method).unwrap_or(Method::Roster),
            id: a.id,
            person_key: a.person_key,
            member_id: a.member_id,
            name: a.name,
            phone: a.phone,
            recorded_at: a.recorded_at,
        })
        .collect();
    let present: HashSet<&str> = attendees
        .iter()
        .filter_map(|a| a.member_id.as_deref())
        .collect();
    let team_village: HashMap<String, String> = teams
        .iter()
        .map(|t| (t.id.clone(), t.unit_id.clone()))
        .collect();
    let members = {
        let mut conn = store.read().await?;
        let ids: Vec<String> = teams.iter().map(|t| t.id.clone()).collect();
        db::members_of(&mut conn, &ids).await?
    };
    let mut roster: Vec<RosterLine> = members
        .into_iter()
        .filter(|m| m.active != 0 || present.contains(m.id.as_str()))
        .map(|m| RosterLine {
            present: present.contains(m.id.as_str()),
            village: team_village
                .get(&m.team_id)
                .and_then(|v| village_name.get(v).cloned())
                .unwrap_or_default(),
            member_id: m.id,
            name: m.name,
        })
        .collect();
    roster.sort_by(|a, b| {
        (text::fold(&a.village), text::fold(&a.name))
            .cmp(&(text::fold(&b.village), text::fold(&b.name)))
    });
    Ok(SessionDetail {
        session,
        attendees,
        roster,
        villages,
        check_in_token: code.token,
    })
}

/// Closes a session: no more check-ins, and everyone present gets a certificate with its own
/// code. Returns how many certificates were issued.
pub async fn close(store: &Store, actor: Option<&Actor>, session_id: &str) -> Result<usize> {
    let row = session_row(store, session_id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &row.commune_id).await?;
    if row.status == "closed" {
        return Err(Error::Conflict("the session is already closed".into()));
    }
    let now = xaso_storage::now();
    let today = xaso_domain::time::today_vn().to_string();
    let mut tx = store.begin().await?;
    let attendance = db::attendance_of(tx.conn(), &row.id).await?;
    let mut issued = 0;
    for a in &attendance {
        issue(tx.conn(), &actor, &row, a, &a.name, &today, &now, None).await?;
        issued += 1;
    }
    let closed = SessionRow {
        status: "closed".into(),
        closed_at: Some(now.clone()),
        closed_by: Some(actor.username.clone()),
        updated_by: actor.username.clone(),
        updated_at: now.clone(),
        ..row.clone()
    };
    db::save_session(tx.conn(), &closed).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "dt_session",
            record_id: &row.id,
            unit_id: Some(&row.commune_id),
            before: Some(json!({"status": row.status})),
            after: Some(json!({"status": "closed", "certificates_issued": issued})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// Issues one certificate (with its code in the QR backbone) inside a transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue(
    conn: &mut xaso_storage::Conn,
    actor: &Actor,
    session: &SessionRow,
    a: &AttendanceRow,
    name: &str,
    today: &str,
    now: &str,
    replaces: Option<&str>,
) -> Result<String> {
    let id = xaso_storage::new_id();
    let token = crate::qr::new_token();
    xaso_storage::qr::insert(
        conn,
        &QrRow {
            token: token.clone(),
            target_type: TargetType::Certificate.as_str().into(),
            target_id: id.clone(),
            unit_id: Some(session.commune_id.clone()),
            created_by: actor.username.clone(),
            created_at: now.into(),
            retired_at: None,
            retired_reason: None,
        },
    )
    .await?;
    db::insert_certificate(
        conn,
        &xaso_storage::dt::CertificateRow {
            id: id.clone(),
            token,
            attendance_id: a.id.clone(),
            session_id: session.id.clone(),
            commune_id: session.commune_id.clone(),
            name: name.into(),
            issued_on: today.into(),
            issued_by: actor.username.clone(),
            issued_at: now.into(),
            revoked_at: None,
            revoked_by: None,
            revoked_reason: String::new(),
            replaces: replaces.map(str::to_string),
        },
    )
    .await?;
    Ok(id)
}

/// Whether the actor manages the session's commune (for showing staff actions).
pub async fn manages_session(
    store: &Store,
    actor: Option<&Actor>,
    session: &Session,
) -> Result<bool> {
    manages(store, actor, &session.commune.id).await
}

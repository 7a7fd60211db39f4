//! Attendance: a participant's own check-in after scanning the session's code, the trainer's
//! roster, walk-ins and the API, and spreadsheets. Every path writes in one transaction and
//! records a person once per session.

use std::collections::HashSet;

use serde_json::json;
use xaso_domain::dt::{person_key, Method};
use xaso_domain::text;
use xaso_storage::dt::{self as db, AttendanceRow, SessionRow};
use xaso_storage::Store;

use super::{session, session_row, session_view};
use crate::dt::{unit, villages, MANAGERS};
use crate::error::Problem;
use crate::sheet::Sheet;
use crate::{authz, Actor, Error, Result};

/// Someone to record as present: a member by id, or a person by name (with a village and,
/// to tell namesakes apart, a phone).
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub member_id: Option<String>,
    pub name: String,
    pub phone: String,
    pub village_code: String,
}

/// The actor the audit log names for a participant checking themselves in.
fn participant() -> Actor {
    Actor {
        user_id: None,
        username: "participant".into(),
        display_name: "participant".into(),
        assignments: Vec::new(),
        credential: crate::auth::Credential::System,
        offline: None,
    }
}

/// Resolves people into attendance rows; problems are reported per person (`at`).
async fn rows_for(
    store: &Store,
    session: &SessionRow,
    people: &[(String, Person)],
    method: Method,
    by: &str,
) -> Result<Vec<AttendanceRow>> {
    let commune = unit(store, &session.commune_id).await?;
    let villages = villages(store, &commune).await?;
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(people.len());
    let now = xaso_storage::now();
    let mut conn = store.read().await?;
    let teams = db::teams_in(&mut conn, std::slice::from_ref(&commune.id)).await?;
    for (at, p) in people {
        let phone = xaso_domain::places::phone_number(&p.phone);
        let Some(phone) = phone else {
            problems.push(Problem::new(
                at.clone(),
                "a phone number has 9 to 12 digits",
            ));
            continue;
        };
        let phone = (!phone.is_empty()).then_some(phone);
        let member = match (&p.member_id, &phone) {
            (Some(id), _) => match db::member(&mut conn, id).await? {
                Some(m) if teams.iter().any(|t| t.id == m.team_id) => Some(m),
                _ => {
                    problems.push(Problem::new(
                        at.clone(),
                        "not a member of this commune's teams",
                    ));
                    continue;
                }
            },
            (None, Some(ph)) => db::member_by_phone(&mut conn, &commune.id, ph).await?,
            (None, None) => None,
        };
        let village_id = match &member {
            Some(m) => teams
                .iter()
                .find(|t| t.id == m.team_id)
                .map(|t| t.unit_id.clone()),
            None if p.village_code.trim().is_empty() => None,
            None => match villages.iter().find(|v| v.code == p.village_code.trim()) {
                Some(v) => Some(v.id.clone()),
                None => {
                    problems.push(Problem::new(at.clone(), "choose a village of this commune"));
                    continue;
                }
            },
        };
        let name = member
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| text::clean(&p.name));
        if name.is_empty() || name.chars().count() > 120 {
            problems.push(Problem::new(
                at.clone(),
                "write the full name (at most 120 characters)",
            ));
            continue;
        }
        let member_id = member.as_ref().map(|m| m.id.clone());
        out.push(AttendanceRow {
            id: xaso_storage::new_id(),
            session_id: session.id.clone(),
            person_key: person_key(member_id.as_deref(), &name, phone.as_deref()),
            member_id,
            name,
            village_id,
            phone,
            method: method.as_str().into(),
            recorded_by: by.into(),
            recorded_at: now.clone(),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Writes attendance rows in one transaction; returns how many were new.
async fn write_attendance(
    store: &Store,
    actor: &Actor,
    session: &SessionRow,
    rows: &[AttendanceRow],
    method: Method,
) -> Result<usize> {
    let mut tx = store.begin().await?;
    let fresh = db::session(tx.conn(), &session.id)
        .await?
        .ok_or(Error::NotFound)?;
    if fresh.status == "closed" {
        return Err(Error::Conflict("the session is closed".into()));
    }
    let mut added = 0;
    for r in rows {
        if db::add_attendance(tx.conn(), r).await? {
            added += 1;
        }
    }
    if added > 0 {
        crate::audit::record(
            &mut tx,
            actor,
            crate::audit::Change {
                action: "create",
                record_type: "dt_attendance",
                record_id: &session.id,
                unit_id: Some(&session.commune_id),
                before: None,
                after: Some(json!({"method": method.as_str(), "added": added})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// What a participant's check-in gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIn {
    /// The name recorded (a member's as the team list has it).
    pub name: String,
    /// Whether this person had already checked in.
    pub already: bool,
}

/// A participant checks in from their phone after scanning the session's code: on the
/// session's day, while it is open and has seats. A phone number that belongs to a member of
/// the commune's teams records that member.
pub async fn check_in(store: &Store, session_id: &str, person: &Person) -> Result<CheckedIn> {
    let row = session_row(store, session_id).await?;
    let view = session_view(store, row.clone()).await?;
    let today = xaso_domain::time::today_vn();
    if view.closed {
        return Err(Error::Conflict("the session is closed".into()));
    }
    if view.day != today {
        return Err(Error::Conflict("the session is not today".into()));
    }
    let people = [(
        "person".to_string(),
        Person {
            member_id: None,
            ..person.clone()
        },
    )];
    let rows = rows_for(store, &row, &people, Method::Scan, "participant").await?;
    let r = &rows[0];
    let already = {
        let mut conn = store.read().await?;
        db::has_attendance(&mut conn, &row.id, &r.person_key).await?
    };
    if already {
        return Ok(CheckedIn {
            name: r.name.clone(),
            already: true,
        });
    }
    if view.attendees >= view.capacity {
        return Err(Error::Conflict("the session is full".into()));
    }
    let added = write_attendance(store, &participant(), &row, &rows, Method::Scan).await?;
    Ok(CheckedIn {
        name: r.name.clone(),
        already: added == 0,
    })
}

/// Records people as present (the API and walk-ins on the roster): additive, a person already
/// present is left as is. Returns how many were new.
pub async fn record(
    store: &Store,
    actor: Option<&Actor>,
    session_id: &str,
    people: &[Person],
    method: Method,
) -> Result<usize> {
    let row = session_row(store, session_id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &row.commune_id).await?;
    if row.status == "closed" {
        return Err(Error::Conflict("the session is closed".into()));
    }
    let keyed: Vec<(String, Person)> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("people[{i}]"), p.clone()))
        .collect();
    let rows = rows_for(store, &row, &keyed, method, &actor.username).await?;
    write_attendance(store, &actor, &row, &rows, method).await
}

/// Saves the trainer's roster: ticked members are present, unticked members are not (whatever
/// way they were recorded); people who are not members are left alone. Returns (added, removed).
pub async fn save_roster(
    store: &Store,
    actor: Option<&Actor>,
    session_id: &str,
    ticked: &[String],
) -> Result<(usize, usize)> {
    let detail = session(store, actor, session_id).await?;
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if detail.session.closed {
        return Err(Error::Conflict("the session is closed".into()));
    }
    let ticked: HashSet<&str> = ticked.iter().map(String::as_str).collect();
    let known: HashSet<&str> = detail.roster.iter().map(|l| l.member_id.as_str()).collect();
    if let Some(bad) = ticked.iter().find(|t| !known.contains(**t)) {
        return Err(Error::invalid(
            "members",
            format!("{bad} is not a member of this commune's teams"),
        ));
    }
    let to_add: Vec<(String, Person)> = detail
        .roster
        .iter()
        .filter(|l| !l.present && ticked.contains(l.member_id.as_str()))
        .map(|l| {
            (
                l.member_id.clone(),
                Person {
                    member_id: Some(l.member_id.clone()),
                    ..Default::default()
                },
            )
        })
        .collect();
    let to_remove: Vec<String> = detail
        .roster
        .iter()
        .filter(|l| l.present && !ticked.contains(l.member_id.as_str()))
        .map(|l| person_key(Some(&l.member_id), "", None))
        .collect();
    let row = session_row(store, session_id).await?;
    let rows = rows_for(store, &row, &to_add, Method::Roster, &actor.username).await?;
    let mut tx = store.begin().await?;
    let fresh = db::session(tx.conn(), &row.id)
        .await?
        .ok_or(Error::NotFound)?;
    if fresh.status == "closed" {
        return Err(Error::Conflict("the session is closed".into()));
    }
    let mut added = 0;
    for r in &rows {
        if db::add_attendance(tx.conn(), r).await? {
            added += 1;
        }
    }
    let mut removed = 0;
    for key in &to_remove {
        if db::remove_attendance(tx.conn(), &row.id, key).await? {
            removed += 1;
        }
    }
    if added + removed > 0 {
        crate::audit::record(
            &mut tx,
            actor,
            crate::audit::Change {
                action: "update",
                record_type: "dt_attendance",
                record_id: &row.id,
                unit_id: Some(&row.commune_id),
                before: None,
                after: Some(json!({"method": "roster", "added": added, "removed": removed})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((added, removed))
}

/// Reads attendance from an xlsx (headings "Họ và tên", "Điện thoại", "Mã ấp"; the first sheet)
/// and records it. All or nothing.
pub async fn import_xlsx(
    store: &Store,
    actor: Option<&Actor>,
    session_id: &str,
    bytes: &[u8],
) -> Result<usize> {
    let sheet = Sheet::read(bytes)?;
    if sheet.column("ho va ten").is_none() {
        return Err(Error::invalid(
            "file",
            "the first row must have the heading Họ và tên (and may have Điện thoại and Mã ấp)",
        ));
    }
    let mut people = Vec::new();
    for (line, r) in &sheet.rows {
        let p = Person {
            member_id: None,
            name: sheet.get(r, "ho va ten"),
            phone: sheet.get(r, "dien thoai"),
            village_code: sheet.get(r, "ma ap"),
        };
        if p.name.trim().is_empty() && p.phone.trim().is_empty() {
            continue;
        }
        people.push((format!("row {line}"), p));
    }
    if people.is_empty() {
        return Err(Error::invalid("file", "the sheet lists nobody"));
    }
    let row = session_row(store, session_id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &row.commune_id).await?;
    if row.status == "closed" {
        return Err(Error::Conflict("the session is closed".into()));
    }
    let rows = rows_for(store, &row, &people, Method::Xlsx, &actor.username).await?;
    write_attendance(store, &actor, &row, &rows, Method::Xlsx).await
}

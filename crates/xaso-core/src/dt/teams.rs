//! Community digital technology teams (tổ công nghệ số cộng đồng): one per village or
//! residential group, with its members and the decision that set it up. The commune's officers
//! manage them; the public sees each team's member count and, where the commune chooses, the
//! leader's name.

mod xlsx;

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::auth::{check_password, parse_username, Role};
use xaso_domain::dt::{MemberInput, MemberRole, NewMember};
use xaso_domain::text;
use xaso_domain::units::{Level, Unit};
use xaso_storage::dt::{self as db, MemberRow, TeamRow};
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::{commune, invalid, manages, unit, villages, MANAGERS};
use crate::catalogue::{document_type, Upload, MAX_UPLOAD_BYTES};
use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

pub use xlsx::{export_xlsx, import_xlsx, ImportReport, COLUMNS};

/// A member as the commune's staff see them (contacts included).
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub role: MemberRole,
    pub phone: Option<String>,
    pub contact: String,
    pub active: bool,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub username: Option<String>,
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(xaso_domain::time::parse_date)
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Member {
        Member {
            role: MemberRole::parse(&r.role).unwrap_or(MemberRole::Member),
            joined_on: date(&r.joined_on),
            left_on: date(&r.left_on),
            id: r.id,
            team_id: r.team_id,
            name: r.name,
            phone: r.phone,
            contact: r.contact,
            active: r.active != 0,
            username: r.username,
        }
    }
}

/// A team with its village and, for staff, its members.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: String,
    pub village: Unit,
    pub commune_id: String,
    pub decision_no: String,
    pub decision_date: Option<NaiveDate>,
    pub decision_file_name: Option<String>,
    pub show_leader: bool,
    /// Empty for the public.
    pub members: Vec<Member>,
    pub active_members: i64,
    /// The leader's name, for staff always, for the public only when the commune shows it.
    pub leader: Option<String>,
}

/// A commune's villages and their teams.
#[derive(Debug, Clone)]
pub struct Overview {
    pub commune: Unit,
    /// Every village today, with its team when it has one.
    pub villages: Vec<(Unit, Option<Team>)>,
    /// Whether the reader manages the commune's teams (and sees members).
    pub staff: bool,
}

impl Overview {
    pub fn teams(&self) -> impl Iterator<Item = &Team> {
        self.villages.iter().filter_map(|(_, t)| t.as_ref())
    }

    pub fn active_members(&self) -> i64 {
        self.teams().map(|t| t.active_members).sum()
    }
}

fn team_of(row: TeamRow, village: Unit, members: Vec<Member>, staff: bool) -> Team {
    let active_members = members.iter().filter(|m| m.active).count() as i64;
    let show_leader = row.show_leader != 0;
    let leader = members
        .iter()
        .find(|m| m.active && m.role == MemberRole::Leader)
        .filter(|_| staff || show_leader)
        .map(|m| m.name.clone());
    Team {
        id: row.id,
        village,
        commune_id: row.commune_id,
        decision_no: row.decision_no,
        decision_date: date(&row.decision_date),
        decision_file_name: row.decision_file.map(|_| row.decision_file_name),
        show_leader,
        members: if staff { members } else { Vec::new() },
        active_members,
        leader,
    }
}

/// The teams of a commune (by its code). Members and contacts only for the commune's managers.
pub async fn overview(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
) -> Result<Overview> {
    let commune = commune(store, commune_code).await?;
    let staff = manages(store, actor, &commune.id).await?;
    let villages = villages(store, &commune).await?;
    let (rows, members) = {
        let mut conn = store.read().await?;
        let rows = db::teams_in(&mut conn, std::slice::from_ref(&commune.id)).await?;
        let ids: Vec<String> = rows.iter().map(|t| t.id.clone()).collect();
        (rows, db::members_of(&mut conn, &ids).await?)
    };
    let mut by_unit: std::collections::HashMap<String, TeamRow> =
        rows.into_iter().map(|t| (t.unit_id.clone(), t)).collect();
    let mut out = Vec::with_capacity(villages.len());
    for v in villages {
        let team = by_unit.remove(&v.id).map(|row| {
            let ms: Vec<Member> = members
                .iter()
                .filter(|m| m.team_id == row.id)
                .cloned()
                .map(Member::from)
                .collect();
            team_of(row, v.clone(), ms, staff)
        });
        out.push((v, team));
    }
    // Teams of villages that no longer exist (merged away) are still listed for staff.
    if staff {
        for (_, row) in by_unit {
            let v = unit(store, &row.unit_id).await?;
            let ms = members
                .iter()
                .filter(|m| m.team_id == row.id)
                .cloned()
                .map(Member::from)
                .collect();
            out.push((v.clone(), Some(team_of(row, v, ms, true))));
        }
    }
    Ok(Overview {
        commune,
        villages: out,
        staff,
    })
}

/// One team with its members: the commune's managers, and the team's own members with an
/// account (village team role on the village).
pub async fn team(store: &Store, actor: Option<&Actor>, team_id: &str) -> Result<Team> {
    let row = {
        let mut conn = store.read().await?;
        db::team(&mut conn, team_id).await?.ok_or(Error::NotFound)?
    };
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let allowed = authz::has_role_over(store, actor, MANAGERS, &row.commune_id).await?
        || authz::has_role_over(store, actor, &[Role::VillageTeam], &row.unit_id).await?;
    if !allowed {
        return Err(Error::Forbidden);
    }
    let village = unit(store, &row.unit_id).await?;
    let members = {
        let mut conn = store.read().await?;
        db::members_of(&mut conn, std::slice::from_ref(&row.id)).await?
    };
    Ok(team_of(
        row,
        village,
        members.into_iter().map(Member::from).collect(),
        true,
    ))
}

/// What a team's form sends.
#[derive(Debug, Clone, Default)]
pub struct TeamInput {
    pub decision_no: String,
    pub decision_date: String,
    pub show_leader: bool,
}

fn check_team(input: &TeamInput) -> Result<(String, Option<NaiveDate>)> {
    let mut problems = Vec::new();
    let no = text::clean(&input.decision_no);
    if no.chars().count() > 60 {
        problems.push(Problem::new(
            "decision_no",
            "a decision number is at most 60 characters",
        ));
    }
    let day = if input.decision_date.trim().is_empty() {
        None
    } else {
        let d = xaso_domain::time::parse_date(&input.decision_date);
        if d.is_none() {
            problems.push(Problem::new(
                "decision_date",
                "write the date as dd/mm/yyyy",
            ));
        }
        d
    };
    if problems.is_empty() {
        Ok((no, day))
    } else {
        Err(Error::Invalid(problems))
    }
}

/// The village (today) with this code and its commune.
async fn village_and_commune(store: &Store, village_code: &str) -> Result<(Unit, Unit)> {
    let v = crate::units::by_code(store, village_code, super::today()).await?;
    if v.level != Level::Village {
        return Err(Error::invalid(
            "unit",
            "a team belongs to a village (ấp) or residential group (khu phố, tổ dân phố)",
        ));
    }
    let c = unit(store, v.parent_id.as_deref().ok_or(Error::NotFound)?).await?;
    Ok((v, c))
}

/// Sets up the team of a village. One team per village: a second one is a conflict.
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    village_code: &str,
    input: &TeamInput,
) -> Result<String> {
    let (village, commune) = village_and_commune(store, village_code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let (decision_no, decision_date) = check_team(input)?;
    let now = xaso_storage::now();
    let row = TeamRow {
        id: xaso_storage::new_id(),
        unit_id: village.id.clone(),
        commune_id: commune.id.clone(),
        decision_no,
        decision_date: decision_date.map(|d| d.to_string()),
        decision_file: None,
        decision_file_name: String::new(),
        show_leader: input.show_leader as i64,
        created_by: actor.username.clone(),
        created_at: now.clone(),
        updated_by: actor.username.clone(),
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    if db::team_of_unit(tx.conn(), &village.id).await?.is_some() {
        return Err(Error::Conflict(format!(
            "{} already has a team",
            village.full_name
        )));
    }
    db::save_team(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_team",
            record_id: &row.id,
            unit_id: Some(&village.id),
            before: None,
            after: Some(team_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

fn team_json(t: &TeamRow) -> serde_json::Value {
    json!({"decision_no": t.decision_no, "decision_date": t.decision_date,
        "decision_file": t.decision_file_name, "show_leader": t.show_leader != 0})
}

/// The team's row, with the actor checked as a manager of its commune.
async fn managed_team(
    store: &Store,
    actor: Option<&Actor>,
    team_id: &str,
) -> Result<(TeamRow, Actor)> {
    let row = {
        let mut conn = store.read().await?;
        db::team(&mut conn, team_id).await?.ok_or(Error::NotFound)?
    };
    let actor = authz::require_role_over(store, actor, MANAGERS, &row.commune_id).await?;
    Ok((row, actor))
}

/// Changes a team's decision and whether its leader is named publicly.
pub async fn update(
    store: &Store,
    actor: Option<&Actor>,
    team_id: &str,
    input: &TeamInput,
) -> Result<()> {
    let (before, actor) = managed_team(store, actor, team_id).await?;
    let (decision_no, decision_date) = check_team(input)?;
    let row = TeamRow {
        decision_no,
        decision_date: decision_date.map(|d| d.to_string()),
        show_leader: input.show_leader as i64,
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    save_team_audited(store, &actor, &before, &row).await
}

async fn save_team_audited(
    store: &Store,
    actor: &Actor,
    before: &TeamRow,
    row: &TeamRow,
) -> Result<()> {
    let mut tx = store.begin().await?;
    db::save_team(tx.conn(), row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "dt_team",
            record_id: &row.id,
            unit_id: Some(&row.unit_id),
            before: Some(team_json(before)),
            after: Some(team_json(row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Attaches the scanned decision (PDF, JPEG or PNG, at most 20 MB), replacing an earlier one.
pub async fn set_decision_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    team_id: &str,
    file: Upload,
) -> Result<()> {
    let (before, actor) = managed_team(store, actor, team_id).await?;
    if file.bytes.is_empty() {
        return Err(Error::invalid("file", "choose the file to upload"));
    }
    if file.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::invalid("file", "the document is larger than 20 MB"));
    }
    let (_, ext) = document_type(&file.bytes)
        .ok_or_else(|| Error::invalid("file", "the document must be a PDF, JPEG or PNG"))?;
    let key = format!("dt-decisions/{team_id}/{}.{ext}", xaso_storage::new_id());
    files
        .put(&key, file.bytes)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let name: String = file
        .name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let row = TeamRow {
        decision_file: Some(key),
        decision_file_name: if name.is_empty() {
            format!("decision.{ext}")
        } else {
            name
        },
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    save_team_audited(store, &actor, &before, &row).await?;
    if let Some(old) = &before.decision_file {
        // The old scan is kept in the audit trail by name only; its bytes go.
        let _ = files.delete(old).await;
    }
    Ok(())
}

/// A member with their team, for the commune's managers only (the member's form).
pub async fn member(
    store: &Store,
    actor: Option<&Actor>,
    member_id: &str,
) -> Result<(Team, Member)> {
    let (row, _, _) = managed_member(store, actor, member_id).await?;
    let t = team(store, actor, &row.team_id).await?;
    let m = t
        .members
        .iter()
        .find(|m| m.id == member_id)
        .cloned()
        .ok_or(Error::NotFound)?;
    Ok((t, m))
}

/// The scanned decision of a team (name, media type, bytes): its managers and members only.
pub async fn decision_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    team_id: &str,
) -> Result<(String, &'static str, Vec<u8>)> {
    let t = team(store, actor, team_id).await?;
    let row = {
        let mut conn = store.read().await?;
        db::team(&mut conn, &t.id).await?.ok_or(Error::NotFound)?
    };
    let key = row.decision_file.ok_or(Error::NotFound)?;
    let bytes = files.get(&key).await.map_err(|_| Error::NotFound)?;
    let (mime, _) = document_type(&bytes).ok_or(Error::NotFound)?;
    Ok((row.decision_file_name, mime, bytes))
}

fn member_json(m: &MemberRow) -> serde_json::Value {
    // Contacts are private: the audit log records that they changed, not what they are.
    json!({"name": m.name, "role": m.role, "active": m.active != 0,
        "joined_on": m.joined_on, "left_on": m.left_on, "has_phone": m.phone.is_some(),
        "has_contact": !m.contact.is_empty(), "username": m.username})
}

fn member_row(
    team: &TeamRow,
    id: String,
    m: &NewMember,
    actor: &Actor,
    created: Option<&MemberRow>,
) -> MemberRow {
    let now = xaso_storage::now();
    MemberRow {
        id,
        team_id: team.id.clone(),
        name: m.name.clone(),
        name_key: text::fold(&m.name),
        role: m.role.as_str().into(),
        phone: m.phone.clone(),
        contact: m.contact.clone(),
        active: m.active as i64,
        joined_on: m.joined_on.map(|d| d.to_string()),
        left_on: m.left_on.map(|d| d.to_string()),
        username: created.and_then(|c| c.username.clone()),
        created_by: created.map_or_else(|| actor.username.clone(), |c| c.created_by.clone()),
        created_at: created.map_or_else(|| now.clone(), |c| c.created_at.clone()),
        updated_by: actor.username.clone(),
        updated_at: now,
    }
}

/// Adds a member to a team.
pub async fn add_member(
    store: &Store,
    actor: Option<&Actor>,
    team_id: &str,
    input: &MemberInput,
) -> Result<String> {
    let (team, actor) = managed_team(store, actor, team_id).await?;
    let m = input.check().map_err(invalid)?;
    let row = member_row(&team, xaso_storage::new_id(), &m, &actor, None);
    let mut tx = store.begin().await?;
    db::save_member(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_member",
            record_id: &row.id,
            unit_id: Some(&team.unit_id),
            before: None,
            after: Some(member_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

async fn managed_member(
    store: &Store,
    actor: Option<&Actor>,
    member_id: &str,
) -> Result<(MemberRow, TeamRow, Actor)> {
    let m = {
        let mut conn = store.read().await?;
        db::member(&mut conn, member_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (team, actor) = managed_team(store, actor, &m.team_id).await?;
    Ok((m, team, actor))
}

/// Changes a member (a member who leaves gets a "left on" date and stops being active).
pub async fn update_member(
    store: &Store,
    actor: Option<&Actor>,
    member_id: &str,
    input: &MemberInput,
) -> Result<String> {
    let (before, team, actor) = managed_member(store, actor, member_id).await?;
    let m = input.check().map_err(invalid)?;
    let row = member_row(&team, before.id.clone(), &m, &actor, Some(&before));
    let mut tx = store.begin().await?;
    db::save_member(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "dt_member",
            record_id: &row.id,
            unit_id: Some(&team.unit_id),
            before: Some(member_json(&before)),
            after: Some(member_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(team.id)
}

/// Gives a member an account with the village-team role on the team's village, so they can
/// record support and open their team's page. Returns the team's id.
pub async fn give_account(
    store: &Store,
    actor: Option<&Actor>,
    member_id: &str,
    username: &str,
    password: &str,
) -> Result<String> {
    let (before, team, actor) = managed_member(store, actor, member_id).await?;
    if before.username.is_some() {
        return Err(Error::Conflict("the member already has an account".into()));
    }
    let username =
        parse_username(username).map_err(|e| Error::invalid("username", e.to_string()))?;
    check_password(password).map_err(|e| Error::invalid("password", e.to_string()))?;
    let hash = {
        let p = password.to_string();
        tokio::task::spawn_blocking(move || crate::auth::hash_password(&p))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let user_id = xaso_storage::new_id();
    let mut tx = store.begin().await?;
    if xaso_storage::users::by_username(tx.conn(), &username)
        .await?
        .is_some()
    {
        return Err(Error::invalid("username", "this username is taken"));
    }
    xaso_storage::users::insert(tx.conn(), &user_id, &username, &before.name, &hash).await?;
    xaso_storage::users::assign(
        tx.conn(),
        &xaso_storage::new_id(),
        &user_id,
        Role::VillageTeam.as_str(),
        Some(&team.unit_id),
    )
    .await?;
    let row = MemberRow {
        username: Some(username.clone()),
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    db::save_member(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "user",
            record_id: &user_id,
            unit_id: Some(&team.unit_id),
            before: None,
            after: Some(json!({"username": username, "display_name": before.name,
                "roles": [{"role": "village_team", "unit": team.unit_id}], "dt_member": before.id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(team.id)
}

/// What the public sees of a commune's teams.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicTeam {
    /// The village's code.
    pub village_code: String,
    pub village_name: String,
    pub active_members: i64,
    /// Only when the commune chose to name the team's leader.
    pub leader: Option<String>,
    pub decision_no: String,
    pub decision_date: Option<NaiveDate>,
}

impl From<&Team> for PublicTeam {
    fn from(t: &Team) -> PublicTeam {
        PublicTeam {
            village_code: t.village.code.clone(),
            village_name: t.village.full_name.clone(),
            active_members: t.active_members,
            leader: t.show_leader.then(|| t.leader.clone()).flatten(),
            decision_no: t.decision_no.clone(),
            decision_date: t.decision_date,
        }
    }
}

//! Queries for the digital-transformation programme: teams and members, training topics,
//! courses, sessions, attendance, certificates and household support.

pub mod plan;

use sqlx::{AnyConnection, FromRow};

use crate::{marks, Result};

#[derive(Debug, Clone, FromRow)]
pub struct TeamRow {
    pub id: String,
    pub unit_id: String,
    pub commune_id: String,
    pub decision_no: String,
    pub decision_date: Option<String>,
    pub decision_file: Option<String>,
    pub decision_file_name: String,
    pub show_leader: i64,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const TEAM_COLUMNS: &str = "id, unit_id, commune_id, decision_no, decision_date, decision_file, decision_file_name, show_leader, created_by, created_at, updated_by, updated_at";

pub async fn save_team(conn: &mut AnyConnection, t: &TeamRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_teams ({TEAM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (id) DO UPDATE SET decision_no = excluded.decision_no, decision_date = excluded.decision_date, \
         decision_file = excluded.decision_file, decision_file_name = excluded.decision_file_name, \
         show_leader = excluded.show_leader, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&t.id)
    .bind(&t.unit_id)
    .bind(&t.commune_id)
    .bind(&t.decision_no)
    .bind(&t.decision_date)
    .bind(&t.decision_file)
    .bind(&t.decision_file_name)
    .bind(t.show_leader)
    .bind(&t.created_by)
    .bind(&t.created_at)
    .bind(&t.updated_by)
    .bind(&t.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn team(conn: &mut AnyConnection, id: &str) -> Result<Option<TeamRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM dt_teams WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn team_of_unit(conn: &mut AnyConnection, unit_id: &str) -> Result<Option<TeamRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM dt_teams WHERE unit_id = $1"
    ))
    .bind(unit_id)
    .fetch_optional(conn)
    .await?)
}

/// Teams of some communes.
pub async fn teams_in(conn: &mut AnyConnection, commune_ids: &[String]) -> Result<Vec<TeamRow>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {TEAM_COLUMNS} FROM dt_teams WHERE commune_id IN ({})",
        marks(1, commune_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub name_key: String,
    pub role: String,
    pub phone: Option<String>,
    pub contact: String,
    pub active: i64,
    pub joined_on: Option<String>,
    pub left_on: Option<String>,
    pub username: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const MEMBER_COLUMNS: &str = "id, team_id, name, name_key, role, phone, contact, active, joined_on, left_on, username, created_by, created_at, updated_by, updated_at";

pub async fn save_member(conn: &mut AnyConnection, m: &MemberRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_members ({MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, role = excluded.role, \
         phone = excluded.phone, contact = excluded.contact, active = excluded.active, joined_on = excluded.joined_on, \
         left_on = excluded.left_on, username = excluded.username, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at"
    ))
    .bind(&m.id)
    .bind(&m.team_id)
    .bind(&m.name)
    .bind(&m.name_key)
    .bind(&m.role)
    .bind(&m.phone)
    .bind(&m.contact)
    .bind(m.active)
    .bind(&m.joined_on)
    .bind(&m.left_on)
    .bind(&m.username)
    .bind(&m.created_by)
    .bind(&m.created_at)
    .bind(&m.updated_by)
    .bind(&m.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn member(conn: &mut AnyConnection, id: &str) -> Result<Option<MemberRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM dt_members WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Members of some teams: leaders first, then deputies, then by name.
pub async fn members_of(conn: &mut AnyConnection, team_ids: &[String]) -> Result<Vec<MemberRow>> {
    if team_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM dt_members WHERE team_id IN ({}) \
         ORDER BY team_id, CASE role WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, name_key",
        marks(1, team_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in team_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// The active member of a commune's teams with this phone number, if any.
pub async fn member_by_phone(
    conn: &mut AnyConnection,
    commune_id: &str,
    phone: &str,
) -> Result<Option<MemberRow>> {
    let cols: Vec<String> = MEMBER_COLUMNS
        .split(", ")
        .map(|c| format!("m.{c}"))
        .collect();
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM dt_members m JOIN dt_teams t ON t.id = m.team_id \
         WHERE t.commune_id = $1 AND m.phone = $2 AND m.active = 1 ORDER BY m.created_at LIMIT 1",
        cols.join(", ")
    ))
    .bind(commune_id)
    .bind(phone)
    .fetch_optional(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct TopicRow {
    pub id: String,
    pub commune_id: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub position: i64,
}

/// The built-in topics and those of one commune, in order.
pub async fn topics(conn: &mut AnyConnection, commune_id: &str) -> Result<Vec<TopicRow>> {
    Ok(sqlx::query_as(
        "SELECT id, commune_id, name_vi, name_en, position FROM dt_topics \
         WHERE commune_id IS NULL OR commune_id = $1 ORDER BY position, name_vi",
    )
    .bind(commune_id)
    .fetch_all(conn)
    .await?)
}

pub async fn insert_topic(conn: &mut AnyConnection, t: &TopicRow, at: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO dt_topics (id, commune_id, name_vi, name_en, position, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.id)
    .bind(&t.commune_id)
    .bind(&t.name_vi)
    .bind(&t.name_en)
    .bind(t.position)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct CourseRow {
    pub id: String,
    pub commune_id: String,
    pub title: String,
    /// JSON array of topic ids.
    pub topics: String,
    pub audience: String,
    pub description: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const COURSE_COLUMNS: &str =
    "id, commune_id, title, topics, audience, description, created_by, created_at, updated_by, updated_at";

pub async fn save_course(conn: &mut AnyConnection, c: &CourseRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_courses ({COURSE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, topics = excluded.topics, \
         audience = excluded.audience, description = excluded.description, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&c.id)
    .bind(&c.commune_id)
    .bind(&c.title)
    .bind(&c.topics)
    .bind(&c.audience)
    .bind(&c.description)
    .bind(&c.created_by)
    .bind(&c.created_at)
    .bind(&c.updated_by)
    .bind(&c.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn course(conn: &mut AnyConnection, id: &str) -> Result<Option<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM dt_courses WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Courses of some communes, newest first.
pub async fn courses_in(
    conn: &mut AnyConnection,
    commune_ids: &[String],
) -> Result<Vec<CourseRow>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COURSE_COLUMNS} FROM dt_courses WHERE commune_id IN ({}) ORDER BY created_at DESC",
        marks(1, commune_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: String,
    pub course_id: String,
    pub commune_id: String,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub place_id: Option<String>,
    pub place_note: String,
    pub trainer: String,
    pub capacity: i64,
    pub status: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

const SESSION_COLUMNS: &str = "id, course_id, commune_id, day, starts, ends, place_id, place_note, trainer, capacity, status, closed_at, closed_by, created_by, created_at, updated_by, updated_at";

pub async fn save_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO UPDATE SET day = excluded.day, starts = excluded.starts, ends = excluded.ends, \
         place_id = excluded.place_id, place_note = excluded.place_note, trainer = excluded.trainer, \
         capacity = excluded.capacity, status = excluded.status, closed_at = excluded.closed_at, \
         closed_by = excluded.closed_by, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&s.id)
    .bind(&s.course_id)
    .bind(&s.commune_id)
    .bind(&s.day)
    .bind(&s.starts)
    .bind(&s.ends)
    .bind(&s.place_id)
    .bind(&s.place_note)
    .bind(&s.trainer)
    .bind(s.capacity)
    .bind(&s.status)
    .bind(&s.closed_at)
    .bind(&s.closed_by)
    .bind(&s.created_by)
    .bind(&s.created_at)
    .bind(&s.updated_by)
    .bind(&s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn session(conn: &mut AnyConnection, id: &str) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM dt_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn sessions_of_course(
    conn: &mut AnyConnection,
    course_id: &str,
) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM dt_sessions WHERE course_id = $1 ORDER BY day, starts"
    ))
    .bind(course_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct AttendanceRow {
    pub id: String,
    pub session_id: String,
    pub person_key: String,
    pub member_id: Option<String>,
    pub name: String,
    pub village_id: Option<String>,
    pub phone: Option<String>,
    pub method: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

const ATTENDANCE_COLUMNS: &str =
    "id, session_id, person_key, member_id, name, village_id, phone, method, recorded_by, recorded_at";

/// Records an attendance unless the person is already recorded for the session. Returns whether
/// a row was added.
pub async fn add_attendance(conn: &mut AnyConnection, a: &AttendanceRow) -> Result<bool> {
    let r = sqlx::query(&format!(
        "INSERT INTO dt_attendance ({ATTENDANCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (session_id, person_key) DO NOTHING"
    ))
    .bind(&a.id)
    .bind(&a.session_id)
    .bind(&a.person_key)
    .bind(&a.member_id)
    .bind(&a.name)
    .bind(&a.village_id)
    .bind(&a.phone)
    .bind(&a.method)
    .bind(&a.recorded_by)
    .bind(&a.recorded_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn attendance_of(
    conn: &mut AnyConnection,
    session_id: &str,
) -> Result<Vec<AttendanceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTENDANCE_COLUMNS} FROM dt_attendance WHERE session_id = $1 ORDER BY recorded_at, id"
    ))
    .bind(session_id)
    .fetch_all(conn)
    .await?)
}

pub async fn attendance(conn: &mut AnyConnection, id: &str) -> Result<Option<AttendanceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTENDANCE_COLUMNS} FROM dt_attendance WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Whether a person is already recorded for a session.
pub async fn has_attendance(
    conn: &mut AnyConnection,
    session_id: &str,
    person_key: &str,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dt_attendance WHERE session_id = $1 AND person_key = $2",
    )
    .bind(session_id)
    .bind(person_key)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn count_attendance(conn: &mut AnyConnection, session_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM dt_attendance WHERE session_id = $1")
            .bind(session_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Removes one attendance (a tick taken back before the session closed).
pub async fn remove_attendance(
    conn: &mut AnyConnection,
    session_id: &str,
    person_key: &str,
) -> Result<bool> {
    let r = sqlx::query("DELETE FROM dt_attendance WHERE session_id = $1 AND person_key = $2")
        .bind(session_id)
        .bind(person_key)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// People trained in some communes between two days (inclusive, `yyyy-mm-dd`): members counted
/// once each, and everyone else once per session.
pub async fn trained_counts(
    conn: &mut AnyConnection,
    commune_ids: &[String],
    from: &str,
    to: &str,
) -> Result<(i64, i64)> {
    if commune_ids.is_empty() {
        return Ok((0, 0));
    }
    let n = commune_ids.len();
    let sql = format!(
        "SELECT COUNT(DISTINCT a.member_id), COUNT(*) - COUNT(a.member_id) FROM dt_attendance a \
         JOIN dt_sessions s ON s.id = a.session_id \
         WHERE s.commune_id IN ({}) AND s.day >= ${} AND s.day <= ${}",
        marks(1, n),
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.bind(from).bind(to).fetch_one(conn).await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct CertificateRow {
    pub id: String,
    pub token: String,
    pub attendance_id: String,
    pub session_id: String,
    pub commune_id: String,
    pub name: String,
    pub issued_on: String,
    pub issued_by: String,
    pub issued_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoked_reason: String,
    pub replaces: Option<String>,
}

const CERTIFICATE_COLUMNS: &str = "id, token, attendance_id, session_id, commune_id, name, issued_on, issued_by, issued_at, revoked_at, revoked_by, revoked_reason, replaces";

pub async fn insert_certificate(conn: &mut AnyConnection, c: &CertificateRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_certificates ({CERTIFICATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&c.id)
    .bind(&c.token)
    .bind(&c.attendance_id)
    .bind(&c.session_id)
    .bind(&c.commune_id)
    .bind(&c.name)
    .bind(&c.issued_on)
    .bind(&c.issued_by)
    .bind(&c.issued_at)
    .bind(&c.revoked_at)
    .bind(&c.revoked_by)
    .bind(&c.revoked_reason)
    .bind(&c.replaces)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn certificate(conn: &mut AnyConnection, id: &str) -> Result<Option<CertificateRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CERTIFICATE_COLUMNS} FROM dt_certificates WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn certificates_of(
    conn: &mut AnyConnection,
    session_id: &str,
) -> Result<Vec<CertificateRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CERTIFICATE_COLUMNS} FROM dt_certificates WHERE session_id = $1 ORDER BY issued_at, id"
    ))
    .bind(session_id)
    .fetch_all(conn)
    .await?)
}

pub async fn revoke_certificate(
    conn: &mut AnyConnection,
    id: &str,
    at: &str,
    by: &str,
    reason: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE dt_certificates SET revoked_at = $2, revoked_by = $3, revoked_reason = $4 \
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, FromRow)]
pub struct SupportRow {
    pub id: String,
    pub commune_id: String,
    pub village_id: String,
    pub service: String,
    pub place_id: Option<String>,
    pub people: i64,
    pub helped_on: String,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

const SUPPORT_COLUMNS: &str =
    "id, commune_id, village_id, service, place_id, people, helped_on, note, recorded_by, recorded_at";

pub async fn insert_support(conn: &mut AnyConnection, s: &SupportRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_support ({SUPPORT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&s.id)
    .bind(&s.commune_id)
    .bind(&s.village_id)
    .bind(&s.service)
    .bind(&s.place_id)
    .bind(s.people)
    .bind(&s.helped_on)
    .bind(&s.note)
    .bind(&s.recorded_by)
    .bind(&s.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest support records of some villages.
pub async fn support_in(
    conn: &mut AnyConnection,
    village_ids: &[String],
    limit: i64,
) -> Result<Vec<SupportRow>> {
    if village_ids.is_empty() {
        return Ok(Vec::new());
    }
    let n = village_ids.len();
    let sql = format!(
        "SELECT {SUPPORT_COLUMNS} FROM dt_support WHERE village_id IN ({}) \
         ORDER BY helped_on DESC, recorded_at DESC LIMIT ${}",
        marks(1, n),
        n + 1
    );
    let mut q = sqlx::query_as(&sql);
    for id in village_ids {
        q = q.bind(id);
    }
    Ok(q.bind(limit).fetch_all(conn).await?)
}

/// People helped in some communes between two days, per service and month (`yyyy-mm`).
pub async fn support_by_month(
    conn: &mut AnyConnection,
    commune_ids: &[String],
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64)>> {
    if commune_ids.is_empty() {
        return Ok(Vec::new());
    }
    let n = commune_ids.len();
    let sql = format!(
        "SELECT service, SUBSTR(helped_on, 1, 7) AS month, CAST(SUM(people) AS BIGINT) FROM dt_support \
         WHERE commune_id IN ({}) AND helped_on >= ${} AND helped_on <= ${} \
         GROUP BY service, SUBSTR(helped_on, 1, 7) ORDER BY month, service",
        marks(1, n),
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql);
    for id in commune_ids {
        q = q.bind(id);
    }
    Ok(q.bind(from).bind(to).fetch_all(conn).await?)
}

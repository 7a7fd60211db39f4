//! Queries for citizen feedback: categories, cases, their photos and events, Open311 keys.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct CategoryRow {
    pub id: String,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub description: String,
    pub grp: String,
    pub keywords: String,
    pub handler: String,
    pub deadline_value: i64,
    pub deadline_unit: String,
    /// Codes of the NTM criteria the category touches, comma-separated ("2,17").
    pub criteria: String,
    pub active: i64,
    pub position: i64,
    pub updated_by: String,
    pub updated_at: String,
}

const CATEGORY_COLUMNS: &str = "id, code, name_vi, name_en, description, grp, keywords, handler, deadline_value, deadline_unit, criteria, active, position, updated_by, updated_at";

pub async fn save_category(conn: &mut AnyConnection, c: &CategoryRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO feedback_categories ({CATEGORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, name_vi = excluded.name_vi, name_en = excluded.name_en, \
         description = excluded.description, grp = excluded.grp, keywords = excluded.keywords, handler = excluded.handler, \
         deadline_value = excluded.deadline_value, deadline_unit = excluded.deadline_unit, criteria = excluded.criteria, \
         active = excluded.active, position = excluded.position, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&c.id)
    .bind(&c.code)
    .bind(&c.name_vi)
    .bind(&c.name_en)
    .bind(&c.description)
    .bind(&c.grp)
    .bind(&c.keywords)
    .bind(&c.handler)
    .bind(c.deadline_value)
    .bind(&c.deadline_unit)
    .bind(&c.criteria)
    .bind(c.active)
    .bind(c.position)
    .bind(&c.updated_by)
    .bind(&c.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every category, in display order.
pub async fn categories(conn: &mut AnyConnection) -> Result<Vec<CategoryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM feedback_categories ORDER BY position, code"
    ))
    .fetch_all(conn)
    .await?)
}

pub async fn category(conn: &mut AnyConnection, id: &str) -> Result<Option<CategoryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM feedback_categories WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn category_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<CategoryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM feedback_categories WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct CaseRow {
    pub id: String,
    pub number: i64,
    pub token: String,
    pub category_id: String,
    pub commune_id: String,
    pub village_id: Option<String>,
    pub place_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub description: String,
    pub status: String,
    pub status_note: String,
    pub channel: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub reporter_email: String,
    pub reporter_zalo: String,
    pub handler: String,
    pub assignee: String,
    pub due_at: String,
    pub overdue_noticed: i64,
    pub merged_into: Option<String>,
    pub split_from: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

const CASE_COLUMNS: &str = "id, number, token, category_id, commune_id, village_id, place_id, latitude, longitude, address, description, status, status_note, channel, reporter_name, reporter_phone, reporter_email, reporter_zalo, handler, assignee, due_at, overdue_noticed, merged_into, split_from, rating, rating_comment, created_by, created_at, updated_at, resolved_at";

/// Writes a case whole (insert, or rewrite every column but id, number, token, created_*).
pub async fn save_case(conn: &mut AnyConnection, c: &CaseRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO feedback_cases ({CASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30) \
         ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id, commune_id = excluded.commune_id, \
         village_id = excluded.village_id, place_id = excluded.place_id, latitude = excluded.latitude, \
         longitude = excluded.longitude, address = excluded.address, description = excluded.description, \
         status = excluded.status, status_note = excluded.status_note, channel = excluded.channel, \
         reporter_name = excluded.reporter_name, reporter_phone = excluded.reporter_phone, \
         reporter_email = excluded.reporter_email, reporter_zalo = excluded.reporter_zalo, \
         handler = excluded.handler, assignee = excluded.assignee, due_at = excluded.due_at, \
         overdue_noticed = excluded.overdue_noticed, merged_into = excluded.merged_into, \
         split_from = excluded.split_from, rating = excluded.rating, rating_comment = excluded.rating_comment, \
         updated_at = excluded.updated_at, resolved_at = excluded.resolved_at"
    );
    let q = sqlx::query(&sql)
        .bind(&c.id)
        .bind(c.number)
        .bind(&c.token)
        .bind(&c.category_id)
        .bind(&c.commune_id)
        .bind(&c.village_id)
        .bind(&c.place_id);
    let q = crate::bind_f64(q, c.latitude);
    let q = crate::bind_f64(q, c.longitude);
    q.bind(&c.address)
        .bind(&c.description)
        .bind(&c.status)
        .bind(&c.status_note)
        .bind(&c.channel)
        .bind(&c.reporter_name)
        .bind(&c.reporter_phone)
        .bind(&c.reporter_email)
        .bind(&c.reporter_zalo)
        .bind(&c.handler)
        .bind(&c.assignee)
        .bind(&c.due_at)
        .bind(c.overdue_noticed)
        .bind(&c.merged_into)
        .bind(&c.split_from)
        .bind(c.rating)
        .bind(&c.rating_comment)
        .bind(&c.created_by)
        .bind(&c.created_at)
        .bind(&c.updated_at)
        .bind(&c.resolved_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn case_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<CaseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM feedback_cases WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn case_by_token(conn: &mut AnyConnection, token: &str) -> Result<Option<CaseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM feedback_cases WHERE token = $1"
    ))
    .bind(token)
    .fetch_optional(conn)
    .await?)
}

pub async fn case_by_number(conn: &mut AnyConnection, number: i64) -> Result<Option<CaseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM feedback_cases WHERE number = $1"
    ))
    .bind(number)
    .fetch_optional(conn)
    .await?)
}

/// The next running number of `name` (in the caller's write transaction).
pub async fn next_number(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
            .bind(name)
            .fetch_one(conn)
            .await?,
    )
}

/// What a list of cases is narrowed to. Empty vectors mean "any".
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Commune ids; `None` = everywhere.
    pub communes: Option<Vec<String>>,
    pub statuses: Vec<String>,
    pub category_ids: Vec<String>,
    pub numbers: Vec<i64>,
    /// created_at bounds, storage text, inclusive from / exclusive to.
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// Open and due before this time.
    pub overdue_at: Option<String>,
    /// (south, west, north, east): only cases with a position inside.
    pub bbox: Option<(f64, f64, f64, f64)>,
    /// Leave out cases merged into another.
    pub hide_merged: bool,
    pub limit: i64,
    pub offset: i64,
}

fn push_in(sql: &mut String, n: &mut usize, col: &str, count: usize) {
    let marks: Vec<String> = (0..count)
        .map(|_| {
            *n += 1;
            format!("${n}")
        })
        .collect();
    sql.push_str(&format!(" AND {col} IN ({})", marks.join(", ")));
}

fn filtered(select: &str, f: &CaseFilter, tail: &str) -> (String, Vec<Bind>) {
    let mut sql = format!("{select} FROM feedback_cases WHERE 1 = 1");
    let mut n = 0usize;
    let mut binds = Vec::new();
    if let Some(c) = &f.communes {
        if c.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            push_in(&mut sql, &mut n, "commune_id", c.len());
            binds.extend(c.iter().cloned().map(Bind::Text));
        }
    }
    if !f.statuses.is_empty() {
        push_in(&mut sql, &mut n, "status", f.statuses.len());
        binds.extend(f.statuses.iter().cloned().map(Bind::Text));
    }
    if !f.category_ids.is_empty() {
        push_in(&mut sql, &mut n, "category_id", f.category_ids.len());
        binds.extend(f.category_ids.iter().cloned().map(Bind::Text));
    }
    if !f.numbers.is_empty() {
        push_in(&mut sql, &mut n, "number", f.numbers.len());
        binds.extend(f.numbers.iter().copied().map(Bind::Int));
    }
    if let Some(t) = &f.created_from {
        n += 1;
        sql.push_str(&format!(" AND created_at >= ${n}"));
        binds.push(Bind::Text(t.clone()));
    }
    if let Some(t) = &f.created_to {
        n += 1;
        sql.push_str(&format!(" AND created_at < ${n}"));
        binds.push(Bind::Text(t.clone()));
    }
    if let Some(t) = &f.overdue_at {
        n += 1;
        sql.push_str(&format!(
            " AND status IN ('received', 'accepted', 'in_progress') AND due_at < ${n}"
        ));
        binds.push(Bind::Text(t.clone()));
    }
    if let Some((s, w, no, e)) = f.bbox {
        sql.push_str(&format!(
            " AND latitude BETWEEN ${} AND ${} AND longitude BETWEEN ${} AND ${}",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        ));
        n += 4;
        binds.extend([Bind::Real(s), Bind::Real(no), Bind::Real(w), Bind::Real(e)]);
    }
    if f.hide_merged {
        sql.push_str(" AND merged_into IS NULL");
    }
    sql.push_str(tail);
    let _ = n;
    (sql, binds)
}

enum Bind {
    Text(String),
    Int(i64),
    Real(f64),
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
                Bind::Real(r) => q.bind(r),
            };
        }
        q
    }};
}

/// Cases matching a filter, newest first.
pub async fn cases(conn: &mut AnyConnection, f: &CaseFilter) -> Result<Vec<CaseRow>> {
    let limit = if f.limit > 0 { f.limit } else { 50 };
    let (sql, binds) = filtered(
        &format!("SELECT {CASE_COLUMNS}"),
        f,
        &format!(
            " ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {}",
            f.offset.max(0)
        ),
    );
    Ok(bind_all!(sqlx::query_as(&sql), binds)
        .fetch_all(conn)
        .await?)
}

/// How many cases match a filter (limit and offset ignored).
pub async fn count_cases(conn: &mut AnyConnection, f: &CaseFilter) -> Result<i64> {
    let (sql, binds) = filtered("SELECT COUNT(*)", f, "");
    Ok(bind_all!(sqlx::query_scalar(&sql), binds)
        .fetch_one(conn)
        .await?)
}

/// Points for a map: id, number, category, status, latitude, longitude of the newest cases
/// with a position matching the filter.
#[derive(Debug, Clone, FromRow)]
pub struct PointRow {
    pub id: String,
    pub number: i64,
    pub category_id: String,
    pub status: String,
    pub latitude: f64,
    pub longitude: f64,
}

pub async fn points(conn: &mut AnyConnection, f: &CaseFilter) -> Result<Vec<PointRow>> {
    let limit = if f.limit > 0 { f.limit } else { 500 };
    let (sql, binds) = filtered(
        "SELECT id, number, category_id, status, latitude, longitude",
        f,
        &format!(" AND latitude IS NOT NULL ORDER BY created_at DESC LIMIT {limit}"),
    );
    Ok(bind_all!(sqlx::query_as(&sql), binds)
        .fetch_all(conn)
        .await?)
}

/// Per category and status: how many cases, for a commune's statistics.
#[derive(Debug, Clone, FromRow)]
pub struct CountRow {
    pub category_id: String,
    pub status: String,
    pub n: i64,
}

pub async fn counts(conn: &mut AnyConnection, f: &CaseFilter) -> Result<Vec<CountRow>> {
    let (sql, binds) = filtered(
        "SELECT category_id, status, CAST(COUNT(*) AS BIGINT) AS n",
        f,
        " GROUP BY category_id, status",
    );
    Ok(bind_all!(sqlx::query_as(&sql), binds)
        .fetch_all(conn)
        .await?)
}

/// Created, resolved and due times and ratings of the closed cases matching a filter, for
/// time-to-resolve and on-time figures.
#[derive(Debug, Clone, FromRow)]
pub struct ClosedRow {
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub due_at: String,
    pub rating: Option<i64>,
}

pub async fn closed_times(conn: &mut AnyConnection, f: &CaseFilter) -> Result<Vec<ClosedRow>> {
    let (sql, binds) = filtered(
        "SELECT created_at, resolved_at, due_at, rating",
        f,
        " AND resolved_at IS NOT NULL",
    );
    Ok(bind_all!(sqlx::query_as(&sql), binds)
        .fetch_all(conn)
        .await?)
}

/// Open cases that have passed their deadline and whose staff have not been told yet.
pub async fn newly_overdue(
    conn: &mut AnyConnection,
    now: &str,
    limit: i64,
) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM feedback_cases WHERE status IN ('received', 'accepted', 'in_progress') \
         AND due_at < $1 AND overdue_noticed = 0 ORDER BY due_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn mark_overdue_noticed(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    // Conditional: when several server instances find the same case, one of them tells.
    let r = sqlx::query(
        "UPDATE feedback_cases SET overdue_noticed = 1 WHERE id = $1 AND overdue_noticed = 0",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, FromRow)]
pub struct PhotoRow {
    pub id: String,
    pub case_id: String,
    pub object_key: String,
    /// Set once the photo has been resized in the background.
    pub thumb_key: Option<String>,
    pub width: i64,
    pub height: i64,
    pub size: i64,
    /// Hidden from the public by staff.
    pub hidden: i64,
    pub created_at: String,
}

const PHOTO_COLUMNS: &str =
    "id, case_id, object_key, thumb_key, width, height, size, hidden, created_at";

pub async fn insert_photo(conn: &mut AnyConnection, p: &PhotoRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO feedback_photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&p.id)
    .bind(&p.case_id)
    .bind(&p.object_key)
    .bind(&p.thumb_key)
    .bind(p.width)
    .bind(p.height)
    .bind(p.size)
    .bind(p.hidden)
    .bind(&p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the resized photo that replaced the original upload.
pub async fn photo_processed(
    conn: &mut AnyConnection,
    id: &str,
    object_key: &str,
    thumb_key: &str,
    width: i64,
    height: i64,
    size: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE feedback_photos SET object_key = $2, thumb_key = $3, width = $4, height = $5, size = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(object_key)
    .bind(thumb_key)
    .bind(width)
    .bind(height)
    .bind(size)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn photos_of(conn: &mut AnyConnection, case_id: &str) -> Result<Vec<PhotoRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM feedback_photos WHERE case_id = $1 ORDER BY created_at, id"
    ))
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

pub async fn photo(conn: &mut AnyConnection, id: &str) -> Result<Option<PhotoRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM feedback_photos WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Hides a photo from the public, or shows it again.
pub async fn set_photo_hidden(conn: &mut AnyConnection, id: &str, hidden: bool) -> Result<()> {
    sqlx::query("UPDATE feedback_photos SET hidden = $2 WHERE id = $1")
        .bind(id)
        .bind(hidden as i64)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves photos from one case to another (a merge) — by ids.
pub async fn move_photo(conn: &mut AnyConnection, id: &str, to_case: &str) -> Result<()> {
    sqlx::query("UPDATE feedback_photos SET case_id = $2 WHERE id = $1")
        .bind(id)
        .bind(to_case)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: String,
    pub case_id: String,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub from_status: String,
    pub to_status: String,
    pub public_note: String,
    pub internal_note: String,
}

const EVENT_COLUMNS: &str =
    "id, case_id, at, actor, kind, from_status, to_status, public_note, internal_note";

pub async fn insert_event(conn: &mut AnyConnection, e: &EventRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO feedback_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&e.id)
    .bind(&e.case_id)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.kind)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .bind(&e.public_note)
    .bind(&e.internal_note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn events_of(conn: &mut AnyConnection, case_id: &str) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM feedback_events WHERE case_id = $1 ORDER BY at, id"
    ))
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct KeyRow {
    pub id: String,
    pub key_hash: String,
    pub label: String,
    pub created_by: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

pub async fn insert_key(conn: &mut AnyConnection, k: &KeyRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO open311_keys (id, key_hash, label, created_by, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&k.id)
    .bind(&k.key_hash)
    .bind(&k.label)
    .bind(&k.created_by)
    .bind(&k.created_at)
    .bind(&k.revoked_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live key with this hash.
pub async fn key_by_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<KeyRow>> {
    Ok(sqlx::query_as(
        "SELECT id, key_hash, label, created_by, created_at, revoked_at FROM open311_keys \
         WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn keys(conn: &mut AnyConnection) -> Result<Vec<KeyRow>> {
    Ok(sqlx::query_as(
        "SELECT id, key_hash, label, created_by, created_at, revoked_at FROM open311_keys ORDER BY created_at",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn revoke_key(conn: &mut AnyConnection, id: &str, at: &str) -> Result<bool> {
    let r =
        sqlx::query("UPDATE open311_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(at)
            .execute(conn)
            .await?;
    Ok(r.rows_affected() == 1)
}

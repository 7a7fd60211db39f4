//! Queries for administrative units and their succession links.

use chrono::NaiveDate;
use sqlx::{AnyConnection, FromRow};
use xaso_domain::units::{Level, Portion, Unit, UnitLink};

use crate::Result;

const COLUMNS: &str =
    "u.id, u.code, u.name, u.full_name, u.unit_type, u.level, u.parent_id, u.valid_from, u.valid_to";

/// "Valid on $n": the condition on `u` for an as-of date bound at placeholder `n`.
fn valid_on(n: usize) -> String {
    format!("(u.valid_from IS NULL OR u.valid_from <= ${n}) AND (u.valid_to IS NULL OR u.valid_to >= ${n})")
}

#[derive(FromRow)]
struct UnitRow {
    id: String,
    code: String,
    name: String,
    full_name: String,
    unit_type: String,
    level: String,
    parent_id: Option<String>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

pub fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Unit {
        Unit {
            id: r.id,
            code: r.code,
            name: r.name,
            full_name: r.full_name,
            unit_type: r.unit_type,
            level: Level::parse(&r.level).unwrap_or(Level::Commune),
            parent_id: r.parent_id,
            valid_from: date(r.valid_from),
            valid_to: date(r.valid_to),
        }
    }
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Unit>> {
    let sql = format!("SELECT {COLUMNS} FROM units u WHERE u.id = $1");
    let row: Option<UnitRow> = sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Unit::from))
}

/// The unit that had `code` on `day`.
pub async fn by_code(conn: &mut AnyConnection, code: &str, day: NaiveDate) -> Result<Option<Unit>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM units u WHERE u.code = $1 AND {} ORDER BY u.valid_from DESC LIMIT 1",
        valid_on(2)
    );
    let row: Option<UnitRow> = sqlx::query_as(&sql)
        .bind(code)
        .bind(date_text(day))
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Unit::from))
}

/// Every unit that has ever had `code`, oldest first.
pub async fn all_by_code(conn: &mut AnyConnection, code: &str) -> Result<Vec<Unit>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM units u WHERE u.code = $1 ORDER BY COALESCE(u.valid_from, '0000')"
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql).bind(code).fetch_all(conn).await?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// Units without a parent valid on `day` (provinces).
pub async fn roots(conn: &mut AnyConnection, day: NaiveDate) -> Result<Vec<Unit>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM units u WHERE u.parent_id IS NULL AND {} ORDER BY u.code",
        valid_on(1)
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql)
        .bind(date_text(day))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// Children of a unit valid on `day`, or every child ever when `day` is `None`.
pub async fn children(
    conn: &mut AnyConnection,
    parent_id: &str,
    day: Option<NaiveDate>,
) -> Result<Vec<Unit>> {
    let rows: Vec<UnitRow> = match day {
        Some(day) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM units u WHERE u.parent_id = $1 AND {} ORDER BY u.code",
                valid_on(2)
            );
            sqlx::query_as(&sql)
                .bind(parent_id)
                .bind(date_text(day))
                .fetch_all(conn)
                .await?
        }
        None => {
            let sql =
                format!("SELECT {COLUMNS} FROM units u WHERE u.parent_id = $1 ORDER BY u.code");
            sqlx::query_as(&sql).bind(parent_id).fetch_all(conn).await?
        }
    };
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// Number of children per level under a unit on `day`, for summaries ("20 xã, thị trấn").
pub async fn count_children(
    conn: &mut AnyConnection,
    parent_id: &str,
    day: NaiveDate,
) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM units u WHERE u.parent_id = $1 AND {}",
        valid_on(2)
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(parent_id)
        .bind(date_text(day))
        .fetch_one(conn)
        .await?)
}

/// The chain of parents, nearest first.
pub async fn ancestors(conn: &mut AnyConnection, unit: &Unit) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    let mut next = unit.parent_id.clone();
    while let Some(id) = next {
        match by_id(conn, &id).await? {
            Some(u) => {
                next = u.parent_id.clone();
                out.push(u);
            }
            None => break,
        }
        if out.len() > 8 {
            break;
        }
    }
    Ok(out)
}

#[derive(FromRow)]
struct LinkRow {
    #[sqlx(flatten)]
    unit: UnitRow,
    portion: String,
    effective: String,
    legal_basis: Option<String>,
}

impl From<LinkRow> for UnitLink {
    fn from(r: LinkRow) -> UnitLink {
        UnitLink {
            unit: r.unit.into(),
            portion: Portion::parse(&r.portion).unwrap_or(Portion::Whole),
            effective: date(Some(r.effective)).unwrap_or_default(),
            legal_basis: r.legal_basis,
        }
    }
}

/// Units that took over (all or part of) this one.
pub async fn successors(conn: &mut AnyConnection, id: &str) -> Result<Vec<UnitLink>> {
    let sql = format!(
        "SELECT {COLUMNS}, l.portion, l.effective, l.legal_basis FROM unit_links l \
         JOIN units u ON u.id = l.new_id WHERE l.old_id = $1 ORDER BY u.code"
    );
    let rows: Vec<LinkRow> = sqlx::query_as(&sql).bind(id).fetch_all(conn).await?;
    Ok(rows.into_iter().map(UnitLink::from).collect())
}

/// Units that went (all or in part) into this one.
pub async fn predecessors(conn: &mut AnyConnection, id: &str) -> Result<Vec<UnitLink>> {
    let sql = format!(
        "SELECT {COLUMNS}, l.portion, l.effective, l.legal_basis FROM unit_links l \
         JOIN units u ON u.id = l.old_id WHERE l.new_id = $1 ORDER BY u.code"
    );
    let rows: Vec<LinkRow> = sqlx::query_as(&sql).bind(id).fetch_all(conn).await?;
    Ok(rows.into_iter().map(UnitLink::from).collect())
}

/// Ids of the predecessors of a unit (for scope checks).
pub async fn predecessor_ids(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT old_id FROM unit_links WHERE new_id = $1")
            .bind(id)
            .fetch_all(conn)
            .await?,
    )
}

/// Parent id of a unit.
pub async fn parent_id(conn: &mut AnyConnection, id: &str) -> Result<Option<String>> {
    let p: Option<Option<String>> = sqlx::query_scalar("SELECT parent_id FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(p.flatten())
}

/// Ids of a unit and everything under it, at any time.
pub async fn subtree_ids(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE sub(id) AS (SELECT $1 UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) \
         SELECT id FROM sub",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// A unit and everything under it, at any time, in one query.
pub async fn subtree(conn: &mut AnyConnection, id: &str) -> Result<Vec<Unit>> {
    let sql = format!(
        "WITH RECURSIVE sub(id) AS (SELECT $1 UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) \
         SELECT {COLUMNS} FROM units u JOIN sub ON sub.id = u.id ORDER BY u.code"
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql).bind(id).fetch_all(conn).await?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// The communes under a unit valid on `day`, walking down no further than commune level (so
/// an area's villages are never read).
pub async fn communes_under(
    conn: &mut AnyConnection,
    id: &str,
    day: NaiveDate,
) -> Result<Vec<Unit>> {
    let sql = format!(
        "WITH RECURSIVE sub(id, level) AS (SELECT id, level FROM units WHERE id = $1 \
         UNION ALL SELECT u.id, u.level FROM units u JOIN sub ON u.parent_id = sub.id \
         WHERE sub.level <> 'commune') \
         SELECT {COLUMNS} FROM units u JOIN sub ON sub.id = u.id \
         WHERE u.level = 'commune' AND {} ORDER BY u.code",
        valid_on(2)
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql)
        .bind(id)
        .bind(date_text(day))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// Every commune-level unit valid on `day`.
pub async fn communes_on(conn: &mut AnyConnection, day: NaiveDate) -> Result<Vec<Unit>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM units u WHERE u.level = 'commune' AND {} ORDER BY u.code",
        valid_on(1)
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql)
        .bind(date_text(day))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// Every succession link as (old id, new id).
pub async fn all_links(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT old_id, new_id FROM unit_links")
        .fetch_all(conn)
        .await?)
}

/// Units whose folded full name contains `key`; valid on `day` when given. Communes and names
/// that start with the key come first.
pub async fn search(
    conn: &mut AnyConnection,
    key: &str,
    day: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<Unit>> {
    let pattern = format!("%{}%", key.replace(['%', '_'], ""));
    let by_name = format!("% {}%", key.replace(['%', '_'], ""));
    let order = "ORDER BY CASE WHEN u.search_key LIKE $2 THEN 0 ELSE 1 END, \
                 CASE u.level WHEN 'commune' THEN 0 WHEN 'district' THEN 1 WHEN 'province' THEN 2 ELSE 3 END, \
                 u.full_name, u.valid_from DESC";
    let rows: Vec<UnitRow> = match day {
        Some(day) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM units u WHERE u.search_key LIKE $1 AND {} {order} LIMIT $4",
                valid_on(3)
            );
            sqlx::query_as(&sql)
                .bind(pattern)
                .bind(by_name)
                .bind(date_text(day))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM units u WHERE u.search_key LIKE $1 {order} LIMIT $3"
            );
            sqlx::query_as(&sql)
                .bind(pattern)
                .bind(by_name)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
    };
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// A unit to insert.
pub struct NewUnit<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub full_name: &'a str,
    pub unit_type: &'a str,
    pub level: Level,
    pub parent_id: Option<&'a str>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub search_key: &'a str,
    pub source: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, u: &NewUnit<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO units (id, code, name, full_name, unit_type, level, parent_id, valid_from, \
         valid_to, search_key, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(u.id)
    .bind(u.code)
    .bind(u.name)
    .bind(u.full_name)
    .bind(u.unit_type)
    .bind(u.level.as_str())
    .bind(u.parent_id)
    .bind(u.valid_from.map(date_text))
    .bind(u.valid_to.map(date_text))
    .bind(u.search_key)
    .bind(u.source)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Rewrites an existing unit's descriptive fields (a re-import of the same period).
pub async fn update(conn: &mut AnyConnection, u: &NewUnit<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE units SET name = $2, full_name = $3, unit_type = $4, level = $5, parent_id = $6, \
         valid_to = $7, search_key = $8 WHERE id = $1",
    )
    .bind(u.id)
    .bind(u.name)
    .bind(u.full_name)
    .bind(u.unit_type)
    .bind(u.level.as_str())
    .bind(u.parent_id)
    .bind(u.valid_to.map(date_text))
    .bind(u.search_key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every unit (id, code, valid_from, valid_to), for imports that resolve many codes at once.
pub async fn all_periods(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, String, Option<String>, Option<String>)>> {
    Ok(
        sqlx::query_as("SELECT id, code, valid_from, valid_to FROM units")
            .fetch_all(conn)
            .await?,
    )
}

/// Inserts or updates a succession link; returns true when it was new.
pub async fn upsert_link(
    conn: &mut AnyConnection,
    old_id: &str,
    new_id: &str,
    portion: Portion,
    effective: NaiveDate,
    legal_basis: Option<&str>,
) -> Result<bool> {
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM unit_links WHERE old_id = $1 AND new_id = $2")
            .bind(old_id)
            .bind(new_id)
            .fetch_optional(&mut *conn)
            .await?;
    match existing {
        Some(id) => {
            sqlx::query("UPDATE unit_links SET portion = $2, effective = $3, legal_basis = $4 WHERE id = $1")
                .bind(id)
                .bind(portion.as_str())
                .bind(date_text(effective))
                .bind(legal_basis)
                .execute(conn)
                .await?;
            Ok(false)
        }
        None => {
            sqlx::query(
                "INSERT INTO unit_links (id, old_id, new_id, portion, effective, legal_basis) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(crate::new_id())
            .bind(old_id)
            .bind(new_id)
            .bind(portion.as_str())
            .bind(date_text(effective))
            .bind(legal_basis)
            .execute(conn)
            .await?;
            Ok(true)
        }
    }
}

/// Highest village number already used under a commune (codes `27985-01`, `27985-02`, …).
pub async fn village_codes(conn: &mut AnyConnection, commune_code: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT code FROM units WHERE level = 'village' AND code LIKE $1")
            .bind(format!("{commune_code}-%"))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(conn)
        .await?)
}

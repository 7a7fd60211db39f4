//! Queries for the yearly DT plan: the indicator catalogue, targets and entered actual values,
//! and the counts computed from the programme's records, grouped per commune and village.

use sqlx::{AnyConnection, FromRow};

use crate::{in_filter, Result};

#[derive(Debug, Clone, FromRow)]
pub struct IndicatorRow {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub unit: String,
    pub measure: String,
    pub aggregate: String,
    pub position: i64,
    pub active: i64,
    pub note: String,
    pub updated_by: String,
    pub updated_at: String,
}

const INDICATOR_COLUMNS: &str =
    "key, name_vi, name_en, unit, measure, aggregate, position, active, note, updated_by, updated_at";

/// The whole catalogue, in the order pages list it.
pub async fn indicators(conn: &mut AnyConnection) -> Result<Vec<IndicatorRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INDICATOR_COLUMNS} FROM dt_indicators ORDER BY position, key"
    ))
    .fetch_all(conn)
    .await?)
}

pub async fn indicator(conn: &mut AnyConnection, key: &str) -> Result<Option<IndicatorRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INDICATOR_COLUMNS} FROM dt_indicators WHERE key = $1"
    ))
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

pub async fn save_indicator(conn: &mut AnyConnection, r: &IndicatorRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_indicators ({INDICATOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (key) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
         unit = excluded.unit, measure = excluded.measure, aggregate = excluded.aggregate, \
         position = excluded.position, active = excluded.active, note = excluded.note, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&r.key)
    .bind(&r.name_vi)
    .bind(&r.name_en)
    .bind(&r.unit)
    .bind(&r.measure)
    .bind(&r.aggregate)
    .bind(r.position)
    .bind(r.active)
    .bind(&r.note)
    .bind(&r.updated_by)
    .bind(&r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// `AND column IN (…)` for an optional list of unit ids, binding from `$first`.

#[derive(Debug, Clone, FromRow)]
pub struct TargetRow {
    pub unit_id: String,
    pub indicator_key: String,
    pub target: f64,
    pub updated_by: String,
    pub updated_at: String,
}

/// Targets of a year, of some units or (None) of every unit.
pub async fn targets(
    conn: &mut AnyConnection,
    year: i64,
    units: Option<&[String]>,
) -> Result<Vec<TargetRow>> {
    let sql = format!(
        "SELECT unit_id, indicator_key, target, updated_by, updated_at FROM dt_targets WHERE year = $1{}",
        in_filter("unit_id", units, 2)
    );
    let mut q = sqlx::query_as(&sql).bind(year);
    for id in units.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// One year's targets of every unit, packed one row per unit as `KEY=TARGET;KEY=TARGET…`
/// (keys are lowercase letters, digits and `_`): the area roll-up reads thousands of communes,
/// and each row through sqlx costs microseconds, so nine times fewer rows matter.
pub async fn packed_targets(
    conn: &mut AnyConnection,
    engine: crate::Engine,
    year: i64,
) -> Result<Vec<(String, String)>> {
    let sql = match engine {
        crate::Engine::Sqlite => {
            "SELECT unit_id, group_concat(indicator_key || '=' || target, ';') \
             FROM dt_targets WHERE year = $1 GROUP BY unit_id"
        }
        crate::Engine::Postgres => {
            "SELECT unit_id, string_agg(indicator_key || '=' || target::text, ';') \
             FROM dt_targets WHERE year = $1 GROUP BY unit_id"
        }
    };
    Ok(sqlx::query_as(sql).bind(year).fetch_all(conn).await?)
}

pub async fn set_target(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    key: &str,
    target: f64,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dt_targets (unit_id, year, indicator_key, target, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id, year, indicator_key) DO UPDATE SET \
         target = excluded.target, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(year)
    .bind(key)
    .bind(target)
    .bind(by)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_target(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    key: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM dt_targets WHERE unit_id = $1 AND year = $2 AND indicator_key = $3")
        .bind(unit_id)
        .bind(year)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ActualRow {
    pub unit_id: String,
    pub indicator_key: String,
    pub value: f64,
    pub evidence: String,
    pub evidence_file: Option<String>,
    pub evidence_file_name: String,
    pub entered_by: String,
    pub entered_at: String,
}

const ACTUAL_COLUMNS: &str =
    "unit_id, indicator_key, value, evidence, evidence_file, evidence_file_name, entered_by, entered_at";

/// Entered actual values of a year, of some units or (None) of every unit.
pub async fn actuals(
    conn: &mut AnyConnection,
    year: i64,
    units: Option<&[String]>,
) -> Result<Vec<ActualRow>> {
    let sql = format!(
        "SELECT {ACTUAL_COLUMNS} FROM dt_actuals WHERE year = $1{}",
        in_filter("unit_id", units, 2)
    );
    let mut q = sqlx::query_as(&sql).bind(year);
    for id in units.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// One year's entered values of every unit, packed like [`packed_targets`] as
/// `KEY=VALUE;…` (values only: evidence stays with each commune's plan).
pub async fn packed_actuals(
    conn: &mut AnyConnection,
    engine: crate::Engine,
    year: i64,
) -> Result<Vec<(String, String)>> {
    let sql = match engine {
        crate::Engine::Sqlite => {
            "SELECT unit_id, group_concat(indicator_key || '=' || value, ';') \
             FROM dt_actuals WHERE year = $1 GROUP BY unit_id"
        }
        crate::Engine::Postgres => {
            "SELECT unit_id, string_agg(indicator_key || '=' || value::text, ';') \
             FROM dt_actuals WHERE year = $1 GROUP BY unit_id"
        }
    };
    Ok(sqlx::query_as(sql).bind(year).fetch_all(conn).await?)
}

pub async fn set_actual(conn: &mut AnyConnection, year: i64, a: &ActualRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dt_actuals (year, {ACTUAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (unit_id, year, indicator_key) DO UPDATE SET value = excluded.value, \
         evidence = excluded.evidence, evidence_file = excluded.evidence_file, \
         evidence_file_name = excluded.evidence_file_name, entered_by = excluded.entered_by, \
         entered_at = excluded.entered_at"
    ))
    .bind(year)
    .bind(&a.unit_id)
    .bind(&a.indicator_key)
    .bind(a.value)
    .bind(&a.evidence)
    .bind(&a.evidence_file)
    .bind(&a.evidence_file_name)
    .bind(&a.entered_by)
    .bind(&a.entered_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_actual(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    key: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM dt_actuals WHERE unit_id = $1 AND year = $2 AND indicator_key = $3")
        .bind(unit_id)
        .bind(year)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// People trained in `from..=to` per commune: (commune, members, different people).
pub async fn trained_by_commune(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    communes: Option<&[String]>,
) -> Result<Vec<(String, i64, i64)>> {
    let sql = format!(
        "SELECT s.commune_id, COUNT(DISTINCT a.member_id), COUNT(DISTINCT a.person_key) \
         FROM dt_attendance a JOIN dt_sessions s ON s.id = a.session_id \
         WHERE s.day >= $1 AND s.day <= $2{} GROUP BY s.commune_id",
        in_filter("s.commune_id", communes, 3)
    );
    let mut q = sqlx::query_as(&sql).bind(from).bind(to);
    for id in communes.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// People trained in `from..=to` per village of the given communes: (village, members,
/// different people). Attendance without a village is left out.
pub async fn trained_by_village(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    communes: &[String],
) -> Result<Vec<(String, i64, i64)>> {
    let sql = format!(
        "SELECT a.village_id, COUNT(DISTINCT a.member_id), COUNT(DISTINCT a.person_key) \
         FROM dt_attendance a JOIN dt_sessions s ON s.id = a.session_id \
         WHERE s.day >= $1 AND s.day <= $2 AND a.village_id IS NOT NULL{} GROUP BY a.village_id",
        in_filter("s.commune_id", Some(communes), 3)
    );
    let mut q = sqlx::query_as(&sql).bind(from).bind(to);
    for id in communes {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// People helped in `from..=to`: (commune, village, service, people).
pub async fn support_by_unit(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    communes: Option<&[String]>,
) -> Result<Vec<(String, String, String, i64)>> {
    let sql = format!(
        "SELECT commune_id, village_id, service, CAST(SUM(people) AS BIGINT) FROM dt_support \
         WHERE helped_on >= $1 AND helped_on <= $2{} GROUP BY commune_id, village_id, service",
        in_filter("commune_id", communes, 3)
    );
    let mut q = sqlx::query_as(&sql).bind(from).bind(to);
    for id in communes.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// People helped in `from..=to` per commune and service (no village split; the roll-up's
/// query, answered from the `dt_support_totals` index).
pub async fn support_by_commune(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    communes: Option<&[String]>,
) -> Result<Vec<(String, String, i64)>> {
    let sql = format!(
        "SELECT commune_id, service, CAST(SUM(people) AS BIGINT) FROM dt_support \
         WHERE helped_on >= $1 AND helped_on <= $2{} GROUP BY commune_id, service",
        in_filter("commune_id", communes, 3)
    );
    let mut q = sqlx::query_as(&sql).bind(from).bind(to);
    for id in communes.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Active public Wi-Fi places: (commune, village if known, count).
pub async fn wifi_by_unit(
    conn: &mut AnyConnection,
    communes: Option<&[String]>,
) -> Result<Vec<(String, Option<String>, i64)>> {
    // A point is a registry place of kind Wi-Fi or a public Wi-Fi access point of the ICT
    // register that is not retired; several access points at one place are one point, and a
    // Wi-Fi place with its access point registered counts once.
    let sql = format!(
        "SELECT commune_id, village_id, COUNT(*) FROM ( \
           SELECT commune_id, village_id, id AS point FROM places \
           WHERE kind = 'wifi' AND status = 'active' \
           UNION \
           SELECT a.unit_id AS commune_id, p.village_id, COALESCE(a.place_id, a.id) AS point \
           FROM ict_assets a JOIN ict_kinds k ON k.key = a.kind \
           LEFT JOIN places p ON p.id = a.place_id \
           WHERE k.public_wifi = 1 AND a.status <> 'retired' \
         ) points WHERE 1 = 1{} GROUP BY commune_id, village_id",
        in_filter("commune_id", communes, 1)
    );
    let mut q = sqlx::query_as(&sql);
    for id in communes.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Approved producers with a live marketplace listing, per commune.
pub async fn sellers_by_commune(
    conn: &mut AnyConnection,
    communes: Option<&[String]>,
) -> Result<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT p.commune_id, COUNT(DISTINCT p.id) FROM producers p \
         JOIN products pr ON pr.producer_id = p.id JOIN listings l ON l.product_id = pr.id \
         WHERE p.status = 'approved' AND l.status = 'live'{} GROUP BY p.commune_id",
        in_filter("p.commune_id", communes, 1)
    );
    let mut q = sqlx::query_as(&sql);
    for id in communes.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

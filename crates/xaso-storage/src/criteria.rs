//! Queries for criteria set versions, commune profiles and indicator values.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct SetVersionRow {
    pub id: String,
    pub set_key: String,
    pub version: i64,
    pub definition: String,
    pub change_note: String,
    pub created_by: String,
    pub created_at: String,
}

const SET_COLUMNS: &str = "id, set_key, version, definition, change_note, created_by, created_at";

/// The newest version of every set.
pub async fn latest_sets(conn: &mut AnyConnection) -> Result<Vec<SetVersionRow>> {
    let sql = format!(
        "SELECT {SET_COLUMNS} FROM criteria_set_versions v WHERE version = \
         (SELECT MAX(version) FROM criteria_set_versions w WHERE w.set_key = v.set_key) ORDER BY set_key"
    );
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

pub async fn latest_set(conn: &mut AnyConnection, key: &str) -> Result<Option<SetVersionRow>> {
    let sql = format!("SELECT {SET_COLUMNS} FROM criteria_set_versions WHERE set_key = $1 ORDER BY version DESC LIMIT 1");
    Ok(sqlx::query_as(&sql).bind(key).fetch_optional(conn).await?)
}

pub async fn versions(conn: &mut AnyConnection, key: &str) -> Result<Vec<SetVersionRow>> {
    let sql = format!(
        "SELECT {SET_COLUMNS} FROM criteria_set_versions WHERE set_key = $1 ORDER BY version DESC"
    );
    Ok(sqlx::query_as(&sql).bind(key).fetch_all(conn).await?)
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    key: &str,
    version: i64,
    definition: &str,
    change_note: &str,
    created_by: &str,
) -> Result<String> {
    let id = crate::new_id();
    sqlx::query(
        "INSERT INTO criteria_set_versions (id, set_key, version, definition, change_note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(key)
    .bind(version)
    .bind(definition)
    .bind(change_note)
    .bind(created_by)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, FromRow)]
pub struct ProfileRow {
    pub unit_id: String,
    pub year: i64,
    pub threshold_key: String,
    pub target_level: Option<String>,
}

pub async fn profile(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
) -> Result<Option<ProfileRow>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, year, threshold_key, target_level FROM commune_profiles WHERE unit_id = $1 AND year = $2",
    )
    .bind(unit_id)
    .bind(year)
    .fetch_optional(conn)
    .await?)
}

pub async fn upsert_profile(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    threshold_key: &str,
    target_level: Option<&str>,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO commune_profiles (id, unit_id, year, threshold_key, target_level, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (unit_id, year) DO UPDATE SET threshold_key = excluded.threshold_key, \
         target_level = excluded.target_level, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(crate::new_id())
    .bind(unit_id)
    .bind(year)
    .bind(threshold_key)
    .bind(target_level)
    .bind(by)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ValueRow {
    pub unit_id: String,
    pub set_key: String,
    pub indicator_code: String,
    pub value: String,
    pub note: Option<String>,
    pub entered_by: String,
    pub entered_at: String,
}

pub async fn values(conn: &mut AnyConnection, unit_id: &str, year: i64) -> Result<Vec<ValueRow>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, set_key, indicator_code, value, note, entered_by, entered_at FROM indicator_values \
         WHERE unit_id = $1 AND year = $2",
    )
    .bind(unit_id)
    .bind(year)
    .fetch_all(conn)
    .await?)
}

/// One year's values of every commune, packed one row per commune as
/// `SET:CODE=VALUE;SET:CODE=VALUE…` — ten times fewer rows than one per value, which is what
/// a national roll-up pays for (each row through sqlx costs microseconds). Without notes.
pub async fn packed_values_of_year(
    conn: &mut AnyConnection,
    engine: crate::Engine,
    year: i64,
) -> Result<Vec<(String, String)>> {
    let sql = match engine {
        crate::Engine::Sqlite => {
            "SELECT unit_id, group_concat(set_key || ':' || indicator_code || '=' || value, ';') \
             FROM indicator_values WHERE year = $1 GROUP BY unit_id"
        }
        crate::Engine::Postgres => {
            "SELECT unit_id, string_agg(set_key || ':' || indicator_code || '=' || value, ';') \
             FROM indicator_values WHERE year = $1 GROUP BY unit_id"
        }
    };
    Ok(sqlx::query_as(sql).bind(year).fetch_all(conn).await?)
}

pub async fn profiles_of_year(conn: &mut AnyConnection, year: i64) -> Result<Vec<ProfileRow>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, year, threshold_key, target_level FROM commune_profiles WHERE year = $1",
    )
    .bind(year)
    .fetch_all(conn)
    .await?)
}

/// One indicator value to store.
pub struct NewValue<'a> {
    pub unit_id: &'a str,
    pub year: i64,
    pub set_key: &'a str,
    pub code: &'a str,
    pub value: &'a str,
    pub note: Option<&'a str>,
    pub by: &'a str,
}

pub async fn upsert_value(conn: &mut AnyConnection, v: &NewValue<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO indicator_values (id, unit_id, year, set_key, indicator_code, value, note, entered_by, entered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (unit_id, year, set_key, indicator_code) DO UPDATE SET value = excluded.value, \
         note = excluded.note, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
    )
    .bind(crate::new_id())
    .bind(v.unit_id)
    .bind(v.year)
    .bind(v.set_key)
    .bind(v.code)
    .bind(v.value)
    .bind(v.note)
    .bind(v.by)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_value(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    set_key: &str,
    code: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM indicator_values WHERE unit_id = $1 AND year = $2 AND set_key = $3 AND indicator_code = $4")
        .bind(unit_id)
        .bind(year)
        .bind(set_key)
        .bind(code)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ReviewRow {
    pub state: String,
    pub comment: Option<String>,
    pub updated_by: String,
    pub updated_at: String,
}

pub async fn review(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
) -> Result<Option<ReviewRow>> {
    Ok(sqlx::query_as(
        "SELECT state, comment, updated_by, updated_at FROM year_reviews WHERE unit_id = $1 AND year = $2",
    )
    .bind(unit_id)
    .bind(year)
    .fetch_optional(conn)
    .await?)
}

pub async fn set_review(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i64,
    state: &str,
    comment: Option<&str>,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO year_reviews (unit_id, year, state, comment, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (unit_id, year) DO UPDATE SET state = excluded.state, comment = excluded.comment, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(year)
    .bind(state)
    .bind(comment)
    .bind(by)
    .bind(crate::now())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct YearReviewRow {
    pub unit_id: String,
    #[sqlx(flatten)]
    pub review: ReviewRow,
}

pub async fn reviews_of_year(conn: &mut AnyConnection, year: i64) -> Result<Vec<YearReviewRow>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, state, comment, updated_by, updated_at FROM year_reviews WHERE year = $1",
    )
    .bind(year)
    .fetch_all(conn)
    .await?)
}

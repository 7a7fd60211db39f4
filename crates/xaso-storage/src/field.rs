//! Offline field work: the receipts that make a record sent twice count once.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

/// A record a phone recorded offline, as the server stored it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReceiptRow {
    /// The phone's UUIDv7 for the record (its idempotency key).
    pub key: String,
    pub user_id: Option<String>,
    pub username: String,
    pub kind: String,
    pub record_type: String,
    pub record_id: String,
    /// When the phone recorded it (storage time text).
    pub recorded_at: String,
    /// When the server stored it.
    pub received_at: String,
}

/// Writes a receipt unless one with the same key is there already (then `false`). On
/// PostgreSQL a concurrent insert of the same key waits for the other transaction, so two
/// sends at once store one receipt.
pub async fn insert(conn: &mut AnyConnection, r: &ReceiptRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO field_receipts (key, user_id, username, kind, record_type, record_id, \
         recorded_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(&r.key)
    .bind(&r.user_id)
    .bind(&r.username)
    .bind(&r.kind)
    .bind(&r.record_type)
    .bind(&r.record_id)
    .bind(&r.recorded_at)
    .bind(&r.received_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<ReceiptRow>> {
    Ok(sqlx::query_as(
        "SELECT key, user_id, username, kind, record_type, record_id, recorded_at, received_at \
         FROM field_receipts WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// How many records one account has sent from the field (for the outbox page's summary).
pub async fn count_of(conn: &mut AnyConnection, username: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM field_receipts WHERE username = $1")
            .bind(username)
            .fetch_one(conn)
            .await?,
    )
}

// ---- Reference data for the field app (what the offline forms choose from) ----

/// `AND col IN (…)` for a scope (`None`: everything), with placeholders from `$from`.
fn scope_sql(cols: &[&str], scope: Option<&[String]>, from: usize) -> String {
    match scope {
        None => String::new(),
        Some([]) => " AND 1 = 0".into(),
        Some(ids) => {
            let list = crate::placeholders(from, ids.len());
            let parts: Vec<String> = cols.iter().map(|c| format!("{c} IN ({list})")).collect();
            format!(" AND ({})", parts.join(" OR "))
        }
    }
}

/// Runs `sql` with `args` bound first and then the scope's ids, each row read as a `T`.
async fn scoped<T>(
    conn: &mut AnyConnection,
    sql: &str,
    args: &[&str],
    scope: Option<&[String]>,
) -> Result<Vec<T>>
where
    T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut q = sqlx::query_as::<_, T>(sql);
    for a in args {
        q = q.bind(*a);
    }
    for id in scope.unwrap_or_default() {
        q = q.bind(id.as_str());
    }
    Ok(q.fetch_all(conn).await?)
}

/// A first download (no cursor) takes the most recently changed rows; a refresh takes the
/// changes in the order they happened, so a cut-off refresh continues where it stopped.
fn order(since: &str) -> &'static str {
    if since.is_empty() {
        "updated_at DESC, id DESC"
    } else {
        "updated_at, id"
    }
}

#[derive(Debug, Clone, serde::Serialize, FromRow)]
pub struct VillageRef {
    pub code: String,
    pub name: String,
    pub commune_code: String,
    pub commune_name: String,
}

/// The villages in `scope` (their ids) in force on `day`.
pub async fn villages(
    conn: &mut AnyConnection,
    scope: Option<&[String]>,
    day: &str,
    limit: i64,
) -> Result<Vec<VillageRef>> {
    let sql = format!(
        "SELECT v.code, v.full_name AS name, c.code AS commune_code, \
         c.full_name AS commune_name \
         FROM units v JOIN units c ON c.id = v.parent_id \
         WHERE v.level = 'village' AND (v.valid_from IS NULL OR v.valid_from <= $1) \
         AND (v.valid_to IS NULL OR v.valid_to >= $1){} ORDER BY c.code, v.code LIMIT {}",
        scope_sql(&["v.id"], scope, 2),
        limit.max(0)
    );
    scoped(conn, &sql, &[day], scope).await
}

#[derive(Debug, Clone, serde::Serialize, FromRow)]
pub struct PlaceRef {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub plus_code: String,
    pub status: String,
    pub updated_at: String,
}

/// Places in `scope` changed at or after `since` (all when empty), at most `limit` (see
/// [`order`]). Contact names and phones stay on the server.
pub async fn places(
    conn: &mut AnyConnection,
    scope: Option<&[String]>,
    since: &str,
    limit: i64,
) -> Result<Vec<PlaceRef>> {
    let sql = format!(
        "SELECT id, kind, name, address, latitude, longitude, plus_code, status, updated_at \
         FROM places WHERE updated_at >= $1{} ORDER BY {} LIMIT {}",
        scope_sql(&["commune_id", "village_id"], scope, 2),
        order(since),
        limit.max(0)
    );
    scoped(conn, &sql, &[since], scope).await
}

#[derive(Debug, Clone, serde::Serialize, FromRow)]
pub struct PlotRef {
    pub id: String,
    pub name: String,
    pub land_use: String,
    pub latitude: f64,
    pub longitude: f64,
    pub updated_at: String,
}

/// Plots in `scope` changed at or after `since`; the position is the middle of the plot's box.
pub async fn plots(
    conn: &mut AnyConnection,
    scope: Option<&[String]>,
    since: &str,
    limit: i64,
) -> Result<Vec<PlotRef>> {
    let sql = format!(
        "SELECT id, name, land_use, (min_lat + max_lat) / 2.0 AS latitude, \
         (min_lng + max_lng) / 2.0 AS longitude, updated_at \
         FROM agri_plots WHERE updated_at >= $1{} ORDER BY {} LIMIT {}",
        scope_sql(&["unit_id", "village_id"], scope, 2),
        order(since),
        limit.max(0)
    );
    scoped(conn, &sql, &[since], scope).await
}

#[derive(Debug, Clone, serde::Serialize, FromRow)]
pub struct StocktakeRef {
    pub id: String,
    pub number: i64,
    pub unit_name: String,
    pub started_at: String,
}

/// Stocktakes still open in `scope`.
pub async fn open_stocktakes(
    conn: &mut AnyConnection,
    scope: Option<&[String]>,
) -> Result<Vec<StocktakeRef>> {
    let sql = format!(
        "SELECT s.id, s.number, u.full_name AS unit_name, s.started_at FROM ict_stocktakes s \
         JOIN units u ON u.id = s.unit_id WHERE s.closed_at IS NULL{} \
         ORDER BY s.started_at DESC LIMIT 50",
        scope_sql(&["s.unit_id"], scope, 1),
    );
    scoped(conn, &sql, &[], scope).await
}

#[derive(Debug, Clone, serde::Serialize, FromRow)]
pub struct AssetRef {
    pub id: String,
    pub tag: String,
    pub name: String,
}

/// The register's assets in `scope` that are not retired (for a stocktake by tag).
pub async fn assets(
    conn: &mut AnyConnection,
    scope: Option<&[String]>,
    limit: i64,
) -> Result<Vec<AssetRef>> {
    let sql = format!(
        "SELECT id, tag, name FROM ict_assets WHERE status <> 'retired'{} ORDER BY tag LIMIT {}",
        scope_sql(&["unit_id"], scope, 1),
        limit.max(0)
    );
    scoped(conn, &sql, &[], scope).await
}

#[derive(Debug, Clone, serde::Serialize, FromRow)]
pub struct SessionRef {
    pub id: String,
    pub title: String,
    pub day: String,
    pub starts: String,
}

/// Training sessions in `scope` still open, from `from` to `to` (dates).
pub async fn sessions(
    conn: &mut AnyConnection,
    scope: Option<&[String]>,
    from: &str,
    to: &str,
) -> Result<Vec<SessionRef>> {
    let sql = format!(
        "SELECT s.id, c.title, s.day, s.starts FROM dt_sessions s \
         JOIN dt_courses c ON c.id = s.course_id \
         WHERE s.closed_at IS NULL AND s.day >= $1 AND s.day <= $2{} \
         ORDER BY s.day, s.starts LIMIT 100",
        scope_sql(&["s.commune_id"], scope, 3),
    );
    scoped(conn, &sql, &[from, to], scope).await
}

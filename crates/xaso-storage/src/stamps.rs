//! Queries for stamp orders and stamps.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    pub id: String,
    pub batch_id: String,
    pub count: i64,
    pub label_size: String,
    pub status: String,
    pub sheet_key: Option<String>,
    pub error: String,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// The scheme and host the order's QR codes carry.
    pub base_url: String,
}

const ORDER_COLUMNS: &str =
    "id, batch_id, count, label_size, status, sheet_key, error, created_by, created_at, finished_at, base_url";

pub async fn insert_order(conn: &mut AnyConnection, o: &OrderRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO stamp_orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&o.id)
    .bind(&o.batch_id)
    .bind(o.count)
    .bind(&o.label_size)
    .bind(&o.status)
    .bind(&o.sheet_key)
    .bind(&o.error)
    .bind(&o.created_by)
    .bind(&o.created_at)
    .bind(&o.finished_at)
    .bind(&o.base_url)
    .execute(conn)
    .await?;
    Ok(())
}

/// Orders still being made (after a restart: interrupted ones), oldest first.
pub async fn unfinished_orders(conn: &mut AnyConnection) -> Result<Vec<OrderRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM stamp_orders WHERE status = 'generating' ORDER BY created_at"
    ))
    .fetch_all(conn)
    .await?)
}

/// Records how an order ended.
pub async fn finish_order(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    sheet_key: Option<&str>,
    error: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE stamp_orders SET status = $2, sheet_key = $3, error = $4, finished_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(sheet_key)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn order(conn: &mut AnyConnection, id: &str) -> Result<Option<OrderRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM stamp_orders WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn orders_of_batch(conn: &mut AnyConnection, batch_id: &str) -> Result<Vec<OrderRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM stamp_orders WHERE batch_id = $1 ORDER BY created_at DESC"
    ))
    .bind(batch_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct StampRow {
    pub code: String,
    pub batch_id: String,
    pub order_id: String,
    pub number: i64,
    pub status: String,
    pub void_reason: String,
    pub scans: i64,
    pub first_scan_at: Option<String>,
    pub last_scan_at: Option<String>,
}

/// Inserts the codes of an order, numbered from 1, in statements of a few hundred rows.
pub async fn insert_stamps(
    conn: &mut AnyConnection,
    batch_id: &str,
    order_id: &str,
    codes: &[String],
) -> Result<()> {
    let sqlite = conn.backend_name() == "SQLite";
    for (chunk_no, chunk) in codes.chunks(500).enumerate() {
        let mut sql = String::from("INSERT INTO stamps (code, batch_id, order_id, number) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push_str("(?, ?, ?, ?)");
            } else {
                let b = i * 4;
                sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
            }
        }
        let mut q = sqlx::query(&sql);
        for (i, code) in chunk.iter().enumerate() {
            q = q
                .bind(code)
                .bind(batch_id)
                .bind(order_id)
                .bind((chunk_no * 500 + i + 1) as i64);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

const STAMP_COLUMNS: &str =
    "code, batch_id, order_id, number, status, void_reason, scans, first_scan_at, last_scan_at";

pub async fn stamp(conn: &mut AnyConnection, code: &str) -> Result<Option<StampRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {STAMP_COLUMNS} FROM stamps WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

/// Adds buffered scans of a stamp: `n` more, the first of them at `first`, the last by `at`.
pub async fn add_scans(
    conn: &mut AnyConnection,
    code: &str,
    n: i64,
    first: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE stamps SET scans = scans + $2, first_scan_at = COALESCE(first_scan_at, $3), last_scan_at = $4 WHERE code = $1",
    )
    .bind(code)
    .bind(n)
    .bind(first)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Voids one stamp with a reason.
pub async fn void_stamp(conn: &mut AnyConnection, code: &str, reason: &str) -> Result<()> {
    sqlx::query("UPDATE stamps SET status = 'void', void_reason = $2 WHERE code = $1")
        .bind(code)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// The codes of an order in number order (for sheets and tests).
pub async fn codes_of_order(conn: &mut AnyConnection, order_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM stamps WHERE order_id = $1 ORDER BY number")
            .bind(order_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Orders an account may follow: those it placed and those of the producers it manages, newest
/// first; every order for `None` (an administrator).
pub async fn orders_for(
    conn: &mut AnyConnection,
    username: Option<&str>,
    limit: i64,
) -> Result<Vec<OrderRow>> {
    let cols = ORDER_COLUMNS
        .split(", ")
        .map(|c| format!("o.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!(
        "SELECT {cols} FROM stamp_orders o JOIN batches b ON b.id = o.batch_id \
         JOIN products p ON p.id = b.product_id JOIN producers r ON r.id = p.producer_id"
    );
    if username.is_some() {
        sql.push_str(" WHERE o.created_by = $1 OR r.owner = $1");
    }
    sql.push_str(&format!(
        " ORDER BY o.created_at DESC LIMIT {}",
        limit.clamp(1, 1000)
    ));
    let mut q = sqlx::query_as(&sql);
    if let Some(u) = username {
        q = q.bind(u);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Figures of a commune's (or area's) traceability, for its dashboard.
#[derive(Debug, Clone, Default)]
pub struct TraceFigures {
    /// (status, count) of producers.
    pub producers: Vec<(String, i64)>,
    /// Products of approved producers.
    pub products: i64,
    /// (stars, count) of products with an OCOP rating decided on or after `ocop_since`.
    pub ocop: Vec<(i64, i64)>,
    /// (yyyy-mm, stamps) of ready orders by month made.
    pub issued: Vec<(String, i64)>,
    /// (yyyy-mm, stamps) first scanned in that month.
    pub first_scanned: Vec<(String, i64)>,
    /// All scans counted so far (written ones).
    pub scans: i64,
    /// Codes scanned more than `many` times: (code, scans, product name, lot).
    pub many: Vec<(String, i64, String, String)>,
    /// Codes with scan places since a time (for the far-apart check).
    pub located: Vec<String>,
}

/// Reads the dashboard's figures for producers in `communes`.
pub async fn trace_figures(
    conn: &mut AnyConnection,
    communes: &[String],
    ocop_since: &str,
    many: i64,
    places_since: &str,
) -> Result<TraceFigures> {
    if communes.is_empty() {
        return Ok(TraceFigures::default());
    }
    let ids = crate::placeholders(1, communes.len());
    let n = communes.len();
    macro_rules! bind_all {
        ($q:expr) => {{
            let mut q = $q;
            for c in communes {
                q = q.bind(c);
            }
            q
        }};
    }
    let sql1 = format!(
        "SELECT status, COUNT(*) FROM producers WHERE commune_id IN ({ids}) GROUP BY status ORDER BY status"
    );
    let producers: Vec<(String, i64)> = bind_all!(sqlx::query_as(&sql1))
        .fetch_all(&mut *conn)
        .await?;
    let from = "FROM products p JOIN producers r ON r.id = p.producer_id";
    let sql2 =
        format!("SELECT COUNT(*) {from} WHERE r.status = 'approved' AND r.commune_id IN ({ids})");
    let (products,): (i64,) = bind_all!(sqlx::query_as(&sql2))
        .fetch_one(&mut *conn)
        .await?;
    let sql3 = format!(
        "SELECT p.ocop_stars, COUNT(*) {from} WHERE r.status = 'approved' AND r.commune_id IN ({ids}) \
         AND p.ocop_stars IS NOT NULL AND p.ocop_decided_on >= ${} GROUP BY p.ocop_stars ORDER BY p.ocop_stars",
        n + 1
    );
    let ocop: Vec<(i64, i64)> = bind_all!(sqlx::query_as(&sql3))
        .bind(ocop_since)
        .fetch_all(&mut *conn)
        .await?;
    let chain =
        "FROM stamps s JOIN batches b ON b.id = s.batch_id JOIN products p ON p.id = b.product_id \
        JOIN producers r ON r.id = p.producer_id";
    let sql4 = format!(
        "SELECT SUBSTR(o.created_at, 1, 7) AS month, CAST(SUM(o.count) AS BIGINT) FROM stamp_orders o \
         JOIN batches b ON b.id = o.batch_id JOIN products p ON p.id = b.product_id \
         JOIN producers r ON r.id = p.producer_id WHERE o.status = 'ready' AND r.commune_id IN ({ids}) \
         GROUP BY SUBSTR(o.created_at, 1, 7) ORDER BY month"
    );
    let issued: Vec<(String, i64)> = bind_all!(sqlx::query_as(&sql4))
        .fetch_all(&mut *conn)
        .await?;
    let sql5 = format!(
        "SELECT SUBSTR(s.first_scan_at, 1, 7) AS month, COUNT(*) {chain} \
         WHERE s.first_scan_at IS NOT NULL AND r.commune_id IN ({ids}) \
         GROUP BY SUBSTR(s.first_scan_at, 1, 7) ORDER BY month"
    );
    let first_scanned: Vec<(String, i64)> = bind_all!(sqlx::query_as(&sql5))
        .fetch_all(&mut *conn)
        .await?;
    let sql6 = format!("SELECT CAST(SUM(s.scans) AS BIGINT) {chain} WHERE r.commune_id IN ({ids})");
    let (scans,): (Option<i64>,) = bind_all!(sqlx::query_as(&sql6))
        .fetch_one(&mut *conn)
        .await?;
    let sql7 = format!(
        "SELECT s.code, s.scans, p.name, b.lot {chain} WHERE s.scans > ${} AND r.commune_id IN ({ids}) \
         ORDER BY s.scans DESC LIMIT 50",
        n + 1
    );
    let many: Vec<(String, i64, String, String)> = bind_all!(sqlx::query_as(&sql7))
        .bind(many)
        .fetch_all(&mut *conn)
        .await?;
    let sql8 = format!(
        "SELECT DISTINCT s.code {chain} JOIN stamp_scan_places sp ON sp.code = s.code \
         WHERE sp.scanned_at >= ${} AND r.commune_id IN ({ids})",
        n + 1
    );
    let located: Vec<(String,)> = bind_all!(sqlx::query_as(&sql8))
        .bind(places_since)
        .fetch_all(&mut *conn)
        .await?;
    Ok(TraceFigures {
        producers,
        products,
        ocop,
        issued,
        first_scanned,
        scans: scans.unwrap_or(0),
        many,
        located: located.into_iter().map(|r| r.0).collect(),
    })
}

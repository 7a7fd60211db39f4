//! Upstream CAP sources, what was read from them, and the drafts they made.

use sqlx::{AnyConnection, FromRow};

use crate::Result;

#[derive(Debug, Clone, FromRow)]
pub struct SourceRow {
    pub id: String,
    pub unit_id: String,
    pub name: String,
    pub url: String,
    pub auto_relay: i64,
    pub etag: Option<String>,
    pub checked_at: Option<String>,
    pub problem: String,
    pub created_by: String,
    pub created_at: String,
}

const SOURCE: &str =
    "id, unit_id, name, url, auto_relay, etag, checked_at, problem, created_by, created_at";

pub async fn add_source(conn: &mut AnyConnection, s: &SourceRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO cap_sources ({SOURCE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&s.id)
    .bind(&s.unit_id)
    .bind(&s.name)
    .bind(&s.url)
    .bind(s.auto_relay)
    .bind(&s.etag)
    .bind(&s.checked_at)
    .bind(&s.problem)
    .bind(&s.created_by)
    .bind(&s.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn source(conn: &mut AnyConnection, id: &str) -> Result<Option<SourceRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {SOURCE} FROM cap_sources WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A unit's sources, or every source (`None`), by name.
pub async fn sources(conn: &mut AnyConnection, unit_id: Option<&str>) -> Result<Vec<SourceRow>> {
    Ok(match unit_id {
        Some(u) => {
            sqlx::query_as(&format!(
                "SELECT {SOURCE} FROM cap_sources WHERE unit_id = $1 ORDER BY name, id"
            ))
            .bind(u)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {SOURCE} FROM cap_sources ORDER BY name, id"
            ))
            .fetch_all(conn)
            .await?
        }
    })
}

/// Drops a source with what was read from it (drafts already relayed stay as alerts).
pub async fn delete_source(conn: &mut AnyConnection, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM cap_seen WHERE source_id = $1",
        "DELETE FROM cap_drafts WHERE source_id = $1",
        "DELETE FROM cap_sources WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// After a check: the feed's ETag, when, and what went wrong (empty when nothing).
pub async fn checked(
    conn: &mut AnyConnection,
    id: &str,
    etag: Option<&str>,
    at: &str,
    problem: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE cap_sources SET etag = COALESCE($2, etag), checked_at = $3, problem = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(etag)
    .bind(at)
    .bind(problem)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a message address was read from the source before.
pub async fn seen(conn: &mut AnyConnection, source: &str, url: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cap_seen WHERE source_id = $1 AND url = $2")
            .bind(source)
            .bind(url)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

pub async fn mark_seen(conn: &mut AnyConnection, source: &str, url: &str, at: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO cap_seen (source_id, url, seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (source_id, url) DO NOTHING",
    )
    .bind(source)
    .bind(url)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct DraftRow {
    pub id: String,
    pub source_id: String,
    pub unit_id: String,
    pub identifier: String,
    pub sender: String,
    pub sent: String,
    pub msg_type: String,
    /// The identifiers it references, space-separated.
    pub refs: String,
    pub hazard: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub area_desc: String,
    pub expires_at: Option<String>,
    pub cap_xml: String,
    /// new, relayed, dismissed, replaced (a later message of the source took its place)
    pub status: String,
    pub alert_id: Option<String>,
    pub received_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

const DRAFT: &str = "id, source_id, unit_id, identifier, sender, sent, msg_type, refs, hazard, \
     urgency, severity, certainty, headline, description, instruction, area_desc, expires_at, \
     cap_xml, status, alert_id, received_at, decided_by, decided_at";

/// Keeps a draft unless the source already gave this message for this unit; true if new.
pub async fn add_draft(conn: &mut AnyConnection, d: &DraftRow) -> Result<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO cap_drafts ({DRAFT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
         ON CONFLICT (source_id, identifier, unit_id) DO NOTHING"
    ))
    .bind(&d.id)
    .bind(&d.source_id)
    .bind(&d.unit_id)
    .bind(&d.identifier)
    .bind(&d.sender)
    .bind(&d.sent)
    .bind(&d.msg_type)
    .bind(&d.refs)
    .bind(&d.hazard)
    .bind(&d.urgency)
    .bind(&d.severity)
    .bind(&d.certainty)
    .bind(&d.headline)
    .bind(&d.description)
    .bind(&d.instruction)
    .bind(&d.area_desc)
    .bind(&d.expires_at)
    .bind(&d.cap_xml)
    .bind(&d.status)
    .bind(&d.alert_id)
    .bind(&d.received_at)
    .bind(&d.decided_by)
    .bind(&d.decided_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn draft(conn: &mut AnyConnection, id: &str) -> Result<Option<DraftRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {DRAFT} FROM cap_drafts WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A unit's drafts from one source's earlier messages (by identifier).
pub async fn drafts_of(
    conn: &mut AnyConnection,
    source: &str,
    unit_id: &str,
    identifiers: &[String],
) -> Result<Vec<DraftRow>> {
    if identifiers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {DRAFT} FROM cap_drafts WHERE source_id = $1 AND unit_id = $2 AND identifier IN ({}) \
         ORDER BY received_at, id",
        crate::placeholders(3, identifiers.len())
    );
    let mut q = sqlx::query_as(&sql).bind(source).bind(unit_id);
    for i in identifiers {
        q = q.bind(i);
    }
    Ok(q.fetch_all(conn).await?)
}

/// A unit's drafts, the waiting ones first, newest first (at most `limit`).
pub async fn drafts(conn: &mut AnyConnection, unit_id: &str, limit: i64) -> Result<Vec<DraftRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DRAFT} FROM cap_drafts WHERE unit_id = $1 \
         ORDER BY CASE WHEN status = 'new' THEN 0 ELSE 1 END, received_at DESC, id DESC LIMIT $2"
    ))
    .bind(unit_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Decides a waiting draft (relayed, dismissed or replaced); false if it was no longer waiting.
pub async fn decide(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    alert_id: Option<&str>,
    by: &str,
    at: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cap_drafts SET status = $2, alert_id = $3, decided_by = $4, decided_at = $5 \
         WHERE id = $1 AND status = 'new'",
    )
    .bind(id)
    .bind(status)
    .bind(alert_id)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

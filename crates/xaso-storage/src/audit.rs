//! The audit log: append-only (the database refuses updates and deletes of its rows).

use sqlx::{AnyConnection, FromRow};

use crate::Result;

/// One change, as recorded.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: String,
    pub at: String,
    pub user_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub recorded_at: Option<String>,
}

/// A change to record.
pub struct NewAudit<'a> {
    pub user_id: Option<&'a str>,
    pub actor: &'a str,
    pub action: &'a str,
    pub record_type: &'a str,
    pub record_id: &'a str,
    pub unit_id: Option<&'a str>,
    pub before: Option<&'a serde_json::Value>,
    pub after: Option<&'a serde_json::Value>,
    /// When the phone recorded the change, for records made offline.
    pub recorded_at: Option<&'a str>,
}

pub async fn insert(conn: &mut AnyConnection, a: &NewAudit<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, user_id, actor, action, record_type, record_id, unit_id, \
         before_json, after_json, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(crate::new_id())
    .bind(crate::now())
    .bind(a.user_id)
    .bind(a.actor)
    .bind(a.action)
    .bind(a.record_type)
    .bind(a.record_id)
    .bind(a.unit_id)
    .bind(a.before.map(|v| v.to_string()))
    .bind(a.after.map(|v| v.to_string()))
    .bind(a.recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters for reading the log; every field narrows the result.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Only entries about these units (already expanded to the reader's scope).
    pub unit_ids: Option<Vec<String>>,
    pub user_id: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// Inclusive lower bound, storage time text.
    pub from: Option<String>,
    /// Exclusive upper bound, storage time text.
    pub until: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut AnyConnection, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    let mut sql = String::from(
        "SELECT a.id, a.at, a.user_id, a.actor, a.action, a.record_type, a.record_id, a.unit_id, \
         u.full_name AS unit_name, a.before_json, a.after_json, a.recorded_at \
         FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id WHERE 1 = 1",
    );
    let mut binds: Vec<String> = Vec::new();
    let mut push = |sql: &mut String, cond: &str, value: String| {
        binds.push(value);
        sql.push_str(&cond.replace("?", &format!("${}", binds.len())));
    };
    if let Some(u) = &f.user_id {
        push(&mut sql, " AND a.user_id = ?", u.clone());
    }
    if let Some(t) = &f.record_type {
        push(&mut sql, " AND a.record_type = ?", t.clone());
    }
    if let Some(r) = &f.record_id {
        push(&mut sql, " AND a.record_id = ?", r.clone());
    }
    if let Some(from) = &f.from {
        push(&mut sql, " AND a.at >= ?", from.clone());
    }
    if let Some(until) = &f.until {
        push(&mut sql, " AND a.at < ?", until.clone());
    }
    if let Some(ids) = &f.unit_ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let start = binds.len() + 1;
        sql.push_str(&format!(
            " AND a.unit_id IN ({})",
            crate::placeholders(start, ids.len())
        ));
        binds.extend(ids.iter().cloned());
    }
    sql.push_str(&format!(
        " ORDER BY a.id DESC LIMIT {} OFFSET {}",
        f.limit.clamp(1, 1000),
        f.offset.max(0)
    ));
    let mut q = sqlx::query_as::<_, AuditRow>(&sql);
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(conn).await?)
}

//! Reading the audit log, scoped to what the reader may see: administrators see everything,
//! area officers what happened in their units, everyone else their own changes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use xaso_domain::auth::Role;
use xaso_domain::time;
use xaso_storage::audit::{self, AuditFilter};
use xaso_storage::{units, users, Store, Tx};

use crate::{authz, Actor, Error, Result};

/// A change to record, in the same transaction as the change itself.
pub struct Change<'a> {
    /// create, update, delete, import
    pub action: &'a str,
    pub record_type: &'a str,
    pub record_id: &'a str,
    pub unit_id: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes one audit entry for `actor`. For a record made offline, the entry keeps the time the
/// phone recorded it, and the first entry of the change writes the record's receipt: a record
/// already received fails with [`Error::AlreadyReceived`] and the caller's transaction rolls
/// back, so nothing is stored twice.
pub async fn record(tx: &mut Tx, actor: &Actor, c: Change<'_>) -> Result<()> {
    if let Some(o) = actor.offline.as_ref().filter(|o| o.take_receipt()) {
        let (record_type, record_id) = o.names(c.record_type, c.record_id);
        let written = xaso_storage::field::insert(
            tx.conn(),
            &xaso_storage::field::ReceiptRow {
                key: o.key.clone(),
                user_id: actor.user_id.clone(),
                username: actor.username.clone(),
                kind: o.kind.clone(),
                record_type: record_type.to_string(),
                record_id: record_id.to_string(),
                recorded_at: o.recorded_at.clone(),
                received_at: xaso_storage::now(),
            },
        )
        .await?;
        if !written {
            return Err(Error::AlreadyReceived);
        }
    }
    audit::insert(
        tx.conn(),
        &audit::NewAudit {
            user_id: actor.user_id.as_deref(),
            actor: &actor.username,
            action: c.action,
            record_type: c.record_type,
            record_id: c.record_id,
            unit_id: c.unit_id,
            before: c.before.as_ref(),
            after: c.after.as_ref(),
            recorded_at: actor.offline.as_ref().map(|o| o.recorded_at.as_str()),
        },
    )
    .await?;
    Ok(())
}

/// What the reader asked for.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Unit code (with `as_of`, to pick the right unit); includes what lies under it.
    pub unit: Option<String>,
    pub as_of: Option<NaiveDate>,
    pub username: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub unit_name: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// When a phone recorded the change offline (the entry's `at` is when it arrived).
    pub recorded_at: Option<DateTime<Utc>>,
}

pub const PAGE_SIZE: i64 = 50;

/// The last page anyone can ask for (5 million entries in): beyond it the offset would not
/// fit, and nothing is there.
pub const MAX_PAGE: i64 = 100_000;

pub async fn list(store: &Store, actor: Option<&Actor>, q: &AuditQuery) -> Result<Vec<Entry>> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let mut f = AuditFilter {
        record_type: q.record_type.clone().filter(|s| !s.is_empty()),
        record_id: q.record_id.clone().filter(|s| !s.is_empty()),
        limit: PAGE_SIZE,
        offset: q.page.clamp(0, MAX_PAGE) * PAGE_SIZE,
        ..Default::default()
    };
    let vn_midnight = |d: NaiveDate| {
        let local = d.and_hms_opt(0, 0, 0).expect("midnight");
        let utc = local - chrono::Duration::hours(7);
        time::to_storage(DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc))
    };
    f.from = q.from.map(vn_midnight);
    f.until = q.to.and_then(|d| d.succ_opt()).map(vn_midnight);

    // Scope: what this reader may see.
    let reader_scope = if actor.is_admin() || actor.has_role(Role::AreaOfficer) {
        authz::covered_ids(store, actor, &[Role::AreaOfficer]).await?
    } else {
        f.user_id = actor.user_id.clone();
        None
    };
    let mut conn = store.read().await?;
    if let Some(name) = q.username.as_deref().filter(|s| !s.trim().is_empty()) {
        match users::by_username(&mut conn, &name.trim().to_lowercase()).await? {
            Some(u) => {
                if f.user_id.as_ref().is_some_and(|own| own != &u.id) {
                    return Ok(Vec::new());
                }
                f.user_id = Some(u.id);
            }
            None => return Ok(Vec::new()),
        }
    }
    let wanted = match q.unit.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(code) => {
            let day = q.as_of.unwrap_or_else(time::today_vn);
            match units::by_code(&mut conn, code.trim(), day).await? {
                Some(u) => Some(units::subtree_ids(&mut conn, &u.id).await?),
                None => return Ok(Vec::new()),
            }
        }
        None => None,
    };
    f.unit_ids = match (reader_scope, wanted) {
        (None, w) => w,
        (Some(scope), None) => Some(scope),
        (Some(scope), Some(w)) => Some(w.into_iter().filter(|id| scope.contains(id)).collect()),
    };
    let rows = audit::list(&mut conn, &f).await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            at: time::from_storage(&r.at).unwrap_or_default(),
            id: r.id,
            actor: r.actor,
            action: r.action,
            record_type: r.record_type,
            record_id: r.record_id,
            unit_name: r.unit_name,
            before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
            after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            recorded_at: r.recorded_at.as_deref().and_then(time::from_storage),
        })
        .collect())
}

//! The audit log in the JSON API.

use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::AuditParams;
use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    /// create, update, delete, import
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub unit_name: Option<String>,
    /// The record before the change (none for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change (none for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// For a change recorded offline on a phone: when the phone recorded it (`at` is when it
    /// reached the server).
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryOut>,
    pub page: i64,
}

/// The audit log, newest first, 50 a page. Administrators see everything, area officers
/// their units, everyone else their own changes.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, description = "A date or the page out of range"),
        (status = 401, description = "Not signed in")))]
pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, PageError> {
    let q = p.to_query(true)?;
    let entries = xaso_core::audit::list(&state.store, ctx.actor.as_ref(), &q)
        .await
        .map_err(PageError::api)?;
    Ok(Json(AuditPage {
        page: q.page,
        entries: entries
            .into_iter()
            .map(|e| AuditEntryOut {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                record_type: e.record_type,
                record_id: e.record_id,
                unit_name: e.unit_name,
                before: e.before,
                after: e.after,
                recorded_at: e.recorded_at,
            })
            .collect(),
    }))
}

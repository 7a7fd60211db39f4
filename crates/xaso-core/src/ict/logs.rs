//! An asset's fault and maintenance log, the quick "move it / hand it over" action, and the
//! citizens' reports linked to an asset.

use serde_json::json;
use xaso_domain::ict::logs::{LogInput, LogKind};
use xaso_storage::ict::logs::{self as db, LinkedCase, LogRow};

use super::{get, invalid, snapshot, today, Asset};
use crate::{Actor, Result};

/// One entry of an asset's log as pages show it.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub row: LogRow,
    pub kind: LogKind,
}

/// Writes an entry in an asset's log (its keepers only) and, when the entry says so, changes
/// the asset's status in the same transaction. Both are audited. Returns the asset as it is now.
pub async fn add(
    store: &xaso_storage::Store,
    actor: Option<&Actor>,
    asset_id: &str,
    input: &LogInput,
) -> Result<Asset> {
    let current = get(store, actor, asset_id).await?;
    let actor = actor.expect("get checked the actor");
    let log = input.check(today()).map_err(invalid)?;
    let now = xaso_storage::now();
    let row = LogRow {
        id: xaso_storage::new_id(),
        asset_id: current.row.id.clone(),
        kind: log.kind.as_str().to_string(),
        on_day: log.on_day.to_string(),
        text: log.text.clone(),
        cost_vnd: log.cost_vnd,
        created_by: actor.username.clone(),
        created_at: now.clone(),
    };
    let mut tx = store.begin().await?;
    db::insert(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "ict_log",
            record_id: &row.id,
            unit_id: Some(&current.row.unit_id),
            before: None,
            after: Some(json!({
                "asset_id": row.asset_id, "kind": row.kind, "on_day": row.on_day,
                "text": row.text, "cost_vnd": row.cost_vnd,
            })),
        },
    )
    .await?;
    let mut after = current.row.clone();
    if let Some(status) = log.status.filter(|s| *s != current.status()) {
        after.status = status.as_str().to_string();
        after.updated_by = actor.username.clone();
        after.updated_at = now;
        xaso_storage::ict::save_asset(tx.conn(), &after).await?;
        crate::audit::record(
            &mut tx,
            actor,
            crate::audit::Change {
                action: "update",
                record_type: "ict_asset",
                record_id: &after.id,
                unit_id: Some(&after.unit_id),
                before: Some(snapshot(&current.row)),
                after: Some(snapshot(&after)),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Asset {
        row: after,
        ..current
    })
}

/// An asset's log, newest first (the caller has read the asset with [`get`]).
pub async fn of(store: &xaso_storage::Store, asset: &Asset) -> Result<Vec<LogEntry>> {
    let mut conn = store.read().await?;
    Ok(db::of_asset(&mut conn, &asset.row.id)
        .await?
        .into_iter()
        .filter_map(|row| {
            let kind = LogKind::parse(&row.kind)?;
            Some(LogEntry { row, kind })
        })
        .collect())
}

/// The citizens' reports about an asset, newest first (the caller has read the asset).
pub async fn cases(store: &xaso_storage::Store, asset: &Asset) -> Result<Vec<LinkedCase>> {
    let mut conn = store.read().await?;
    Ok(db::cases_of(&mut conn, &asset.row.id).await?)
}

/// Where an asset goes and who keeps it, as the quick action on its page asks.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MoveInput {
    #[serde(default)]
    pub place_id: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub custodian: String,
}

/// Moves an asset or hands it to someone: only its place, location and custodian change, with
/// the same checks and audit as a full edit.
pub async fn relocate(
    store: &xaso_storage::Store,
    actor: Option<&Actor>,
    asset_id: &str,
    input: &MoveInput,
) -> Result<Asset> {
    let current = get(store, actor, asset_id).await?;
    let mut whole = current.input();
    whole.place_id = input.place_id.clone();
    whole.location = input.location.clone();
    whole.custodian = input.custodian.clone();
    super::update(store, actor, asset_id, &whole).await
}

/// The device a citizen's report is about: (asset id, tag, name). For the case's handlers, who
/// have read the case already.
pub async fn asset_of_case(
    store: &xaso_storage::Store,
    case_id: &str,
) -> Result<Option<(String, String, String)>> {
    let mut conn = store.read().await?;
    Ok(db::asset_of_case(&mut conn, case_id).await?)
}

//! Correcting a plot's field log: an entry recorded by mistake (the wrong plot, a harvest typed
//! twice) is removed by whoever may log on the plot. A harvest's kilograms leave its planting's
//! sum, so the season statistics follow; an observation's photo goes from the file store. The
//! audit log keeps the entry as it was.

use serde_json::json;
use xaso_storage::agri::farming as db;
use xaso_storage::{Files, Store};

use super::usable;
use crate::{Actor, Error, Result};

/// Removes field-log entry `log_id`; returns its plot's id.
pub async fn remove_log(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    log_id: &str,
) -> Result<String> {
    let log = {
        let mut conn = store.read().await?;
        db::log(&mut conn, log_id).await?.ok_or(Error::NotFound)?
    };
    let plot = usable(store, actor, &log.plot_id).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let mut tx = store.begin().await?;
    if !db::delete_log(tx.conn(), &log.id).await? {
        return Err(Error::NotFound);
    }
    if let (Some(p), Some(kg), "harvest") = (&log.planting_id, log.quantity_kg, log.kind.as_str()) {
        db::remove_harvest(tx.conn(), p, kg).await?;
    }
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "delete",
            record_type: "agri_log",
            record_id: &log.id,
            unit_id: Some(&plot.unit_id),
            before: Some(json!({"plot": log.plot_id, "planting": log.planting_id,
                "kind": log.kind, "done_on": log.done_on, "product": log.product,
                "phi_days": log.phi_days, "pest": log.pest, "quantity_kg": log.quantity_kg,
                "warning": log.warning, "recorded_by": log.recorded_by})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    if let Some(key) = &log.photo_key {
        // The entry is gone; a photo left behind is only wasted space, so a failure is logged.
        if let Err(e) = files.delete(key).await {
            tracing::warn!(key, error = %e, "a removed log entry's photo was not deleted");
        }
    }
    tracing::info!(log = %log.id, plot = %plot.id, by = %a.username, "field-log entry removed");
    Ok(plot.id)
}

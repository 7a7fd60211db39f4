//! Alerts beyond the devices: every message goes to the installation's notification webhook
//! (signed JSON, through the job queue), and each relay is recorded for the alert's dashboard.
//! The commune portal's announcement (and through it the commune's Zalo OA) is recorded here
//! too, by [`record`], when the web layer has published it.

use serde_json::{json, Value};
use xaso_storage::alerts::{self as db, AlertRow, RelayRow};
use xaso_storage::Store;

use crate::feedback::senders::Webhook;
use crate::queue::{Handler, Outcome, Running};
use crate::Result;
use xaso_storage::Tx;

/// Posts one alert message to the notification webhook.
pub const JOB_ALERT_WEBHOOK: &str = "alerts.webhook";

/// The channels an alert is relayed by.
pub const WEBHOOK: &str = "webhook";
pub const PORTAL: &str = "portal";

/// Queues a message for the webhook, in the transaction that keeps it.
pub(crate) async fn queue(tx: &mut Tx, row: &AlertRow, base: &str) -> Result<()> {
    crate::queue::enqueue(
        tx,
        JOB_ALERT_WEBHOOK,
        &json!({"alert": row.id, "base": base}),
        crate::queue::DEFAULT_ATTEMPTS,
    )
    .await?;
    add(tx, &row.id, WEBHOOK, "queued", "").await
}

async fn add(tx: &mut Tx, alert: &str, channel: &str, status: &str, detail: &str) -> Result<()> {
    db::add_relay(
        tx.conn(),
        &RelayRow {
            id: xaso_storage::new_id(),
            alert_id: alert.into(),
            channel: channel.into(),
            status: status.into(),
            detail: detail.chars().take(500).collect(),
            at: xaso_storage::now(),
        },
    )
    .await?;
    Ok(())
}

/// Records a relay's outcome (`detail`: the portal post's id, or why it failed or was skipped).
pub async fn record(
    store: &Store,
    alert: &str,
    channel: &str,
    status: &str,
    detail: &str,
) -> Result<()> {
    let mut tx = store.begin().await?;
    add(&mut tx, alert, channel, status, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// The relays of a thread's messages, oldest first.
pub async fn of(store: &Store, alert_ids: &[String]) -> Result<Vec<RelayRow>> {
    let mut conn = store.read().await?;
    Ok(db::relays(&mut conn, alert_ids).await?)
}

/// The webhook's event name for a message.
pub fn event_name(row: &AlertRow) -> &'static str {
    match row.msg_type.as_str() {
        "Update" => "alert.updated",
        "Cancel" => "alert.cancelled",
        _ => "alert.issued",
    }
}

/// The JSON the webhook gets: the message's CAP fields in plain JSON with the address of the
/// CAP document itself, for systems that relay it (no one's private data is in an alert).
pub fn webhook_body(row: &AlertRow, base: &str) -> Value {
    let base = base.trim_end_matches('/');
    let first = row.first_id.as_deref().unwrap_or(&row.id);
    json!({
        "event": event_name(row),
        "id": row.id,
        "first": first,
        "identifier": row.identifier,
        "msg_type": row.msg_type,
        "status": row.status,
        "hazard": row.hazard,
        "urgency": row.urgency,
        "severity": row.severity,
        "certainty": row.certainty,
        "headline": row.headline,
        "description": row.description,
        "instruction": row.instruction,
        "area": row.area_desc,
        "sent": xaso_domain::time::from_storage(&row.sent_at),
        "expires": xaso_domain::time::from_storage(&row.expires_at),
        "cap_url": format!("{base}/cap/{}.xml", row.id),
        "url": format!("{base}/alerts/{first}"),
    })
}

/// Runs [`JOB_ALERT_WEBHOOK`]. Without a webhook configured the message is recorded as skipped.
pub struct AlertWebhookJob {
    pub store: Store,
    pub webhook: Option<Webhook>,
}

impl AlertWebhookJob {
    async fn run_one(&self, job: &Running) -> std::result::Result<(), String> {
        let id = job.payload["alert"].as_str().unwrap_or_default();
        let base = job.payload["base"].as_str().unwrap_or_default();
        let Ok(row) = super::message(&self.store, id).await else {
            return Ok(());
        };
        let Some(webhook) = &self.webhook else {
            let _ = record(
                &self.store,
                id,
                WEBHOOK,
                "skipped",
                "no webhook is configured (XASO_WEBHOOK_URL)",
            )
            .await;
            return Ok(());
        };
        let body = webhook_body(&row, base).to_string().into_bytes();
        match webhook.post(event_name(&row), body).await {
            Ok(()) => record(&self.store, id, WEBHOOK, "sent", "")
                .await
                .map_err(|e| e.to_string()),
            Err(why) => {
                let _ = record(&self.store, id, WEBHOOK, "failed", &why).await;
                Err(why)
            }
        }
    }
}

impl Handler for AlertWebhookJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.run_one(job))
    }
}

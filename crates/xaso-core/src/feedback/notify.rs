//! Telling people about a case: the reporter when its status changes (e-mail, Zalo), and staff
//! or other systems through a webhook when a case arrives, is reopened or runs late. Every
//! message is a job in the background queue, written with the change, so a channel that is down
//! is tried again on the queue's schedule.
//!
//! A job names the case, the event and the channel; the recipient is read from the case when
//! the job runs, so contacts are not copied into the queue.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use xaso_domain::feedback::Status;
use xaso_storage::feedback::{self as db, CaseRow};
use xaso_storage::{Store, Tx};

use super::JOB_NOTIFY;
use crate::queue::{Handler, Outcome};
use crate::Result;

/// Who a change concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The reporter (and the webhook).
    Reporter,
    /// The commune's staff (through the webhook).
    Staff,
}

/// Channel names, as jobs and configuration call them.
pub const EMAIL: &str = "email";
pub const ZALO: &str = "zalo";
pub const WEBHOOK: &str = "webhook";

/// Writes the notification jobs a case event calls for, in the change's transaction.
pub async fn enqueue(
    tx: &mut Tx,
    case: &CaseRow,
    event_id: &str,
    audience: Audience,
) -> Result<()> {
    let mut channels = vec![WEBHOOK];
    if audience == Audience::Reporter {
        if !case.reporter_email.is_empty() {
            channels.push(EMAIL);
        }
        if !case.reporter_zalo.is_empty() {
            channels.push(ZALO);
        }
    }
    for ch in channels {
        crate::queue::enqueue(
            tx,
            JOB_NOTIFY,
            &json!({"case": case.id, "event": event_id, "channel": ch,
                    "audience": if audience == Audience::Staff { "staff" } else { "reporter" }}),
            crate::queue::DEFAULT_ATTEMPTS,
        )
        .await?;
    }
    Ok(())
}

/// One notice, in Vietnamese, as every channel sends it.
#[derive(Debug, Clone)]
pub struct Notice {
    /// "case.received", "case.status", "case.note", "case.reopened", "case.overdue" …
    pub event: String,
    pub number: i64,
    pub status: Status,
    pub category: String,
    pub commune: String,
    pub public_note: String,
    /// The reporter's tracking link (only in messages to the reporter).
    pub track_url: String,
    /// The staff page of the case.
    pub staff_url: String,
    pub subject: String,
    pub text: String,
    pub at: String,
}

/// Where a notice goes: the reporter's e-mail or Zalo id, or a webhook.
pub trait Sender: Send + Sync {
    /// Sends one notice to `to` (an address, an id, or empty for a webhook); `Err` is retried.
    fn send<'a>(&'a self, to: &'a str, notice: &'a Notice) -> Outcome<'a>;
}

/// Vietnamese label of a status in messages.
pub fn status_vi(s: Status) -> &'static str {
    match s {
        Status::Received => "Đã tiếp nhận",
        Status::Accepted => "Đã chuyển xử lý",
        Status::InProgress => "Đang xử lý",
        Status::Resolved => "Đã giải quyết",
        Status::Closed => "Đã đóng (không xử lý được)",
        Status::Rejected => "Không tiếp nhận",
    }
}

/// Runs [`JOB_NOTIFY`] jobs with the configured senders; a channel without a sender is skipped.
pub struct NotifyJob {
    pub store: Store,
    pub senders: HashMap<String, Arc<dyn Sender>>,
    /// The public address of the platform, for links ("https://xaso.duchoa.gov.vn").
    pub base_url: String,
}

impl NotifyJob {
    async fn notice(&self, case_id: &str, event_id: &str) -> Result<Option<(CaseRow, Notice)>> {
        let mut conn = self.store.read().await?;
        let Some(case) = db::case_by_id(&mut conn, case_id).await? else {
            return Ok(None);
        };
        let Some(event) = db::events_of(&mut conn, case_id)
            .await?
            .into_iter()
            .find(|e| e.id == event_id)
        else {
            return Ok(None);
        };
        let category = db::category(&mut conn, &case.category_id)
            .await?
            .map(|c| c.name_vi)
            .unwrap_or_default();
        let commune = xaso_storage::units::by_id(&mut conn, &case.commune_id)
            .await?
            .map(|u| u.full_name)
            .unwrap_or_default();
        let status = Status::parse(&event.to_status).unwrap_or(Status::Received);
        let kind = match event.kind.as_str() {
            "received" | "split" => "case.received",
            "status" | "merge" => "case.status",
            "reopen" => "case.reopened",
            "overdue" => "case.overdue",
            _ => "case.note",
        };
        let base = self.base_url.trim_end_matches('/');
        let track_url = format!("{base}/feedback/track/{}", case.token);
        let subject = format!("Phản ánh số {}: {}", case.number, status_vi(status));
        let mut text = format!("{subject}\n{category} — {commune}\n",);
        if !event.public_note.is_empty() {
            text.push_str(&format!("Ghi chú: {}\n", event.public_note));
        }
        if matches!(status, Status::Resolved | Status::Closed) && kind == "case.status" {
            text.push_str("Xin mời đánh giá mức độ hài lòng tại đường dẫn dưới đây.\n");
        }
        text.push_str(&format!("Theo dõi: {track_url}"));
        let notice = Notice {
            event: kind.into(),
            number: case.number,
            status,
            category,
            commune,
            public_note: event.public_note.clone(),
            track_url,
            staff_url: format!("{base}/staff/feedback/{}", case.number),
            subject,
            text,
            at: event.at.clone(),
        };
        Ok(Some((case, notice)))
    }
}

impl Handler for NotifyJob {
    fn run<'a>(&'a self, job: &'a crate::queue::Running) -> Outcome<'a> {
        let payload = &job.payload;
        Box::pin(async move {
            let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let channel = field("channel");
            let Some(sender) = self.senders.get(channel) else {
                tracing::debug!(channel, "notification channel not configured; skipped");
                return Ok(());
            };
            let Some((case, notice)) = self
                .notice(field("case"), field("event"))
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(());
            };
            let to = match channel {
                EMAIL => case.reporter_email.as_str(),
                ZALO => case.reporter_zalo.as_str(),
                _ => "",
            };
            if channel != WEBHOOK && to.is_empty() {
                return Ok(());
            }
            let mut notice = notice;
            if channel == WEBHOOK {
                // Webhooks go to other systems: no tracking link (it opens the reporter's
                // actions), and staff notices only when the job is for staff.
                notice.track_url.clear();
            }
            sender.send(to, &notice).await
        })
    }
}

//! An alert on the commune portal and its Zalo OA: an actual alert (not an exercise or a test)
//! becomes a pinned announcement of the issuing unit, published at once and sent to the OA's
//! followers; an update replaces that announcement, a cancellation withdraws it and says so.
//! The portal and the alerts are separate features: this page layer puts them together, and a
//! relay that fails never holds the alert back (it is recorded on the alert's page).

use chrono::{Duration, Utc};
use xaso_core::alerts::relay::{self, PORTAL};
use xaso_core::alerts::Alert;
use xaso_core::Actor;
use xaso_domain::portal::{PostInput, PostStatus};

use crate::AppState;

/// The portal announcement of the thread's latest relayed message, if any.
async fn current_post(state: &AppState, first: &str) -> Option<String> {
    let ids: Vec<String> = xaso_core::alerts::thread(&state.store, first)
        .await
        .ok()?
        .into_iter()
        .map(|a| a.row.id)
        .collect();
    relay::of(&state.store, &ids)
        .await
        .ok()?
        .into_iter()
        .rev()
        .find(|r| r.channel == PORTAL && r.status == "sent")
        .map(|r| r.detail)
}

fn vn(t: chrono::DateTime<Utc>) -> String {
    xaso_domain::time::format_datetime_vn(t)
}

/// The announcement for a message (`reason`: a cancellation's).
fn announcement(alert: &Alert, base: &str, reason: &str) -> PostInput {
    let row = &alert.row;
    let first = alert.first_id();
    let link = format!("{}/alerts/{first}", base.trim_end_matches('/'));
    let until = alert.expires().map(vn).unwrap_or_default();
    let (title, body, pinned, expires) = match row.msg_type.as_str() {
        "Cancel" => (
            format!("Hủy cảnh báo: {}", row.headline),
            format!(
                "Cảnh báo “{}” cho {} đã được hủy.\n\n{}\n\nChi tiết: {link}",
                row.headline, row.area_desc, reason
            ),
            false,
            Utc::now() + Duration::hours(24),
        ),
        kind => (
            if kind == "Update" {
                format!("Cập nhật cảnh báo: {}", row.headline)
            } else {
                format!("Cảnh báo khẩn cấp: {}", row.headline)
            },
            format!(
                "{}\n\n{}\n\nKhu vực: {}. Hiệu lực đến {until}.\n\nChi tiết và bản tin CAP: {link}",
                row.description, row.instruction, row.area_desc
            ),
            true,
            alert
                .expires()
                .unwrap_or_else(|| Utc::now() + Duration::hours(24)),
        ),
    };
    PostInput {
        kind: "announcement".into(),
        title: title.chars().take(200).collect(),
        summary: row.description.chars().take(280).collect(),
        body,
        pinned,
        expire_at: expires
            .with_timezone(&xaso_domain::time::vn_offset())
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        ..PostInput::default()
    }
}

/// Relays one message to the portal and the OA; `relay_new` says whether a new alert should be
/// (the issuing form's choice); updates and cancellations follow what the thread did.
pub(crate) async fn to_portal(
    state: &AppState,
    actor: Option<&Actor>,
    alert: &Alert,
    base: &str,
    relay_new: bool,
    reason: &str,
) {
    let id = &alert.row.id;
    let previous = current_post(state, alert.first_id()).await;
    if alert.row.msg_type == "Alert" && !relay_new {
        return;
    }
    if alert.row.msg_type != "Alert" && previous.is_none() {
        return;
    }
    if alert.row.status != "Actual" {
        let _ = relay::record(
            &state.store,
            id,
            PORTAL,
            "skipped",
            "an exercise or a test is not posted",
        )
        .await;
        return;
    }
    let outcome = async {
        if let Some(post) = &previous {
            xaso_core::portal::transition(&state.store, actor, post, PostStatus::Withdrawn, "")
                .await?;
        }
        let input = announcement(alert, base, reason);
        let post = xaso_core::portal::create(&state.store, actor, &alert.unit.code, &input).await?;
        xaso_core::portal::transition(&state.store, actor, &post.row.id, PostStatus::Published, "")
            .await?;
        // The OA's followers, when the unit has an OA (its own, or the installation's).
        let oa = xaso_core::portal::zalo::oa_status(&state.store, actor, &alert.unit)
            .await
            .ok()
            .flatten()
            .is_some();
        if oa || state.config.zalo.access_token.is_some() {
            xaso_core::portal::zalo::send(&state.store, actor, &post.row.id, true).await?;
        }
        Ok::<_, xaso_core::Error>(post.row.id)
    }
    .await;
    state.pages.clear();
    let _ = match outcome {
        Ok(post) => relay::record(&state.store, id, PORTAL, "sent", &post).await,
        Err(e) => {
            tracing::warn!(alert = %id, error = %e, "the alert's portal announcement failed");
            relay::record(&state.store, id, PORTAL, "failed", &e.to_string()).await
        }
    };
}

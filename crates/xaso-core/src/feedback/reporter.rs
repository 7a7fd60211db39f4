//! What the reporter does with their tracking code: ask to reopen, rate the result.

use super::*;

async fn reporter_row(store: &Store, token: &str) -> Result<CaseRow> {
    let token = clean_token(token);
    let mut conn = store.read().await?;
    db::case_by_token(&mut conn, &token)
        .await?
        .ok_or(Error::NotFound)
}

/// The reporter asks to look at a closed case again (within 30 days of its closing): it goes
/// back to "received" with a fresh deadline.
pub async fn reopen(store: &Store, token: &str, reason: &str) -> Result<Case> {
    let before = reporter_row(store, token).await?;
    let from = stored_status(&before.status);
    if from.is_open() {
        return Err(Error::Conflict("the case is still open".into()));
    }
    if before.merged_into.is_some() {
        return Err(Error::Conflict(
            "the case was merged into another; follow that one".into(),
        ));
    }
    let now = Utc::now();
    if let Some(closed) = before.resolved_at.as_deref().and_then(from_storage) {
        if now - closed > chrono::Duration::days(30) {
            return Err(Error::Conflict(
                "a case can be reopened within 30 days of its closing; please report it again"
                    .into(),
            ));
        }
    }
    let reason = note(reason, "reason")?;
    if reason.chars().count() < 5 {
        return Err(Error::invalid(
            "reason",
            "say why the case should be looked at again",
        ));
    }
    let category = {
        let mut conn = store.read().await?;
        db::category(&mut conn, &before.category_id)
            .await?
            .map(category_of)
            .ok_or(Error::NotFound)?
    };
    let stamp = to_storage(now);
    let mut row = before.clone();
    row.status = Status::Received.as_str().into();
    row.status_note = String::new();
    row.resolved_at = None;
    row.rating = None;
    row.rating_comment = String::new();
    row.overdue_noticed = 0;
    row.due_at = to_storage(dom::due_at(
        now,
        category.deadline_value,
        category.deadline_unit,
    ));
    row.updated_at = stamp.clone();
    let event = event_row(
        &row.id,
        &stamp,
        REPORTER,
        "reopen",
        Some(from),
        Status::Received,
        &reason,
        "",
    );
    let notice = Some(notify::Audience::Staff);
    let extra = json!({"reopened": true});
    record_step(store, &citizen(), &before, &row, &event, notice, extra).await?;
    tracked(store, token).await
}

/// The reporter rates how a closed case was handled (1 to 5 stars), once.
pub async fn rate(store: &Store, token: &str, stars: i64, comment: &str) -> Result<Case> {
    let before = reporter_row(store, token).await?;
    let status = stored_status(&before.status);
    if status.is_open() || status == Status::Rejected {
        return Err(Error::Conflict(
            "a case is rated once it has been resolved or closed".into(),
        ));
    }
    if before.rating.is_some() {
        return Err(Error::Conflict("this case has already been rated".into()));
    }
    if !(1..=5).contains(&stars) {
        return Err(Error::invalid("rating", "choose from 1 to 5 stars"));
    }
    let comment = note(comment, "comment")?;
    let stamp = xaso_storage::now();
    let mut row = before.clone();
    row.rating = Some(stars);
    row.rating_comment = comment.clone();
    row.updated_at = stamp.clone();
    let event = event_row(
        &row.id, &stamp, REPORTER, "rating", None, status, &comment, "",
    );
    record_step(store, &citizen(), &before, &row, &event, None, json!({})).await?;
    tracked(store, token).await
}

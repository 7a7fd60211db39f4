//! Staff moving a case along: statuses with notes, reassignment to another commune, merging
//! duplicates and splitting a report that holds two problems.

use super::*;

/// Moves a case to another status, with a note for the reporter and one for staff. Closing
/// without a fix and rejecting need a public reason.
pub async fn change_status(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    to: Status,
    public_note: &str,
    internal_note: &str,
) -> Result<Case> {
    change_status_at(store, actor, id, to, public_note, internal_note, Utc::now()).await
}

#[allow(clippy::too_many_arguments)]
pub async fn change_status_at(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    to: Status,
    public_note: &str,
    internal_note: &str,
    now: DateTime<Utc>,
) -> Result<Case> {
    let (before, actor) = load_for_staff(store, actor, id).await?;
    let from = stored_status(&before.status);
    if !from.may_become(to) {
        return Err(Error::Conflict(format!(
            "a case that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let public_note = note(public_note, "public_note")?;
    let internal_note = note(internal_note, "internal_note")?;
    if to.needs_reason() && public_note.is_empty() {
        return Err(Error::invalid(
            "public_note",
            "say why, for the reporter, when a case is closed without a fix or rejected",
        ));
    }
    let stamp = to_storage(now);
    let mut row = before.clone();
    row.status = to.as_str().into();
    if !public_note.is_empty() {
        row.status_note = public_note.clone();
    }
    row.updated_at = stamp.clone();
    if !to.is_open() {
        row.resolved_at = Some(stamp.clone());
    }
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "status",
        Some(from),
        to,
        &public_note,
        &internal_note,
    );
    let notice = Some(notify::Audience::Reporter);
    record_step(store, &actor, &before, &row, &event, notice, json!({})).await?;
    case(store, Some(&actor), &row.id).await
}

/// Adds a note without changing the status (a public one is shown on the tracking page).
pub async fn add_note(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    public_note: &str,
    internal_note: &str,
) -> Result<Case> {
    let (row, actor) = load_for_staff(store, actor, id).await?;
    let public_note = note(public_note, "public_note")?;
    let internal_note = note(internal_note, "internal_note")?;
    if public_note.is_empty() && internal_note.is_empty() {
        return Err(Error::invalid("public_note", "write a note"));
    }
    let status = stored_status(&row.status);
    let stamp = xaso_storage::now();
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "note",
        None,
        status,
        &public_note,
        &internal_note,
    );
    let notice = (!public_note.is_empty()).then_some(notify::Audience::Reporter);
    record_step(
        store,
        &actor,
        &row,
        &row,
        &event,
        notice,
        json!({"note": true}),
    )
    .await?;
    case(store, Some(&actor), &row.id).await
}

/// Hands a case to another commune (its handlers must cover both) or department/person.
pub async fn reassign(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    commune_code: &str,
    handler: &str,
    assignee: &str,
    internal_note: &str,
) -> Result<Case> {
    let (before, actor) = load_for_staff(store, actor, id).await?;
    let mut row = before.clone();
    if !commune_code.trim().is_empty() {
        let (commune, _) = places::units_for(store, commune_code.trim()).await?;
        if commune.id != row.commune_id {
            if !authz::has_role_over(store, &actor, HANDLERS, &commune.id).await? {
                return Err(Error::Forbidden);
            }
            row.commune_id = commune.id;
            row.village_id = None;
        }
    }
    row.handler = text::clean(handler);
    row.assignee = text::clean(assignee);
    let internal_note = note(internal_note, "internal_note")?;
    row.updated_at = xaso_storage::now();
    let status = stored_status(&row.status);
    let event = event_row(
        &row.id,
        &row.updated_at,
        &actor.username,
        "assign",
        None,
        status,
        "",
        &internal_note,
    );
    record_step(store, &actor, &before, &row, &event, None, json!({})).await?;
    case(store, Some(&actor), &row.id).await
}

/// Marks `id` as a duplicate of `into`: it is rejected with a note naming the case that goes
/// on, its photos join that case, and its reporter is told.
pub async fn merge(store: &Store, actor: Option<&Actor>, id: &str, into: &str) -> Result<Case> {
    let (before, actor) = load_for_staff(store, actor, id).await?;
    let (target, _) = load_for_staff(store, Some(&actor), into).await?;
    if target.id == before.id {
        return Err(Error::invalid(
            "into",
            "a case cannot be merged into itself",
        ));
    }
    if target.merged_into.is_some() {
        return Err(Error::invalid(
            "into",
            "that case was itself merged into another",
        ));
    }
    let from = stored_status(&before.status);
    if !from.is_open() {
        return Err(Error::Conflict("only an open case can be merged".into()));
    }
    let stamp = xaso_storage::now();
    let public_note = format!(
        "Trùng với phản ánh số {}; việc xử lý tiếp tục ở đó.",
        target.number
    );
    let mut row = before.clone();
    row.status = Status::Rejected.as_str().into();
    row.status_note = public_note.clone();
    row.merged_into = Some(target.id.clone());
    row.updated_at = stamp.clone();
    row.resolved_at = Some(stamp.clone());
    let mut tx = store.begin().await?;
    db::save_case(tx.conn(), &row).await?;
    for p in db::photos_of(tx.conn(), &before.id).await? {
        db::move_photo(tx.conn(), &p.id, &target.id).await?;
    }
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "merge",
        Some(from),
        Status::Rejected,
        &public_note,
        "",
    );
    db::insert_event(tx.conn(), &event).await?;
    let target_status = stored_status(&target.status);
    db::insert_event(
        tx.conn(),
        &event_row(
            &target.id,
            &stamp,
            &actor.username,
            "merged",
            None,
            target_status,
            "",
            &format!("Gộp phản ánh số {} vào đây.", before.number),
        ),
    )
    .await?;
    notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Reporter).await?;
    audit_case(
        &mut tx,
        &actor,
        "update",
        &before,
        &row,
        json!({"merged_into_number": target.number}),
    )
    .await?;
    tx.commit().await?;
    case(store, Some(&actor), &row.id).await
}

/// Splits a second problem out of a case into a new one (same place and reporter), which gets
/// its own category, deadline and tracking code. Returns the new case.
pub async fn split(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    category: &str,
    description: &str,
) -> Result<Case> {
    let (source, actor) = load_for_staff(store, actor, id).await?;
    let category = category_by_code(store, category)
        .await
        .map_err(|_| Error::invalid("category", "choose the category of the new case"))?;
    let description = text::clean(description);
    if description.chars().count() < 10 {
        return Err(Error::invalid(
            "description",
            "describe the split-off problem (10 characters at least)",
        ));
    }
    let now = Utc::now();
    let stamp = to_storage(now);
    let due = dom::due_at(now, category.deadline_value, category.deadline_unit);
    let mut tx = store.begin().await?;
    let number = db::next_number(tx.conn(), "feedback_case").await?;
    let row = CaseRow {
        id: xaso_storage::new_id(),
        number,
        token: new_token(),
        category_id: category.id.clone(),
        description,
        status: Status::Received.as_str().into(),
        status_note: String::new(),
        handler: category.handler.clone(),
        assignee: String::new(),
        due_at: to_storage(due),
        overdue_noticed: 0,
        merged_into: None,
        split_from: Some(source.id.clone()),
        rating: None,
        rating_comment: String::new(),
        created_by: actor.username.clone(),
        created_at: stamp.clone(),
        updated_at: stamp.clone(),
        resolved_at: None,
        ..source.clone()
    };
    db::save_case(tx.conn(), &row).await?;
    let event = event_row(
        &row.id,
        &stamp,
        &actor.username,
        "split",
        None,
        Status::Received,
        &format!("Tách từ phản ánh số {}.", source.number),
        "",
    );
    db::insert_event(tx.conn(), &event).await?;
    notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Reporter).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "feedback_case",
            record_id: &row.id,
            unit_id: Some(&row.commune_id),
            before: None,
            after: Some(
                json!({"number": number, "category": category.code, "split_from": source.number}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    case(store, Some(&actor), &row.id).await
}

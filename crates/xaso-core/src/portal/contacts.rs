//! A unit's contact directory on its portal: leaders and offices with their role, official
//! phone and e-mail, and hours. Public (these are official contacts, published on purpose);
//! written by the unit's editors, every change audited.

use serde_json::json;
use xaso_domain::portal::ContactInput;
use xaso_domain::units::Unit;
use xaso_storage::portal::{self as db, ContactRow};
use xaso_storage::Store;

use super::{invalid, unit, EDITORS};
use crate::{authz, Actor, Error, Result};

/// A unit's contacts in their order. Public.
pub async fn list(store: &Store, code: &str) -> Result<(Unit, Vec<ContactRow>)> {
    let unit = unit(store, code).await?;
    let mut conn = store.read().await?;
    let rows = db::contacts(&mut conn, &unit.id).await?;
    Ok((unit, rows))
}

fn snapshot(c: &ContactRow) -> serde_json::Value {
    json!({"name": c.name, "role": c.role, "phone": c.phone, "email": c.email,
           "hours": c.hours, "position": c.position})
}

/// Adds a contact (`id` empty) or changes one of the unit's. Its editors only.
pub async fn save(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    id: &str,
    input: &ContactInput,
) -> Result<ContactRow> {
    actor.ok_or(Error::Unauthenticated)?;
    let unit = unit(store, code).await?;
    let actor = authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let c = input.check().map_err(invalid)?;
    let existing = {
        let mut conn = store.read().await?;
        db::contacts(&mut conn, &unit.id).await?
    };
    let before = match id.trim() {
        "" => None,
        id => Some(
            existing
                .iter()
                .find(|r| r.id == id)
                .cloned()
                .ok_or(Error::NotFound)?,
        ),
    };
    let next = existing.iter().map(|r| r.position).max().unwrap_or(0) + 10;
    let row = ContactRow {
        id: before
            .as_ref()
            .map(|b| b.id.clone())
            .unwrap_or_else(xaso_storage::new_id),
        unit_id: unit.id.clone(),
        position: c
            .position
            .or(before.as_ref().map(|b| b.position))
            .unwrap_or(next),
        name: c.name,
        role: c.role,
        phone: c.phone,
        email: c.email,
        hours: c.hours,
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::save_contact(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "portal_contact",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: before.as_ref().map(snapshot),
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Removes one of the unit's contacts. Its editors only.
pub async fn remove(store: &Store, actor: Option<&Actor>, code: &str, id: &str) -> Result<()> {
    actor.ok_or(Error::Unauthenticated)?;
    let unit = unit(store, code).await?;
    let actor = authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let before = {
        let mut conn = store.read().await?;
        db::contacts(&mut conn, &unit.id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(Error::NotFound)?
    };
    let mut tx = store.begin().await?;
    db::delete_contact(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "portal_contact",
            record_id: id,
            unit_id: Some(&unit.id),
            before: Some(snapshot(&before)),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

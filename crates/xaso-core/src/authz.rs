//! Authorisation decisions. A role on a unit covers that unit, everything under it, and a unit
//! formed after a reform wholly out of covered units: the area officer of the old Đức Hòa
//! district still covers the seven communes that replaced it, but the officer of one old
//! commune does not cover the larger commune it was merged into.

use std::collections::HashMap;

use xaso_domain::auth::Role;
use xaso_storage::Conn as AnyConnection;
use xaso_storage::{units, Store};

use crate::{Actor, Error, Result};

/// Whether `scope` covers `target` (ids of units).
pub async fn covers(conn: &mut AnyConnection, scope: &str, target: &str) -> Result<bool> {
    let mut memo = HashMap::new();
    covered(conn, scope, target, &mut memo, 0).await
}

fn covered<'a>(
    conn: &'a mut AnyConnection,
    scope: &'a str,
    target: &'a str,
    memo: &'a mut HashMap<String, bool>,
    depth: u32,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool>> + Send + 'a>> {
    Box::pin(async move {
        if target == scope {
            return Ok(true);
        }
        if let Some(known) = memo.get(target) {
            return Ok(*known);
        }
        if depth > 12 {
            return Ok(false);
        }
        let mut result = false;
        if let Some(parent) = units::parent_id(conn, target).await? {
            result = covered(conn, scope, &parent, memo, depth + 1).await?;
        }
        if !result {
            let preds = units::predecessor_ids(conn, target).await?;
            if !preds.is_empty() {
                result = true;
                for p in &preds {
                    if !covered(conn, scope, p, memo, depth + 1).await? {
                        result = false;
                        break;
                    }
                }
            }
        }
        memo.insert(target.to_string(), result);
        Ok(result)
    })
}

/// Whether the actor holds one of `roles` on a unit covering `unit_id` (the administrator
/// always does).
pub async fn has_role_over(
    store: &Store,
    actor: &Actor,
    roles: &[Role],
    unit_id: &str,
) -> Result<bool> {
    if actor.is_admin() {
        return Ok(true);
    }
    let mut conn = store.read().await?;
    for a in &actor.assignments {
        if !roles.contains(&a.role) {
            continue;
        }
        if let Some(scope) = &a.unit_id {
            if covers(&mut conn, scope, unit_id).await? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether the actor keeps province-wide data (catalogues, kinds, templates): the
/// administrator, or an area officer of a province.
pub async fn is_province_wide(store: &Store, actor: Option<&Actor>) -> Result<bool> {
    let Some(actor) = actor else {
        return Ok(false);
    };
    if actor.is_admin() {
        return Ok(true);
    }
    let mut conn = store.read().await?;
    for a in &actor.assignments {
        if a.role != Role::AreaOfficer {
            continue;
        }
        if let Some(id) = &a.unit_id {
            if xaso_storage::units::by_id(&mut conn, id)
                .await?
                .is_some_and(|u| u.level == xaso_domain::units::Level::Province)
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Refuses with 401 when nobody is signed in and 403 when the actor lacks the role.
pub async fn require_role_over(
    store: &Store,
    actor: Option<&Actor>,
    roles: &[Role],
    unit_id: &str,
) -> Result<Actor> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if has_role_over(store, actor, roles, unit_id).await? {
        Ok(actor.clone())
    } else {
        tracing::info!(user = %actor.username, unit = %unit_id, "refused: unit outside the account's scope");
        Err(Error::Forbidden)
    }
}

/// Every unit id the actor's roles (among `roles`) cover, for filtering lists. `None` means
/// everything (administrator).
pub async fn covered_ids(
    store: &Store,
    actor: &Actor,
    roles: &[Role],
) -> Result<Option<Vec<String>>> {
    if actor.is_admin() {
        return Ok(None);
    }
    let mut conn = store.read().await?;
    let mut set: std::collections::BTreeSet<String> = Default::default();
    for a in &actor.assignments {
        if !roles.contains(&a.role) {
            continue;
        }
        if let Some(scope) = &a.unit_id {
            set.extend(units::subtree_ids(&mut conn, scope).await?);
        }
    }
    // Add units formed wholly from covered units, and what lies under them, until nothing changes.
    let links = units::all_links(&mut conn).await?;
    let mut preds: HashMap<&str, Vec<&str>> = HashMap::new();
    for (old, new) in &links {
        preds.entry(new.as_str()).or_default().push(old.as_str());
    }
    loop {
        let added: Vec<String> = preds
            .iter()
            .filter(|(new, olds)| !set.contains(**new) && olds.iter().all(|o| set.contains(*o)))
            .map(|(new, _)| new.to_string())
            .collect();
        if added.is_empty() {
            break;
        }
        for id in added {
            set.extend(units::subtree_ids(&mut conn, &id).await?);
        }
    }
    Ok(Some(set.into_iter().collect()))
}

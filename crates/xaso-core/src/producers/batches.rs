//! A product's batches (lots): added by its producer, their status (on sale, recalled,
//! withdrawn) set by the producer or the commune, their origin plot, and the lookups the stamp
//! pages and GS1 Digital Link resolver use.

use super::*;

/// A batch (lô) of a product.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: String,
    pub product_id: String,
    pub lot: String,
    pub produced_on: chrono::NaiveDate,
    pub quantity: Option<f64>,
    pub quantity_unit: String,
    pub expires_on: Option<chrono::NaiveDate>,
    pub note: String,
    pub status: BatchStatus,
    pub recall_reason: String,
    pub released_at: Option<String>,
    pub recalled_at: Option<String>,
    /// The plot or place the batch came from.
    pub origin_place_id: Option<String>,
}

fn to_batch(r: BatchRow) -> Batch {
    let date = |s: &str| xaso_domain::time::parse_date(s);
    Batch {
        produced_on: date(&r.produced_on).unwrap_or_default(),
        expires_on: r.expires_on.as_deref().and_then(date),
        status: BatchStatus::parse(&r.status).unwrap_or(BatchStatus::Draft),
        id: r.id,
        product_id: r.product_id,
        lot: r.lot,
        quantity: r.quantity,
        quantity_unit: r.quantity_unit,
        note: r.note,
        recall_reason: r.recall_reason,
        released_at: r.released_at,
        recalled_at: r.recalled_at,
        origin_place_id: r.origin_place_id,
    }
}

fn batch_snapshot(b: &BatchRow) -> serde_json::Value {
    json!({"lot": b.lot, "produced_on": b.produced_on, "quantity": b.quantity, "unit": b.quantity_unit,
        "expires_on": b.expires_on, "status": b.status, "recall_reason": b.recall_reason,
        "origin_place": b.origin_place_id})
}

/// The batches of a product the actor may see: released and recalled ones for everyone (a
/// recall must reach buyers), drafts for the producer and the commune.
pub async fn batches(store: &Store, actor: Option<&Actor>, product_id: &str) -> Result<Vec<Batch>> {
    let (_, _, rights) = product(store, actor, product_id).await?;
    let mut conn = store.read().await?;
    Ok(db::batches_of(&mut conn, product_id)
        .await?
        .into_iter()
        .map(to_batch)
        .filter(|b| rights.write || b.status != BatchStatus::Draft)
        .collect())
}

/// One batch with its product and producer, for whoever may see them.
pub async fn batch(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(Batch, Product, Producer, Rights)> {
    let row = {
        let mut conn = store.read().await?;
        db::batch(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let (product, producer, rights) = product(store, actor, &row.product_id).await?;
    let b = to_batch(row);
    if b.status == BatchStatus::Draft && !rights.write {
        return Err(Error::NotFound);
    }
    Ok((b, product, producer, rights))
}

/// Adds a batch to a product (the producer or the commune). Lot codes are unique per product.
pub async fn add_batch(
    store: &Store,
    actor: Option<&Actor>,
    product_id: &str,
    input: &BatchInput,
) -> Result<Batch> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let (_, producer, rights) = product(store, actor, product_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let b = input.check().map_err(problems)?;
    {
        let mut conn = store.read().await?;
        if db::batch_by_lot(&mut conn, product_id, &b.lot)
            .await?
            .is_some()
        {
            return Err(Error::invalid(
                "lot",
                "this lot code is already used for this product",
            ));
        }
    }
    let origin = match input.origin.trim() {
        "" => producer.place_id.clone(),
        code => Some(
            place_by_address(store, &producer.commune, code, "origin")
                .await?
                .id,
        ),
    };
    let now = xaso_storage::now();
    let row = BatchRow {
        id: xaso_storage::new_id(),
        product_id: product_id.into(),
        lot: b.lot,
        produced_on: b.produced_on.to_string(),
        quantity: b.quantity,
        quantity_unit: b.quantity_unit,
        expires_on: b.expires_on.map(|d| d.to_string()),
        origin_place_id: origin,
        note: b.note,
        status: BatchStatus::Draft.as_str().into(),
        recall_reason: String::new(),
        released_at: None,
        recalled_at: None,
        created_by: actor_ref.username.clone(),
        created_at: now.clone(),
        updated_by: actor_ref.username.clone(),
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    db::save_batch(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: "create",
            record_type: "batch",
            record_id: &row.id,
            unit_id: Some(&producer.commune.id),
            before: None,
            after: Some(batch_snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to_batch(row))
}

/// Releases a draft batch to the market (its stamps start working) once the producer is
/// approved; or recalls a released batch, with a reason every stamp of it will show. The
/// producer and the commune may recall; a recall is final.
pub async fn set_batch_status(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    next: BatchStatus,
    reason: &str,
) -> Result<Batch> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let before = {
        let mut conn = store.read().await?;
        db::batch(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let (_, producer, rights) = product(store, actor, &before.product_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let current = BatchStatus::parse(&before.status).unwrap_or(BatchStatus::Draft);
    let reason = text::clean(reason);
    let now = xaso_storage::now();
    let row = match (current, next) {
        (BatchStatus::Draft, BatchStatus::Released) => {
            if producer.status != ProducerStatus::Approved {
                return Err(Error::Conflict(
                    "only an approved producer releases batches".into(),
                ));
            }
            BatchRow {
                status: next.as_str().into(),
                released_at: Some(now.clone()),
                ..before.clone()
            }
        }
        (BatchStatus::Released, BatchStatus::Recalled) => {
            if reason.is_empty() {
                return Err(Error::invalid(
                    "reason",
                    "say why: buyers read the reason on every stamp",
                ));
            }
            if reason.chars().count() > 500 {
                return Err(Error::invalid(
                    "reason",
                    "the reason is too long (500 characters at most)",
                ));
            }
            BatchRow {
                status: next.as_str().into(),
                recall_reason: reason,
                recalled_at: Some(now.clone()),
                ..before.clone()
            }
        }
        _ => {
            return Err(Error::Conflict(format!(
                "a {} batch cannot become {}",
                current.as_str(),
                next.as_str()
            )))
        }
    };
    let row = BatchRow {
        updated_by: actor_ref.username.clone(),
        updated_at: now,
        ..row
    };
    let mut tx = store.begin().await?;
    db::save_batch(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: "update",
            record_type: "batch",
            record_id: id,
            unit_id: Some(&producer.commune.id),
            before: Some(batch_snapshot(&before)),
            after: Some(batch_snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to_batch(row))
}

/// A batch with its product and producer, whatever their state, for pages that must show a
/// problem rather than hide it (a scanned stamp of a recalled batch or a suspended producer).
pub async fn load_batch(store: &Store, batch_id: &str) -> Result<(Batch, Product, Producer)> {
    let (b, p) = {
        let mut conn = store.read().await?;
        let b = db::batch(&mut conn, batch_id)
            .await?
            .ok_or(Error::NotFound)?;
        let p = db::product(&mut conn, &b.product_id)
            .await?
            .ok_or(Error::NotFound)?;
        (b, p)
    };
    let producer = {
        let mut conn = store.read().await?;
        db::producer(&mut conn, &p.producer_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    Ok((
        to_batch(b),
        to_product(p),
        to_producer(store, producer, false).await?,
    ))
}

/// A product's batch by its lot code, if the public may see it (released or recalled).
pub async fn batch_by_lot(store: &Store, product_id: &str, lot: &str) -> Result<Option<Batch>> {
    let mut conn = store.read().await?;
    Ok(db::batch_by_lot(&mut conn, product_id, lot)
        .await?
        .map(to_batch)
        .filter(|b| b.status != BatchStatus::Draft))
}

/// Sets (or clears, with an empty address) the place a batch came from: a registered place
/// anywhere, its short code read near the producer's commune. Its stamps show it at once.
pub async fn set_batch_origin(
    store: &Store,
    actor: Option<&Actor>,
    batch_id: &str,
    address: &str,
) -> Result<Batch> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let (_, _, producer, rights) = batch(store, actor, batch_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let origin = match address.trim() {
        "" => None,
        a => Some(
            place_by_address(store, &producer.commune, a, "origin")
                .await?
                .id,
        ),
    };
    let mut tx = store.begin().await?;
    let before = db::batch(tx.conn(), batch_id)
        .await?
        .ok_or(Error::NotFound)?;
    let row = BatchRow {
        origin_place_id: origin,
        updated_by: actor_ref.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    db::save_batch(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: "update",
            record_type: "batch",
            record_id: batch_id,
            unit_id: Some(&producer.commune.id),
            before: Some(json!({"origin_place": before.origin_place_id})),
            after: Some(json!({"origin_place": row.origin_place_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to_batch(row))
}

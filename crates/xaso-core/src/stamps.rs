//! Digital stamps: a producer orders N stamps for a batch; each gets an unguessable code (65
//! random bits, from the operating system) and a QR code: a GS1 Digital Link URI when the
//! product has a GTIN, else the platform's `/q/{code}`. The printable A4 sheet is drawn once,
//! in the background, and kept; the stamps are written with it, all or nothing. Scanning a
//! stamp shows its product, batch and producer, counts the scan, and warns when something is
//! wrong: voided, recalled, not yet released, a certificate expired, or scanned suspiciously
//! often. Orders and their making are here; the sheet's drawing is in `sheet`, what a scan
//! shows in `verify`.

use std::collections::HashSet;

use serde_json::json;
use xaso_domain::trace::{BatchStatus, DigitalLink, LabelSize, MAX_STAMPS};
use xaso_storage::files::Files;
use xaso_storage::stamps::{self as db, OrderRow};
use xaso_storage::Store;

use crate::jobs::Progress;
use crate::producers::{Batch, Product};
use crate::{Actor, Error, Result};

mod sheet;
mod verify;
use sheet::render;
pub use verify::*;

/// Progress shared with the thread that draws the sheet.
pub type SharedProgress = std::sync::Arc<dyn Progress + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub batch_id: String,
    pub count: i64,
    pub label_size: LabelSize,
    /// generating, ready or failed.
    pub status: String,
    pub error: String,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl From<OrderRow> for Order {
    fn from(r: OrderRow) -> Order {
        Order {
            label_size: LabelSize::parse(&r.label_size).unwrap_or(LabelSize::Medium),
            id: r.id,
            batch_id: r.batch_id,
            count: r.count,
            status: r.status,
            error: r.error,
            created_by: r.created_by,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// The URL a stamp's QR code carries. The host is written in capitals (it is
/// case-insensitive, RFC 3986 §6.2.2.1), so with the capital codes and a lot in capitals
/// everything after the scheme fits the QR alphanumeric mode: a symbol one version smaller,
/// with larger modules on a small label. The scheme stays lower-case: GS1's Digital Link
/// toolkit (digital-link.js) refuses `HTTPS://`, and so may scanners built on it; it goes in
/// a byte-mode segment of its own (the qrcode crate's segmenter puts it there). Sheets
/// printed before with `HTTPS://…` still resolve: only the path reaches the server.
pub fn stamp_url(base: &str, product: &Product, lot: &str, code: &str) -> String {
    let base = upper_host(base.trim_end_matches('/'));
    match product.gtin {
        Some(gtin) => DigitalLink {
            gtin,
            lot: Some(lot.to_string()),
            serial: Some(code.to_string()),
        }
        .uri(&base),
        None => format!("{base}/q/{code}"),
    }
}

/// `HTTPS://xaso.example.vn` → `https://XASO.EXAMPLE.VN`; anything after the host is kept.
fn upper_host(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_string();
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    format!(
        "{}://{}{path}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_uppercase()
    )
}

/// Orders `count` stamps for a batch (its producer or the commune), their QR codes leading to
/// `base_url`. Returns the order, which is then generated in the background with `generate`.
pub async fn create_order(
    store: &Store,
    actor: Option<&Actor>,
    batch_id: &str,
    count: i64,
    size: LabelSize,
    base_url: &str,
) -> Result<Order> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let (batch, _, producer, rights) = crate::producers::batch(store, actor, batch_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    if !(1..=MAX_STAMPS).contains(&count) {
        return Err(Error::invalid(
            "count",
            "order between 1 and 100,000 stamps at a time",
        ));
    }
    if batch.status == BatchStatus::Recalled {
        return Err(Error::Conflict("the batch was recalled".into()));
    }
    let row = OrderRow {
        id: xaso_storage::new_id(),
        batch_id: batch_id.into(),
        count,
        label_size: size.as_str().into(),
        status: "generating".into(),
        sheet_key: None,
        error: String::new(),
        created_by: actor_ref.username.clone(),
        created_at: xaso_storage::now(),
        finished_at: None,
        base_url: base_url.trim_end_matches('/').to_string(),
    };
    let mut tx = store.begin().await?;
    db::insert_order(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: "create",
            record_type: "stamp_order",
            record_id: &row.id,
            unit_id: Some(&producer.commune.id),
            before: None,
            after: Some(json!({"batch": batch.lot, "count": count, "label_size": size.as_str()})),
        },
    )
    .await?;
    // The sheet is made by the long-job worker ([`SheetJob`]); the job has the order's id.
    crate::queue::enqueue_as(
        &mut tx,
        &row.id,
        crate::jobs::STAMP_SHEET,
        &json!({"order": row.id}),
        1,
        &row.created_by,
    )
    .await?;
    tx.commit().await?;
    Ok(Order::from(row))
}

/// Orders still "generating" that have no job (placed before sheets were made on the job
/// queue) get one, so the worker makes them; the server calls it at start. Returns how many.
pub async fn queue_unfinished(store: &Store) -> Result<usize> {
    let orders = {
        let mut conn = store.read().await?;
        db::unfinished_orders(&mut conn).await?
    };
    let mut queued = 0;
    for o in orders {
        if crate::queue::get(store, &o.id).await.is_ok() {
            continue;
        }
        let mut tx = store.begin().await?;
        crate::queue::enqueue_as(
            &mut tx,
            &o.id,
            crate::jobs::STAMP_SHEET,
            &json!({"order": o.id}),
            1,
            &o.created_by,
        )
        .await?;
        tx.commit().await?;
        queued += 1;
    }
    Ok(queued)
}

/// How far the making of an order's sheet is: (done, total), while its job runs.
pub async fn progress(store: &Store, order_id: &str) -> Option<(usize, usize)> {
    let job = crate::queue::get(store, order_id).await.ok()?;
    (job.total > 0).then(|| (job.done.max(0) as usize, job.total as usize))
}

/// Makes an order's codes and sheet on the long-job worker, with progress on the job's row.
/// An order a stopped server interrupted is made again from the start (`jobs::at_start`).
pub struct SheetJob {
    pub store: Store,
    pub files: Files,
    /// The address for orders placed before orders kept their own.
    pub fallback_url: String,
}

impl crate::queue::Handler for SheetJob {
    fn run<'a>(&'a self, job: &'a crate::queue::Running) -> crate::queue::Outcome<'a> {
        Box::pin(async move {
            let order = job.payload["order"].as_str().unwrap_or(&job.id).to_string();
            crate::jobs::report_while(&self.store, &job.id, |reporter| async move {
                generate(
                    &self.store,
                    &self.files,
                    &order,
                    &self.fallback_url,
                    reporter,
                )
                .await
            })
            .await
            .map_err(|e| e.to_string())?;
            crate::jobs::finish(&self.store, &job.id, &crate::jobs::done(json!({})))
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// Makes the codes and the sheet of an order and stores both, all or nothing. Progress is
/// reported per page drawn. `fallback_url` serves orders placed before orders kept their
/// address.
pub async fn generate(
    store: &Store,
    files: &Files,
    order_id: &str,
    fallback_url: &str,
    progress: SharedProgress,
) -> Result<()> {
    let result = generate_inner(store, files, order_id, fallback_url, progress).await;
    if let Err(e) = &result {
        tracing::error!(error = %e, order = order_id, "stamp order failed");
        let mut conn = store.read().await?;
        db::finish_order(
            &mut conn,
            order_id,
            "failed",
            None,
            &e.to_string(),
            &xaso_storage::now(),
        )
        .await?;
    }
    result
}

async fn generate_inner(
    store: &Store,
    files: &Files,
    order_id: &str,
    fallback_url: &str,
    progress: SharedProgress,
) -> Result<()> {
    let order = {
        let mut conn = store.read().await?;
        db::order(&mut conn, order_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    if order.status == "ready" {
        // Made already: the server stopped after the sheet was stored but before its job was
        // marked done.
        return Ok(());
    }
    let base_url = match order.base_url.as_str() {
        "" => fallback_url,
        b => b,
    };
    let (batch, product, _) = crate::producers::load_batch(store, &order.batch_id).await?;
    let n = order.count as usize;
    progress.set(0, n, "codes");
    let mut seen = HashSet::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    while codes.len() < n {
        let c = crate::qr::new_stamp_code();
        if seen.insert(c.clone()) {
            codes.push(c);
        }
    }
    let size = LabelSize::parse(&order.label_size).unwrap_or(LabelSize::Medium);
    let urls: Vec<String> = codes
        .iter()
        .map(|c| stamp_url(base_url, &product, &batch.lot, c))
        .collect();
    // Drawing is CPU work (about a minute for 100,000 stamps): it runs on a blocking thread so
    // the server keeps answering meanwhile.
    let pdf = {
        let (name, lot, progress) = (product.name.clone(), batch.lot.clone(), progress.clone());
        tokio::task::spawn_blocking(move || render(&urls, &name, &lot, size, &*progress))
            .await
            .map_err(|e| Error::Internal(format!("sheet: {e}")))??
    };
    let key = format!("stamps/{order_id}.pdf");
    files
        .put(&key, pdf)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    progress.set(n, n, "saving");
    let mut tx = store.begin().await?;
    db::insert_stamps(tx.conn(), &order.batch_id, order_id, &codes).await?;
    db::finish_order(
        tx.conn(),
        order_id,
        "ready",
        Some(&key),
        "",
        &xaso_storage::now(),
    )
    .await?;
    tx.commit().await?;
    progress.set(n, n, "done");
    Ok(())
}

/// The orders of a batch (its producer and the commune).
pub async fn orders(store: &Store, actor: Option<&Actor>, batch_id: &str) -> Result<Vec<Order>> {
    let (_, _, _, rights) = crate::producers::batch(store, actor, batch_id).await?;
    if !rights.write {
        return Ok(Vec::new());
    }
    let mut conn = store.read().await?;
    Ok(db::orders_of_batch(&mut conn, batch_id)
        .await?
        .into_iter()
        .map(Order::from)
        .collect())
}

/// One order, for its producer and the commune.
pub async fn order(store: &Store, actor: Option<&Actor>, id: &str) -> Result<(Order, Batch)> {
    let row = {
        let mut conn = store.read().await?;
        db::order(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let (batch, _, _, rights) = crate::producers::batch(store, actor, &row.batch_id).await?;
    if !rights.write {
        return Err(Error::NotFound);
    }
    Ok((Order::from(row), batch))
}

/// The printable sheet of a ready order.
pub async fn sheet(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<Vec<u8>> {
    let row = {
        let mut conn = store.read().await?;
        db::order(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    order(store, actor, id).await?;
    let key = row
        .sheet_key
        .ok_or_else(|| Error::Conflict("the sheet is not ready yet".into()))?;
    files
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// The codes of a ready order, in number order (the producer and the commune).
pub async fn codes(store: &Store, actor: Option<&Actor>, order_id: &str) -> Result<Vec<String>> {
    order(store, actor, order_id).await?;
    let mut conn = store.read().await?;
    Ok(db::codes_of_order(&mut conn, order_id).await?)
}

/// The orders an account follows (its own and its producers'), newest first.
pub async fn my_orders(store: &Store, actor: Option<&Actor>) -> Result<Vec<Order>> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let mut conn = store.read().await?;
    let who = (!actor.is_admin()).then_some(actor.username.as_str());
    Ok(db::orders_for(&mut conn, who, 200)
        .await?
        .into_iter()
        .map(Order::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(gtin: Option<&str>) -> Product {
        Product {
            id: String::new(),
            producer_id: String::new(),
            name: String::new(),
            category: String::new(),
            description: String::new(),
            sale_unit: String::new(),
            gtin: gtin.map(|g| xaso_domain::trace::Gtin::parse(g).unwrap()),
            ocop: None,
            updated_at: String::new(),
        }
    }

    /// The QR version (level M) of a URL, segmented by the qrcode crate (numeric,
    /// alphanumeric and byte segments, as short as it finds).
    fn version(url: &str) -> i16 {
        match qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
            .unwrap()
            .version()
        {
            qrcode::Version::Normal(v) => v,
            qrcode::Version::Micro(v) => -v,
        }
    }

    #[test]
    fn stamp_urls_keep_a_lower_case_scheme_and_a_symbol_as_small_as_all_capitals() {
        let code = "7KQ2M9XR4TB3C";
        let with_gtin = stamp_url(
            "HTTPS://Xaso.Example.vn/",
            &product(Some("09520001123450")),
            "DH-2026-03",
            code,
        );
        assert_eq!(
            with_gtin,
            "https://XASO.EXAMPLE.VN/01/09520001123450/10/DH-2026-03/21/7KQ2M9XR4TB3C"
        );
        let plain = stamp_url("http://127.0.0.1:8080", &product(None), "L1", code);
        assert_eq!(plain, "http://127.0.0.1:8080/q/7KQ2M9XR4TB3C");
        // The scheme costs 19 bits more in a byte segment of its own than in capitals; on
        // the demo's and the usual hosts the symbol keeps the version the all-capitals URL
        // had (docs/BENCHMARKS.md has where it does not).
        for base in [
            "https://XASO.EXAMPLE.VN",
            "http://127.0.0.1:8080",
            "https://XASO.TAYNINH.GOV.VN",
        ] {
            let url = format!("{base}/01/09520001123450/10/DH-2026-03/21/{code}");
            let old = url
                .replacen("https", "HTTPS", 1)
                .replacen("http:", "HTTP:", 1);
            assert_eq!(version(&url), version(&old), "{url}");
            assert_eq!(version(&url), 4, "{url}");
        }
    }
}

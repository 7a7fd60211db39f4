//! Digital stamps: a producer orders N stamps for a batch; each gets an unguessable code (65
//! random bits, from the operating system) and a QR code: a GS1 Digital Link URI when the
//! product has a GTIN, else the platform's `/q/{code}`. The printable A4 sheet is drawn once,
//! in the background, and kept; the stamps are written with it, all or nothing. Scanning a
//! stamp shows its product, batch and producer, counts the scan, and warns when something is
//! wrong: voided, recalled, not yet released, a certificate expired, or scanned suspiciously
//! often.

use std::collections::HashSet;

// The verifier's maps are read on every scan; foldhash is fast and seeded per process.
use foldhash::HashMap;
use std::io::{BufWriter, Cursor};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use printpdf::{Color, Mm, PdfDocument, Rgb};
use serde_json::json;
use xaso_domain::trace::{BatchStatus, DigitalLink, LabelSize, ProducerStatus, MAX_STAMPS};
use xaso_storage::files::Files;
use xaso_storage::stamps::{self as db, OrderRow, StampRow};
use xaso_storage::Store;

use crate::criteria::pdf::{BOLD, REGULAR};
use crate::jobs::Progress;
use crate::producers::{Batch, Producer, Product};
use crate::{Actor, Error, Result};

/// Progress shared with the thread that draws the sheet.
pub type SharedProgress = std::sync::Arc<dyn Progress + Send + Sync>;

/// Scans above this many make the page warn that the stamp may have been copied.
pub const SUSPICIOUS_SCANS: i64 = 20;

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
/// a byte-mode segment of its own (`qr::symbol`). Sheets printed before with `HTTPS://…`
/// still resolve: only the path reaches the server.
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

/// Where labels sit on an A4 sheet: columns, rows, and the left and top edges of the grid in
/// millimetres from the page's lower-left corner (PDF coordinates).
pub fn layout(size: LabelSize) -> (usize, usize, f32, f32) {
    let (page_w, page_h) = (210.0f32, 297.0f32);
    let (w, h, _) = size.mm();
    let cols = ((page_w - 10.0) / w).floor() as usize;
    let rows = ((page_h - 10.0) / h).floor() as usize;
    let left = (page_w - cols as f32 * w) / 2.0;
    let top = page_h - (page_h - rows as f32 * h) / 2.0;
    (cols, rows, left, top)
}

/// Draws the label sheet: labels in rows on A4 with a cutting frame, each with its QR code,
/// the product, the lot and the stamp's number.
fn render(
    urls: &[String],
    product: &str,
    lot: &str,
    size: LabelSize,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
    let (page_w, page_h) = (210.0f32, 297.0f32);
    let (w, h, qr) = size.mm();
    let (cols, rows, left, top) = layout(size);
    let per_page = cols * rows;
    let (doc, page, layer) =
        PdfDocument::new("Xa So - tem truy xuat", Mm(page_w), Mm(page_h), "Tem");
    let regular = doc
        .add_external_font(Cursor::new(REGULAR))
        .map_err(pdf_err)?;
    let bold = doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?;
    let mut layer = doc.get_page(page).get_layer(layer);
    let small = size == LabelSize::Small;
    let name_pt = if small { 5.0 } else { 6.5 };
    let max_chars = (w / if small { 1.25 } else { 1.6 }) as usize;
    let name: String = if product.chars().count() > max_chars {
        let mut t: String = product.chars().take(max_chars.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        product.to_string()
    };
    for (i, url) in urls.iter().enumerate() {
        let slot = i % per_page;
        if i > 0 && slot == 0 {
            let (pg, l) = doc.add_page(Mm(page_w), Mm(page_h), "Tem");
            layer = doc.get_page(pg).get_layer(l);
            progress.set(i, urls.len(), "sheet");
        }
        let (c, r) = (slot % cols, slot / cols);
        let x = left + c as f32 * w;
        let y = top - (r + 1) as f32 * h;
        layer.set_outline_color(Color::Rgb(Rgb::new(0.75, 0.75, 0.75, None)));
        layer.set_outline_thickness(0.2);
        layer.add_polygon(printpdf::Polygon {
            rings: vec![vec![
                (printpdf::Point::new(Mm(x), Mm(y)), false),
                (printpdf::Point::new(Mm(x + w), Mm(y)), false),
                (printpdf::Point::new(Mm(x + w), Mm(y + h)), false),
                (printpdf::Point::new(Mm(x), Mm(y + h)), false),
            ]],
            mode: printpdf::path::PaintMode::Stroke,
            ..Default::default()
        });
        let side = qr_image(&layer, url, x, y + h - 1.0, w, qr)?;
        layer.set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        let text_y = y + h - side - 1.0;
        layer.use_text(&name, name_pt, Mm(x + 1.5), Mm(text_y - 2.6), &bold);
        layer.use_text(
            format!("Lô {lot} · Số {}", i + 1),
            name_pt - 0.5,
            Mm(x + 1.5),
            Mm(text_y - 5.0),
            &regular,
        );
    }
    progress.set(urls.len(), urls.len(), "sheet");
    let mut out = BufWriter::new(Vec::new());
    doc.save(&mut out).map_err(pdf_err)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("pdf: {e}")))
}

/// One printer dot at 150 dpi, in millimetres; 300 and 600 dpi printers divide it evenly.
const DOT_MM: f32 = 25.4 / 150.0;

/// The side of a QR symbol of `n` modules (quiet zone included) for a label `width` wide that
/// asks for about `wanted` millimetres: each module a whole number of 150-dpi dots, so no row
/// or column of modules prints a dot thinner than its neighbours (a 3-and-4-dot mix once left
/// one label in a thousand unreadable at 150 dpi), and 1 mm of margin on each side.
fn qr_side(n: usize, wanted: f32, width: f32) -> f32 {
    let mut dots = (wanted / n as f32 / DOT_MM).round().max(1.0);
    while dots > 1.0 && n as f32 * dots * DOT_MM > width - 2.0 {
        dots -= 1.0;
    }
    n as f32 * dots * DOT_MM
}

/// Places a label's QR symbol, centred on a label `width` wide with its top edge at `top`, as
/// a one-bit image (a few hundred bytes, scaled without smoothing so the modules stay sharp):
/// thousands of labels make a sheet of a few MB instead of tens, and draw several times faster
/// than one rectangle per run of modules. Returns the symbol's side in millimetres.
fn qr_image(
    layer: &printpdf::PdfLayerReference,
    url: &str,
    left: f32,
    top: f32,
    width: f32,
    wanted: f32,
) -> Result<f32> {
    let (n, dark) = crate::qr::modules(url)?;
    let size = qr_side(n, wanted, width);
    let (x, y) = (left + (width - size) / 2.0, top - size);
    let row_bytes = n.div_ceil(8);
    let mut data = vec![0xFFu8; row_bytes * n];
    for row in 0..n {
        for col in 0..n {
            if dark[row * n + col] {
                data[row * row_bytes + col / 8] &= !(0x80 >> (col % 8));
            }
        }
    }
    let image = printpdf::ImageXObject {
        width: printpdf::Px(n),
        height: printpdf::Px(n),
        color_space: printpdf::ColorSpace::Greyscale,
        bits_per_component: printpdf::ColorBits::Bit1,
        interpolate: false,
        image_data: data,
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    };
    // The image is `n` pixels wide; at this many dots per inch it spans `size` millimetres.
    let dpi = n as f32 * 25.4 / size;
    printpdf::Image::from(image).add_to_layer(
        layer.clone(),
        printpdf::ImageTransform {
            translate_x: Some(Mm(x)),
            translate_y: Some(Mm(y)),
            dpi: Some(dpi),
            ..Default::default()
        },
    );
    Ok(size)
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

/// What a scan shows besides the product: the reasons to be careful.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The stamp was voided (damaged, misprinted, stolen), with the reason.
    Void(String),
    /// The batch was recalled, with the reason.
    Recalled(String),
    /// The batch has not been released yet: the stamp is not in use.
    NotReleased,
    /// The producer is suspended by the commune.
    ProducerSuspended,
    /// The product's OCOP certificate has expired.
    OcopExpired,
    /// One of the product's certifications (its kind, e.g. `vietgap`) has expired.
    CertificateExpired(crate::catalogue::CertKind),
    /// Scanned this many times: it may have been copied.
    ManyScans(i64),
    /// Scanned this many kilometres apart within [`FAR_APART_HOURS`]: a copy is in use.
    FarApart(i64),
}

/// Two scans this far apart (km) …
pub const FAR_APART_KM: f64 = 50.0;
/// … within this many hours mean the stamp was copied: one package does not travel so fast
/// and get scanned at both ends.
pub const FAR_APART_HOURS: i64 = 48;
/// Places kept per stamp per window, so nobody can flood a genuine stamp with fake places.
const MAX_PLACES: usize = 50;

/// The great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// The widest distance between places a stamp was scanned at in the window, if any pair is
/// further apart than [`FAR_APART_KM`].
async fn far_apart(store: &Store, code: &str) -> Result<Option<i64>> {
    let since = xaso_domain::time::to_storage(
        chrono::Utc::now() - chrono::Duration::hours(FAR_APART_HOURS),
    );
    let places = {
        let mut conn = store.read().await?;
        xaso_storage::epcis::scan_places(&mut conn, code, &since).await?
    };
    let mut widest: f64 = 0.0;
    for (i, a) in places.iter().enumerate() {
        for b in &places[i + 1..] {
            widest = widest.max(distance_km((a.1, a.2), (b.1, b.2)));
        }
    }
    Ok((widest > FAR_APART_KM).then_some(widest.round() as i64))
}

/// Records where a buyer scanned a stamp, when they chose to share it. The place is rounded to
/// 0.01° (about a kilometre) and nothing about the buyer is kept. Returns the far-apart
/// distance when the stamp now looks copied.
pub async fn scanned_at(store: &Store, code: &str, lat: f64, lng: f64) -> Result<Option<i64>> {
    let code = &code.to_ascii_uppercase();
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
        return Err(Error::invalid(
            "position",
            "latitude and longitude out of range",
        ));
    }
    let known = {
        let mut conn = store.read().await?;
        db::stamp(&mut conn, code).await?.is_some()
    };
    if !known {
        return Err(Error::NotFound);
    }
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let since = xaso_domain::time::to_storage(
        chrono::Utc::now() - chrono::Duration::hours(FAR_APART_HOURS),
    );
    let mut tx = store.begin().await?;
    let recent = xaso_storage::epcis::scan_places(tx.conn(), code, &since).await?;
    if recent.len() < MAX_PLACES {
        xaso_storage::epcis::insert_scan_place(
            tx.conn(),
            code,
            &xaso_storage::now(),
            round(lat),
            round(lng),
        )
        .await?;
    }
    tx.commit().await?;
    far_apart(store, code).await
}

/// A batch as every one of its stamps shows it: kept in memory for a short while, since a
/// batch's thousands of stamps all show the same product, producer and log.
#[derive(Debug, Clone)]
pub struct BatchView {
    pub batch: Batch,
    pub product: Product,
    pub producer: Producer,
    /// The batch's latest steps (`epcis::STAMP_PAGE_STEPS`) and how many it has.
    pub timeline: crate::epcis::Timeline,
    pub certifications: Vec<crate::catalogue::Certification>,
    pub photo_ids: Vec<String>,
    /// The producer's registered place (public fields), for its digital address and map.
    pub place: Option<crate::places::Place>,
    /// The plot or place the batch came from, when it is not the producer's own.
    pub origin: Option<crate::places::Place>,
}

/// What a scanned stamp shows.
#[derive(Debug, Clone)]
pub struct Verification {
    pub code: String,
    pub number: i64,
    pub scans: i64,
    pub first_scan_at: Option<String>,
    pub view: Arc<BatchView>,
    pub warnings: Vec<Warning>,
}

/// How long a stamp or a batch stays in memory. Changes made through this instance clear it
/// at once; another instance's changes show within this time.
const VIEW_TTL: Duration = Duration::from_secs(60);
/// Entries kept, at most, per map (then the map starts again).
const VIEW_MAX: usize = 200_000;

struct StampEntry {
    row: StampRow,
    far_apart: Option<i64>,
}

/// Scans pending for one stamp: how many, and when the first of them was.
#[derive(Default)]
struct Pending {
    scans: HashMap<String, (i64, String)>,
    /// Being written by a flush: still counted until the write is done.
    in_flight: HashMap<String, (i64, String)>,
}

/// The verification page's engine: stamps and batches read from memory, scans counted in
/// memory and written in batches (as the QR resolver does), so a scan costs no statement.
#[derive(Default)]
pub struct Verifier {
    stamps: RwLock<HashMap<String, (Arc<StampEntry>, Instant)>>,
    batches: RwLock<HashMap<String, (Arc<BatchView>, Instant)>>,
    pending: Mutex<Pending>,
    /// The stamps that have scan places at all (few), read once: the far-apart check costs a
    /// statement only for them.
    located: RwLock<Option<HashSet<String>>>,
}

fn cached<T: Clone>(map: &RwLock<HashMap<String, (T, Instant)>>, key: &str) -> Option<T> {
    let m = map.read().expect("verifier lock");
    m.get(key)
        .filter(|(_, at)| at.elapsed() < VIEW_TTL)
        .map(|(v, _)| v.clone())
}

fn remember<T>(map: &RwLock<HashMap<String, (T, Instant)>>, key: &str, v: T) {
    let mut m = map.write().expect("verifier lock");
    if m.len() >= VIEW_MAX {
        m.clear();
    }
    m.insert(key.to_string(), (v, Instant::now()));
}

impl Verifier {
    pub fn new() -> Verifier {
        Verifier::default()
    }

    /// Forgets everything cached (after a change to a producer, product, batch or stamp).
    pub fn clear(&self) {
        self.stamps.write().expect("verifier lock").clear();
        self.batches.write().expect("verifier lock").clear();
    }

    /// Forgets one stamp after a scan place was recorded for it.
    pub fn placed(&self, code: &str) {
        let code = code.to_ascii_uppercase();
        if let Some(set) = self.located.write().expect("verifier lock").as_mut() {
            set.insert(code.clone());
        }
        self.stamps.write().expect("verifier lock").remove(&code);
    }

    async fn has_places(&self, store: &Store, code: &str) -> Result<bool> {
        if let Some(set) = self.located.read().expect("verifier lock").as_ref() {
            return Ok(set.contains(code));
        }
        let codes = {
            let mut conn = store.read().await?;
            xaso_storage::epcis::located_stamps(&mut conn).await?
        };
        let found = codes.contains(code);
        let mut slot = self.located.write().expect("verifier lock");
        if slot.is_none() {
            *slot = Some(codes);
        }
        Ok(found)
    }

    async fn stamp(&self, store: &Store, code: &str) -> Result<Option<Arc<StampEntry>>> {
        if let Some(e) = cached(&self.stamps, code) {
            return Ok(Some(e));
        }
        let row = {
            let mut conn = store.read().await?;
            db::stamp(&mut conn, code).await?
        };
        // Unknown codes are not remembered: random probing must not fill the memory.
        let Some(row) = row else {
            return Ok(None);
        };
        let far = if self.has_places(store, code).await? {
            far_apart(store, code).await?
        } else {
            None
        };
        let entry = Arc::new(StampEntry {
            far_apart: far,
            row,
        });
        remember(&self.stamps, code, entry.clone());
        Ok(Some(entry))
    }

    /// The batch as its stamps show it.
    pub async fn batch_view(&self, store: &Store, batch_id: &str) -> Result<Arc<BatchView>> {
        if let Some(v) = cached(&self.batches, batch_id) {
            return Ok(v);
        }
        let (batch, product, producer) = crate::producers::load_batch(store, batch_id).await?;
        let place = crate::places::public(store, producer.place_id.as_deref()).await?;
        let origin = match &batch.origin_place_id {
            Some(id) if Some(id) != producer.place_id.as_ref() => {
                crate::places::public(store, Some(id)).await?
            }
            _ => None,
        };
        let view = Arc::new(BatchView {
            place,
            origin,
            timeline: crate::epcis::timeline_entries(
                store,
                batch_id,
                crate::epcis::STAMP_PAGE_STEPS,
            )
            .await?,
            certifications: crate::catalogue::certifications(store, &product.id).await?,
            photo_ids: crate::catalogue::photos(store, &product.id)
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect(),
            batch,
            product,
            producer,
        });
        remember(&self.batches, batch_id, view.clone());
        Ok(view)
    }

    /// Counts one scan and returns the pending scans of the code (this one included) with the
    /// time of the first of them.
    fn count(&self, code: &str) -> (i64, String) {
        let mut p = self.pending.lock().expect("scan lock");
        let entry = match p.scans.get_mut(code) {
            Some(e) => {
                e.0 += 1;
                e.clone()
            }
            None => {
                let now = xaso_storage::now();
                p.scans.insert(code.to_string(), (1, now.clone()));
                (1, now)
            }
        };
        match p.in_flight.get(code) {
            Some((n, first)) => (entry.0 + n, first.clone()),
            None => entry,
        }
    }

    /// Looks a stamp up by its code, counts the scan and says what the buyer should know.
    /// `None` for a code the platform never issued (possibly a counterfeit).
    pub async fn verify(&self, store: &Store, code: &str) -> Result<Option<Verification>> {
        // People may type the code from the label in small letters.
        let code = &code.to_ascii_uppercase();
        if !crate::qr::looks_like_stamp_code(code) {
            return Ok(None);
        }
        let Some(entry) = self.stamp(store, code).await? else {
            return Ok(None);
        };
        let view = self.batch_view(store, &entry.row.batch_id).await?;
        let (pending, first_pending) = self.count(code);
        let row = &entry.row;
        let scans = row.scans + pending;
        let mut warnings = Vec::new();
        if row.status == "void" {
            warnings.push(Warning::Void(row.void_reason.clone()));
        }
        match view.batch.status {
            BatchStatus::Recalled => {
                warnings.push(Warning::Recalled(view.batch.recall_reason.clone()))
            }
            BatchStatus::Draft => warnings.push(Warning::NotReleased),
            BatchStatus::Released => {}
        }
        if view.producer.status == ProducerStatus::Suspended {
            warnings.push(Warning::ProducerSuspended);
        }
        if view
            .product
            .ocop
            .as_ref()
            .is_some_and(|o| !o.valid_on(xaso_domain::time::today_vn()))
        {
            warnings.push(Warning::OcopExpired);
        }
        let today = xaso_domain::time::today_vn();
        for c in &view.certifications {
            if c.expires_on.is_some_and(|e| e < today) {
                warnings.push(Warning::CertificateExpired(c.kind));
            }
        }
        if scans > SUSPICIOUS_SCANS {
            warnings.push(Warning::ManyScans(scans));
        }
        if let Some(km) = entry.far_apart {
            warnings.push(Warning::FarApart(km));
        }
        Ok(Some(Verification {
            code: row.code.clone(),
            number: row.number,
            scans,
            first_scan_at: row.first_scan_at.clone().or(Some(first_pending)),
            view,
            warnings,
        }))
    }

    /// Writes buffered scan counts in one transaction; on failure they go back into the
    /// buffer. Returns how many stamps were written.
    pub async fn flush(&self, store: &Store) -> Result<usize> {
        let batch: Vec<(String, (i64, String))> = {
            let mut p = self.pending.lock().expect("scan lock");
            if p.scans.is_empty() {
                return Ok(0);
            }
            let taken = std::mem::take(&mut p.scans);
            p.in_flight = taken.clone();
            taken.into_iter().collect()
        };
        let now = xaso_storage::now();
        let result = async {
            let mut tx = store.begin().await?;
            for (code, (n, first)) in &batch {
                db::add_scans(tx.conn(), code, *n, first, &now).await?;
            }
            tx.commit().await?;
            Ok::<usize, Error>(batch.len())
        }
        .await;
        let mut p = self.pending.lock().expect("scan lock");
        p.in_flight.clear();
        match &result {
            Ok(_) => {
                // The stored counts changed: read them again on the next scan.
                let mut stamps = self.stamps.write().expect("verifier lock");
                for (code, _) in &batch {
                    stamps.remove(code);
                }
            }
            Err(_) => {
                for (code, (n, first)) in batch {
                    let e = p.scans.entry(code).or_insert((0, first.clone()));
                    e.0 += n;
                    if first < e.1 {
                        e.1 = first;
                    }
                }
            }
        }
        result
    }
}

/// Voids one stamp (its producer or the commune), with a reason buyers will read.
pub async fn void(store: &Store, actor: Option<&Actor>, code: &str, reason: &str) -> Result<()> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let row = {
        let mut conn = store.read().await?;
        db::stamp(&mut conn, code).await?.ok_or(Error::NotFound)?
    };
    let (_, _, producer, rights) = crate::producers::batch(store, actor, &row.batch_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let reason = xaso_domain::text::clean(reason);
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(Error::invalid(
            "reason",
            "say why the stamp is voided (300 characters at most)",
        ));
    }
    let mut tx = store.begin().await?;
    db::void_stamp(tx.conn(), code, &reason).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: "update",
            record_type: "stamp",
            record_id: code,
            unit_id: Some(&producer.commune.id),
            before: Some(json!({"status": row.status})),
            after: Some(json!({"status": "void", "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
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

/// A commune's (or area's) traceability at a glance, for its officers.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub figures: xaso_storage::stamps::TraceFigures,
    /// Stamps scanned far apart in the last [`FAR_APART_HOURS`]: (code, km).
    pub far_apart: Vec<(String, i64)>,
}

/// The dashboard of a unit: for the commune's and the area's officers only (it names suspicious
/// stamps).
pub async fn dashboard(
    store: &Store,
    actor: Option<&Actor>,
    unit_code: &str,
) -> Result<(xaso_domain::units::Unit, Dashboard)> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let unit = crate::units::by_code(store, unit_code, xaso_domain::time::today_vn()).await?;
    if !crate::authz::has_role_over(store, actor, crate::producers::DECIDERS, &unit.id).await? {
        return Err(Error::Forbidden);
    }
    let communes = crate::units::communes_of(store, &unit).await?;
    // OCOP certificates are valid 36 months: count those decided since then.
    let today = xaso_domain::time::today_vn();
    let ocop_since = today
        .checked_sub_months(chrono::Months::new(36))
        .unwrap_or(today)
        .to_string();
    let places_since = xaso_domain::time::to_storage(
        chrono::Utc::now() - chrono::Duration::hours(FAR_APART_HOURS),
    );
    let figures = {
        let mut conn = store.read().await?;
        db::trace_figures(
            &mut conn,
            &communes,
            &ocop_since,
            SUSPICIOUS_SCANS,
            &places_since,
        )
        .await?
    };
    let mut far = Vec::new();
    for code in figures.located.iter().take(500) {
        if let Some(km) = far_apart(store, code).await? {
            far.push((code.clone(), km));
        }
    }
    far.sort_by_key(|f| std::cmp::Reverse(f.1));
    Ok((
        unit,
        Dashboard {
            figures,
            far_apart: far,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_modules_are_whole_printer_dots_and_fit_the_label() {
        for size in LabelSize::ALL {
            let (w, _, wanted) = size.mm();
            for n in [29usize, 33, 37, 41, 45, 49, 53] {
                let side = qr_side(n, wanted, w);
                let dots = side / n as f32 / DOT_MM;
                assert!((dots - dots.round()).abs() < 1e-3, "{size:?} {n}: {dots}");
                assert!(side <= w - 2.0 + 1e-3, "{size:?} {n}: {side} mm");
                assert!(dots >= 3.0 - 1e-3, "{size:?} {n}: {dots} dots a module");
            }
        }
        // A small label's usual symbol (version 4 with its quiet zone): 4 dots a module.
        assert!((qr_side(41, 26.0, 30.0) - 41.0 * 4.0 * DOT_MM).abs() < 1e-3);
    }

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

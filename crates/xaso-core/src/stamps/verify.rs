//! What a scanned stamp shows and how it is answered fast: the verdict and its warnings, the
//! batch's view kept in memory for a short while, scans counted in memory and written in
//! batches, and the places buyers chose to share (copied stamps are scanned far apart).

use std::collections::HashSet;
// The verifier's maps are read on every scan; foldhash is fast and seeded per process.
use foldhash::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::json;
use xaso_domain::trace::{BatchStatus, ProducerStatus};
use xaso_storage::stamps::{self as db, StampRow};
use xaso_storage::Store;

use crate::producers::{Batch, Producer, Product};
use crate::{Actor, Error, Result};

/// Scans above this many make the page warn that the stamp may have been copied.
pub const SUSPICIOUS_SCANS: i64 = 20;

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
    /// The planting the batch's crop came from: growing area, season, rough place.
    pub grown: Option<crate::agri::farming::Origin>,
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
    /// Tells other server instances what this one changed.
    bus: crate::cluster::Bus,
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

    /// A verifier whose changes other instances hear of.
    pub fn with_bus(bus: crate::cluster::Bus) -> Verifier {
        Verifier {
            bus,
            ..Verifier::default()
        }
    }

    /// Forgets everything cached (after a change to a producer, product, batch or stamp),
    /// here and on the other instances.
    pub fn clear(&self) {
        self.clear_local();
        self.bus.publish(crate::cluster::Change::Traceability);
    }

    /// Forgets everything cached here (another instance made a change).
    pub fn clear_local(&self) {
        self.stamps.write().expect("verifier lock").clear();
        self.batches.write().expect("verifier lock").clear();
        *self.located.write().expect("verifier lock") = None;
    }

    /// Forgets one stamp after a scan place was recorded for it, here and elsewhere.
    pub fn placed(&self, code: &str) {
        self.placed_local(code);
        self.bus.publish(crate::cluster::Change::StampPlaced {
            code: code.to_ascii_uppercase(),
        });
    }

    /// Forgets one stamp here after a scan place was recorded for it (here or elsewhere).
    pub fn placed_local(&self, code: &str) {
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
        let grown = crate::agri::farming::batch_origin(store, batch_id).await?;
        let view = Arc::new(BatchView {
            place,
            origin,
            grown,
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

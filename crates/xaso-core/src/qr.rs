//! The QR backbone. Every QR code the platform prints encodes a permanent short URL
//! `/q/{token}`; one resolver sends it to the landing page of its target (a place today; relics,
//! stamps and feedback posters later), forever. Reads are cached and scan counts are buffered in
//! memory and written in batches, so a scan costs no database statement (see
//! docs/ARCHITECTURE.md, storage rules). No personal data is kept: a scan is a count per code
//! per day.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::RngCore;
use serde_json::json;
use xaso_storage::qr::{self as db, QrRow};
use xaso_storage::Store;

use crate::{Actor, Error, Result};

/// Token alphabet: lower-case letters without i, l and o, and the digits but 1, so nothing can
/// be misread (0 has no o to be mistaken for; 1 has no l or i).
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz023456789";
/// 13 characters × 5 bits = 65 random bits: unguessable, and short enough for a small QR.
pub const TOKEN_LEN: usize = 13;
/// How long a resolved token is trusted before it is read again (other instances may have
/// retired it).
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Most tokens kept in the cache; beyond it the cache starts afresh.
const CACHE_MAX: usize = 200_000;

/// A fresh token from the operating system's random source.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_LEN];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect()
}

/// A fresh stamp code: a token in capitals. A URL made of digits, capitals and `/-.:` is
/// encoded in a QR code's alphanumeric mode, so a stamp's GS1 Digital Link fits a smaller,
/// easier-to-read symbol on a small label.
pub fn new_stamp_code() -> String {
    new_token().to_ascii_uppercase()
}

/// Whether a string could be a stamp code.
pub fn looks_like_stamp_code(s: &str) -> bool {
    s.len() == TOKEN_LEN
        && s.bytes()
            .all(|b| ALPHABET.contains(&b.to_ascii_lowercase()) && !b.is_ascii_lowercase())
}

/// Whether a string could be a token (cheap check before any lookup).
pub fn looks_like_token(s: &str) -> bool {
    s.len() == TOKEN_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// What a QR code points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    Place,
    /// A training session's check-in code (shown on the trainer's screen or printed).
    TrainingSession,
    /// A training certificate: its page says whether it is genuine.
    Certificate,
    /// An asset of the ICT register (its label): staff see the record, others what is public.
    Asset,
}

impl TargetType {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Place => "place",
            TargetType::TrainingSession => "training_session",
            TargetType::Certificate => "certificate",
            TargetType::Asset => "ict_asset",
        }
    }

    pub fn parse(s: &str) -> Option<TargetType> {
        match s {
            "place" => Some(TargetType::Place),
            "training_session" => Some(TargetType::TrainingSession),
            "certificate" => Some(TargetType::Certificate),
            "ict_asset" => Some(TargetType::Asset),
            _ => None,
        }
    }

    /// The landing page of a target: a stable path that renders the target's current state.
    pub fn landing(self, id: &str) -> String {
        match self {
            TargetType::Place => format!("/p/{id}"),
            TargetType::TrainingSession => format!("/training/sessions/{id}/check-in"),
            TargetType::Certificate => format!("/certificates/{id}"),
            TargetType::Asset => format!("/t/{id}"),
        }
    }
}

/// Where a token leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Go to this path.
    Landing(String),
    /// The code itself was withdrawn (a plate replaced, a poster taken down), with the reason.
    Retired(String),
    /// A product stamp's code (stamps count their own scans on their page).
    Stamp(String),
    Unknown,
}

/// One code as staff see it.
#[derive(Debug, Clone)]
pub struct QrCode {
    pub token: String,
    pub target_type: String,
    pub target_id: String,
    pub created_at: String,
    pub retired: bool,
    pub scans_total: i64,
}

/// The resolver: cached lookups and buffered scan counts, shared by every request.
#[derive(Default)]
pub struct Resolver {
    cache: RwLock<HashMap<String, (Resolved, Instant)>>,
    /// Scans not yet written: day → code → count (nested so a repeat scan allocates nothing).
    pending: Mutex<HashMap<chrono::NaiveDate, HashMap<String, i64>>>,
    /// Tells other server instances what this one changed.
    bus: crate::cluster::Bus,
}

impl Resolver {
    pub fn new() -> Resolver {
        Resolver::default()
    }

    /// A resolver whose changes other instances hear of.
    pub fn with_bus(bus: crate::cluster::Bus) -> Resolver {
        Resolver {
            bus,
            ..Resolver::default()
        }
    }

    /// Where `token` leads; a cache hit costs no database statement.
    pub async fn resolve(&self, store: &Store, token: &str) -> Result<Resolved> {
        // Stamps' codes are the same tokens in capitals (they make smaller QR codes).
        let stamp_code = looks_like_stamp_code(token);
        if !looks_like_token(token) && !stamp_code {
            return Ok(Resolved::Unknown);
        }
        if let Some((r, at)) = self.cache.read().expect("cache lock").get(token) {
            if at.elapsed() < CACHE_TTL {
                return Ok(r.clone());
            }
        }
        let row = {
            let mut conn = store.read().await?;
            db::by_token(&mut conn, token).await?
        };
        let resolved = match row {
            None if stamp_code => {
                let mut conn = store.read().await?;
                match xaso_storage::stamps::stamp(&mut conn, token).await? {
                    Some(_) => Resolved::Stamp(format!("/s/{token}")),
                    None => Resolved::Unknown,
                }
            }
            None => Resolved::Unknown,
            Some(r) if r.retired_at.is_some() => {
                Resolved::Retired(r.retired_reason.unwrap_or_default())
            }
            Some(r) => match TargetType::parse(&r.target_type) {
                Some(t) => Resolved::Landing(t.landing(&r.target_id)),
                None => Resolved::Unknown,
            },
        };
        // Unknown tokens are not cached: random probing must not fill the memory.
        if resolved != Resolved::Unknown {
            let mut cache = self.cache.write().expect("cache lock");
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(token.to_string(), (resolved.clone(), Instant::now()));
        }
        Ok(resolved)
    }

    /// Counts a scan of a known code for today (Vietnam time), in memory until the next flush.
    pub fn count(&self, token: &str) {
        let day = xaso_domain::time::today_vn();
        let mut pending = self.pending.lock().expect("scan lock");
        let codes = pending.entry(day).or_default();
        match codes.get_mut(token) {
            Some(n) => *n += 1,
            None => {
                codes.insert(token.to_string(), 1);
            }
        }
    }

    /// Forgets a cached token (after a change to it), here and on the other instances.
    pub fn invalidate(&self, token: &str) {
        self.invalidate_local(token);
        self.bus.publish(crate::cluster::Change::QrCode {
            token: token.to_string(),
        });
    }

    /// Forgets a cached token here (another instance changed it).
    pub fn invalidate_local(&self, token: &str) {
        self.cache.write().expect("cache lock").remove(token);
    }

    /// Forgets every cached token here (the change channel dropped).
    pub fn clear_local(&self) {
        self.cache.write().expect("cache lock").clear();
    }

    fn pending_for(&self, token: &str) -> Vec<(String, i64)> {
        self.pending
            .lock()
            .expect("scan lock")
            .iter()
            .filter_map(|(day, codes)| codes.get(token).map(|n| (day.to_string(), *n)))
            .collect()
    }

    /// Writes buffered scan counts in one transaction. On failure the counts go back into the
    /// buffer, so none is lost. Returns how many (code, day) rows were written.
    pub async fn flush(&self, store: &Store) -> Result<usize> {
        let batch: Vec<((String, chrono::NaiveDate), i64)> = {
            let mut p = self.pending.lock().expect("scan lock");
            p.drain()
                .flat_map(|(day, codes)| codes.into_iter().map(move |(t, n)| ((t, day), n)))
                .collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let result = async {
            let mut tx = store.begin().await?;
            for ((token, day), n) in &batch {
                db::add_scans(tx.conn(), token, &day.to_string(), *n).await?;
            }
            tx.commit().await?;
            Ok::<usize, Error>(batch.len())
        }
        .await;
        if result.is_err() {
            let mut p = self.pending.lock().expect("scan lock");
            for ((token, day), n) in batch {
                *p.entry(day).or_default().entry(token).or_insert(0) += n;
            }
        }
        result
    }

    /// Scans per day of a code, stored and buffered together.
    pub async fn scans(&self, store: &Store, token: &str) -> Result<Vec<(String, i64)>> {
        let mut by_day: std::collections::BTreeMap<String, i64> = {
            let mut conn = store.read().await?;
            db::scans(&mut conn, token).await?.into_iter().collect()
        };
        for (d, n) in self.pending_for(token) {
            *by_day.entry(d).or_insert(0) += n;
        }
        Ok(by_day.into_iter().collect())
    }
}

/// The active code of a target, made on first use. Audited. Callers check that the actor may
/// write the target (`places::qr_code`, `places::plates::sheet`).
pub(crate) async fn code_for(
    store: &Store,
    actor: &Actor,
    target: TargetType,
    target_id: &str,
    unit_id: Option<&str>,
) -> Result<QrRow> {
    {
        let mut conn = store.read().await?;
        if let Some(active) = db::for_target(&mut conn, target.as_str(), target_id)
            .await?
            .into_iter()
            .find(|r| r.retired_at.is_none())
        {
            return Ok(active);
        }
    }
    let row = QrRow {
        token: new_token(),
        target_type: target.as_str().into(),
        target_id: target_id.into(),
        unit_id: unit_id.map(str::to_string),
        created_by: actor.username.clone(),
        created_at: xaso_storage::now(),
        retired_at: None,
        retired_reason: None,
    };
    let mut tx = store.begin().await?;
    db::insert(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "qr_code",
            record_id: &row.token,
            unit_id,
            before: None,
            after: Some(json!({"target": format!("{}:{}", row.target_type, row.target_id)})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The codes of a target with their scan totals, newest first.
pub async fn codes_of(
    store: &Store,
    resolver: &Resolver,
    target: TargetType,
    target_id: &str,
) -> Result<Vec<QrCode>> {
    let rows = {
        let mut conn = store.read().await?;
        db::for_target(&mut conn, target.as_str(), target_id).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let total = resolver
            .scans(store, &r.token)
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        out.push(QrCode {
            token: r.token,
            target_type: r.target_type,
            target_id: r.target_id,
            created_at: r.created_at,
            retired: r.retired_at.is_some(),
            scans_total: total,
        });
    }
    Ok(out)
}

/// Whether the actor may manage the codes of a code's target (the target's staff).
async fn may_manage(store: &Store, actor: Option<&Actor>, row: &QrRow) -> Result<Actor> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let allowed = match TargetType::parse(&row.target_type) {
        Some(TargetType::Place) => {
            let place = crate::places::get(store, Some(actor), &row.target_id).await?;
            crate::places::may_write(store, Some(actor), &place).await?
        }
        Some(TargetType::TrainingSession | TargetType::Certificate) => match &row.unit_id {
            Some(unit) => crate::dt::manages(store, Some(actor), unit).await?,
            None => false,
        },
        Some(TargetType::Asset) => match &row.unit_id {
            Some(unit) => crate::ict::manages(store, Some(actor), unit).await?,
            None => false,
        },
        None => false,
    };
    if allowed {
        Ok(actor.clone())
    } else {
        Err(Error::Forbidden)
    }
}

/// Withdraws a code (staff of its target's unit). Its URL then shows a page saying so, with
/// the reason. Audited. Returns the code, so the caller can go back to its target.
pub async fn retire(
    store: &Store,
    resolver: &Resolver,
    actor: Option<&Actor>,
    token: &str,
    reason: &str,
) -> Result<QrRow> {
    let row = {
        let mut conn = store.read().await?;
        db::by_token(&mut conn, token)
            .await?
            .ok_or(Error::NotFound)?
    };
    let actor = may_manage(store, actor, &row).await?;
    let reason = xaso_domain::text::clean(reason);
    let mut tx = store.begin().await?;
    db::retire(tx.conn(), token, &xaso_storage::now(), &reason).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "qr_code",
            record_id: token,
            unit_id: row.unit_id.as_deref(),
            before: Some(json!({"retired": false})),
            after: Some(json!({"retired": true, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    resolver.invalidate(token);
    Ok(row)
}

/// The QR symbol of a URL as SVG (black on white, quiet zone included).
pub fn svg(url: &str) -> Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(|e| Error::Internal(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// The modules of a URL's QR symbol: (width, dark?) row by row, quiet zone included.
pub fn modules(url: &str) -> Result<(usize, Vec<bool>)> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(|e| Error::Internal(format!("qr: {e}")))?;
    let w = code.width();
    let quiet = 4;
    let full = w + 2 * quiet;
    let colors = code.to_colors();
    let mut out = vec![false; full * full];
    for y in 0..w {
        for x in 0..w {
            out[(y + quiet) * full + x + quiet] = colors[y * w + x] == qrcode::Color::Dark;
        }
    }
    Ok((full, out))
}

fn pdf_rect(x: f32, y: f32, w: f32, h: f32) -> Vec<(printpdf::Point, bool)> {
    use printpdf::{Mm, Point};
    vec![
        (Point::new(Mm(x), Mm(y)), false),
        (Point::new(Mm(x + w), Mm(y)), false),
        (Point::new(Mm(x + w), Mm(y + h)), false),
        (Point::new(Mm(x), Mm(y + h)), false),
    ]
}

/// Draws a QR symbol with its lower-left corner at (x, y): one filled rectangle per run of dark
/// modules in a row, so a symbol is a few hundred shapes, not a thousand.
pub fn draw_pdf(
    layer: &printpdf::PdfLayerReference,
    url: &str,
    x: f32,
    y: f32,
    size: f32,
) -> Result<()> {
    let (n, dark) = modules(url)?;
    let m = size / n as f32;
    let mut rings = Vec::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if dark[row * n + col] {
                let start = col;
                while col < n && dark[row * n + col] {
                    col += 1;
                }
                // Rows run top-down in the symbol, bottom-up on the page.
                rings.push(pdf_rect(
                    x + start as f32 * m,
                    y + size - (row + 1) as f32 * m,
                    (col - start) as f32 * m,
                    m,
                ));
            } else {
                col += 1;
            }
        }
    }
    layer.set_fill_color(printpdf::Color::Rgb(printpdf::Rgb::new(
        0.0, 0.0, 0.0, None,
    )));
    layer.add_polygon(printpdf::Polygon {
        rings,
        ..Default::default()
    });
    Ok(())
}

/// The QR symbol of a URL as a grey-scale PNG, `scale` pixels per module.
pub fn png(url: &str, scale: usize) -> Result<Vec<u8>> {
    let (full, dark) = modules(url)?;
    let scale = scale.clamp(1, 40);
    let side = full * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, d) in dark.iter().enumerate() {
        if *d {
            let (mx, my) = (i % full, i / full);
            for y in my * scale..(my + 1) * scale {
                pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| Error::Internal(format!("png: {e}")))?;
        w.write_image_data(&pixels)
            .map_err(|e| Error::Internal(format!("png: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_short_and_recognisable() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(looks_like_token(&a) && looks_like_token(&b));
        assert!(!looks_like_token("abc"));
        assert!(!looks_like_token("ABCDEFGHJKMNP"));
        assert!(
            !looks_like_token("abcdefghjkmnl"),
            "l is not in the alphabet"
        );
        let distinct: std::collections::BTreeSet<u8> = ALPHABET.iter().copied().collect();
        assert_eq!(distinct.len(), 32);
    }
}

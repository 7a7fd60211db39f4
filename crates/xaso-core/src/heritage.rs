//! Heritage: photos of places, relic pages (rank, texts in several languages, audio guides),
//! tours and the scan statistics of a commune's relics. Staff of a place's unit write; everyone
//! reads, except photos of a household that has not agreed to be shown.

pub mod poster;

use std::io::Cursor;

use chrono::{Duration, NaiveDate};
use image::{DynamicImage, ImageDecoder, ImageReader};
use serde_json::json;
use xaso_domain::heritage::{self as dom, Relic, RelicInput, Texts, TourInput, TourText};
use xaso_domain::places::PlaceKind;
use xaso_domain::units::Unit;
use xaso_storage::files::Files;
use xaso_storage::heritage::{self as db, AudioRow, PhotoRow, RelicRow, TourRow};
use xaso_storage::Store;

use crate::places::{self, Place, WRITERS};
use crate::{authz, Actor, Error, Result};

/// Largest photo accepted (phones take 3–8 MB pictures).
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;
/// Largest audio guide accepted (ten minutes of speech at 128 kbit/s is about 10 MB).
pub const MAX_AUDIO_BYTES: usize = 40 * 1024 * 1024;
/// Most photos of one place.
pub const MAX_PHOTOS: i64 = 30;
/// Long side of a stored photo and of its thumbnail, in pixels.
const FULL_PX: u32 = 1600;
const THUMB_PX: u32 = 480;
/// Largest picture decoded (guards against a small file that unpacks into gigabytes).
const MAX_DECODE_PX: u32 = 12_000;

#[derive(Debug, Clone)]
pub struct Photo {
    pub id: String,
    pub width: i64,
    pub height: i64,
    pub size: i64,
    pub caption: String,
}

impl From<PhotoRow> for Photo {
    fn from(r: PhotoRow) -> Photo {
        Photo {
            id: r.id,
            width: r.width,
            height: r.height,
            size: r.size,
            caption: r.caption,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Audio {
    pub id: String,
    pub lang: String,
    pub title: String,
    pub content_type: String,
    pub size: i64,
}

impl From<AudioRow> for Audio {
    fn from(r: AudioRow) -> Audio {
        Audio {
            id: r.id,
            lang: r.lang,
            title: r.title,
            content_type: r.content_type,
            size: r.size,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TourSummary {
    pub id: String,
    pub texts: Texts<TourText>,
}

/// A place with what a visitor sees of it: relic details when it is a relic, photos, audio
/// guides, and the tours passing by.
#[derive(Debug, Clone)]
pub struct Heritage {
    pub place: Place,
    pub relic: Option<Relic>,
    pub photos: Vec<Photo>,
    pub audio: Vec<Audio>,
    pub tours: Vec<TourSummary>,
    pub updated_at: Option<String>,
}

impl Heritage {
    /// The languages a visitor can switch to: Vietnamese first, then the rest.
    pub fn languages(&self) -> Vec<String> {
        let mut out: Vec<String> = vec!["vi".into()];
        if let Some(r) = &self.relic {
            out.extend(r.texts.keys().filter(|k| *k != "vi").cloned());
        }
        for a in &self.audio {
            if !out.contains(&a.lang) {
                out.push(a.lang.clone());
            }
        }
        out
    }
}

fn relic_of(row: RelicRow) -> Option<Relic> {
    Some(Relic {
        rank: dom::Rank::parse(&row.rank)?,
        decision: row.decision,
        texts: serde_json::from_str(&row.texts).ok()?,
    })
}

fn tour_summary(row: TourRow) -> TourSummary {
    TourSummary {
        id: row.id,
        texts: serde_json::from_str(&row.texts).unwrap_or_default(),
    }
}

/// Photos are public, except a household's when it has not agreed to be shown.
fn photos_public(p: &Place) -> bool {
    p.kind != PlaceKind::Household || p.public_name
}

/// Everything the public page of a place shows (and, for its staff, the contacts).
pub async fn heritage(store: &Store, actor: Option<&Actor>, place_id: &str) -> Result<Heritage> {
    let place = places::get(store, actor, place_id).await?;
    let staff = places::may_write(store, actor, &place).await?;
    let mut conn = store.read().await?;
    let relic_row = db::relic(&mut conn, place_id).await?;
    let updated_at = relic_row.as_ref().map(|r| r.updated_at.clone());
    let relic = relic_row.and_then(relic_of);
    let photos = if staff || photos_public(&place) {
        db::photos_of(&mut conn, place_id).await?
    } else {
        Vec::new()
    };
    let audio = db::audio_of(&mut conn, place_id).await?;
    let tours = db::tours_through(&mut conn, place_id).await?;
    Ok(Heritage {
        place,
        relic,
        photos: photos.into_iter().map(Photo::from).collect(),
        audio: audio.into_iter().map(Audio::from).collect(),
        tours: tours.into_iter().map(tour_summary).collect(),
        updated_at,
    })
}

/// Sets a relic's rank, decision and texts. The place must be of kind relic.
pub async fn set_relic(
    store: &Store,
    actor: Option<&Actor>,
    place_id: &str,
    input: &RelicInput,
) -> Result<Relic> {
    let (row, target, actor) = places::writable(store, actor, place_id).await?;
    if row.kind != PlaceKind::Relic.as_str() {
        return Err(Error::invalid("kind", "only a relic has heritage details"));
    }
    let relic = input.check().map_err(places::problems)?;
    let texts = serde_json::to_string(&relic.texts).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    let before = db::relic(tx.conn(), place_id).await?;
    db::upsert_relic(
        tx.conn(),
        &RelicRow {
            place_id: place_id.into(),
            rank: relic.rank.as_str().into(),
            decision: relic.decision.clone(),
            texts: texts.clone(),
            updated_by: actor.username.clone(),
            updated_at: xaso_storage::now(),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "relic",
            record_id: place_id,
            unit_id: Some(&target),
            before: before.map(|b| json!({"rank": b.rank, "decision": b.decision, "texts": serde_json::from_str::<serde_json::Value>(&b.texts).unwrap_or_default()})),
            after: Some(json!({"rank": relic.rank.as_str(), "decision": relic.decision, "texts": relic.texts})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(relic)
}

/// A photo re-encoded for the web: at most 1600 px on its long side, turned upright, as JPEG,
/// with the camera's metadata (and its GPS position) left behind; and a 480 px thumbnail.
pub struct Processed {
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes and resizes an uploaded photo (JPEG, PNG or WebP). CPU-bound: call off the runtime.
pub fn process_photo(bytes: &[u8]) -> Result<Processed> {
    let unreadable = || {
        Error::invalid(
            "photo",
            "the file is not a photo we can read (JPEG, PNG or WebP)",
        )
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| unreadable())?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::WebP)
    ) {
        return Err(unreadable());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODE_PX);
    limits.max_image_height = Some(MAX_DECODE_PX);
    limits.max_alloc = Some(600 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let full = if img.width().max(img.height()) > FULL_PX {
        img.resize(FULL_PX, FULL_PX, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let thumb = full.thumbnail(THUMB_PX, THUMB_PX);
    let jpeg = |i: &DynamicImage, quality: u8| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let rgb = i.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&rgb)
            .map_err(|e| Error::Internal(format!("jpeg: {e}")))?;
        Ok(out)
    };
    Ok(Processed {
        full: jpeg(&full, 82)?,
        thumb: jpeg(&thumb, 75)?,
        width: full.width(),
        height: full.height(),
    })
}

/// Stores a processed photo and its thumbnail under `dir` (`{dir}/{id}.jpg`,
/// `{dir}/{id}-thumb.jpg`); returns both keys. Callers write their row after this, so a crash
/// leaves orphan files, never a row without its file.
pub(crate) async fn put_photo(
    files: &Files,
    dir: &str,
    id: &str,
    processed: Processed,
) -> Result<(String, String)> {
    let object_key = format!("{dir}/{id}.jpg");
    let thumb_key = format!("{dir}/{id}-thumb.jpg");
    for (key, body) in [(&object_key, processed.full), (&thumb_key, processed.thumb)] {
        files
            .put(key, body)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    Ok((object_key, thumb_key))
}

/// Adds a photo to a place (any kind). The stored picture is the re-encoded one.
pub async fn add_photo(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    place_id: &str,
    bytes: Vec<u8>,
    caption: &str,
) -> Result<Photo> {
    let (_, target, actor) = places::writable(store, actor, place_id).await?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::invalid("photo", "the photo is larger than 20 MB"));
    }
    let caption = xaso_domain::text::clean(caption);
    if caption.chars().count() > 300 {
        return Err(Error::invalid(
            "caption",
            "the caption is too long (300 characters at most)",
        ));
    }
    {
        let mut conn = store.read().await?;
        if db::photos_of(&mut conn, place_id).await?.len() as i64 >= MAX_PHOTOS {
            return Err(Error::invalid(
                "photo",
                "a place has at most 30 photos; remove one first",
            ));
        }
    }
    let processed = tokio::task::spawn_blocking(move || process_photo(&bytes))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let id = xaso_storage::new_id();
    let size = processed.full.len() as i64;
    let (width, height) = (processed.width as i64, processed.height as i64);
    let (object_key, thumb_key) =
        put_photo(files, &format!("photos/{place_id}"), &id, processed).await?;
    let mut tx = store.begin().await?;
    let row = PhotoRow {
        id: id.clone(),
        place_id: place_id.into(),
        object_key,
        thumb_key,
        width,
        height,
        size,
        caption,
        position: db::next_photo_position(tx.conn(), place_id).await?,
        uploaded_by: actor.username.clone(),
        uploaded_at: xaso_storage::now(),
    };
    db::insert_photo(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "place_photo",
            record_id: &id,
            unit_id: Some(&target),
            before: None,
            after: Some(json!({"place": place_id, "caption": row.caption, "width": row.width, "height": row.height})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Photo::from(row))
}

/// Removes a photo (staff of the place's unit).
pub async fn remove_photo(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    photo_id: &str,
) -> Result<String> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (_, target, actor) = places::writable(store, actor, &row.place_id).await?;
    let mut tx = store.begin().await?;
    db::delete_photo(tx.conn(), photo_id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "place_photo",
            record_id: photo_id,
            unit_id: Some(&target),
            before: Some(json!({"place": row.place_id, "caption": row.caption})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    for key in [&row.object_key, &row.thumb_key] {
        if let Err(e) = files.delete(key).await {
            tracing::warn!(error = %e, key = %key, "photo file left behind");
        }
    }
    Ok(row.place_id)
}

/// The bytes of a photo (JPEG) or its thumbnail, for whoever may see the place's photos.
pub async fn photo_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    photo_id: &str,
    thumb: bool,
) -> Result<Vec<u8>> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let place = places::get(store, actor, &row.place_id).await?;
    if !photos_public(&place) && !places::may_write(store, actor, &place).await? {
        // Not "forbidden": a visitor must not learn that a private photo exists.
        return Err(Error::NotFound);
    }
    let key = if thumb {
        &row.thumb_key
    } else {
        &row.object_key
    };
    files
        .get(key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Adds an audio guide in one language to a relic.
pub async fn add_audio(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    place_id: &str,
    lang: &str,
    title: &str,
    upload: &crate::upload::Spooled,
) -> Result<Audio> {
    let (row, target, actor) = places::writable(store, actor, place_id).await?;
    if row.kind != PlaceKind::Relic.as_str() {
        return Err(Error::invalid("kind", "only a relic has audio guides"));
    }
    let lang = lang.trim();
    if !dom::valid_lang(lang) {
        return Err(Error::invalid(
            "lang",
            "a language code is two or three letters, like vi or en",
        ));
    }
    if upload.len > MAX_AUDIO_BYTES as u64 {
        return Err(Error::invalid(
            "audio",
            "the audio file is larger than 40 MB",
        ));
    }
    let head = upload
        .head(16)
        .map_err(|e| Error::Internal(format!("the upload's temporary file: {e}")))?;
    let Some((mime, ext)) = dom::audio_type(&head) else {
        return Err(Error::invalid(
            "audio",
            "the file is not an audio recording we can play (MP3, M4A, OGG, WAV, FLAC, WebM)",
        ));
    };
    let title = xaso_domain::text::clean(title);
    if title.chars().count() > 200 {
        return Err(Error::invalid(
            "title",
            "the title is too long (200 characters at most)",
        ));
    }
    let id = xaso_storage::new_id();
    let object_key = format!("audio/{place_id}/{id}.{ext}");
    let size = files
        .put_file(&object_key, upload.path())
        .await
        .map_err(|e| Error::Internal(e.to_string()))? as i64;
    let row = AudioRow {
        id: id.clone(),
        place_id: place_id.into(),
        lang: lang.into(),
        title,
        object_key,
        content_type: mime.into(),
        size,
        uploaded_by: actor.username.clone(),
        uploaded_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::insert_audio(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "relic_audio",
            record_id: &id,
            unit_id: Some(&target),
            before: None,
            after: Some(
                json!({"place": place_id, "lang": row.lang, "title": row.title, "size": size}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Audio::from(row))
}

/// Removes an audio guide.
pub async fn remove_audio(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    audio_id: &str,
) -> Result<String> {
    let row = {
        let mut conn = store.read().await?;
        db::audio(&mut conn, audio_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (_, target, actor) = places::writable(store, actor, &row.place_id).await?;
    let mut tx = store.begin().await?;
    db::delete_audio(tx.conn(), audio_id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "relic_audio",
            record_id: audio_id,
            unit_id: Some(&target),
            before: Some(json!({"place": row.place_id, "lang": row.lang, "title": row.title})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    if let Err(e) = files.delete(&row.object_key).await {
        tracing::warn!(error = %e, key = %row.object_key, "audio file left behind");
    }
    Ok(row.place_id)
}

/// Where an audio guide's bytes are: (content type, object key, size). Public.
pub async fn audio_object(store: &Store, audio_id: &str) -> Result<(String, String, u64)> {
    let mut conn = store.read().await?;
    let row = db::audio(&mut conn, audio_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((row.content_type, row.object_key, row.size.max(0) as u64))
}

/// The relics of a unit (a commune, a village or a whole area) with their details.
pub async fn relics_in(
    store: &Store,
    unit_code: &str,
) -> Result<(Unit, Vec<(Place, Option<Relic>)>)> {
    let q = places::Query {
        kind: Some(PlaceKind::Relic),
        limit: 500,
        ..Default::default()
    };
    let (unit, list) = places::list(store, unit_code, &q).await?;
    let ids: Vec<String> = list.iter().map(|p| p.id.clone()).collect();
    let rows = {
        let mut conn = store.read().await?;
        db::relics_of(&mut conn, &ids).await?
    };
    let mut by_id: std::collections::HashMap<String, Relic> = rows
        .into_iter()
        .filter_map(|r| {
            let id = r.place_id.clone();
            relic_of(r).map(|x| (id, x))
        })
        .collect();
    let mut out: Vec<(Place, Option<Relic>)> = list
        .into_iter()
        .map(|p| {
            let r = by_id.remove(&p.id);
            (p, r)
        })
        .collect();
    // Highest rank first, then by name (the list came sorted by name).
    let order = |r: &Option<Relic>| {
        r.as_ref()
            .and_then(|r| dom::Rank::ALL.iter().position(|x| *x == r.rank))
            .unwrap_or(dom::Rank::ALL.len())
    };
    out.sort_by_key(|(_, r)| order(r));
    Ok((unit, out))
}

/// A tour with its stops in order.
#[derive(Debug, Clone)]
pub struct Tour {
    pub id: String,
    pub unit: Unit,
    pub texts: Texts<TourText>,
    pub stops: Vec<(Place, Option<Relic>)>,
}

pub async fn tour(store: &Store, id: &str) -> Result<Tour> {
    let (row, stop_ids, unit) = {
        let mut conn = store.read().await?;
        let row = db::tour(&mut conn, id).await?.ok_or(Error::NotFound)?;
        let stops = db::stops(&mut conn, id).await?;
        let unit = xaso_storage::units::by_id(&mut conn, &row.unit_id)
            .await?
            .ok_or(Error::NotFound)?;
        (row, stops, unit)
    };
    let relics: std::collections::HashMap<String, RelicRow> = {
        let mut conn = store.read().await?;
        db::relics_of(&mut conn, &stop_ids)
            .await?
            .into_iter()
            .map(|r| (r.place_id.clone(), r))
            .collect()
    };
    let mut stops = Vec::with_capacity(stop_ids.len());
    for sid in &stop_ids {
        let p = places::get(store, None, sid).await?;
        stops.push((p, relics.get(sid).cloned().and_then(relic_of)));
    }
    Ok(Tour {
        id: row.id,
        unit,
        texts: serde_json::from_str(&row.texts).unwrap_or_default(),
        stops,
    })
}

/// The tours of a unit, and those passing through any of its relics.
pub async fn tours_in(
    store: &Store,
    unit: &Unit,
    relic_ids: &[String],
) -> Result<Vec<TourSummary>> {
    let mut conn = store.read().await?;
    let mut rows = db::tours_of(&mut conn, std::slice::from_ref(&unit.id)).await?;
    for id in relic_ids {
        for t in db::tours_through(&mut conn, id).await? {
            if !rows.iter().any(|r| r.id == t.id) {
                rows.push(t);
            }
        }
    }
    Ok(rows.into_iter().map(tour_summary).collect())
}

/// Creates a tour in a unit (`id` None) or rewrites one. Every stop must be a relic inside the
/// unit; staff of the unit only.
pub async fn save_tour(
    store: &Store,
    actor: Option<&Actor>,
    unit_code: &str,
    id: Option<&str>,
    input: &TourInput,
) -> Result<String> {
    let unit = crate::units::by_code(store, unit_code, xaso_domain::time::today_vn()).await?;
    let actor = authz::require_role_over(store, actor, WRITERS, &unit.id).await?;
    let (texts, stops) = input.check().map_err(places::problems)?;
    let before = match id {
        Some(id) => {
            let mut conn = store.read().await?;
            let t = db::tour(&mut conn, id).await?.ok_or(Error::NotFound)?;
            if t.unit_id != unit.id {
                return Err(Error::NotFound);
            }
            Some(t)
        }
        None => None,
    };
    {
        let mut conn = store.read().await?;
        let mut problems = Vec::new();
        for (i, s) in stops.iter().enumerate() {
            let ok = match xaso_storage::places::by_id(&mut conn, s).await? {
                Some(p) => {
                    p.kind == PlaceKind::Relic.as_str()
                        && authz::covers(&mut conn, &unit.id, &p.commune_id).await?
                }
                None => false,
            };
            if !ok {
                problems.push(crate::error::Problem::new(
                    format!("stop {}", i + 1),
                    "not a relic of this unit",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
    }
    let now = xaso_storage::now();
    let row = TourRow {
        id: before
            .as_ref()
            .map(|b| b.id.clone())
            .unwrap_or_else(xaso_storage::new_id),
        unit_id: unit.id.clone(),
        texts: serde_json::to_string(&texts).map_err(|e| Error::Internal(e.to_string()))?,
        created_by: before
            .as_ref()
            .map(|b| b.created_by.clone())
            .unwrap_or_else(|| actor.username.clone()),
        created_at: before
            .as_ref()
            .map(|b| b.created_at.clone())
            .unwrap_or_else(|| now.clone()),
        updated_by: actor.username.clone(),
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    let old_stops = match &before {
        Some(b) => db::stops(tx.conn(), &b.id).await?,
        None => Vec::new(),
    };
    db::save_tour(tx.conn(), &row, &stops).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "tour",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: before.map(|b| json!({"texts": serde_json::from_str::<serde_json::Value>(&b.texts).unwrap_or_default(), "stops": old_stops})),
            after: Some(json!({"texts": texts, "stops": stops})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Deletes a tour (its relics stay).
pub async fn delete_tour(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Unit> {
    let (row, unit) = {
        let mut conn = store.read().await?;
        let row = db::tour(&mut conn, id).await?.ok_or(Error::NotFound)?;
        let unit = xaso_storage::units::by_id(&mut conn, &row.unit_id)
            .await?
            .ok_or(Error::NotFound)?;
        (row, unit)
    };
    let actor = authz::require_role_over(store, actor, WRITERS, &unit.id).await?;
    let mut tx = store.begin().await?;
    let stops = db::stops(tx.conn(), id).await?;
    db::delete_tour(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "tour",
            record_id: id,
            unit_id: Some(&unit.id),
            before: Some(json!({"texts": serde_json::from_str::<serde_json::Value>(&row.texts).unwrap_or_default(), "stops": stops})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(unit)
}

/// Scans of one relic: all-time, in the window, and per day of the window.
#[derive(Debug, Clone)]
pub struct RelicScans {
    pub place: Place,
    pub relic: Option<Relic>,
    pub total: i64,
    pub in_window: i64,
    pub last_7: i64,
    pub by_day: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct ScanStats {
    pub unit: Unit,
    /// The days of the window, oldest first.
    pub days: Vec<NaiveDate>,
    pub relics: Vec<RelicScans>,
}

/// Scan statistics of a commune's relics over the last `days` days (staff of the commune).
pub async fn scan_stats(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    days: i64,
) -> Result<ScanStats> {
    let (unit, relics) = relics_in(store, commune_code).await?;
    authz::require_role_over(store, actor, WRITERS, &unit.id).await?;
    let days = days.clamp(7, 366);
    let today = xaso_domain::time::today_vn();
    let first = today - Duration::days(days - 1);
    let window: Vec<NaiveDate> = (0..days).map(|i| first + Duration::days(i)).collect();
    // The relics of a commune, or of every commune of an area.
    let communes: Vec<String> = {
        let mut ids: Vec<String> = relics.iter().map(|(p, _)| p.commune.id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let mut daily: Vec<(String, String, i64)> = Vec::new();
    let mut totals: std::collections::HashMap<String, i64> = Default::default();
    {
        let mut conn = store.read().await?;
        let since = first.format("%Y-%m-%d").to_string();
        for c in &communes {
            daily.extend(db::relic_scans(&mut conn, c, &since).await?);
            totals.extend(db::relic_scan_totals(&mut conn, c).await?);
        }
    }
    let week_start = today - Duration::days(6);
    let out = relics
        .into_iter()
        .map(|(place, relic)| {
            let mut by_day = vec![0i64; window.len()];
            let mut last_7 = 0;
            for (_, day, n) in daily.iter().filter(|(pid, _, _)| *pid == place.id) {
                if let Ok(d) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                    let i = (d - first).num_days();
                    if (0..window.len() as i64).contains(&i) {
                        by_day[i as usize] += n;
                    }
                    if d >= week_start {
                        last_7 += n;
                    }
                }
            }
            RelicScans {
                total: totals.get(&place.id).copied().unwrap_or(0),
                in_window: by_day.iter().sum(),
                last_7,
                by_day,
                place,
                relic,
            }
        })
        .collect();
    Ok(ScanStats {
        unit,
        days: window,
        relics: out,
    })
}

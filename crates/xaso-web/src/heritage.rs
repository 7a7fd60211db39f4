//! Heritage pages: the public page of a relic (texts in the visitor's language, photos, audio
//! guide, hours, location), a unit's relics and tours, a tour with its map; and for staff the
//! editing page (details, photos, audio), QR posters and the relics' scan statistics.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::heritage::{Audio, Heritage, ScanStats, Tour, TourSummary};
use xaso_core::places::Place;
use xaso_core::Error;
use xaso_domain::heritage::{
    language_name, pick, Rank, Relic, RelicInput, RelicText, Texts, TourInput, TourText,
};
use xaso_domain::places::PlaceKind;
use xaso_domain::units::Unit;

use crate::ctx::{CsrfForm, Ctx, Page};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::{render, AppState};

/// JSON for the map script, safe inside `<script type="application/json">`.
fn map_json(v: serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

fn paragraphs(s: &str) -> Vec<String> {
    s.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn rank_name(p: &Page, r: Rank) -> &'static str {
    p.t(&format!("heritage.rank_{}", r.as_str()))
}

/// The content language a visitor asked for (`?lang=`), else the page's language. Vietnamese
/// and English also switch the page around the text.
fn content_lang(ctx: &mut Ctx, asked: Option<&str>) -> String {
    let asked = asked
        .map(str::trim)
        .filter(|l| xaso_domain::heritage::valid_lang(l));
    if let Some(l) = asked.and_then(Lang::parse) {
        ctx.lang = l;
    }
    asked
        .map(str::to_string)
        .unwrap_or_else(|| ctx.lang.code().to_string())
}

#[derive(Deserialize, Default)]
pub struct LangQuery {
    pub(crate) lang: Option<String>,
}

#[derive(Template)]
#[template(path = "heritage/relic.html")]
struct RelicPage {
    p: Page,
    h: Heritage,
    /// The language of the texts shown, and its name.
    lang: String,
    text: RelicText,
    rank: Option<Rank>,
    decision: String,
    langs: Vec<(String, String, bool)>,
    audio: Vec<Audio>,
    history: Vec<String>,
    summary: Vec<String>,
    lat: String,
    lng: String,
    map: String,
    can_write: bool,
}

impl RelicPage {
    fn rank_label(&self) -> &'static str {
        match self.rank {
            Some(r) => rank_name(&self.p, r),
            None => self.p.t("place_kind.relic"),
        }
    }

    fn tour_name(&self, t: &TourSummary) -> String {
        pick(&t.texts, &self.lang)
            .map(|(_, x)| x.name.clone())
            .unwrap_or_default()
    }

    fn url_code(&self) -> String {
        self.h.place.plus_code.replace('+', "%2B")
    }
}

/// Public page of a relic (what its QR code opens), in the visitor's language.
pub async fn relic_page(
    state: &AppState,
    mut ctx: Ctx,
    h: Heritage,
    asked: Option<&str>,
) -> Result<Response, PageError> {
    let lang = content_lang(&mut ctx, asked);
    let can_write =
        xaso_core::places::may_write(&state.store, ctx.actor.as_ref(), &h.place).await?;
    let (shown, text) = match &h.relic {
        Some(r) => pick(&r.texts, &lang)
            .map(|(l, t)| (l.to_string(), t.clone()))
            .unwrap_or_else(|| ("vi".into(), RelicText::default())),
        None => ("vi".into(), RelicText::default()),
    };
    let text = RelicText {
        name: if text.name.is_empty() {
            h.place.name.clone()
        } else {
            text.name
        },
        ..text
    };
    let available = h.languages();
    let langs = available
        .iter()
        .map(|l| {
            let current = *l == lang || (*l == shown && !available.contains(&lang));
            (l.clone(), language_name(l), current)
        })
        .collect();
    // The audio in the language shown; if there is none, every recording.
    let mut audio: Vec<Audio> = h.audio.iter().filter(|a| a.lang == lang).cloned().collect();
    if audio.is_empty() {
        audio = h
            .audio
            .iter()
            .filter(|a| a.lang == shown)
            .cloned()
            .collect();
    }
    if audio.is_empty() {
        audio = h.audio.clone();
    }
    let p = ctx.page();
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url,
        "attribution": if state.config.tile_url.contains("openstreetmap.org") { "© OpenStreetMap" } else { "" },
        "points": [{"lat": h.place.latitude, "lng": h.place.longitude, "kind": "relic",
            "label": text.name, "sub": h.place.plus_code}],
    }));
    let (rank, decision) = match &h.relic {
        Some(r) => (Some(r.rank), r.decision.clone()),
        None => (None, String::new()),
    };
    let page = RelicPage {
        lat: format!("{:.6}", h.place.latitude),
        lng: format!("{:.6}", h.place.longitude),
        history: paragraphs(&text.history),
        summary: paragraphs(&text.summary),
        p,
        lang: shown,
        text,
        rank,
        decision,
        langs,
        audio,
        map,
        can_write,
        h,
    };
    Ok(render(&page))
}

/// A photo or its thumbnail. Photo ids never change content, so browsers keep them.
pub async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let (id, thumb) = match file.strip_suffix("-thumb.jpg") {
        Some(id) => (id.to_string(), true),
        None => (file.trim_end_matches(".jpg").to_string(), false),
    };
    let bytes =
        xaso_core::heritage::photo_file(&state.store, &state.files, ctx.actor.as_ref(), &id, thumb)
            .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
        ],
        bytes,
    )
        .into_response())
}

/// An audio guide, streamed, with byte ranges so a phone can seek and resume.
pub async fn audio(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let id = file.split('.').next().unwrap_or("");
    let (mime, key, size) = xaso_core::heritage::audio_object(&state.store, id).await?;
    crate::files::send(
        crate::files::For::Page,
        &state.files,
        &key,
        &mime,
        size,
        &headers,
        &[(header::CACHE_CONTROL, "public, max-age=86400".into())],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Staff: editing a place's heritage details, photos and audio.

/// One language's fields on the relic form.
#[derive(Debug, Clone, Default)]
struct LangFields {
    code: String,
    name: String,
    summary: String,
    history: String,
    hours: String,
}

#[derive(Template)]
#[template(path = "heritage/edit.html")]
struct EditPage {
    p: Page,
    h: Heritage,
    is_relic: bool,
    rank: String,
    decision: String,
    langs: Vec<LangFields>,
    ranks: Vec<(&'static str, &'static str)>,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl EditPage {
    fn lang_label(&self, code: &str) -> String {
        match language_name(code) {
            n if n == code => code.to_string(),
            n => format!("{n} ({code})"),
        }
    }
}

fn lang_fields(relic: Option<&Relic>) -> Vec<LangFields> {
    let mut out: Vec<LangFields> = Vec::new();
    let texts = relic.map(|r| r.texts.clone()).unwrap_or_default();
    for code in ["vi", "en"] {
        let t = texts.get(code).cloned().unwrap_or_default();
        out.push(LangFields {
            code: code.into(),
            name: t.name,
            summary: t.summary,
            history: t.history,
            hours: t.hours,
        });
    }
    for (code, t) in texts.iter().filter(|(k, _)| *k != "vi" && *k != "en") {
        out.push(LangFields {
            code: code.clone(),
            name: t.name.clone(),
            summary: t.summary.clone(),
            history: t.history.clone(),
            hours: t.hours.clone(),
        });
    }
    // One empty slot for another language.
    out.push(LangFields::default());
    out
}

async fn edit_page(state: &AppState, ctx: &Ctx, id: &str) -> Result<EditPage, PageError> {
    let h = xaso_core::heritage::heritage(&state.store, ctx.actor.as_ref(), id).await?;
    if !xaso_core::places::may_write(&state.store, ctx.actor.as_ref(), &h.place).await? {
        return Err(PageError::page(if ctx.actor.is_some() {
            Error::Forbidden
        } else {
            Error::Unauthenticated
        }));
    }
    let p = ctx.page();
    let ranks = Rank::ALL
        .iter()
        .map(|r| (r.as_str(), rank_name(&p, *r)))
        .collect();
    Ok(EditPage {
        is_relic: h.place.kind == PlaceKind::Relic,
        rank: h
            .relic
            .as_ref()
            .map(|r| r.rank.as_str().to_string())
            .unwrap_or_default(),
        decision: h
            .relic
            .as_ref()
            .map(|r| r.decision.clone())
            .unwrap_or_default(),
        langs: lang_fields(h.relic.as_ref()),
        ranks,
        p,
        h,
        errors: Vec::new(),
        saved: false,
    })
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// The heritage editing page of a place: photos for any place; details and audio for relics.
pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/places/{id}/heritage")).into_response());
    }
    let mut page = edit_page(&state, &ctx, &id).await?;
    page.saved = q.saved.is_some();
    Ok(render(&page))
}

fn heritage_problem(ctx: &Ctx, detail: &str) -> String {
    let key = if detail.contains("rank") {
        "heritage.err_rank"
    } else if detail.contains("Vietnamese name") {
        "heritage.err_name_vi"
    } else if detail.contains("needs the") {
        "heritage.err_name"
    } else if detail.contains("language code") {
        "heritage.err_lang"
    } else if detail.contains("too long") {
        "heritage.err_long"
    } else if detail.contains("not a photo") {
        "heritage.err_photo"
    } else if detail.contains("larger than 20 MB") {
        "heritage.err_photo_size"
    } else if detail.contains("at most 30 photos") {
        "heritage.err_photo_count"
    } else if detail.contains("not an audio") {
        "heritage.err_audio"
    } else if detail.contains("larger than 40 MB") {
        "heritage.err_audio_size"
    } else if detail.contains("only a relic") {
        "heritage.err_not_relic"
    } else if detail.contains("at least one relic") {
        "heritage.err_stops"
    } else if detail.contains("not a relic of this unit") {
        "heritage.err_stop"
    } else if detail.contains("at most 50 stops") {
        "heritage.err_stops_many"
    } else {
        return detail.to_string();
    };
    ctx.t(key).to_string()
}

fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    match e {
        Error::Invalid(problems) => Ok(problems
            .into_iter()
            .map(|p| {
                let msg = heritage_problem(ctx, &p.detail);
                (p.at, msg)
            })
            .collect()),
        other => Err(other.into()),
    }
}

/// Reads `name_vi`, `summary_en`, … and the free `lang_x` slot into texts by language.
fn texts_from(fields: &[(String, String)]) -> (Texts<RelicText>, String, String, String) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // Each language is a slot `lang_N` holding its code; an empty slot is a language not added.
    let mut texts = Texts::new();
    for (name, code) in fields {
        let (Some(i), code) = (name.strip_prefix("lang_"), code.trim()) else {
            continue;
        };
        if code.is_empty() {
            continue;
        }
        let t = RelicText {
            name: get(&format!("name_{i}")),
            summary: get(&format!("summary_{i}")),
            history: get(&format!("history_{i}")),
            hours: get(&format!("hours_{i}")),
        };
        texts.insert(code.to_string(), t);
    }
    (texts, get("rank"), get("decision"), get("csrf"))
}

/// Saves a relic's rank, decision and texts.
pub async fn save_relic(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (texts, rank, decision, csrf) = texts_from(&fields);
    ctx.check_form_write(&csrf)?;
    let input = RelicInput {
        rank: rank.clone(),
        decision: decision.clone(),
        texts: texts.clone(),
    };
    match xaso_core::heritage::set_relic(&state.store, ctx.actor.as_ref(), &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/places/{id}/heritage?saved=1")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let mut page = edit_page(&state, &ctx, &id).await?;
            page.rank = rank;
            page.decision = decision;
            let relic = Relic {
                rank: Rank::Listed,
                decision: String::new(),
                texts,
            };
            page.langs = lang_fields(Some(&relic));
            page.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

async fn upload_refused(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    e: Error,
) -> Result<Response, PageError> {
    let errors = refused(ctx, e)?;
    let mut page = edit_page(state, ctx, id).await?;
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

/// Adds a photo (multipart: `file`, `caption`).
pub async fn add_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let caption = upload.field("caption").to_string();
    match xaso_core::heritage::add_photo(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        upload.file,
        &caption,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/places/{id}/heritage?saved=1#photos")).into_response()),
        Err(e) => upload_refused(&state, &ctx, &id, e).await,
    }
}

/// Removes a photo.
pub async fn delete_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let place =
        xaso_core::heritage::remove_photo(&state.store, &state.files, ctx.actor.as_ref(), &id)
            .await?;
    Ok(Redirect::to(&format!("/places/{place}/heritage?saved=1#photos")).into_response())
}

/// Adds an audio guide (multipart: `file`, `lang`, `title`).
pub async fn add_audio(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload =
        crate::files::read_spooled(&ctx, form, xaso_core::heritage::MAX_AUDIO_BYTES).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let lang = upload.field("lang").to_string();
    let title = upload.field("title").to_string();
    match xaso_core::heritage::add_audio(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        &lang,
        &title,
        &upload.file,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/places/{id}/heritage?saved=1#audio")).into_response()),
        Err(e) => upload_refused(&state, &ctx, &id, e).await,
    }
}

/// Removes an audio guide.
pub async fn delete_audio(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let place =
        xaso_core::heritage::remove_audio(&state.store, &state.files, ctx.actor.as_ref(), &id)
            .await?;
    Ok(Redirect::to(&format!("/places/{place}/heritage?saved=1#audio")).into_response())
}

#[derive(Deserialize)]
pub struct PosterQuery {
    size: Option<String>,
}

/// The QR poster of a relic as a PDF (`?size=a4|a5`).
pub async fn poster(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PosterQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/places/{id}/heritage")).into_response());
    }
    let size = xaso_core::heritage::poster::Size::parse(q.size.as_deref().unwrap_or("a4"))
        .ok_or_else(|| PageError::bad_request("size is a4 or a5", false))?;
    let base = crate::qr::base_url(&state, &headers);
    let pdf = xaso_core::heritage::poster::pdf(&state.store, ctx.actor.as_ref(), &id, size, &base)
        .await?;
    let name = match size {
        xaso_core::heritage::poster::Size::A4 => "poster-a4.pdf",
        xaso_core::heritage::poster::Size::A5 => "poster-a5.pdf",
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// A unit's relics and tours; a tour's page; the tour form; scan statistics.

#[derive(Template)]
#[template(path = "heritage/unit.html")]
struct UnitPage {
    p: Page,
    unit: Unit,
    relics: Vec<(Place, Option<Relic>)>,
    tours: Vec<TourSummary>,
    can_write: bool,
}

impl UnitPage {
    fn name(&self, pl: &Place, r: &Option<Relic>) -> String {
        r.as_ref()
            .and_then(|r| pick(&r.texts, self.p.lang.code()))
            .map(|(_, t)| t.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| pl.name.clone())
    }

    fn summary(&self, r: &Option<Relic>) -> String {
        r.as_ref()
            .and_then(|r| pick(&r.texts, self.p.lang.code()))
            .map(|(_, t)| t.summary.clone())
            .unwrap_or_default()
    }

    fn rank(&self, r: &Option<Relic>) -> &'static str {
        match r {
            Some(r) => rank_name(&self.p, r.rank),
            None => self.p.t("place_kind.relic"),
        }
    }

    fn tour_name(&self, t: &TourSummary) -> String {
        pick(&t.texts, self.p.lang.code())
            .map(|(_, x)| x.name.clone())
            .unwrap_or_default()
    }
}

async fn can_write_unit(state: &AppState, ctx: &Ctx, unit: &Unit) -> Result<bool, PageError> {
    Ok(match &ctx.actor {
        Some(a) => {
            xaso_core::authz::has_role_over(&state.store, a, xaso_core::places::WRITERS, &unit.id)
                .await?
        }
        None => false,
    })
}

/// The relics and tours of a commune or area (public).
pub async fn unit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let (unit, relics) = xaso_core::heritage::relics_in(&state.store, &code).await?;
    let ids: Vec<String> = relics.iter().map(|(p, _)| p.id.clone()).collect();
    let tours = xaso_core::heritage::tours_in(&state.store, &unit, &ids).await?;
    let can_write = can_write_unit(&state, &ctx, &unit).await?;
    Ok(render(&UnitPage {
        p: ctx.page(),
        unit,
        relics,
        tours,
        can_write,
    }))
}

#[derive(Template)]
#[template(path = "heritage/tour.html")]
struct TourPage {
    p: Page,
    tour: Tour,
    lang: String,
    text: TourText,
    description: Vec<String>,
    langs: Vec<(String, String, bool)>,
    map: String,
    can_write: bool,
}

impl TourPage {
    fn stop_name(&self, pl: &Place, r: &Option<Relic>) -> String {
        r.as_ref()
            .and_then(|r| pick(&r.texts, &self.lang))
            .map(|(_, t)| t.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| pl.name.clone())
    }

    fn stop_summary(&self, r: &Option<Relic>) -> String {
        r.as_ref()
            .and_then(|r| pick(&r.texts, &self.lang))
            .map(|(_, t)| t.summary.clone())
            .unwrap_or_default()
    }
}

/// A tour: its relics in order on a list and a map (public).
pub async fn tour(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageError> {
    let tour = xaso_core::heritage::tour(&state.store, &id).await?;
    let lang = content_lang(&mut ctx, q.lang.as_deref());
    let text = pick(&tour.texts, &lang)
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let langs = tour
        .texts
        .keys()
        .map(|l| (l.clone(), language_name(l), *l == lang))
        .collect();
    let can_write = can_write_unit(&state, &ctx, &tour.unit).await?;
    let points: Vec<serde_json::Value> = tour
        .stops
        .iter()
        .enumerate()
        .map(|(i, (pl, r))| {
            let name = r
                .as_ref()
                .and_then(|r| pick(&r.texts, &lang))
                .map(|(_, t)| t.name.clone())
                .unwrap_or_else(|| pl.name.clone());
            serde_json::json!({"lat": pl.latitude, "lng": pl.longitude, "kind": "relic",
                "label": format!("{}. {name}", i + 1), "sub": pl.plus_code, "url": format!("/p/{}", pl.id)})
        })
        .collect();
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url,
        "attribution": if state.config.tile_url.contains("openstreetmap.org") { "© OpenStreetMap" } else { "" },
        "points": points, "route": true,
    }));
    Ok(render(&TourPage {
        p: ctx.page(),
        description: paragraphs(&text.description),
        text,
        lang,
        langs,
        map,
        can_write,
        tour,
    }))
}

#[derive(Template)]
#[template(path = "heritage/tour_form.html")]
struct TourFormPage {
    p: Page,
    unit: Unit,
    action: String,
    editing: Option<String>,
    name_vi: String,
    name_en: String,
    description_vi: String,
    description_en: String,
    /// Relics of the unit with their position in the tour (0 when not in it).
    relics: Vec<(Place, String, usize)>,
    errors: Vec<(String, String)>,
}

#[allow(clippy::too_many_arguments)]
async fn tour_form_page(
    state: &AppState,
    ctx: &Ctx,
    unit_code: &str,
    editing: Option<String>,
    texts: &Texts<TourText>,
    stops: &[String],
    errors: Vec<(String, String)>,
) -> Result<TourFormPage, PageError> {
    let (unit, relics) = xaso_core::heritage::relics_in(&state.store, unit_code).await?;
    if !can_write_unit(state, ctx, &unit).await? {
        return Err(PageError::page(Error::Forbidden));
    }
    let p = ctx.page();
    let relics = relics
        .into_iter()
        .map(|(pl, r)| {
            let name = r
                .as_ref()
                .and_then(|r| pick(&r.texts, p.lang.code()))
                .map(|(_, t)| t.name.clone())
                .unwrap_or_else(|| pl.name.clone());
            let pos = stops.iter().position(|s| *s == pl.id).map_or(0, |i| i + 1);
            (pl, name, pos)
        })
        .collect();
    let t = |l: &str| texts.get(l).cloned().unwrap_or_default();
    Ok(TourFormPage {
        action: match &editing {
            Some(id) => format!("/tours/{id}"),
            None => format!("/units/{}/tours", unit.code),
        },
        name_vi: t("vi").name,
        name_en: t("en").name,
        description_vi: t("vi").description,
        description_en: t("en").description,
        p,
        unit,
        editing,
        relics,
        errors,
    })
}

/// The form for a new tour of a unit.
pub async fn new_tour(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/tours/new")).into_response());
    }
    let page = tour_form_page(&state, &ctx, &code, None, &Texts::new(), &[], Vec::new()).await?;
    Ok(render(&page))
}

/// Reads the tour form: names and descriptions, and `stop_{place id}` = position numbers.
fn tour_input(fields: &[(String, String)]) -> (TourInput, String) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut texts = Texts::new();
    for l in ["vi", "en"] {
        texts.insert(
            l.to_string(),
            TourText {
                name: get(&format!("name_{l}")),
                description: get(&format!("description_{l}")),
            },
        );
    }
    let mut stops: Vec<(u32, usize, String)> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, (n, v))| {
            let id = n.strip_prefix("stop_")?;
            let pos: u32 = v.trim().parse().ok().filter(|p| *p > 0)?;
            Some((pos, i, id.to_string()))
        })
        .collect();
    stops.sort();
    (
        TourInput {
            texts,
            stops: stops.into_iter().map(|(_, _, id)| id).collect(),
        },
        get("csrf"),
    )
}

async fn save_tour_form(
    state: &AppState,
    ctx: &Ctx,
    unit_code: &str,
    id: Option<&str>,
    fields: &[(String, String)],
) -> Result<Response, PageError> {
    let (input, csrf) = tour_input(fields);
    ctx.check_form_write(&csrf)?;
    match xaso_core::heritage::save_tour(&state.store, ctx.actor.as_ref(), unit_code, id, &input)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/tours/{id}")).into_response()),
        Err(e) => {
            let errors = refused(ctx, e)?;
            let page = tour_form_page(
                state,
                ctx,
                unit_code,
                id.map(str::to_string),
                &input.texts,
                &input.stops,
                errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

/// Creates a tour.
pub async fn create_tour(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save_tour_form(&state, &ctx, &code, None, &fields).await
}

/// The form to edit a tour.
pub async fn edit_tour(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/tours/{id}/edit")).into_response());
    }
    let tour = xaso_core::heritage::tour(&state.store, &id).await?;
    let stops: Vec<String> = tour.stops.iter().map(|(p, _)| p.id.clone()).collect();
    let page = tour_form_page(
        &state,
        &ctx,
        &tour.unit.code,
        Some(id),
        &tour.texts,
        &stops,
        Vec::new(),
    )
    .await?;
    Ok(render(&page))
}

/// Saves an edited tour.
pub async fn update_tour(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let tour = xaso_core::heritage::tour(&state.store, &id).await?;
    save_tour_form(&state, &ctx, &tour.unit.code, Some(&id), &fields).await
}

/// Deletes a tour.
pub async fn delete_tour(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let unit = xaso_core::heritage::delete_tour(&state.store, ctx.actor.as_ref(), &id).await?;
    Ok(Redirect::to(&format!("/units/{}/heritage", unit.code)).into_response())
}

#[derive(Deserialize)]
pub struct StatsQuery {
    days: Option<i64>,
}

#[derive(Template)]
#[template(path = "heritage/stats.html")]
struct StatsPage {
    p: Page,
    s: ScanStats,
    days: i64,
}

impl StatsPage {
    fn name(&self, pl: &Place, r: &Option<Relic>) -> String {
        r.as_ref()
            .and_then(|r| pick(&r.texts, self.p.lang.code()))
            .map(|(_, t)| t.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| pl.name.clone())
    }

    /// A bar chart of scans per day, drawn on the server.
    fn chart(&self, by_day: &[i64]) -> String {
        let max = by_day.iter().copied().max().unwrap_or(0).max(1) as f64;
        let w = 4.0;
        let h = 40.0;
        let mut bars = String::new();
        for (i, n) in by_day.iter().enumerate() {
            let bh = (*n as f64 / max) * h;
            bars.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                i as f64 * w,
                h - bh,
                w - 1.0,
                bh
            ));
        }
        format!(
            "<svg class=\"spark\" viewBox=\"0 0 {:.0} {h}\" width=\"{:.0}\" height=\"{h}\" role=\"img\" aria-hidden=\"true\">{bars}</svg>",
            by_day.len() as f64 * w,
            by_day.len() as f64 * w
        )
    }

    fn total_window(&self) -> i64 {
        self.s.relics.iter().map(|r| r.in_window).sum()
    }
}

/// Scans of a commune's relics over the last days (staff of the commune).
pub async fn stats(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(
            Redirect::to(&format!("/login?next=/units/{code}/heritage/stats")).into_response(),
        );
    }
    // Scans still buffered in memory count too.
    state.qr.flush(&state.store).await?;
    let days = q.days.unwrap_or(30).clamp(7, 366);
    let s = xaso_core::heritage::scan_stats(&state.store, ctx.actor.as_ref(), &code, days).await?;
    Ok(render(&StatsPage {
        p: ctx.page(),
        s,
        days,
    }))
}

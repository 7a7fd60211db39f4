//! Places pages: a commune's places on a list and a map, the register and edit form (tap the
//! map or use the phone's GPS), a place's page, and the public address page `/a/{plus code}`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::places::{Place, Query as PlaceQuery};
use xaso_core::Error;
use xaso_domain::places::{PlaceInput, PlaceKind, PlaceStatus};
use xaso_domain::pluscode;
use xaso_domain::units::Unit;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::security::with_geolocation;
use crate::{render, AppState};

/// JSON for the map script, safe inside `<script type="application/json">`.
pub(crate) fn map_json(v: serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

pub(crate) fn attribution(tiles: &str) -> &'static str {
    if tiles.contains("openstreetmap.org") {
        "© OpenStreetMap"
    } else {
        ""
    }
}

fn kind_name(p: &Page, k: PlaceKind) -> &'static str {
    p.t(&format!("place_kind.{}", k.as_str()))
}

/// How a place is called on pages where private names must not show.
fn label(p: &Page, place: &Place, private: bool) -> String {
    match (private, place.public_title()) {
        (true, _) => place.name.clone(),
        (false, Some(t)) => t.to_string(),
        (false, None) => kind_name(p, place.kind).to_string(),
    }
}

fn points(p: &Page, places: &[Place], private: bool) -> Vec<serde_json::Value> {
    places
        .iter()
        .map(|pl| {
            serde_json::json!({
                "lat": pl.latitude, "lng": pl.longitude, "kind": pl.kind.as_str(),
                "label": label(p, pl, private),
                "sub": format!("{} · {}", kind_name(p, pl.kind), pl.plus_code),
                "url": format!("/places/{}", pl.id),
            })
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "places/list.html")]
struct ListPage {
    p: Page,
    unit: Unit,
    places: Vec<Place>,
    q: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    can_write: bool,
    map: String,
}

impl ListPage {
    fn kind_name(&self, k: &PlaceKind) -> &'static str {
        kind_name(&self.p, *k)
    }

    fn title(&self, pl: &Place) -> String {
        label(&self.p, pl, self.can_write)
    }
}

fn kinds(p: &Page) -> Vec<(&'static str, &'static str)> {
    PlaceKind::ALL
        .iter()
        .map(|k| (k.as_str(), kind_name(p, *k)))
        .collect()
}

/// A commune's (or area's) places: search without diacritics, filter by kind, see them on a map.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let kind = q.kind.as_deref().and_then(PlaceKind::parse);
    let query = PlaceQuery {
        kind,
        text: q.q.clone(),
        limit: 500,
        ..Default::default()
    };
    let (unit, places) = xaso_core::places::list(&state.store, &code, &query).await?;
    let can_write = match &ctx.actor {
        Some(a) => {
            xaso_core::authz::has_role_over(&state.store, a, xaso_core::places::WRITERS, &unit.id)
                .await?
        }
        None => false,
    };
    let p = ctx.page();
    let boundary = boundary_json(&state, &unit).await?;
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": attribution(&state.config.tile_url),
        "points": points(&p, &places, can_write), "boundary": boundary,
    }));
    Ok(render(&ListPage {
        kinds: kinds(&p),
        p,
        unit,
        places,
        q: q.q.unwrap_or_default(),
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        can_write,
        map,
    }))
}

async fn boundary_json(state: &AppState, unit: &Unit) -> Result<serde_json::Value, PageError> {
    Ok(xaso_core::places::boundary_geojson(&state.store, &unit.id)
        .await?
        .unwrap_or(serde_json::Value::Null))
}

/// The form's fields as typed, for showing them again.
#[derive(Default, Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    vpostcode: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    public_name: Option<String>,
    #[serde(default)]
    precise_code: Option<String>,
    #[serde(default)]
    approximate: Option<String>,
}

impl PlaceForm {
    fn input(&self) -> PlaceInput {
        let num = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
        PlaceInput {
            kind: self.kind.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            latitude: num(&self.latitude),
            longitude: num(&self.longitude),
            vpostcode: self.vpostcode.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            public_name: self.public_name.is_some(),
            precise_code: self.precise_code.is_some(),
            approximate: self.approximate.is_some(),
        }
    }

    fn from_place(p: &Place) -> PlaceForm {
        PlaceForm {
            csrf: String::new(),
            kind: p.kind.as_str().into(),
            name: p.name.clone(),
            address: p.address.clone(),
            latitude: format!("{:.6}", p.latitude),
            longitude: format!("{:.6}", p.longitude),
            vpostcode: p.vpostcode.clone().unwrap_or_default(),
            contact_name: p.contact_name.clone().unwrap_or_default(),
            contact_phone: p.contact_phone.clone().unwrap_or_default(),
            public_name: p.public_name.then(|| "1".into()),
            precise_code: (p.plus_code.len() > 11).then(|| "1".into()),
            approximate: p.approximate.then(|| "1".into()),
        }
    }
}

/// The place form (fields and map), rendered inside the register page and a place's page.
#[derive(Template)]
#[template(path = "places/form_body.html")]
struct FormPage {
    p: Page,
    unit: Unit,
    /// Where the form posts.
    action: String,
    f: PlaceForm,
    errors: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    map: String,
    editing: bool,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }

    fn checked(&self, v: &Option<String>) -> bool {
        v.is_some()
    }
}

/// The Vietnamese message for a problem with a place field.
pub(crate) fn place_problem(ctx: &Ctx, detail: &str) -> String {
    let key = if detail.contains("kind of place") {
        "places.err_kind"
    } else if detail.contains("needs a name") {
        "places.err_name"
    } else if detail.contains("longer than 200") {
        "places.err_name_long"
    } else if detail.contains("longer than 300") {
        "places.err_address_long"
    } else if detail.contains("give the position") {
        "places.err_position"
    } else if detail.contains("outside Vietnam") {
        "places.err_vietnam"
    } else if detail.contains("lies outside") {
        "places.err_boundary"
    } else if detail.contains("Vpostcode") {
        "places.err_vpostcode"
    } else if detail.contains("phone") {
        "places.err_phone"
    } else {
        return detail.to_string();
    };
    ctx.t(key).to_string()
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    unit: Unit,
    action: String,
    f: PlaceForm,
    editing: bool,
) -> Result<FormPage, PageError> {
    let p = ctx.page();
    let boundary = boundary_json(state, &unit).await?;
    let centre = xaso_core::places::centre_of(&state.store, &unit.id).await?;
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": attribution(&state.config.tile_url),
        "points": [], "boundary": boundary, "centre": centre.map(|(a, b)| [a, b]),
    }));
    Ok(FormPage {
        kinds: kinds(&p),
        p,
        unit,
        action,
        f,
        errors: Vec::new(),
        map,
        editing,
    })
}

/// The register form for a commune or village.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let Some(actor) = ctx.actor.as_ref() else {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/places/new")).into_response());
    };
    let (commune, village) = xaso_core::places::units_for(&state.store, &code).await?;
    let target = village.clone().unwrap_or(commune.clone());
    if !xaso_core::authz::has_role_over(&state.store, actor, xaso_core::places::WRITERS, &target.id)
        .await?
    {
        return Err(PageError::page(Error::Forbidden));
    }
    let f = PlaceForm {
        kind: "household".into(),
        ..Default::default()
    };
    let page = form_page(
        &state,
        &ctx,
        commune,
        format!("/units/{code}/places"),
        f,
        false,
    )
    .await?;
    Ok(with_geolocation(render(&NewPage::from(page))))
}

#[derive(Template)]
#[template(path = "places/new.html")]
struct NewPage {
    p: Page,
    unit: Unit,
    body: String,
}

impl From<FormPage> for NewPage {
    fn from(f: FormPage) -> NewPage {
        NewPage {
            p: f.p.clone(),
            unit: f.unit.clone(),
            body: f.render().unwrap_or_default(),
        }
    }
}

fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    match e {
        Error::Invalid(problems) => Ok(problems
            .into_iter()
            .map(|p| {
                let msg = place_problem(ctx, &p.detail);
                (p.at, msg)
            })
            .collect()),
        other => Err(other.into()),
    }
}

/// Registers a place from the form.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<PlaceForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::places::create(&state.store, ctx.actor.as_ref(), &code, &f.input()).await {
        Ok(p) => Ok(Redirect::to(&format!("/places/{}?saved=1", p.id)).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let (commune, _) = xaso_core::places::units_for(&state.store, &code).await?;
            let mut page = form_page(
                &state,
                &ctx,
                commune,
                format!("/units/{code}/places"),
                f,
                false,
            )
            .await?;
            page.errors = errors;
            Ok(with_geolocation(
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(&NewPage::from(page)),
                )
                    .into_response(),
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "places/show.html")]
struct ShowPage {
    p: Page,
    place: Place,
    can_write: bool,
    saved: bool,
    map: String,
    form: Option<FormPage>,
    codes: Vec<xaso_core::qr::QrCode>,
    base: String,
}

impl ShowPage {
    /// The page; an editor's has the form with its GPS button.
    fn respond(&self, status: StatusCode) -> Response {
        let resp = (status, render(self)).into_response();
        if self.form.is_some() {
            with_geolocation(resp)
        } else {
            resp
        }
    }

    fn form_html(&self) -> String {
        self.form
            .as_ref()
            .and_then(|f| f.render().ok())
            .unwrap_or_default()
    }

    fn kind_name(&self) -> &'static str {
        kind_name(&self.p, self.place.kind)
    }

    fn title(&self) -> String {
        label(&self.p, &self.place, self.can_write)
    }

    fn retired(&self) -> bool {
        self.place.status == PlaceStatus::Retired
    }

    fn has_active_code(&self) -> bool {
        self.codes.iter().any(|c| !c.retired)
    }
}

async fn show_page(state: &AppState, ctx: &Ctx, id: &str) -> Result<ShowPage, PageError> {
    let place = xaso_core::places::get(&state.store, ctx.actor.as_ref(), id).await?;
    let can_write = xaso_core::places::may_write(&state.store, ctx.actor.as_ref(), &place).await?;
    let p = ctx.page();
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": attribution(&state.config.tile_url),
        "points": points(&p, std::slice::from_ref(&place), can_write),
    }));
    let form = if can_write {
        let f = PlaceForm::from_place(&place);
        let mut page = form_page(
            state,
            ctx,
            place.commune.clone(),
            format!("/places/{id}"),
            f,
            true,
        )
        .await?;
        // The edit form's map starts at the place itself.
        page.map = map_json(serde_json::json!({
            "tiles": state.config.tile_url, "attribution": attribution(&state.config.tile_url),
            "points": [], "centre": [place.latitude, place.longitude],
        }));
        Some(page)
    } else {
        None
    };
    let codes = if can_write {
        xaso_core::qr::codes_of(
            &state.store,
            &state.qr,
            xaso_core::qr::TargetType::Place,
            id,
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(ShowPage {
        p,
        place,
        can_write,
        saved: false,
        map,
        form,
        codes,
        base: String::new(),
    })
}

/// A place: what it is, its codes, where it is; its contacts and edit form for staff.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let mut page = show_page(&state, &ctx, &id).await?;
    page.saved = q.saved.is_some();
    page.base = crate::qr::base_url(&state, &headers);
    Ok(page.respond(StatusCode::OK))
}

/// Saves the edit form.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PlaceForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::places::update(&state.store, ctx.actor.as_ref(), &id, &f.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/places/{id}?saved=1")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let mut page = show_page(&state, &ctx, &id).await?;
            if let Some(form) = page.form.as_mut() {
                form.f = f;
                form.errors = errors;
            }
            Ok(page.respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// Retires a place or brings it back.
pub async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let status = PlaceStatus::parse(&f.status)
        .ok_or_else(|| PageError::bad_request("unknown status", false))?;
    xaso_core::places::set_status(&state.store, ctx.actor.as_ref(), &id, status).await?;
    Ok(Redirect::to(&format!("/places/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "places/address.html")]
struct AddressPage {
    p: Page,
    code: String,
    short: Option<(String, String)>,
    area: pluscode::CodeArea,
    places: Vec<Place>,
    commune: Option<Unit>,
    map: String,
    photos: Vec<xaso_core::heritage::Photo>,
}

impl AddressPage {
    fn public_label(&self, pl: &Place) -> String {
        label(&self.p, pl, false)
    }

    fn kind_name(&self, k: &PlaceKind) -> &'static str {
        kind_name(&self.p, *k)
    }

    fn lat(&self) -> String {
        format!("{:.6}", self.area.latitude_center())
    }

    fn lng(&self) -> String {
        format!("{:.6}", self.area.longitude_center())
    }

    fn url_code(&self) -> String {
        self.code.replace('+', "%2B")
    }
}

/// The public page of a digital address: the code, the commune, a small map and links to open
/// the point in map apps. Names of households only with their consent; never contacts.
pub async fn address(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    // A short code with its commune ("RFG4+6P Đức Hòa", as printed on plates) opens the full one.
    if code.trim().contains(' ') {
        let full = xaso_core::places::recover_with_locality(&state.store, &code).await?;
        return Ok(Redirect::to(&format!("/a/{}", full.replace('+', "%2B"))).into_response());
    }
    let code = code.trim().to_ascii_uppercase();
    let area = pluscode::decode(&code)
        .map_err(|e| PageError::page(Error::invalid("code", e.to_string())))?;
    let places = xaso_core::places::at_code(&state.store, &code).await?;
    let commune = places.first().map(|p| p.commune.clone());
    let short = match (&commune, places.first()) {
        (Some(c), Some(p)) => p.short_code.clone().map(|s| (s, c.name.clone())),
        _ => None,
    };
    let p = ctx.page();
    let pts: Vec<serde_json::Value> = if places.is_empty() {
        vec![
            serde_json::json!({"lat": area.latitude_center(), "lng": area.longitude_center(),
            "kind": "other", "label": code, "sub": ""}),
        ]
    } else {
        places
            .iter()
            .map(|pl| {
                serde_json::json!({"lat": pl.latitude, "lng": pl.longitude, "kind": pl.kind.as_str(),
                    "label": label(&p, pl, false), "sub": kind_name(&p, pl.kind)})
            })
            .collect()
    };
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": attribution(&state.config.tile_url), "points": pts,
    }));
    Ok(render(&AddressPage {
        p,
        code,
        short,
        area,
        places,
        commune,
        map,
        photos: Vec::new(),
    }))
}

/// The landing page of a place's QR code: the place's public address page.
pub async fn landing(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<crate::heritage::LangQuery>,
) -> Result<Response, PageError> {
    // The public view: no contacts, and a household's photos only with its consent.
    let h = xaso_core::heritage::heritage(&state.store, None, &id).await?;
    if h.place.kind == PlaceKind::Relic {
        return crate::heritage::relic_page(&state, ctx, h, q.lang.as_deref()).await;
    }
    let place = h.place;
    let area = pluscode::decode(&place.plus_code)
        .map_err(|e| PageError::page(Error::Internal(e.to_string())))?;
    let p = ctx.page();
    let map = map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": attribution(&state.config.tile_url),
        "points": [{"lat": place.latitude, "lng": place.longitude, "kind": place.kind.as_str(),
            "label": label(&p, &place, false), "sub": kind_name(&p, place.kind)}],
    }));
    Ok(render(&AddressPage {
        p,
        code: place.plus_code.clone(),
        short: place
            .short_code
            .clone()
            .map(|s| (s, place.commune.name.clone())),
        area,
        commune: Some(place.commune.clone()),
        places: vec![place],
        map,
        photos: h.photos,
    }))
}

#[derive(Deserialize)]
pub struct PlatesQuery {
    kind: Option<String>,
    /// Place ids separated by commas: print only these.
    ids: Option<String>,
    q: Option<String>,
}

/// An A4 sheet of house plates for a commune or village (staff of the unit).
pub async fn plates(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<PlatesQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/places")).into_response());
    }
    let query = PlaceQuery {
        kind: q.kind.as_deref().and_then(PlaceKind::parse),
        text: q.q.clone(),
        ..Default::default()
    };
    let ids: Vec<String> = q
        .ids
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let base = crate::qr::base_url(&state, &headers);
    let pdf = xaso_core::places::plates::sheet(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        &query,
        &ids,
        &base,
    )
    .await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"bien-dia-chi-{code}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

//! Citizen feedback pages: the public reporting form (phone first), the tracking page with
//! reopen and rating, the public list and map, a commune's figures, QR posters, and the staff
//! inbox and case page. The Open311 API is in [`open311`].

pub mod open311;
pub mod staff;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use xaso_core::feedback::{self as fb, Case, Category, ListQuery, Location, Report, Reporter};
use xaso_core::Error;
use xaso_domain::feedback::{Channel, Status, ALL_STATUSES};
use xaso_domain::units::Unit;

use crate::ctx::{url_encode, Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// English details of the core's refusals and the message keys they show as.
const PROBLEMS: &[(&str, &str)] = &[
    ("choose what the problem is about", "feedback.err_category"),
    ("the device this report is about", "feedback.err_asset"),
    ("describe the problem", "feedback.err_description"),
    ("description is too long", "feedback.err_description_long"),
    ("at most 4 photos", "feedback.err_photos"),
    ("larger than 10 MB", "feedback.err_photo_size"),
    ("not a picture we can read", "feedback.err_photo_type"),
    ("not a Vietnamese number", "places.err_phone"),
    ("e-mail address", "feedback.err_email"),
    ("Zalo id", "feedback.err_zalo"),
    ("position is not in Vietnam", "feedback.err_position"),
    ("both the latitude", "feedback.err_position"),
    ("outside the communes served", "feedback.err_outside"),
    ("say where the problem is", "feedback.err_location"),
    ("no place is registered", "producers.err_address_unknown"),
    ("with its commune", "producers.err_address_locality"),
    (
        "as the house plate prints it",
        "producers.err_address_shape",
    ),
    ("boundary", "producers.err_address_locality"),
    ("no commune or village has this code", "feedback.err_unit"),
    ("say why, for the reporter", "feedback.err_reason"),
    ("say why the case", "feedback.err_reopen_reason"),
    ("from 1 to 5 stars", "feedback.err_rating"),
    ("note is too long", "feedback.err_note_long"),
    ("write a note", "feedback.err_note"),
    ("merged into itself", "feedback.err_merge_self"),
    ("itself merged", "feedback.err_merge_chain"),
    ("category of the new case", "feedback.err_category"),
    ("split-off problem", "feedback.err_description"),
];

pub(crate) fn problem(ctx: &Ctx, detail: &str) -> String {
    PROBLEMS
        .iter()
        .find(|(needle, _)| detail.contains(needle))
        .map(|(_, key)| ctx.t(key).to_string())
        .unwrap_or_else(|| detail.to_string())
}

pub(crate) fn refusals(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    match e {
        Error::Invalid(list) => Ok(list
            .into_iter()
            .map(|p| {
                let m = problem(ctx, &p.detail);
                (p.at, m)
            })
            .collect()),
        other => Err(other.into()),
    }
}

/// A status as people read it.
pub(crate) fn status_name(p: &Page, s: Status) -> &'static str {
    p.t(&format!("feedback_status.{}", s.as_str()))
}

pub(crate) fn channel_name(p: &Page, c: Channel) -> &'static str {
    p.t(&format!("feedback_channel.{}", c.as_str()))
}

/// The status filter's choices: open or closed as a whole, then each status.
pub(crate) fn status_choices(p: &Page) -> Vec<(String, String)> {
    [
        ("open", "feedback.filter_open"),
        ("closed", "feedback.filter_closed"),
    ]
    .iter()
    .map(|(v, k)| (v.to_string(), p.t(k).to_string()))
    .chain(
        ALL_STATUSES
            .iter()
            .map(|s| (s.as_str().to_string(), status_name(p, *s).to_string())),
    )
    .collect()
}

/// "dd/mm/yyyy hh:mm" in Vietnam's time.
pub(crate) fn when(t: &DateTime<Utc>) -> String {
    xaso_domain::time::format_datetime_vn(*t)
}

/// The villages people choose from on the form: those of the installation's communes.
async fn villages(state: &AppState) -> Result<Vec<(Unit, Vec<Unit>)>, PageError> {
    let Some((code, as_of)) = &state.config.area else {
        return Ok(Vec::new());
    };
    let area = match xaso_core::units::area_overview(&state.store, code, *as_of).await {
        Ok(a) => a,
        Err(Error::NotFound) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let today = xaso_domain::time::today_vn();
    let mut out = Vec::new();
    for (commune, _) in area.communes_now {
        let (_, children) = xaso_core::units::children(&state.store, &commune.code, today).await?;
        out.push((commune, children));
    }
    Ok(out)
}

/// The form's fields as typed, for showing them again after a refusal.
#[derive(Debug, Default, Clone)]
pub struct ReportForm {
    pub category: String,
    pub description: String,
    pub latitude: String,
    pub longitude: String,
    pub place: String,
    pub unit: String,
    pub address: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub zalo: String,
    pub channel: String,
    /// The ICT register's device the report is about (hidden; from a device label's page).
    pub asset: String,
}

#[derive(Template)]
#[template(path = "feedback/form.html")]
pub(crate) struct FormPage {
    pub p: Page,
    pub categories: Vec<Category>,
    pub villages: Vec<(Unit, Vec<Unit>)>,
    pub f: ReportForm,
    pub errors: Vec<(String, String)>,
    pub map: String,
    /// Set on the staff intake form: the channels to choose from.
    pub staff_channels: Vec<(String, String)>,
    pub action: String,
    pub poster: bool,
}

impl FormPage {
    /// The form, whose GPS button may ask for the reporter's position.
    pub(crate) fn respond(&self, status: StatusCode) -> Response {
        crate::security::with_geolocation((status, render(self)).into_response())
    }

    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn cat_name<'a>(&self, c: &'a Category) -> &'a str {
        c.name(self.p.lang_code())
    }
}

#[derive(Deserialize, Default)]
pub struct FormQuery {
    /// A village or commune code (from a QR poster).
    #[serde(default)]
    unit: String,
    /// A digital address (from a place's page).
    #[serde(default)]
    place: String,
    #[serde(default)]
    category: String,
    /// The device a label's page reports about.
    #[serde(default)]
    asset: String,
    /// "qr" when the form was opened from a printed poster.
    #[serde(default)]
    from: String,
}

pub(crate) async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    f: ReportForm,
    errors: Vec<(String, String)>,
    staff: bool,
) -> Result<FormPage, PageError> {
    let p = ctx.page();
    let villages = villages(state).await?;
    let centre = match villages.first() {
        Some((c, _)) => xaso_core::places::centre_of(&state.store, &c.id).await?,
        None => None,
    };
    let map = crate::places::html::map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": crate::places::html::attribution(&state.config.tile_url),
        "points": [], "centre": centre.map(|(a, b)| [a, b]),
    }));
    let staff_channels = if staff {
        xaso_domain::feedback::STAFF_CHANNELS
            .iter()
            .map(|c| (c.as_str().to_string(), channel_name(&p, *c).to_string()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(FormPage {
        categories: fb::categories(&state.store, false).await?,
        poster: f.channel == Channel::QrPoster.as_str(),
        villages,
        f,
        errors,
        map,
        staff_channels,
        action: if staff {
            "/staff/feedback/new".into()
        } else {
            "/feedback".into()
        },
        p,
    })
}

/// The public reporting form.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FormQuery>,
) -> Result<Response, PageError> {
    let f = ReportForm {
        unit: q.unit,
        place: q.place,
        category: q.category,
        asset: q.asset,
        channel: if q.from == "qr" {
            Channel::QrPoster.as_str().into()
        } else {
            Channel::Web.as_str().into()
        },
        ..ReportForm::default()
    };
    Ok(form_page(&state, &ctx, f, Vec::new(), false)
        .await?
        .respond(StatusCode::OK))
}

/// Reads the multipart form: text fields, and every file sent as `photo`.
pub(crate) async fn read_report(
    mut form: Multipart,
) -> Result<(HashMap<String, String>, Vec<Vec<u8>>), PageError> {
    let unreadable = |e| PageError::unreadable(e, false);
    let mut fields = HashMap::new();
    let mut photos = Vec::new();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" || name == "media" {
            let bytes = field.bytes().await.map_err(unreadable)?;
            // An empty file input still sends a part, with no bytes.
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    Ok((fields, photos))
}

pub(crate) fn report_of(
    fields: &HashMap<String, String>,
    photos: Vec<Vec<u8>>,
    channel: Channel,
) -> (ReportForm, Report) {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let f = ReportForm {
        category: get("category"),
        description: get("description"),
        latitude: get("latitude"),
        longitude: get("longitude"),
        place: get("place"),
        unit: get("unit"),
        address: get("address"),
        name: get("name"),
        phone: get("phone"),
        email: get("email"),
        zalo: get("zalo"),
        channel: channel.as_str().into(),
        asset: get("asset"),
    };
    let report = Report {
        category: f.category.clone(),
        description: f.description.clone(),
        location: Location {
            latitude: xaso_domain::text::parse_number_vi(&f.latitude),
            longitude: xaso_domain::text::parse_number_vi(&f.longitude),
            place_code: f.place.clone(),
            unit_code: f.unit.clone(),
            address: f.address.clone(),
        },
        reporter: Reporter {
            name: f.name.clone(),
            phone: f.phone.clone(),
            email: f.email.clone(),
            zalo: f.zalo.clone(),
        },
        channel,
        photos,
        asset_id: Some(f.asset.clone()).filter(|a| !a.trim().is_empty()),
    };
    (f, report)
}

/// Reports one client may file without an account per throttle window (15 minutes).
const REPORTS_PER_CLIENT: u32 = 30;

/// Files a report from the public form and opens its tracking page.
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Multipart,
) -> Result<Response, PageError> {
    let (fields, photos) = read_report(form).await?;
    ctx.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let channel = match fields.get("channel").map(String::as_str) {
        Some("qr_poster") => Channel::QrPoster,
        Some("app") => Channel::App,
        _ => Channel::Web,
    };
    let (f, report) = report_of(&fields, photos, channel);
    // One phone (or one village's shared connection) files at most this many reports a quarter
    // of an hour without an account: enough for a busy village, not for a flood.
    if ctx.actor.is_none()
        && !state
            .throttle
            .take(
                &state.store,
                &format!("feedback:{}", ctx.client),
                REPORTS_PER_CLIENT,
            )
            .await?
    {
        tracing::info!(client = %ctx.client, "feedback refused: too many reports from one client");
        let errors = vec![(
            "form".to_string(),
            ctx.t("feedback.err_too_many").to_string(),
        )];
        let page = form_page(&state, &ctx, f, errors, false).await?;
        return Ok(page.respond(StatusCode::TOO_MANY_REQUESTS));
    }
    match fb::submit(&state.store, &state.files, ctx.actor.as_ref(), report).await {
        Ok(s) => Ok(Redirect::to(&format!("/feedback/track/{}?new=1", s.token)).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(&ctx, e)?;
            let page = form_page(&state, &ctx, f, errors, false).await?;
            Ok(page.respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "feedback/track.html")]
struct TrackPage {
    p: Page,
    c: Case,
    token: String,
    shown_token: String,
    fresh: bool,
    errors: Vec<(String, String)>,
    saved: String,
}

impl TrackPage {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn when(&self, t: &DateTime<Utc>) -> String {
        when(t)
    }
    fn step(&self, e: &fb::Event) -> String {
        step_name(&self.p, e)
    }
    fn may_rate(&self) -> bool {
        matches!(self.c.status, Status::Resolved | Status::Closed) && self.c.rating.is_none()
    }
    fn may_reopen(&self) -> bool {
        !self.c.status.is_open() && self.c.merged_into.is_none()
    }
    fn cat_name(&self) -> &str {
        self.c.category.name(self.p.lang_code())
    }
}

/// What one step of a case's history says.
pub(crate) fn step_name(p: &Page, e: &fb::Event) -> String {
    match e.kind.as_str() {
        "status" | "merge" => match e.to_status {
            Some(s) => status_name(p, s).to_string(),
            None => p.t("feedback.step_note").to_string(),
        },
        "received" => p.t("feedback.step_received").to_string(),
        "reopen" => p.t("feedback.step_reopen").to_string(),
        "rating" => p.t("feedback.step_rating").to_string(),
        "split" => p.t("feedback.step_split").to_string(),
        "merged" => p.t("feedback.step_merged").to_string(),
        "assign" => p.t("feedback.step_assign").to_string(),
        "overdue" => p.t("feedback.step_overdue").to_string(),
        _ => p.t("feedback.step_note").to_string(),
    }
}

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    new: Option<String>,
    #[serde(default)]
    saved: Option<String>,
    /// The code typed in the lookup box.
    #[serde(default)]
    code: Option<String>,
}

/// The lookup box: type a tracking code.
pub async fn track_lookup(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TrackQuery>,
) -> Result<Response, PageError> {
    if let Some(code) = q.code.filter(|c| !c.trim().is_empty()) {
        let token = fb::clean_token(&code);
        return match fb::tracked(&state.store, &token).await {
            Ok(_) => Ok(Redirect::to(&format!("/feedback/track/{token}")).into_response()),
            Err(Error::NotFound) => Ok((
                StatusCode::NOT_FOUND,
                render(&LookupPage {
                    p: ctx.page(),
                    code,
                    missing: true,
                }),
            )
                .into_response()),
            Err(e) => Err(e.into()),
        };
    }
    Ok(render(&LookupPage {
        p: ctx.page(),
        code: String::new(),
        missing: false,
    }))
}

#[derive(Template)]
#[template(path = "feedback/lookup.html")]
struct LookupPage {
    p: Page,
    code: String,
    missing: bool,
}

async fn track_page(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    fresh: bool,
    errors: Vec<(String, String)>,
    saved: String,
) -> Result<TrackPage, PageError> {
    let c = fb::tracked(&state.store, token).await?;
    let token = c.token.clone().unwrap_or_default();
    Ok(TrackPage {
        p: ctx.page(),
        shown_token: fb::show_token(&token),
        token,
        c,
        fresh,
        errors,
        saved,
    })
}

/// The reporter's page of a case: where it stands, its public history, and the reporter's
/// actions. The page is private to whoever holds the code: not indexed, not cached.
pub async fn track(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Result<Response, PageError> {
    let page = track_page(
        &state,
        &ctx,
        &token,
        q.new.is_some(),
        Vec::new(),
        q.saved.unwrap_or_default(),
    )
    .await?;
    Ok((
        [
            (header::CACHE_CONTROL, "private, no-store"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        render(&page),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ReopenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn reopen(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<ReopenForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    match fb::reopen(&state.store, &token, &f.reason).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/feedback/track/{token}?saved=reopened")).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(&ctx, e)?;
            let page = track_page(&state, &ctx, &token, false, errors, String::new()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

pub async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<RateForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    let stars = f.rating.trim().parse::<i64>().unwrap_or(0);
    match fb::rate(&state.store, &token, stars, &f.comment).await {
        Ok(_) => Ok(Redirect::to(&format!("/feedback/track/{token}?saved=rated")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(&ctx, e)?;
            let page = track_page(&state, &ctx, &token, false, errors, String::new()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Filters of the public list and map, as in the address bar.
#[derive(Deserialize, Default, Clone)]
pub struct ListParams {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub page: Option<i64>,
    /// south,west,north,east
    #[serde(default)]
    pub bbox: String,
}

impl ListParams {
    pub(crate) fn query(&self, per_page: i64) -> ListQuery {
        let statuses = match self.status.as_str() {
            "open" => vec![Status::Received, Status::Accepted, Status::InProgress],
            "closed" => vec![Status::Resolved, Status::Closed, Status::Rejected],
            s => Status::parse(s).into_iter().collect(),
        };
        let bbox = {
            let v: Vec<f64> = self
                .bbox
                .split(',')
                .filter_map(|x| x.trim().parse().ok())
                .collect();
            (v.len() == 4).then(|| (v[0], v[1], v[2], v[3]))
        };
        ListQuery {
            unit: self.unit.clone(),
            statuses,
            categories: if self.category.is_empty() {
                Vec::new()
            } else {
                vec![self.category.clone()]
            },
            bbox,
            page: self.page.unwrap_or(1).max(1),
            per_page,
            ..ListQuery::default()
        }
    }

    fn link(&self, page: i64) -> String {
        format!(
            "/feedback/cases?unit={}&status={}&category={}&page={page}",
            url_encode(&self.unit),
            url_encode(&self.status),
            url_encode(&self.category)
        )
    }
}

#[derive(Template)]
#[template(path = "feedback/list.html")]
struct ListPage {
    p: Page,
    cases: Vec<Case>,
    total: i64,
    params: ListParams,
    categories: Vec<Category>,
    communes: Vec<Unit>,
    statuses: Vec<(String, String)>,
    page: i64,
    pages: i64,
    map: String,
    now: DateTime<Utc>,
}

impl ListPage {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn when(&self, t: &DateTime<Utc>) -> String {
        when(t)
    }
    fn cat_name<'a>(&self, c: &'a Category) -> &'a str {
        c.name(self.p.lang_code())
    }
    fn link(&self, page: i64) -> String {
        self.params.link(page)
    }
    fn excerpt(&self, s: &str) -> String {
        let mut out: String = s.chars().take(160).collect();
        if s.chars().count() > 160 {
            out.push('…');
        }
        out
    }
}

const PER_PAGE: i64 = 20;

/// The public list of cases with a map: no reporter, no contacts, no internal notes.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let q = params.query(PER_PAGE);
    let (cases, total) = match fb::list_public(&state.store, &q).await {
        Ok(x) => x,
        Err(Error::NotFound) => (Vec::new(), 0),
        Err(e) => return Err(e.into()),
    };
    let p = ctx.page();
    let points = fb::map_points(&state.store, &q, 500)
        .await
        .unwrap_or_default();
    let cats = fb::categories(&state.store, true).await?;
    let names: HashMap<&str, &str> = cats
        .iter()
        .map(|c| (c.code.as_str(), c.name(p.lang_code())))
        .collect();
    let map = crate::places::html::map_json(serde_json::json!({
        "tiles": state.config.tile_url, "attribution": crate::places::html::attribution(&state.config.tile_url),
        "points": points.iter().map(|pt| serde_json::json!({
            "lat": pt.latitude, "lng": pt.longitude, "kind": pt.status.as_str(),
            "label": format!("#{} · {}", pt.number, names.get(pt.category.as_str()).copied().unwrap_or("")),
            "sub": status_name(&p, pt.status), "url": format!("/feedback/cases/{}", pt.number),
        })).collect::<Vec<_>>(),
    }));
    let communes = villages(&state)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let statuses = status_choices(&p);
    let page = q.page;
    Ok(render(&ListPage {
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        p,
        cases,
        total,
        params,
        categories: cats,
        communes,
        statuses,
        page,
        map,
        now: Utc::now(),
    }))
}

#[derive(Template)]
#[template(path = "feedback/case.html")]
struct CasePage {
    p: Page,
    c: Case,
    now: DateTime<Utc>,
}

impl CasePage {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn when(&self, t: &DateTime<Utc>) -> String {
        when(t)
    }
    fn step(&self, e: &fb::Event) -> String {
        step_name(&self.p, e)
    }
    fn cat_name(&self) -> &str {
        self.c.category.name(self.p.lang_code())
    }
}

/// A case's public page (by its number).
pub async fn public_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<i64>,
) -> Result<Response, PageError> {
    // Always the public view here, even for staff: the staff page is /staff/feedback/N.
    let c = fb::case(&state.store, None, &number.to_string()).await?;
    Ok(render(&CasePage {
        p: ctx.page(),
        c,
        now: Utc::now(),
    }))
}

#[derive(Deserialize)]
pub struct PhotoQuery {
    #[serde(default)]
    thumb: Option<String>,
}

/// A case's photo (public once resized; resizing drops the camera's metadata).
pub async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
    Query(q): Query<PhotoQuery>,
) -> Result<Response, PageError> {
    let id = file.trim_end_matches(".jpg");
    let bytes = fb::photo_file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        id,
        q.thumb.is_some(),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // Short-lived and private: staff may hide a photo after it was first shown.
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct NearbyQuery {
    #[serde(default)]
    category: String,
    lat: Option<f64>,
    lng: Option<f64>,
}

#[derive(Template)]
#[template(path = "feedback/nearby.html")]
struct NearbyPart {
    p: Page,
    cases: Vec<(Case, f64)>,
}

impl NearbyPart {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn metres(&self, d: &f64) -> String {
        format!("{:.0}", d)
    }
}

/// Open cases of the chosen category near the chosen point, shown on the form before
/// submitting (an HTML fragment; empty when there are none).
pub async fn nearby(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NearbyQuery>,
) -> Result<Response, PageError> {
    let (Some(lat), Some(lng)) = (q.lat, q.lng) else {
        return Ok(axum::response::Html(String::new()).into_response());
    };
    let cases = fb::nearby_open(&state.store, &q.category, lat, lng, None).await?;
    Ok(render(&NearbyPart {
        p: ctx.page(),
        cases,
    }))
}

#[derive(Template)]
#[template(path = "feedback/stats.html")]
struct StatsPage {
    p: Page,
    unit: Unit,
    s: fb::Stats,
    rows: Vec<(String, Vec<i64>, i64)>,
    statuses: Vec<Status>,
}

impl StatsPage {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn share(&self) -> String {
        self.s
            .on_time_share
            .map(|x| format!("{:.0} %", x * 100.0))
            .unwrap_or_else(|| "—".into())
    }
    fn median(&self) -> String {
        match self.s.median_hours {
            Some(h) if h < 48.0 => format!("{h:.1} {}", self.p.t("feedback.hours")),
            Some(h) => format!("{:.1} {}", h / 24.0, self.p.t("feedback.days")),
            None => "—".into(),
        }
    }
    fn rating(&self) -> String {
        self.s
            .rating_avg
            .map(|r| {
                format!(
                    "{r:.1}/5 ({} {})",
                    self.s.ratings,
                    self.p.t("feedback.ratings")
                )
            })
            .unwrap_or_else(|| "—".into())
    }
}

/// A commune's (or area's) feedback figures.
pub async fn stats(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let unit =
        xaso_core::units::by_code(&state.store, &code, xaso_domain::time::today_vn()).await?;
    let s = fb::stats(&state.store, &code).await?;
    let p = ctx.page();
    let cats = fb::categories(&state.store, true).await?;
    let statuses: Vec<Status> = ALL_STATUSES.to_vec();
    let rows = cats
        .iter()
        .map(|c| {
            let counts: Vec<i64> = statuses
                .iter()
                .map(|st| {
                    s.counts
                        .iter()
                        .filter(|(code, x, _)| *code == c.code && x == st)
                        .map(|(_, _, n)| *n)
                        .sum()
                })
                .collect();
            let total = counts.iter().sum();
            (c.name(p.lang_code()).to_string(), counts, total)
        })
        .collect();
    Ok(render(&StatsPage {
        p,
        unit,
        s,
        rows,
        statuses,
    }))
}

#[derive(Template)]
#[template(path = "feedback/poster.html")]
struct PosterPage {
    p: Page,
    unit: Unit,
    commune: Option<Unit>,
    url: String,
    svg: String,
}

/// A printable "Phản ánh tại đây" poster for a village (or commune): its QR code opens the form
/// with the village filled in.
pub async fn poster(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let (commune, village) = xaso_core::places::units_for(&state.store, &code).await?;
    let base = crate::qr::base_url(&state, &headers);
    let url = format!("{base}/feedback?unit={code}&from=qr");
    let svg = xaso_core::qr::svg(&url).map_err(PageError::page)?;
    let (unit, commune) = match village {
        Some(v) => (v, Some(commune)),
        None => (commune, None),
    };
    Ok(render(&PosterPage {
        p: ctx.page(),
        unit,
        commune,
        url,
        svg,
    }))
}

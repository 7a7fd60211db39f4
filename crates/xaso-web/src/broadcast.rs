//! Loudspeakers and boards for a commune's officers: bulletins (write, upload the recording or
//! the slide, approve, withdraw) and programmes (slots, days, devices, bulletins in order).
//! The devices' side is in `api`.

pub mod api;
pub mod player;
pub mod programmes;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use xaso_core::broadcast::{Bulletin, Programme};
use xaso_core::Error;
use xaso_domain::broadcast::{
    BulletinInput, BulletinKind, BulletinStatus, Medium, Priority, Source,
};
use xaso_domain::units::Unit;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// Core details (English) and the catalogue keys that say them in the visitor's language.
const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose audio, text or slide", "broadcast.err_kind"),
    ("a bulletin needs a title", "broadcast.err_title"),
    ("a title is at most", "broadcast.err_title_long"),
    ("a text bulletin needs its text", "broadcast.err_body"),
    ("a bulletin's text is at most", "broadcast.err_body_long"),
    (
        "choose normal, priority or emergency",
        "broadcast.err_priority",
    ),
    ("an emergency is sent as", "broadcast.err_emergency"),
    ("choose commune, area, province", "broadcast.err_source"),
    ("write the time as", "broadcast.err_time"),
    ("the end of validity", "broadcast.err_validity"),
    ("between 1 and 600 seconds", "broadcast.err_show"),
    ("the order is a whole number", "broadcast.err_rank"),
    (
        "choose the commune or one of its villages",
        "broadcast.err_target",
    ),
    (
        "choose the commune, one of its villages or a device",
        "broadcast.err_target",
    ),
    (
        "choose one of the commune's devices",
        "broadcast.err_target_device",
    ),
    ("upload the recording", "broadcast.err_need_audio"),
    ("upload the slide's picture", "broadcast.err_need_slide"),
    ("choose the recording", "broadcast.err_audio_missing"),
    ("the recording is larger", "broadcast.err_audio_big"),
    ("not an MP3, Ogg or WAV", "broadcast.err_audio_format"),
    ("the recording cannot be read", "broadcast.err_audio_format"),
    ("the recording is damaged", "broadcast.err_audio_format"),
    ("the file holds no audio", "broadcast.err_audio_format"),
    ("does not say its sample rate", "broadcast.err_audio_format"),
    ("shorter than half a second", "broadcast.err_audio_short"),
    ("longer than three hours", "broadcast.err_audio_long"),
    ("only an audio bulletin", "broadcast.err_not_audio"),
    ("only a slide has", "broadcast.err_not_slide"),
    ("choose the picture", "broadcast.err_image_missing"),
    ("the picture is larger", "broadcast.err_image_big"),
    ("the picture must be", "broadcast.err_image"),
    ("a programme needs a name", "broadcast.err_name"),
    ("choose loudspeakers or boards", "broadcast.err_medium"),
    ("choose at least one day", "broadcast.err_weekdays"),
    ("a programme needs at least one slot", "broadcast.err_slots"),
    ("is not written as HH:MM-HH:MM", "broadcast.err_slots"),
    ("is not a time of day", "broadcast.err_slots"),
    ("ends before it starts", "broadcast.err_slot_order"),
    ("overlap", "broadcast.err_slot_overlap"),
    ("write the date as", "broadcast.err_date"),
    ("the last day must not be before", "broadcast.err_dates"),
    ("a bulletin of the list", "broadcast.err_items"),
];

pub(crate) fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    crate::error::refusals(ctx, MESSAGE_KEYS, e)
}

/// Something devices play changed in a unit: read the version again, and tell its connected
/// devices to fetch their schedule now.
pub(crate) fn changed(state: &AppState, unit_id: &str) {
    state.players.changed();
    state.hub.publish(xaso_core::alerts::hub::Event {
        kind: xaso_core::alerts::hub::Kind::Schedule,
        units: vec![unit_id.to_string()],
        data: "{}".into(),
        polygon: Vec::new(),
    });
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(xaso_domain::time::format_datetime_vn)
        .unwrap_or_default()
}

fn seconds(ms: i64) -> String {
    let s = (ms + 500) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

pub(crate) async fn sign_in_first(ctx: &Ctx, next: &str) -> Option<Response> {
    ctx.actor
        .is_none()
        .then(|| Redirect::to(&format!("/login?next={next}")).into_response())
}

#[derive(Template)]
#[template(path = "broadcast/index.html")]
struct IndexPage {
    p: Page,
    unit: Unit,
    bulletins: Vec<Bulletin>,
    programmes: Vec<Programme>,
    /// Today's plan and reports of each speaker and board.
    devices: Vec<xaso_core::broadcast::devices::DeviceDay>,
}

fn hm(t: &DateTime<Utc>) -> String {
    t.with_timezone(&xaso_domain::time::vn_offset())
        .format("%H:%M")
        .to_string()
}

impl IndexPage {
    fn device_medium(&self, d: &xaso_core::broadcast::devices::DeviceDay) -> &'static str {
        self.p.t(&format!("broadcast_medium.{}", d.medium.as_str()))
    }
    /// Today's plan in a line: the airings' times, or the dayparts.
    fn plan(&self, d: &xaso_core::broadcast::devices::DeviceDay) -> String {
        if d.medium == Medium::Board {
            if d.dayparts.is_empty() {
                return self.p.t("broadcast.nothing_today").to_string();
            }
            return d
                .dayparts
                .iter()
                .map(|(a, b, n)| format!("{}–{} ({n})", hm(a), hm(b)))
                .collect::<Vec<_>>()
                .join(", ");
        }
        if d.airings.is_empty() {
            return self.p.t("broadcast.nothing_today").to_string();
        }
        d.airings
            .iter()
            .map(|(title, at)| format!("{} {title}", hm(at)))
            .collect::<Vec<_>>()
            .join(" · ")
    }
    fn kind(&self, b: &Bulletin) -> &'static str {
        self.p.t(&format!("broadcast_kind.{}", b.kind.as_str()))
    }
    fn priority(&self, b: &Bulletin) -> &'static str {
        self.p
            .t(&format!("broadcast_priority.{}", b.priority.as_str()))
    }
    fn status(&self, b: &Bulletin) -> &'static str {
        self.p.t(&format!("broadcast_status.{}", b.status.as_str()))
    }
    /// Its length on speakers (a recording, or the speech of a text) and on boards.
    fn length(&self, b: &Bulletin) -> String {
        let shown = format!("{} s", b.row.show_ms / 1000);
        match b.kind {
            BulletinKind::Audio if b.row.duration_ms > 0 => seconds(b.row.duration_ms),
            BulletinKind::Audio => "—".into(),
            BulletinKind::Text if b.row.duration_ms > 0 => {
                format!("{} · {shown}", seconds(b.row.duration_ms))
            }
            _ => shown,
        }
    }
    fn medium(&self, m: &Programme) -> &'static str {
        self.p.t(&format!("broadcast_medium.{}", m.medium.as_str()))
    }
    fn target(&self, m: &Programme) -> String {
        target_label(m)
    }
    fn days(&self, m: &Programme) -> String {
        days_label(&self.p, m)
    }
    fn slots(&self, m: &Programme) -> String {
        m.slots
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn target_label(m: &Programme) -> String {
    match (&m.target_asset, &m.target_unit) {
        (Some((_, name)), _) => name.clone(),
        (None, Some(u)) => u.full_name.clone(),
        (None, None) => String::new(),
    }
}

fn days_label(p: &Page, m: &Programme) -> String {
    if m.weekdays.0 == 0x7f {
        return p.t("broadcast.every_day").to_string();
    }
    m.weekdays
        .vn_days()
        .into_iter()
        .map(|d| {
            if d == "CN" {
                "CN".to_string()
            } else {
                format!("T{d}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The commune's loudspeakers and boards: its bulletins and programmes.
pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if let Some(r) = sign_in_first(&ctx, &format!("/units/{code}/broadcast")).await {
        return Ok(r);
    }
    let (unit, bulletins) =
        xaso_core::broadcast::bulletins(&state.store, ctx.actor.as_ref(), &code).await?;
    let (_, programmes) =
        xaso_core::broadcast::programmes(&state.store, ctx.actor.as_ref(), &code).await?;
    let devices = xaso_core::broadcast::devices::day_overview(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        xaso_domain::time::today_vn(),
    )
    .await?;
    Ok(render(&IndexPage {
        p: ctx.page(),
        unit,
        bulletins,
        programmes,
        devices,
    }))
}

/// A bulletin's form as typed (strings), for a new one or an existing one.
#[derive(Deserialize, Default, Clone)]
pub struct BulletinForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: BulletinFields,
}

#[derive(Deserialize, Default, Clone)]
pub struct BulletinFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    show_seconds: String,
    #[serde(default)]
    rank: String,
}

impl BulletinFields {
    fn input(&self) -> BulletinInput {
        BulletinInput {
            kind: self.kind.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            priority: self.priority.clone(),
            source: self.source.clone(),
            valid_from: self.valid_from.clone(),
            valid_to: self.valid_to.clone(),
            show_seconds: self.show_seconds.clone(),
            rank: self.rank.clone(),
        }
    }

    fn of(b: &Bulletin) -> BulletinFields {
        let at = |t: Option<DateTime<Utc>>| when(t);
        BulletinFields {
            kind: b.kind.as_str().into(),
            title: b.row.title.clone(),
            body: b.row.body.clone(),
            priority: b.priority.as_str().into(),
            source: b.source.as_str().into(),
            target: b.target.code.clone(),
            valid_from: at(b.valid_from()),
            valid_to: at(b.valid_to()),
            show_seconds: (b.row.show_ms / 1000).to_string(),
            rank: b.row.clash_order.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "broadcast/bulletin.html")]
struct BulletinPage {
    p: Page,
    unit: Unit,
    villages: Vec<Unit>,
    bulletin: Option<Bulletin>,
    f: BulletinFields,
    errors: Vec<(String, String)>,
    saved: bool,
    /// The programmes it is in.
    programmes: Vec<xaso_storage::broadcast::ProgrammeRow>,
}

impl BulletinPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn action(&self) -> String {
        match &self.bulletin {
            Some(b) => format!("/bulletins/{}", b.row.id),
            None => format!("/units/{}/broadcast/bulletins", self.unit.code),
        }
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        BulletinKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    self.p.t(&format!("broadcast_kind.{}", k.as_str())),
                )
            })
            .collect()
    }
    fn priorities(&self) -> Vec<(&'static str, &'static str)> {
        [Priority::Normal, Priority::Priority]
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    self.p.t(&format!("broadcast_priority.{}", k.as_str())),
                )
            })
            .collect()
    }
    fn sources(&self) -> Vec<(&'static str, &'static str)> {
        Source::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    self.p.t(&format!("broadcast_source.{}", k.as_str())),
                )
            })
            .collect()
    }
    fn status(&self) -> &'static str {
        let s = self
            .bulletin
            .as_ref()
            .map_or(BulletinStatus::Draft, |b| b.status);
        self.p.t(&format!("broadcast_status.{}", s.as_str()))
    }
    fn length(&self) -> String {
        self.bulletin
            .as_ref()
            .filter(|b| b.row.duration_ms > 0)
            .map(|b| seconds(b.row.duration_ms))
            .unwrap_or_default()
    }
    fn approved(&self) -> String {
        self.bulletin
            .as_ref()
            .and_then(|b| b.row.approved_at.as_deref())
            .and_then(xaso_domain::time::from_storage)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }
}

async fn bulletin_page(
    state: &AppState,
    ctx: &Ctx,
    unit: Unit,
    bulletin: Option<Bulletin>,
    f: BulletinFields,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let villages = xaso_core::broadcast::villages(&state.store, &unit).await?;
    let programmes = match &bulletin {
        Some(b) => xaso_core::broadcast::programmes_of(&state.store, ctx.actor.as_ref(), b).await?,
        None => Vec::new(),
    };
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&BulletinPage {
            p: ctx.page(),
            unit,
            villages,
            bulletin,
            f,
            errors,
            saved,
            programmes,
        }),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    kind: Option<String>,
}

/// The form for a new bulletin.
pub async fn new_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if let Some(r) = sign_in_first(&ctx, &format!("/units/{code}/broadcast/bulletins/new")).await {
        return Ok(r);
    }
    let unit = xaso_core::broadcast::unit(&state.store, &code).await?;
    if !xaso_core::broadcast::writes(&state.store, ctx.actor.as_ref(), &unit.id).await? {
        return Err(Error::Forbidden.into());
    }
    let kind = q
        .kind
        .as_deref()
        .and_then(BulletinKind::parse)
        .unwrap_or(BulletinKind::Text);
    let f = BulletinFields {
        kind: kind.as_str().into(),
        priority: "normal".into(),
        source: "commune".into(),
        target: unit.code.clone(),
        show_seconds: "10".into(),
        ..Default::default()
    };
    bulletin_page(&state, &ctx, unit, None, f, Vec::new(), false).await
}

/// Writes a new bulletin (a draft) and opens it.
pub async fn create_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<BulletinForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::broadcast::create(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        &f.input.input(),
        &f.input.target,
    )
    .await
    {
        Ok(b) => Ok(Redirect::to(&format!("/bulletins/{}?saved=1", b.row.id)).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            let unit = xaso_core::broadcast::unit(&state.store, &code).await?;
            bulletin_page(&state, &ctx, unit, None, f.input, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    pub(crate) saved: Option<String>,
}

/// A bulletin's page: its fields, its media, its approval.
pub async fn show_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    if let Some(r) = sign_in_first(&ctx, &format!("/bulletins/{id}")).await {
        return Ok(r);
    }
    let b = xaso_core::broadcast::bulletin(&state.store, ctx.actor.as_ref(), &id).await?;
    let f = BulletinFields::of(&b);
    bulletin_page(
        &state,
        &ctx,
        b.unit.clone(),
        Some(b),
        f,
        Vec::new(),
        q.saved.is_some(),
    )
    .await
}

async fn bulletin_refused(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    e: Error,
    f: Option<BulletinFields>,
) -> Result<Response, PageError> {
    let errors = refused(ctx, e)?;
    let b = xaso_core::broadcast::bulletin(&state.store, ctx.actor.as_ref(), id).await?;
    let f = f.unwrap_or_else(|| BulletinFields::of(&b));
    bulletin_page(state, ctx, b.unit.clone(), Some(b), f, errors, false).await
}

/// Saves a bulletin's changes (an approved one goes back to draft).
pub async fn update_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BulletinForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::broadcast::update(
        &state.store,
        ctx.actor.as_ref(),
        &id,
        &f.input.input(),
        &f.input.target,
    )
    .await
    {
        Ok(b) => {
            changed(&state, &b.row.unit_id);
            Ok(Redirect::to(&format!("/bulletins/{}?saved=1", b.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => bulletin_refused(&state, &ctx, &id, e, Some(f.input)).await,
        Err(e) => Err(e.into()),
    }
}

/// Uploads a bulletin's recording or slide picture (multipart: file).
pub async fn set_media(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload =
        crate::files::read_spooled(&ctx, form, xaso_core::broadcast::media::MAX_AUDIO_BYTES)
            .await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file();
    let b = xaso_core::broadcast::bulletin(&state.store, ctx.actor.as_ref(), &id).await?;
    let r = match b.kind {
        BulletinKind::Slide => {
            xaso_core::broadcast::media::set_slide(
                &state.store,
                &state.files,
                ctx.actor.as_ref(),
                &id,
                file,
            )
            .await
        }
        _ => {
            xaso_core::broadcast::media::set_audio(
                &state.store,
                &state.files,
                ctx.actor.as_ref(),
                &id,
                file,
            )
            .await
        }
    };
    match r {
        Ok(b) => {
            changed(&state, &b.row.unit_id);
            Ok(Redirect::to(&format!("/bulletins/{}?saved=1", b.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => bulletin_refused(&state, &ctx, &id, e, None).await,
        Err(e) => Err(e.into()),
    }
}

/// A bulletin's recording or picture, for its writers to check.
pub async fn media(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (key, mime, size) =
        xaso_core::broadcast::media::preview(&state.store, ctx.actor.as_ref(), &id).await?;
    crate::files::send(
        crate::files::For::Page,
        &state.files,
        &key,
        &mime,
        size,
        &headers,
        &[(
            axum::http::header::CACHE_CONTROL,
            "private, max-age=300".to_string(),
        )],
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

/// Approves or withdraws a bulletin.
pub async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let r = match f.to.as_str() {
        "approved" => xaso_core::broadcast::approve(&state.store, ctx.actor.as_ref(), &id).await,
        "withdrawn" => xaso_core::broadcast::withdraw(&state.store, ctx.actor.as_ref(), &id).await,
        _ => return Err(PageError::bad_request("unknown state of a bulletin", false)),
    };
    match r {
        Ok(b) => {
            changed(&state, &b.row.unit_id);
            Ok(Redirect::to(&format!("/bulletins/{}?saved=1", b.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => bulletin_refused(&state, &ctx, &id, e, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    /// "xlsx" for the workbook.
    #[serde(default)]
    format: Option<String>,
}

impl LogQuery {
    /// The days asked (Vietnam's), today by default; unreadable dates are refused.
    fn days(&self) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Error> {
        let today = xaso_domain::time::today_vn();
        let day = |s: &Option<String>, field: &'static str| match s.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => xaso_domain::time::parse_date(v)
                .map(Some)
                .ok_or_else(|| Error::invalid(field, "write the date as dd/mm/yyyy")),
        };
        let from = day(&self.from, "from")?.unwrap_or(today);
        let to = day(&self.to, "to")?.unwrap_or(from);
        Ok((from, to))
    }
}

#[derive(Template)]
#[template(path = "broadcast/log.html")]
struct LogPage {
    p: Page,
    unit: Unit,
    from: String,
    to: String,
    lines: Vec<xaso_core::broadcast::devices::LogLine>,
}

impl LogPage {
    fn at(&self, l: &xaso_core::broadcast::devices::LogLine) -> String {
        xaso_domain::time::format_datetime_vn(l.started_at)
    }
    fn seconds(&self, l: &xaso_core::broadcast::devices::LogLine) -> String {
        seconds(l.duration_ms)
    }
    fn result(&self, l: &xaso_core::broadcast::devices::LogLine) -> &'static str {
        self.p.t(&format!("broadcast_result.{}", l.result))
    }
    fn medium(&self, l: &xaso_core::broadcast::devices::LogLine) -> &'static str {
        self.p.t(&format!("broadcast_medium.{}", l.medium))
    }
}

/// What the commune's devices played, for some days: a page, or an xlsx workbook.
pub async fn log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<LogQuery>,
) -> Result<Response, PageError> {
    if let Some(r) = sign_in_first(&ctx, &format!("/units/{code}/broadcast/log")).await {
        return Ok(r);
    }
    let (from, to) = q.days()?;
    let (unit, lines) =
        xaso_core::broadcast::devices::log(&state.store, ctx.actor.as_ref(), &code, from, to)
            .await?;
    if q.format.as_deref() == Some("xlsx") {
        let bytes = xaso_core::broadcast::devices::log_xlsx(&lines)?;
        let name = format!("nhat-ky-phat-{}-{from}-{to}.xlsx", unit.code);
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(render(&LogPage {
        p: ctx.page(),
        unit,
        from: xaso_domain::time::format_date_vn(from),
        to: xaso_domain::time::format_date_vn(to),
        lines,
    }))
}

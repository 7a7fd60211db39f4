//! Emergency alerts: the issuing form and list of a unit, an alert's public page (with, for its
//! issuers, the update and cancel forms and who received and played it), the CAP messages and
//! their Atom feed, and the device side (the event stream, acknowledgements, the speech).

use std::convert::Infallible;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream, StreamExt};
use xaso_core::alerts::{Alert, DeviceRecord};
use xaso_core::Error;
use xaso_domain::alerts::{AlertInput, Certainty, Hazard, MsgType, Severity, Urgency};
use xaso_domain::units::Unit;
use xaso_storage::alerts::AlertRow;

pub mod follow;
mod relay;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose the kind of hazard", "alerts.err_hazard"),
    ("choose how urgent", "alerts.err_urgency"),
    ("the risk level is 1 to 5", "alerts.err_risk"),
    ("choose how severe", "alerts.err_severity"),
    ("choose how certain", "alerts.err_certainty"),
    ("write a headline", "alerts.err_headline"),
    ("a headline is at most", "alerts.err_headline_long"),
    ("say what is happening", "alerts.err_description"),
    ("the description is at most", "alerts.err_description_long"),
    ("the instruction is at most", "alerts.err_instruction_long"),
    ("it stays in force", "alerts.err_hours"),
    ("loudspeakers air it", "alerts.err_repeats"),
    ("choose actual, exercise or test", "alerts.err_status"),
    ("choose the area among", "alerts.err_area"),
    ("say why the alert is cancelled", "alerts.err_reason"),
    ("draw the area with at least three", "alerts.err_polygon"),
    ("choose the recording to upload", "alerts.err_recording"),
    ("the recording is larger than", "alerts.err_recording_big"),
    ("not an MP3, Ogg or WAV", "alerts.err_recording_kind"),
    ("the recording cannot be read", "alerts.err_recording_kind"),
    ("the drawn area must reach", "alerts.err_polygon_reach"),
];

fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    crate::error::refusals(ctx, MESSAGE_KEYS, e)
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(xaso_domain::time::format_datetime_vn)
        .unwrap_or_default()
}

fn at(s: &str) -> String {
    when(xaso_domain::time::from_storage(s))
}

/// The choices of the form, as (value, label).
fn choices(p: &Page) -> Choices {
    Choices {
        hazards: Hazard::ALL
            .iter()
            .map(|h| (h.as_str(), p.t(&format!("alert_hazard.{}", h.as_str()))))
            .collect(),
        urgencies: Urgency::choices(),
        severities: Severity::choices(),
        certainties: Certainty::choices(),
    }
}

struct Choices {
    hazards: Vec<(&'static str, &'static str)>,
    urgencies: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    certainties: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "alerts/index.html")]
struct IndexPage {
    p: Page,
    unit: Unit,
    area: Vec<Unit>,
    picked: Vec<String>,
    recent: Vec<AlertRow>,
    /// Messages from upstream sources for this commune.
    drafts: Vec<xaso_core::alerts::follow::Draft>,
    /// The drawing map's data: tiles, the unit's boundary, its placed loudspeakers and boards.
    map: String,
    f: AlertInput,
    errors: Vec<(String, String)>,
    c: Choices,
}

impl IndexPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn draft_status(&self, d: &xaso_core::alerts::follow::Draft) -> &'static str {
        self.p.t(&format!("alerts.draft_{}", d.row.status))
    }
    fn draft_kind(&self, d: &xaso_core::alerts::follow::Draft) -> &'static str {
        MsgType::parse(&d.row.msg_type).map_or("", MsgType::vi)
    }
    fn draft_level(&self, d: &xaso_core::alerts::follow::Draft) -> String {
        let s = Severity::parse(&d.row.severity).map_or(d.row.severity.clone(), |v| v.vi().into());
        let u = Urgency::parse(&d.row.urgency).map_or(d.row.urgency.clone(), |v| v.vi().into());
        format!("{s} · {u}")
    }
    fn draft_until(&self, d: &xaso_core::alerts::follow::Draft) -> String {
        d.row.expires_at.as_deref().map(at).unwrap_or_default()
    }
    fn sent(&self, a: &AlertRow) -> String {
        at(&a.sent_at)
    }
    fn kind(&self, a: &AlertRow) -> &'static str {
        self.p.t(&format!("alert_msg.{}", a.msg_type))
    }
    fn severity(&self, a: &AlertRow) -> &'static str {
        Severity::parse(&a.severity).map_or("", Severity::vi)
    }
    fn is_picked(&self, code: &str) -> bool {
        self.picked.iter().any(|c| c == code)
    }
}

async fn index_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: AlertInput,
    picked: Vec<String>,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let unit = xaso_core::units::by_code(&state.store, code, xaso_domain::time::today_vn()).await?;
    if !xaso_core::alerts::issues(&state.store, ctx.actor.as_ref(), &unit.id).await? {
        return Err(Error::Forbidden.into());
    }
    let area = xaso_core::alerts::area_choices(&state.store, &unit).await?;
    let recent = xaso_core::alerts::recent(&state.store, 200)
        .await?
        .into_iter()
        .filter(|a| a.unit_id == unit.id)
        .take(30)
        .collect();
    let drafts = xaso_core::alerts::follow::drafts(&state.store, ctx.actor.as_ref(), code).await?;
    let boundary = xaso_core::places::boundary_geojson(&state.store, &unit.id).await?;
    let devices: Vec<serde_json::Value> =
        xaso_core::broadcast::devices::placed(&state.store, &unit)
            .await?
            .into_iter()
            .map(|(label, lat, lng)| serde_json::json!({"label": label, "lat": lat, "lng": lng}))
            .collect();
    let map = crate::places::html::map_json(serde_json::json!({
        "tiles": state.config.tile_url,
        "attribution": crate::places::html::attribution(&state.config.tile_url),
        "boundary": boundary, "devices": devices,
    }));
    let p = ctx.page();
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&IndexPage {
            c: choices(&p),
            p,
            unit,
            area,
            picked,
            recent,
            drafts,
            map,
            f,
            errors,
        }),
    )
        .into_response())
}

/// The unit's alerts and the form that issues one.
pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/alerts")).into_response());
    }
    let f = AlertInput {
        hazard: "flood".into(),
        urgency: "Immediate".into(),
        certainty: "Likely".into(),
        hours: "24".into(),
        repeats: "3".into(),
        ..Default::default()
    };
    index_page(&state, &ctx, &code, f, Vec::new(), Vec::new()).await
}

/// An alert form as sent: repeated `area` fields kept.
fn alert_form(pairs: &[(String, String)]) -> (String, AlertInput, Vec<String>) {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let area = pairs
        .iter()
        .filter(|(k, _)| k == "area")
        .map(|(_, v)| v.clone())
        .collect();
    (
        get("csrf"),
        AlertInput {
            hazard: get("hazard"),
            urgency: get("urgency"),
            severity: get("severity"),
            certainty: get("certainty"),
            risk_level: get("risk_level"),
            headline: get("headline"),
            description: get("description"),
            instruction: get("instruction"),
            hours: get("hours"),
            repeats: get("repeats"),
            status: get("status"),
            polygon: get("polygon"),
        },
        area,
    )
}

/// Issues an alert: at once to every device of the area, the banner, the feed.
pub async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (csrf, f, area) = alert_form(&pairs);
    ctx.check_form_write(&csrf)?;
    let base = crate::qr::base_url(&state, &headers);
    match xaso_core::alerts::issue(
        &state.store,
        &state.hub,
        ctx.actor.as_ref(),
        &code,
        &f,
        &area,
        &base,
    )
    .await
    {
        Ok(a) => {
            state.banners.clear();
            state.pages.clear();
            let portal = pairs.iter().any(|(k, v)| k == "portal" && v == "1");
            relay::to_portal(&state, ctx.actor.as_ref(), &a, &base, portal, "").await;
            Ok(Redirect::to(&format!("/alerts/{}", a.first_id())).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            index_page(&state, &ctx, &code, f, area, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "alerts/show.html")]
struct ShowPage {
    p: Page,
    messages: Vec<Alert>,
    /// The issuers' view: the devices of the area and what they did with each message.
    devices: Option<Vec<DeviceRecord>>,
    /// The issuers' view: where the messages were relayed (webhook, portal and Zalo OA).
    relays: Vec<xaso_storage::alerts::RelayRow>,
    in_force: bool,
    /// Just after the officer's recording was kept.
    recorded: bool,
    f: AlertInput,
    errors: Vec<(String, String)>,
    c: Choices,
}

impl ShowPage {
    fn first(&self) -> &Alert {
        &self.messages[0]
    }
    fn latest(&self) -> &Alert {
        self.messages.last().expect("a thread has a message")
    }
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn sent(&self, a: &Alert) -> String {
        at(&a.row.sent_at)
    }
    fn relay_channel(&self, r: &xaso_storage::alerts::RelayRow) -> &'static str {
        self.p.t(&format!("alerts.relay_{}", r.channel))
    }
    fn relay_status(&self, r: &xaso_storage::alerts::RelayRow) -> &'static str {
        self.p.t(&format!("alerts.relay_{}", r.status))
    }
    fn relay_at(&self, r: &xaso_storage::alerts::RelayRow) -> String {
        at(&r.at)
    }
    fn length(&self, a: &Alert) -> String {
        let s = (a.row.audio_ms + 500) / 1000;
        format!("{}:{:02}", s / 60, s % 60)
    }
    fn expires(&self, a: &Alert) -> String {
        when(a.expires())
    }
    fn kind(&self, a: &Alert) -> &'static str {
        self.p.t(&format!("alert_msg.{}", a.row.msg_type))
    }
    fn hazard(&self, a: &Alert) -> &'static str {
        self.p.t(&format!("alert_hazard.{}", a.row.hazard))
    }
    fn severity(&self, a: &Alert) -> &'static str {
        Severity::parse(&a.row.severity).map_or("", Severity::vi)
    }
    fn urgency(&self, a: &Alert) -> &'static str {
        Urgency::parse(&a.row.urgency).map_or("", Urgency::vi)
    }
    fn certainty(&self, a: &Alert) -> &'static str {
        Certainty::parse(&a.row.certainty).map_or("", Certainty::vi)
    }
    fn device_kind(&self, d: &DeviceRecord) -> &'static str {
        let m = if d.kind == xaso_core::broadcast::BOARD_KIND {
            "board"
        } else {
            "speaker"
        };
        self.p.t(&format!("broadcast_medium.{m}"))
    }
    fn cell(&self, t: &Option<DateTime<Utc>>) -> String {
        t.map(|t| {
            t.with_timezone(&xaso_domain::time::vn_offset())
                .format("%H:%M:%S %d/%m")
                .to_string()
        })
        .unwrap_or_else(|| "—".into())
    }
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    f: Option<AlertInput>,
    errors: Vec<(String, String)>,
    recorded: bool,
) -> Result<Response, PageError> {
    let messages = xaso_core::alerts::thread(&state.store, id).await?;
    if messages[0].row.id != id {
        return Ok(Redirect::to(&format!("/alerts/{}", messages[0].first_id())).into_response());
    }
    let devices = match xaso_core::alerts::deliveries(&state.store, ctx.actor.as_ref(), id).await {
        Ok((_, d)) => Some(d),
        Err(Error::Forbidden | Error::Unauthenticated) => None,
        Err(e) => return Err(e.into()),
    };
    let relays = if devices.is_some() {
        let ids: Vec<String> = messages.iter().map(|m| m.row.id.clone()).collect();
        xaso_core::alerts::relay::of(&state.store, &ids).await?
    } else {
        Vec::new()
    };
    let latest = messages.last().expect("a thread has a message");
    let in_force =
        latest.row.msg_type != "Cancel" && latest.expires().is_some_and(|e| e > Utc::now());
    let f = f.unwrap_or_else(|| AlertInput {
        hazard: latest.row.hazard.clone(),
        urgency: latest.row.urgency.clone(),
        severity: latest.row.severity.clone(),
        certainty: latest.row.certainty.clone(),
        risk_level: latest
            .row
            .risk_level
            .map(|l| l.to_string())
            .unwrap_or_default(),
        headline: latest.row.headline.clone(),
        description: latest.row.description.clone(),
        instruction: latest.row.instruction.clone(),
        hours: "24".into(),
        repeats: latest.row.repeats.to_string(),
        status: latest.row.status.clone(),
        polygon: String::new(),
    });
    let p = ctx.page();
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&ShowPage {
            c: choices(&p),
            p,
            messages,
            devices,
            relays,
            in_force,
            recorded,
            f,
            errors,
        }),
    )
        .into_response())
}

/// An alert's page: public; its issuers also see the devices and the update and cancel forms.
#[derive(serde::Deserialize)]
pub struct ShowQuery {
    recorded: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, PageError> {
    show_page(&state, &ctx, &id, None, Vec::new(), q.recorded.is_some()).await
}

/// Sends an update of an alert.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (csrf, f, _) = alert_form(&pairs);
    ctx.check_form_write(&csrf)?;
    let base = crate::qr::base_url(&state, &headers);
    match xaso_core::alerts::update(&state.store, &state.hub, ctx.actor.as_ref(), &id, &f, &base)
        .await
    {
        Ok(a) => {
            relay::to_portal(&state, ctx.actor.as_ref(), &a, &base, false, "").await;
            state.banners.clear();
            state.pages.clear();
            Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            show_page(&state, &ctx, &id, Some(f), errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Cancels an alert (the page asks first).
pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    ctx.check_form_write(&get("csrf"))?;
    let base = crate::qr::base_url(&state, &headers);
    match xaso_core::alerts::cancel(
        &state.store,
        &state.hub,
        ctx.actor.as_ref(),
        &id,
        &get("reason"),
        &base,
    )
    .await
    {
        Ok(a) => {
            state.banners.clear();
            state.pages.clear();
            let reason = xaso_domain::text::clean(&get("reason"));
            relay::to_portal(&state, ctx.actor.as_ref(), &a, &base, false, &reason).await;
            Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            show_page(&state, &ctx, &id, None, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One CAP 1.2 message as issued.
pub async fn cap_xml(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let id = file
        .strip_suffix(".xml")
        .ok_or_else(|| PageError::not_found(false))?;
    let row = xaso_core::alerts::message(&state.store, id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                format!("{}; charset=utf-8", xaso_core::alerts::cap::MEDIA_TYPE),
            ),
            (header::CACHE_CONTROL, "public, max-age=60".to_string()),
        ],
        row.cap_xml,
    )
        .into_response())
}

/// The Atom feed of recent CAP messages, for systems that relay them.
pub async fn cap_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let rows = xaso_core::alerts::recent(&state.store, 50).await?;
    let xml = xaso_core::alerts::cap::feed(
        &rows,
        &xaso_core::alerts::cap::Sender::of(&base),
        "Cảnh báo khẩn cấp — Xã Số",
    )?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        xml,
    )
        .into_response())
}

/// A device's event stream (Server-Sent Events): first the alerts in force for it, then every
/// alert message and schedule change aimed at it as it happens; a comment every 20 s keeps the
/// connection open through proxies.
#[utoipa::path(get, path = "/api/v1/devices/{id}/events", tag = "broadcast",
    security(("device" = [])), params(("id" = String, Path, description = "The device's asset id")),
    responses((status = 200, description = "text/event-stream: `alert` and `schedule` events (docs/PLAYERS.md)"),
        (status = 401, description = "Not this device's token")))]
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let player = crate::broadcast::api::player(&state, &headers, &id).await?;
    // Subscribe first, so nothing sent while the alerts in force are read is missed.
    let rx = state.hub.subscribe();
    let now = xaso_core::alerts::in_force_for(&state.store, &player, Utc::now())
        .await
        .map_err(PageError::api)?;
    let hello = SseEvent::default().event("hello").data(
        serde_json::json!({"device": player.asset.id, "protocol": xaso_core::broadcast::devices::PROTOCOL}).to_string(),
    );
    let first = stream::iter(
        std::iter::once(hello)
            .chain(now.iter().map(|a| {
                SseEvent::default()
                    .event("alert")
                    .data(xaso_core::alerts::event_json(a))
            }))
            .map(Ok::<_, Infallible>)
            .collect::<Vec<_>>(),
    );
    let units = (player.unit_ids.clone(), player.position);
    let live = stream::unfold((rx, units), |(mut rx, units)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if ev.reaches(&units.0, units.1) => {
                    let e = SseEvent::default()
                        .event(ev.kind.as_str())
                        .data(ev.data.clone());
                    return Some((Ok::<_, Infallible>(e), (rx, units)));
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<SseEvent, Infallible>> + Send>> =
        Box::pin(first.chain(live));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(20)))
        .into_response())
}

/// A device says it received an alert message.
#[utoipa::path(post, path = "/api/v1/devices/{id}/alerts/{alert}/received", tag = "broadcast",
    security(("device" = [])),
    params(("id" = String, Path, description = "The device's asset id"), ("alert" = String, Path, description = "The message's id")),
    responses((status = 204, description = "Noted"), (status = 401, description = "Not this device's token"),
        (status = 404, description = "No such message for this device's area")))]
pub async fn received(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, alert)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let player = crate::broadcast::api::player(&state, &headers, &id).await?;
    xaso_core::alerts::received(&state.store, &player, &alert)
        .await
        .map_err(PageError::api)?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// Replaces the machine speech of an alert in force with the officer's recording.
pub async fn set_recording(
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
    match xaso_core::alerts::set_recording(
        &state.store,
        &state.files,
        &state.hub,
        ctx.actor.as_ref(),
        &id,
        file,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/alerts/{id}?recorded=1")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            show_page(&state, &ctx, &id, None, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The speech of an alert message for a loudspeaker of its area.
#[utoipa::path(get, path = "/api/v1/devices/{id}/alerts/{alert}/audio", tag = "broadcast",
    security(("device" = [])),
    params(("id" = String, Path, description = "The device's asset id"), ("alert" = String, Path, description = "The message's id")),
    responses((status = 200, description = "The recording"), (status = 401, description = "Not this device's token"),
        (status = 404, description = "Not ready yet, or not for this device")))]
pub async fn audio(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, alert)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let player = crate::broadcast::api::player(&state, &headers, &id).await?;
    let (key, mime) = xaso_core::alerts::audio(&state.store, &player, &alert)
        .await
        .map_err(PageError::api)?;
    let api = crate::files::For::Api;
    let size = state
        .files
        .size(&key)
        .await
        .map_err(|e| crate::files::fault(api, e))?;
    crate::files::send(api, &state.files, &key, &mime, size, &headers, &[]).await
}

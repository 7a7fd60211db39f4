//! The device protocol's HTTP side (docs/PLAYERS.md): a loudspeaker cluster head or a board
//! player sends `Authorization: Bearer <its ICT device token>`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xaso_core::broadcast::devices::{self, Player};
use xaso_core::Error;
use xaso_domain::broadcast::PlayReport;

use crate::error::PageError;
use crate::AppState;

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("")
}

/// The device a request comes from, its token checked (API errors for the device).
pub(crate) async fn player(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<Player, PageError> {
    let token = bearer(headers);
    if token.is_empty() {
        return Err(PageError::api(Error::Unauthenticated));
    }
    state
        .players
        .authenticate(&state.store, id, token)
        .await
        .map_err(PageError::api)
}

/// Whether the client already holds this version (`If-None-Match`, weak or strong).
fn holds(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

fn not_modified(etag: &str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// A device's schedule for today and the next two days, with the manifest of its media.
/// Send the last `ETag` as `If-None-Match`: an unchanged schedule answers 304 without a body.
#[utoipa::path(get, path = "/api/v1/devices/{id}/schedule", tag = "broadcast",
    security(("device" = [])), params(("id" = String, Path, description = "The device's asset id")),
    responses((status = 200, description = "The schedule (protocol 1, docs/PLAYERS.md)", body = Object),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 401, description = "No token, or not this device's current token"),
        (status = 409, description = "The device is neither a loudspeaker cluster nor a board")))]
pub async fn schedule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let player = player(&state, &headers, &id).await?;
    let today = xaso_domain::time::today_vn();
    let version = state
        .players
        .version(&state.store)
        .await
        .map_err(PageError::api)?;
    let etag = devices::etag(&player, version, today);
    if holds(&headers, &etag) {
        return Ok(not_modified(&etag));
    }
    let body = devices::schedule(&state.store, &player, today, chrono::Utc::now())
        .await
        .map_err(PageError::api)?;
    let mut r = axum::Json(body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(r)
}

/// A bulletin's file for the device (its recording or slide). The `ETag` is the file's SHA-256
/// as the manifest gives it, so a device checks what it cached.
#[utoipa::path(get, path = "/api/v1/devices/{id}/media/{item}", tag = "broadcast",
    security(("device" = [])),
    params(("id" = String, Path, description = "The device's asset id"),
        ("item" = String, Path, description = "The bulletin's id from the manifest")),
    responses((status = 200, description = "The file"), (status = 304, description = "Unchanged"),
        (status = 401, description = "Not this device's token"),
        (status = 404, description = "No such approved bulletin of the device's commune")))]
pub async fn media(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, item)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let player = player(&state, &headers, &id).await?;
    let m = devices::media(&state.store, &player, &item)
        .await
        .map_err(PageError::api)?;
    let etag = format!("\"{}\"", m.sha256);
    if holds(&headers, &etag) {
        return Ok(not_modified(&etag));
    }
    // Streamed (bulletins run to tens of megabytes), with ranges for an agent that resumes.
    let size = match m.bytes {
        Some(n) => n,
        None => state
            .files
            .size(&m.key)
            .await
            .map_err(|e| crate::files::fault(crate::files::For::Api, e))?,
    };
    crate::files::send(
        crate::files::For::Api,
        &state.files,
        &m.key,
        &m.mime,
        size,
        &headers,
        &[
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "private, no-cache".to_string()),
        ],
    )
    .await
}

/// What a device played since its last report.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Plays {
    pub plays: Vec<PlayReport>,
}

/// How many reports were new (a report sent again is kept once).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaysKept {
    pub kept: u64,
}

/// Takes a device's play reports, all or none (at most 500 at once).
#[utoipa::path(post, path = "/api/v1/devices/{id}/plays", tag = "broadcast",
    security(("device" = [])), params(("id" = String, Path, description = "The device's asset id")),
    request_body = Plays,
    responses((status = 200, body = PlaysKept), (status = 400, description = "Not JSON"),
        (status = 401, description = "Not this device's token"),
        (status = 422, description = "A report is wrong; nothing kept")))]
pub async fn plays(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let player = player(&state, &headers, &id).await?;
    let got: Plays = serde_json::from_slice(&body).map_err(|e| {
        PageError::bad_request(format!("the body must be {{\"plays\": [...]}}: {e}"), true)
    })?;
    let kept = devices::report(&state.store, &player, &got.plays)
        .await
        .map_err(PageError::api)?;
    Ok(axum::Json(PlaysKept { kept }).into_response())
}

/// The broadcast log of a unit as a provincial information source system pulls it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BroadcastLog {
    pub unit: String,
    /// The days covered (Vietnam's), both included.
    pub from: String,
    pub to: String,
    /// What the unit's loudspeakers and boards reported playing, in time order.
    #[schema(value_type = Vec<Object>)]
    pub plays: Vec<devices::LogLine>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// First day, yyyy-mm-dd (default today).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day (default: the first).
    #[param(format = Date)]
    pub to: Option<String>,
}

/// What a commune's loudspeakers and boards played (at most 93 days at once), for the
/// commune's and area's officers and their API tokens.
#[utoipa::path(get, path = "/api/v1/units/{code}/broadcast-log", tag = "broadcast",
    params(("code" = String, Path, description = "The commune's code"), LogParams),
    responses((status = 200, body = BroadcastLog), (status = 401, description = "Sign in first"),
        (status = 403, description = "Not an officer of this unit"),
        (status = 422, description = "Dates unreadable or more than 93 days")))]
pub async fn log(
    State(state): State<AppState>,
    ctx: crate::ctx::Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<LogParams>,
) -> Result<Response, PageError> {
    let today = xaso_domain::time::today_vn();
    // ISO dates only here (the page also reads dd/mm/yyyy); absent means the default.
    let day = |s: &Option<String>, field: &'static str| match s.as_deref() {
        None => Ok(None),
        Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| PageError::api(Error::invalid(field, "write the date as yyyy-mm-dd"))),
    };
    let from = day(&q.from, "from")?.unwrap_or(today);
    let to = day(&q.to, "to")?.unwrap_or(from);
    let (unit, plays) = devices::log(&state.store, ctx.actor.as_ref(), &code, from, to)
        .await
        .map_err(PageError::api)?;
    Ok(axum::Json(BroadcastLog {
        unit: unit.code,
        from: from.to_string(),
        to: to.to_string(),
        plays,
    })
    .into_response())
}

//! Devices on the web: the heartbeat a device pushes with its own token, the token staff make
//! (shown once, with the commands to paste into the device) and revoke, the public Wi-Fi map
//! and its JSON.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xaso_core::ict::devices::WifiPoint;
use xaso_core::Error;
use xaso_domain::ict::devices::Figures;

use crate::ctx::{CsrfForm, Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// Takes a device's heartbeat. The device sends `Authorization: Bearer <its token>` and,
/// optionally, a JSON object of figures (any content type, so `wget --post-data` works).
#[utoipa::path(post, path = "/api/v1/devices/{id}/heartbeat", tag = "ict",
    request_body(content = Option<Figures>, description = "Optional figures; an empty body is a bare heartbeat"),
    security(("device" = [])), params(("id" = String, Path, description = "The device's asset id")),
    responses((status = 204, description = "Taken; the device is online"),
        (status = 400, description = "The body is not a JSON object of figures"),
        (status = 401, description = "No token, or not this device's current token"),
        (status = 422, description = "A figure out of range; nothing written")))]
pub async fn heartbeat(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(PageError::api(Error::Unauthenticated));
    }
    let figures = if body.iter().all(u8::is_ascii_whitespace) {
        Figures::default()
    } else {
        // `null` counts as no figures, like an empty body.
        match serde_json::from_slice::<Option<Figures>>(&body) {
            Ok(f) => f.unwrap_or_default(),
            // A caller without the device's token learns nothing about its body.
            Err(e) => {
                let known = xaso_core::ict::devices::token_matches(&state.store, &id, token)
                    .await
                    .map_err(PageError::api)?;
                if !known {
                    return Err(PageError::api(Error::Unauthenticated));
                }
                return Err(PageError::bad_request(
                    format!("the body must be a JSON object of figures (clients, uptime_s, firmware, signal_dbm): {e}"),
                    true,
                ));
            }
        }
    };
    let written = state
        .beats
        .take(&state.store, &id, token, figures, chrono::Utc::now())
        .await
        .map_err(PageError::api)?;
    if written {
        state.wifi.clear();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Template)]
#[template(path = "ict/token.html")]
struct TokenPage {
    p: Page,
    a: xaso_core::ict::Asset,
    token: String,
    url: String,
    /// The platform's address, for the players' set-up lines.
    base: String,
}

/// Makes a device token and shows it once, with the commands that send heartbeats.
pub async fn make_token(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let token = xaso_core::ict::devices::make_token(&state.store, ctx.actor.as_ref(), &id).await?;
    state.players.clear();
    state.beats.forget(&id);
    let a = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let base = crate::qr::base_url(&state, &headers);
    let url = format!("{base}/api/v1/devices/{}/heartbeat", a.row.id);
    let mut resp = render(&TokenPage {
        p: ctx.page(),
        a,
        token,
        url,
        base,
    });
    // The token is on this page only: not to be kept by any cache.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("header value"),
    );
    Ok(resp)
}

/// Revokes a device's token.
pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    xaso_core::ict::devices::revoke_token(&state.store, ctx.actor.as_ref(), &id).await?;
    state.players.clear();
    state.beats.forget(&id);
    Ok(Redirect::to(&format!("/assets/{id}?revoked=1")).into_response())
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WifiQuery {
    /// A unit code (a commune, or an area or province for all its communes); every commune
    /// when absent.
    #[serde(default)]
    pub unit: Option<String>,
}

/// A public Wi-Fi point: what anyone may see (no network details, no custodian).
#[derive(Serialize, ToSchema)]
pub struct WifiPointOut {
    /// The access point's id; its label's page is `/t/{id}`.
    pub id: String,
    pub tag: String,
    pub commune_code: String,
    pub commune_name: String,
    /// The network name people choose.
    pub ssid: String,
    pub hours: String,
    pub how_to_connect: String,
    pub place_name: Option<String>,
    /// The place's digital address (Plus Code).
    pub plus_code: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// False when the commune has marked it broken, in repair or missing.
    pub working: bool,
    /// online, offline or never (a token was made, no heartbeat yet); null for a point that
    /// does not report.
    pub state: Option<xaso_domain::ict::devices::DeviceState>,
    /// Share of the last seven days it was online (0–1); null for a point that does not report.
    pub uptime_7d: Option<f64>,
}

impl From<WifiPoint> for WifiPointOut {
    fn from(w: WifiPoint) -> WifiPointOut {
        WifiPointOut {
            id: w.id,
            tag: w.tag,
            commune_code: w.commune_code,
            commune_name: w.commune_name,
            ssid: w.ssid,
            hours: w.hours,
            how_to_connect: w.howto,
            place_name: w.place_name,
            plus_code: w.plus_code,
            lat: w.lat,
            lon: w.lon,
            working: w.working,
            state: w.state,
            uptime_7d: w.uptime_7d,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WifiList {
    /// The unit asked for, when one was.
    pub unit_code: Option<String>,
    pub points: Vec<WifiPointOut>,
}

async fn wifi_points(
    state: &AppState,
    unit: Option<&str>,
) -> xaso_core::Result<(
    Option<xaso_domain::units::Unit>,
    std::sync::Arc<Vec<WifiPoint>>,
)> {
    let now = chrono::Utc::now();
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(code) => {
            let unit = xaso_core::units::by_code(&state.store, code, xaso_domain::time::today_vn())
                .await?;
            let communes = xaso_core::units::communes_of(&state.store, &unit).await?;
            let points = state.wifi.get(&state.store, Some(&communes), now).await?;
            Ok((Some(unit), points))
        }
        None => Ok((None, state.wifi.get(&state.store, None, now).await?)),
    }
}

/// The free public Wi-Fi points with their status now (online, offline, never; uptime over
/// the last seven days). Public: no network details, no custodian.
#[utoipa::path(get, path = "/api/v1/wifi", tag = "ict", params(WifiQuery),
    responses((status = 200, body = WifiList), (status = 404, description = "No such unit")))]
pub async fn wifi_api(
    State(state): State<AppState>,
    Query(q): Query<WifiQuery>,
) -> Result<Response, PageError> {
    let (unit, points) = wifi_points(&state, q.unit.as_deref())
        .await
        .map_err(PageError::api)?;
    let mut resp = Json(WifiList {
        unit_code: unit.map(|u| u.code),
        points: points.iter().cloned().map(WifiPointOut::from).collect(),
    })
    .into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        "public, max-age=60".parse().expect("header value"),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "ict/wifi.html")]
struct WifiPage {
    p: Page,
    unit: Option<xaso_domain::units::Unit>,
    points: Vec<WifiPoint>,
    tiles: String,
    attribution: &'static str,
}

impl WifiPage {
    fn state(&self, w: &WifiPoint) -> &'static str {
        use xaso_domain::ict::devices::DeviceState;
        if !w.working {
            return self.p.t("ict.wifi_paused");
        }
        match w.state {
            Some(DeviceState::Online) => self.p.t("ict.state_online"),
            Some(DeviceState::Offline) => self.p.t("ict.state_offline"),
            Some(DeviceState::Never) | None => self.p.t("ict.state_unknown"),
        }
    }
    fn state_class(&self, w: &WifiPoint) -> &'static str {
        use xaso_domain::ict::devices::DeviceState;
        match (w.working, w.state) {
            (false, _) => "off",
            (true, Some(DeviceState::Online)) => "on",
            (true, Some(DeviceState::Offline)) => "off",
            _ => "unknown",
        }
    }
    fn uptime(&self, w: &WifiPoint) -> String {
        w.uptime_7d
            .map(|u| format!("{:.0} %", u * 100.0))
            .unwrap_or_else(|| "—".into())
    }
    fn positioned(&self) -> bool {
        self.points
            .iter()
            .any(|w| w.lat.is_some() && w.lon.is_some())
    }
    fn counts(&self) -> (usize, usize) {
        let online = self
            .points
            .iter()
            .filter(|w| {
                w.working && w.state == Some(xaso_domain::ict::devices::DeviceState::Online)
            })
            .count();
        (self.points.len(), online)
    }
    /// The points for the shared map script (places.js), only those with a position; the
    /// marker colour follows the state, and the popup says it in words.
    fn map(&self) -> String {
        let points: Vec<serde_json::Value> = self
            .points
            .iter()
            .filter_map(|w| {
                let kind = match self.state_class(w) {
                    "on" => "resolved",
                    "off" => "received",
                    _ => "other",
                };
                let place = w.place_name.clone().unwrap_or_default();
                Some(serde_json::json!({
                    "lat": w.lat?, "lng": w.lon?, "kind": kind,
                    "label": format!("{} — {}", w.ssid, place),
                    "sub": format!("{} · {}", self.state(w), w.hours),
                    "url": format!("/t/{}", w.id),
                }))
            })
            .collect();
        crate::places::html::map_json(serde_json::json!({
            "tiles": self.tiles, "attribution": self.attribution, "points": points,
        }))
    }
}

/// The public Wi-Fi map of a unit (or of everything the platform holds).
pub async fn wifi_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<WifiQuery>,
) -> Result<Response, PageError> {
    let (unit, points) = wifi_points(&state, q.unit.as_deref()).await?;
    Ok(render(&WifiPage {
        p: ctx.page(),
        unit,
        points: points.as_ref().clone(),
        tiles: state.config.tile_url.clone(),
        attribution: if state.config.tile_url.contains("openstreetmap.org") {
            "© OpenStreetMap"
        } else {
            ""
        },
    }))
}

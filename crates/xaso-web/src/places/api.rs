//! Plus Code arithmetic over HTTP, for apps that cannot run it themselves. Stateless and
//! public: nothing is stored.

use axum::extract::Query;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xaso_domain::pluscode;

use crate::error::PageError;

fn bad(e: impl std::fmt::Display) -> PageError {
    PageError::bad_request(e.to_string(), true)
}

/// A number from a query parameter, or a 400 that names the parameter.
fn number(name: &str, v: &Option<String>) -> Result<f64, PageError> {
    let s = v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(format!("`{name}` is required")))?;
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(format!("`{name}` must be a number in degrees, not `{s}`")))
}

fn code_param(v: &Option<String>) -> Result<&str, PageError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("`code` is required"))
}

#[derive(Deserialize, IntoParams)]
pub struct EncodeQuery {
    /// Latitude in WGS84 degrees.
    lat: Option<String>,
    /// Longitude in WGS84 degrees.
    lng: Option<String>,
    /// Digits: 2, 4, 6, 8 or 10–15 (default 10).
    length: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct CodeOut {
    pub code: String,
}

/// Encodes a point as a full Plus Code.
#[utoipa::path(get, path = "/api/v1/pluscode/encode", tag = "pluscode", params(EncodeQuery),
    responses((status = 200, body = CodeOut), (status = 400, description = "Missing or bad input, or a length the specification forbids")))]
pub async fn encode(Query(q): Query<EncodeQuery>) -> Result<Json<CodeOut>, PageError> {
    let (lat, lng) = (number("lat", &q.lat)?, number("lng", &q.lng)?);
    let code =
        pluscode::encode(lat, lng, q.length.unwrap_or(pluscode::DEFAULT_LENGTH)).map_err(bad)?;
    Ok(Json(CodeOut { code }))
}

#[derive(Deserialize, IntoParams)]
pub struct CodeQuery {
    /// A Plus Code, e.g. 7P28GCP7+6G.
    code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AreaOut {
    pub latitude_lo: f64,
    pub longitude_lo: f64,
    pub latitude_hi: f64,
    pub longitude_hi: f64,
    pub latitude_center: f64,
    pub longitude_center: f64,
    pub code_length: usize,
}

/// Decodes a full code to the area it stands for.
#[utoipa::path(get, path = "/api/v1/pluscode/decode", tag = "pluscode", params(CodeQuery),
    responses((status = 200, body = AreaOut), (status = 400, description = "Not a valid full code")))]
pub async fn decode(Query(q): Query<CodeQuery>) -> Result<Json<AreaOut>, PageError> {
    let a = pluscode::decode(code_param(&q.code)?).map_err(bad)?;
    Ok(Json(AreaOut {
        latitude_lo: a.latitude_lo,
        longitude_lo: a.longitude_lo,
        latitude_hi: a.latitude_hi,
        longitude_hi: a.longitude_hi,
        latitude_center: a.latitude_center(),
        longitude_center: a.longitude_center(),
        code_length: a.code_length,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct NearQuery {
    /// A full code (shorten) or a short one (recover).
    code: Option<String>,
    /// Reference latitude.
    lat: Option<String>,
    /// Reference longitude.
    lng: Option<String>,
}

/// Shortens a full code relative to a nearby reference point.
#[utoipa::path(get, path = "/api/v1/pluscode/shorten", tag = "pluscode", params(NearQuery),
    responses((status = 200, body = CodeOut), (status = 400, description = "Not a full code, padded, or bad reference")))]
pub async fn shorten(Query(q): Query<NearQuery>) -> Result<Json<CodeOut>, PageError> {
    let code = code_param(&q.code)?;
    let (lat, lng) = (number("lat", &q.lat)?, number("lng", &q.lng)?);
    let code = pluscode::shorten(code, lat, lng).map_err(bad)?;
    Ok(Json(CodeOut { code }))
}

/// Recovers the full code nearest a reference point from a short code.
#[utoipa::path(get, path = "/api/v1/pluscode/recover", tag = "pluscode", params(NearQuery),
    responses((status = 200, body = CodeOut), (status = 400, description = "Not a valid code, or bad reference")))]
pub async fn recover(Query(q): Query<NearQuery>) -> Result<Json<CodeOut>, PageError> {
    let code = code_param(&q.code)?;
    let (lat, lng) = (number("lat", &q.lat)?, number("lng", &q.lng)?);
    let code = pluscode::recover_nearest(code, lat, lng).map_err(bad)?;
    Ok(Json(CodeOut { code }))
}

#[derive(Serialize, ToSchema)]
pub struct ValidityOut {
    pub valid: bool,
    pub short: bool,
    pub full: bool,
}

/// Whether a code is valid, short or full (an invalid code is an answer, not an error).
#[utoipa::path(get, path = "/api/v1/pluscode/validate", tag = "pluscode", params(CodeQuery),
    responses((status = 200, body = ValidityOut), (status = 400, description = "No code given")))]
pub async fn validate(Query(q): Query<CodeQuery>) -> Result<Json<ValidityOut>, PageError> {
    let code = code_param(&q.code)?;
    Ok(Json(ValidityOut {
        valid: pluscode::is_valid(code),
        short: pluscode::is_short(code),
        full: pluscode::is_full(code),
    }))
}

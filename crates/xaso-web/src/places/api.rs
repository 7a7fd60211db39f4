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

/// Plus Code shapes for the OpenAPI document, as the API reads codes: any case, spaces around
/// allowed. Built from the specification's alphabet, so they cannot drift from it.
pub(crate) mod code_pattern {
    use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
    use xaso_domain::pluscode::ALPHABET;

    /// One digit of the alphabet, or of its first `n` letters (the first two digits of a full
    /// code stand for latitude 0–8 and longitude 0–17).
    fn digit(n: usize) -> String {
        let upper = std::str::from_utf8(&ALPHABET[..n]).unwrap_or_default();
        let lower: String = upper
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        format!("[{upper}{lower}]")
    }

    fn full_unpadded() -> String {
        let d = digit(20);
        format!("{}{}{d}{{6}}\\+(?:{d}{{2,7}})?", digit(9), digit(18))
    }

    fn full_padded() -> String {
        let d = digit(20);
        format!(
            "{}{}(?:{d}{{4}}00|{d}{{2}}0000|000000)\\+",
            digit(9),
            digit(18)
        )
    }

    fn short() -> String {
        let d = digit(20);
        format!("(?:{d}{{2}}|{d}{{4}}|{d}{{6}})\\+{d}{{2,7}}")
    }

    fn param(alternatives: &[String]) -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^\\s*(?:{})\\s*$", alternatives.join("|"))))
            .build()
    }

    /// A full code, padded or not.
    pub fn full() -> Object {
        param(&[full_unpadded(), full_padded()])
    }

    /// A full code without padding.
    pub fn unpadded() -> Object {
        param(&[full_unpadded()])
    }

    /// A short code, or a full one.
    pub fn short_or_full() -> Object {
        param(&[short(), full_unpadded(), full_padded()])
    }
}

fn code_param(v: &str) -> Result<&str, PageError> {
    Some(v.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("`code` is required"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EncodeQuery {
    /// Latitude in WGS84 degrees (beyond ±90 it is clipped).
    #[param(value_type = f64, required = true)]
    lat: Option<String>,
    /// Longitude in WGS84 degrees (any, normalised to −180…180).
    #[param(value_type = f64, required = true)]
    lng: Option<String>,
    /// Digits: 2, 4, 6, 8 or 10–15 (default 10).
    length: Option<usize>,
}

/// The lengths a Plus Code may have: 2, 4, 6, 8, 10–15 (longer asks give 15 digits).
pub(crate) fn code_length() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .enum_values(Some([2, 4, 6, 8])),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(10))
                    .maximum(Some(u64::MAX)),
            )
            .build(),
    )
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
#[into_params(parameter_in = Query)]
pub struct FullCodeQuery {
    /// A full Plus Code, e.g. 7P28GCP7+6G (padded codes such as 7P280000+ too; any case).
    code: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnyCodeQuery {
    /// Any text to check as a Plus Code.
    #[param(required = true, min_length = 1, pattern = "\\S")]
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
#[utoipa::path(get, path = "/api/v1/pluscode/decode", tag = "pluscode", params(FullCodeQuery),
    responses((status = 200, body = AreaOut), (status = 400, description = "Not a valid full code")))]
pub async fn decode(Query(q): Query<FullCodeQuery>) -> Result<Json<AreaOut>, PageError> {
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
#[into_params(parameter_in = Query)]
pub struct ShortenQuery {
    /// A full code without padding.
    code: String,
    /// Reference latitude.
    #[param(value_type = f64, required = true)]
    lat: Option<String>,
    /// Reference longitude.
    #[param(value_type = f64, required = true)]
    lng: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecoverQuery {
    /// A short code (or a full one, given back as it is).
    code: String,
    /// Reference latitude.
    #[param(value_type = f64, required = true)]
    lat: Option<String>,
    /// Reference longitude.
    #[param(value_type = f64, required = true)]
    lng: Option<String>,
}

/// Shortens a full code relative to a nearby reference point.
#[utoipa::path(get, path = "/api/v1/pluscode/shorten", tag = "pluscode", params(ShortenQuery),
    responses((status = 200, body = CodeOut), (status = 400, description = "Not a full code, padded, or bad reference")))]
pub async fn shorten(Query(q): Query<ShortenQuery>) -> Result<Json<CodeOut>, PageError> {
    let code = code_param(&q.code)?;
    let (lat, lng) = (number("lat", &q.lat)?, number("lng", &q.lng)?);
    let code = pluscode::shorten(code, lat, lng).map_err(bad)?;
    Ok(Json(CodeOut { code }))
}

/// Recovers the full code nearest a reference point from a short code.
#[utoipa::path(get, path = "/api/v1/pluscode/recover", tag = "pluscode", params(RecoverQuery),
    responses((status = 200, body = CodeOut), (status = 400, description = "Not a valid code, or bad reference")))]
pub async fn recover(Query(q): Query<RecoverQuery>) -> Result<Json<CodeOut>, PageError> {
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
#[utoipa::path(get, path = "/api/v1/pluscode/validate", tag = "pluscode", params(AnyCodeQuery),
    responses((status = 200, body = ValidityOut), (status = 400, description = "No code given")))]
pub async fn validate(Query(q): Query<AnyCodeQuery>) -> Result<Json<ValidityOut>, PageError> {
    let code = code_param(q.code.as_deref().unwrap_or(""))?;
    Ok(Json(ValidityOut {
        valid: pluscode::is_valid(code),
        short: pluscode::is_short(code),
        full: pluscode::is_full(code),
    }))
}

// --- places ---

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use xaso_core::places::{Place, Query as PlaceQuery};
use xaso_domain::places::{PlaceInput, PlaceKind, PlaceStatus};

use crate::ctx::Ctx;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
}

/// A place as the API shows it. `name` is absent for a household that did not agree to show
/// it; `contact` only for staff of the place's units.
#[derive(Serialize, ToSchema)]
pub struct PlaceOut {
    pub id: String,
    pub kind: PlaceKind,
    pub name: Option<String>,
    pub address: String,
    pub commune: UnitRef,
    pub village: Option<UnitRef>,
    pub latitude: f64,
    pub longitude: f64,
    pub plus_code: String,
    /// Short code relative to the commune, e.g. "GCP7+6G", to read with `locality`.
    pub short_code: Option<String>,
    pub locality: String,
    pub vpostcode: Option<String>,
    pub approximate: bool,
    pub status: PlaceStatus,
    /// Distance from `near`, in metres (nearest queries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactOut>,
    pub public_name: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub name: Option<String>,
    pub phone: Option<String>,
}

pub fn place_out(p: &Place, distance_m: Option<f64>, private: bool) -> PlaceOut {
    PlaceOut {
        id: p.id.clone(),
        kind: p.kind,
        name: if private {
            Some(p.name.clone())
        } else {
            p.public_title().map(str::to_string)
        },
        address: p.address.clone(),
        commune: UnitRef {
            code: p.commune.code.clone(),
            name: p.commune.full_name.clone(),
        },
        village: p.village.as_ref().map(|v| UnitRef {
            code: v.code.clone(),
            name: v.full_name.clone(),
        }),
        latitude: p.latitude,
        longitude: p.longitude,
        plus_code: p.plus_code.clone(),
        short_code: p.short_code.clone(),
        locality: p.commune.name.clone(),
        vpostcode: p.vpostcode.clone(),
        approximate: p.approximate,
        status: p.status,
        distance_m: distance_m.map(|d| (d * 10.0).round() / 10.0),
        contact: private.then(|| ContactOut {
            name: p.contact_name.clone(),
            phone: p.contact_phone.clone(),
        }),
        public_name: p.public_name,
    }
}

/// Give `near` or `unit` (a request with neither is refused with 400).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlacesQuery {
    /// "LAT,LNG" in degrees: the nearest active places to this point.
    #[param(
        pattern = "^\\s*[-+]?(?:90(?:\\.0{1,15})?|[1-8]?[0-9](?:\\.[0-9]{1,15})?)\\s*,\\s*[-+]?[0-9]{1,3}(?:\\.[0-9]{1,15})?\\s*$"
    )]
    near: Option<String>,
    /// How many: 1–100 nearest (default 10), 1–1000 of a unit (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// The kind of place.
    kind: Option<String>,
    /// A commune, village or area code (today's units): its places.
    unit: Option<String>,
    /// Text in the name or address, with or without diacritics, or a Plus Code.
    q: Option<String>,
    /// Places to skip (lists of a unit).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PlaceList {
    pub places: Vec<PlaceOut>,
}

fn kind_param(kind: &Option<String>) -> Result<Option<PlaceKind>, PageError> {
    match kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => PlaceKind::parse(k)
            .map(Some)
            .ok_or_else(|| bad(format!("`kind` `{k}` is not a place kind"))),
    }
}

/// Places: the nearest to a point (`near`), or those of a unit (`unit`), filtered by kind and
/// text. Public fields only.
#[utoipa::path(get, path = "/api/v1/places", tag = "places", params(PlacesQuery),
    responses((status = 200, body = PlaceList), (status = 400, description = "Neither near nor unit, or a bad value"),
        (status = 404, description = "No unit has this code today")))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<PlacesQuery>,
) -> Result<Json<PlaceList>, PageError> {
    let kind = kind_param(&q.kind)?;
    if let Some(near) = q.near.as_deref() {
        let (lat, lng) = near
            .split_once(',')
            .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
            .filter(|(a, b)| a.is_finite() && b.is_finite() && (-90.0..=90.0).contains(a))
            .ok_or_else(|| bad("`near` must be LAT,LNG in degrees"))?;
        let k = q.limit.unwrap_or(10);
        if !(1..=100).contains(&k) {
            return Err(bad("`limit` must be 1 to 100"));
        }
        let found = xaso_core::places::nearest(&state.store, lat, lng, k as usize, kind)
            .await
            .map_err(PageError::api)?;
        return Ok(Json(PlaceList {
            places: found
                .iter()
                .map(|(p, d)| place_out(p, Some(*d), false))
                .collect(),
        }));
    }
    let Some(unit) = q.unit.as_deref() else {
        return Err(bad("give `near=LAT,LNG` or `unit=CODE`"));
    };
    let query = PlaceQuery {
        kind,
        text: q.q.clone(),
        village_code: None,
        include_retired: false,
        limit: q.limit.unwrap_or(200).clamp(1, 1000),
        offset: q.offset.unwrap_or(0),
    };
    let (_, places) = xaso_core::places::list(&state.store, unit, &query)
        .await
        .map_err(PageError::api)?;
    Ok(Json(PlaceList {
        places: places.iter().map(|p| place_out(p, None, false)).collect(),
    }))
}

/// One place; contacts for staff of its units.
#[utoipa::path(get, path = "/api/v1/places/{id}", tag = "places",
    params(("id" = String, Path, description = "Place id")),
    responses((status = 200, body = PlaceOut), (status = 404, description = "No such place")))]
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<PlaceOut>, PageError> {
    let p = xaso_core::places::get(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    let private = xaso_core::places::may_write(&state.store, ctx.actor.as_ref(), &p)
        .await
        .map_err(PageError::api)?;
    Ok(Json(place_out(&p, None, private)))
}

#[derive(Deserialize, ToSchema)]
pub struct NewPlaceIn {
    /// The commune or village (today's code) the place belongs to.
    pub unit_code: String,
    #[serde(flatten)]
    pub place: PlaceInput,
}

/// Registers a place (commune officers, village teams and area officers of the unit).
#[utoipa::path(post, path = "/api/v1/places", tag = "places", request_body = NewPlaceIn,
    security(("bearer" = [])),
    responses((status = 200, body = PlaceOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Unit outside the account's units"), (status = 404, description = "No unit has this code today"),
        (status = 422, description = "Bad fields; nothing saved")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Result<Json<NewPlaceIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PlaceOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let p = xaso_core::places::create(
        &state.store,
        ctx.actor.as_ref(),
        &body.unit_code,
        &body.place,
    )
    .await
    .map_err(PageError::api)?;
    Ok(Json(place_out(&p, None, true)))
}

/// Replaces a place's fields (same rights as registering).
#[utoipa::path(put, path = "/api/v1/places/{id}", tag = "places", request_body = PlaceInput,
    security(("bearer" = [])), params(("id" = String, Path, description = "Place id")),
    responses((status = 200, body = PlaceOut), (status = 403, description = "Outside the account's units"),
        (status = 404, description = "No such place"), (status = 422, description = "Bad fields; nothing saved")))]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<PlaceInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PlaceOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let p = xaso_core::places::update(&state.store, ctx.actor.as_ref(), &id, &body)
        .await
        .map_err(PageError::api)?;
    Ok(Json(place_out(&p, None, true)))
}

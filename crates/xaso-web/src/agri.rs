//! Agricultural data's API: a commune's plots as GeoJSON.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlotQuery {
    /// A map view's box: `south,west,north,east` in degrees; only plots meeting it.
    pub bbox: Option<String>,
}

fn bbox(s: &str) -> Result<(f64, f64, f64, f64), PageError> {
    let v: Vec<f64> = s.split(',').filter_map(|p| p.trim().parse().ok()).collect();
    match v.as_slice() {
        [s, w, n, e] if s <= n && w <= e => Ok((*s, *w, *n, *e)),
        _ => Err(PageError::api(Error::invalid(
            "bbox",
            "give the box as south,west,north,east in degrees",
        ))),
    }
}

/// A commune's plots as a GeoJSON FeatureCollection (its staff: holders' names and phones are
/// in it), optionally only those in a map view's box.
#[utoipa::path(get, path = "/api/v1/units/{code}/plots", tag = "agri",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, as of today"), PlotQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this commune's staff"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "Not a commune, or an unreadable box")))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PlotQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::api(Error::Unauthenticated));
    }
    let b = q
        .bbox
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(bbox)
        .transpose()?;
    let fc = xaso_core::agri::collection(&state.store, ctx.actor.as_ref(), &code, b)
        .await
        .map_err(PageError::api)?;
    Ok(([("content-type", "application/geo+json")], fc.to_string()).into_response())
}

/// Records plots from a GeoJSON FeatureCollection: each feature a Polygon or MultiPolygon
/// (longitude, latitude) with `name`, `land_use` (LUA, HNK, CLN, NTS, NKH) and optionally
/// `irrigation`, `tenure`, `holder`, `holder_phone`, `village` as properties. All or none; each
/// plot's area is computed on the WGS 84 ellipsoid.
#[utoipa::path(post, path = "/api/v1/units/{code}/plots", tag = "agri",
    security(("bearer" = [])), request_body(content = Object, description = "GeoJSON FeatureCollection"),
    params(("code" = String, Path, description = "Commune code, as of today")),
    responses((status = 201, description = "The plots kept, as a FeatureCollection", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this commune's (or village's) staff"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A plot is wrong; nothing kept")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let rows = xaso_core::agri::create(&state.store, ctx.actor.as_ref(), &code, &body)
        .await
        .map_err(PageError::api)?;
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "features": rows.iter().map(|r| xaso_core::agri::feature(r, None)).collect::<Vec<_>>(),
    });
    Ok((
        StatusCode::CREATED,
        [("content-type", "application/geo+json")],
        fc.to_string(),
    )
        .into_response())
}

/// One plot as a GeoJSON Feature (its commune's staff).
#[utoipa::path(get, path = "/api/v1/plots/{id}", tag = "agri",
    security(("bearer" = [])), params(("id" = String, Path, description = "Plot id")),
    responses((status = 200, description = "GeoJSON Feature", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this commune's staff"),
        (status = 404, description = "No such plot")))]
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let f = xaso_core::agri::get(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(([("content-type", "application/geo+json")], f.to_string()).into_response())
}

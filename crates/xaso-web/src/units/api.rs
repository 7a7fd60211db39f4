//! Units in the JSON API.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xaso_core::Error;
use xaso_domain::units::{NewVillage, Unit, UnitLink};

use super::as_of;
use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Code of the parent unit; without it, the provinces.
    parent: Option<String>,
    /// The date the codes are read on (yyyy-mm-dd); today in Vietnam by default.
    as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UnitList {
    pub as_of: NaiveDate,
    pub parent: Option<Unit>,
    pub units: Vec<Unit>,
}

/// Units valid on a date: the provinces, or the children of one unit.
#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(ListQuery),
    responses((status = 200, body = UnitList), (status = 400, description = "Bad date"), (status = 404, description = "No such parent on that date")))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<UnitList>, PageError> {
    let (day, _) = as_of(q.as_of.as_deref(), true)?;
    let out = match q.parent.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let (parent, units) = xaso_core::units::children(&state.store, code, day)
                .await
                .map_err(|e| not_on(e, code, day))?;
            UnitList {
                as_of: day,
                parent: Some(parent),
                units,
            }
        }
        None => UnitList {
            as_of: day,
            parent: None,
            units: xaso_core::units::roots(&state.store, day)
                .await
                .map_err(PageError::api)?,
        },
    };
    Ok(Json(out))
}

fn not_on(e: Error, code: &str, day: NaiveDate) -> PageError {
    match e {
        Error::NotFound => PageError::api(Error::NotFound)
            .with_not_found(format!("no unit has code {code} on {day}")),
        other => PageError::api(other),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The date the code is read on (yyyy-mm-dd); today in Vietnam by default.
    as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UnitDetail {
    pub as_of: NaiveDate,
    pub unit: Unit,
    pub parent: Option<Unit>,
    /// Province first.
    pub ancestors: Vec<Unit>,
    /// Children valid on `as_of`.
    pub children: Vec<Unit>,
    /// Units that went (all or in part) into this one.
    pub predecessors: Vec<UnitLink>,
    /// Units that took this one over.
    pub successors: Vec<UnitLink>,
}

/// One unit as of a date, with its parent, children, predecessors and successors.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "GSO code, e.g. 27985"), AsOfQuery),
    responses((status = 200, body = UnitDetail), (status = 404, description = "No unit has this code on that date")))]
pub async fn show(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<Json<UnitDetail>, PageError> {
    let (day, _) = as_of(q.as_of.as_deref(), true)?;
    let v = match xaso_core::units::view(&state.store, &code, day).await {
        Ok(v) => v,
        Err(Error::NotFound) => {
            let periods = xaso_core::units::periods(&state.store, &code)
                .await
                .map_err(PageError::api)?;
            let hint = periods
                .iter()
                .map(|u| {
                    format!(
                        "{} ({} to {})",
                        u.full_name,
                        fmt(u.valid_from),
                        fmt(u.valid_to)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let detail = if hint.is_empty() {
                format!("no unit has code {code}")
            } else {
                format!("no unit has code {code} on {day}; the code was used by: {hint}")
            };
            return Err(PageError::api(Error::NotFound).with_not_found(detail));
        }
        Err(e) => return Err(PageError::api(e)),
    };
    Ok(Json(UnitDetail {
        as_of: day,
        parent: v.ancestors.last().cloned(),
        unit: v.unit,
        ancestors: v.ancestors,
        children: v.children,
        predecessors: v.predecessors,
        successors: v.successors,
    }))
}

fn fmt(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "…".into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words of the name, with or without diacritics ("duc hoa ha").
    q: String,
    /// Only units valid on this date (yyyy-mm-dd); all periods when absent.
    as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    pub unit: Unit,
    /// Names of the parents, nearest first.
    pub context: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub units: Vec<SearchHit>,
}

/// Finds units by name, ignoring case and diacritics.
#[utoipa::path(get, path = "/api/v1/units/search", tag = "units", params(SearchQuery),
    responses((status = 200, body = SearchResult)))]
pub async fn search(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<SearchResult>, PageError> {
    let day = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(_) => Some(as_of(q.as_of.as_deref(), true)?.0),
        None => None,
    };
    let hits = xaso_core::units::search(&state.store, &q.q, day, 50)
        .await
        .map_err(PageError::api)?;
    Ok(Json(SearchResult {
        units: hits
            .into_iter()
            .map(|f| SearchHit {
                unit: f.unit,
                context: f.context,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewVillageRequest {
    /// Code of the commune the village belongs to.
    pub parent_code: String,
    /// The date the parent code is read on; today by default.
    #[serde(default, deserialize_with = "crate::openapi::blank_date")]
    #[schema(schema_with = crate::openapi::date_blank_or_null)]
    pub as_of: Option<NaiveDate>,
    /// Name without the type, e.g. "Bình Tả 3".
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    pub name: String,
    #[schema(value_type = VillageType)]
    pub unit_type: String,
    /// First day of the village, when known.
    #[serde(default, deserialize_with = "crate::openapi::blank_date")]
    #[schema(schema_with = crate::openapi::date_blank_or_null)]
    pub valid_from: Option<NaiveDate>,
}

/// The kinds of village a commune may add (what the request's `unit_type` accepts).
#[derive(ToSchema)]
#[allow(dead_code)] // only its schema is used
pub enum VillageType {
    #[schema(rename = "Ấp")]
    Ap,
    #[schema(rename = "Thôn")]
    Thon,
    #[schema(rename = "Khu phố")]
    KhuPho,
    #[schema(rename = "Tổ dân phố")]
    ToDanPho,
    #[schema(rename = "Bản")]
    Ban,
}

/// Adds a village (ấp, thôn, …) under a commune. Needs a session (with the X-CSRF-Token header)
/// or an API token whose owner is an officer of that commune or of an area above it.
#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = NewVillageRequest,
    security(("bearer" = [])),
    responses((status = 201, body = Unit), (status = 401, description = "Not signed in"),
        (status = 403, description = "The commune is outside the account's units"),
        (status = 404, description = "No unit has the parent code on that date"),
        (status = 409, description = "The commune already has a village of that name"),
        (status = 422, description = "Invalid input")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Result<Json<NewVillageRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let req = crate::error::json_body(body)?;
    let village = NewVillage::parse(&req.name, &req.unit_type, req.valid_from)
        .map_err(|e| PageError::api(Error::invalid(field_of(&e), e.to_string())))?;
    let day = req.as_of.unwrap_or_else(xaso_domain::time::today_vn);
    let unit = xaso_core::units::add_village(
        &state.store,
        ctx.actor.as_ref(),
        &req.parent_code,
        day,
        village,
    )
    .await
    .map_err(|e| match e {
        Error::NotFound => PageError::api(Error::NotFound)
            .with_not_found(format!("no unit has code {} on {day}", req.parent_code)),
        other => PageError::api(other),
    })?;
    Ok((StatusCode::CREATED, Json(unit)).into_response())
}

fn field_of(e: &xaso_domain::units::VillageError) -> &'static str {
    match e {
        xaso_domain::units::VillageError::BadType(_) => "unit_type",
        _ => "name",
    }
}

//! Criteria in the JSON API.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xaso_core::criteria::{Assessment, Entry};
use xaso_domain::criteria::{CriteriaSet, NtmLevel, Status, Value};

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct SetSummary {
    pub key: String,
    pub version: i64,
    pub level: NtmLevel,
    pub from_year: i32,
    pub to_year: i32,
    pub name_vi: String,
    pub decision: String,
    pub criteria: usize,
    pub indicators: usize,
    pub change_note: String,
}

#[derive(Serialize, ToSchema)]
pub struct SetList {
    pub sets: Vec<SetSummary>,
}

/// The criteria sets in force (newest version of each).
#[utoipa::path(get, path = "/api/v1/criteria-sets", tag = "criteria", responses((status = 200, body = SetList)))]
pub async fn list_sets(State(state): State<AppState>) -> Result<Json<SetList>, PageError> {
    let sets = xaso_core::criteria::sets(&state.store)
        .await
        .map_err(PageError::api)?;
    Ok(Json(SetList {
        sets: sets
            .into_iter()
            .map(|v| SetSummary {
                criteria: v.set.criteria.len(),
                indicators: v.set.indicator_count(),
                key: v.set.key,
                version: v.version,
                level: v.set.level,
                from_year: v.set.from_year,
                to_year: v.set.to_year,
                name_vi: v.set.name_vi,
                decision: v.set.decision,
                change_note: v.change_note,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SetDetail {
    pub version: i64,
    pub set: CriteriaSet,
}

/// One set with its criteria, indicators and thresholds.
#[utoipa::path(get, path = "/api/v1/criteria-sets/{key}", tag = "criteria",
    params(("key" = String, Path, description = "e.g. vn-xa-ntm-2021-2025")),
    responses((status = 200, body = SetDetail), (status = 404, description = "No such set")))]
pub async fn show_set(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<SetDetail>, PageError> {
    let v = xaso_core::criteria::set(&state.store, &key)
        .await
        .map_err(PageError::api)?;
    Ok(Json(SetDetail {
        version: v.version,
        set: v.set,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Programme year, e.g. 2024.
    #[param(minimum = 2010, maximum = 2100)]
    year: i32,
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorOut {
    pub code: String,
    pub name_vi: String,
    pub status: Status,
    pub value: Option<Value>,
    pub threshold: Option<f64>,
    pub gap: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct CriterionOut {
    pub no: String,
    pub name_vi: String,
    pub status: Status,
    pub indicators: Vec<IndicatorOut>,
}

#[derive(Serialize, ToSchema)]
pub struct SetOut {
    pub key: String,
    pub version: i64,
    pub level: NtmLevel,
    pub status: Status,
    pub criteria_met: usize,
    pub criteria_total: usize,
    pub criteria: Vec<CriterionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentOut {
    pub code: String,
    pub name: String,
    pub year: i32,
    /// Region (2021–2025) or commune group (2026–2030); absent until set.
    pub threshold_key: Option<String>,
    pub target: Option<NtmLevel>,
    /// The highest level reached.
    pub level: Option<NtmLevel>,
    pub on_track: Option<bool>,
    pub review: xaso_domain::criteria::ReviewState,
    pub sets: Vec<SetOut>,
}

pub fn assessment_out(a: &Assessment) -> AssessmentOut {
    AssessmentOut {
        code: a.unit.code.clone(),
        name: a.unit.full_name.clone(),
        year: a.year,
        threshold_key: a.profile.as_ref().map(|p| p.threshold_key.clone()),
        target: a.profile.as_ref().and_then(|p| p.target),
        level: a.level,
        on_track: a.on_track(),
        review: a.review.state,
        sets: a
            .sets
            .iter()
            .map(|o| SetOut {
                key: o.version.set.key.clone(),
                version: o.version.version,
                level: o.version.set.level,
                status: o.result.status,
                criteria_met: o.result.criteria_met,
                criteria_total: o.result.criteria_total,
                criteria: o
                    .version
                    .set
                    .criteria
                    .iter()
                    .zip(&o.result.criteria)
                    .map(|(c, r)| CriterionOut {
                        no: c.no.clone(),
                        name_vi: c.name_vi.clone(),
                        status: r.status,
                        indicators: c
                            .indicators
                            .iter()
                            .zip(&r.indicators)
                            .map(|(i, ir)| IndicatorOut {
                                code: i.code.clone(),
                                name_vi: i.name_vi.clone(),
                                status: ir.status,
                                value: ir.value,
                                threshold: ir.threshold,
                                gap: ir.gap,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A commune's assessment for a year: level reached, criteria met, each indicator's value,
/// threshold and status (met, not_met, no_threshold, no_data).
#[utoipa::path(get, path = "/api/v1/units/{code}/assessment", tag = "criteria",
    params(("code" = String, Path, description = "Commune code"), YearQuery),
    responses((status = 200, body = AssessmentOut), (status = 404, description = "No such commune in that year"),
        (status = 422, description = "Not a commune, or year out of range")))]
pub async fn assessment(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Json<AssessmentOut>, PageError> {
    let a = xaso_core::criteria::assess(&state.store, &code, q.year, None)
        .await
        .map_err(PageError::api)?;
    Ok(Json(assessment_out(&a)))
}

#[derive(Serialize, ToSchema)]
pub struct RollupOut {
    pub code: String,
    pub name: String,
    pub year: i32,
    /// Number of xã assessed (thị trấn and phường are not counted).
    pub communes: usize,
    /// Communes that reached at least each level, e.g. {"ntm":16,"nang_cao":5,"kieu_mau":0}.
    pub at_least: BTreeMap<String, usize>,
    pub with_target: usize,
    pub on_track: usize,
    pub members: Vec<RollupMember>,
}

#[derive(Serialize, ToSchema)]
pub struct RollupMember {
    pub code: String,
    pub name: String,
    pub level: Option<NtmLevel>,
    pub target: Option<NtmLevel>,
    pub on_track: Option<bool>,
    /// Criteria met in the first (NTM) set.
    pub criteria_met: usize,
    pub criteria_total: usize,
}

/// How many communes under a unit reached each level in a year.
#[utoipa::path(get, path = "/api/v1/units/{code}/rollup", tag = "criteria",
    params(("code" = String, Path, description = "Code of a district (before 2025) or province"), YearQuery),
    responses((status = 200, body = RollupOut), (status = 404, description = "No such unit in that year"),
        (status = 422, description = "Year out of range")))]
pub async fn rollup(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Json<RollupOut>, PageError> {
    let r = xaso_core::criteria::rollup(&state.store, &code, q.year, None)
        .await
        .map_err(PageError::api)?;
    Ok(Json(RollupOut {
        code: r.unit.code.clone(),
        name: r.unit.full_name.clone(),
        year: r.year,
        communes: r.communes.len(),
        at_least: r
            .at_least
            .iter()
            .map(|(l, n)| (l.as_str().to_string(), *n))
            .collect(),
        with_target: r.with_target,
        on_track: r.on_track,
        members: r
            .communes
            .iter()
            .map(|a| RollupMember {
                code: a.unit.code.clone(),
                name: a.unit.full_name.clone(),
                level: a.level,
                target: a.profile.as_ref().and_then(|p| p.target),
                on_track: a.on_track(),
                criteria_met: a.sets.first().map(|s| s.result.criteria_met).unwrap_or(0),
                criteria_total: a.sets.first().map(|s| s.result.criteria_total).unwrap_or(0),
            })
            .collect(),
    }))
}

/// An indicator's value: met or not (judged indicators), a number, or null.
fn judged_or_number() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct ValueIn {
    pub set_key: String,
    pub code: String,
    /// true/false for judged indicators, a number otherwise, null to clear.
    #[schema(schema_with = judged_or_number)]
    pub value: Option<serde_json::Value>,
    pub note: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ValuesIn {
    pub values: Vec<ValueIn>,
}

#[derive(Serialize, ToSchema)]
pub struct Saved {
    pub changed: usize,
    pub assessment: AssessmentOut,
}

/// Saves a commune's indicator values for a year, all or nothing. Commune officers of the
/// commune, area officers above it and administrators.
#[utoipa::path(put, path = "/api/v1/units/{code}/indicators/{year}", tag = "criteria", request_body = ValuesIn,
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("year" = i32, Path, description = "Programme year", minimum = 2010, maximum = 2100)),
    responses((status = 200, body = Saved), (status = 401, description = "Not signed in"),
        (status = 403, description = "Commune outside the account's units"),
        (status = 409, description = "The year is submitted or approved: return or reopen it first"),
        (status = 422, description = "Bad values; nothing saved")))]
pub async fn save_values(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((code, year)): Path<(String, i32)>,
    body: Result<Json<ValuesIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Saved>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let entries: Vec<Entry> = body
        .values
        .into_iter()
        .map(|v| Entry {
            set_key: v.set_key,
            code: v.code,
            raw: match v.value {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::Bool(true)) => "dat".into(),
                Some(serde_json::Value::Bool(false)) => "khong dat".into(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
            },
            note: v.note,
        })
        .collect();
    let changed =
        xaso_core::criteria::save_values(&state.store, ctx.actor.as_ref(), &code, year, &entries)
            .await
            .map_err(PageError::api)?;
    let a = xaso_core::criteria::assess(&state.store, &code, year, None)
        .await
        .map_err(PageError::api)?;
    Ok(Json(Saved {
        changed,
        assessment: assessment_out(&a),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewIn {
    pub action: xaso_domain::criteria::ReviewAction,
    /// Required to return or reopen.
    #[serde(default)]
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    pub state: xaso_domain::criteria::ReviewState,
}

/// Moves a commune's year through approval: `submit` (the commune), `approve`, `return` or
/// `reopen` (the area officer; return and reopen need a comment). Submitted and approved years
/// refuse value changes with 409.
#[utoipa::path(post, path = "/api/v1/units/{code}/indicators/{year}/review", tag = "criteria", request_body = ReviewIn,
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("year" = i32, Path, description = "Programme year", minimum = 2010, maximum = 2100)),
    responses((status = 200, body = ReviewOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not allowed for this account"), (status = 409, description = "Not possible in the current state"),
        (status = 422, description = "A comment is required")))]
pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((code, year)): Path<(String, i32)>,
    body: Result<Json<ReviewIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ReviewOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let state = xaso_core::criteria::review(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        year,
        body.action,
        &body.comment,
    )
    .await
    .map_err(PageError::api)?;
    Ok(Json(ReviewOut { state }))
}

/// The Excel template for a commune (or one sheet with a column per xã of an area): codes,
/// names, thresholds and blank value cells.
#[utoipa::path(get, path = "/api/v1/units/{code}/indicators/{year}/template.xlsx", tag = "criteria",
    params(("code" = String, Path, description = "Commune or area code"), ("year" = i32, Path, description = "Programme year", minimum = 2010, maximum = 2100)),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "No such unit in that year"), (status = 422, description = "Year out of range")))]
pub async fn template(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, i32)>,
) -> Result<axum::response::Response, PageError> {
    let t = xaso_core::criteria::xlsx::template(&state.store, &code, year)
        .await
        .map_err(PageError::api)?;
    Ok(super::html::xlsx_response(t))
}

#[derive(Serialize, ToSchema)]
pub struct UploadOut {
    pub communes: usize,
    pub changed: usize,
}

/// Uploads a filled template (the request body is the .xlsx file). All or nothing: a bad file
/// gets 422 with one error per bad cell (`source` = "So lieu!G12").
#[utoipa::path(post, path = "/api/v1/units/{code}/indicators/{year}/template.xlsx", tag = "criteria",
    security(("bearer" = [])),
    request_body(description = "The .xlsx file, sent as it is (either content type)",
        content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/octet-stream"))),
    params(("code" = String, Path, description = "Commune or area code"), ("year" = i32, Path, description = "Programme year", minimum = 2010, maximum = 2100)),
    responses((status = 200, body = UploadOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "A commune outside the account's units"), (status = 409, description = "A year is submitted or locked"),
        (status = 422, description = "Bad cells; nothing saved")))]
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((code, year)): Path<(String, i32)>,
    body: axum::body::Bytes,
) -> Result<Json<UploadOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let u = xaso_core::criteria::xlsx::upload(&state.store, ctx.actor.as_ref(), &code, year, &body)
        .await
        .map_err(PageError::api)?;
    Ok(Json(UploadOut {
        communes: u.communes,
        changed: u.changed,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ProfileIn {
    /// Region (2021–2025, e.g. "DBSCL") or commune group (2026–2030, e.g. "group2").
    pub threshold_key: String,
    /// The level aimed for this year, if any.
    pub target: Option<NtmLevel>,
}

/// Sets a commune's region or group and target level for a year (area officers above the
/// commune, administrators). Refused (409) while the year is submitted or approved.
#[utoipa::path(put, path = "/api/v1/units/{code}/profile/{year}", tag = "criteria", request_body = ProfileIn,
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), ("year" = i32, Path, description = "Programme year", minimum = 2010, maximum = 2100)),
    responses((status = 200, body = AssessmentOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an area officer above this commune"), (status = 409, description = "The year is locked"),
        (status = 422, description = "Unknown region, group or level for the year")))]
pub async fn save_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((code, year)): Path<(String, i32)>,
    body: Result<Json<ProfileIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AssessmentOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    xaso_core::criteria::set_profile(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        year,
        &body.threshold_key,
        body.target,
    )
    .await
    .map_err(PageError::api)?;
    let a = xaso_core::criteria::assess(&state.store, &code, year, None)
        .await
        .map_err(PageError::api)?;
    Ok(Json(assessment_out(&a)))
}

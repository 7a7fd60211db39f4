//! The EPCIS 2.0 REST interface (`POST /epcis/capture`, `GET /epcis/capture/{id}`,
//! `GET /epcis/events`), the production log on batch and stamp pages, and the phone form a
//! producer records a step with.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use serde_json::{json, Value};
use xaso_core::epcis::{EventQuery, StepInput, TimelineEntry};
use xaso_core::error::Problem;
use xaso_core::Error;

use crate::ctx::{url_encode, Ctx};
use crate::error::PageError;
use crate::AppState;

/// One step of a batch's log as pages show it.
#[derive(Debug, Clone)]
pub struct Step {
    pub label: String,
    pub when: String,
    /// The place's page and what a visitor may call it.
    pub place: Option<(String, String)>,
    pub note: String,
}

/// A batch's latest steps as a page shows them, oldest first, with how many older ones are
/// left out and where to read them (the batch's page, from a stamp's page).
#[derive(Debug, Clone, Default)]
pub struct Log {
    pub steps: Vec<Step>,
    /// "The latest 6 of 40 steps", when some are left out.
    pub partial: Option<String>,
    pub link: Option<String>,
}

impl Log {
    pub fn of(
        lang: crate::i18n::Lang,
        t: &xaso_core::epcis::Timeline,
        link: Option<String>,
    ) -> Log {
        let partial = (t.more() > 0).then(|| {
            crate::i18n::tf(
                lang,
                "events.latest",
                &[
                    ("shown", &t.entries.len().to_string()),
                    ("total", &t.total.to_string()),
                ],
            )
        });
        Log {
            steps: t.entries.iter().map(|e| step_of(lang, e)).collect(),
            partial,
            link,
        }
    }
}

/// The log of a batch the caller may already see, for the batch's own page.
pub async fn log(state: &AppState, ctx: &Ctx, batch_id: &str) -> Result<Log, Error> {
    let t = xaso_core::epcis::timeline_entries(
        &state.store,
        batch_id,
        xaso_core::epcis::BATCH_PAGE_STEPS,
    )
    .await?;
    Ok(Log::of(ctx.lang, &t, None))
}

/// A log entry in the reader's language.
pub fn step_of(lang: crate::i18n::Lang, e: &TimelineEntry) -> Step {
    let label = match e.step {
        Some(s) => crate::i18n::t(lang, &format!("biz_step.{}", s.as_str())).to_string(),
        None if e.raw_step.is_empty() => e.event_type.clone(),
        None => e.raw_step.clone(),
    };
    Step {
        label,
        when: e
            .time
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default(),
        place: e.place.clone(),
        note: e.note.clone(),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    at_origin: Option<String>,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    note: String,
}

/// Records one step of a batch from the batch page.
pub async fn record_step(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = StepInput {
        step: f.step,
        time: f.time,
        at_origin: f.at_origin.is_some(),
        quantity: f.quantity,
        note: f.note,
    };
    let base = crate::qr::base_url(&state, &headers);
    match xaso_core::epcis::record_step(&state.store, ctx.actor.as_ref(), &id, &input, &base).await
    {
        Ok(_) => Ok({
            state.verifier.clear();
            Redirect::to(&format!("/batches/{id}?logged=1#events")).into_response()
        }),
        Err(Error::Invalid(list)) => {
            let errors = list
                .iter()
                .map(|p| step_problem(&ctx, p))
                .collect::<Vec<_>>();
            crate::producers::batch_with_errors(&state, &ctx, &id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn step_problem(ctx: &Ctx, p: &Problem) -> String {
    let key = match p.at.as_str() {
        "step" => "events.err_step",
        "time" => "events.err_time",
        "quantity" => "events.err_quantity",
        "note" => "events.err_note",
        "at_origin" => "events.err_origin",
        // The capture's own checks: a time in the future.
        _ if p.detail.contains("future") => "events.err_time",
        _ => "events.refused",
    };
    ctx.t(key).to_string()
}

/// An EPCIS exception as the standard's REST binding gives it (RFC 9457 problem details).
fn exception(status: StatusCode, kind: &str, title: &str, problems: &[Problem]) -> Response {
    let mut body = json!({
        "type": format!("epcisException:{kind}"),
        "title": title,
        "status": status.as_u16(),
    });
    if !problems.is_empty() {
        body["detail"] = json!(problems
            .iter()
            .map(|p| format!("{}: {}", p.at, p.detail))
            .collect::<Vec<_>>()
            .join("; "));
        body["errors"] = json!(problems);
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn core_exception(e: Error) -> Response {
    match e {
        Error::Unauthenticated => exception(
            StatusCode::UNAUTHORIZED,
            "SecurityException",
            "sign in or send an API token",
            &[],
        ),
        Error::Forbidden => exception(
            StatusCode::FORBIDDEN,
            "SecurityException",
            "not allowed for this account",
            &[],
        ),
        Error::Invalid(p) => exception(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "the document was refused whole; nothing was captured",
            &p,
        ),
        Error::NotFound => exception(
            StatusCode::NOT_FOUND,
            "NoSuchResourceException",
            "not found",
            &[],
        ),
        other => {
            tracing::error!(error = %other, "EPCIS request failed");
            exception(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ImplementationException",
                "internal error",
                &[],
            )
        }
    }
}

fn epcis_headers() -> [(header::HeaderName, &'static str); 2] {
    [
        (
            header::HeaderName::from_static("gs1-epcis-version"),
            "2.0.0",
        ),
        (header::HeaderName::from_static("gs1-cbv-version"), "2.0.0"),
    ]
}

/// `POST /epcis/capture`: an EPCISDocument, captured whole or refused whole. Every event must
/// name a batch or stamp the account may write (GS1 Digital Link with lot or serial, EPC URN, or
/// the platform's batch/stamp address).
#[utoipa::path(post, path = "/epcis/capture", tag = "epcis", security(("bearer" = [])),
    request_body(content = serde_json::Value, content_type = "application/ld+json", description = "An EPCISDocument"),
    responses((status = 202, description = "Captured; Location names the capture"),
        (status = 400, description = "epcisException:ValidationException with the problems, nothing captured"),
        (status = 401, description = "Not signed in")))]
pub async fn capture(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if ctx.actor.is_none() {
        return core_exception(Error::Unauthenticated);
    }
    if let Err(e) = ctx.check_api_csrf(&headers) {
        return e.into_response();
    }
    let doc: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return exception(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "the body is not JSON",
                &[Problem::new("/", e.to_string())],
            )
        }
    };
    match xaso_core::epcis::capture(&state.store, ctx.actor.as_ref(), &doc).await {
        Ok(c) => {
            state.verifier.clear();
            let location = format!("/epcis/capture/{}", c.capture_id);
            let mut res = (
                StatusCode::ACCEPTED,
                [(header::LOCATION, location.clone())],
                axum::Json(json!({
                    "captureID": c.capture_id,
                    "running": false,
                    "success": true,
                    "captureErrorBehaviour": "rollback",
                    "eventIDs": c.event_ids,
                })),
            )
                .into_response();
            for (k, v) in epcis_headers() {
                res.headers_mut()
                    .insert(k, header::HeaderValue::from_static(v));
            }
            res
        }
        Err(e) => core_exception(e),
    }
}

/// `GET /epcis/capture/{id}`: how a capture ended (captures finish before the answer, so a
/// known capture is always done and successful; refused documents leave nothing behind).
pub async fn capture_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    if ctx.actor.is_none() {
        return core_exception(Error::Unauthenticated);
    }
    let q = EventQuery {
        capture_id: Some(id.clone()),
        per_page: 1000,
        ..EventQuery::default()
    };
    match xaso_core::epcis::query(&state.store, ctx.actor.as_ref(), &q).await {
        Ok(events) if !events.is_empty() => axum::Json(json!({
            "captureID": id,
            "running": false,
            "success": true,
            "captureErrorBehaviour": "rollback",
            "eventIDs": events.iter().map(|e| e.row.id.clone()).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(_) => core_exception(Error::NotFound),
        Err(e) => core_exception(e),
    }
}

/// `GET /epcis/events`: an EPCIS query document. Filters: `gtin`, `lot`, `batch`,
/// `MATCH_anyEPC` / `MATCH_anyEPCClass` / `MATCH_epc` / `MATCH_epcClass`, `GE_eventTime`,
/// `LT_eventTime`, `EQ_bizStep`, `eventType`, `perPage` (≤ 1000) and `nextPageToken`.
#[utoipa::path(get, path = "/epcis/events", tag = "epcis",
    params(("gtin" = Option<String>, Query, description = "Product GTIN"),
        ("lot" = Option<String>, Query, description = "Lot, with gtin"),
        ("GE_eventTime" = Option<String>, Query, description = "RFC 3339"),
        ("LT_eventTime" = Option<String>, Query, description = "RFC 3339"),
        ("EQ_bizStep" = Option<String>, Query, description = "CBV step or urn:xaso:bizstep:harvesting / processing")),
    responses((status = 200, content_type = "application/ld+json", description = "EPCISQueryDocument"),
        (status = 400, description = "epcisException:QueryParameterException")))]
pub async fn events(State(state): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let mut q = EventQuery {
        per_page: 100,
        ..EventQuery::default()
    };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(raw.as_deref().unwrap_or_default());
    let mut problems = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "gtin" => q.gtin = Some(v),
            "lot" => q.lot = Some(v),
            "batch" => q.batch = Some(v),
            "MATCH_anyEPC" | "MATCH_anyEPCClass" | "MATCH_epc" | "MATCH_epcClass" => {
                q.any_epc.extend(v.split('|').map(str::to_string))
            }
            "GE_eventTime" => q.from = Some(v),
            "LT_eventTime" => q.before = Some(v),
            "EQ_bizStep" => q.biz_step = Some(v),
            "eventType" => q.event_type = Some(v),
            "perPage" => match v.parse::<i64>() {
                Ok(n) if (1..=1000).contains(&n) => q.per_page = n,
                _ => problems.push(Problem::new("perPage", "a whole number from 1 to 1000")),
            },
            "nextPageToken" => match v.parse::<i64>() {
                Ok(n) if n >= 0 => q.offset = n,
                _ => problems.push(Problem::new(
                    "nextPageToken",
                    "not a token this server gave",
                )),
            },
            other => problems.push(Problem::new(
                other.to_string(),
                "not a query parameter this server supports",
            )),
        }
    }
    if !problems.is_empty() {
        return exception(
            StatusCode::BAD_REQUEST,
            "QueryParameterException",
            "the query has unknown or bad parameters",
            &problems,
        );
    }
    match xaso_core::epcis::query(&state.store, ctx.actor.as_ref(), &q).await {
        Ok(events) => {
            let doc = xaso_core::epcis::query_document(&events);
            let mut res = (
                [(header::CONTENT_TYPE, "application/ld+json")],
                doc.to_string(),
            )
                .into_response();
            for (k, v) in epcis_headers() {
                res.headers_mut()
                    .insert(k, header::HeaderValue::from_static(v));
            }
            if events.len() as i64 == q.per_page {
                let mut next: Vec<(String, String)> =
                    serde_urlencoded_pairs(raw.as_deref().unwrap_or_default())
                        .into_iter()
                        .filter(|(k, _)| k != "nextPageToken")
                        .collect();
                next.push(("nextPageToken".into(), (q.offset + q.per_page).to_string()));
                let link = format!("</epcis/events?{}>; rel=\"next\"", encode_pairs(&next));
                if let Ok(v) = header::HeaderValue::from_str(&link) {
                    res.headers_mut().insert(header::LINK, v);
                }
            }
            res
        }
        Err(Error::Invalid(p)) => exception(
            StatusCode::BAD_REQUEST,
            "QueryParameterException",
            "the query has bad parameters",
            &p,
        ),
        Err(e) => core_exception(e),
    }
}

fn serde_urlencoded_pairs(raw: &str) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{raw}").parse().unwrap_or_default(),
    )
    .map(|q| q.0)
    .unwrap_or_default()
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Deserialize)]
pub struct WhereForm {
    lat: f64,
    lng: f64,
}

/// Where a buyer scanned a stamp, when they chose to share it; answers whether the stamp now
/// looks copied.
pub async fn stamp_place(
    State(state): State<AppState>,
    Path(code): Path<String>,
    body: Result<Form<WhereForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(f)) = body else {
        return Err(PageError::api(Error::invalid(
            "position",
            "send lat and lng as numbers",
        )));
    };
    let far = xaso_core::stamps::scanned_at(&state.store, &code, f.lat, f.lng)
        .await
        .map_err(PageError::api)?;
    state.verifier.placed(&code);
    Ok(axum::Json(json!({"far_apart_km": far})).into_response())
}

//! The field app's API: who is signed in (and the CSRF token for sending), the reference lists
//! for offline forms, and the outbox's records, one per request, each with its own answer.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use xaso_core::error::Problem;
use xaso_core::field::{self, Answer, Kind, Submission};
use xaso_core::Error;

use crate::ctx::{cookie, Ctx, CSRF_COOKIE};
use crate::error::PageError;
use crate::AppState;

/// Who the phone is signed in as, and the token its sends must carry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionOut {
    pub username: String,
    pub display_name: String,
    /// Send it back in the X-CSRF-Token header of every record.
    pub csrf: String,
}

/// Who is signed in: 401 when the session has ended (the phone keeps its outbox and asks the
/// person to sign in again). The app's page may come from the phone's own copy, which sets no
/// cookie, so this answer gives the CSRF cookie when the browser has none (after a restart).
#[utoipa::path(get, path = "/api/v1/field/session", tag = "field",
    responses((status = 200, body = SessionOut), (status = 401, description = "Not signed in")))]
pub async fn session(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let a = ctx
        .actor
        .as_ref()
        .ok_or_else(|| PageError::api(Error::Unauthenticated))?;
    let mut resp = Json(SessionOut {
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        csrf: ctx.csrf.clone(),
    })
    .into_response();
    if jar.get(CSRF_COOKIE).is_none() && !ctx.csrf.is_empty() {
        let c = cookie(CSRF_COOKIE, &ctx.csrf, state.config.secure_cookies, 0);
        if let Ok(v) = c.to_string().parse() {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferenceQuery {
    /// The cursor of the last download; empty (or one this server did not give) for a first one.
    #[serde(default)]
    pub since: String,
    /// Most places (and plots) the phone keeps: 1 to 20000, 2000 when not given.
    #[param(minimum = 1, maximum = 20000)]
    pub limit: Option<i64>,
}

/// The lists the offline forms choose from, for the account's own units; `since` gives only
/// what changed after an earlier download (`full` says when the answer replaces it instead).
#[utoipa::path(get, path = "/api/v1/field/reference", tag = "field", params(ReferenceQuery),
    responses((status = 200, description = "Villages, places, plots, stocktakes, assets, sessions, categories, batches and a cursor"),
        (status = 401, description = "Not signed in"), (status = 422, description = "A limit out of range")))]
pub async fn reference(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReferenceQuery>,
) -> Result<Json<field::Reference>, PageError> {
    let r = field::reference(
        &state.store,
        ctx.actor.as_ref(),
        &q.since,
        q.limit.unwrap_or(field::reference::DEFAULT_LIMIT),
    )
    .await
    .map_err(PageError::api)?;
    Ok(Json(r))
}

/// The multipart body of a record: the record as JSON (see RecordIn) and an optional photo.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RecordForm {
    /// RecordIn as JSON text.
    record: String,
    /// A JPEG, PNG or WebP photo (for a field-log observation or a feedback case).
    #[schema(value_type = Option<String>, format = Binary)]
    photo: Option<Vec<u8>>,
}

/// One record's `record` part: what the phone saved.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecordIn {
    /// The phone's UUIDv7 for the record (also its Idempotency-Key).
    pub key: String,
    /// place, place_edit, support, attendance, field_log, stocktake, feedback or batch_step.
    pub kind: String,
    /// When the phone recorded it (RFC 3339).
    pub recorded_at: String,
    /// The form's fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// Sends one record from the outbox: a multipart body with a `record` part (JSON, see
/// RecordIn) and, for forms that take one, a `photo` part. The answer's `status` is `saved`
/// (201; 200 with `already` when an earlier send stored it), `conflict` (409: the server's
/// copy changed, it comes in `server`), or `refused` (403/404/409/422, with `reason` in
/// Vietnamese and `errors` in English). A record is stored once however often it is sent.
#[utoipa::path(post, path = "/api/v1/field/records", tag = "field",
    request_body(content = RecordForm, content_type = "multipart/form-data",
        description = "Parts: record (RecordIn as JSON) and an optional photo"),
    responses((status = 201, description = "Saved"), (status = 200, description = "Saved before (already)"),
        (status = 400, description = "No record part, or one that is not RecordIn's JSON"),
        (status = 409, description = "Conflict with the server's copy, or refused"),
        (status = 422, description = "Refused: the form's problems"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Refused: outside the account's units, or no CSRF token")))]
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let unreadable = |e| PageError::unreadable(e, true);
    let mut record: Option<RecordIn> = None;
    let mut photo = None;
    while let Some(part) = form.next_field().await.map_err(unreadable)? {
        match part.name().unwrap_or("") {
            "record" => {
                let text = part.text().await.map_err(unreadable)?;
                record = Some(serde_json::from_str(&text).map_err(|e| {
                    PageError::bad_request(format!("the record part is not valid JSON: {e}"), true)
                })?);
            }
            "photo" => {
                let bytes = part.bytes().await.map_err(unreadable)?;
                if !bytes.is_empty() {
                    photo = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    let record =
        record.ok_or_else(|| PageError::bad_request("the body has no record part", true))?;
    // The header, when sent, must name the same record.
    if let Some(k) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        if k.trim() != record.key.trim() {
            return Err(PageError::bad_request(
                "the Idempotency-Key header and the record's key differ",
                true,
            ));
        }
    }
    let kind = Kind::parse(&record.kind);
    let base = crate::qr::base_url(&state, &headers);
    let sub = Submission {
        key: record.key,
        kind: record.kind,
        recorded_at: record.recorded_at,
        fields: record.fields,
        photo,
    };
    let answer = field::submit(&state.store, &state.files, ctx.actor.as_ref(), &base, sub).await;
    Ok(match answer {
        Ok(a @ Answer::Saved { already, .. }) => {
            let status = if already {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            (status, Json(a)).into_response()
        }
        Ok(Answer::Conflict { detail, server }) => (
            StatusCode::CONFLICT,
            Json(json!({
                "status": "conflict",
                "detail": detail,
                "reason": ctx.t("field.conflict_reason"),
                "server": server,
                "errors": [{"detail": detail}],
            })),
        )
            .into_response(),
        Err(Error::Unauthenticated) => return Err(PageError::api(Error::Unauthenticated)),
        Err(e @ (Error::Store(_) | Error::Internal(_))) => return Err(PageError::api(e)),
        Err(e) => refusal(&ctx, kind, e),
    })
}

/// A refused record: its status, the reason in the person's language and the details.
fn refusal(ctx: &Ctx, kind: Option<Kind>, e: Error) -> Response {
    let (status, errors): (StatusCode, Vec<Value>) = match &e {
        Error::Invalid(list) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            list.iter()
                .map(|p| json!({"at": p.at, "detail": p.detail, "reason": say(ctx, kind, p)}))
                .collect(),
        ),
        Error::Forbidden => (
            StatusCode::FORBIDDEN,
            vec![json!({"detail": e.to_string(), "reason": ctx.t("field.refused_forbidden")})],
        ),
        Error::NotFound => (
            StatusCode::NOT_FOUND,
            vec![json!({"detail": e.to_string(), "reason": ctx.t("field.refused_not_found")})],
        ),
        Error::Conflict(detail) => {
            let p = Problem::new("form", detail.clone());
            (
                StatusCode::CONFLICT,
                vec![json!({"detail": detail, "reason": say(ctx, kind, &p)})],
            )
        }
        other => (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![json!({"detail": other.to_string(), "reason": ctx.t("field.refused_other")})],
        ),
    };
    tracing::info!(kind = kind.map(Kind::as_str), error = %e, "field record refused");
    let reason = errors
        .iter()
        .filter_map(|v| v["reason"].as_str())
        .collect::<Vec<_>>()
        .join(" ");
    (
        status,
        Json(json!({"status": "refused", "reason": reason, "errors": errors})),
    )
        .into_response()
}

/// A problem in the person's language, through the catalogue of the form's own module.
fn say(ctx: &Ctx, kind: Option<Kind>, p: &Problem) -> String {
    let d = p.detail.as_str();
    let own = match p.at.as_str() {
        "key" => Some("field.err_key"),
        "kind" => Some("field.err_kind"),
        "recorded_at" => Some("field.err_recorded_at"),
        "photo" if d.contains("5 MB") => Some("field.err_photo_size"),
        "channel" => Some("field.err_channel"),
        "tag" if d.contains("no asset") => Some("field.err_tag"),
        "form" if d.contains("pre-harvest interval") => Some("field.err_too_early"),
        _ => None,
    };
    if let Some(key) = own {
        return ctx.t(key).to_string();
    }
    let said = match kind {
        Some(Kind::Place | Kind::PlaceEdit) => crate::places::html::place_problem(ctx, d),
        Some(Kind::Support | Kind::Attendance) => crate::dt::say(ctx, d),
        Some(Kind::FieldLog) => crate::error::say(ctx, crate::agri::plot::MESSAGE_KEYS, d),
        Some(Kind::Stocktake) => crate::error::say(ctx, crate::ict::MESSAGE_KEYS, d),
        Some(Kind::Feedback) => crate::feedback::problem(ctx, d),
        Some(Kind::BatchStep) => crate::epcis::step_problem(ctx, p),
        None => d.to_string(),
    };
    if said == d {
        // No message for it in the module's catalogue: say what the form cannot take.
        tracing::warn!(detail = d, "a field refusal without a Vietnamese message");
        ctx.t("field.refused_other").to_string()
    } else {
        said
    }
}

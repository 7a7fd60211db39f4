//! The resolver `/q/{token}` and the QR images `/q/{token}.svg|.png`, and staff actions on a
//! target's codes.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::qr::{Resolved, TargetType};

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// The address QR codes carry: the configured public URL, else the host the request came to.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

pub fn qr_url(base: &str, token: &str) -> String {
    format!("{base}/q/{token}")
}

#[derive(Template)]
#[template(path = "qr/gone.html")]
struct GonePage {
    p: Page,
    known: bool,
    reason: String,
}

/// The scan fast path, as the outermost middleware: `/q/{token}` of a cached code that leads
/// to a page is redirected at once and counted; anything else goes on down the stack.
pub async fn scan_first(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if req.method() == axum::http::Method::GET
        && req.uri().query().is_none()
        && !req.headers().contains_key(header::COOKIE)
        && (path.starts_with("/s/") || path.starts_with("/01/"))
    {
        if let Some(resp) = crate::stamps::fast_verify(&state, path).await {
            return resp;
        }
    }
    if let Some(token) = req.uri().path().strip_prefix("/q/") {
        if xaso_core::qr::looks_like_token(token) || xaso_core::qr::looks_like_stamp_code(token) {
            if let Ok(Resolved::Landing(path)) = state.qr.resolve(&state.store, token).await {
                state.qr.count(token);
                return ([(header::CACHE_CONTROL, "no-store")], Redirect::to(&path))
                    .into_response();
            }
        }
    }
    next.run(req).await
}

/// Resolves a printed code: to its landing page, or a clear page when the code was withdrawn
/// or never existed. A hit costs no database statement.
pub async fn resolve(
    State(state): State<AppState>,
    Path(file): Path<String>,
    mut parts: axum::http::request::Parts,
) -> Result<Response, PageError> {
    if let Some((token, ext)) = file.rsplit_once('.') {
        return image(&state, &parts.headers, token, ext).await;
    }
    // The hot path reads nothing but the cache: no session, no cookie, no statement.
    let resolved = state.qr.resolve(&state.store, &file).await?;
    if let Resolved::Landing(path) = &resolved {
        state.qr.count(&file);
        return Ok(([(header::CACHE_CONTROL, "no-store")], Redirect::to(path)).into_response());
    }
    if let Resolved::Stamp(path) = &resolved {
        return Ok(([(header::CACHE_CONTROL, "no-store")], Redirect::to(path)).into_response());
    }
    use axum::extract::FromRequestParts;
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    match resolved {
        Resolved::Retired(reason) => {
            state.qr.count(&file);
            let page = GonePage {
                p: ctx.page(),
                known: true,
                reason,
            };
            Ok((StatusCode::GONE, render(&page)).into_response())
        }
        _ => {
            let page = GonePage {
                p: ctx.page(),
                known: false,
                reason: String::new(),
            };
            Ok((StatusCode::NOT_FOUND, render(&page)).into_response())
        }
    }
}

async fn image(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    ext: &str,
) -> Result<Response, PageError> {
    if state.qr.resolve(&state.store, token).await? == Resolved::Unknown {
        return Err(PageError::not_found(false));
    }
    let url = qr_url(&base_url(state, headers), token);
    match ext {
        "svg" => Ok((
            [(header::CONTENT_TYPE, "image/svg+xml")],
            xaso_core::qr::svg(&url)?,
        )
            .into_response()),
        "png" => Ok((
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CONTENT_DISPOSITION, "inline; filename=\"qr.png\""),
            ],
            xaso_core::qr::png(&url, 10)?,
        )
            .into_response()),
        _ => Err(PageError::not_found(false)),
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Makes (or returns) the QR code of a place.
pub async fn create_for_place(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    xaso_core::places::qr_code(&state.store, ctx.actor.as_ref(), &id).await?;
    Ok(Redirect::to(&format!("/places/{id}#qr")).into_response())
}

/// Withdraws a code (staff of its target's unit), with a reason the code's page shows.
pub async fn retire(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let row = xaso_core::qr::retire(
        &state.store,
        &state.qr,
        ctx.actor.as_ref(),
        &token,
        &f.reason,
    )
    .await?;
    let back = match TargetType::parse(&row.target_type) {
        Some(TargetType::Place) => format!("/places/{}#qr", row.target_id),
        Some(TargetType::TrainingSession) => format!("/training/sessions/{}", row.target_id),
        Some(TargetType::Certificate) => format!("/certificates/{}", row.target_id),
        Some(TargetType::Asset) => format!("/assets/{}", row.target_id),
        None => "/".to_string(),
    };
    Ok(Redirect::to(&back).into_response())
}

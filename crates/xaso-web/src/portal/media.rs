//! A post's picture and attached PDF: uploaded on the editing page, served to readers.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

async fn after(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    r: Result<xaso_core::portal::Post, Error>,
) -> Result<Response, PageError> {
    match r {
        Ok(p) => {
            state.pages.clear();
            Ok(Redirect::to(&format!("/posts/{}/edit?saved=1", p.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => super::edit::edit_refused(state, ctx, id, e).await,
        Err(e) => Err(e.into()),
    }
}

/// Sets the post's picture (multipart: image_alt, file).
pub async fn set_image(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file();
    let alt = upload.field("image_alt").to_string();
    let r = xaso_core::portal::media::set_image(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        file,
        &alt,
    )
    .await;
    after(&state, &ctx, &id, r).await
}

/// Attaches the document's PDF (multipart: file).
pub async fn set_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file();
    let r = xaso_core::portal::media::set_file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        file,
    )
    .await;
    after(&state, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
pub struct ImageQuery {
    #[serde(default)]
    thumb: Option<String>,
}

/// The post's picture as JPEG (`?thumb=1` for the small one).
pub async fn image(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, PageError> {
    let bytes = xaso_core::portal::media::image(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        q.thumb.is_some(),
        Utc::now(),
    )
    .await?;
    Ok(crate::catalogue::private_file(
        bytes,
        "image/jpeg".into(),
        "anh.jpg",
        "private, max-age=600",
    ))
}

/// The post's attached PDF.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (bytes, name) = xaso_core::portal::media::file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        Utc::now(),
    )
    .await?;
    Ok(crate::catalogue::private_file(
        bytes,
        "application/pdf".into(),
        if name.is_empty() {
            "van-ban.pdf"
        } else {
            &name
        },
        "private, max-age=600",
    ))
}

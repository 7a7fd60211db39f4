//! The papers a producer registers with: uploaded by its account (or the commune), read by
//! the commune before it decides, never public.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

/// Adds a document (multipart: kind, title, file).
pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file();
    match xaso_core::producers::documents::add(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        upload.field("kind"),
        upload.field("title"),
        file,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/producers/{id}?saved=1#documents")).into_response()),
        Err(e @ Error::Invalid(_)) => super::show_with_errors(&state, &ctx, &id, e).await,
        Err(e) => Err(e.into()),
    }
}

/// A document's file, for the producer's account and the commune.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (bytes, mime, name) =
        xaso_core::producers::documents::file(&state.store, &state.files, ctx.actor.as_ref(), &id)
            .await?;
    // Papers with personal data are kept in no cache.
    Ok(crate::catalogue::private_file(
        bytes,
        mime,
        &name,
        "private, no-store",
    ))
}

#[derive(serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// Removes a document (after the page asked for confirmation).
pub async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<RemoveForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let producer_id = xaso_core::producers::documents::remove(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
    )
    .await?;
    Ok(Redirect::to(&format!("/producers/{producer_id}?saved=1#documents")).into_response())
}
